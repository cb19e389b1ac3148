// Share groups (KIP-932): group ids, subscribed names, topic ids in
// fetches and acknowledgements, and the share-group offsets APIs.

package namespace

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
)

// foreignID reports whether id is known to name a topic outside the
// namespace. An id the topic cache does not know (yet) is not foreign:
// for an assignment the broker hands out, dropping a topic the cache has
// not learned would lose it until the next assignment change, and the
// fetches that follow are checked by id anyway.
func (p *Policy) foreignID(ctx context.Context, id [16]byte) bool {
	name, ok := p.topics.NameForID(ctx, id)
	if !ok {
		return false
	}
	_, vis := p.topicOut(name)
	return !vis
}

// dropForeignIDs drops the entries of a list whose id is known to be
// foreign.
func dropForeignIDs[T any](ctx context.Context, p *Policy, list []T, id func(*T) [16]byte) []T {
	kept := list[:0]
	for i := range list {
		if !p.foreignID(ctx, id(&list[i])) {
			kept = append(kept, list[i])
		}
	}
	return kept
}

// subscribedIn rewrites subscribed topic names, dropping those outside the
// namespace (names of topics that do not exist, to the client). A
// non-null list stays non-null.
func (p *Policy) subscribedIn(ctx context.Context, ts []string) []string {
	if ts == nil {
		return nil
	}
	names := make([]string, 0, len(ts))
	for _, t := range ts {
		if b, _, code := p.topicIn(ctx, t); code == 0 {
			names = append(names, b)
		}
	}
	return names
}

// ShareGroupHeartbeat (76).
func (p *Policy) shareGroupHeartbeat(ctx context.Context, x *policy.Exchange, r *kmsg.ShareGroupHeartbeatRequest) error {
	b, _, ok := p.groupIn(r.GroupID)
	if !ok {
		return x.Fail(errGroupDenied, "")
	}
	r.GroupID = b
	r.SubscribedTopicNames = p.subscribedIn(ctx, r.SubscribedTopicNames)
	x.WantResponse()
	return nil
}

func (p *Policy) shareGroupHeartbeatResponse(ctx context.Context, r *kmsg.ShareGroupHeartbeatResponse) error {
	r.ErrorMessage = p.msgOut(r.ErrorMessage)
	if a := r.Assignment; a != nil {
		a.TopicPartitions = dropForeignIDs(ctx, p, a.TopicPartitions, func(t *kmsg.ShareGroupHeartbeatResponseAssignmentTopicPartition) [16]byte { return t.TopicID })
	}
	return nil
}

// ShareGroupDescribe (77).
func (p *Policy) shareGroupDescribe(x *policy.Exchange, r *kmsg.ShareGroupDescribeRequest) error {
	var ref refusals[string]
	r.GroupIDs = p.mapGroups(r.GroupIDs, false, &ref)
	st := into(nil, &ref, func(gs []string) kmsg.Request {
		return &kmsg.ShareGroupDescribeRequest{Version: r.Version, GroupIDs: gs}
	})
	return finish(x, st, len(r.GroupIDs), true, mergeShareGroupDescribe)
}

func mergeShareGroupDescribe(dst, src kmsg.Response) {
	d := dst.(*kmsg.ShareGroupDescribeResponse)
	d.Groups = append(d.Groups, src.(*kmsg.ShareGroupDescribeResponse).Groups...)
}

func (p *Policy) shareGroupDescribeResponse(ctx context.Context, st *state, r *kmsg.ShareGroupDescribeResponse) error {
	kept := r.Groups[:0]
	for _, g := range r.Groups {
		c, ok := p.groupOut(g.GroupID)
		if !ok {
			continue
		}
		g.GroupID = c
		g.ErrorMessage = p.msgOut(g.ErrorMessage)
		for i := range g.Members {
			m := &g.Members[i]
			m.SubscribedTopicNames = p.stripNameList(m.SubscribedTopicNames)
			m.Assignment.TopicPartitions = stripNamesOrIDs(ctx, p, m.Assignment.TopicPartitions, func(t *kmsg.ShareGroupDescribeResponseGroupMemberAssignmentTopicPartition) (*string, [16]byte) {
				return &t.Topic, t.TopicID
			})
		}
		kept = append(kept, g)
	}
	r.Groups = kept
	return addRefused(st, r, mergeShareGroupDescribe)
}

// shareGroup rewrites the nullable group id of a share fetch or
// acknowledgement.
func (p *Policy) shareGroup(x *policy.Exchange, g **string) (refused bool, err error) {
	if *g == nil {
		return false, nil
	}
	b, _, ok := p.groupIn(**g)
	if !ok {
		return true, x.Fail(errGroupDenied, "")
	}
	*g = &b
	return false, nil
}

