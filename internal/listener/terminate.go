// Connection setup shared by listeners: TLS termination, plaintext
// detection on TLS ports, and the client's principal.

package listener

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/strait-gw/strait/internal/config"
)

// HandshakeTimeout bounds the TLS handshake and the wait for a client's
// first byte.
var HandshakeTimeout = 10 * time.Second

// Terminator prepares accepted connections: it terminates TLS when the
// listener has a tls_server policy.
type Terminator struct {
	TLS            *TLSServer
	AllowPlaintext bool
	Mapping        config.PrincipalMapping

	once      sync.Once
	tlsConfig *tls.Config
}

// ConnInfo is what a connection's setup learned about the client.
type ConnInfo struct {
	TLS        bool
	ServerName string
	// Principal is derived from the client certificate, if any.
	Principal string
}

// errPlaintext is returned for plaintext sent to a TLS-only port.
var errPlaintext = errors.New("plaintext Kafka sent to a TLS port")

// Wrap sets up conn. On error the caller closes conn.
func (t *Terminator) Wrap(conn net.Conn) (net.Conn, ConnInfo, error) {
	if t == nil || t.TLS == nil {
		return conn, ConnInfo{}, nil
	}
	// Built on first use, after the listener has set TLS.Accept.
	t.once.Do(func() { t.tlsConfig = t.TLS.Config() })
	if tc, ok := conn.(*net.TCPConn); ok {
		first, err := peekByte(tc, HandshakeTimeout)
		if err != nil {
			return nil, ConnInfo{}, fmt.Errorf("waiting for the client's first byte: %w", err)
		}
		// A TLS record starts with 0x16 (handshake); a Kafka frame with
		// the high byte of its size, 0 for any frame under 16 MiB.
		if first != 0x16 {
			if t.AllowPlaintext {
				return conn, ConnInfo{}, nil
			}
			return nil, ConnInfo{}, errPlaintext
		}
	}
	tconn := tls.Server(conn, t.tlsConfig)
	_ = conn.SetDeadline(time.Now().Add(HandshakeTimeout))
	if err := tconn.Handshake(); err != nil {
		if why := t.TLS.Refused(conn); why != nil {
			return nil, ConnInfo{}, fmt.Errorf("tls handshake refused with unrecognized_name: %w", why)
		}
		return nil, ConnInfo{}, fmt.Errorf("tls handshake: %w", err)
	}
	_ = conn.SetDeadline(time.Time{})
	st := tconn.ConnectionState()
	info := ConnInfo{TLS: true, ServerName: st.ServerName}
	if len(st.PeerCertificates) > 0 {
		info.Principal = Principal(t.Mapping, st.PeerCertificates[0])
	}
	return tconn, info, nil
}

// peekByte returns the first byte the client sent without consuming it.
func peekByte(c *net.TCPConn, timeout time.Duration) (byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	defer c.SetReadDeadline(time.Time{})
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var b [1]byte
	var n int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
		return rerr != syscall.EAGAIN
	})
	if err != nil {
		return 0, err
	}
	if rerr != nil {
		return 0, rerr
	}
	if n == 0 {
		return 0, io.EOF
	}
	return b[0], nil
}
