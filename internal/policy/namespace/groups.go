// Consumer groups: coordinators, the classic group protocol and the topic
// names inside "consumer" member payloads, offsets, listings, and the
// KIP-848 consumer group APIs with their regex subscriptions.

package namespace

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
)

// consumerProtocol is the protocol type of Kafka consumers; its member
// metadata and assignments name topics. Other types (connect) pass as
// they are.
const consumerProtocol = "consumer"

// FindCoordinator (10). Group keys (type 0) and transaction keys (type 1)
// are rewritten, and the keys of the answer (v4+) stripped. Share keys
// (type 2, "group:topicId:partition") are only sent by brokers: refused
// with CLUSTER_AUTHORIZATION_FAILED, as Kafka answers a client without
// CLUSTER_ACTION.
func (p *Policy) findCoordinator(x *policy.Exchange, r *kmsg.FindCoordinatorRequest) error {
	kt := r.CoordinatorType
	if r.Version < 1 {
		kt = 0
	}
	mapKey := func(k string) (string, int16) {
		switch kt {
		case 0:
			if b, _, ok := p.groupIn(k); ok {
				return b, 0
			}
			return "", errGroupDenied
		case 1:
			if b, ok := p.txnIn(k); ok {
				return b, 0
			}
			return "", errTxnDenied
		}
		return "", errClusterDenied
	}
	if r.Version < 4 {
		b, code := mapKey(r.CoordinatorKey)
		if code != 0 {
			return x.Fail(code, "")
		}
		r.CoordinatorKey = b
		return nil
	}
	var ref refusals[string]
	kept := r.CoordinatorKeys[:0]
	for _, k := range r.CoordinatorKeys {
		b, code := mapKey(k)
		if code != 0 {
			ref.add(code, k)
			continue
		}
		kept = append(kept, b)
	}
	r.CoordinatorKeys = kept
	st := into(&state{keyType: kt}, &ref, func(ks []string) kmsg.Request {
		return &kmsg.FindCoordinatorRequest{Version: r.Version, CoordinatorType: kt, CoordinatorKeys: ks}
	})
	return finish(x, st, len(kept), true, mergeFindCoordinator)
}

func mergeFindCoordinator(dst, src kmsg.Response) {
	d := dst.(*kmsg.FindCoordinatorResponse)
	d.Coordinators = append(d.Coordinators, src.(*kmsg.FindCoordinatorResponse).Coordinators...)
}

func (p *Policy) findCoordinatorResponse(st *state, r *kmsg.FindCoordinatorResponse) error {
	if st == nil {
		return nil
	}
	kept := r.Coordinators[:0]
	for _, c := range r.Coordinators {
		var ok bool
		if st.keyType == 1 {
			c.Key, ok = p.txnOut(c.Key)
		} else {
			c.Key, ok = p.groupOut(c.Key)
		}
		if !ok {
			continue
		}
		c.ErrorMessage = p.msgOut(c.ErrorMessage)
		kept = append(kept, c)
	}
	r.Coordinators = kept
	return addRefused(st, r, mergeFindCoordinator)
}

// JoinGroup (11): the group, and the topics of "consumer" member
// metadata, which the broker reads when it upgrades a classic group to a
// KIP-848 one. The leader's answer lists every member's metadata.
func (p *Policy) joinGroup(ctx context.Context, x *policy.Exchange, r *kmsg.JoinGroupRequest) error {
	b, _, ok := p.groupIn(r.Group)
	if !ok {
		return x.Fail(errGroupDenied, "")
	}
	r.Group = b
	if r.ProtocolType != consumerProtocol {
		return nil
	}
	for i := range r.Protocols {
		r.Protocols[i].Metadata = p.memberMetadataIn(ctx, r.Protocols[i].Metadata)
	}
	x.WantResponse()
	return nil
}

