package namespace

import (
	"context"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
)

func TestNew(t *testing.T) {
	topics := newFakeTopics()
	for _, tc := range []struct {
		name string
		cfg  *config.Namespace
		env  policy.Env
		want string
	}{
		{"nil", nil, policy.Env{Topics: topics}, "no namespace config"},
		{"no prefix", &config.Namespace{}, policy.Env{Topics: topics}, "prefix: required"},
		{"internal prefix", &config.Namespace{Prefix: "__a"}, policy.Env{Topics: topics}, "internal"},
		{"no cache", &config.Namespace{Prefix: "a."}, policy.Env{}, "topic cache"},
		{"bad mode", &config.Namespace{Prefix: "a.", Mode: "x"}, policy.Env{Topics: topics}, "unknown namespace mode"},
		{"bad glob", &config.Namespace{Prefix: "a.", Additional: config.NamespaceAdditional{Topics: []config.NameSelector{{Type: "glob"}}}},
			policy.Env{Topics: topics}, "additional.topics[0].glob: empty glob"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
	p, err := New(&config.Namespace{Prefix: "a."}, policy.Env{Topics: topics})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "namespace" || !p.(*Policy).hide {
		t.Fatalf("default policy %+v", p)
	}
}

func TestCap(t *testing.T) {
	f := newFixture(t, hideCfg())
	caps := f.chain.Caps()
	for _, tc := range []struct {
		key  int16
		want int16
	}{
		{0, 13}, {1, 18}, {3, 13}, {24, 3}, {66, 1}, // handled, capped at the last shape handled
		{29, -1}, {30, -1}, {31, -1}, // ACLs
		{34, -1}, {43, -1}, {45, -1}, {46, -1}, {55, -1}, {57, -1}, {64, -1}, // cluster operations
		{38, -1}, {48, -1}, {50, -1}, {51, -1}, // tokens, quotas, SCRAM
		{74, -1}, {88, -1}, {89, -1}, {93, -1}, // listings, streams groups
		{4, -1}, {95, -1}, {127, -1}, // broker-internal, unknown
		{17, 1}, {36, 2}, {60, 2}, // passed untouched
	} {
		if got, ok := caps[tc.key]; !ok || got != tc.want {
			t.Errorf("cap of key %d = %d (%v), want %d", tc.key, got, ok, tc.want)
		}
	}
	if _, ok := caps[18]; ok {
		t.Error("ApiVersions capped")
	}
	// Every handled key is decoded; no passthrough key is.
	for k := range served {
		if want := !passthrough.Has(k); f.chain.Wants(k) != want {
			t.Errorf("chain wants key %d: %v", k, !want)
		}
	}
	// A lower cap of another policy stays.
	c := map[int16]int16{0: 5, 1: 20}
	f.p.Cap(c)
	if c[0] != 5 || c[1] != 18 {
		t.Errorf("caps %v", c)
	}
}

func TestNames(t *testing.T) {
	long := strings.Repeat("x", 243) // 250 with the prefix
	ctx := context.Background()
	for _, tc := range []struct {
		mode   *config.Namespace
		client string
		// want is the backend name; "" with code.
		want string
		add  bool
		code int16
	}{
		{hideCfg(), "orders", "team-a.orders", false, 0},
		{hideCfg(), "new", "team-a.new", false, 0},
		{hideCfg(), "team-a.orders", "team-a.team-a.orders", false, 0},
		{hideCfg(), "shared.prices", "shared.prices", true, 0},
		{hideCfg(), "shared.dup", "team-a.shared.dup", false, 0}, // the prefixed one wins
		{hideCfg(), "shared.unknown", "shared.unknown", true, 0},
		{hideCfg(), "ref.countries", "ref.countries", true, 0},
		{hideCfg(), "__consumer_offsets", "", false, errUnknownTopic},
		{hideCfg(), "__hidden", "", false, errUnknownTopic},
		{hideCfg(), long, "", false, errInvalidTopic},
		{hideCfg(), long[:242], "team-a." + long[:242], false, 0},
		{hideCfg(), "", "", false, errInvalidTopic},
		{hideCfg(), "..", "", false, errInvalidTopic},
		{enforceCfg(), "team-a.orders", "team-a.orders", false, 0},
		{enforceCfg(), "orders", "", false, errUnknownTopic},
		{enforceCfg(), "team-b.orders", "", false, errUnknownTopic},
		{enforceCfg(), "shared.prices", "shared.prices", true, 0},
		{enforceCfg(), "other", "", false, errUnknownTopic},
		{enforceCfg(), "__consumer_offsets", "", false, errUnknownTopic},
	} {
		t.Run(tc.mode.Mode+"/"+tc.client, func(t *testing.T) {
			f := newFixture(t, tc.mode)
			b, add, code := f.p.topicIn(ctx, tc.client)
			if b != tc.want || add != tc.add || code != tc.code {
				t.Fatalf("topicIn(%q) = %q, %v, %d; want %q, %v, %d", tc.client, b, add, code, tc.want, tc.add, tc.code)
			}
			if code == 0 {
				if c, ok := f.p.topicOut(b); !ok || c != tc.client {
					t.Fatalf("topicOut(%q) = %q, %v; want %q", b, c, ok, tc.client)
				}
			}
		})
	}
	for _, tc := range []struct {
		mode    *config.Namespace
		backend string
		want    string // "" for not visible
	}{
		{hideCfg(), "team-a.orders", "orders"},
		{hideCfg(), "team-b.orders", ""},
		{hideCfg(), "other", ""},
		{hideCfg(), "__consumer_offsets", ""},
		{hideCfg(), "team-a.__hidden", ""},
		{hideCfg(), "team-a.", ""},
		{hideCfg(), "shared.prices", "shared.prices"},
		{enforceCfg(), "team-a.orders", "team-a.orders"},
		{enforceCfg(), "team-a.__hidden", "team-a.__hidden"},
		{enforceCfg(), "team-b.orders", ""},
		{enforceCfg(), "ref.countries", "ref.countries"},
	} {
		t.Run("out/"+tc.mode.Mode+"/"+tc.backend, func(t *testing.T) {
			f := newFixture(t, tc.mode)
			c, ok := f.p.topicOut(tc.backend)
			if ok != (tc.want != "") || c != tc.want {
				t.Fatalf("topicOut(%q) = %q, %v; want %q", tc.backend, c, ok, tc.want)
			}
		})
	}
	// Groups and transactional ids.
	h, e := newFixture(t, hideCfg()).p, newFixture(t, enforceCfg()).p
	for _, tc := range []struct {
		p      *Policy
		client string
		want   string
		add    bool
		ok     bool
	}{
		{h, "g1", "team-a.g1", false, true},
		{h, "", "team-a.", false, true},
		{h, "legacy-x", "legacy-x", true, true},
		{e, "team-a.g1", "team-a.g1", false, true},
		{e, "g1", "", false, false},
		{e, "legacy-x", "legacy-x", true, true},
	} {
		b, add, ok := tc.p.groupIn(tc.client)
		if ok != tc.ok || ok && (b != tc.want || add != tc.add) {
			t.Errorf("groupIn(%q) = %q, %v, %v", tc.client, b, add, ok)
		}
		if ok {
			if c, vis := tc.p.groupOut(b); !vis || c != tc.client {
				t.Errorf("groupOut(%q) = %q, %v", b, c, vis)
			}
		}
	}
	if _, ok := h.groupOut("team-a.legacy-x"); ok {
		t.Error("a prefixed group hidden by an additional one is visible")
	}
	if _, ok := h.groupOut("team-b.g1"); ok {
		t.Error("a foreign group is visible")
	}
	if b, ok := h.txnIn("tx"); !ok || b != "team-a.tx" {
		t.Errorf("txnIn = %q %v", b, ok)
	}
	if _, ok := e.txnIn("tx"); ok {
		t.Error("enforce_prefix takes a transactional id without the prefix")
	}
	if c, ok := h.txnOut("team-a.tx"); !ok || c != "tx" {
		t.Errorf("txnOut = %q %v", c, ok)
	}
	if _, ok := h.txnOut("team-b.tx"); ok {
		t.Error("a foreign transactional id is visible")
	}
}

func TestProduce(t *testing.T) {
	mk := func(v int16, topics ...string) *kmsg.ProduceRequest {
		r := kmsg.NewPtrProduceRequest()
		r.Version, r.Acks = v, -1
		for _, n := range topics {
			rt := kmsg.NewProduceRequestTopic()
			if v >= 13 {
				rt.TopicID = idOf(n)
			} else {
				rt.Topic = n
			}
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Records = []byte("records")
			rt.Partitions = append(rt.Partitions, rp)
			r.Topics = append(r.Topics, rt)
		}
		return r
	}
	answer := func(r *kmsg.ProduceRequest) *kmsg.ProduceResponse {
		resp := kmsg.NewPtrProduceResponse()
		for _, t := range r.Topics {
			rt := kmsg.NewProduceResponseTopic()
			rt.Topic, rt.TopicID = t.Topic, t.TopicID
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.ErrorMessage = sp("trouble with " + t.Topic)
			rt.Partitions = append(rt.Partitions, rp)
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	}
	t.Run("hide/names", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		// team-b.orders is a name in the namespace: team-a.team-b.orders.
		r := mk(12, "orders", "shared.prices", "team-b.orders", "__consumer_offsets")
		r.TransactionID = sp("tx")
		x := f.req(t, r)
		forwarded(t, x)
		if len(r.Topics) != 3 || r.Topics[0].Topic != "team-a.orders" || r.Topics[1].Topic != "shared.prices" || r.Topics[2].Topic != "team-a.team-b.orders" {
			t.Fatalf("forwarded topics %+v", r.Topics)
		}
		if *r.TransactionID != "team-a.tx" {
			t.Fatalf("transactional id %q", *r.TransactionID)
		}
		resp := answer(r)
		f.resp(t, x, resp)
		got := map[string]int16{}
		for _, t := range resp.Topics {
			got[t.Topic] = t.Partitions[0].ErrorCode
		}
		want := map[string]int16{"orders": 0, "shared.prices": 0, "team-b.orders": 0, "__consumer_offsets": errUnknownTopic}
		if len(got) != len(want) {
			t.Fatalf("response topics %v", got)
		}
		for k, v := range want {
			if c, ok := got[k]; !ok || c != v {
				t.Errorf("topic %s: %d %v, want %d", k, c, ok, v)
			}
		}
		if m := *resp.Topics[0].Partitions[0].ErrorMessage; m != "trouble with orders" {
			t.Errorf("message %q leaks the prefix", m)
		}
	})
	t.Run("hide/ids", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := mk(13, "team-a.orders", "shared.prices")
		x := f.req(t, r)
		forwarded(t, x)
		if x.NeedsResponse() {
			t.Fatal("produce by id with nothing refused reads the response")
		}
		if len(r.Topics) != 2 {
			t.Fatalf("topics %+v", r.Topics)
		}
	})
	t.Run("hide/foreign ids", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := mk(13, "team-a.orders", "team-b.orders", "__consumer_offsets")
		r.Topics = append(r.Topics, kmsg.ProduceRequestTopic{TopicID: [16]byte{1}, Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 7}}})
		x := f.req(t, r)
		forwarded(t, x)
		if len(r.Topics) != 1 || r.Topics[0].TopicID != idOf("team-a.orders") {
			t.Fatalf("topics %+v", r.Topics)
		}
		resp := answer(r)
		f.resp(t, x, resp)
		if len(resp.Topics) != 4 {
			t.Fatalf("response %+v", resp.Topics)
		}
		for _, rt := range resp.Topics[1:] {
			if rt.Partitions[0].ErrorCode != errUnknownTopicID || rt.Partitions[0].BaseOffset != -1 {
				t.Errorf("foreign id %x: %+v", rt.TopicID, rt.Partitions)
			}
		}
		if resp.Topics[3].Partitions[0].Partition != 7 {
			t.Errorf("unknown id partition %+v", resp.Topics[3].Partitions)
		}
	})
	t.Run("all foreign", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		x := f.req(t, mk(12, "__consumer_offsets", "__transaction_state"))
		resp := local[*kmsg.ProduceResponse](t, x)
		if len(resp.Topics) != 2 || resp.Topics[0].Topic != "__consumer_offsets" || resp.Topics[0].Partitions[0].ErrorCode != errUnknownTopic {
			t.Fatalf("local answer %+v", resp.Topics)
		}
	})
	t.Run("acks=0 with a refusal", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := mk(12, "orders", "__consumer_offsets")
		r.Acks = 0
		// Answered, so that the session closes the connection as Kafka does.
		local[*kmsg.ProduceResponse](t, f.req(t, r))
	})
	t.Run("too long", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		x := f.req(t, mk(12, strings.Repeat("x", 243)))
		resp := local[*kmsg.ProduceResponse](t, x)
		if resp.Topics[0].Partitions[0].ErrorCode != errInvalidTopic {
			t.Fatalf("local answer %+v", resp.Topics)
		}
	})
	t.Run("enforce/names", func(t *testing.T) {
		f := newFixture(t, enforceCfg())
		r := mk(12, "team-a.orders", "orders")
		x := f.req(t, r)
		if len(r.Topics) != 1 || r.Topics[0].Topic != "team-a.orders" {
			t.Fatalf("topics %+v", r.Topics)
		}
		resp := answer(r)
		f.resp(t, x, resp)
		if len(resp.Topics) != 2 || resp.Topics[0].Topic != "team-a.orders" || resp.Topics[1].Topic != "orders" || resp.Topics[1].Partitions[0].ErrorCode != errUnknownTopic {
			t.Fatalf("response %+v", resp.Topics)
		}
	})
	t.Run("enforce/no response needed", func(t *testing.T) {
		f := newFixture(t, enforceCfg())
		x := f.req(t, mk(12, "team-a.orders"))
		if x.NeedsResponse() {
			t.Fatal("enforce_prefix produce with nothing refused reads the response")
		}
	})
	t.Run("enforce/foreign transactional id", func(t *testing.T) {
		f := newFixture(t, enforceCfg())
		r := mk(12, "team-a.orders")
		r.TransactionID = sp("tx")
		resp := local[*kmsg.ProduceResponse](t, f.req(t, r))
		if resp.Topics[0].Topic != "team-a.orders" || resp.Topics[0].Partitions[0].ErrorCode != errTxnDenied {
			t.Fatalf("local answer %+v", resp.Topics)
		}
	})
}

