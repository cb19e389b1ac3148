package session

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/backend"
	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/protocol"
)

// adv advertises every broker at gw:9000+id.
type adv struct{}

func (adv) Advertise(id int32) (string, int32, bool) { return "gw", 9000 + id, true }

// denyCreate answers CreateTopics itself and renames the topics of
// Metadata requests, restoring them in responses.
type denyCreate struct{}

func (denyCreate) Name() string { return "test" }
func (denyCreate) RequestKeys() policy.KeySet {
	return policy.Keys(kmsg.CreateTopics.Int16(), kmsg.Metadata.Int16(), kmsg.Produce.Int16())
}

func (denyCreate) Request(_ context.Context, x *policy.Exchange) error {
	switch r := x.Request.(type) {
	case *kmsg.CreateTopicsRequest, *kmsg.ProduceRequest:
		return x.Fail(kerr.PolicyViolation.Code, "no")
	case *kmsg.MetadataRequest:
		for i := range r.Topics {
			r.Topics[i].Topic = kmsg.StringPtr("p." + *r.Topics[i].Topic)
		}
		x.WantResponse()
	}
	return nil
}

func (denyCreate) Response(_ context.Context, _ *policy.Exchange, resp kmsg.Response) error {
	m := resp.(*kmsg.MetadataResponse)
	for i := range m.Topics {
		n := *m.Topics[i].Topic
		m.Topics[i].Topic = kmsg.StringPtr(n[len("p."):])
	}
	return nil
}

// harness runs one session between a client pipe and a backend pipe.
type harness struct {
	client  net.Conn
	backend net.Conn
	cr, br  *bufio.Reader
	done    chan struct{}
	// dialed is closed once backend and br are set, for a harness that
	// dials its backend when the session asks.
	dialed chan struct{}
}

func startSession(t *testing.T, chain *policy.Chain) *harness {
	t.Helper()
	return startSessionWith(t, func(c *Config) { c.Chain = chain })
}

// startSessionWith runs a session whose config edit changes.
func startSessionWith(t *testing.T, edit func(*Config)) *harness {
	t.Helper()
	c1, c2 := net.Pipe()
	b1, b2 := net.Pipe()
	h := &harness{client: c1, backend: b2, cr: bufio.NewReader(c1), br: bufio.NewReader(b2), done: make(chan struct{})}
	cfg := &Config{
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		MaxFrame: 1 << 20,
		Drain:    time.Second,
		Dial: func(context.Context, backend.Mode) (net.Conn, backend.Auth, error) {
			return b1, backend.Auth{}, nil
		},
		Advertiser: adv{},
	}
	edit(cfg)
	go func() {
		defer close(h.done)
		Serve(context.Background(), c2, cfg)
	}()
	t.Cleanup(func() {
		c1.Close()
		b2.Close()
		<-h.done
	})
	return h
}

// frame encodes a request with its header.
func frame(req kmsg.Request, corr int32) []byte {
	b := make([]byte, 4, 64)
	b = binary.BigEndian.AppendUint16(b, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(req.GetVersion()))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = binary.BigEndian.AppendUint16(b, 1)
	b = append(b, 'c')
	if req.IsFlexible() {
		b = append(b, 0)
	}
	b = req.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

func nextFrame(t *testing.T, r *bufio.Reader) []byte {
	t.Helper()
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		t.Fatalf("reading frame: %v", err)
	}
	b := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("reading frame: %v", err)
	}
	return b
}

// respond writes resp as the answer to correlation id corr.
func respond(t *testing.T, w io.Writer, resp kmsg.Response, corr int32) {
	t.Helper()
	b := binary.BigEndian.AppendUint32(make([]byte, 4, 64), uint32(corr))
	if resp.IsFlexible() {
		b = append(b, 0)
	}
	b = resp.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
}

func metadataRequest(topic string) *kmsg.MetadataRequest {
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 12
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	return req
}

