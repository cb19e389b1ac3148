package session

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
)

// bufPool holds read buffers. A connection holds one only while bytes
// it has read wait to be used: an idle connection holds none.
var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// reader is a buffered reader of one connection, like bufio.Reader, whose
// buffer comes from bufPool when bytes arrive and goes back once they are
// used. On a socket it waits for readability holding no buffer; on other
// connections (TLS, pipes) it waits in a read of a few bytes.
type reader struct {
	conn net.Conn
	raw  syscall.RawConn // nil when conn is not a socket
	buf  *[]byte         // nil while nothing is buffered
	r, w int
	// small holds the first bytes read by a wait without a buffer, on
	// connections without raw access.
	small [16]byte
}

func newReader(c net.Conn) *reader {
	r := &reader{conn: c}
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			r.raw = raw
		}
	}
	return r
}

// Size is the buffer's size: the most Peek can return.
func (b *reader) Size() int { return bufSize }

// Buffered is the number of bytes read and not yet used.
func (b *reader) Buffered() int { return b.w - b.r }

// release returns the buffer to the pool once everything in it is used.
func (b *reader) release() {
	if b.buf != nil && b.r == b.w {
		bufPool.Put(b.buf)
		b.buf, b.r, b.w = nil, 0, 0
	}
}

// Close returns the buffer to the pool, discarding what it holds.
func (b *reader) Close() {
	if b.buf != nil {
		bufPool.Put(b.buf)
		b.buf, b.r, b.w = nil, 0, 0
	}
}

// fill reads at least once more into the buffer, taking one from the pool
// if none is held.
func (b *reader) fill() error {
	if b.buf == nil {
		return b.fillEmpty()
	}
	if b.r > 0 {
		copy(*b.buf, (*b.buf)[b.r:b.w])
		b.w -= b.r
		b.r = 0
	}
	n, err := b.conn.Read((*b.buf)[b.w:])
	b.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// fillEmpty waits for bytes with no buffer held and reads them into a
// pooled one.
func (b *reader) fillEmpty() error {
	if b.raw == nil {
		n, err := b.conn.Read(b.small[:])
		if n == 0 {
			if err == nil {
				err = io.ErrNoProgress
			}
			return err
		}
		b.buf = bufPool.Get().(*[]byte)
		b.r, b.w = 0, copy(*b.buf, b.small[:n])
		return nil
	}
	var n int
	var rerr error
	err := b.raw.Read(func(fd uintptr) bool {
		b.buf = bufPool.Get().(*[]byte)
		for {
			n, rerr = syscall.Read(int(fd), *b.buf)
			if rerr != syscall.EINTR {
				break
			}
		}
		if rerr == syscall.EAGAIN {
			bufPool.Put(b.buf)
			b.buf = nil
			return false // wait until readable
		}
		return true
	})
	if err == nil {
		err = rerr
	}
	if err != nil || n <= 0 {
		if b.buf != nil {
			bufPool.Put(b.buf)
			b.buf = nil
		}
		if err == nil {
			err = io.EOF
		}
		return err
	}
	b.r, b.w = 0, n
	return nil
}

// Peek returns the next n bytes without using them; n must not exceed
// Size. The bytes stay valid until the reader is used again.
func (b *reader) Peek(n int) ([]byte, error) {
	if n > bufSize {
		return nil, errors.New("session: peek beyond the buffer")
	}
	for b.w-b.r < n {
		if err := b.fill(); err != nil {
			return nil, err
		}
	}
	return (*b.buf)[b.r : b.r+n], nil
}

// Discard uses n buffered bytes; it never reads.
func (b *reader) Discard(n int) (int, error) {
	if n > b.w-b.r {
		n = b.w - b.r
		b.r = b.w
		b.release()
		return n, io.ErrShortBuffer
	}
	b.r += n
	b.release()
	return n, nil
}

// Read reads buffered bytes first, then from the connection.
func (b *reader) Read(p []byte) (int, error) {
	if b.buf == nil {
		if len(p) >= bufSize {
			return b.conn.Read(p)
		}
		if err := b.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, (*b.buf)[b.r:b.w])
	b.r += n
	b.release()
	return n, nil
}