// ShareFetch (78). As Fetch, the request is always forwarded, so that
// share sessions stay in step.
func (p *Policy) shareFetch(ctx context.Context, x *policy.Exchange, r *kmsg.ShareFetchRequest) error {
	if refused, err := p.shareGroup(x, &r.GroupID); refused || err != nil {
		return err
	}
	var ref refusals[kmsg.ShareFetchRequestTopic]
	var dropped refusals[kmsg.ShareFetchRequestForgottenTopicsData]
	r.Topics = mapIDs(ctx, p, r.Topics, func(t *kmsg.ShareFetchRequestTopic) [16]byte { return t.TopicID }, false, &ref)
	r.ForgottenTopicsData = mapIDs(ctx, p, r.ForgottenTopicsData, func(t *kmsg.ShareFetchRequestForgottenTopicsData) [16]byte { return t.TopicID }, false, &dropped)
	st := into(nil, &ref, func(ts []kmsg.ShareFetchRequestTopic) kmsg.Request {
		return &kmsg.ShareFetchRequest{Version: r.Version, Topics: ts}
	})
	if st != nil {
		r.MinBytes = 0
		x.WantResponse()
		x.SetState(st)
	}
	return nil
}

func mergeShareFetch(dst, src kmsg.Response) {
	d := dst.(*kmsg.ShareFetchResponse)
	d.Topics = append(d.Topics, src.(*kmsg.ShareFetchResponse).Topics...)
}

func (p *Policy) shareFetchResponse(st *state, r *kmsg.ShareFetchResponse) error {
	if r.ErrorCode != 0 {
		// The whole request failed (a session error): the broker lists
		// no topics, and neither does the gateway.
		return nil
	}
	return addRefused(st, r, mergeShareFetch)
}

// ShareAcknowledge (79), forwarded even with nothing left, as ShareFetch.
func (p *Policy) shareAcknowledge(ctx context.Context, x *policy.Exchange, r *kmsg.ShareAcknowledgeRequest) error {
	if refused, err := p.shareGroup(x, &r.GroupID); refused || err != nil {
		return err
	}
	var ref refusals[kmsg.ShareAcknowledgeRequestTopic]
	r.Topics = mapIDs(ctx, p, r.Topics, func(t *kmsg.ShareAcknowledgeRequestTopic) [16]byte { return t.TopicID }, false, &ref)
	st := into(nil, &ref, func(ts []kmsg.ShareAcknowledgeRequestTopic) kmsg.Request {
		return &kmsg.ShareAcknowledgeRequest{Version: r.Version, Topics: ts}
	})
	if st != nil {
		x.WantResponse()
		x.SetState(st)
	}
	return nil
}

func mergeShareAcknowledge(dst, src kmsg.Response) {
	d := dst.(*kmsg.ShareAcknowledgeResponse)
	d.Topics = append(d.Topics, src.(*kmsg.ShareAcknowledgeResponse).Topics...)
}

func (p *Policy) shareAcknowledgeResponse(st *state, r *kmsg.ShareAcknowledgeResponse) error {
	if r.ErrorCode != 0 {
		// As for ShareFetch: a failed request lists no topics.
		return nil
	}
	return addRefused(st, r, mergeShareAcknowledge)
}

// DescribeShareGroupOffsets (90): groups outside the namespace get
// GROUP_AUTHORIZATION_FAILED; topics outside it UNKNOWN_TOPIC_OR_PARTITION.
// A null topic list asks for every topic: the answer is filtered.
func (p *Policy) describeShareGroupOffsets(ctx context.Context, x *policy.Exchange, r *kmsg.DescribeShareGroupOffsetsRequest) error {
	st := &state{}
	var refGroups refusals[kmsg.DescribeShareGroupOffsetsRequestGroup]
	kept := r.Groups[:0]
	for _, g := range r.Groups {
		b, _, ok := p.groupIn(g.GroupID)
		if !ok {
			refGroups.add(errGroupDenied, g)
			continue
		}
		if g.Topics != nil {
			var ref refusals[kmsg.DescribeShareGroupOffsetsRequestGroupTopic]
			g.Topics = mapNames(ctx, p, g.Topics, func(t *kmsg.DescribeShareGroupOffsetsRequestGroupTopic) *string { return &t.Topic }, false, &ref)
			client := g.GroupID
			into(st, &ref, func(ts []kmsg.DescribeShareGroupOffsetsRequestGroupTopic) kmsg.Request {
				return &kmsg.DescribeShareGroupOffsetsRequest{Version: r.Version, Groups: []kmsg.DescribeShareGroupOffsetsRequestGroup{{GroupID: client, Topics: ts}}}
			})
		}
		g.GroupID = b
		kept = append(kept, g)
	}
	r.Groups = kept
	into(st, &refGroups, func(gs []kmsg.DescribeShareGroupOffsetsRequestGroup) kmsg.Request {
		return &kmsg.DescribeShareGroupOffsetsRequest{Version: r.Version, Groups: gs}
	})
	if len(kept) == 0 && len(st.refused) > 0 {
		return answerRefused(x, st, mergeDescribeShareGroupOffsets)
	}
	x.WantResponse()
	x.SetState(st)
	return nil
}