func (p *Policy) joinGroupResponse(r *kmsg.JoinGroupResponse) error {
	if r.ProtocolType != nil && *r.ProtocolType != consumerProtocol {
		return nil
	}
	for i := range r.Members {
		r.Members[i].ProtocolMetadata = p.memberMetadataOut(r.Members[i].ProtocolMetadata)
	}
	return nil
}

// SyncGroup (14): the group, and the topics of "consumer" assignments.
// Before v5 the request and answer do not say the protocol type: a payload
// is taken for a consumer assignment when it decodes as one and encodes
// back to the same bytes, which a connect assignment does not.
func (p *Policy) syncGroup(ctx context.Context, x *policy.Exchange, r *kmsg.SyncGroupRequest) error {
	b, _, ok := p.groupIn(r.Group)
	if !ok {
		return x.Fail(errGroupDenied, "")
	}
	r.Group = b
	if r.ProtocolType != nil && *r.ProtocolType != consumerProtocol {
		return nil
	}
	known := r.ProtocolType != nil
	for i := range r.GroupAssignment {
		ga := &r.GroupAssignment[i]
		ga.MemberAssignment = p.assignmentIn(ctx, ga.MemberAssignment, known)
	}
	x.WantResponse()
	return nil
}

func (p *Policy) syncGroupResponse(r *kmsg.SyncGroupResponse) error {
	if r.ProtocolType != nil && *r.ProtocolType != consumerProtocol {
		return nil
	}
	r.MemberAssignment = p.assignmentOut(r.MemberAssignment, r.ProtocolType != nil)
	return nil
}

// memberMetadataIn rewrites the topics of a consumer's subscription;
// topics outside the namespace are dropped. Bytes that do not decode pass:
// the broker cannot read them either.
func (p *Policy) memberMetadataIn(ctx context.Context, b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	m, short, ok := readMemberMetadata(b)
	if !ok {
		return b
	}
	changed := false
	topics := m.Topics[:0]
	for _, t := range m.Topics {
		bn, _, code := p.topicIn(ctx, t)
		if code != 0 || bn != t {
			changed = true
		}
		if code == 0 {
			topics = append(topics, bn)
		}
	}
	m.Topics = topics
	owned := m.OwnedPartitions[:0]
	for _, o := range m.OwnedPartitions {
		bn, _, code := p.topicIn(ctx, o.Topic)
		if code != 0 || bn != o.Topic {
			changed = true
		}
		if code == 0 {
			o.Topic = bn
			owned = append(owned, o)
		}
	}
	m.OwnedPartitions = owned
	if !changed {
		return b
	}
	return appendMemberMetadata(m, short)
}

// memberMetadataOut strips the topics of a consumer's subscription.
// Bytes that do not decode are dropped rather than shown.
func (p *Policy) memberMetadataOut(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	m, short, ok := readMemberMetadata(b)
	if !ok {
		return []byte{}
	}
	changed := false
	topics := m.Topics[:0]
	for _, t := range m.Topics {
		c, ok := p.topicOut(t)
		if !ok || c != t {
			changed = true
		}
		if ok {
			topics = append(topics, c)
		}
	}
	m.Topics = topics
	owned := m.OwnedPartitions[:0]
	for _, o := range m.OwnedPartitions {
		c, ok := p.topicOut(o.Topic)
		if !ok || c != o.Topic {
			changed = true
		}
		if ok {
			o.Topic = c
			owned = append(owned, o)
		}
	}
	m.OwnedPartitions = owned
	if !changed {
		return b
	}
	return appendMemberMetadata(m, short)
}

// readMemberMetadata decodes consumer member metadata. Some clients
// (kafka-go) write a version above 0 with only the v0 fields (topics and
// user data); such metadata decodes as v0 and short is true, so that it is
// written back in the same shape under its own version.
func readMemberMetadata(b []byte) (m kmsg.ConsumerMemberMetadata, short, ok bool) {
	if m.ReadFrom(b) == nil {
		return m, false, true
	}
	if len(b) < 2 || b[0] == 0 && b[1] == 0 {
		return m, false, false
	}
	v0 := append([]byte{0, 0}, b[2:]...)
	m = kmsg.ConsumerMemberMetadata{}
	if m.ReadFrom(v0) != nil {
		return m, false, false
	}
	m.Version = int16(b[0])<<8 | int16(b[1])
	return m, true, true
}