func TestSessionChainOrderAndRewrite(t *testing.T) {
	chain, err := policy.NewChain(denyCreate{})
	if err != nil {
		t.Fatal(err)
	}
	h := startSession(t, chain)

	// 1: forwarded and rewritten; 2: answered by the policy; 3: not
	// wanted by the chain, spliced as is.
	go func() {
		_, _ = h.client.Write(frame(metadataRequest("orders"), 1))
		ct := kmsg.NewPtrCreateTopicsRequest()
		ct.Version = 7
		tp := kmsg.NewCreateTopicsRequestTopic()
		tp.Topic = "x"
		ct.Topics = append(ct.Topics, tp)
		_, _ = h.client.Write(frame(ct, 2))
		lo := kmsg.NewPtrListOffsetsRequest()
		lo.Version = 7
		_, _ = h.client.Write(frame(lo, 3))
	}()

	// The backend sees the renamed Metadata request, then ListOffsets;
	// never CreateTopics.
	got := nextFrame(t, h.br)
	mreq := kmsg.NewPtrMetadataRequest()
	mreq.Version = 12
	// key, version, correlation id, client id "c", tags.
	if err := mreq.ReadFrom(got[12:]); err != nil {
		t.Fatal(err)
	}
	if *mreq.Topics[0].Topic != "p.orders" {
		t.Fatalf("backend got topic %q, want p.orders", *mreq.Topics[0].Topic)
	}
	lo := nextFrame(t, h.br)
	if key := int16(binary.BigEndian.Uint16(lo)); key != kmsg.ListOffsets.Int16() {
		t.Fatalf("backend got key %d second, want ListOffsets", key)
	}

	// Answer both; the local answer to 2 must come between them.
	mresp := kmsg.NewPtrMetadataResponse()
	mresp.Version = 12
	b := kmsg.NewMetadataResponseBroker()
	b.NodeID, b.Host, b.Port = 1, "backend", 9092
	mresp.Brokers = append(mresp.Brokers, b)
	mt := kmsg.NewMetadataResponseTopic()
	mt.Topic = kmsg.StringPtr("p.orders")
	mresp.Topics = append(mresp.Topics, mt)
	go func() {
		respond(t, h.backend, mresp, 1)
		loResp := kmsg.NewPtrListOffsetsResponse()
		loResp.Version = 7
		respond(t, h.backend, loResp, 3)
	}()

	r1 := nextFrame(t, h.cr)
	if corr := int32(binary.BigEndian.Uint32(r1)); corr != 1 {
		t.Fatalf("first response has correlation id %d, want 1", corr)
	}
	m := kmsg.NewPtrMetadataResponse()
	m.Version = 12
	if err := m.ReadFrom(r1[5:]); err != nil {
		t.Fatal(err)
	}
	if *m.Topics[0].Topic != "orders" || m.Brokers[0].Host != "gw" || m.Brokers[0].Port != 9001 {
		t.Fatalf("metadata response topic %q broker %s:%d; want orders at gw:9001", *m.Topics[0].Topic, m.Brokers[0].Host, m.Brokers[0].Port)
	}
	r2 := nextFrame(t, h.cr)
	if corr := int32(binary.BigEndian.Uint32(r2)); corr != 2 {
		t.Fatalf("second response has correlation id %d, want 2", corr)
	}
	ct := kmsg.NewPtrCreateTopicsResponse()
	ct.Version = 7
	if err := ct.ReadFrom(r2[5:]); err != nil {
		t.Fatal(err)
	}
	if len(ct.Topics) != 1 || ct.Topics[0].Topic != "x" || ct.Topics[0].ErrorCode != kerr.PolicyViolation.Code {
		t.Fatalf("local answer %+v, want topic x with POLICY_VIOLATION", ct.Topics)
	}
	r3 := nextFrame(t, h.cr)
	if corr := int32(binary.BigEndian.Uint32(r3)); corr != 3 {
		t.Fatalf("third response has correlation id %d, want 3", corr)
	}
}

func TestSessionAcksZeroRefusedCloses(t *testing.T) {
	chain, _ := policy.NewChain(denyCreate{})
	h := startSession(t, chain)
	p := kmsg.NewPtrProduceRequest()
	p.Version = 9
	p.Acks = 0
	go func() { _, _ = h.client.Write(frame(p, 1)) }()
	_ = h.client.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := h.cr.ReadByte()
	if !errors.Is(err, io.EOF) {
		t.Fatalf("client read %v; want the connection closed (EOF): a refused acks=0 produce has no response to carry the error", err)
	}
}

func TestSessionNoChainSplicesUnchanged(t *testing.T) {
	h := startSession(t, nil)
	req := metadataRequest("orders")
	want := frame(req, 7)
	go func() { _, _ = h.client.Write(want) }()
	got := nextFrame(t, h.br)
	if string(got) != string(want[4:]) {
		t.Fatalf("backend got %x, want the client's bytes %x", got, want[4:])
	}
	if protocol.Default.Max(kmsg.Metadata.Int16()) < 12 {
		t.Fatal("default versions do not serve Metadata v12")
	}
}

