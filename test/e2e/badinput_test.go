// Bad input through the gateway: what a client sees, and that nobody else
// is affected.
package e2e

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/testenv"
)

// rawConn dials addr for hand-made frames.
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// expectClosed reads until the gateway closes the connection; it must not
// answer with a frame and must close promptly.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err == nil {
		t.Fatalf("gateway answered %d bytes instead of closing: %x", n, buf[:n])
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("connection still open after 10s")
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		t.Logf("closed with %v", err)
	}
}

// frame builds a size-prefixed frame from a header and body.
func frame(key, version int16, corr int32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(key))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = append(b, 0xff, 0xff) // null client id
	b = append(b, body...)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

func TestBadFramesCloseOnlyThatConnection(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{MaxFrameBytes: 1 << 20})

	// A healthy client produces before, during and after the bad ones.
	good := newClient(t, gw.Bootstrap, kgo.AllowAutoTopicCreation())
	produce(t, good, "healthy", 10, "before")

	oversized := binary.BigEndian.AppendUint32(nil, 2<<20)
	negative := binary.BigEndian.AppendUint32(nil, 0xffffffff)
	tests := []struct {
		name  string
		bytes []byte
	}{
		{"oversized frame", oversized},
		{"negative size", negative},
		{"unknown api key", frame(1000, 0, 1, nil)},
		{"broker-internal api key", frame(4, 0, 1, nil)},
		{"unsupported version", frame(3, 999, 1, nil)},
		{"header shorter than its fields", append(binary.BigEndian.AppendUint32(nil, 3), 0, 3, 0)},
		{"client id longer than frame", append(binary.BigEndian.AppendUint32(nil, 10), 0, 3, 0, 1, 0, 0, 0, 1, 0x7f, 0xff)},
		{"produce without acks", frame(0, 3, 1, []byte{0xff})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := rawConn(t, gw.Bootstrap)
			if _, err := c.Write(tc.bytes); err != nil {
				t.Fatal(err)
			}
			expectClosed(t, c)
			produce(t, good, "healthy", 10, tc.name)
		})
	}
	cons := newClient(t, gw.Bootstrap, kgo.ConsumeTopics("healthy"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if got := consume(t, cons, 10*(len(tests)+1)); len(got) != 10*(len(tests)+1) {
		t.Fatalf("healthy client: %d records", len(got))
	}
}

// A client asking ApiVersions at a version above the gateway's gets
// UNSUPPORTED_VERSION with the versions to retry with, like from a broker.
func TestAPIVersionsTooNew(t *testing.T) {
	k := testenv.Embedded(t, 1)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	c := rawConn(t, gw.Bootstrap)
	if _, err := c.Write(frame(18, 99, 77, []byte{0, 0, 0})); err != nil {
		t.Fatal(err)
	}
	var size int32
	if err := binary.Read(c, binary.BigEndian, &size); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatal(err)
	}
	if corr := int32(binary.BigEndian.Uint32(body)); corr != 77 {
		t.Fatalf("correlation id %d", corr)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	if err := resp.ReadFrom(body[4:]); err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != 35 || len(resp.ApiKeys) != 1 || resp.ApiKeys[0].ApiKey != 18 || resp.ApiKeys[0].MaxVersion < 3 {
		t.Fatalf("%+v", resp)
	}
}

// ApiVersions through the gateway never lists broker-internal keys nor
// versions the gateway cannot rewrite.
func TestAPIVersionsIntersection(t *testing.T) {
	k := testenv.Embedded(t, 1)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	cl := newClient(t, gw.Bootstrap)
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctxT(t, 10*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	direct := newClient(t, k.Bootstrap[0])
	dresp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctxT(t, 10*time.Second), direct)
	if err != nil {
		t.Fatal(err)
	}
	dmax := map[int16]int16{}
	for _, k := range dresp.ApiKeys {
		dmax[k.ApiKey] = k.MaxVersion
	}
	keys := map[int16]bool{}
	for _, k := range resp.ApiKeys {
		keys[k.ApiKey] = true
		if k.MaxVersion > dmax[k.ApiKey] || k.MaxVersion > kmsg.RequestForKey(k.ApiKey).MaxVersion() {
			t.Errorf("%s: max %d above backend %d or kmsg", kmsg.NameForKey(k.ApiKey), k.MaxVersion, dmax[k.ApiKey])
		}
	}
	for _, internal := range []int16{4, 5, 6, 7, 27, 52, 56, 62, 63, 67} {
		if keys[internal] {
			t.Errorf("broker-internal %s advertised", kmsg.NameForKey(internal))
		}
	}
	for _, needed := range []int16{0, 1, 3, 10, 11, 18, 19, 22, 60} {
		if !keys[needed] {
			t.Errorf("%s not advertised", kmsg.NameForKey(needed))
		}
	}
}

// A backend that is down: clients are disconnected at once (a client with
// a backend connection when it goes; a new client at its first request,
// when its backend connection is dialed), the gateway keeps running, and
// clients recover when the backend returns.
func TestBackendDownAndBack(t *testing.T) {
	ports := testenv.FreePorts(t, 1)
	k := testenv.Embedded(t, 1, kfakePorts(ports)...)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	cl := newClient(t, gw.Bootstrap, kgo.AllowAutoTopicCreation())
	produce(t, cl, "survive", 5, "up")

	// An idle client whose backend connection is up when the backend goes:
	// one ApiVersions round trip dials it.
	brokerAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(gw.FirstBrokerPort))
	idle := rawConn(t, brokerAddr)
	apiVersionsRoundTrip(t, idle)
	testenv.WaitFor(t, 5*time.Second, "idle client's session", func() bool {
		_, body := httpGet(t, "http://"+gw.AdminAddr()+"/metrics")
		v, _ := metricValue(body, `strait_client_connections_active{listener="plain",virtual_cluster="vc"}`)
		return v >= 2
	})

	k.Fake.Close()
	start := time.Now()
	expectClosed(t, idle)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("idle client disconnected after %v", d)
	}
	// A new client while the backend is down, at its first request.
	c := rawConn(t, brokerAddr)
	if _, err := c.Write(frame(18, 0, 1, nil)); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	expectClosed(t, c)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("disconnect took %v", d)
	}
	// Same ports again: the gateway reconnects by itself.
	testenv.Embedded(t, 1, kfakePorts(ports)...)
	adm := kadm.NewClient(newClient(t, gw.Bootstrap))
	testenv.WaitFor(t, 30*time.Second, "metadata through the gateway after the backend returned", func() bool {
		_, err := adm.BrokerMetadata(ctxT(t, 2*time.Second))
		return err == nil
	})
	// The new cluster is empty: a new topic, through the same client.
	produce(t, cl, "survive-again", 5, "back")
}

// apiVersionsRoundTrip asks ApiVersions v0 on c and reads the answer.
func apiVersionsRoundTrip(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := c.Write(frame(18, 0, 1, nil)); err != nil {
		t.Fatal(err)
	}
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		t.Fatalf("ApiVersions answer: %v", err)
	}
	if _, err := io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint32(size[:]))); err != nil {
		t.Fatalf("ApiVersions answer: %v", err)
	}
}

func kfakePorts(ports ...int) []kfake.Opt { return []kfake.Opt{kfake.Ports(ports...)} }