// appendMemberMetadata encodes m, in the v0 shape under m's version when
// short.
func appendMemberMetadata(m kmsg.ConsumerMemberMetadata, short bool) []byte {
	if !short {
		return m.AppendTo(nil)
	}
	v := m.Version
	m.Version = 0
	out := m.AppendTo(nil)
	out[0], out[1] = byte(v>>8), byte(v)
	return out
}

// decodeAssignment decodes a consumer assignment. Unless the protocol
// type is known to be "consumer", the bytes must encode back unchanged.
func decodeAssignment(b []byte, known bool) (*kmsg.ConsumerMemberAssignment, bool) {
	var a kmsg.ConsumerMemberAssignment
	if len(b) == 0 || a.ReadFrom(b) != nil {
		return nil, false
	}
	if !known && !bytes.Equal(a.AppendTo(nil), b) {
		return nil, false
	}
	return &a, true
}

// assignmentIn rewrites the topics of a consumer assignment.
func (p *Policy) assignmentIn(ctx context.Context, b []byte, known bool) []byte {
	a, ok := decodeAssignment(b, known)
	if !ok {
		return b
	}
	changed := false
	kept := a.Topics[:0]
	for _, t := range a.Topics {
		bn, _, code := p.topicIn(ctx, t.Topic)
		if code != 0 || bn != t.Topic {
			changed = true
		}
		if code == 0 {
			t.Topic = bn
			kept = append(kept, t)
		}
	}
	a.Topics = kept
	if !changed {
		return b
	}
	return a.AppendTo(nil)
}

// assignmentOut strips the topics of a consumer assignment. With the
// protocol type known to be "consumer", bytes that do not decode are
// dropped rather than shown.
func (p *Policy) assignmentOut(b []byte, known bool) []byte {
	a, ok := decodeAssignment(b, known)
	if !ok {
		if known && len(b) > 0 {
			return []byte{}
		}
		return b
	}
	changed := false
	kept := a.Topics[:0]
	for _, t := range a.Topics {
		c, ok := p.topicOut(t.Topic)
		if !ok || c != t.Topic {
			changed = true
		}
		if ok {
			t.Topic = c
			kept = append(kept, t)
		}
	}
	a.Topics = kept
	if !changed {
		return b
	}
	return a.AppendTo(nil)
}

// mapGroups rewrites a list of group ids in place; ids outside the
// namespace (and, with admin set, additional groups) go to ref with
// GROUP_AUTHORIZATION_FAILED.
func (p *Policy) mapGroups(gs []string, admin bool, ref *refusals[string]) []string {
	kept := gs[:0]
	for _, g := range gs {
		b, add, ok := p.groupIn(g)
		if !ok || add && admin {
			ref.add(errGroupDenied, g)
			continue
		}
		kept = append(kept, b)
	}
	return kept
}

// DescribeGroups (15).
func (p *Policy) describeGroups(x *policy.Exchange, r *kmsg.DescribeGroupsRequest) error {
	var ref refusals[string]
	r.Groups = p.mapGroups(r.Groups, false, &ref)
	st := into(nil, &ref, func(gs []string) kmsg.Request {
		return &kmsg.DescribeGroupsRequest{Version: r.Version, Groups: gs}
	})
	return finish(x, st, len(r.Groups), true, mergeDescribeGroups)
}

func mergeDescribeGroups(dst, src kmsg.Response) {
	d := dst.(*kmsg.DescribeGroupsResponse)
	d.Groups = append(d.Groups, src.(*kmsg.DescribeGroupsResponse).Groups...)
}