// TestSessionRefusesKeysNotAdvertised pins a gap the isolation suite
// found: a key the backend serves without advertising it was forwarded.
func TestSessionRefusesKeysNotAdvertised(t *testing.T) {
	h := startSession(t, nil)
	av := kmsg.NewPtrApiVersionsRequest()
	av.Version = 3
	av.ClientSoftwareName, av.ClientSoftwareVersion = "t", "1"
	go func() { _, _ = h.client.Write(frame(av, 1)) }()
	nextFrame(t, h.br)
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 3
	for _, k := range []int16{kmsg.ApiVersions.Int16(), kmsg.Metadata.Int16()} {
		ak := kmsg.NewApiVersionsResponseApiKey()
		ak.ApiKey, ak.MaxVersion = k, 3
		resp.ApiKeys = append(resp.ApiKeys, ak)
	}
	go func() {
		b := binary.BigEndian.AppendUint32(make([]byte, 4), 1) // header v0 for ApiVersions
		b = resp.AppendTo(b)
		binary.BigEndian.PutUint32(b, uint32(len(b)-4))
		_, _ = h.backend.Write(b)
	}()
	got := kmsg.NewPtrApiVersionsResponse()
	got.Version = 3
	b := nextFrame(t, h.cr)
	if err := got.ReadFrom(b[4:]); err != nil {
		t.Fatal(err)
	}
	// Metadata v3 passes; ListOffsets, never advertised, closes.
	go func() {
		m := metadataRequest("x")
		m.Version = 3
		_, _ = h.client.Write(frame(m, 2))
		lo := kmsg.NewPtrListOffsetsRequest()
		lo.Version = 1
		_, _ = h.client.Write(frame(lo, 3))
	}()
	if key := int16(binary.BigEndian.Uint16(nextFrame(t, h.br))); key != kmsg.Metadata.Int16() {
		t.Fatalf("backend got key %d, want Metadata", key)
	}
	_ = h.backend.SetReadDeadline(time.Now().Add(2 * time.Second))
	var one [1]byte
	if n, err := h.br.Read(one[:]); n > 0 || err == nil {
		t.Fatalf("backend got more bytes (%d, %v): an unadvertised request was forwarded", n, err)
	}
}

func TestSessionDialsLazilyAndTimesOut(t *testing.T) {
	var dials atomic.Int32
	count := func(c *Config) {
		inner := c.Dial
		c.Dial = func(ctx context.Context, m backend.Mode) (net.Conn, backend.Auth, error) {
			dials.Add(1)
			return inner(ctx, m)
		}
		c.FirstRequestTimeout = 200 * time.Millisecond
	}

	// Nothing sent: closed after the first request timeout, never dialed.
	h := startSessionWith(t, count)
	start := time.Now()
	expectClosed(t, h)
	if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
		t.Errorf("closed after %v, want about the 200ms first request timeout", d)
	}
	if n := dials.Load(); n != 0 {
		t.Fatalf("%d backend dials for a connection that sent nothing", n)
	}

	// A request: one dial, and the timeout no longer applies.
	h = startSessionWith(t, count)
	go func() { _, _ = h.client.Write(frame(metadataRequest("t"), 1)) }()
	nextFrame(t, h.br)
	if n := dials.Load(); n != 1 {
		t.Fatalf("%d backend dials after the first request, want 1", n)
	}
	time.Sleep(400 * time.Millisecond)
	go func() { _, _ = h.client.Write(frame(metadataRequest("t"), 2)) }()
	nextFrame(t, h.br)
}

func TestSessionPreAuthFrameCap(t *testing.T) {
	h := startSessionWith(t, func(c *Config) { c.MaxFrame = 4 << 20 })
	big := kmsg.NewPtrMetadataRequest()
	big.Version = 12
	for i := 0; i < 40000; i++ { // about 600 KiB of topic names
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr("a-topic-name-of-some-length")
		big.Topics = append(big.Topics, rt)
	}
	f := frame(big, 1)
	if len(f) <= preAuthMaxFrame {
		t.Fatalf("test frame of %d bytes is not above the cap", len(f))
	}
	go func() { _, _ = h.client.Write(f) }()
	expectClosed(t, h)
}