// mergeDescribeShareGroupOffsets adds answered groups; the topics of a
// group already answered join it (the group itself was not refused).
func mergeDescribeShareGroupOffsets(dst, src kmsg.Response) {
	d, s := dst.(*kmsg.DescribeShareGroupOffsetsResponse), src.(*kmsg.DescribeShareGroupOffsetsResponse)
next:
	for _, sg := range s.Groups {
		for i := range d.Groups {
			if d.Groups[i].GroupID == sg.GroupID {
				d.Groups[i].Topics = append(d.Groups[i].Topics, sg.Topics...)
				continue next
			}
		}
		d.Groups = append(d.Groups, sg)
	}
}

func (p *Policy) describeShareGroupOffsetsResponse(_ context.Context, st *state, r *kmsg.DescribeShareGroupOffsetsResponse) error {
	kept := r.Groups[:0]
	for _, g := range r.Groups {
		c, ok := p.groupOut(g.GroupID)
		if !ok {
			continue
		}
		g.GroupID = c
		g.ErrorMessage = p.msgOut(g.ErrorMessage)
		g.Topics = stripNames(p, g.Topics, func(t *kmsg.DescribeShareGroupOffsetsResponseGroupTopic) *string { return &t.Topic })
		kept = append(kept, g)
	}
	r.Groups = kept
	return addRefused(st, r, mergeDescribeShareGroupOffsets)
}

// AlterShareGroupOffsets (91). An additional group's offsets are shared:
// refused.
func (p *Policy) alterShareGroupOffsets(ctx context.Context, x *policy.Exchange, r *kmsg.AlterShareGroupOffsetsRequest) error {
	b, add, ok := p.groupIn(r.GroupID)
	if !ok || add {
		return x.Fail(errGroupDenied, "")
	}
	r.GroupID = b
	var ref refusals[kmsg.AlterShareGroupOffsetsRequestTopic]
	r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.AlterShareGroupOffsetsRequestTopic) *string { return &t.Topic }, false, &ref)
	st := into(nil, &ref, func(ts []kmsg.AlterShareGroupOffsetsRequestTopic) kmsg.Request {
		return &kmsg.AlterShareGroupOffsetsRequest{Version: r.Version, Topics: ts}
	})
	return finish(x, st, len(r.Topics), true, mergeAlterShareGroupOffsets)
}

func mergeAlterShareGroupOffsets(dst, src kmsg.Response) {
	d := dst.(*kmsg.AlterShareGroupOffsetsResponse)
	d.Topics = append(d.Topics, src.(*kmsg.AlterShareGroupOffsetsResponse).Topics...)
}

func (p *Policy) alterShareGroupOffsetsResponse(st *state, r *kmsg.AlterShareGroupOffsetsResponse) error {
	r.ErrorMessage = p.msgOut(r.ErrorMessage)
	r.Topics = stripNames(p, r.Topics, func(t *kmsg.AlterShareGroupOffsetsResponseTopic) *string { return &t.Topic })
	return addRefused(st, r, mergeAlterShareGroupOffsets)
}

// DeleteShareGroupOffsets (92), as AlterShareGroupOffsets.
func (p *Policy) deleteShareGroupOffsets(ctx context.Context, x *policy.Exchange, r *kmsg.DeleteShareGroupOffsetsRequest) error {
	b, add, ok := p.groupIn(r.GroupID)
	if !ok || add {
		return x.Fail(errGroupDenied, "")
	}
	r.GroupID = b
	var ref refusals[kmsg.DeleteShareGroupOffsetsRequestTopic]
	r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.DeleteShareGroupOffsetsRequestTopic) *string { return &t.Topic }, false, &ref)
	st := into(nil, &ref, func(ts []kmsg.DeleteShareGroupOffsetsRequestTopic) kmsg.Request {
		return &kmsg.DeleteShareGroupOffsetsRequest{Version: r.Version, Topics: ts}
	})
	return finish(x, st, len(r.Topics), true, mergeDeleteShareGroupOffsets)
}

func mergeDeleteShareGroupOffsets(dst, src kmsg.Response) {
	d := dst.(*kmsg.DeleteShareGroupOffsetsResponse)
	d.Topics = append(d.Topics, src.(*kmsg.DeleteShareGroupOffsetsResponse).Topics...)
}

func (p *Policy) deleteShareGroupOffsetsResponse(st *state, r *kmsg.DeleteShareGroupOffsetsResponse) error {
	r.ErrorMessage = p.msgOut(r.ErrorMessage)
	r.Topics = stripNames(p, r.Topics, func(t *kmsg.DeleteShareGroupOffsetsResponseTopic) *string { return &t.Topic })
	return addRefused(st, r, mergeDeleteShareGroupOffsets)
}
