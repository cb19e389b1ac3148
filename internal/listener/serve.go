// The path of every accepted connection: set up (TLS), route, serve.

package listener

import (
	"context"
	"log/slog"
	"net"

	"github.com/strait-gw/strait/internal/session"
)

// serveConn sets up an accepted connection, asks route for the session
// config, and serves it. Connections that fail setup or routing are closed
// and logged with why.
func serveConn(ctx context.Context, raw net.Conn, term *Terminator, log *slog.Logger, route func(ConnInfo) (*session.Config, error)) {
	// The session runs in this goroutine for the life of the connection:
	// what comes before it runs in a frame of its own, so that the
	// goroutine's stack stays small while the connection is idle.
	if conn, cfg := admitConn(raw, term, log, route); conn != nil {
		session.Serve(ctx, conn, cfg)
	}
}

// admitConn terminates TLS and routes a connection to its virtual
// cluster; it returns a nil connection (and has closed it) when either
// fails.
//
//go:noinline
func admitConn(raw net.Conn, term *Terminator, log *slog.Logger, route func(ConnInfo) (*session.Config, error)) (net.Conn, *session.Config) {
	conn, info, err := term.Wrap(raw)
	if err != nil {
		raw.Close()
		log.Info("closing client connection", "client", raw.RemoteAddr().String(), "reason", err.Error())
		return nil, nil
	}
	cfg, err := route(info)
	if err != nil {
		conn.Close()
		log.Info("closing client connection", "client", raw.RemoteAddr().String(), "server_name", info.ServerName, "reason", err.Error())
		return nil, nil
	}
	if info.TLS {
		c := *cfg
		c.Principal = info.Principal
		c.Log = c.Log.With("tls", true, "server_name", info.ServerName, "principal", info.Principal)
		cfg = &c
	}
	return conn, cfg
}
