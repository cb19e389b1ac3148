package recordpolicy

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/records"
)

// Set is a virtual cluster's record policies: one member of its chain,
// placed after every policy that renames topics, so that it sees the
// backend's names and gives policies the names clients use.
type Set struct {
	vc               string
	produce, consume []*node
	topics           policy.TopicCache
	clientTopic      func(backend string) string
	counters         map[*node]*counters
}

// Counter is one metric a Set counts into.
type Counter interface{ Add(float64) }

// CounterMetrics is implemented by the gateway's metrics: the counter of
// records a record policy saw, acted on or failed on (event "seen",
// "acted", "failed").
type CounterMetrics interface {
	RecordPolicyCounter(virtualCluster, policy, event string) Counter
}

type counters struct{ seen, acted, failed Counter }

type nopCounter struct{}

func (nopCounter) Add(float64) {}

// maxDecompressed bounds what one batch may decompress to.
const maxDecompressed = 64 << 20

// New builds a virtual cluster's record policies from their specs.
// clientTopic maps a backend topic name to the name clients use (nil: the
// same).
func New(produce, consume []policy.Spec, env policy.Env, clientTopic func(string) string) (*Set, error) {
	s := &Set{vc: env.VirtualCluster, topics: env.Topics, clientTopic: clientTopic, counters: map[*node]*counters{}}
	var err error
	if s.produce, err = build(produce, env); err != nil {
		return nil, fmt.Errorf("produce_policies: %w", err)
	}
	if s.consume, err = build(consume, env); err != nil {
		return nil, fmt.Errorf("consume_policies: %w", err)
	}
	m, _ := env.Metrics.(CounterMetrics)
	var count func([]*node)
	count = func(ns []*node) {
		for _, n := range ns {
			c := &counters{nopCounter{}, nopCounter{}, nopCounter{}}
			if m != nil {
				c.seen = m.RecordPolicyCounter(s.vc, n.name, "seen")
				c.acted = m.RecordPolicyCounter(s.vc, n.name, "acted")
				c.failed = m.RecordPolicyCounter(s.vc, n.name, "failed")
			}
			s.counters[n] = c
			count(n.children)
		}
	}
	count(s.produce)
	count(s.consume)
	return s, nil
}

// Name names the member in logs.
func (s *Set) Name() string { return "record_policies" }

// Empty reports whether the set has no policy.
func (s *Set) Empty() bool { return len(s.produce) == 0 && len(s.consume) == 0 }

// RequestKeys are Produce with produce policies and Fetch with consume
// policies.
func (s *Set) RequestKeys() policy.KeySet {
	var k policy.KeySet
	k.Add(int16(kmsg.Metadata)) // to learn topic ids
	if len(s.produce) > 0 {
		k.Add(int16(kmsg.Produce))
	}
	if len(s.consume) > 0 {
		k.Add(int16(kmsg.Fetch))
	}
	return k
}

// Request runs the produce policies on a Produce request and asks for the
// response of a Fetch.
func (s *Set) Request(ctx context.Context, x *policy.Exchange) error {
	switch r := x.Request.(type) {
	case *kmsg.ProduceRequest:
		return s.produceRequest(ctx, x, r)
	case *kmsg.FetchRequest, *kmsg.MetadataRequest:
		x.WantResponse()
	}
	return nil
}

// Response puts refused partitions back into a Produce response and runs
// the consume policies on a Fetch response.
func (s *Set) Response(ctx context.Context, x *policy.Exchange, resp kmsg.Response) error {
	switch r := resp.(type) {
	case *kmsg.ProduceResponse:
		if st, ok := x.State().(*produceState); ok {
			st.merge(r)
		}
	case *kmsg.FetchResponse:
		s.fetchResponse(ctx, x, r)
	case *kmsg.MetadataResponse:
		if s.topics != nil {
			for _, t := range r.Topics {
				if t.Topic != nil && t.ErrorCode == 0 {
					s.topics.Learn(*t.Topic, t.TopicID)
				}
			}
		}
	}
	return nil
}

