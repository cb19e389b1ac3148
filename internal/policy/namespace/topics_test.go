package namespace

import (
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// metadataAnswer is the fake backend's answer to a Metadata request: every
// topic for a null list, else those asked (unknown ones with
// UNKNOWN_TOPIC_OR_PARTITION).
func metadataAnswer(f *fixture, r *kmsg.MetadataRequest) *kmsg.MetadataResponse {
	resp := kmsg.NewPtrMetadataResponse()
	add := func(n string) {
		rt := kmsg.NewMetadataResponseTopic()
		rt.Topic = sp(n)
		if id, ok := f.topics.byName[n]; ok {
			rt.TopicID = id
			rt.Partitions = []kmsg.MetadataResponseTopicPartition{kmsg.NewMetadataResponseTopicPartition()}
		} else {
			rt.ErrorCode = errUnknownTopic
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if r.Topics == nil || len(r.Topics) == 0 && r.Version == 0 {
		names := append([]string(nil), backendTopics...)
		slices.Sort(names)
		for _, n := range names {
			add(n)
		}
		return resp
	}
	for _, t := range r.Topics {
		if t.Topic == nil {
			add(f.topics.byID[t.TopicID])
		} else {
			add(*t.Topic)
		}
	}
	return resp
}

func metadataRequest(v int16, autoCreate bool, names ...string) *kmsg.MetadataRequest {
	r := kmsg.NewPtrMetadataRequest()
	r.Version, r.AllowAutoTopicCreation = v, autoCreate
	for _, n := range names {
		rt := kmsg.NewMetadataRequestTopic()
		if id, ok := strings.CutPrefix(n, "id:"); ok {
			rt.TopicID = idOf(id)
			if id == "unknown" {
				rt.TopicID = [16]byte{9}
			}
		} else {
			rt.Topic = sp(n)
		}
		r.Topics = append(r.Topics, rt)
	}
	return r
}

type topicResult struct {
	name string
	code int16
}

func metadataResults(resp *kmsg.MetadataResponse) []topicResult {
	var out []topicResult
	for _, t := range resp.Topics {
		out = append(out, topicResult{deref2(t.Topic), t.ErrorCode})
	}
	return out
}

func TestMetadata(t *testing.T) {
	for _, tc := range []struct {
		name    string
		enforce bool
		req     *kmsg.MetadataRequest
		sent    []string // backend names forwarded; nil for all
		want    []topicResult
	}{
		{"hide/all", false, metadataRequest(12, false), nil, []topicResult{
			{"ref.countries", 0}, {"shared.prices", 0}, {"orders", 0}, {"payments", 0}, {"shared.dup", 0}}},
		{"enforce/all", true, metadataRequest(12, false), nil, []topicResult{
			{"ref.countries", 0}, {"shared.dup", 0}, {"shared.prices", 0},
			{"team-a.__hidden", 0}, {"team-a.orders", 0}, {"team-a.payments", 0}, {"team-a.shared.dup", 0}}},
		{"hide/v0 all", false, metadataRequest(0, false), nil, []topicResult{
			{"ref.countries", 0}, {"shared.prices", 0}, {"orders", 0}, {"payments", 0}, {"shared.dup", 0}}},
		{"hide/named", false, metadataRequest(12, false, "orders", "shared.prices", "shared.dup", "nope", "__consumer_offsets", strings.Repeat("x", 243)),
			[]string{"team-a.orders", "shared.prices", "team-a.shared.dup", "team-a.nope"}, []topicResult{
				{"orders", 0}, {"shared.prices", 0}, {"shared.dup", 0}, {"nope", errUnknownTopic},
				{"__consumer_offsets", errUnknownTopic}, {strings.Repeat("x", 243), errInvalidTopic}}},
		{"enforce/named", true, metadataRequest(12, false, "team-a.orders", "orders", "team-b.orders", "shared.prices"),
			[]string{"team-a.orders", "shared.prices"}, []topicResult{
				{"team-a.orders", 0}, {"shared.prices", 0}, {"orders", errUnknownTopic}, {"team-b.orders", errUnknownTopic}}},
		// Auto-creation: inside the namespace the prefixed name goes to
		// the backend; an additional topic that does not exist, or a
		// foreign one, is never forwarded.
		{"hide/auto-create", false, metadataRequest(12, true, "new", "shared.new", "shared.prices"),
			[]string{"team-a.new", "shared.prices"}, []topicResult{
				{"new", errUnknownTopic}, {"shared.prices", 0}, {"shared.new", errUnknownTopic}}},
		{"enforce/auto-create", true, metadataRequest(12, true, "team-a.new", "new", "shared.new"),
			[]string{"team-a.new"}, []topicResult{
				{"team-a.new", errUnknownTopic}, {"new", errUnknownTopic}, {"shared.new", errUnknownTopic}}},
		{"hide/by id", false, metadataRequest(12, false, "id:team-a.orders", "id:team-b.orders", "id:unknown"),
			[]string{"team-a.orders"}, []topicResult{{"orders", 0}, {"", errUnknownTopicID}, {"", errUnknownTopicID}}},
		{"hide/none left", false, metadataRequest(12, false, "__consumer_offsets"),
			[]string{}, []topicResult{{"__consumer_offsets", errUnknownTopic}}},
		{"hide/v0 none left", false, metadataRequest(0, false, "__consumer_offsets"),
			nil, []topicResult{{"__consumer_offsets", errUnknownTopic}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := hideCfg()
			if tc.enforce {
				cfg = enforceCfg()
			}
			f := newFixture(t, cfg)
			x := f.req(t, tc.req)
			forwarded(t, x)
			var sent []string
			for _, rt := range tc.req.Topics {
				if rt.Topic == nil {
					sent = append(sent, f.topics.byID[rt.TopicID])
				} else {
					sent = append(sent, *rt.Topic)
				}
			}
			if tc.sent == nil {
				if tc.req.Topics != nil && tc.req.Version > 0 {
					t.Fatalf("sent %v, want all topics", sent)
				}
			} else if !slices.Equal(sent, tc.sent) || tc.req.Topics == nil {
				t.Fatalf("sent %v (nil %v), want %v", sent, tc.req.Topics == nil, tc.sent)
			}
			resp := metadataAnswer(f, tc.req)
			f.resp(t, x, resp)
			if got := metadataResults(resp); !slices.Equal(got, tc.want) {
				t.Fatalf("answer %v\nwant %v", got, tc.want)
			}
			for _, rt := range resp.Topics {
				if rt.ErrorCode == errUnknownTopicID && rt.TopicID == ([16]byte{}) {
					t.Errorf("refused id answered without its id")
				}
			}
		})
	}
}

func TestMetadataLearnsAndConflicts(t *testing.T) {
	f := newFixture(t, hideCfg())
	x := f.req(t, metadataRequest(12, false))
	f.resp(t, x, metadataAnswer(f, x.Request.(*kmsg.MetadataRequest)))
	for _, n := range backendTopics {
		if f.topics.learned[n] != idOf(n) {
			t.Errorf("id of %s not learned", n)
		}
	}
	// team-a.shared.dup hides shared.dup: logged once, reported once.
	x = f.req(t, metadataRequest(12, false))
	f.resp(t, x, metadataAnswer(f, x.Request.(*kmsg.MetadataRequest)))
	if n := strings.Count(f.logs.String(), "namespace conflict"); n != 1 {
		t.Errorf("conflict logged %d times:\n%s", n, f.logs)
	}
	if got := f.metrics.get(); !slices.Equal(got, []bool{true}) {
		t.Errorf("metrics calls %v", got)
	}
	// Requests use what the listing told: no topic cache lookup.
	f.topics.lookups = 0
	r := metadataRequest(12, false, "shared.dup", "shared.prices")
	f.req(t, r)
	if *r.Topics[0].Topic != "team-a.shared.dup" || *r.Topics[1].Topic != "shared.prices" || f.topics.lookups != 0 {
		t.Errorf("sent %s, %s with %d lookups", *r.Topics[0].Topic, *r.Topics[1].Topic, f.topics.lookups)
	}
	// The conflict goes away with the prefixed topic.
	delete(f.topics.byName, "team-a.shared.dup")
	backend := slices.DeleteFunc(append([]string(nil), backendTopics...), func(s string) bool { return s == "team-a.shared.dup" })
	x = f.req(t, metadataRequest(12, false))
	resp := kmsg.NewPtrMetadataResponse()
	for _, n := range backend {
		rt := kmsg.NewMetadataResponseTopic()
		rt.Topic, rt.TopicID = sp(n), idOf(n)
		resp.Topics = append(resp.Topics, rt)
	}
	f.resp(t, x, resp)
	if got := f.metrics.get(); !slices.Equal(got, []bool{true, false}) {
		t.Errorf("metrics calls %v", got)
	}
	r = metadataRequest(12, false, "shared.dup")
	f.req(t, r)
	if *r.Topics[0].Topic != "shared.dup" {
		t.Errorf("after the conflict, sent %s", *r.Topics[0].Topic)
	}

	// Conflict: ignore logs and reports nothing.
	cfg := hideCfg()
	cfg.Additional.Topics[0].Conflict = "ignore"
	g := newFixture(t, cfg)
	x = g.req(t, metadataRequest(12, false))
	resp = metadataAnswer(g, x.Request.(*kmsg.MetadataRequest))
	g.resp(t, x, resp)
	if strings.Contains(g.logs.String(), "conflict") || len(g.metrics.get()) != 0 {
		t.Errorf("ignored conflict reported: %v %s", g.metrics.get(), g.logs)
	}
	if got := metadataResults(resp); slices.Index(got, topicResult{"shared.dup", 0}) < 0 || len(got) != 5 {
		t.Errorf("answer %v", got)
	}
}

func TestMetadataForgetsDeletedTopic(t *testing.T) {
	f := newFixture(t, hideCfg())
	r := metadataRequest(12, false, "shared.dup")
	x := f.req(t, r)
	if *r.Topics[0].Topic != "team-a.shared.dup" {
		t.Fatalf("sent %s", *r.Topics[0].Topic)
	}
	// The prefixed topic is deleted behind the gateway's back.
	delete(f.topics.byName, "team-a.shared.dup")
	resp := metadataAnswer(f, r)
	f.resp(t, x, resp)
	r = metadataRequest(12, false, "shared.dup")
	f.req(t, r)
	if *r.Topics[0].Topic != "shared.dup" {
		t.Fatalf("after deletion, sent %s", *r.Topics[0].Topic)
	}
}

func TestCreateTopics(t *testing.T) {
	mk := func(names ...string) *kmsg.CreateTopicsRequest {
		r := kmsg.NewPtrCreateTopicsRequest()
		r.Version = 7
		for _, n := range names {
			rt := kmsg.NewCreateTopicsRequestTopic()
			rt.Topic = n
			r.Topics = append(r.Topics, rt)
		}
		return r
	}
	long := strings.Repeat("x", 243)
	for _, tc := range []struct {
		name    string
		enforce bool
		topics  []string
		sent    []string
		refused map[string]int16
	}{
		{"hide", false, []string{"new", "shared.new", "shared.prices", "ref.countries", "__x", long, "."},
			[]string{"team-a.new"}, map[string]int16{
				"shared.new": errTopicDenied, "shared.prices": errTopicDenied, "ref.countries": errTopicDenied,
				"__x": errTopicDenied, long: errInvalidTopic, ".": errInvalidTopic}},
		{"enforce", true, []string{"team-a.new", "new", "team-b.new", "shared.prices"},
			[]string{"team-a.new"}, map[string]int16{"new": errTopicDenied, "team-b.new": errTopicDenied, "shared.prices": errTopicDenied}},
		{"hide/all refused", false, []string{"shared.x"}, nil, map[string]int16{"shared.x": errTopicDenied}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := hideCfg()
			if tc.enforce {
				cfg = enforceCfg()
			}
			f := newFixture(t, cfg)
			r := mk(tc.topics...)
			x := f.req(t, r)
			var resp *kmsg.CreateTopicsResponse
			if tc.sent == nil {
				resp = local[*kmsg.CreateTopicsResponse](t, x)
			} else {
				forwarded(t, x)
				var sent []string
				for _, rt := range r.Topics {
					sent = append(sent, rt.Topic)
				}
				if !slices.Equal(sent, tc.sent) {
					t.Fatalf("sent %v", sent)
				}
				resp = kmsg.NewPtrCreateTopicsResponse()
				for _, n := range sent {
					rt := kmsg.NewCreateTopicsResponseTopic()
					rt.Topic, rt.TopicID = n, idOf(n)
					rt.ErrorMessage = sp("created " + n)
					resp.Topics = append(resp.Topics, rt)
				}
				f.resp(t, x, resp)
				if f.topics.learned[tc.sent[0]] != idOf(tc.sent[0]) {
					t.Error("created topic's id not learned")
				}
			}
			got := map[string]int16{}
			for _, rt := range resp.Topics {
				got[rt.Topic] = rt.ErrorCode
				if rt.ErrorMessage != nil && strings.Contains(*rt.ErrorMessage, "team-a.") && !tc.enforce {
					t.Errorf("message %q leaks the prefix", *rt.ErrorMessage)
				}
			}
			for n, code := range tc.refused {
				if got[n] != code {
					t.Errorf("%.20s: %d, want %d", n, got[n], code)
				}
			}
			if len(got) != len(tc.topics) {
				t.Errorf("answer %v", got)
			}
		})
	}
}

func TestDeleteTopics(t *testing.T) {
	t.Run("v5 names", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrDeleteTopicsRequest()
		r.Version = 5
		r.TopicNames = []string{"orders", "shared.prices", "__consumer_offsets"}
		x := f.req(t, r)
		if !slices.Equal(r.TopicNames, []string{"team-a.orders"}) {
			t.Fatalf("sent %v", r.TopicNames)
		}
		resp := kmsg.NewPtrDeleteTopicsResponse()
		resp.Topics = []kmsg.DeleteTopicsResponseTopic{{Topic: sp("team-a.orders")}}
		f.resp(t, x, resp)
		got := map[string]int16{}
		for _, rt := range resp.Topics {
			got[*rt.Topic] = rt.ErrorCode
		}
		if len(got) != 3 || got["orders"] != 0 || got["shared.prices"] != errTopicDenied || got["__consumer_offsets"] != errUnknownTopic {
			t.Fatalf("answer %v", got)
		}
	})
	t.Run("v6 ids", func(t *testing.T) {
		f := newFixture(t, enforceCfg())
		r := kmsg.NewPtrDeleteTopicsRequest()
		r.Version = 6
		r.Topics = []kmsg.DeleteTopicsRequestTopic{
			{TopicID: idOf("team-a.orders")}, {TopicID: idOf("team-b.orders")}, {TopicID: idOf("shared.prices")},
			{Topic: sp("team-a.payments")}, {Topic: sp("other")},
		}
		x := f.req(t, r)
		if len(r.Topics) != 2 || r.Topics[0].TopicID != idOf("team-a.orders") || *r.Topics[1].Topic != "team-a.payments" {
			t.Fatalf("sent %+v", r.Topics)
		}
		resp := kmsg.NewPtrDeleteTopicsResponse()
		resp.Topics = []kmsg.DeleteTopicsResponseTopic{{Topic: sp("team-a.orders"), TopicID: idOf("team-a.orders")}, {Topic: sp("team-a.payments")}}
		f.resp(t, x, resp)
		if len(resp.Topics) != 5 {
			t.Fatalf("answer %+v", resp.Topics)
		}
		for _, rt := range resp.Topics[2:] {
			var want int16
			switch {
			case rt.TopicID == idOf("team-b.orders"):
				want = errUnknownTopicID
			case rt.TopicID == idOf("shared.prices"):
				want = errTopicDenied
			case deref2(rt.Topic) == "other":
				want = errUnknownTopic
			}
			if rt.ErrorCode != want {
				t.Errorf("%s %x: %d, want %d", deref2(rt.Topic), rt.TopicID[:2], rt.ErrorCode, want)
			}
		}
	})
	t.Run("all refused", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrDeleteTopicsRequest()
		r.Version = 6
		r.Topics = []kmsg.DeleteTopicsRequestTopic{{TopicID: idOf("team-b.orders")}}
		resp := local[*kmsg.DeleteTopicsResponse](t, f.req(t, r))
		if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != errUnknownTopicID || resp.Topics[0].TopicID != idOf("team-b.orders") {
			t.Fatalf("answer %+v", resp.Topics)
		}
	})
}

