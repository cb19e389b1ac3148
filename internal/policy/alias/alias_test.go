package alias

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
)

// The aliases of every test: orders-v1 always names orders; orders-cert
// names it only for clients with a certificate; legacy names billing and
// hides a real topic called legacy.
var testAliases = []config.TopicAlias{
	{Alias: "orders-v1", Topic: "orders", Conflict: "warn"},
	{Alias: "orders-cert", Topic: "orders", Condition: "context.auth.type == 'client_certificate'", Conflict: "ignore"},
	{Alias: "legacy", Topic: "billing", Conflict: "warn"},
}

var ordersID = [16]byte{1, 2, 3}

type harness struct {
	t      *testing.T
	chain  *policy.Chain
	log    *bytes.Buffer
	denied *countDenied
}

type countDenied struct{ n int }

func (c *countDenied) Denied(vc, policy string) { c.n++ }

func newHarness(t *testing.T) *harness {
	t.Helper()
	var log bytes.Buffer
	denied := &countDenied{}
	p, err := New(testAliases, nil, policy.Env{
		VirtualCluster: "vc",
		Log:            slog.New(slog.NewTextHandler(&log, nil)),
		Metrics:        denied,
	})
	if err != nil {
		t.Fatal(err)
	}
	chain, err := policy.NewChain(p)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, chain: chain, log: &log, denied: denied}
}

func anonymous() *policy.Conn {
	c := &policy.Conn{VirtualCluster: "vc"}
	c.SetAuth(policy.Auth{Type: "anonymous"})
	return c
}

func withCert() *policy.Conn {
	c := &policy.Conn{VirtualCluster: "vc"}
	c.SetAuth(policy.Auth{Type: "client_certificate", Principal: "CN=app"})
	return c
}

// exchange runs req through the chain on conn. When the chain forwards
// the request and wants the response, backend (which sees the forwarded
// request) makes it; the response the client gets is returned.
func (h *harness) exchange(conn *policy.Conn, req kmsg.Request, backend func(kmsg.Request) kmsg.Response) kmsg.Response {
	h.t.Helper()
	x, err := h.chain.OnRequest(context.Background(), conn, req)
	if err != nil {
		h.t.Fatalf("request: %v", err)
	}
	if l := x.Local(); l != nil {
		return l
	}
	if backend == nil {
		return nil
	}
	resp := backend(x.Request)
	resp.SetVersion(req.GetVersion())
	if !x.NeedsResponse() {
		return resp
	}
	if err := h.chain.OnResponse(context.Background(), x, resp); err != nil {
		h.t.Fatalf("response: %v", err)
	}
	return resp
}

func ptr[T any](v T) *T { return &v }

// --- Metadata ---

func metadataReq(version int16, topics ...string) *kmsg.MetadataRequest {
	req := kmsg.NewPtrMetadataRequest()
	req.Version = version
	if topics == nil {
		req.Topics = nil
		return req
	}
	req.Topics = []kmsg.MetadataRequestTopic{}
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = ptr(t)
		req.Topics = append(req.Topics, rt)
	}
	return req
}

func requestedTopics(req *kmsg.MetadataRequest) []string {
	var out []string
	for _, t := range req.Topics {
		out = append(out, *t.Topic)
	}
	return out
}

// fakeMetadata answers like a backend with topics orders (3 partitions,
// ordersID), billing (1) and legacy (1): unknown names get
// UNKNOWN_TOPIC_OR_PARTITION, a null list gets every topic.
func fakeMetadata(seen *[]string) func(kmsg.Request) kmsg.Response {
	known := map[string]int{"orders": 3, "billing": 1, "legacy": 1}
	ids := map[string][16]byte{"orders": ordersID, "billing": {9}, "legacy": {8}}
	return func(r kmsg.Request) kmsg.Response {
		req := r.(*kmsg.MetadataRequest)
		resp := kmsg.NewPtrMetadataResponse()
		names := requestedTopics(req)
		if req.Topics == nil {
			names = []string{"billing", "legacy", "orders"}
		}
		if seen != nil {
			*seen = names
		}
		for _, n := range names {
			t := kmsg.NewMetadataResponseTopic()
			t.Topic = ptr(n)
			parts, ok := known[n]
			if !ok {
				t.ErrorCode = kerr.UnknownTopicOrPartition.Code
			}
			t.TopicID = ids[n]
			for i := range parts {
				p := kmsg.NewMetadataResponseTopicPartition()
				p.Partition = int32(i)
				t.Partitions = append(t.Partitions, p)
			}
			resp.Topics = append(resp.Topics, t)
		}
		return resp
	}
}

type metaTopic struct {
	name  string
	id    [16]byte
	parts int
	err   int16
}

func metaTopics(resp kmsg.Response) []metaTopic {
	var out []metaTopic
	for _, t := range resp.(*kmsg.MetadataResponse).Topics {
		out = append(out, metaTopic{*t.Topic, t.TopicID, len(t.Partitions), t.ErrorCode})
	}
	return out
}

func TestMetadata(t *testing.T) {
	unknown := kerr.UnknownTopicOrPartition.Code
	for _, tc := range []struct {
		name    string
		conn    *policy.Conn
		version int16
		topics  []string
		forward []string
		want    []metaTopic
	}{
		{
			name: "alias", conn: anonymous(), version: 12, topics: []string{"orders-v1"},
			forward: []string{"orders"},
			want:    []metaTopic{{"orders-v1", [16]byte{}, 3, 0}},
		},
		{
			name: "alias and target asked once", conn: anonymous(), version: 12, topics: []string{"orders-v1", "billing", "orders"},
			forward: []string{"orders", "billing"},
			want:    []metaTopic{{"orders-v1", [16]byte{}, 3, 0}, {"orders", ordersID, 3, 0}, {"billing", [16]byte{9}, 1, 0}},
		},
		{
			name: "conditioned alias absent for anonymous", conn: anonymous(), version: 12, topics: []string{"orders-cert"},
			forward: []string{"orders-cert"},
			want:    []metaTopic{{"orders-cert", [16]byte{}, 0, unknown}},
		},
		{
			name: "conditioned alias present with a certificate", conn: withCert(), version: 12, topics: []string{"orders-cert"},
			forward: []string{"orders"},
			want:    []metaTopic{{"orders-cert", [16]byte{}, 3, 0}},
		},
		{
			name: "alias wins over the topic it hides", conn: anonymous(), version: 9, topics: []string{"legacy"},
			forward: []string{"billing"},
			want:    []metaTopic{{"legacy", [16]byte{}, 1, 0}},
		},
		{
			name: "no alias: untouched", conn: anonymous(), version: 12, topics: []string{"orders", "nope"},
			forward: []string{"orders", "nope"},
			want:    []metaTopic{{"orders", ordersID, 3, 0}, {"nope", [16]byte{}, 0, unknown}},
		},
		{
			name: "listing adds aliases and hides the shadowed topic", conn: anonymous(), version: 12, topics: nil,
			forward: []string{"billing", "legacy", "orders"},
			want: []metaTopic{
				{"billing", [16]byte{9}, 1, 0}, {"legacy", [16]byte{}, 1, 0},
				{"orders", ordersID, 3, 0}, {"orders-v1", [16]byte{}, 3, 0},
			},
		},
		{
			name: "listing with a certificate", conn: withCert(), version: 12, topics: nil,
			forward: []string{"billing", "legacy", "orders"},
			want: []metaTopic{
				{"billing", [16]byte{9}, 1, 0}, {"legacy", [16]byte{}, 1, 0},
				{"orders", ordersID, 3, 0}, {"orders-v1", [16]byte{}, 3, 0}, {"orders-cert", [16]byte{}, 3, 0},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var seen []string
			resp := h.exchange(tc.conn, metadataReq(tc.version, tc.topics...), fakeMetadata(&seen))
			if !slices.Equal(seen, tc.forward) {
				t.Errorf("forwarded %q, want %q", seen, tc.forward)
			}
			if got := metaTopics(resp); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("answered\n %v\nwant\n %v", got, tc.want)
			}
		})
	}
}