// topicName returns the name clients use for a topic given by name or
// id; ok is false for an id the gateway cannot name, whose records no
// policy can be sure not to concern: they are refused with
// UNKNOWN_TOPIC_ID, on which clients refresh their metadata.
func (s *Set) topicName(ctx context.Context, name string, id [16]byte) (string, bool) {
	if name == "" && id != ([16]byte{}) {
		if s.topics == nil {
			return "", false
		}
		var ok bool
		if name, ok = s.topics.NameForID(ctx, id); !ok {
			return "", false
		}
	}
	if s.clientTopic != nil && name != "" {
		return s.clientTopic(name), true
	}
	return name, true
}

// scope is what the policies of one topic of one exchange share.
type scope struct {
	ctx    context.Context
	conn   *policy.Conn
	topic  string
	vars   map[string]any // context, with topic
	active []*node
	arena  arena
}

// newScope returns the scope of a topic, or nil when no policy may act on
// it: every policy is disabled by a condition that reads only the
// connection and the topic.
func (s *Set) newScope(ctx context.Context, x *policy.Exchange, conn *policy.Conn, nodes []*node, topic string) *scope {
	c := map[string]any{}
	if base, ok := conn.Vars()["context"].(map[string]any); ok {
		for k, v := range base {
			c[k] = v
		}
	}
	c["topic"] = map[string]any{"name": topic}
	sc := &scope{ctx: ctx, conn: conn, topic: topic, vars: map[string]any{"context": c}, arena: arena{x: x}}
	for _, n := range nodes {
		if n.perTopic {
			if ok, err := n.cond.Holds(sc.vars); err != nil || !ok {
				if err != nil {
					conn.Log.Debug("record policy condition", "policy", n.name, "err", err)
				}
				continue
			}
		}
		sc.active = append(sc.active, n)
	}
	if len(sc.active) == 0 {
		return nil
	}
	return sc
}

// recordVars returns the variables a per-record condition sees.
func (sc *scope) recordVars(r *Record) map[string]any {
	headers := make(map[string]any, len(r.R.Headers))
	for _, h := range r.R.Headers {
		headers[h.Key] = string(h.Value)
	}
	rec := map[string]any{"headers": headers, "key": string(r.R.Key)}
	if r.Content != nil {
		rec["value"] = map[string]any{"content": r.Content}
	}
	return map[string]any{"context": sc.vars["context"], "record": rec}
}

// run runs nodes on a record, in order, with their children, and returns
// the first verdict other than Pass.
func (s *Set) run(sc *scope, nodes []*node, r *Record, top bool) (Verdict, error) {
	for _, n := range nodes {
		if (!top || !n.perTopic) && n.cond != nil {
			ok, err := n.cond.Holds(sc.recordVars(r))
			if err != nil {
				sc.conn.Log.Debug("record policy condition", "policy", n.name, "err", err)
			}
			if !ok {
				continue
			}
		}
		c := s.counters[n]
		c.seen.Add(1)
		before := r.changed
		r.changed, r.failed = false, false
		v, err := n.proc.Process(r)
		if r.failed || err != nil {
			c.failed.Add(1)
		}
		if err != nil {
			return Reject, fmt.Errorf("record policy %s: %w", n.name, err)
		}
		if v != Pass || r.changed {
			c.acted.Add(1)
		}
		r.changed = r.changed || before
		if v != Pass {
			if r.Reason == "" {
				r.Reason = "refused"
			}
			r.Reason = fmt.Sprintf("record policy %s: %s", n.name, r.Reason)
			return v, nil
		}
		if n.parent != nil {
			if v, err := s.run(sc, n.children, r, false); v != Pass || err != nil {
				return v, err
			}
			if err := n.parent.After(r); err != nil {
				c.failed.Add(1)
				return Reject, fmt.Errorf("record policy %s: %w", n.name, err)
			}
		}
	}
	return Pass, nil
}

// encoders reuse the scratch buffers of batch encoding.
var encoders = sync.Pool{New: func() any { return new(records.Encoder) }}

// errLegacy refuses a produced legacy message set: its records cannot be
// shown to the policies, which must see every record.
var errLegacy = errors.New("legacy message format (magic 0 or 1) cannot pass record policies")

// refusal is a produced partition a policy refused.
type refusal struct {
	code int16
	msg  string
}

