package protocol

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// requestFrame encodes req as a client would, without the size prefix.
func requestFrame(req kmsg.Request, clientID string) []byte {
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID))
	b := f.AppendRequest(nil, req, 7)
	return b[4:]
}

func TestParseRequestHeader(t *testing.T) {
	produce := kmsg.NewPtrProduceRequest()
	produce.Version = 9
	produce.Acks = -1
	meta := kmsg.NewPtrMetadataRequest()
	meta.Version = 12
	apiv := kmsg.NewPtrApiVersionsRequest()
	apiv.Version = 3
	apiv.ClientSoftwareName, apiv.ClientSoftwareVersion = "x", "1"

	tests := []struct {
		name    string
		frame   []byte
		key     int16
		version int16
		client  string
		err     error
	}{
		{"produce v9 flexible", requestFrame(produce, "cid"), 0, 9, "cid", nil},
		{"metadata v12", requestFrame(meta, ""), 3, 12, "", nil},
		{"api versions v3", requestFrame(apiv, "c"), 18, 3, "c", nil},
		{"too short", []byte{0, 3, 0}, 0, 0, "", ErrShortHeader},
		{"unknown key", append([]byte{0x7f, 0x00, 0, 0, 0, 0, 0, 1}, 0xff, 0xff), 0, 0, "", ErrUnknownKey},
		{"broker internal key", append([]byte{0, 4, 0, 0, 0, 0, 0, 1}, 0xff, 0xff), 0, 0, "", ErrUnsupportedVersion},
		{"version too high", append([]byte{0, 3, 0, 99, 0, 0, 0, 1}, 0xff, 0xff), 0, 0, "", ErrUnsupportedVersion},
		{"negative version", append([]byte{0, 3, 0xff, 0xff, 0, 0, 0, 1}, 0xff, 0xff), 0, 0, "", ErrUnsupportedVersion},
		{"client id past end", append([]byte{0, 3, 0, 1, 0, 0, 0, 1}, 0, 9, 'a'), 0, 0, "", ErrShortHeader},
		{"api versions above max parses", append([]byte{0, 18, 0, 99, 0, 0, 0, 5}, 0xff, 0xff), 18, 99, "", nil},
		{"capped key above cap", append([]byte{0, 55, 0, 2, 0, 0, 0, 1}, 0xff, 0xff), 0, 0, "", ErrUnsupportedVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Default.ParseRequestHeader(tc.frame)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Key != tc.key || h.Version != tc.version || h.ClientID != tc.client {
				t.Fatalf("got %+v", h)
			}
			if h.Version <= Default.Max(h.Key) {
				// The body starts right after the header: decoding it gives back the request.
				req := kmsg.RequestForKey(h.Key)
				req.SetVersion(h.Version)
				if err := req.ReadFrom(tc.frame[h.Len:]); err != nil {
					t.Fatalf("body at %d does not decode: %v", h.Len, err)
				}
			}
		})
	}
}

func TestProduceAcks(t *testing.T) {
	for v := int16(0); v <= Default.Max(0); v++ {
		for _, acks := range []int16{0, 1, -1} {
			req := kmsg.NewPtrProduceRequest()
			req.Version = v
			req.Acks = acks
			txn := "tx"
			req.TransactionID = &txn
			frame := requestFrame(req, "c")
			h, err := Default.ParseRequestHeader(frame)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ProduceAcks(frame[h.Len:], v)
			if err != nil || got != acks {
				t.Fatalf("v%d: acks = %d, %v; want %d", v, got, err, acks)
			}
		}
	}
	if _, err := ProduceAcks([]byte{0}, 3); err == nil {
		t.Fatal("short body: no error")
	}
}

func TestIntersectAPIVersions(t *testing.T) {
	resp := kmsg.NewPtrApiVersionsResponse()
	add := func(key, min, max int16) {
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = key, min, max
		resp.ApiKeys = append(resp.ApiKeys, k)
	}
	add(0, 3, 99)  // produce: capped at kmsg max
	add(3, 0, 5)   // metadata: backend lower than gateway
	add(4, 0, 7)   // LeaderAndIsr: broker internal, dropped
	add(55, 0, 2)  // DescribeQuorum: capped at 1
	add(300, 0, 1) // unknown key: dropped
	add(1, 50, 60) // fetch: empty range after capping, dropped
	Default.IntersectAPIVersions(resp)
	got := map[int16][2]int16{}
	for _, k := range resp.ApiKeys {
		got[k.ApiKey] = [2]int16{k.MinVersion, k.MaxVersion}
	}
	want := map[int16][2]int16{0: {3, Default.Max(0)}, 3: {0, 5}, 55: {0, 1}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("key %d: got %v, want %v", k, got[k], w)
		}
	}
}