func TestConflictWarnsOnce(t *testing.T) {
	h := newHarness(t)
	for range 3 {
		h.exchange(anonymous(), metadataReq(12), fakeMetadata(nil))
	}
	if n := strings.Count(h.log.String(), "level=WARN"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, h.log)
	}
	if !strings.Contains(h.log.String(), "alias=legacy") {
		t.Errorf("warning does not name the alias:\n%s", h.log)
	}
}

func TestConflictIgnore(t *testing.T) {
	var log bytes.Buffer
	p, err := New([]config.TopicAlias{{Alias: "legacy", Topic: "billing", Conflict: "ignore"}}, nil,
		policy.Env{Log: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	chain, _ := policy.NewChain(p)
	h := &harness{t: t, chain: chain}
	resp := h.exchange(anonymous(), metadataReq(12), fakeMetadata(nil))
	names := []string{}
	for _, mt := range metaTopics(resp) {
		names = append(names, mt.name)
	}
	if want := []string{"billing", "legacy", "orders"}; !slices.Equal(names, want) {
		t.Errorf("listing %q, want %q", names, want)
	}
	if log.Len() != 0 {
		t.Errorf("ignore logged:\n%s", &log)
	}
}

// --- Produce and Fetch ---

type part struct {
	topic string
	part  int32
	code  int16
}

func newProduce(version, acks int16, entries ...part) *kmsg.ProduceRequest {
	req := kmsg.NewPtrProduceRequest()
	req.Version = version
	req.Acks = acks
	for _, e := range entries {
		t := kmsg.NewProduceRequestTopic()
		t.Topic = e.topic
		p := kmsg.NewProduceRequestTopicPartition()
		p.Partition = e.part
		p.Records = []byte(e.topic)
		t.Partitions = append(t.Partitions, p)
		req.Topics = append(req.Topics, t)
	}
	return req
}

// echoProduce answers every forwarded partition with no error, grouping
// partitions by topic as Kafka does, and records what it saw.
func echoProduce(seen *[]part) func(kmsg.Request) kmsg.Response {
	return func(r kmsg.Request) kmsg.Response {
		req := r.(*kmsg.ProduceRequest)
		resp := kmsg.NewPtrProduceResponse()
		*seen = nil
		for _, t := range req.Topics {
			rt := kmsg.NewProduceResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				*seen = append(*seen, part{t.Topic, p.Partition, 0})
				rp := kmsg.NewProduceResponseTopicPartition()
				rp.Partition = p.Partition
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	}
}

func produceAnswer(resp kmsg.Response) []part {
	var out []part
	for _, t := range resp.(*kmsg.ProduceResponse).Topics {
		for _, p := range t.Partitions {
			out = append(out, part{t.Topic, p.Partition, p.ErrorCode})
		}
	}
	slices.SortFunc(out, func(a, b part) int {
		if c := strings.Compare(a.topic, b.topic); c != 0 {
			return c
		}
		return int(a.part - b.part)
	})
	return out
}

func TestProduce(t *testing.T) {
	invalid := kerr.InvalidRequest.Code
	for _, tc := range []struct {
		name    string
		req     *kmsg.ProduceRequest
		forward []part
		topics  int // topic entries forwarded
		want    []part
	}{
		{
			name:    "alias",
			req:     newProduce(12, -1, part{topic: "orders-v1", part: 1}),
			forward: []part{{"orders", 1, 0}}, topics: 1,
			want: []part{{"orders-v1", 1, 0}},
		},
		{
			name:    "alias and target on other partitions share one entry",
			req:     newProduce(12, -1, part{topic: "orders", part: 0}, part{topic: "orders-v1", part: 1}, part{topic: "billing", part: 0}),
			forward: []part{{"orders", 0, 0}, {"orders", 1, 0}, {"billing", 0, 0}}, topics: 2,
			want: []part{{"billing", 0, 0}, {"orders", 0, 0}, {"orders-v1", 1, 0}},
		},
		{
			name:    "a partition named twice is refused for the alias",
			req:     newProduce(12, -1, part{topic: "orders-v1", part: 0}, part{topic: "orders", part: 0}),
			forward: []part{{"orders", 0, 0}}, topics: 1,
			want: []part{{"orders", 0, 0}, {"orders-v1", 0, invalid}},
		},
		{
			name:    "conditioned alias is a plain name for anonymous clients",
			req:     newProduce(12, -1, part{topic: "orders-cert", part: 0}),
			forward: []part{{"orders-cert", 0, 0}}, topics: 1,
			want: []part{{"orders-cert", 0, 0}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var seen []part
			var topics int
			resp := h.exchange(anonymous(), tc.req, func(r kmsg.Request) kmsg.Response {
				topics = len(r.(*kmsg.ProduceRequest).Topics)
				return echoProduce(&seen)(r)
			})
			if !slices.Equal(seen, tc.forward) || topics != tc.topics {
				t.Errorf("forwarded %v in %d topics, want %v in %d", seen, topics, tc.forward, tc.topics)
			}
			if got := produceAnswer(resp); !slices.Equal(got, tc.want) {
				t.Errorf("answered %v, want %v", got, tc.want)
			}
		})
	}
}

func TestProduceRecordsKept(t *testing.T) {
	h := newHarness(t)
	h.exchange(anonymous(), newProduce(12, -1, part{topic: "orders-v1", part: 1}), func(r kmsg.Request) kmsg.Response {
		p := r.(*kmsg.ProduceRequest).Topics[0].Partitions[0]
		if string(p.Records) != "orders-v1" {
			t.Errorf("records %q changed", p.Records)
		}
		return kmsg.NewPtrProduceResponse()
	})
}

func TestProduceAcksZeroDuplicateFails(t *testing.T) {
	h := newHarness(t)
	req := newProduce(12, 0, part{topic: "orders-v1", part: 0}, part{topic: "orders", part: 0})
	x, err := h.chain.OnRequest(context.Background(), anonymous(), req)
	if err != nil {
		t.Fatal(err)
	}
	if x.Local() == nil {
		t.Fatal("acks=0 produce with a refused partition was forwarded; it must be answered so the session closes")
	}
	if h.denied.n != 1 {
		t.Errorf("denied %d, want 1", h.denied.n)
	}
}

func TestProduceByIDUntouched(t *testing.T) {
	h := newHarness(t)
	req := newProduce(13, -1, part{topic: "orders-v1", part: 0})
	x, err := h.chain.OnRequest(context.Background(), anonymous(), req)
	if err != nil {
		t.Fatal(err)
	}
	if x.NeedsResponse() || req.Topics[0].Topic != "orders-v1" {
		t.Errorf("produce v13 (by id) was rewritten")
	}
}

func newFetch(version int16, sessionID, epoch int32, entries ...part) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.Version = version
	req.SessionID = sessionID
	req.SessionEpoch = epoch
	for _, e := range entries {
		t := kmsg.NewFetchRequestTopic()
		t.Topic = e.topic
		p := kmsg.NewFetchRequestTopicPartition()
		p.Partition = e.part
		p.FetchOffset = 7
		t.Partitions = append(t.Partitions, p)
		req.Topics = append(req.Topics, t)
	}
	return req
}

func echoFetch(r kmsg.Request) kmsg.Response {
	req := r.(*kmsg.FetchRequest)
	resp := kmsg.NewPtrFetchResponse()
	resp.SessionID = 0
	if req.SessionEpoch == 0 {
		resp.SessionID = 42
	}
	for _, t := range req.Topics {
		rt := kmsg.NewFetchResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewFetchResponseTopicPartition()
			rp.Partition = p.Partition
			rp.HighWatermark = 10
			rp.RecordBatches = []byte("batch")
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func TestFetch(t *testing.T) {
	for _, tc := range []struct {
		name      string
		req       *kmsg.FetchRequest
		epoch     int32 // forwarded session epoch
		forwarded bool
		errCode   int16 // top-level error of the answer
		want      []part
	}{
		{
			name:      "new session with an alias runs sessionless",
			req:       newFetch(12, 0, 0, part{topic: "orders-v1", part: 2}, part{topic: "billing", part: 0}),
			epoch:     -1,
			forwarded: true,
			want:      []part{{"billing", 0, 0}, {"orders-v1", 2, 0}},
		},
		{
			name:      "sessionless with an alias",
			req:       newFetch(11, 5, -1, part{topic: "orders-v1", part: 2}),
			epoch:     -1,
			forwarded: true,
			want:      []part{{"orders-v1", 2, 0}},
		},
		{
			name:    "incremental request adding an alias resets the session",
			req:     newFetch(12, 42, 3, part{topic: "orders-v1", part: 2}),
			errCode: kerr.InvalidFetchSessionEpoch.Code,
		},
		{
			name:      "no alias keeps its session",
			req:       newFetch(12, 0, 0, part{topic: "orders", part: 2}),
			epoch:     0,
			forwarded: true,
			want:      []part{{"orders", 2, 0}},
		},
		{
			name:      "v6 has no sessions",
			req:       newFetch(6, 0, -1, part{topic: "orders-v1", part: 1}),
			epoch:     -1,
			forwarded: true,
			want:      []part{{"orders-v1", 1, 0}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			forwarded := false
			resp := h.exchange(anonymous(), tc.req, func(r kmsg.Request) kmsg.Response {
				forwarded = true
				req := r.(*kmsg.FetchRequest)
				if req.Version >= 7 && req.SessionEpoch != tc.epoch {
					t.Errorf("forwarded session epoch %d, want %d", req.SessionEpoch, tc.epoch)
				}
				for _, rt := range req.Topics {
					if rt.Topic == "orders-v1" {
						t.Errorf("alias forwarded")
					}
				}
				return echoFetch(r)
			}).(*kmsg.FetchResponse)
			if forwarded != tc.forwarded {
				t.Fatalf("forwarded = %v, want %v", forwarded, tc.forwarded)
			}
			if resp.ErrorCode != tc.errCode {
				t.Errorf("error %d, want %d", resp.ErrorCode, tc.errCode)
			}
			var got []part
			for _, rt := range resp.Topics {
				for _, p := range rt.Partitions {
					got = append(got, part{rt.Topic, p.Partition, p.ErrorCode})
					if string(p.RecordBatches) != "batch" {
						t.Errorf("records lost")
					}
				}
			}
			slices.SortFunc(got, func(a, b part) int { return strings.Compare(a.topic, b.topic) })
			if !slices.Equal(got, tc.want) {
				t.Errorf("answered %v, want %v", got, tc.want)
			}
		})
	}
}

// --- offsets ---

func TestOffsetsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  kmsg.Request
		// forward checks the forwarded request, answer makes the backend's
		// response, names lists the topic names of the client's answer.
		forward func(kmsg.Request) []string
		answer  func(kmsg.Request) kmsg.Response
		names   func(kmsg.Response) []string
		want    []string
	}{
		{
			name: "ListOffsets",
			req: func() kmsg.Request {
				r := kmsg.NewPtrListOffsetsRequest()
				r.Version = 8
				for _, n := range []string{"orders-v1", "billing"} {
					t := kmsg.NewListOffsetsRequestTopic()
					t.Topic = n
					t.Partitions = []kmsg.ListOffsetsRequestTopicPartition{kmsg.NewListOffsetsRequestTopicPartition()}
					r.Topics = append(r.Topics, t)
				}
				return r
			}(),
			forward: func(r kmsg.Request) (out []string) {
				for _, t := range r.(*kmsg.ListOffsetsRequest).Topics {
					out = append(out, t.Topic)
				}
				return out
			},
			answer: func(r kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrListOffsetsResponse()
				for _, t := range r.(*kmsg.ListOffsetsRequest).Topics {
					rt := kmsg.NewListOffsetsResponseTopic()
					rt.Topic = t.Topic
					rt.Partitions = []kmsg.ListOffsetsResponseTopicPartition{kmsg.NewListOffsetsResponseTopicPartition()}
					resp.Topics = append(resp.Topics, rt)
				}
				return resp
			},
			names: func(r kmsg.Response) (out []string) {
				for _, t := range r.(*kmsg.ListOffsetsResponse).Topics {
					out = append(out, t.Topic)
				}
				return out
			},
			want: []string{"orders-v1", "billing"},
		},
		{
			name: "OffsetCommit",
			req: func() kmsg.Request {
				r := kmsg.NewPtrOffsetCommitRequest()
				r.Version = 9
				r.Group = "g"
				t := kmsg.NewOffsetCommitRequestTopic()
				t.Topic = "orders-v1"
				t.Partitions = []kmsg.OffsetCommitRequestTopicPartition{kmsg.NewOffsetCommitRequestTopicPartition()}
				r.Topics = append(r.Topics, t)
				return r
			}(),
			forward: func(r kmsg.Request) (out []string) {
				for _, t := range r.(*kmsg.OffsetCommitRequest).Topics {
					out = append(out, t.Topic)
				}
				return out
			},
			answer: func(r kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrOffsetCommitResponse()
				for _, t := range r.(*kmsg.OffsetCommitRequest).Topics {
					rt := kmsg.NewOffsetCommitResponseTopic()
					rt.Topic = t.Topic
					rt.Partitions = []kmsg.OffsetCommitResponseTopicPartition{kmsg.NewOffsetCommitResponseTopicPartition()}
					resp.Topics = append(resp.Topics, rt)
				}
				return resp
			},
			names: func(r kmsg.Response) (out []string) {
				for _, t := range r.(*kmsg.OffsetCommitResponse).Topics {
					out = append(out, t.Topic)
				}
				return out
			},
			want: []string{"orders-v1"},
		},
		{
			name: "OffsetForLeaderEpoch",
			req: func() kmsg.Request {
				r := kmsg.NewPtrOffsetForLeaderEpochRequest()
				r.Version = 4
				t := kmsg.NewOffsetForLeaderEpochRequestTopic()
				t.Topic = "orders-v1"
				t.Partitions = []kmsg.OffsetForLeaderEpochRequestTopicPartition{kmsg.NewOffsetForLeaderEpochRequestTopicPartition()}
				r.Topics = append(r.Topics, t)
				return r
			}(),
			forward: func(r kmsg.Request) (out []string) {
				for _, t := range r.(*kmsg.OffsetForLeaderEpochRequest).Topics {
					out = append(out, t.Topic)
				}
				return out
			},
			answer: func(r kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrOffsetForLeaderEpochResponse()
				for _, t := range r.(*kmsg.OffsetForLeaderEpochRequest).Topics {
					rt := kmsg.NewOffsetForLeaderEpochResponseTopic()
					rt.Topic = t.Topic
					rt.Partitions = []kmsg.OffsetForLeaderEpochResponseTopicPartition{kmsg.NewOffsetForLeaderEpochResponseTopicPartition()}
					resp.Topics = append(resp.Topics, rt)
				}
				return resp
			},
			names: func(r kmsg.Response) (out []string) {
				for _, t := range r.(*kmsg.OffsetForLeaderEpochResponse).Topics {
					out = append(out, t.Topic)
				}
				return out
			},
			want: []string{"orders-v1"},
		},
		{
			name: "TxnOffsetCommit",
			req: func() kmsg.Request {
				r := kmsg.NewPtrTxnOffsetCommitRequest()
				r.Version = 4
				t := kmsg.NewTxnOffsetCommitRequestTopic()
				t.Topic = "orders-v1"
				t.Partitions = []kmsg.TxnOffsetCommitRequestTopicPartition{kmsg.NewTxnOffsetCommitRequestTopicPartition()}
				r.Topics = append(r.Topics, t)
				return r
			}(),
			forward: func(r kmsg.Request) (out []string) {
				for _, t := range r.(*kmsg.TxnOffsetCommitRequest).Topics {
					out = append(out, t.Topic)
				}
				return out
			},
			answer: func(r kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrTxnOffsetCommitResponse()
				for _, t := range r.(*kmsg.TxnOffsetCommitRequest).Topics {
					rt := kmsg.NewTxnOffsetCommitResponseTopic()
					rt.Topic = t.Topic
					rt.Partitions = []kmsg.TxnOffsetCommitResponseTopicPartition{kmsg.NewTxnOffsetCommitResponseTopicPartition()}
					resp.Topics = append(resp.Topics, rt)
				}
				return resp
			},
			names: func(r kmsg.Response) (out []string) {
				for _, t := range r.(*kmsg.TxnOffsetCommitResponse).Topics {
					out = append(out, t.Topic)
				}
				return out
			},
			want: []string{"orders-v1"},
		},
		{
			name: "AddPartitionsToTxn merges a partition named twice",
			req: func() kmsg.Request {
				r := kmsg.NewPtrAddPartitionsToTxnRequest()
				r.Version = 3
				for _, n := range []string{"orders", "orders-v1"} {
					t := kmsg.NewAddPartitionsToTxnRequestTopic()
					t.Topic = n
					t.Partitions = []int32{0}
					r.Topics = append(r.Topics, t)
				}
				return r
			}(),
			forward: func(r kmsg.Request) (out []string) {
				for _, t := range r.(*kmsg.AddPartitionsToTxnRequest).Topics {
					for range t.Partitions {
						out = append(out, t.Topic)
					}
				}
				return out
			},
			answer: func(r kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrAddPartitionsToTxnResponse()
				for _, t := range r.(*kmsg.AddPartitionsToTxnRequest).Topics {
					rt := kmsg.NewAddPartitionsToTxnResponseTopic()
					rt.Topic = t.Topic
					for _, p := range t.Partitions {
						rp := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
						rp.Partition = p
						rt.Partitions = append(rt.Partitions, rp)
					}
					resp.Topics = append(resp.Topics, rt)
				}
				return resp
			},
			names: func(r kmsg.Response) (out []string) {
				for _, t := range r.(*kmsg.AddPartitionsToTxnResponse).Topics {
					out = append(out, t.Topic)
				}
				return out
			},
			want: []string{"orders", "orders-v1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			resp := h.exchange(anonymous(), tc.req, func(r kmsg.Request) kmsg.Response {
				for _, n := range tc.forward(r) {
					if n != "orders" && n != "billing" {
						t.Errorf("forwarded %q", n)
					}
				}
				if f := tc.forward(r); len(f) != len(slices.Compact(slices.Clone(f))) && tc.name != "ListOffsets" {
					t.Errorf("forwarded a partition twice: %q", f)
				}
				return tc.answer(r)
			})
			if got := tc.names(resp); !slices.Equal(got, tc.want) {
				t.Errorf("answered %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOffsetFetch(t *testing.T) {
	answer := func(topics []string) func(kmsg.Request) kmsg.Response {
		return func(r kmsg.Request) kmsg.Response {
			req := r.(*kmsg.OffsetFetchRequest)
			resp := kmsg.NewPtrOffsetFetchResponse()
			mk := func(n string, parts []int32) kmsg.OffsetFetchResponseTopic {
				rt := kmsg.NewOffsetFetchResponseTopic()
				rt.Topic = n
				for _, p := range parts {
					rp := kmsg.NewOffsetFetchResponseTopicPartition()
					rp.Partition = p
					rp.Offset = 100 + int64(p)
					rt.Partitions = append(rt.Partitions, rp)
				}
				return rt
			}
			if req.Version < 8 {
				for _, t := range req.Topics {
					resp.Topics = append(resp.Topics, mk(t.Topic, t.Partitions))
				}
				return resp
			}
			for _, g := range req.Groups {
				rg := kmsg.NewOffsetFetchResponseGroup()
				rg.Group = g.Group
				for _, t := range g.Topics {
					ft := mk(t.Topic, t.Partitions)
					gt := kmsg.NewOffsetFetchResponseGroupTopic()
					gt.Topic = ft.Topic
					for _, p := range ft.Partitions {
						gp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
						gp.Partition, gp.Offset = p.Partition, p.Offset
						gt.Partitions = append(gt.Partitions, gp)
					}
					rg.Topics = append(rg.Topics, gt)
				}
				resp.Groups = append(resp.Groups, rg)
			}
			return resp
		}
	}
	type off struct {
		topic  string
		part   int32
		offset int64
	}
	t.Run("v7 both names", func(t *testing.T) {
		h := newHarness(t)
		req := kmsg.NewPtrOffsetFetchRequest()
		req.Version = 7
		req.Group = "g"
		for _, n := range []string{"orders", "orders-v1"} {
			rt := kmsg.NewOffsetFetchRequestTopic()
			rt.Topic = n
			rt.Partitions = []int32{0, 1}
			req.Topics = append(req.Topics, rt)
		}
		resp := h.exchange(anonymous(), req, func(r kmsg.Request) kmsg.Response {
			fr := r.(*kmsg.OffsetFetchRequest)
			if len(fr.Topics) != 1 || fr.Topics[0].Topic != "orders" || len(fr.Topics[0].Partitions) != 2 {
				t.Errorf("forwarded %+v, want orders [0 1] once", fr.Topics)
			}
			return answer(nil)(r)
		}).(*kmsg.OffsetFetchResponse)
		var got []off
		for _, rt := range resp.Topics {
			for _, p := range rt.Partitions {
				got = append(got, off{rt.Topic, p.Partition, p.Offset})
			}
		}
		want := []off{{"orders", 0, 100}, {"orders", 1, 101}, {"orders-v1", 0, 100}, {"orders-v1", 1, 101}}
		slices.SortFunc(got, func(a, b off) int {
			if c := strings.Compare(a.topic, b.topic); c != 0 {
				return c
			}
			return int(a.part - b.part)
		})
		if !slices.Equal(got, want) {
			t.Errorf("answered %v, want %v", got, want)
		}
	})
	t.Run("v8 groups", func(t *testing.T) {
		h := newHarness(t)
		req := kmsg.NewPtrOffsetFetchRequest()
		req.Version = 8
		for _, g := range []string{"a", "b"} {
			rg := kmsg.NewOffsetFetchRequestGroup()
			rg.Group = g
			rt := kmsg.NewOffsetFetchRequestGroupTopic()
			rt.Topic = map[string]string{"a": "orders-v1", "b": "orders"}[g]
			rt.Partitions = []int32{2}
			rg.Topics = append(rg.Topics, rt)
			req.Groups = append(req.Groups, rg)
		}
		resp := h.exchange(anonymous(), req, answer(nil)).(*kmsg.OffsetFetchResponse)
		got := map[string]string{}
		for _, g := range resp.Groups {
			for _, rt := range g.Topics {
				got[g.Group] = rt.Topic
			}
		}
		if want := map[string]string{"a": "orders-v1", "b": "orders"}; !reflect.DeepEqual(got, want) {
			t.Errorf("answered %v, want %v", got, want)
		}
	})
}

// --- administrative changes ---

func TestAdminThroughAliasRefused(t *testing.T) {
	invalidTopic := kerr.InvalidTopicException.Code
	for _, tc := range []struct {
		name string
		req  kmsg.Request
		// left lists what is forwarded, nil when the request is answered
		// locally.
		left   func(kmsg.Request) []string
		answer func(kmsg.Request) kmsg.Response
		codes  func(kmsg.Response) map[string]int16
		want   map[string]int16
	}{
		{
			name: "CreateTopics alias only: answered locally",
			req: func() kmsg.Request {
				r := kmsg.NewPtrCreateTopicsRequest()
				r.Version = 7
				t := kmsg.NewCreateTopicsRequestTopic()
				t.Topic = "orders-v1"
				r.Topics = append(r.Topics, t)
				return r
			}(),
			codes: func(r kmsg.Response) map[string]int16 {
				m := map[string]int16{}
				for _, t := range r.(*kmsg.CreateTopicsResponse).Topics {
					m[t.Topic] = t.ErrorCode
					if t.ErrorMessage == nil || !strings.Contains(*t.ErrorMessage, "alias") {
						m[t.Topic+" message"] = 1
					}
				}
				return m
			},
			want: map[string]int16{"orders-v1": invalidTopic},
		},
		{
			name: "CreateTopics mixed",
			req: func() kmsg.Request {
				r := kmsg.NewPtrCreateTopicsRequest()
				r.Version = 5
				for _, n := range []string{"fresh", "orders-v1"} {
					t := kmsg.NewCreateTopicsRequestTopic()
					t.Topic = n
					r.Topics = append(r.Topics, t)
				}
				return r
			}(),
			left: func(r kmsg.Request) (out []string) {
				for _, t := range r.(*kmsg.CreateTopicsRequest).Topics {
					out = append(out, t.Topic)
				}
				return out
			},
			answer: func(r kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrCreateTopicsResponse()
				for _, t := range r.(*kmsg.CreateTopicsRequest).Topics {
					rt := kmsg.NewCreateTopicsResponseTopic()
					rt.Topic = t.Topic
					resp.Topics = append(resp.Topics, rt)
				}
				return resp
			},
			codes: func(r kmsg.Response) map[string]int16 {
				m := map[string]int16{}
				for _, t := range r.(*kmsg.CreateTopicsResponse).Topics {
					m[t.Topic] = t.ErrorCode
				}
				return m
			},
			want: map[string]int16{"fresh": 0, "orders-v1": invalidTopic},
		},
		{
			name: "DeleteTopics v5",
			req: func() kmsg.Request {
				r := kmsg.NewPtrDeleteTopicsRequest()
				r.Version = 5
				r.TopicNames = []string{"orders-v1", "old"}
				return r
			}(),
			left: func(r kmsg.Request) []string { return r.(*kmsg.DeleteTopicsRequest).TopicNames },
			answer: func(r kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrDeleteTopicsResponse()
				for _, n := range r.(*kmsg.DeleteTopicsRequest).TopicNames {
					rt := kmsg.NewDeleteTopicsResponseTopic()
					rt.Topic = ptr(n)
					resp.Topics = append(resp.Topics, rt)
				}
				return resp
			},
			codes: func(r kmsg.Response) map[string]int16 {
				m := map[string]int16{}
				for _, t := range r.(*kmsg.DeleteTopicsResponse).Topics {
					m[*t.Topic] = t.ErrorCode
				}
				return m
			},
			want: map[string]int16{"old": 0, "orders-v1": invalidTopic},
		},
		{
			name: "DeleteTopics v6 by id goes on",
			req: func() kmsg.Request {
				r := kmsg.NewPtrDeleteTopicsRequest()
				r.Version = 6
				byID := kmsg.NewDeleteTopicsRequestTopic()
				byID.TopicID = ordersID
				byName := kmsg.NewDeleteTopicsRequestTopic()
				byName.Topic = ptr("legacy")
				r.Topics = []kmsg.DeleteTopicsRequestTopic{byID, byName}
				return r
			}(),
			left: func(r kmsg.Request) (out []string) {
				for _, t := range r.(*kmsg.DeleteTopicsRequest).Topics {
					if t.Topic == nil {
						out = append(out, "id")
					} else {
						out = append(out, *t.Topic)
					}
				}
				return out
			},
			answer: func(r kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrDeleteTopicsResponse()
				rt := kmsg.NewDeleteTopicsResponseTopic()
				rt.Topic = ptr("orders")
				rt.TopicID = ordersID
				resp.Topics = append(resp.Topics, rt)
				return resp
			},
			codes: func(r kmsg.Response) map[string]int16 {
				m := map[string]int16{}
				for _, t := range r.(*kmsg.DeleteTopicsResponse).Topics {
					m[*t.Topic] = t.ErrorCode
				}
				return m
			},
			want: map[string]int16{"orders": 0, "legacy": invalidTopic},
		},
		{
			name: "CreatePartitions",
			req: func() kmsg.Request {
				r := kmsg.NewPtrCreatePartitionsRequest()
				r.Version = 3
				t := kmsg.NewCreatePartitionsRequestTopic()
				t.Topic = "orders-v1"
				t.Count = 9
				r.Topics = append(r.Topics, t)
				return r
			}(),
			codes: func(r kmsg.Response) map[string]int16 {
				m := map[string]int16{}
				for _, t := range r.(*kmsg.CreatePartitionsResponse).Topics {
					m[t.Topic] = t.ErrorCode
				}
				return m
			},
			want: map[string]int16{"orders-v1": invalidTopic},
		},
		{
			name: "DeleteRecords",
			req: func() kmsg.Request {
				r := kmsg.NewPtrDeleteRecordsRequest()
				r.Version = 2
				t := kmsg.NewDeleteRecordsRequestTopic()
				t.Topic = "orders-v1"
				for _, p := range []int32{0, 1} {
					rp := kmsg.NewDeleteRecordsRequestTopicPartition()
					rp.Partition = p
					t.Partitions = append(t.Partitions, rp)
				}
				r.Topics = append(r.Topics, t)
				return r
			}(),
			codes: func(r kmsg.Response) map[string]int16 {
				m := map[string]int16{}
				for _, t := range r.(*kmsg.DeleteRecordsResponse).Topics {
					for _, p := range t.Partitions {
						m[t.Topic+"/"+string(rune('0'+p.Partition))] = p.ErrorCode
					}
				}
				return m
			},
			want: map[string]int16{"orders-v1/0": invalidTopic, "orders-v1/1": invalidTopic},
		},
		{
			name: "AlterConfigs keeps broker resources",
			req: func() kmsg.Request {
				r := kmsg.NewPtrAlterConfigsRequest()
				r.Version = 2
				topic := kmsg.NewAlterConfigsRequestResource()
				topic.ResourceType = kmsg.ConfigResourceTypeTopic
				topic.ResourceName = "orders-v1"
				broker := kmsg.NewAlterConfigsRequestResource()
				broker.ResourceType = kmsg.ConfigResourceTypeBroker
				broker.ResourceName = "orders-v1" // a broker called like the alias: not a topic
				r.Resources = []kmsg.AlterConfigsRequestResource{topic, broker}
				return r
			}(),
			left: func(r kmsg.Request) (out []string) {
				for _, res := range r.(*kmsg.AlterConfigsRequest).Resources {
					out = append(out, res.ResourceType.String()+":"+res.ResourceName)
				}
				return out
			},
			answer: func(r kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrAlterConfigsResponse()
				for _, res := range r.(*kmsg.AlterConfigsRequest).Resources {
					rr := kmsg.NewAlterConfigsResponseResource()
					rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
					resp.Resources = append(resp.Resources, rr)
				}
				return resp
			},
			codes: func(r kmsg.Response) map[string]int16 {
				m := map[string]int16{}
				for _, res := range r.(*kmsg.AlterConfigsResponse).Resources {
					m[res.ResourceType.String()+":"+res.ResourceName] = res.ErrorCode
				}
				return m
			},
			want: map[string]int16{"TOPIC:orders-v1": invalidTopic, "BROKER:orders-v1": 0},
		},
		{
			name: "IncrementalAlterConfigs",
			req: func() kmsg.Request {
				r := kmsg.NewPtrIncrementalAlterConfigsRequest()
				r.Version = 1
				res := kmsg.NewIncrementalAlterConfigsRequestResource()
				res.ResourceType = kmsg.ConfigResourceTypeTopic
				res.ResourceName = "legacy"
				r.Resources = append(r.Resources, res)
				return r
			}(),
			codes: func(r kmsg.Response) map[string]int16 {
				m := map[string]int16{}
				for _, res := range r.(*kmsg.IncrementalAlterConfigsResponse).Resources {
					m[res.ResourceName] = res.ErrorCode
				}
				return m
			},
			want: map[string]int16{"legacy": invalidTopic},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			forwarded := false
			resp := h.exchange(anonymous(), tc.req, func(r kmsg.Request) kmsg.Response {
				forwarded = true
				for _, n := range tc.left(r) {
					if strings.HasSuffix(n, "orders-v1") && !strings.HasPrefix(n, "BROKER") || n == "legacy" {
						t.Errorf("forwarded %q", n)
					}
				}
				return tc.answer(r)
			})
			if forwarded != (tc.left != nil) {
				t.Errorf("forwarded = %v, want %v", forwarded, tc.left != nil)
			}
			if got := tc.codes(resp); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("answered %v, want %v", got, tc.want)
			}
			if h.denied.n == 0 {
				t.Errorf("refusal not counted")
			}
		})
	}
}

func TestAdminConditionedAliasPassesForAnonymous(t *testing.T) {
	h := newHarness(t)
	req := kmsg.NewPtrCreateTopicsRequest()
	t1 := kmsg.NewCreateTopicsRequestTopic()
	t1.Topic = "orders-cert"
	req.Topics = append(req.Topics, t1)
	x, err := h.chain.OnRequest(context.Background(), anonymous(), req)
	if err != nil {
		t.Fatal(err)
	}
	if x.Local() != nil || len(req.Topics) != 1 {
		t.Errorf("orders-cert is no alias for an anonymous client; its creation must go on")
	}
}

// --- DescribeConfigs ---

func TestDescribeConfigs(t *testing.T) {
	mkReq := func(names ...string) *kmsg.DescribeConfigsRequest {
		r := kmsg.NewPtrDescribeConfigsRequest()
		r.Version = 4
		for i, n := range names {
			res := kmsg.NewDescribeConfigsRequestResource()
			res.ResourceType = kmsg.ConfigResourceTypeTopic
			res.ResourceName = n
			res.ConfigNames = []string{n + "-cfg" + string(rune('0'+i))}
			r.Resources = append(r.Resources, res)
		}
		return r
	}
	for _, tc := range []struct {
		name  string
		dedup bool // the backend answers a resource once
		want  []string
	}{
		{"answers in order", false, []string{"orders-v1", "billing", "orders"}},
		{"backend answers once", true, []string{"orders-v1", "billing", "orders"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			resp := h.exchange(anonymous(), mkReq("orders-v1", "billing", "orders"), func(r kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrDescribeConfigsResponse()
				seen := map[string]bool{}
				for _, res := range r.(*kmsg.DescribeConfigsRequest).Resources {
					if res.ResourceName == "orders-v1" {
						t.Errorf("alias forwarded")
					}
					if tc.dedup && seen[res.ResourceName] {
						continue
					}
					seen[res.ResourceName] = true
					rr := kmsg.NewDescribeConfigsResponseResource()
					rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
					resp.Resources = append(resp.Resources, rr)
				}
				return resp
			}).(*kmsg.DescribeConfigsResponse)
			var got []string
			for _, res := range resp.Resources {
				got = append(got, res.ResourceName)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("answered %q, want %q", got, tc.want)
			}
		})
	}
}

// --- DescribeTopicPartitions ---

func TestDescribeTopicPartitions(t *testing.T) {
	answer := func(r kmsg.Request) kmsg.Response {
		req := r.(*kmsg.DescribeTopicPartitionsRequest)
		resp := kmsg.NewPtrDescribeTopicPartitionsResponse()
		names := []string{}
		for _, t := range req.Topics {
			names = append(names, t.Topic)
		}
		if len(names) == 0 {
			names = []string{"billing", "legacy", "orders"}
		}
		for _, n := range names {
			rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
			rt.Topic = ptr(n)
			if n == "orders" {
				rt.TopicID = ordersID
			}
			resp.Topics = append(resp.Topics, rt)
		}
		resp.NextCursor = &kmsg.DescribeTopicPartitionsResponseNextCursor{Topic: "orders", Partition: 2}
		return resp
	}
	names := func(resp kmsg.Response) (out []string) {
		for _, t := range resp.(*kmsg.DescribeTopicPartitionsResponse).Topics {
			out = append(out, *t.Topic)
			if *t.Topic != "orders" && t.TopicID == ordersID {
				t2 := *t.Topic
				out = append(out, t2+" has the target's id")
			}
		}
		return out
	}
	t.Run("named with cursor", func(t *testing.T) {
		h := newHarness(t)
		req := kmsg.NewPtrDescribeTopicPartitionsRequest()
		rt := kmsg.NewDescribeTopicPartitionsRequestTopic()
		rt.Topic = "orders-v1"
		req.Topics = append(req.Topics, rt)
		req.Cursor = &kmsg.DescribeTopicPartitionsRequestCursor{Topic: "orders-v1", Partition: 1}
		resp := h.exchange(anonymous(), req, func(r kmsg.Request) kmsg.Response {
			fr := r.(*kmsg.DescribeTopicPartitionsRequest)
			if fr.Cursor.Topic != "orders" || fr.Topics[0].Topic != "orders" {
				t.Errorf("forwarded cursor %q topics %+v", fr.Cursor.Topic, fr.Topics)
			}
			return answer(r)
		})
		if got := names(resp); !slices.Equal(got, []string{"orders-v1"}) {
			t.Errorf("answered %q", got)
		}
		if c := resp.(*kmsg.DescribeTopicPartitionsResponse).NextCursor; c.Topic != "orders-v1" {
			t.Errorf("next cursor %q, want orders-v1", c.Topic)
		}
	})
	t.Run("listing", func(t *testing.T) {
		h := newHarness(t)
		resp := h.exchange(anonymous(), kmsg.NewPtrDescribeTopicPartitionsRequest(), answer)
		if got, want := names(resp), []string{"billing", "legacy", "orders", "orders-v1"}; !slices.Equal(got, want) {
			t.Errorf("answered %q, want %q", got, want)
		}
		if c := resp.(*kmsg.DescribeTopicPartitionsResponse).NextCursor; c.Topic != "orders" {
			t.Errorf("listing cursor renamed to %q", c.Topic)
		}
	})
}

// --- groups ---

func joinReq(version int16, topics []string, owned map[string][]int32) *kmsg.JoinGroupRequest {
	req := kmsg.NewPtrJoinGroupRequest()
	req.Version = version
	req.Group = "g"
	req.ProtocolType = "consumer"
	m := kmsg.NewConsumerMemberMetadata()
	m.Version = 1
	m.Topics = topics
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for k := range owned {
			if !yield(k) {
				return
			}
		}
	}) {
		m.OwnedPartitions = append(m.OwnedPartitions, kmsg.ConsumerMemberMetadataOwnedPartition{Topic: n, Partitions: owned[n]})
	}
	for _, name := range []string{"range", "cooperative-sticky"} {
		p := kmsg.NewJoinGroupRequestProtocol()
		p.Name = name
		p.Metadata = m.AppendTo(nil)
		req.Protocols = append(req.Protocols, p)
	}
	return req
}

func assignment(topics map[string][]int32) []byte {
	a := kmsg.NewConsumerMemberAssignment()
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for k := range topics {
			if !yield(k) {
				return
			}
		}
	}) {
		a.Topics = append(a.Topics, kmsg.ConsumerMemberAssignmentTopic{Topic: n, Partitions: topics[n]})
	}
	return a.AppendTo(nil)
}

