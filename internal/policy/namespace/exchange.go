// The hooks: one request and one response handler per API key, the state an
// exchange keeps between them, and the helpers that rewrite lists of names
// and ids and answer the entries taken out of a request.

package namespace

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/policy/errresp"
)

// state is what a request hook keeps for its response hook.
type state struct {
	// refused are the entries taken out of the request, one request of
	// the same type and version per error code; the response hook answers
	// them with errresp and adds the answers to the backend's response.
	// Their names are the client's.
	refused []refusal
	// all is set for a request that lists everything (all topics, all
	// offsets of a group): the response is filtered.
	all bool
	// none is set for a v0 Metadata request whose topics were all
	// refused: the backend, asked for none, answers with every topic.
	none bool
	// keyType is FindCoordinator's key type.
	keyType int8
}

// refusal is a request made of entries refused with code.
type refusal struct {
	code int16
	req  kmsg.Request
}

// refusals collects the entries taken out of a request list, by code.
type refusals[T any] struct {
	codes []int16
	lists [][]T
}

func (r *refusals[T]) add(code int16, e T) {
	for i, c := range r.codes {
		if c == code {
			r.lists[i] = append(r.lists[i], e)
			return
		}
	}
	r.codes = append(r.codes, code)
	r.lists = append(r.lists, []T{e})
}

func (r *refusals[T]) empty() bool { return len(r.codes) == 0 }

// into adds the refused entries to st (allocating it if nil) as requests
// made by mk, one per code, and returns st.
func into[T any](st *state, r *refusals[T], mk func([]T) kmsg.Request) *state {
	if r.empty() {
		return st
	}
	if st == nil {
		st = &state{}
	}
	for i, c := range r.codes {
		st.refused = append(st.refused, refusal{code: c, req: mk(r.lists[i])})
	}
	return st
}

// merger adds the entries of src, an errresp answer, to dst, a response of
// the same type.
type merger func(dst, src kmsg.Response)

// addRefused answers st's refused entries and merges them into resp.
func addRefused(st *state, resp kmsg.Response, merge merger) error {
	if st == nil {
		return nil
	}
	for _, r := range st.refused {
		er, err := errresp.For(r.req, r.code, nil)
		if err != nil {
			return err
		}
		merge(resp, er)
	}
	return nil
}

// answerRefused answers the request locally with st's refused entries: all
// of its entries were refused.
func answerRefused(x *policy.Exchange, st *state, merge merger) error {
	if st == nil || len(st.refused) == 0 {
		return fmt.Errorf("%s: nothing to answer", kmsg.NameForKey(x.Key()))
	}
	first, err := errresp.For(st.refused[0].req, st.refused[0].code, nil)
	if err != nil {
		return err
	}
	rest := *st
	rest.refused = st.refused[1:]
	if err := addRefused(&rest, first, merge); err != nil {
		return err
	}
	clearTop(first)
	x.Answer(first)
	return nil
}

// clearTop zeroes the top-level error code errresp sets beside the
// entries: a local answer made of refused entries refuses only them.
func clearTop(resp kmsg.Response) {
	switch r := resp.(type) {
	case *kmsg.FetchResponse:
		r.ErrorCode = 0
	case *kmsg.MetadataResponse:
		r.ErrorCode = 0
	case *kmsg.OffsetFetchResponse:
		r.ErrorCode = 0
	case *kmsg.OffsetDeleteResponse:
		r.ErrorCode = 0
	case *kmsg.ShareFetchResponse:
		r.ErrorCode, r.ErrorMessage = 0, nil
	case *kmsg.ShareAcknowledgeResponse:
		r.ErrorCode, r.ErrorMessage = 0, nil
	case *kmsg.AlterShareGroupOffsetsResponse:
		r.ErrorCode, r.ErrorMessage = 0, nil
	case *kmsg.DeleteShareGroupOffsetsResponse:
		r.ErrorCode, r.ErrorMessage = 0, nil
	}
}

// finish ends a request hook that took entries out of a topic list: with
// nothing left (kept == 0) the request is answered locally; otherwise the
// response is wanted when st is set or strip is.
func finish(x *policy.Exchange, st *state, kept int, strip bool, merge merger) error {
	if st != nil && len(st.refused) > 0 && kept == 0 {
		return answerRefused(x, st, merge)
	}
	if st != nil || strip {
		x.WantResponse()
		if st != nil {
			x.SetState(st)
		}
	}
	return nil
}