// fakeAdv maps broker n to gw:9000+n and refuses id 99.
type fakeAdv struct{}

func (fakeAdv) Advertise(id int32) (string, int32, bool) {
	if id == 99 {
		return "", 0, false
	}
	return "gw", 9000 + id, true
}

// rewriteAt encodes resp at every version, rewrites it, and returns the
// decoded results.
func rewriteAt(t *testing.T, key int16, build func(v int16) kmsg.Response) map[int16]kmsg.Response {
	t.Helper()
	out := map[int16]kmsg.Response{}
	max := kmsg.ResponseForKey(key).MaxVersion()
	for v := int16(0); v <= max; v++ {
		if !RewritesResponse(key, v) {
			continue
		}
		resp := build(v)
		resp.SetVersion(v)
		body := resp.AppendTo(nil)
		nb, changed, err := Default.RewriteResponse(nil, key, v, body, fakeAdv{})
		if err != nil {
			t.Fatalf("%s v%d: %v", kmsg.NameForKey(key), v, err)
		}
		if !changed {
			nb = body
		}
		dec := kmsg.ResponseForKey(key)
		dec.SetVersion(v)
		if err := dec.ReadFrom(nb); err != nil {
			t.Fatalf("%s v%d: rewritten body does not decode: %v", kmsg.NameForKey(key), v, err)
		}
		out[v] = dec
	}
	if len(out) == 0 {
		t.Fatalf("%s: no version rewritten", kmsg.NameForKey(key))
	}
	return out
}

func TestRewriteMetadata(t *testing.T) {
	for v, r := range rewriteAt(t, 3, func(int16) kmsg.Response {
		resp := kmsg.NewPtrMetadataResponse()
		for _, id := range []int32{0, 1, 99} {
			b := kmsg.NewMetadataResponseBroker()
			b.NodeID, b.Host, b.Port = id, "kafka-internal", 9092
			resp.Brokers = append(resp.Brokers, b)
		}
		return resp
	}) {
		resp := r.(*kmsg.MetadataResponse)
		if len(resp.Brokers) != 2 {
			t.Fatalf("v%d: %d brokers, want 2 (99 dropped)", v, len(resp.Brokers))
		}
		for _, b := range resp.Brokers {
			if b.Host != "gw" || b.Port != 9000+b.NodeID {
				t.Errorf("v%d: broker %d -> %s:%d", v, b.NodeID, b.Host, b.Port)
			}
		}
	}
}

func TestRewriteFindCoordinator(t *testing.T) {
	for v, r := range rewriteAt(t, 10, func(v int16) kmsg.Response {
		resp := kmsg.NewPtrFindCoordinatorResponse()
		resp.NodeID, resp.Host, resp.Port = 2, "kafka-internal", 9092
		for _, id := range []int32{1, 99, -1} {
			c := kmsg.NewFindCoordinatorResponseCoordinator()
			c.NodeID, c.Host, c.Port = id, "kafka-internal", 9092
			if id == -1 {
				c.ErrorCode = 15
			}
			resp.Coordinators = append(resp.Coordinators, c)
		}
		return resp
	}) {
		resp := r.(*kmsg.FindCoordinatorResponse)
		if v < 4 {
			if resp.Host != "gw" || resp.Port != 9002 {
				t.Errorf("v%d: %s:%d", v, resp.Host, resp.Port)
			}
			continue
		}
		c := resp.Coordinators
		if c[0].Host != "gw" || c[0].Port != 9001 {
			t.Errorf("v%d: coordinator 1 -> %s:%d", v, c[0].Host, c[0].Port)
		}
		if c[1].ErrorCode != 15 || c[1].Host != "" {
			t.Errorf("v%d: unmappable coordinator should be COORDINATOR_NOT_AVAILABLE, got %+v", v, c[1])
		}
		if c[2].ErrorCode != 15 || c[2].Host != "kafka-internal" {
			t.Errorf("v%d: error entry changed: %+v", v, c[2])
		}
	}
}

