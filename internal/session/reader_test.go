package session

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-accepted
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// TestReaderHoldsNoBufferWhenIdle reads frames written in pieces through
// the reader on a socket (raw readiness wait) and on a pipe (small read
// first) and checks the bytes, and that the reader holds a buffer only
// while bytes it read wait to be used.
func TestReaderHoldsNoBufferWhenIdle(t *testing.T) {
	for _, kind := range []string{"tcp", "pipe"} {
		t.Run(kind, func(t *testing.T) {
			var w, rc net.Conn
			if kind == "tcp" {
				w, rc = tcpPair(t)
			} else {
				w, rc = net.Pipe()
				t.Cleanup(func() { w.Close(); rc.Close() })
			}
			r := newReader(rc)
			if (r.raw != nil) != (kind == "tcp") {
				t.Fatalf("raw access %v on %s", r.raw != nil, kind)
			}
			msg := bytes.Repeat([]byte("0123456789abcdef"), 300) // 4800 bytes
			go func() {
				for i := 0; i < len(msg); i += 1000 {
					_, _ = w.Write(msg[i:min(i+1000, len(msg))])
					time.Sleep(5 * time.Millisecond)
				}
			}()
			p, err := r.Peek(3)
			if err != nil || string(p) != "012" {
				t.Fatalf("Peek(3) = %q, %v", p, err)
			}
			if r.buf == nil {
				t.Fatal("no buffer while bytes wait")
			}
			p, err = r.Peek(2000) // needs more than the first write
			if err != nil || !bytes.Equal(p, msg[:2000]) {
				t.Fatalf("Peek(2000): %v", err)
			}
			if _, err := r.Discard(2000); err != nil {
				t.Fatal(err)
			}
			rest := make([]byte, len(msg)-2000)
			if _, err := io.ReadFull(r, rest); err != nil || !bytes.Equal(rest, msg[2000:]) {
				t.Fatalf("ReadFull: %v", err)
			}
			if r.buf != nil || r.Buffered() != 0 {
				t.Fatalf("reader holds a buffer (%d bytes buffered) with nothing left to use", r.Buffered())
			}
			// Waiting with nothing to read ends at the deadline, holding
			// no buffer.
			_ = rc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if _, err := r.Peek(1); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Peek on an idle connection: %v, want a deadline error", err)
			}
			if r.buf != nil {
				t.Fatal("reader took a buffer while waiting")
			}
			_ = rc.SetReadDeadline(time.Time{})
			w.Close()
			if _, err := r.Peek(1); !errors.Is(err, io.EOF) {
				t.Fatalf("Peek after close: %v, want EOF", err)
			}
		})
	}
}