// TestTopicLists covers the keys that carry one list of topics with
// partitions: the names go in prefixed, come out stripped, and refused
// names are answered beside the backend's answer.
func TestTopicLists(t *testing.T) {
	type tcase struct {
		name string
		// mk builds the request for topics; sent lists the names it holds
		// after the hook; answer builds the backend's answer to it; got
		// lists the answer's names and codes.
		mk     func(v int16, topics ...string) kmsg.Request
		sent   func(kmsg.Request) []string
		answer func(kmsg.Request) kmsg.Response
		got    func(kmsg.Response) []topicResult
		admin  bool
	}
	cases := []tcase{
		{
			name: "ListOffsets",
			mk: func(v int16, ts ...string) kmsg.Request {
				r := kmsg.NewPtrListOffsetsRequest()
				r.Version = v
				for _, n := range ts {
					r.Topics = append(r.Topics, kmsg.ListOffsetsRequestTopic{Topic: n, Partitions: []kmsg.ListOffsetsRequestTopicPartition{{Partition: 1}}})
				}
				return r
			},
			sent: func(q kmsg.Request) (out []string) {
				for _, t := range q.(*kmsg.ListOffsetsRequest).Topics {
					out = append(out, t.Topic)
				}
				return
			},
			answer: func(q kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrListOffsetsResponse()
				for _, t := range q.(*kmsg.ListOffsetsRequest).Topics {
					resp.Topics = append(resp.Topics, kmsg.ListOffsetsResponseTopic{Topic: t.Topic, Partitions: []kmsg.ListOffsetsResponseTopicPartition{{Partition: 1}}})
				}
				return resp
			},
			got: func(s kmsg.Response) (out []topicResult) {
				for _, t := range s.(*kmsg.ListOffsetsResponse).Topics {
					out = append(out, topicResult{t.Topic, t.Partitions[0].ErrorCode})
				}
				return
			},
		},
		{
			name: "OffsetForLeaderEpoch",
			mk: func(v int16, ts ...string) kmsg.Request {
				r := kmsg.NewPtrOffsetForLeaderEpochRequest()
				r.Version = v
				for _, n := range ts {
					r.Topics = append(r.Topics, kmsg.OffsetForLeaderEpochRequestTopic{Topic: n, Partitions: []kmsg.OffsetForLeaderEpochRequestTopicPartition{{Partition: 1}}})
				}
				return r
			},
			sent: func(q kmsg.Request) (out []string) {
				for _, t := range q.(*kmsg.OffsetForLeaderEpochRequest).Topics {
					out = append(out, t.Topic)
				}
				return
			},
			answer: func(q kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrOffsetForLeaderEpochResponse()
				for _, t := range q.(*kmsg.OffsetForLeaderEpochRequest).Topics {
					resp.Topics = append(resp.Topics, kmsg.OffsetForLeaderEpochResponseTopic{Topic: t.Topic, Partitions: []kmsg.OffsetForLeaderEpochResponseTopicPartition{{Partition: 1}}})
				}
				return resp
			},
			got: func(s kmsg.Response) (out []topicResult) {
				for _, t := range s.(*kmsg.OffsetForLeaderEpochResponse).Topics {
					out = append(out, topicResult{t.Topic, t.Partitions[0].ErrorCode})
				}
				return
			},
		},
		{
			name:  "DeleteRecords",
			admin: true,
			mk: func(v int16, ts ...string) kmsg.Request {
				r := kmsg.NewPtrDeleteRecordsRequest()
				r.Version = v
				for _, n := range ts {
					r.Topics = append(r.Topics, kmsg.DeleteRecordsRequestTopic{Topic: n, Partitions: []kmsg.DeleteRecordsRequestTopicPartition{{Partition: 1}}})
				}
				return r
			},
			sent: func(q kmsg.Request) (out []string) {
				for _, t := range q.(*kmsg.DeleteRecordsRequest).Topics {
					out = append(out, t.Topic)
				}
				return
			},
			answer: func(q kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrDeleteRecordsResponse()
				for _, t := range q.(*kmsg.DeleteRecordsRequest).Topics {
					resp.Topics = append(resp.Topics, kmsg.DeleteRecordsResponseTopic{Topic: t.Topic, Partitions: []kmsg.DeleteRecordsResponseTopicPartition{{Partition: 1}}})
				}
				return resp
			},
			got: func(s kmsg.Response) (out []topicResult) {
				for _, t := range s.(*kmsg.DeleteRecordsResponse).Topics {
					out = append(out, topicResult{t.Topic, t.Partitions[0].ErrorCode})
				}
				return
			},
		},
		{
			name: "DescribeProducers",
			mk: func(v int16, ts ...string) kmsg.Request {
				r := kmsg.NewPtrDescribeProducersRequest()
				r.Version = v
				for _, n := range ts {
					r.Topics = append(r.Topics, kmsg.DescribeProducersRequestTopic{Topic: n, Partitions: []int32{1}})
				}
				return r
			},
			sent: func(q kmsg.Request) (out []string) {
				for _, t := range q.(*kmsg.DescribeProducersRequest).Topics {
					out = append(out, t.Topic)
				}
				return
			},
			answer: func(q kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrDescribeProducersResponse()
				for _, t := range q.(*kmsg.DescribeProducersRequest).Topics {
					resp.Topics = append(resp.Topics, kmsg.DescribeProducersResponseTopic{Topic: t.Topic, Partitions: []kmsg.DescribeProducersResponseTopicPartition{{Partition: 1}}})
				}
				return resp
			},
			got: func(s kmsg.Response) (out []topicResult) {
				for _, t := range s.(*kmsg.DescribeProducersResponse).Topics {
					out = append(out, topicResult{t.Topic, t.Partitions[0].ErrorCode})
				}
				return
			},
		},
		{
			name:  "CreatePartitions",
			admin: true,
			mk: func(v int16, ts ...string) kmsg.Request {
				r := kmsg.NewPtrCreatePartitionsRequest()
				r.Version = v
				for _, n := range ts {
					r.Topics = append(r.Topics, kmsg.CreatePartitionsRequestTopic{Topic: n, Count: 4})
				}
				return r
			},
			sent: func(q kmsg.Request) (out []string) {
				for _, t := range q.(*kmsg.CreatePartitionsRequest).Topics {
					out = append(out, t.Topic)
				}
				return
			},
			answer: func(q kmsg.Request) kmsg.Response {
				resp := kmsg.NewPtrCreatePartitionsResponse()
				for _, t := range q.(*kmsg.CreatePartitionsRequest).Topics {
					resp.Topics = append(resp.Topics, kmsg.CreatePartitionsResponseTopic{Topic: t.Topic})
				}
				return resp
			},
			got: func(s kmsg.Response) (out []topicResult) {
				for _, t := range s.(*kmsg.CreatePartitionsResponse).Topics {
					out = append(out, topicResult{t.Topic, t.ErrorCode})
				}
				return
			},
		},
	}
	for _, c := range cases {
		additional := int16(0)
		if c.admin {
			additional = errTopicDenied
		}
		for _, m := range []struct {
			name    string
			enforce bool
			topics  []string
			sent    []string
			want    []topicResult
		}{
			{"hide", false, []string{"orders", "shared.prices", "__consumer_offsets", strings.Repeat("y", 243)},
				[]string{"team-a.orders", "shared.prices"},
				[]topicResult{{"orders", 0}, {"shared.prices", 0}, {"__consumer_offsets", errUnknownTopic}, {strings.Repeat("y", 243), errInvalidTopic}}},
			{"enforce", true, []string{"team-a.orders", "shared.prices", "orders", "team-b.orders"},
				[]string{"team-a.orders", "shared.prices"},
				[]topicResult{{"team-a.orders", 0}, {"shared.prices", 0}, {"orders", errUnknownTopic}, {"team-b.orders", errUnknownTopic}}},
			{"hide/all refused", false, []string{"__consumer_offsets"}, nil, []topicResult{{"__consumer_offsets", errUnknownTopic}}},
		} {
			t.Run(c.name+"/"+m.name, func(t *testing.T) {
				cfg := hideCfg()
				if m.enforce {
					cfg = enforceCfg()
				}
				f := newFixture(t, cfg)
				q := c.mk(kmsg.RequestForKey(c.mk(0).Key()).MaxVersion())
				q = c.mk(q.GetVersion(), m.topics...)
				x := f.req(t, q)
				var resp kmsg.Response
				want := slices.Clone(m.want)
				if m.sent == nil {
					resp = x.Local()
					if resp == nil {
						t.Fatal("forwarded, want a local answer")
					}
				} else {
					forwarded(t, x)
					sent := c.sent(q)
					if c.admin {
						// Additional topics are refused for administration.
						want = slices.DeleteFunc(want, func(r topicResult) bool { return r.name == "shared.prices" })
						want = append(want, topicResult{"shared.prices", additional})
						if !slices.Equal(sent, m.sent[:1]) {
							t.Fatalf("sent %v", sent)
						}
					} else if !slices.Equal(sent, m.sent) {
						t.Fatalf("sent %v, want %v", sent, m.sent)
					}
					resp = c.answer(q)
					if !x.NeedsResponse() {
						if m.enforce && len(want) == len(sent) {
							return
						}
						t.Fatal("response not wanted")
					}
					f.resp(t, x, resp)
				}
				got := c.got(resp)
				slices.SortFunc(got, func(a, b topicResult) int { return strings.Compare(a.name, b.name) })
				slices.SortFunc(want, func(a, b topicResult) int { return strings.Compare(a.name, b.name) })
				if !slices.Equal(got, want) {
					t.Fatalf("answer %v\nwant %v", got, want)
				}
			})
		}
	}
}