func (p *Policy) describeGroupsResponse(st *state, r *kmsg.DescribeGroupsResponse) error {
	kept := r.Groups[:0]
	for _, g := range r.Groups {
		c, ok := p.groupOut(g.Group)
		if !ok {
			continue
		}
		g.Group = c
		g.ErrorMessage = p.msgOut(g.ErrorMessage)
		if g.ProtocolType == consumerProtocol {
			for i := range g.Members {
				m := &g.Members[i]
				m.ProtocolMetadata = p.memberMetadataOut(m.ProtocolMetadata)
				m.MemberAssignment = p.assignmentOut(m.MemberAssignment, true)
			}
		}
		kept = append(kept, g)
	}
	r.Groups = kept
	return addRefused(st, r, mergeDescribeGroups)
}

// ListGroups (16): the answer is filtered.
func (p *Policy) listGroupsResponse(r *kmsg.ListGroupsResponse) error {
	r.Groups = p.filterGroups(r.Groups, func(g *kmsg.ListGroupsResponseGroup) *string { return &g.Group })
	return nil
}

// filterGroups strips a listing of groups, reporting (hide_prefix) a
// prefixed group hidden by an additional group of the same client name.
func (p *Policy) filterGroups(gs []kmsg.ListGroupsResponseGroup, name func(*kmsg.ListGroupsResponseGroup) *string) []kmsg.ListGroupsResponseGroup {
	var present map[string]struct{}
	if p.hide && !p.addGroups.empty() {
		present = make(map[string]struct{}, len(gs))
		for i := range gs {
			present[*name(&gs[i])] = struct{}{}
		}
	}
	kept := gs[:0]
	for _, g := range gs {
		n := name(&g)
		c, ok := p.groupOut(*n)
		if !ok {
			if rest, pre := strings.CutPrefix(*n, p.prefix); pre && present != nil {
				if _, both := present[rest]; both {
					if _, warn := p.addGroups.match(rest); warn {
						p.groupConflictFound(rest, *n)
					}
				}
			}
			continue
		}
		*n = c
		kept = append(kept, g)
	}
	return kept
}

// groupConflictFound logs, once per name, that the additional group c
// hides the prefixed group pre, and reports it.
func (p *Policy) groupConflictFound(c, pre string) {
	if _, seen := p.warned.LoadOrStore("group:"+c, struct{}{}); !seen {
		p.log.Warn("namespace conflict: two backend groups have one client name; the additional one wins",
			"client_name", c, "used", c, "hidden", pre)
	}
	p.groupConflict.Store(true)
	p.report()
}

// DeleteGroups (42). Additional groups may not be deleted.
func (p *Policy) deleteGroups(x *policy.Exchange, r *kmsg.DeleteGroupsRequest) error {
	var ref refusals[string]
	r.Groups = p.mapGroups(r.Groups, true, &ref)
	st := into(nil, &ref, func(gs []string) kmsg.Request {
		return &kmsg.DeleteGroupsRequest{Version: r.Version, Groups: gs}
	})
	return finish(x, st, len(r.Groups), true, mergeDeleteGroups)
}

func mergeDeleteGroups(dst, src kmsg.Response) {
	d := dst.(*kmsg.DeleteGroupsResponse)
	d.Groups = append(d.Groups, src.(*kmsg.DeleteGroupsResponse).Groups...)
}

func (p *Policy) deleteGroupsResponse(st *state, r *kmsg.DeleteGroupsResponse) error {
	kept := r.Groups[:0]
	for _, g := range r.Groups {
		c, ok := p.groupOut(g.Group)
		if !ok {
			continue
		}
		g.Group = c
		g.ErrorMessage = p.msgOut(g.ErrorMessage)
		kept = append(kept, g)
	}
	r.Groups = kept
	return addRefused(st, r, mergeDeleteGroups)
}