func readAssignment(t *testing.T, b []byte) map[string][]int32 {
	t.Helper()
	var a kmsg.ConsumerMemberAssignment
	if err := a.ReadFrom(b); err != nil {
		t.Fatal(err)
	}
	out := map[string][]int32{}
	for _, at := range a.Topics {
		out[at.Topic] = at.Partitions
	}
	return out
}

func TestConsumerGroupThroughAlias(t *testing.T) {
	h := newHarness(t)
	member, other := anonymous(), anonymous()

	// The member subscribes through the alias: the coordinator sees the
	// target.
	join := joinReq(9, []string{"orders-v1", "billing"}, map[string][]int32{"orders-v1": {0}, "orders": {1}})
	h.exchange(member, join, func(r kmsg.Request) kmsg.Response {
		for _, p := range r.(*kmsg.JoinGroupRequest).Protocols {
			var m kmsg.ConsumerMemberMetadata
			if err := m.ReadFrom(p.Metadata); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Topics, []string{"orders", "billing"}) {
				t.Errorf("subscription forwarded as %q", m.Topics)
			}
			if len(m.OwnedPartitions) != 1 || m.OwnedPartitions[0].Topic != "orders" || !slices.Equal(m.OwnedPartitions[0].Partitions, []int32{0, 1}) {
				t.Errorf("owned partitions forwarded as %+v", m.OwnedPartitions)
			}
		}
		return kmsg.NewPtrJoinGroupResponse()
	})
	// Another member joins with the real name on its own connection.
	h.exchange(other, joinReq(9, []string{"orders"}, nil), func(kmsg.Request) kmsg.Response { return kmsg.NewPtrJoinGroupResponse() })

	for _, tc := range []struct {
		name    string
		conn    *policy.Conn
		version int16
		want    map[string][]int32
	}{
		{"member through alias, v5", member, 5, map[string][]int32{"orders-v1": {0, 1}, "billing": {0}}},
		{"member through alias, v3 without protocol type", member, 3, map[string][]int32{"orders-v1": {0, 1}, "billing": {0}}},
		{"member with the real name", other, 5, map[string][]int32{"orders": {0, 1}, "billing": {0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sync := kmsg.NewPtrSyncGroupRequest()
			sync.Version = tc.version
			sync.Group = "g"
			if tc.version >= 5 {
				sync.ProtocolType = ptr("consumer")
				sync.Protocol = ptr("range")
			}
			// As leader, it hands out an assignment naming the alias
			// (a custom balancer could): the coordinator stores targets.
			ga := kmsg.NewSyncGroupRequestGroupAssignment()
			ga.MemberID = "m"
			ga.MemberAssignment = assignment(map[string][]int32{"orders-v1": {0}, "orders": {1}, "billing": {0}})
			sync.GroupAssignment = append(sync.GroupAssignment, ga)
			resp := h.exchange(tc.conn, sync, func(r kmsg.Request) kmsg.Response {
				stored := readAssignment(t, r.(*kmsg.SyncGroupRequest).GroupAssignment[0].MemberAssignment)
				if want := map[string][]int32{"orders": {0, 1}, "billing": {0}}; !reflect.DeepEqual(stored, want) {
					t.Errorf("leader assignment forwarded as %v, want %v", stored, want)
				}
				resp := kmsg.NewPtrSyncGroupResponse()
				if tc.version >= 5 {
					resp.ProtocolType = ptr("consumer")
				}
				resp.MemberAssignment = assignment(map[string][]int32{"orders": {0, 1}, "billing": {0}})
				return resp
			}).(*kmsg.SyncGroupResponse)
			if got := readAssignment(t, resp.MemberAssignment); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("assignment %v, want %v", got, tc.want)
			}
		})
	}
}

