// The policy path of a session: requests of the API keys the virtual
// cluster's chain wants are read whole, decoded, run through the chain and
// encoded once; their responses, when a policy asked, likewise.

package session

import (
	"errors"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/protocol"
)

// encodePool holds the buffers requests and responses are encoded into by
// the chain: a produce request of a megabyte is encoded many times a
// second, and a fresh buffer each time would keep the garbage collector
// busy. Buffers stay with the pool, not with a session.
var encodePool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// putEncodeBuf returns a buffer to encodePool, emptied; one that grew
// beyond a few frames is left to the garbage collector.
func putEncodeBuf(b *[]byte) {
	if cap(*b) > policy.MaxPooledBuffer {
		return
	}
	*b = (*b)[:0]
	encodePool.Put(b)
}

// sized returns b emptied, with room for a frame of n bytes that policies
// may have grown by a quarter, so that encoding it does not grow the buffer
// again and again.
func sized(b []byte, n int) []byte {
	if want := n + n/4 + 512; cap(b) < want {
		return make([]byte, 0, policy.SizeClass(want))
	}
	return b[:0]
}

// errRefusedAcks0 ends a session whose acks=0 produce a policy refused:
// there is no response to carry the error, so, as a broker does, the
// gateway closes the connection and the client learns of it.
var errRefusedAcks0 = errors.New("produce with acks=0 refused by a policy")

// filterRequest runs a request through the chain, then either forwards it
// or queues the chain's answer.
func (s *session) filterRequest(h protocol.RequestHeader, e inflight, p []byte, size int) error {
	frame, pooled, err := readFrame(s.cr, p, size)
	defer putFrameBuf(pooled)
	if err != nil {
		return err
	}
	req := kmsg.RequestForKey(h.Key)
	if err := decodeBody(h, frame, req); err != nil {
		s.obs.Error(h.Key)
		return err
	}
	respond := true
	if pr, ok := req.(*kmsg.ProduceRequest); ok {
		respond = pr.Acks != 0
	}
	x, err := s.cfg.Chain.OnRequest(s.ctx, s.conn, req)
	// The buffers the request hooks encoded into are this goroutine's until
	// the request is written; the response hooks get their own.
	defer x.TakeBuffers().Release()
	if err != nil {
		s.obs.Error(h.Key)
		return err
	}
	if local := x.Local(); local != nil {
		if !respond {
			return errRefusedAcks0
		}
		e.local = s.localResponse(h, local.AppendTo(nil))
		if len(p) == size {
			if _, err := s.cr.Discard(size); err != nil {
				return err
			}
		}
		return s.push(e)
	}
	if err := s.ensureBackend(); err != nil {
		return err
	}
	buf := encodePool.Get().(*[]byte)
	defer putEncodeBuf(buf)
	out := append(sized(*buf, len(frame)), frame[:4+h.Len]...)
	out = withSize(req.AppendTo(out))
	*buf = out[:0]
	if x.NeedsResponse() {
		e.x = x
	}
	if respond {
		if err := s.push(e); err != nil {
			return err
		}
	}
	if _, err := s.backend.Write(out); err != nil {
		return err
	}
	if len(p) == size {
		_, err = s.cr.Discard(size)
	}
	return err
}

// filterResponse decodes a response a policy asked to see, rewrites the
// brokers it names, runs the chain's response hooks and writes it.
func (s *session) filterResponse(e inflight, p []byte, size int) error {
	frame, pooled, err := readFrame(s.br, p, size)
	defer putFrameBuf(pooled)
	if err != nil {
		return err
	}
	hl, err := protocol.ResponseHeaderLen(frame[4:], e.key, e.version)
	if err != nil {
		return err
	}
	resp := kmsg.ResponseForKey(e.key)
	resp.SetVersion(e.version)
	if err := resp.ReadFrom(frame[4+hl:]); err != nil {
		return fmt.Errorf("%w: decoding %s v%d response: %v", protocol.ErrMalformed, kmsg.NameForKey(e.key), e.version, err)
	}
	if protocol.RewritesResponse(e.key, e.version) {
		protocol.RewriteDecoded(resp, s.cfg.Advertiser)
	}
	err = s.cfg.Chain.OnResponse(s.ctx, e.x, resp)
	defer e.x.TakeBuffers().Release()
	if err != nil {
		return err
	}
	buf := encodePool.Get().(*[]byte)
	defer putEncodeBuf(buf)
	out := append(sized(*buf, len(frame)), frame[:4+hl]...)
	out = withSize(resp.AppendTo(out))
	*buf = out[:0]
	if _, err := s.client.Write(out); err != nil {
		return err
	}
	if len(p) == size {
		_, err = s.br.Discard(size)
	}
	return err
}
