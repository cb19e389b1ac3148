// Connection limits, and a client that speaks Kafka frames by hand.
package e2e

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/testenv"
)

// wire is a client connection that writes requests and reads answers
// frame by frame, so that a test sees exactly what the gateway sends.
type wire struct {
	t *testing.T
	c net.Conn
	f *kmsg.RequestFormatter
}

func dialWire(t *testing.T, addr string) *wire {
	t.Helper()
	return &wire{t: t, c: rawConn(t, addr), f: kmsg.NewRequestFormatter(kmsg.FormatterClientID("e2e"))}
}

// send writes req with correlation id corr.
func (w *wire) send(req kmsg.Request, corr int32) {
	w.t.Helper()
	if _, err := w.c.Write(w.f.AppendRequest(nil, req, corr)); err != nil {
		w.t.Fatalf("writing %s: %v", kmsg.NameForKey(req.Key()), err)
	}
}

// next reads the next answer and returns its correlation id and what
// follows it (the body, after the tagged fields of a flexible header).
func (w *wire) next() (int32, []byte) {
	w.t.Helper()
	corr, body, err := w.tryNext()
	if err != nil {
		w.t.Fatalf("reading an answer: %v", err)
	}
	return corr, body
}

func (w *wire) tryNext() (int32, []byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(w.c, size[:]); err != nil {
		return 0, nil, err
	}
	frame := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(w.c, frame); err != nil {
		return 0, nil, err
	}
	if len(frame) < 4 {
		return 0, nil, errors.New("answer shorter than a correlation id")
	}
	return int32(binary.BigEndian.Uint32(frame)), frame[4:], nil
}

// apiVersions asks for the API versions with correlation id corr and
// fails the test unless the answer is to it and without error.
func (w *wire) apiVersions(corr int32) {
	w.t.Helper()
	if err := w.tryAPIVersions(corr); err != nil {
		w.t.Fatal(err)
	}
}

func (w *wire) tryAPIVersions(corr int32) error {
	w.send(kmsg.NewPtrApiVersionsRequest(), corr)
	got, body, err := w.tryNext()
	if err != nil {
		return err
	}
	if got != corr {
		return errors.New("ApiVersions answered with another correlation id")
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	if err := resp.ReadFrom(body); err != nil {
		return err
	}
	if resp.ErrorCode != 0 {
		return errors.New("ApiVersions answered with an error")
	}
	return nil
}

// TestMaxConnections checks listeners[].max_connections and
// runtime.max_connections: with 3 connections open, a 4th is closed as
// soon as it is accepted and counted in strait_connections_refused_total;
// the 3 go on working; once one closes, a new connection is accepted.
func TestMaxConnections(t *testing.T) {
	k := testenv.Embedded(t, 1)
	tests := []struct {
		name   string
		opts   testenv.Options
		reason string
	}{
		{"listener", testenv.Options{Listener: "max_connections: 3"}, "listener_limit"},
		{"gateway", testenv.Options{Runtime: "max_connections: 3"}, "gateway_limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gw := testenv.StartGateway(t, k, tc.opts)
			var open []*wire
			for i := range 3 {
				w := dialWire(t, gw.Bootstrap)
				w.apiVersions(int32(i))
				open = append(open, w)
			}

			fourth := rawConn(t, gw.Bootstrap)
			_ = fourth.SetReadDeadline(time.Now().Add(5 * time.Second))
			start := time.Now()
			if n, err := fourth.Read(make([]byte, 1)); err != io.EOF {
				t.Fatalf("4th connection: read %d bytes, %v; want EOF (closed at accept)", n, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("4th connection closed after %v, want at once", d)
			}

			for i, w := range open {
				w.apiVersions(int32(10 + i))
			}
			series := `strait_connections_refused_total{listener="plain",reason="` + tc.reason + `"}`
			_, body := httpGet(t, "http://"+gw.AdminAddr()+"/metrics")
			if v, ok := metricValue(body, series); !ok || v != 1 {
				t.Errorf("%s = %v (found %v), want 1", series, v, ok)
			}

			// One leaves: its place is given back when its session ends.
			open[0].c.Close()
			testenv.WaitFor(t, 10*time.Second, "a new connection accepted after one closed", func() bool {
				w := dialWire(t, gw.Bootstrap)
				defer w.c.Close()
				return w.tryAPIVersions(99) == nil
			})
			for i, w := range open[1:] {
				w.apiVersions(int32(20 + i))
			}
		})
	}
}
