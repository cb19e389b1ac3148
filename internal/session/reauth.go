// Re-authentication of the backend connection (KIP-368): when the broker
// granted the gateway's own SASL login a limited lifetime, the session runs
// a new exchange between two of the client's requests, with correlation
// ids of its own, and the client never sees it.

package session

import (
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/protocol"
)

// reauthLead is how long before its planned time a backend connection
// starts re-authenticating: a quarter of the session's lifetime, at most a
// minute, so that requests in flight have time to finish first.
func reauthLead(lifetime time.Duration) time.Duration {
	return min(lifetime/4, time.Minute)
}

// awaitIdle waits until no request is in flight on the backend connection.
func (s *session) awaitIdle() error {
	for s.pending.Load() > 0 {
		select {
		case <-s.respDone:
			return net.ErrClosed
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// reauthClientID is the client id of the gateway's own requests.
const reauthClientID = "strait"

// reauthenticate runs a SASL exchange on the backend connection. No client
// request is written while it runs: the broker reads nothing else between
// a handshake and the end of its exchange.
func (s *session) reauthenticate() error {
	if s.cfg.Reauth == nil {
		return nil
	}
	x, err := s.cfg.Reauth(s.ctx, s.bauth)
	if err != nil {
		return fmt.Errorf("re-authenticating to the backend: %w", err)
	}
	var resp kmsg.Response
	for {
		req, err := x.Next(resp)
		if err != nil {
			return err
		}
		if req == nil {
			break
		}
		// Clients number their requests from 0 up; the gateway's own go
		// down from -1, so the two never meet.
		s.internalCorr--
		corr := s.internalCorr
		frame := protocol.AppendRequestHeader(make([]byte, 4, 64), req.Key(), req.GetVersion(), corr, reauthClientID)
		frame = withSize(req.AppendTo(frame))
		ch := make(chan []byte, 1)
		if err := s.push(inflight{key: req.Key(), version: req.GetVersion(), corr: corr, internal: ch}); err != nil {
			return err
		}
		if _, err := s.backend.Write(frame); err != nil {
			return err
		}
		var body []byte
		select {
		case body = <-ch:
		case <-s.respDone:
			return fmt.Errorf("re-authenticating to the backend: connection closed")
		}
		resp = req.ResponseKind()
		resp.SetVersion(req.GetVersion())
		if err := resp.ReadFrom(body); err != nil {
			return fmt.Errorf("%w: decoding %s response: %v", protocol.ErrMalformed, kmsg.NameForKey(req.Key()), err)
		}
	}
	s.bauth = x.Auth()
	s.log.Debug("backend connection re-authenticated")
	return nil
}

// internalResponse hands the response to one of the gateway's own requests
// to the request loop.
func (s *session) internalResponse(e inflight, p []byte, size int) error {
	frame, pooled, err := readFrame(s.br, p, size)
	defer putFrameBuf(pooled)
	if err != nil {
		return err
	}
	hl, err := protocol.ResponseHeaderLen(frame[4:], e.key, e.version)
	if err != nil {
		return err
	}
	e.internal <- append([]byte(nil), frame[4+hl:]...)
	if len(p) == size {
		_, err = s.br.Discard(size)
	}
	return err
}
