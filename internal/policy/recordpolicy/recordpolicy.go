// Package recordpolicy runs a virtual cluster's record policies
// (produce_policies and consume_policies) over the records of Produce
// requests and Fetch responses.
//
// A record policy type registers itself with the policy registry like any
// other; the policy it builds implements Processor. The virtual cluster's
// record policies become one member of its chain, a Set, which decodes the
// record batches of a partition only when some enabled policy may act on
// its topic, runs the policies in order on each record, and encodes the
// batches it changed with the codec the producer chose. Batches nobody
// changed are copied byte for byte; control batches and legacy message
// sets are never touched.
//
// On produce, a policy may reject a record: the whole partition's batch is
// refused with INVALID_RECORD and a message naming the policy (an
// idempotent or transactional batch never changes its record count). On
// consume, a policy may skip a record (it is left out of its batch, whose
// offsets stay as they were, so the consumer moves past it) or fail the
// partition, which the consumer then sees as an INVALID_RECORD error.
package recordpolicy

import (
	"context"
	"fmt"
	"regexp"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
)

// Verdict is what a policy decided for a record.
type Verdict uint8

// The verdicts.
const (
	// Pass lets the record go on to the next policy, changed or not.
	Pass Verdict = iota
	// Skip leaves a consumed record out of the fetch response.
	Skip
	// Reject refuses a produced record's partition batch (Record.Reason
	// says why), or fails a consumed record's partition.
	Reject
)

// Record is one record as policies see it. Policies change R in place and
// call Changed.
type Record struct {
	Ctx  context.Context
	Conn *policy.Conn
	// Topic is the topic's name as the virtual cluster's clients see it.
	Topic     string
	Partition int32
	R         *kmsg.Record
	// Content is the record's parsed value, set by a parent policy (such
	// as schema_validation) for its children; ContentChanged tells the
	// parent to write it back.
	Content        any
	ContentChanged bool
	// Reason says why a policy rejected the record.
	Reason string
	// Produce is set on the produce path, clear on the consume path.
	Produce bool

	changed bool
	failed  bool
	arena   *arena
}

// Alloc returns an empty buffer with room for n bytes, for a new key,
// value or header value of the record. It stays valid until the record is
// encoded and written, and must not be kept beyond that.
func (r *Record) Alloc(n int) []byte { return r.arena.take(n) }

// arenaChunk is the size of the pooled chunks an arena carves buffers
// from.
const arenaChunk = 1 << 20

// arena carves the buffers of rewritten records (sealed or opened values)
// from chunks the exchange gives out and takes back once the frame is
// written, so that a record's new value is not an allocation of its own.
type arena struct {
	x   *policy.Exchange
	buf []byte
}

func (a *arena) take(n int) []byte {
	if a == nil || a.x == nil {
		return make([]byte, 0, n)
	}
	if cap(a.buf)-len(a.buf) < n {
		a.buf = a.x.Buffer(max(n, arenaChunk))
	}
	at := len(a.buf)
	a.buf = a.buf[:at+n]
	return a.buf[at : at : at+n]
}

// Changed marks the record as changed: its batch is encoded again.
func (r *Record) Changed() { r.changed = true }

// Failed counts a failure the policy handled by its failure_mode (the
// record passes on): the failed metric counts it.
func (r *Record) Failed() { r.failed = true }

// Processor is a record policy.
type Processor interface {
	policy.Policy
	// Process acts on one record. It must be safe for concurrent use.
	Process(r *Record) (Verdict, error)
}

// Parent is a Processor whose children run on the records it passes,
// after it parsed them (Record.Content). After runs once the children are
// done, so that the parent can write back a changed Content.
type Parent interface {
	Processor
	After(r *Record) error
}

// ConnState is implemented by a Processor that keeps state per client
// connection (an encryption data key, say): NewConnState makes it, and
// Process finds it with Record.State.
type ConnState interface {
	NewConnState() any
}

// State returns the connection state of the running policy p, made by
// its NewConnState on first use.
func (r *Record) State(p ConnState) any {
	return r.Conn.PolicyState(p, p.NewConnState)
}

// Metrics is implemented by the gateway's metrics.
type Metrics interface {
	// RecordPolicy counts records a record policy saw, acted on (changed,
	// skipped or rejected) and failed on (an error, or a failure its
	// failure_mode handled).
	RecordPolicy(virtualCluster, policy, event string, n int)
}

// recordRef matches a condition that reads the record, which must then be
// evaluated per record rather than per topic.
var recordRef = regexp.MustCompile(`\brecord\b`)

// contentRef matches a condition that reads the parsed value.
var contentRef = regexp.MustCompile(`\brecord\s*\.\s*value\b|\brecord\s*\[\s*["']value["']`)

// ReadsContent reports whether a condition's source reads
// record.value.content, which only a parsing parent provides.
func ReadsContent(src string) bool { return contentRef.MatchString(src) }

// node is one configured record policy.
type node struct {
	name     string
	cond     *policy.Condition
	perTopic bool // the condition reads no record field
	proc     Processor
	parent   Parent // proc as a Parent, when it has children
	children []*node
}

// build makes the nodes of a list of policy specs.
func build(specs []policy.Spec, env policy.Env) ([]*node, error) {
	return buildIn(specs, env, false)
}

func buildIn(specs []policy.Spec, env policy.Env, nested bool) ([]*node, error) {
	var nodes []*node
	for _, s := range specs {
		t, ok := policy.Lookup(s.Type)
		if !ok {
			return nil, fmt.Errorf("unknown record policy type %q", s.Type)
		}
		if t.Nested && !nested {
			return nil, fmt.Errorf("%s: %w", s.Name, errNotNested)
		}
		p, err := t.New(s, env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		proc, ok := p.(Processor)
		if !ok {
			return nil, fmt.Errorf("%s: type %q does not act on records", s.Name, s.Type)
		}
		n := &node{name: s.Name, cond: s.Condition, proc: proc, perTopic: !recordRef.MatchString(s.Condition.String())}
		if len(s.Children) > 0 {
			parent, ok := proc.(Parent)
			if !ok {
				return nil, fmt.Errorf("%s: type %q has no nested policies", s.Name, s.Type)
			}
			n.parent = parent
			if n.children, err = buildIn(s.Children, env, true); err != nil {
				return nil, err
			}
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}
