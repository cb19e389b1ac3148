// Client-side helpers for TLS through the gateway.

package testenv

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/twmb/franz-go/pkg/kgo"
)

// LoopbackTLSDialer is a franz-go dialer that connects to 127.0.0.1
// whatever the host name, with TLS and the host name as server name (unless tc names one): the
// client's own resolver hook, so SNI host names need no DNS.
func LoopbackTLSDialer(tc *tls.Config) kgo.Opt {
	return kgo.Dialer(func(ctx context.Context, _, host string) (net.Conn, error) {
		name, port, err := net.SplitHostPort(host)
		if err != nil {
			return nil, err
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", port))
		if err != nil {
			return nil, err
		}
		c := tc.Clone()
		if c.ServerName == "" {
			// For an IP address, Go verifies it against the IP SANs and
			// sends no SNI.
			c.ServerName = name
		}
		tconn := tls.Client(conn, c)
		if err := tconn.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		return tconn, nil
	})
}
