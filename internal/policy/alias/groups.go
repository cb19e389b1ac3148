// Classic consumer groups: JoinGroup (11) and SyncGroup (14) carry topic
// names inside their "consumer" protocol payloads, which the group
// coordinator reads (offset expiry, describe, migration to KIP-848
// groups). A member that subscribes through an alias joins with the
// target's name, so the coordinator and the leader only ever see real
// topics, and the assignment it gets back names the alias again. That
// last step spans two requests, so the policy keeps, per connection, the
// aliases each group was joined through.

package alias

import (
	"runtime"
	"slices"
	"sync"
	"weak"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
)

// consumerProtocol is the protocol type of consumer groups (and Kafka
// Streams), whose payloads are kmsg.ConsumerMemberMetadata and
// kmsg.ConsumerMemberAssignment.
const consumerProtocol = "consumer"

// maxPayloadVersion is the highest payload version whose every field kmsg
// knows; a newer payload is left untouched rather than re-encoded without
// fields it does not know.
const maxPayloadVersion = 3

// connGroups is what one connection joined groups with.
type connGroups struct {
	mu sync.Mutex
	// consumer lists the groups joined with the consumer protocol type,
	// for SyncGroup before v5, which does not carry the type.
	consumer map[string]bool
	// aliases maps a group to the targets subscribed through an alias,
	// and each to that alias.
	aliases map[string]map[string]string
}

// connStore maps live connections to their groups. An entry goes when its
// connection is collected: the store holds connections weakly.
type connStore struct {
	m sync.Map // weak.Pointer[policy.Conn] -> *connGroups
}

// get returns c's groups, creating them if create is set; nil otherwise.
func (s *connStore) get(c *policy.Conn, create bool) *connGroups {
	if c == nil {
		return nil
	}
	k := weak.Make(c)
	if g, ok := s.m.Load(k); ok {
		return g.(*connGroups)
	}
	if !create {
		return nil
	}
	g, loaded := s.m.LoadOrStore(k, &connGroups{})
	if !loaded {
		runtime.AddCleanup(c, func(k weak.Pointer[policy.Conn]) { s.m.Delete(k) }, k)
	}
	return g.(*connGroups)
}

// joinGroup rewrites the member's subscription and owned partitions to
// targets and remembers the aliases it used. Nothing is kept for the
// response: the leader balances the group over real topic names.
func (v *view) joinGroup(req *kmsg.JoinGroupRequest) {
	if req.ProtocolType != consumerProtocol {
		return
	}
	var used map[string]string
	direct := map[string]bool{}
	for i := range req.Protocols {
		pr := &req.Protocols[i]
		var m kmsg.ConsumerMemberMetadata
		if err := m.ReadFrom(pr.Metadata); err != nil || m.Version > maxPayloadVersion {
			continue
		}
		changed := false
		topics := make([]string, 0, len(m.Topics))
		for _, n := range m.Topics {
			target, isAlias := v.target(n)
			if isAlias {
				changed = true
				if used == nil {
					used = map[string]string{}
				}
				if prev, ok := used[target]; !ok || prev == n {
					used[target] = n
				} else {
					// Two aliases of one topic: the assignment can
					// carry one name; keep the target's.
					direct[target] = true
				}
			} else {
				direct[n] = true
			}
			if !slices.Contains(topics, target) {
				topics = append(topics, target)
			}
		}
		owned := make([]kmsg.ConsumerMemberMetadataOwnedPartition, 0, len(m.OwnedPartitions))
		for _, o := range m.OwnedPartitions {
			if target, isAlias := v.target(o.Topic); isAlias {
				o.Topic = target
				changed = true
			}
			if j := slices.IndexFunc(owned, func(x kmsg.ConsumerMemberMetadataOwnedPartition) bool { return x.Topic == o.Topic }); j >= 0 {
				owned[j].Partitions = mergeParts(owned[j].Partitions, o.Partitions)
				continue
			}
			owned = append(owned, o)
		}
		if !changed {
			continue
		}
		m.Topics = topics
		m.OwnedPartitions = owned
		pr.Metadata = m.AppendTo(nil)
	}
	// A member subscribed to a topic under both names gets its
	// partitions once, under the topic's own name.
	for t := range direct {
		delete(used, t)
	}
	g := v.p.groups.get(v.conn, len(used) > 0)
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.consumer == nil {
		g.consumer = map[string]bool{}
		g.aliases = map[string]map[string]string{}
	}
	g.consumer[req.Group] = true
	if len(used) > 0 {
		g.aliases[req.Group] = used
	} else {
		delete(g.aliases, req.Group)
	}
}

// syncGroup rewrites the leader's assignments that name an alias (a
// leader balances over the names it is given, which are targets, but a
// custom balancer may add its own) and asks to see the member's
// assignment when the member joined through an alias.
func (v *view) syncGroup(req *kmsg.SyncGroupRequest) *state {
	g := v.p.groups.get(v.conn, false)
	var assign map[string]string
	isConsumer := req.ProtocolType != nil && *req.ProtocolType == consumerProtocol
	if g != nil {
		g.mu.Lock()
		if req.ProtocolType == nil {
			isConsumer = g.consumer[req.Group]
		}
		assign = g.aliases[req.Group]
		g.mu.Unlock()
	}
	if !isConsumer {
		return nil
	}
	for i := range req.GroupAssignment {
		a := &req.GroupAssignment[i]
		if b, ok := renameAssignment(a.MemberAssignment, func(n string) string {
			t, _ := v.target(n)
			return t
		}); ok {
			a.MemberAssignment = b
		}
	}
	if len(assign) == 0 {
		return nil
	}
	return &state{assign: assign}
}

func syncGroupResponse(st *state, r *kmsg.SyncGroupResponse) {
	if r.ProtocolType != nil && *r.ProtocolType != consumerProtocol {
		return
	}
	if b, ok := renameAssignment(r.MemberAssignment, func(n string) string {
		if a, ok := st.assign[n]; ok {
			return a
		}
		return n
	}); ok {
		r.MemberAssignment = b
	}
}

// renameAssignment renames the topics of a consumer assignment, merging
// topics that end up with one name. It returns the new payload and true
// when anything changed.
func renameAssignment(b []byte, rename func(string) string) ([]byte, bool) {
	if len(b) == 0 {
		return b, false
	}
	var a kmsg.ConsumerMemberAssignment
	if err := a.ReadFrom(b); err != nil || a.Version > maxPayloadVersion {
		return b, false
	}
	changed := false
	topics := make([]kmsg.ConsumerMemberAssignmentTopic, 0, len(a.Topics))
	for _, t := range a.Topics {
		if n := rename(t.Topic); n != t.Topic {
			t.Topic = n
			changed = true
		}
		if j := slices.IndexFunc(topics, func(x kmsg.ConsumerMemberAssignmentTopic) bool { return x.Topic == t.Topic }); j >= 0 {
			topics[j].Partitions = mergeParts(topics[j].Partitions, t.Partitions)
			continue
		}
		topics = append(topics, t)
	}
	if !changed {
		return b, false
	}
	a.Topics = topics
	return a.AppendTo(nil), true
}

// mergeParts returns the partitions of a and b, each once, sorted, in a
// new slice.
func mergeParts(a, b []int32) []int32 {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