func TestRewriteDescribeCluster(t *testing.T) {
	for v, r := range rewriteAt(t, 60, func(int16) kmsg.Response {
		resp := kmsg.NewPtrDescribeClusterResponse()
		b := kmsg.NewDescribeClusterResponseBroker()
		b.NodeID, b.Host, b.Port = 3, "kafka-internal", 9092
		resp.Brokers = append(resp.Brokers, b)
		return resp
	}) {
		b := r.(*kmsg.DescribeClusterResponse).Brokers
		if len(b) != 1 || b[0].Host != "gw" || b[0].Port != 9003 {
			t.Errorf("v%d: %+v", v, b)
		}
	}
	// Controllers are refused.
	for v, r := range rewriteAt(t, 60, func(v int16) kmsg.Response {
		resp := kmsg.NewPtrDescribeClusterResponse()
		if v >= 1 {
			resp.EndpointType = 2
		}
		b := kmsg.NewDescribeClusterResponseBroker()
		b.NodeID, b.Host, b.Port = 3000, "controller", 9093
		resp.Brokers = append(resp.Brokers, b)
		return resp
	}) {
		resp := r.(*kmsg.DescribeClusterResponse)
		if v >= 1 && (resp.ErrorCode != 114 || len(resp.Brokers) != 0) {
			t.Errorf("v%d: controllers not refused: %+v", v, resp)
		}
	}
}

func TestRewriteLeaderEndpoints(t *testing.T) {
	produce := rewriteAt(t, 0, func(int16) kmsg.Response {
		resp := kmsg.NewPtrProduceResponse()
		b := kmsg.NewProduceResponseBroker()
		b.NodeID, b.Host, b.Port = 1, "kafka-internal", 9092
		resp.Brokers = append(resp.Brokers, b)
		return resp
	})
	for v, r := range produce {
		b := r.(*kmsg.ProduceResponse).Brokers
		if v < 10 || len(b) != 1 || b[0].Host != "gw" || b[0].Port != 9001 {
			t.Errorf("produce v%d: %+v", v, b)
		}
	}
	fetch := rewriteAt(t, 1, func(int16) kmsg.Response {
		resp := kmsg.NewPtrFetchResponse()
		b := kmsg.NewFetchResponseBroker()
		b.NodeID, b.Host, b.Port = 2, "kafka-internal", 9092
		resp.Brokers = append(resp.Brokers, b)
		return resp
	})
	for v, r := range fetch {
		b := r.(*kmsg.FetchResponse).Brokers
		if v < 16 || len(b) != 1 || b[0].Host != "gw" || b[0].Port != 9002 {
			t.Errorf("fetch v%d: %+v", v, b)
		}
	}
	for v, r := range rewriteAt(t, 78, func(int16) kmsg.Response {
		resp := kmsg.NewPtrShareFetchResponse()
		n := kmsg.NewShareFetchResponseNodeEndpoint()
		n.NodeID, n.Host, n.Port = 0, "kafka-internal", 9092
		resp.NodeEndpoints = append(resp.NodeEndpoints, n)
		return resp
	}) {
		n := r.(*kmsg.ShareFetchResponse).NodeEndpoints
		if len(n) != 1 || n[0].Host != "gw" || n[0].Port != 9000 {
			t.Errorf("share fetch v%d: %+v", v, n)
		}
	}
	for v, r := range rewriteAt(t, 79, func(int16) kmsg.Response {
		resp := kmsg.NewPtrShareAcknowledgeResponse()
		n := kmsg.NewShareAcknowledgeResponseNodeEndpoint()
		n.NodeID, n.Host, n.Port = 0, "kafka-internal", 9092
		resp.NodeEndpoints = append(resp.NodeEndpoints, n)
		return resp
	}) {
		n := r.(*kmsg.ShareAcknowledgeResponse).NodeEndpoints
		if len(n) != 1 || n[0].Host != "gw" || n[0].Port != 9000 {
			t.Errorf("share acknowledge v%d: %+v", v, n)
		}
	}
}

// A produce or fetch response without leader endpoints is forwarded as is.
func TestRewriteUnchangedWithoutEndpoints(t *testing.T) {
	resp := kmsg.NewPtrFetchResponse()
	resp.Version = 16
	body := resp.AppendTo(nil)
	_, changed, err := Default.RewriteResponse(nil, 1, 16, body, fakeAdv{})
	if err != nil || changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	if RewritesResponse(1, 15) || RewritesResponse(0, 9) || RewritesResponse(2, 5) {
		t.Fatal("rewrites a version without broker addresses")
	}
}