// OffsetCommit (8): the group, and topics by name (<=9) or id (10).
func (p *Policy) offsetCommit(ctx context.Context, x *policy.Exchange, r *kmsg.OffsetCommitRequest) error {
	b, _, ok := p.groupIn(r.Group)
	if !ok {
		return x.Fail(errGroupDenied, "")
	}
	r.Group = b
	var ref refusals[kmsg.OffsetCommitRequestTopic]
	if r.Version >= 10 {
		r.Topics = mapIDs(ctx, p, r.Topics, func(t *kmsg.OffsetCommitRequestTopic) [16]byte { return t.TopicID }, false, &ref)
	} else {
		r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.OffsetCommitRequestTopic) *string { return &t.Topic }, false, &ref)
	}
	st := into(nil, &ref, func(ts []kmsg.OffsetCommitRequestTopic) kmsg.Request {
		return &kmsg.OffsetCommitRequest{Version: r.Version, Topics: ts}
	})
	return finish(x, st, len(r.Topics), p.hide && r.Version < 10, mergeOffsetCommit)
}

func mergeOffsetCommit(dst, src kmsg.Response) {
	d := dst.(*kmsg.OffsetCommitResponse)
	d.Topics = append(d.Topics, src.(*kmsg.OffsetCommitResponse).Topics...)
}

func (p *Policy) offsetCommitResponse(st *state, r *kmsg.OffsetCommitResponse) error {
	if r.Version < 10 {
		r.Topics = stripNames(p, r.Topics, func(t *kmsg.OffsetCommitResponseTopic) *string { return &t.Topic })
	}
	return addRefused(st, r, mergeOffsetCommit)
}

// OffsetFetch (9). v0-7 name one group, v8+ several. A topic outside the
// namespace is answered as Kafka answers a topic with no committed offset
// (offset -1, no error) when named, UNKNOWN_TOPIC_ID when given by id
// (v10). A null topic list asks for every committed topic: the answer is
// filtered. With v8+ a group outside the namespace gets
// GROUP_AUTHORIZATION_FAILED, the others are answered.
func (p *Policy) offsetFetch(ctx context.Context, x *policy.Exchange, r *kmsg.OffsetFetchRequest) error {
	st := &state{}
	if r.Version < 8 {
		b, _, ok := p.groupIn(r.Group)
		if !ok {
			return x.Fail(errGroupDenied, "")
		}
		client := r.Group
		r.Group = b
		if r.Topics != nil {
			var ref refusals[kmsg.OffsetFetchRequestTopic]
			r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.OffsetFetchRequestTopic) *string { return &t.Topic }, false, &ref)
			if len(r.Topics) == 0 && !ref.empty() {
				// Nothing left to ask: answer as the group would.
				r.Group = client
				into(st, &ref, func(ts []kmsg.OffsetFetchRequestTopic) kmsg.Request {
					return &kmsg.OffsetFetchRequest{Version: r.Version, Group: client, Topics: ts}
				})
				for i := range st.refused {
					st.refused[i].code = 0
				}
				return answerRefused(x, st, mergeOffsetFetch)
			}
			into(st, &ref, func(ts []kmsg.OffsetFetchRequestTopic) kmsg.Request {
				return &kmsg.OffsetFetchRequest{Version: r.Version, Group: client, Topics: ts}
			})
			for i := range st.refused {
				st.refused[i].code = 0
			}
		}
		x.WantResponse()
		x.SetState(st)
		return nil
	}
	var refGroups refusals[kmsg.OffsetFetchRequestGroup]
	kept := r.Groups[:0]
	for _, g := range r.Groups {
		b, _, ok := p.groupIn(g.Group)
		if !ok {
			refGroups.add(errGroupDenied, g)
			continue
		}
		if g.Topics != nil {
			var ref refusals[kmsg.OffsetFetchRequestGroupTopic]
			if r.Version >= 10 {
				g.Topics = mapIDs(ctx, p, g.Topics, func(t *kmsg.OffsetFetchRequestGroupTopic) [16]byte { return t.TopicID }, false, &ref)
			} else {
				g.Topics = mapNames(ctx, p, g.Topics, func(t *kmsg.OffsetFetchRequestGroupTopic) *string { return &t.Topic }, false, &ref)
			}
			client := g.Group
			into(st, &ref, func(ts []kmsg.OffsetFetchRequestGroupTopic) kmsg.Request {
				return &kmsg.OffsetFetchRequest{Version: r.Version, Groups: []kmsg.OffsetFetchRequestGroup{{Group: client, Topics: ts}}}
			})
		}
		g.Group = b
		kept = append(kept, g)
	}
	for i := range st.refused {
		if st.refused[i].code == errUnknownTopic || st.refused[i].code == errInvalidTopic {
			st.refused[i].code = 0
		}
	}
	r.Groups = kept
	into(st, &refGroups, func(gs []kmsg.OffsetFetchRequestGroup) kmsg.Request {
		return &kmsg.OffsetFetchRequest{Version: r.Version, Groups: gs}
	})
	if len(kept) == 0 && len(st.refused) > 0 {
		return answerRefused(x, st, mergeOffsetFetch)
	}
	x.WantResponse()
	x.SetState(st)
	return nil
}

