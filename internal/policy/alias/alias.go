// Package alias gives topics of a virtual cluster second names
// (topic_aliases). It runs first in the chain: requests that name an alias
// leave it naming the alias's topic, so that every later policy (ACLs, the
// namespace) and the backend see the real topic, and the answers carry the
// alias back for the entries the client asked by alias.
//
// Which alias names which topic, and the choices made where Kafka has no
// answer (topic ids, a request naming both names, fetch sessions, groups),
// are described in README.md.
package alias

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
)

// Policy resolves topic aliases. It is immutable once built, apart from the
// conflict warnings it has logged and the group state of live
// connections, and safe for concurrent use.
type Policy struct {
	vc  string
	log *slog.Logger
	// aliases maps an alias to its entry.
	aliases map[string]*entry
	// order is the aliases in config order.
	order  []*entry
	denied policy.PolicyMetrics
	// groups holds, per connection, the consumer groups it joined
	// through aliases (see groups.go).
	groups connStore
}

var (
	_ policy.Policy        = (*Policy)(nil)
	_ policy.RequestHook   = (*Policy)(nil)
	_ policy.ResponseHook  = (*Policy)(nil)
	_ policy.VersionCapper = (*Policy)(nil)
)

// entry is one alias.
type entry struct {
	alias, target string
	// cond is nil when the alias always exists.
	cond *policy.Condition
	// warn logs a real topic the alias hides; warned makes it once.
	warn   bool
	warned atomic.Bool
}

// keys are the API keys whose requests can name a topic by an alias.
var keys = policy.Keys(
	0,  // Produce
	1,  // Fetch
	2,  // ListOffsets
	3,  // Metadata
	8,  // OffsetCommit
	9,  // OffsetFetch
	11, // JoinGroup
	14, // SyncGroup
	19, // CreateTopics
	20, // DeleteTopics
	21, // DeleteRecords
	23, // OffsetForLeaderEpoch
	24, // AddPartitionsToTxn
	28, // TxnOffsetCommit
	32, // DescribeConfigs
	33, // AlterConfigs
	37, // CreatePartitions
	44, // IncrementalAlterConfigs
	75, // DescribeTopicPartitions
)

// Name implements policy.Policy.
func (p *Policy) Name() string { return TypeName }

// RequestKeys implements policy.Policy.
func (p *Policy) RequestKeys() policy.KeySet { return keys }

// caps are the versions before the ones that name topics by id only, for
// the keys whose clients do not all fall back to naming a topic that has
// no id (an alias, see README.md): franz-go's admin OffsetFetch sends v10
// with a zero id. Produce and Fetch are not capped: franz-go and the Java
// client send v12 for a request with a topic that has no id.
var caps = map[int16]int16{
	8:  9, // OffsetCommit v10: topic ids
	9:  9, // OffsetFetch v10: topic ids
	28: 5, // TxnOffsetCommit v6: topic ids
}

// Cap implements policy.VersionCapper.
func (p *Policy) Cap(c map[int16]int16) {
	for k, v := range caps {
		if old, ok := c[k]; !ok || v < old {
			c[k] = v
		}
	}
}

// view is the aliases as one connection sees them during one exchange:
// conditions are evaluated at most once per exchange, and only on the
// request path (Conn.Vars is not safe for concurrent use, and the response
// loop runs beside the request loop); what a response needs of them is
// kept in the exchange's state.
type view struct {
	p    *Policy
	conn *policy.Conn
	// holds memoizes conditions; nil until one is evaluated.
	holds map[*entry]bool
}

// alias returns the alias called name if it exists for the connection, else
// nil.
func (v *view) alias(name string) *entry {
	e := v.p.aliases[name]
	if e == nil || e.cond == nil {
		return e
	}
	ok, seen := v.holds[e]
	if !seen {
		var vars map[string]any
		if v.conn != nil {
			vars = v.conn.Vars()
		}
		var err error
		ok, err = e.cond.Holds(vars)
		if err != nil {
			v.p.log.Debug("topic alias condition does not hold", "alias", e.alias, "err", err)
		}
		if v.holds == nil {
			v.holds = map[*entry]bool{}
		}
		v.holds[e] = ok
	}
	if !ok {
		return nil
	}
	return e
}

// target returns the topic that name stands for, and whether name is an
// alias the connection sees.
func (v *view) target(name string) (string, bool) {
	if e := v.alias(name); e != nil {
		return e.target, true
	}
	return name, false
}