// produceRecords runs the produce policies over one partition's records
// and returns the records to forward, or the refusal of the partition.
func (s *Set) produceRecords(x *policy.Exchange, sc *scope, partition int32, raw []byte) ([]byte, *refusal) {
	set, err := records.Parse(raw)
	if err != nil || set.Truncated() {
		return nil, &refusal{kerr.CorruptMessage.Code, "record batch does not parse"}
	}
	if set.Legacy {
		return nil, &refusal{kerr.InvalidRecord.Code, errLegacy.Error()}
	}
	r := &Record{Ctx: sc.ctx, Conn: sc.conn, Topic: sc.topic, Partition: partition}
	for bi := range set.Batches {
		b := &set.Batches[bi]
		if b.IsControl() {
			continue
		}
		recs, err := b.Decode(maxDecompressed)
		if err != nil {
			return nil, &refusal{kerr.CorruptMessage.Code, err.Error()}
		}
		changed := false
		for i := range recs {
			*r = Record{Ctx: sc.ctx, Conn: sc.conn, Topic: sc.topic, Partition: partition, R: &recs[i], Produce: true, arena: &sc.arena}
			v, err := s.run(sc, sc.active, r, true)
			if err != nil {
				return nil, &refusal{kerr.InvalidRecord.Code, err.Error()}
			}
			if v != Pass {
				return nil, &refusal{kerr.InvalidRecord.Code, r.Reason}
			}
			changed = changed || r.changed
		}
		if changed {
			b.MarkModified()
		}
	}
	if !set.Modified() {
		return raw, nil
	}
	enc := encoders.Get().(*records.Encoder)
	defer encoders.Put(enc)
	out, err := enc.AppendSet(x.Buffer(len(raw)+len(raw)/4), set)
	if err != nil {
		return nil, &refusal{kerr.InvalidRecord.Code, err.Error()}
	}
	return out, nil
}

// produceState holds the partitions refused in a Produce request.
type produceState struct {
	topics []kmsg.ProduceResponseTopic
}

// add records a refused partition of topic t.
func (st *produceState) add(t *kmsg.ProduceRequestTopic, partition int32, rf *refusal) {
	p := kmsg.NewProduceResponseTopicPartition()
	p.Partition, p.ErrorCode = partition, rf.code
	p.BaseOffset, p.LogAppendTime, p.LogStartOffset = -1, -1, -1
	msg := rf.msg
	if msg != "" {
		p.ErrorMessage = &msg
	}
	if rf.code == kerr.InvalidRecord.Code {
		e := kmsg.NewProduceResponseTopicPartitionErrorRecord()
		e.ErrorMessage = &msg
		p.ErrorRecords = append(p.ErrorRecords, e)
	}
	for i := range st.topics {
		if st.topics[i].Topic == t.Topic && st.topics[i].TopicID == t.TopicID {
			st.topics[i].Partitions = append(st.topics[i].Partitions, p)
			return
		}
	}
	rt := kmsg.NewProduceResponseTopic()
	rt.Topic, rt.TopicID = t.Topic, t.TopicID
	rt.Partitions = append(rt.Partitions, p)
	st.topics = append(st.topics, rt)
}

// merge puts the refused partitions into resp.
func (st *produceState) merge(resp *kmsg.ProduceResponse) {
	for _, rt := range st.topics {
		found := false
		for i := range resp.Topics {
			if resp.Topics[i].Topic == rt.Topic && resp.Topics[i].TopicID == rt.TopicID {
				resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, rt.Partitions...)
				found = true
				break
			}
		}
		if !found {
			resp.Topics = append(resp.Topics, rt)
		}
	}
}

