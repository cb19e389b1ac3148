package session

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/backend"
)

// startSessionTCP runs a session whose backend is a TCP connection, which
// the idle watcher can watch; the harness's backend side is the accepted
// end.
func startSessionTCP(t *testing.T) *harness {
	t.Helper()
	return startSessionTCPContext(t, context.Background())
}

// startSessionTCPContext is startSessionTCP with the session's context.
func startSessionTCPContext(t *testing.T, ctx context.Context) *harness {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c1, c2 := net.Pipe()
	h := &harness{client: c1, cr: bufio.NewReader(c1), done: make(chan struct{})}
	dialed := make(chan struct{})
	cfg := &Config{
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		MaxFrame: 1 << 20,
		Drain:    time.Second,
		Dial: func(ctx context.Context, _ backend.Mode) (net.Conn, backend.Auth, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, "tcp", ln.Addr().String())
			if err != nil {
				return nil, backend.Auth{}, err
			}
			h.backend = <-accepted
			h.br = bufio.NewReader(h.backend)
			close(dialed)
			return c, backend.Auth{}, nil
		},
		Advertiser: adv{},
	}
	go func() {
		defer close(h.done)
		Serve(ctx, c2, cfg)
	}()
	h.dialed = dialed
	t.Cleanup(func() {
		c1.Close()
		select {
		case <-dialed:
			h.backend.Close()
		default:
		}
		<-h.done
	})
	return h
}

// responseLoops counts the goroutines running a response loop.
func responseLoops() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "session.(*session).responses(")
}

// waitResponseLoops waits until n response loops run.
func waitResponseLoops(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for responseLoops() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d response loops run, want %d", responseLoops(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// roundTrip sends a Metadata request through the session and answers it
// from the backend side.
func roundTrip(t *testing.T, h *harness, corr int32) {
	t.Helper()
	req := metadataRequest("orders")
	go func() { _, _ = h.client.Write(frame(req, corr)) }()
	<-h.dialed
	nextFrame(t, h.br)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	resp.Version = req.Version
	respond(t, h.backend, resp, corr)
	got := nextFrame(t, h.cr)
	if c := int32(got[0])<<24 | int32(got[1])<<16 | int32(got[2])<<8 | int32(got[3]); c != corr {
		t.Fatalf("client got correlation id %d, want %d", c, corr)
	}
}

// TestSessionParksWhenIdle: an idle connection runs no response loop,
// before its first request and after its answers; a request starts the
// loop again, and the connection keeps working across parks.
func TestSessionParksWhenIdle(t *testing.T) {
	if idleWatcher() == nil {
		t.Skip("no idle watcher on this system")
	}
	h := startSessionTCP(t)
	waitResponseLoops(t, 0)
	for corr := int32(1); corr <= 3; corr++ {
		roundTrip(t, h, corr)
		waitResponseLoops(t, 0)
	}
}

// TestSessionParkedBackendCloseClosesClient: a backend that closes the
// connection while the session is parked closes the client at once, not
// at its next request.
func TestSessionParkedBackendCloseClosesClient(t *testing.T) {
	h := parkedSession(t)
	h.backend.Close()
	_ = h.client.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := h.cr.ReadByte()
	if err != io.EOF && !errorsIsClosed(err) {
		t.Fatalf("client read after the backend closed: %v, want the connection closed", err)
	}
	waitEnded(t, h, "its backend closed")
}

// TestSessionParkedBackendGarbage: bytes from the backend with nothing in
// flight end the session, parked or not.
func TestSessionParkedBackendGarbage(t *testing.T) {
	h := parkedSession(t)
	if _, err := h.backend.Write([]byte{0, 0, 0, 4, 0, 0, 0, 9}); err != nil {
		t.Fatal(err)
	}
	waitEnded(t, h, "the backend sent a response to nothing")
}

// parkedSession returns a session that answered one request and parked.
func parkedSession(t *testing.T) *harness {
	t.Helper()
	if idleWatcher() == nil {
		t.Skip("no idle watcher on this system")
	}
	h := startSessionTCP(t)
	roundTrip(t, h, 1)
	waitResponseLoops(t, 0)
	return h
}

// waitEnded fails unless the session ends within 5s.
func waitEnded(t *testing.T, h *harness, after string) {
	t.Helper()
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		t.Fatal("session still runs after " + after)
	}
}

func errorsIsClosed(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "closed") || err == io.ErrClosedPipe)
}

// TestSessionParkStress interleaves requests the backend answers, after
// a random pause, with requests the gateway answers itself (ApiVersions of
// a version it does not serve), each sent when the answer before it came,
// some after a pause long enough for the loop to park: the backend's
// answers race the loop's parking and resuming. Every answer must come, in
// order.
func TestSessionParkStress(t *testing.T) {
	if idleWatcher() == nil {
		t.Skip("no idle watcher on this system")
	}
	h := startSessionTCP(t)
	roundTrip(t, h, 0)
	backendCorr := make(chan int32, 1)
	go func() {
		for corr := range backendCorr {
			nextFrame(t, h.br)
			time.Sleep(time.Duration(corr%7) * 50 * time.Microsecond)
			resp := kmsg.NewPtrMetadataResponse()
			resp.Version = 12
			b := binary.BigEndian.AppendUint32(make([]byte, 4, 64), uint32(corr))
			b = append(b, 0)
			b = resp.AppendTo(b)
			binary.BigEndian.PutUint32(b, uint32(len(b)-4))
			if _, err := h.backend.Write(b); err != nil {
				return
			}
		}
	}()
	defer close(backendCorr)
	local := kmsg.NewPtrApiVersionsRequest()
	local.Version = 99
	_ = h.client.SetDeadline(time.Now().Add(60 * time.Second))
	for corr := int32(1); corr <= 600; corr++ {
		var f []byte
		if corr%3 == 0 {
			f = frame(local, corr)
		} else {
			f = frame(metadataRequest("orders"), corr)
			backendCorr <- corr
		}
		switch {
		case corr%40 == 0: // long enough to park
			time.Sleep(parkAfter + time.Duration(corr%3)*time.Millisecond)
		case corr%5 == 0:
			time.Sleep(time.Duration(corr%4) * 100 * time.Microsecond)
		}
		if _, err := h.client.Write(f); err != nil {
			t.Fatal(err)
		}
		got := nextFrame(t, h.cr)
		if c := int32(binary.BigEndian.Uint32(got)); c != corr {
			t.Fatalf("answer %d has correlation id %d", corr, c)
		}
	}
}

// TestSessionParkedDrains: a gateway that shuts down ends a parked
// session within its drain time, and the client sees its connection
// close.
func TestSessionParkedDrains(t *testing.T) {
	if idleWatcher() == nil {
		t.Skip("no idle watcher on this system")
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := startSessionTCPContext(t, ctx)
	roundTrip(t, h, 1)
	waitResponseLoops(t, 0)
	cancel()
	waitEnded(t, h, "the gateway shut down")
	_ = h.client.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := h.cr.ReadByte(); err == nil {
		t.Fatal("client read a byte from a drained session")
	}
}