// mergeOffsetFetch adds answered entries: topics (v0-7), or groups (v8+),
// whose topics join those of a group of the same name already answered.
func mergeOffsetFetch(dst, src kmsg.Response) {
	d, s := dst.(*kmsg.OffsetFetchResponse), src.(*kmsg.OffsetFetchResponse)
	d.Topics = append(d.Topics, s.Topics...)
next:
	for _, sg := range s.Groups {
		for i := range d.Groups {
			if d.Groups[i].Group == sg.Group {
				d.Groups[i].Topics = append(d.Groups[i].Topics, sg.Topics...)
				continue next
			}
		}
		d.Groups = append(d.Groups, sg)
	}
}

func (p *Policy) offsetFetchResponse(ctx context.Context, st *state, r *kmsg.OffsetFetchResponse) error {
	r.Topics = stripNames(p, r.Topics, func(t *kmsg.OffsetFetchResponseTopic) *string { return &t.Topic })
	kept := r.Groups[:0]
	for _, g := range r.Groups {
		c, ok := p.groupOut(g.Group)
		if !ok {
			continue
		}
		g.Group = c
		if r.Version >= 10 {
			g.Topics = filterIDs(ctx, p, g.Topics, func(t *kmsg.OffsetFetchResponseGroupTopic) [16]byte { return t.TopicID })
		} else {
			g.Topics = stripNames(p, g.Topics, func(t *kmsg.OffsetFetchResponseGroupTopic) *string { return &t.Topic })
		}
		kept = append(kept, g)
	}
	r.Groups = kept
	return addRefused(st, r, mergeOffsetFetch)
}

// OffsetDelete (47). Deleting an additional group's offsets is refused:
// the group is shared.
func (p *Policy) offsetDelete(ctx context.Context, x *policy.Exchange, r *kmsg.OffsetDeleteRequest) error {
	b, add, ok := p.groupIn(r.Group)
	if !ok || add {
		return x.Fail(errGroupDenied, "")
	}
	r.Group = b
	var ref refusals[kmsg.OffsetDeleteRequestTopic]
	r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.OffsetDeleteRequestTopic) *string { return &t.Topic }, false, &ref)
	st := into(nil, &ref, func(ts []kmsg.OffsetDeleteRequestTopic) kmsg.Request {
		return &kmsg.OffsetDeleteRequest{Version: r.Version, Topics: ts}
	})
	return finish(x, st, len(r.Topics), p.hide, mergeOffsetDelete)
}