func TestJoinGroupOtherProtocolUntouched(t *testing.T) {
	h := newHarness(t)
	join := joinReq(9, []string{"orders-v1"}, nil)
	join.ProtocolType = "connect"
	before := slices.Clone(join.Protocols[0].Metadata)
	h.exchange(anonymous(), join, func(r kmsg.Request) kmsg.Response {
		if !bytes.Equal(r.(*kmsg.JoinGroupRequest).Protocols[0].Metadata, before) {
			t.Errorf("connect protocol metadata rewritten")
		}
		return kmsg.NewPtrJoinGroupResponse()
	})
}

// Connection state goes when the connection does.
func TestGroupStateFollowsConnection(t *testing.T) {
	p, err := New(testAliases, nil, policy.Env{})
	if err != nil {
		t.Fatal(err)
	}
	pol := p.(*Policy)
	chain, _ := policy.NewChain(p)
	func() {
		conn := anonymous()
		if _, err := chain.OnRequest(context.Background(), conn, joinReq(9, []string{"orders-v1"}, nil)); err != nil {
			t.Fatal(err)
		}
		if pol.groups.get(conn, false) == nil {
			t.Fatal("no state kept for a join through an alias")
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		n := 0
		pol.groups.m.Range(func(any, any) bool { n++; return true })
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connection states left after their connections went", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// --- construction ---

func TestNew(t *testing.T) {
	hide := &config.Namespace{Mode: "hide_prefix", Prefix: "team-a."}
	enforce := &config.Namespace{Mode: "enforce_prefix", Prefix: "team-a."}
	for _, tc := range []struct {
		name    string
		aliases []config.TopicAlias
		ns      *config.Namespace
		err     string
	}{
		{"ok", testAliases, nil, ""},
		{"missing topic", []config.TopicAlias{{Alias: "a"}}, nil, "required"},
		{"self", []config.TopicAlias{{Alias: "a", Topic: "a"}}, nil, "names itself"},
		{"duplicate", []config.TopicAlias{{Alias: "a", Topic: "b"}, {Alias: "a", Topic: "c"}}, nil, "duplicate"},
		{"chained", []config.TopicAlias{{Alias: "a", Topic: "b"}, {Alias: "b", Topic: "c"}}, nil, "itself an alias"},
		{"bad condition", []config.TopicAlias{{Alias: "a", Topic: "b", Condition: "context.auth.type =="}}, nil, "condition"},
		{"bad conflict", []config.TopicAlias{{Alias: "a", Topic: "b", Conflict: "loud"}}, nil, "conflict"},
		{"hide_prefix target named with prefix", []config.TopicAlias{{Alias: "a", Topic: "team-a.b"}}, hide, "without the namespace prefix"},
		{"hide_prefix target as clients see it", []config.TopicAlias{{Alias: "a", Topic: "b"}}, hide, ""},
		{"enforce_prefix target with prefix", []config.TopicAlias{{Alias: "a", Topic: "team-a.b"}}, enforce, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.aliases, tc.ns, policy.Env{})
			if tc.err == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

// A request that names no alias is neither changed nor followed.
func TestNoAliasNoState(t *testing.T) {
	h := newHarness(t)
	for _, req := range []kmsg.Request{
		newProduce(12, -1, part{topic: "orders", part: 0}),
		newFetch(12, 0, 0, part{topic: "orders", part: 0}),
		metadataReq(12, "orders"),
	} {
		x, err := h.chain.OnRequest(context.Background(), anonymous(), req)
		if err != nil {
			t.Fatal(err)
		}
		if x.NeedsResponse() || x.Local() != nil {
			t.Errorf("%s without an alias: the policy kept state", kmsg.NameForKey(req.Key()))
		}
	}
}

// The policy's answers encode at the request's version.
func TestLocalAnswersEncode(t *testing.T) {
	h := newHarness(t)
	for _, req := range []kmsg.Request{
		func() kmsg.Request {
			r := kmsg.NewPtrCreateTopicsRequest()
			r.Version = 7
			t := kmsg.NewCreateTopicsRequestTopic()
			t.Topic = "orders-v1"
			r.Topics = append(r.Topics, t)
			return r
		}(),
		newFetch(12, 42, 3, part{topic: "orders-v1", part: 2}),
	} {
		resp := h.exchange(anonymous(), req, nil)
		if resp == nil {
			t.Fatalf("%s not answered", kmsg.NameForKey(req.Key()))
		}
		if resp.GetVersion() != req.GetVersion() {
			t.Errorf("%s answered at v%d, asked at v%d", kmsg.NameForKey(req.Key()), resp.GetVersion(), req.GetVersion())
		}
		b := resp.AppendTo(nil)
		back := req.ResponseKind()
		back.SetVersion(req.GetVersion())
		if err := back.ReadFrom(b); err != nil {
			t.Errorf("%s answer does not decode: %v", kmsg.NameForKey(req.Key()), err)
		}
	}
}

// The versions that name topics by id only are capped, lowering but never
// raising what is already capped.
func TestCaps(t *testing.T) {
	p, err := New(testAliases, nil, policy.Env{})
	if err != nil {
		t.Fatal(err)
	}
	caps := map[int16]int16{9: 7, 1: 15}
	p.(policy.VersionCapper).Cap(caps)
	if want := map[int16]int16{1: 15, 8: 9, 9: 7, 28: 5}; !reflect.DeepEqual(caps, want) {
		t.Errorf("caps %v, want %v", caps, want)
	}
}