// Request implements policy.RequestHook.
func (p *Policy) Request(_ context.Context, x *policy.Exchange) error {
	v := &view{p: p, conn: x.Conn}
	var st *state
	switch req := x.Request.(type) {
	case *kmsg.ProduceRequest:
		st = v.produce(req)
		if st != nil && len(st.refused) > 0 && req.Acks == 0 {
			// No response can carry the refusal: as Kafka does on an
			// acks=0 error, the session closes the connection.
			p.deny(len(st.refused))
			return x.Fail(st.refused[0].code, st.refused[0].msg)
		}
	case *kmsg.FetchRequest:
		st = v.fetch(req)
	case *kmsg.ListOffsetsRequest:
		st = v.listOffsets(req)
	case *kmsg.MetadataRequest:
		st = v.metadata(req)
	case *kmsg.OffsetCommitRequest:
		st = v.offsetCommit(req)
	case *kmsg.OffsetFetchRequest:
		st = v.offsetFetch(req)
	case *kmsg.JoinGroupRequest:
		v.joinGroup(req)
	case *kmsg.SyncGroupRequest:
		st = v.syncGroup(req)
	case *kmsg.CreateTopicsRequest:
		st = v.createTopics(req)
	case *kmsg.DeleteTopicsRequest:
		st = v.deleteTopics(req)
	case *kmsg.DeleteRecordsRequest:
		st = v.deleteRecords(req)
	case *kmsg.OffsetForLeaderEpochRequest:
		st = v.offsetForLeaderEpoch(req)
	case *kmsg.AddPartitionsToTxnRequest:
		st = v.addPartitionsToTxn(req)
	case *kmsg.TxnOffsetCommitRequest:
		st = v.txnOffsetCommit(req)
	case *kmsg.DescribeConfigsRequest:
		st = v.describeConfigs(req)
	case *kmsg.AlterConfigsRequest:
		st = v.alterConfigs(req)
	case *kmsg.CreatePartitionsRequest:
		st = v.createPartitions(req)
	case *kmsg.IncrementalAlterConfigsRequest:
		st = v.incrementalAlterConfigs(req)
	case *kmsg.DescribeTopicPartitionsRequest:
		st = v.describeTopicPartitions(req)
	}
	if st == nil {
		return nil
	}
	p.deny(len(st.refused))
	if st.answer != nil {
		x.Answer(st.answer)
		return nil
	}
	if st.empty {
		// Every entry was refused: answer without asking the backend.
		resp := x.Request.ResponseKind()
		resp.SetVersion(x.Version())
		if err := p.respond(st, resp); err != nil {
			return err
		}
		x.Answer(resp)
		return nil
	}
	x.SetState(st)
	x.WantResponse()
	return nil
}

// Response implements policy.ResponseHook.
func (p *Policy) Response(_ context.Context, x *policy.Exchange, resp kmsg.Response) error {
	st, _ := x.State().(*state)
	if st == nil {
		return nil
	}
	return p.respond(st, resp)
}

// respond puts the client's names back into resp and adds the entries the
// policy refused.
func (p *Policy) respond(st *state, resp kmsg.Response) error {
	switch r := resp.(type) {
	case *kmsg.ProduceResponse:
		produceResponse(st, r)
	case *kmsg.FetchResponse:
		fetchResponse(st, r)
	case *kmsg.ListOffsetsResponse:
		listOffsetsResponse(st, r)
	case *kmsg.MetadataResponse:
		p.metadataResponse(st, r)
	case *kmsg.OffsetCommitResponse:
		offsetCommitResponse(st, r)
	case *kmsg.OffsetFetchResponse:
		offsetFetchResponse(st, r)
	case *kmsg.SyncGroupResponse:
		syncGroupResponse(st, r)
	case *kmsg.CreateTopicsResponse:
		createTopicsResponse(st, r)
	case *kmsg.DeleteTopicsResponse:
		deleteTopicsResponse(st, r)
	case *kmsg.DeleteRecordsResponse:
		deleteRecordsResponse(st, r)
	case *kmsg.OffsetForLeaderEpochResponse:
		offsetForLeaderEpochResponse(st, r)
	case *kmsg.AddPartitionsToTxnResponse:
		addPartitionsToTxnResponse(st, r)
	case *kmsg.TxnOffsetCommitResponse:
		txnOffsetCommitResponse(st, r)
	case *kmsg.DescribeConfigsResponse:
		describeConfigsResponse(st, r)
	case *kmsg.AlterConfigsResponse:
		alterConfigsResponse(st, r)
	case *kmsg.CreatePartitionsResponse:
		createPartitionsResponse(st, r)
	case *kmsg.IncrementalAlterConfigsResponse:
		incrementalAlterConfigsResponse(st, r)
	case *kmsg.DescribeTopicPartitionsResponse:
		p.describeTopicPartitionsResponse(st, r)
	}
	return nil
}

// deny counts refused entries.
func (p *Policy) deny(n int) {
	if p.denied == nil {
		return
	}
	for range n {
		p.denied.Denied(p.vc, TypeName)
	}
}

// conflict logs, once per alias and virtual cluster, that a listing showed
// a real topic with the alias's name, which the alias hides.
func (p *Policy) conflict(e *entry) {
	if !e.warn || e.warned.Swap(true) {
		return
	}
	p.log.Warn("a topic alias hides a topic of the same name; clients using the name reach the alias's topic",
		"alias", e.alias, "topic", e.target)
}