// mapNames rewrites the topic names of a request list into the namespace
// in place and returns the entries kept; the others go to ref with their
// client names. With admin set, additional topics are refused
// (TOPIC_AUTHORIZATION_FAILED): they may not be administered. (The list
// helpers index rather than range over copies, so that taking an entry's
// address does not move it to the heap.)
func mapNames[T any](ctx context.Context, p *Policy, list []T, name func(*T) *string, admin bool, ref *refusals[T]) []T {
	kept := list[:0]
	for i := range list {
		e := &list[i]
		n := name(e)
		b, add, code := p.topicIn(ctx, *n)
		if code == 0 && add && admin {
			code = errTopicDenied
		}
		if code != 0 {
			ref.add(code, *e)
			continue
		}
		*n = b
		kept = append(kept, *e)
	}
	return kept
}

// mapIDs keeps the entries of a request list whose topic id is visible in
// the namespace; the others go to ref (UNKNOWN_TOPIC_ID). With admin set,
// additional topics are refused.
func mapIDs[T any](ctx context.Context, p *Policy, list []T, id func(*T) [16]byte, admin bool, ref *refusals[T]) []T {
	kept := list[:0]
	for i := range list {
		e := &list[i]
		vis, add := p.ownID(ctx, id(e))
		switch {
		case !vis:
			ref.add(errUnknownTopicID, *e)
			continue
		case add && admin:
			ref.add(errTopicDenied, *e)
			continue
		}
		kept = append(kept, *e)
	}
	return kept
}

// stripNames maps the backend topic names of a response list to the
// client's in place, dropping topics that are not visible.
func stripNames[T any](p *Policy, list []T, name func(*T) *string) []T {
	kept := list[:0]
	for i := range list {
		e := &list[i]
		n := name(e)
		c, ok := p.topicOut(*n)
		if !ok {
			continue
		}
		*n = c
		kept = append(kept, *e)
	}
	return kept
}

// stripNamePtrs is stripNames for nullable names; a null name is kept.
func stripNamePtrs[T any](p *Policy, list []T, name func(*T) **string) []T {
	kept := list[:0]
	for i := range list {
		e := &list[i]
		n := name(e)
		if *n != nil {
			c, ok := p.topicOut(**n)
			if !ok {
				continue
			}
			if c != **n {
				*n = &c
			}
		}
		kept = append(kept, *e)
	}
	return kept
}

// filterIDs drops the entries of a response list whose topic id is not
// visible in the namespace.
func filterIDs[T any](ctx context.Context, p *Policy, list []T, id func(*T) [16]byte) []T {
	kept := list[:0]
	for i := range list {
		if vis, _ := p.ownID(ctx, id(&list[i])); vis {
			kept = append(kept, list[i])
		}
	}
	return kept
}