func TestFetch(t *testing.T) {
	mk := func(v int16, topics ...string) *kmsg.FetchRequest {
		r := kmsg.NewPtrFetchRequest()
		r.Version, r.MinBytes = v, 1
		for _, n := range topics {
			rt := kmsg.NewFetchRequestTopic()
			ft := kmsg.NewFetchRequestForgottenTopic()
			if v >= 13 {
				rt.TopicID, ft.TopicID = idOf(n), idOf(n)
			} else {
				rt.Topic, ft.Topic = n, n
			}
			rt.Partitions = []kmsg.FetchRequestTopicPartition{kmsg.NewFetchRequestTopicPartition()}
			r.Topics = append(r.Topics, rt)
			r.ForgottenTopics = append(r.ForgottenTopics, ft)
		}
		return r
	}
	answer := func(r *kmsg.FetchRequest) *kmsg.FetchResponse {
		resp := kmsg.NewPtrFetchResponse()
		for _, t := range r.Topics {
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic, rt.TopicID = t.Topic, t.TopicID
			rt.Partitions = []kmsg.FetchResponseTopicPartition{kmsg.NewFetchResponseTopicPartition()}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	}
	for _, tc := range []struct {
		name     string
		cfg      *config.Namespace
		version  int16
		topics   []string
		sent     []string // backend names forwarded
		respond  bool
		got      []string // client names in the answer
		refusals int16
	}{
		{"hide/v12", hideCfg(), 12, []string{"orders", "__consumer_offsets"}, []string{"team-a.orders"}, true, []string{"orders", "__consumer_offsets"}, errUnknownTopic},
		{"hide/v12 own", hideCfg(), 12, []string{"orders"}, []string{"team-a.orders"}, true, []string{"orders"}, 0},
		{"enforce/v12 own", enforceCfg(), 12, []string{"team-a.orders"}, []string{"team-a.orders"}, false, nil, 0},
		{"hide/v13 own", hideCfg(), 13, []string{"team-a.orders", "shared.prices"}, []string{"team-a.orders", "shared.prices"}, false, nil, 0},
		{"hide/v13 foreign", hideCfg(), 13, []string{"team-a.orders", "team-b.orders"}, []string{"team-a.orders"}, true, []string{"team-a.orders", "team-b.orders"}, errUnknownTopicID},
		{"enforce/v13 only foreign", enforceCfg(), 13, []string{"other"}, nil, true, []string{"other"}, errUnknownTopicID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.cfg)
			r := mk(tc.version, tc.topics...)
			x := f.req(t, r)
			forwarded(t, x)
			var sent, forgot []string
			for i, rt := range r.Topics {
				if tc.version >= 13 {
					n, _ := f.topics.NameForID(context.Background(), rt.TopicID)
					sent = append(sent, n)
					n, _ = f.topics.NameForID(context.Background(), r.ForgottenTopics[i].TopicID)
					forgot = append(forgot, n)
				} else {
					sent = append(sent, rt.Topic)
					forgot = append(forgot, r.ForgottenTopics[i].Topic)
				}
			}
			if strings.Join(sent, ",") != strings.Join(tc.sent, ",") || strings.Join(forgot, ",") != strings.Join(tc.sent, ",") {
				t.Fatalf("sent %v, forgotten %v; want %v", sent, forgot, tc.sent)
			}
			if x.NeedsResponse() != tc.respond {
				t.Fatalf("needs response %v", x.NeedsResponse())
			}
			if tc.refusals != 0 && r.MinBytes != 0 {
				t.Error("a fetch with refused topics waits for MinBytes")
			}
			if !tc.respond {
				return
			}
			resp := answer(r)
			f.resp(t, x, resp)
			var got []string
			for i, rt := range resp.Topics {
				n := rt.Topic
				if tc.version >= 13 {
					n, _ = f.topics.NameForID(context.Background(), rt.TopicID)
				}
				got = append(got, n)
				if i >= len(tc.sent) && (rt.Partitions[0].ErrorCode != tc.refusals || rt.Partitions[0].HighWatermark != -1) {
					t.Errorf("refused %s: %+v", n, rt.Partitions[0])
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.got, ",") {
				t.Fatalf("answer %v, want %v", got, tc.got)
			}
		})
	}
}