func TestDescribeTopicPartitions(t *testing.T) {
	answer := func(names []string, next string) *kmsg.DescribeTopicPartitionsResponse {
		resp := kmsg.NewPtrDescribeTopicPartitionsResponse()
		for _, n := range names {
			rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
			rt.Topic, rt.TopicID = sp(n), idOf(n)
			resp.Topics = append(resp.Topics, rt)
		}
		if next != "" {
			resp.NextCursor = &kmsg.DescribeTopicPartitionsResponseNextCursor{Topic: next, Partition: 2}
		}
		return resp
	}
	names := func(resp *kmsg.DescribeTopicPartitionsResponse) (out []topicResult) {
		for _, t := range resp.Topics {
			out = append(out, topicResult{deref2(t.Topic), t.ErrorCode})
		}
		return
	}
	t.Run("hide/all", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrDescribeTopicPartitionsRequest()
		x := f.req(t, r)
		if r.Cursor == nil || r.Cursor.Topic != "team-a." || len(r.Topics) != 0 {
			t.Fatalf("request %+v", r)
		}
		resp := answer([]string{"team-a.__hidden", "team-a.orders"}, "team-a.payments")
		f.resp(t, x, resp)
		if got := names(resp); !slices.Equal(got, []topicResult{{"orders", 0}}) || resp.NextCursor == nil || resp.NextCursor.Topic != "payments" {
			t.Fatalf("answer %v, cursor %+v", got, resp.NextCursor)
		}
		if f.topics.learned["team-a.orders"] != idOf("team-a.orders") {
			t.Error("id not learned")
		}
		// The next page starts at the cursor and ends past the prefix.
		r = kmsg.NewPtrDescribeTopicPartitionsRequest()
		r.Cursor = &kmsg.DescribeTopicPartitionsRequestCursor{Topic: "payments", Partition: 2}
		x = f.req(t, r)
		if r.Cursor.Topic != "team-a.payments" || r.Cursor.Partition != 2 {
			t.Fatalf("cursor %+v", r.Cursor)
		}
		resp = answer([]string{"team-a.payments", "team-a.shared.dup", "team-b.orders"}, "team-b.x")
		f.resp(t, x, resp)
		if got := names(resp); !slices.Equal(got, []topicResult{{"payments", 0}, {"shared.dup", 0}}) || resp.NextCursor != nil {
			t.Fatalf("answer %v, cursor %+v", got, resp.NextCursor)
		}
	})
	t.Run("enforce/named", func(t *testing.T) {
		f := newFixture(t, enforceCfg())
		r := kmsg.NewPtrDescribeTopicPartitionsRequest()
		r.Topics = []kmsg.DescribeTopicPartitionsRequestTopic{{Topic: "team-a.orders"}, {Topic: "team-b.orders"}, {Topic: "shared.prices"}}
		r.Cursor = &kmsg.DescribeTopicPartitionsRequestCursor{Topic: "team-a.orders"}
		x := f.req(t, r)
		if len(r.Topics) != 2 || r.Topics[1].Topic != "shared.prices" {
			t.Fatalf("sent %+v", r.Topics)
		}
		resp := answer([]string{"team-a.orders", "shared.prices"}, "shared.prices")
		f.resp(t, x, resp)
		want := []topicResult{{"team-a.orders", 0}, {"shared.prices", 0}, {"team-b.orders", errUnknownTopic}}
		if got := names(resp); !slices.Equal(got, want) || resp.NextCursor.Topic != "shared.prices" {
			t.Fatalf("answer %v, cursor %+v", got, resp.NextCursor)
		}
	})
}