// Request implements policy.RequestHook.
func (p *Policy) Request(ctx context.Context, x *policy.Exchange) error {
	switch r := x.Request.(type) {
	case *kmsg.ProduceRequest:
		return p.produce(ctx, x, r)
	case *kmsg.FetchRequest:
		return p.fetch(ctx, x, r)
	case *kmsg.ListOffsetsRequest:
		return p.listOffsets(ctx, x, r)
	case *kmsg.MetadataRequest:
		return p.metadata(ctx, x, r)
	case *kmsg.OffsetCommitRequest:
		return p.offsetCommit(ctx, x, r)
	case *kmsg.OffsetFetchRequest:
		return p.offsetFetch(ctx, x, r)
	case *kmsg.FindCoordinatorRequest:
		return p.findCoordinator(x, r)
	case *kmsg.JoinGroupRequest:
		return p.joinGroup(ctx, x, r)
	case *kmsg.HeartbeatRequest:
		return p.group(x, &r.Group)
	case *kmsg.LeaveGroupRequest:
		return p.group(x, &r.Group)
	case *kmsg.SyncGroupRequest:
		return p.syncGroup(ctx, x, r)
	case *kmsg.DescribeGroupsRequest:
		return p.describeGroups(x, r)
	case *kmsg.ListGroupsRequest:
		x.WantResponse()
		return nil
	case *kmsg.CreateTopicsRequest:
		return p.createTopics(ctx, x, r)
	case *kmsg.DeleteTopicsRequest:
		return p.deleteTopics(ctx, x, r)
	case *kmsg.DeleteRecordsRequest:
		return p.deleteRecords(ctx, x, r)
	case *kmsg.InitProducerIDRequest:
		return p.initProducerID(x, r)
	case *kmsg.OffsetForLeaderEpochRequest:
		return p.offsetForLeaderEpoch(ctx, x, r)
	case *kmsg.AddPartitionsToTxnRequest:
		return p.addPartitionsToTxn(ctx, x, r)
	case *kmsg.AddOffsetsToTxnRequest:
		return p.addOffsetsToTxn(x, r)
	case *kmsg.EndTxnRequest:
		return p.txn(x, &r.TransactionalID)
	case *kmsg.TxnOffsetCommitRequest:
		return p.txnOffsetCommit(ctx, x, r)
	case *kmsg.DescribeConfigsRequest:
		return p.describeConfigs(ctx, x, r)
	case *kmsg.AlterConfigsRequest:
		return p.alterConfigs(ctx, x, r)
	case *kmsg.IncrementalAlterConfigsRequest:
		return p.incrementalAlterConfigs(ctx, x, r)
	case *kmsg.DescribeLogDirsRequest:
		return p.describeLogDirs(ctx, x, r)
	case *kmsg.CreatePartitionsRequest:
		return p.createPartitions(ctx, x, r)
	case *kmsg.DeleteGroupsRequest:
		return p.deleteGroups(x, r)
	case *kmsg.OffsetDeleteRequest:
		return p.offsetDelete(ctx, x, r)
	case *kmsg.DescribeProducersRequest:
		return p.describeProducers(ctx, x, r)
	case *kmsg.DescribeTransactionsRequest:
		return p.describeTransactions(x, r)
	case *kmsg.ListTransactionsRequest:
		x.WantResponse()
		return nil
	case *kmsg.ConsumerGroupHeartbeatRequest:
		return p.consumerGroupHeartbeat(ctx, x, r)
	case *kmsg.ConsumerGroupDescribeRequest:
		return p.consumerGroupDescribe(x, r)
	case *kmsg.DescribeTopicPartitionsRequest:
		return p.describeTopicPartitions(ctx, x, r)
	case *kmsg.ShareGroupHeartbeatRequest:
		return p.shareGroupHeartbeat(ctx, x, r)
	case *kmsg.ShareGroupDescribeRequest:
		return p.shareGroupDescribe(x, r)
	case *kmsg.ShareFetchRequest:
		return p.shareFetch(ctx, x, r)
	case *kmsg.ShareAcknowledgeRequest:
		return p.shareAcknowledge(ctx, x, r)
	case *kmsg.DescribeShareGroupOffsetsRequest:
		return p.describeShareGroupOffsets(ctx, x, r)
	case *kmsg.AlterShareGroupOffsetsRequest:
		return p.alterShareGroupOffsets(ctx, x, r)
	case *kmsg.DeleteShareGroupOffsetsRequest:
		return p.deleteShareGroupOffsets(ctx, x, r)
	}
	// A key the policy asked for but does not know: refuse rather than
	// let it through unread.
	return x.Fail(errInvalidRequest, "")
}