func mergeOffsetDelete(dst, src kmsg.Response) {
	d := dst.(*kmsg.OffsetDeleteResponse)
	d.Topics = append(d.Topics, src.(*kmsg.OffsetDeleteResponse).Topics...)
}

func (p *Policy) offsetDeleteResponse(st *state, r *kmsg.OffsetDeleteResponse) error {
	r.Topics = stripNames(p, r.Topics, func(t *kmsg.OffsetDeleteResponseTopic) *string { return &t.Topic })
	return addRefused(st, r, mergeOffsetDelete)
}

// ConsumerGroupHeartbeat (68): the group, subscribed names (outside the
// namespace dropped, as names of topics that do not exist, which Kafka
// keeps waiting for), the regex rewritten into the namespace, owned
// partitions and the assignment checked by topic id.
func (p *Policy) consumerGroupHeartbeat(ctx context.Context, x *policy.Exchange, r *kmsg.ConsumerGroupHeartbeatRequest) error {
	b, _, ok := p.groupIn(r.Group)
	if !ok {
		return x.Fail(errGroupDenied, "")
	}
	if r.SubscribedTopicRegex != nil {
		re, err := p.regexIn(*r.SubscribedTopicRegex)
		if err != nil {
			return x.Fail(errInvalidRegex, err.Error())
		}
		r.SubscribedTopicRegex = &re
	}
	r.Group = b
	r.SubscribedTopicNames = p.subscribedIn(ctx, r.SubscribedTopicNames)
	r.Topics = dropForeignIDs(ctx, p, r.Topics, func(t *kmsg.ConsumerGroupHeartbeatRequestTopic) [16]byte { return t.TopicID })
	x.WantResponse()
	return nil
}

func (p *Policy) consumerGroupHeartbeatResponse(ctx context.Context, r *kmsg.ConsumerGroupHeartbeatResponse) error {
	r.ErrorMessage = p.msgOut(r.ErrorMessage)
	if a := r.Assignment; a != nil {
		a.Topics = dropForeignIDs(ctx, p, a.Topics, func(t *kmsg.ConsumerGroupHeartbeatResponseAssignmentTopic) [16]byte { return t.TopicID })
	}
	return nil
}

// ConsumerGroupDescribe (69).
func (p *Policy) consumerGroupDescribe(x *policy.Exchange, r *kmsg.ConsumerGroupDescribeRequest) error {
	var ref refusals[string]
	r.Groups = p.mapGroups(r.Groups, false, &ref)
	st := into(nil, &ref, func(gs []string) kmsg.Request {
		return &kmsg.ConsumerGroupDescribeRequest{Version: r.Version, Groups: gs}
	})
	return finish(x, st, len(r.Groups), true, mergeConsumerGroupDescribe)
}

func mergeConsumerGroupDescribe(dst, src kmsg.Response) {
	d := dst.(*kmsg.ConsumerGroupDescribeResponse)
	d.Groups = append(d.Groups, src.(*kmsg.ConsumerGroupDescribeResponse).Groups...)
}

func (p *Policy) consumerGroupDescribeResponse(ctx context.Context, st *state, r *kmsg.ConsumerGroupDescribeResponse) error {
	kept := r.Groups[:0]
	for _, g := range r.Groups {
		c, ok := p.groupOut(g.Group)
		if !ok {
			continue
		}
		g.Group = c
		g.ErrorMessage = p.msgOut(g.ErrorMessage)
		for i := range g.Members {
			m := &g.Members[i]
			m.SubscribedTopics = p.stripNameList(m.SubscribedTopics)
			if m.SubscribedTopicRegex != nil {
				m.SubscribedTopicRegex = p.regexOut(*m.SubscribedTopicRegex)
			}
			p.stripAssignment(ctx, &m.Assignment)
			p.stripAssignment(ctx, &m.TargetAssignment)
		}
		kept = append(kept, g)
	}
	r.Groups = kept
	return addRefused(st, r, mergeConsumerGroupDescribe)
}