func TestDescribeLogDirs(t *testing.T) {
	f := newFixture(t, hideCfg())
	r := kmsg.NewPtrDescribeLogDirsRequest()
	r.Topics = []kmsg.DescribeLogDirsRequestTopic{{Topic: "__consumer_offsets"}}
	x := f.req(t, r)
	if r.Topics == nil || len(r.Topics) != 0 {
		t.Fatalf("sent %+v: want an empty, non-null list", r.Topics)
	}
	resp := kmsg.NewPtrDescribeLogDirsResponse()
	f.resp(t, x, resp)

	r = kmsg.NewPtrDescribeLogDirsRequest() // every topic
	x = f.req(t, r)
	resp = kmsg.NewPtrDescribeLogDirsResponse()
	resp.Dirs = []kmsg.DescribeLogDirsResponseDir{{Dir: "/d", Topics: []kmsg.DescribeLogDirsResponseDirTopic{
		{Topic: "team-a.orders"}, {Topic: "team-b.orders"}, {Topic: "__consumer_offsets"}, {Topic: "shared.prices"}}}}
	f.resp(t, x, resp)
	var got []string
	for _, t := range resp.Dirs[0].Topics {
		got = append(got, t.Topic)
	}
	if !slices.Equal(got, []string{"orders", "shared.prices"}) {
		t.Fatalf("answer %v", got)
	}
}