// produceRequest runs the produce policies over every partition of r.
func (s *Set) produceRequest(ctx context.Context, x *policy.Exchange, r *kmsg.ProduceRequest) error {
	var st *produceState
	kept := r.Topics[:0]
	for ti := range r.Topics {
		t := &r.Topics[ti]
		name, known := s.topicName(ctx, t.Topic, t.TopicID)
		if !known {
			if r.Acks == 0 {
				return x.Fail(kerr.UnknownTopicID.Code, "")
			}
			if st == nil {
				st = &produceState{}
			}
			for _, p := range t.Partitions {
				st.add(t, p.Partition, &refusal{code: kerr.UnknownTopicID.Code})
			}
			continue
		}
		sc := s.newScope(ctx, x, x.Conn, s.produce, name)
		if sc == nil {
			kept = append(kept, *t)
			continue
		}
		parts := t.Partitions[:0]
		for _, p := range t.Partitions {
			out, rf := s.produceRecords(x, sc, p.Partition, p.Records)
			if rf != nil {
				if r.Acks == 0 {
					// No response carries the refusal: the
					// connection closes, as a broker does.
					return x.Fail(rf.code, rf.msg)
				}
				if st == nil {
					st = &produceState{}
				}
				st.add(t, p.Partition, rf)
				continue
			}
			p.Records = out
			parts = append(parts, p)
		}
		t.Partitions = parts
		if len(parts) > 0 {
			kept = append(kept, *t)
		}
	}
	r.Topics = kept
	if st == nil {
		return nil
	}
	if len(kept) == 0 {
		resp := kmsg.NewPtrProduceResponse()
		st.merge(resp)
		x.Answer(resp)
		return nil
	}
	x.SetState(st)
	x.WantResponse()
	return nil
}

// fetchResponse runs the consume policies over every partition of r.
func (s *Set) fetchResponse(ctx context.Context, x *policy.Exchange, r *kmsg.FetchResponse) {
	for ti := range r.Topics {
		t := &r.Topics[ti]
		var sc *scope
		for pi := range t.Partitions {
			p := &t.Partitions[pi]
			if p.ErrorCode != 0 || len(p.RecordBatches) == 0 {
				continue
			}
			if sc == nil {
				name, known := s.topicName(ctx, t.Topic, t.TopicID)
				if !known {
					for pi := range t.Partitions {
						t.Partitions[pi].ErrorCode = kerr.UnknownTopicID.Code
						t.Partitions[pi].RecordBatches = nil
					}
					break
				}
				if sc = s.newScope(ctx, x, x.Conn, s.consume, name); sc == nil {
					break
				}
			}
			out, failed := s.consumeRecords(x, sc, p.Partition, p.RecordBatches)
			if failed {
				// The consumer sees an error for the partition
				// and stays where it is.
				p.ErrorCode = kerr.InvalidRecord.Code
				p.RecordBatches = nil
				continue
			}
			p.RecordBatches = out
		}
	}
}

// consumeRecords runs the consume policies over one partition's fetched
// records. A batch that does not parse is left for the client to find.
func (s *Set) consumeRecords(x *policy.Exchange, sc *scope, partition int32, raw []byte) (out []byte, failed bool) {
	set, err := records.Parse(raw)
	if err != nil || set.Legacy {
		return raw, false
	}
	r := &Record{}
	for bi := range set.Batches {
		b := &set.Batches[bi]
		if b.IsControl() {
			continue
		}
		recs, err := b.Decode(maxDecompressed)
		if err != nil {
			continue
		}
		kept := recs[:0]
		changed := false
		for i := range recs {
			*r = Record{Ctx: sc.ctx, Conn: sc.conn, Topic: sc.topic, Partition: partition, R: &recs[i], arena: &sc.arena}
			v, err := s.run(sc, sc.active, r, true)
			if err != nil || v == Reject {
				reason := r.Reason
				if err != nil {
					reason = err.Error()
				}
				sc.conn.Log.Warn("consumed record failed a record policy", "topic", sc.topic, "partition", partition,
					"offset", b.FirstOffset+int64(recs[i].OffsetDelta), "reason", reason)
				return nil, true
			}
			changed = changed || r.changed
			if v == Skip {
				continue
			}
			kept = append(kept, recs[i])
		}
		switch {
		case len(kept) != len(recs):
			b.SetRecords(kept)
		case changed:
			b.MarkModified()
		}
	}
	if !set.Modified() {
		return raw, false
	}
	enc := encoders.Get().(*records.Encoder)
	defer encoders.Put(enc)
	out, err = enc.AppendSet(x.Buffer(len(raw)+len(raw)/4), set)
	if err != nil {
		sc.conn.Log.Warn("re-encoding fetched records", "topic", sc.topic, "partition", partition, "err", err)
		return nil, true
	}
	return out, false
}