// stripNameList strips a list of topic names, dropping those not visible.
func (p *Policy) stripNameList(ts []string) []string {
	return stripNames(p, ts, func(t *string) *string { return t })
}

// stripAssignment strips the topics of a described assignment: by name,
// or by id where the broker left the name out.
func (p *Policy) stripAssignment(ctx context.Context, a *kmsg.Assignment) {
	a.TopicPartitions = stripNamesOrIDs(ctx, p, a.TopicPartitions, func(t *kmsg.AssignmentTopicPartition) (*string, [16]byte) { return &t.Topic, t.TopicID })
}

// stripNamesOrIDs strips a response list whose entries carry a topic name,
// or only an id when the name is empty; entries not visible are dropped.
func stripNamesOrIDs[T any](ctx context.Context, p *Policy, list []T, topic func(*T) (*string, [16]byte)) []T {
	kept := list[:0]
	for i := range list {
		n, id := topic(&list[i])
		if *n == "" {
			if vis, _ := p.ownID(ctx, id); !vis {
				continue
			}
		} else {
			c, ok := p.topicOut(*n)
			if !ok {
				continue
			}
			*n = c
		}
		kept = append(kept, list[i])
	}
	return kept
}

// errRegexOutside refuses an enforce_prefix regex that could match topics
// outside the namespace.
var errRegexOutside = errors.New("the regular expression must start with the namespace prefix")

// regexIn rewrites a KIP-848 subscription regex into the namespace. Kafka
// matches it (RE2/J) against whole topic names. The client's regex is
// parsed and re-serialized, so what reaches the broker is well formed and
// can only match inside the namespace; begin-of-text anchors, which would
// no longer sit at the start of the name, are dropped (a full match makes
// them redundant).
//
// hide_prefix: ^prefix(?:regex)$, matching prefixed topics only.
// enforce_prefix: ^(?:regex)$, where every match of regex must start with
// the prefix (its literal prefix must include it); otherwise the regex is
// refused with INVALID_REGULAR_EXPRESSION.
func (p *Policy) regexIn(src string) (string, error) {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return "", err
	}
	dropBeginAnchors(re)
	body := re.String()
	core := body
	if p.hide {
		core = regexp.QuoteMeta(p.prefix) + "(?:" + body + ")"
	}
	check, err := syntax.Parse(core, syntax.Perl)
	if err != nil {
		return "", err
	}
	prog, err := syntax.Compile(check.Simplify())
	if err != nil {
		return "", err
	}
	if lit, _ := prog.Prefix(); !strings.HasPrefix(lit, p.prefix) {
		return "", errRegexOutside
	}
	if p.hide {
		return "^" + core + "$", nil
	}
	return "^(?:" + core + ")$", nil
}

// regexOut undoes regexIn for a regex shown in a group description; a
// regex not of that form is not shown.
func (p *Policy) regexOut(re string) *string {
	head := "^(?:"
	if p.hide {
		head = "^" + regexp.QuoteMeta(p.prefix) + "(?:"
	}
	body, ok := strings.CutPrefix(re, head)
	if !ok {
		return nil
	}
	body, ok = strings.CutSuffix(body, ")$")
	if !ok {
		return nil
	}
	return &body
}

// dropBeginAnchors removes ^ and \A.
func dropBeginAnchors(re *syntax.Regexp) {
	for _, s := range re.Sub {
		dropBeginAnchors(s)
	}
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpBeginText:
		*re = syntax.Regexp{Op: syntax.OpEmptyMatch}
	case syntax.OpConcat:
		subs := re.Sub[:0]
		for _, s := range re.Sub {
			if s.Op != syntax.OpEmptyMatch {
				subs = append(subs, s)
			}
		}
		switch len(subs) {
		case 0:
			*re = syntax.Regexp{Op: syntax.OpEmptyMatch}
		case 1:
			*re = *subs[0]
		default:
			re.Sub = subs
		}
	}
}