func TestRewriteAPIVersions(t *testing.T) {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 3
	for _, key := range []int16{0, 4, 18} {
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MaxVersion = key, 100
		resp.ApiKeys = append(resp.ApiKeys, k)
	}
	out, changed, err := Default.RewriteResponse(nil, 18, 3, resp.AppendTo(nil), fakeAdv{})
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	dec := kmsg.NewPtrApiVersionsResponse()
	dec.Version = 3
	if err := dec.ReadFrom(out); err != nil {
		t.Fatal(err)
	}
	if len(dec.ApiKeys) != 2 || dec.ApiKeys[1].MaxVersion != Default.Max(18) {
		t.Fatalf("%+v", dec.ApiKeys)
	}
	// A backend's UNSUPPORTED_VERSION answer is a v0 body whatever the request version.
	v0 := kmsg.NewPtrApiVersionsResponse()
	v0.ErrorCode = 35
	k := kmsg.NewApiVersionsResponseApiKey()
	k.ApiKey, k.MaxVersion = 18, 2
	v0.ApiKeys = append(v0.ApiKeys, k)
	out, _, err = Default.RewriteResponse(nil, 18, 4, v0.AppendTo(nil), fakeAdv{})
	if err != nil {
		t.Fatal(err)
	}
	dec = kmsg.NewPtrApiVersionsResponse()
	if err := dec.ReadFrom(out); err != nil || dec.ErrorCode != 35 || dec.ApiKeys[0].MaxVersion != 2 {
		t.Fatalf("%+v %v", dec, err)
	}
	// The gateway's own answer to a too new request.
	dec = kmsg.NewPtrApiVersionsResponse()
	if err := dec.ReadFrom(Default.UnsupportedAPIVersions(nil)); err != nil || dec.ErrorCode != 35 || dec.ApiKeys[0].MaxVersion != Default.Max(18) {
		t.Fatalf("%+v %v", dec, err)
	}
}

func TestRewriteAPIVersionsRequest(t *testing.T) {
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 5
	req.ClientSoftwareName, req.ClientSoftwareVersion = "c", "1"
	id := "cluster"
	req.ClusterID, req.NodeID = &id, 2
	body := req.AppendTo(nil)
	if _, changed, _ := RewriteAPIVersionsRequest(nil, 5, body, false); changed {
		t.Fatal("broker port: request changed")
	}
	out, changed, err := RewriteAPIVersionsRequest(nil, 5, body, true)
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	dec := kmsg.NewPtrApiVersionsRequest()
	dec.Version = 5
	if err := dec.ReadFrom(out); err != nil || dec.ClusterID != nil || dec.NodeID != -1 || dec.ClientSoftwareName != "c" {
		t.Fatalf("%+v %v", dec, err)
	}
}

func TestResponseHeader(t *testing.T) {
	b := AppendResponseHeader(nil, 3, 12, 42)
	if len(b) != 5 {
		t.Fatalf("flexible header is %d bytes", len(b))
	}
	if n, err := ResponseHeaderLen(b, 3, 12); err != nil || n != 5 {
		t.Fatal(n, err)
	}
	if b := AppendResponseHeader(nil, 18, 3, 1); len(b) != 4 {
		t.Fatal("ApiVersions response header must be v0")
	}
	withTag := kbin.AppendInt32(nil, 1)
	withTag = append(withTag, 1, 5, 2, 'x', 'y')
	if n, err := ResponseHeaderLen(withTag, 3, 12); err != nil || n != len(withTag) {
		t.Fatal(n, err)
	}
	if _, err := ResponseHeaderLen(withTag[:6], 3, 12); err == nil {
		t.Fatal("truncated tags: no error")
	}
}

func TestVersionCaps(t *testing.T) {
	v := NewVersions(map[int16]int16{1: FetchWithoutLeaderEndpoints})
	if v.Max(1) != 15 || Default.Max(1) <= 15 {
		t.Fatalf("fetch max: capped %d, default %d", v.Max(1), Default.Max(1))
	}
	if _, err := v.ParseRequestHeader(append([]byte{0, 1, 0, 16, 0, 0, 0, 1}, 0xff, 0xff, 0)); !errors.Is(err, ErrUnsupportedVersion) {
		t.Fatalf("fetch v16 with the cap: %v", err)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	k := kmsg.NewApiVersionsResponseApiKey()
	k.ApiKey, k.MinVersion, k.MaxVersion = 1, 4, 18
	resp.ApiKeys = append(resp.ApiKeys, k)
	v.IntersectAPIVersions(resp)
	if resp.ApiKeys[0].MaxVersion != 15 {
		t.Fatalf("advertised fetch max %d", resp.ApiKeys[0].MaxVersion)
	}
	if Default.Max(4) != -1 || Default.Supported(4, 0) {
		t.Fatal("broker-internal LeaderAndIsr served")
	}
}