// TestEveryKeyAndVersion runs empty and default requests of every key the
// policy reads, at every version it serves, through both modes and, where
// asked, an empty response: no hook may fail or panic on absent lists,
// and every key reaches its own handler.
func TestEveryKeyAndVersion(t *testing.T) {
	for _, cfg := range []*config.Namespace{hideCfg(), enforceCfg()} {
		f := newFixture(t, cfg)
		for k := int16(0); k < policy.MaxKey; k++ {
			if !requestKeys.Has(k) {
				continue
			}
			for v := int16(0); v <= served[k]; v++ {
				req := kmsg.RequestForKey(k)
				req.SetVersion(v)
				x, err := f.chain.OnRequest(context.Background(), f.conn, req)
				if err != nil {
					t.Fatalf("%s %s v%d: %v", cfg.Mode, kmsg.NameForKey(k), v, err)
				}
				if l := x.Local(); l != nil {
					// Only requests naming a group or id that enforce_prefix
					// refuses ("" lacks the prefix) are answered locally.
					if cfg.Mode != "enforce_prefix" {
						t.Errorf("%s %s v%d: answered locally %+v", cfg.Mode, kmsg.NameForKey(k), v, l)
					}
					continue
				}
				if x.NeedsResponse() {
					resp := kmsg.ResponseForKey(k)
					resp.SetVersion(v)
					if err := f.chain.OnResponse(context.Background(), x, resp); err != nil {
						t.Fatalf("%s %s v%d response: %v", cfg.Mode, kmsg.NameForKey(k), v, err)
					}
				}
			}
		}
	}
}

func BenchmarkProduceRequest(b *testing.B) {
	for _, tc := range []struct {
		name    string
		version int16
		cfg     *config.Namespace
	}{
		{"hide/v12", 12, hideCfg()},
		{"hide/v13", 13, hideCfg()},
		{"enforce/v12", 12, enforceCfg()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			topics := newFakeTopics(backendTopics...)
			pol, err := New(tc.cfg, policy.Env{Topics: topics})
			if err != nil {
				b.Fatal(err)
			}
			chain, _ := policy.NewChain(pol)
			conn := &policy.Conn{}
			name := "orders"
			if tc.cfg.Mode == "enforce_prefix" {
				name = "team-a.orders"
			}
			recs := []byte("records")
			b.ReportAllocs()
			for b.Loop() {
				r := &kmsg.ProduceRequest{Version: tc.version, Acks: -1, Topics: []kmsg.ProduceRequestTopic{{
					Topic: name, TopicID: idOf("team-a.orders"), Partitions: []kmsg.ProduceRequestTopicPartition{{Records: recs}},
				}}}
				if _, err := chain.OnRequest(context.Background(), conn, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