// Response implements policy.ResponseHook.
func (p *Policy) Response(ctx context.Context, x *policy.Exchange, resp kmsg.Response) error {
	st, _ := x.State().(*state)
	switch r := resp.(type) {
	case *kmsg.ProduceResponse:
		return p.produceResponse(st, r)
	case *kmsg.FetchResponse:
		return p.fetchResponse(st, r)
	case *kmsg.ListOffsetsResponse:
		return p.listOffsetsResponse(st, r)
	case *kmsg.MetadataResponse:
		return p.metadataResponse(st, r)
	case *kmsg.OffsetCommitResponse:
		return p.offsetCommitResponse(st, r)
	case *kmsg.OffsetFetchResponse:
		return p.offsetFetchResponse(ctx, st, r)
	case *kmsg.FindCoordinatorResponse:
		return p.findCoordinatorResponse(st, r)
	case *kmsg.JoinGroupResponse:
		return p.joinGroupResponse(r)
	case *kmsg.SyncGroupResponse:
		return p.syncGroupResponse(r)
	case *kmsg.DescribeGroupsResponse:
		return p.describeGroupsResponse(st, r)
	case *kmsg.ListGroupsResponse:
		return p.listGroupsResponse(r)
	case *kmsg.CreateTopicsResponse:
		return p.createTopicsResponse(st, r)
	case *kmsg.DeleteTopicsResponse:
		return p.deleteTopicsResponse(st, r)
	case *kmsg.DeleteRecordsResponse:
		return p.deleteRecordsResponse(st, r)
	case *kmsg.OffsetForLeaderEpochResponse:
		return p.offsetForLeaderEpochResponse(st, r)
	case *kmsg.AddPartitionsToTxnResponse:
		return p.addPartitionsToTxnResponse(r)
	case *kmsg.TxnOffsetCommitResponse:
		return p.txnOffsetCommitResponse(st, r)
	case *kmsg.DescribeConfigsResponse:
		return p.describeConfigsResponse(st, r)
	case *kmsg.AlterConfigsResponse:
		return p.alterConfigsResponse(st, r)
	case *kmsg.IncrementalAlterConfigsResponse:
		return p.incrementalAlterConfigsResponse(st, r)
	case *kmsg.DescribeLogDirsResponse:
		return p.describeLogDirsResponse(r)
	case *kmsg.CreatePartitionsResponse:
		return p.createPartitionsResponse(st, r)
	case *kmsg.DeleteGroupsResponse:
		return p.deleteGroupsResponse(st, r)
	case *kmsg.OffsetDeleteResponse:
		return p.offsetDeleteResponse(st, r)
	case *kmsg.DescribeProducersResponse:
		return p.describeProducersResponse(st, r)
	case *kmsg.DescribeTransactionsResponse:
		return p.describeTransactionsResponse(st, r)
	case *kmsg.ListTransactionsResponse:
		return p.listTransactionsResponse(r)
	case *kmsg.ConsumerGroupHeartbeatResponse:
		return p.consumerGroupHeartbeatResponse(ctx, r)
	case *kmsg.ConsumerGroupDescribeResponse:
		return p.consumerGroupDescribeResponse(ctx, st, r)
	case *kmsg.DescribeTopicPartitionsResponse:
		return p.describeTopicPartitionsResponse(st, r)
	case *kmsg.ShareGroupHeartbeatResponse:
		return p.shareGroupHeartbeatResponse(ctx, r)
	case *kmsg.ShareGroupDescribeResponse:
		return p.shareGroupDescribeResponse(ctx, st, r)
	case *kmsg.ShareFetchResponse:
		return p.shareFetchResponse(st, r)
	case *kmsg.ShareAcknowledgeResponse:
		return p.shareAcknowledgeResponse(st, r)
	case *kmsg.DescribeShareGroupOffsetsResponse:
		return p.describeShareGroupOffsetsResponse(ctx, st, r)
	case *kmsg.AlterShareGroupOffsetsResponse:
		return p.alterShareGroupOffsetsResponse(st, r)
	case *kmsg.DeleteShareGroupOffsetsResponse:
		return p.deleteShareGroupOffsetsResponse(st, r)
	}
	return nil
}

// group rewrites a request's one group id; a group outside the namespace
// fails the request (GROUP_AUTHORIZATION_FAILED). It must run before the
// request is otherwise changed: Fail answers the request as it is.
func (p *Policy) group(x *policy.Exchange, g *string) error {
	b, _, ok := p.groupIn(*g)
	if !ok {
		return x.Fail(errGroupDenied, "")
	}
	*g = b
	return nil
}

// txn rewrites a request's one transactional id; an id outside the
// namespace fails the request (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
func (p *Policy) txn(x *policy.Exchange, t *string) error {
	b, ok := p.txnIn(*t)
	if !ok {
		return x.Fail(errTxnDenied, "")
	}
	*t = b
	return nil
}
