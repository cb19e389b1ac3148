// Topic listings and topic administration: Metadata,
// DescribeTopicPartitions, CreateTopics, DeleteTopics, CreatePartitions and
// DescribeLogDirs. Listings are filtered to the namespace, and every topic
// name and id seen in them is taught to the backend's topic cache.

package namespace

import (
	"context"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
)

// Metadata (3). A request for every topic (null list, or empty at v0) is
// forwarded as is and the answer filtered. Named topics outside the
// namespace are not forwarded, so the backend cannot auto-create them; an
// additional topic is forwarded with auto-creation on only if it exists.
// Topics named by id (v10+) are checked against the topic cache. The
// request is always forwarded: a Metadata answer needs the brokers.
func (p *Policy) metadata(ctx context.Context, x *policy.Exchange, r *kmsg.MetadataRequest) error {
	st := &state{}
	x.WantResponse()
	x.SetState(st)
	if r.Topics == nil && r.Version >= 1 || len(r.Topics) == 0 && r.Version == 0 {
		st.all = true
		return nil
	}
	var ref refusals[kmsg.MetadataRequestTopic]
	kept := r.Topics[:0]
	for _, t := range r.Topics {
		if t.Topic == nil {
			if r.Version < 12 {
				// Kafka looks topics up by id from v12 only; before,
				// an id is INVALID_REQUEST whoever owns it.
				ref.add(kerr.InvalidRequest.Code, t)
				continue
			}
			if vis, _ := p.ownID(ctx, t.TopicID); !vis {
				ref.add(errUnknownTopicID, t)
				continue
			}
			kept = append(kept, t)
			continue
		}
		b, add, code := p.topicIn(ctx, *t.Topic)
		if code == 0 && add && r.AllowAutoTopicCreation {
			if _, exists := p.topics.IDForName(ctx, b); !exists {
				code = errUnknownTopic
			}
		}
		if code == 0 && t.TopicID != ([16]byte{}) {
			if vis, _ := p.ownID(ctx, t.TopicID); !vis {
				code = errUnknownTopicID
			}
		}
		if code != 0 {
			ref.add(code, t)
			continue
		}
		t.Topic = &b
		kept = append(kept, t)
	}
	r.Topics = kept
	if r.Version == 0 && len(kept) == 0 {
		// An empty list asks a v0 broker for every topic: drop them all.
		st.none = true
		r.Topics = nil
	}
	into(st, &ref, func(ts []kmsg.MetadataRequestTopic) kmsg.Request {
		return &kmsg.MetadataRequest{Version: r.Version, Topics: ts}
	})
	return nil
}

func mergeMetadata(dst, src kmsg.Response) {
	d := dst.(*kmsg.MetadataResponse)
	d.Topics = append(d.Topics, src.(*kmsg.MetadataResponse).Topics...)
}

func (p *Policy) metadataResponse(st *state, r *kmsg.MetadataResponse) error {
	for _, t := range r.Topics {
		if t.Topic != nil && t.TopicID != ([16]byte{}) {
			p.topics.Learn(*t.Topic, t.TopicID)
		}
	}
	switch {
	case st != nil && st.none:
		r.Topics = r.Topics[:0]
	case st != nil && st.all:
		r.Topics = dropShadowed(p, r.Topics, func(t *kmsg.MetadataResponseTopic) string { return deref(t.Topic) })
	default:
		for _, t := range r.Topics {
			if t.ErrorCode == errUnknownTopic && t.Topic != nil {
				p.forget(*t.Topic)
			}
		}
	}
	r.Topics = stripNamePtrs(p, r.Topics, func(t *kmsg.MetadataResponseTopic) **string { return &t.Topic })
	return addRefused(st, r, mergeMetadata)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// forget drops what the policy resolved about the client name of a backend
// topic that turned out not to exist.
func (p *Policy) forget(b string) {
	if !p.hide || p.addTopics.empty() {
		return
	}
	if rest, ok := strings.CutPrefix(b, p.prefix); ok {
		b = rest
	}
	p.resolved.Delete(b)
}

// dropShadowed handles a listing of every backend topic in hide_prefix mode: an
// additional topic whose client name is also that of a prefixed topic is
// dropped (the prefixed one wins), and the conflict reported; what the
// listing tells about such names is remembered for requests.
func dropShadowed[T any](p *Policy, list []T, name func(*T) string) []T {
	if !p.hide || p.addTopics.empty() {
		return list
	}
	present := make(map[string]struct{}, len(list))
	for i := range list {
		present[name(&list[i])] = struct{}{}
	}
	conflict := false
	kept := list[:0]
	for i := range list {
		e := list[i]
		n := name(&list[i])
		if rest, ok := strings.CutPrefix(n, p.prefix); ok {
			if m, _ := p.addTopics.match(rest); m {
				p.resolved.Store(rest, true)
			}
		} else if m, warn := p.addTopics.match(n); m {
			pre := p.prefix + n
			_, shadowed := present[pre]
			p.resolved.Store(n, shadowed)
			if shadowed {
				if warn {
					conflict = true
					p.conflictFound(n, pre)
				}
				continue
			}
		}
		kept = append(kept, e)
	}
	p.topicConflict.Store(conflict)
	p.report()
	return kept
}

// DescribeTopicPartitions (75). Named topics are rewritten. An empty topic
// list asks for every topic, in name order, from the cursor on; the
// request then starts at the prefix, and the listing ends at the first
// topic past the prefixed ones, so it covers the prefixed topics only
// (additional topics are found by name or through Metadata).
func (p *Policy) describeTopicPartitions(ctx context.Context, x *policy.Exchange, r *kmsg.DescribeTopicPartitionsRequest) error {
	st := &state{}
	if len(r.Topics) == 0 {
		st.all = true
		switch {
		case r.Cursor == nil:
			r.Cursor = &kmsg.DescribeTopicPartitionsRequestCursor{Topic: p.prefix}
		case p.hide:
			r.Cursor.Topic = p.prefix + r.Cursor.Topic
		case !strings.HasPrefix(r.Cursor.Topic, p.prefix):
			r.Cursor.Topic, r.Cursor.Partition = p.prefix, 0
		}
		x.WantResponse()
		x.SetState(st)
		return nil
	}
	if r.Cursor != nil {
		if b, _, code := p.topicIn(ctx, r.Cursor.Topic); code != 0 {
			r.Cursor = nil
		} else {
			r.Cursor.Topic = b
		}
	}
	var ref refusals[kmsg.DescribeTopicPartitionsRequestTopic]
	r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.DescribeTopicPartitionsRequestTopic) *string { return &t.Topic }, false, &ref)
	into(st, &ref, func(ts []kmsg.DescribeTopicPartitionsRequestTopic) kmsg.Request {
		return &kmsg.DescribeTopicPartitionsRequest{Version: r.Version, Topics: ts}
	})
	return finish(x, st, len(r.Topics), true, mergeDescribeTopicPartitions)
}

func mergeDescribeTopicPartitions(dst, src kmsg.Response) {
	d := dst.(*kmsg.DescribeTopicPartitionsResponse)
	d.Topics = append(d.Topics, src.(*kmsg.DescribeTopicPartitionsResponse).Topics...)
}

func (p *Policy) describeTopicPartitionsResponse(st *state, r *kmsg.DescribeTopicPartitionsResponse) error {
	for _, t := range r.Topics {
		if t.Topic != nil && t.TopicID != ([16]byte{}) {
			p.topics.Learn(*t.Topic, t.TopicID)
		}
	}
	if st != nil && st.all {
		for i, t := range r.Topics {
			if !strings.HasPrefix(deref(t.Topic), p.prefix) {
				r.Topics = r.Topics[:i]
				r.NextCursor = nil
				break
			}
		}
		if c := r.NextCursor; c != nil {
			if rest, ok := strings.CutPrefix(c.Topic, p.prefix); !ok {
				r.NextCursor = nil
			} else if p.hide {
				c.Topic = rest
			}
		}
	} else if c := r.NextCursor; c != nil {
		if name, ok := p.topicOut(c.Topic); ok {
			c.Topic = name
		} else {
			r.NextCursor = nil
		}
	}
	r.Topics = stripNamePtrs(p, r.Topics, func(t *kmsg.DescribeTopicPartitionsResponseTopic) **string { return &t.Topic })
	return addRefused(st, r, mergeDescribeTopicPartitions)
}

// createName maps a topic name to create: outside the namespace, internal
// and additional topics are refused with TOPIC_AUTHORIZATION_FAILED.
func (p *Policy) createName(c string) (string, int16) {
	if internal(c) {
		return "", errTopicDenied
	}
	if !p.hide {
		if strings.HasPrefix(c, p.prefix) {
			return c, 0
		}
		return "", errTopicDenied
	}
	if m, _ := p.addTopics.match(c); m {
		return "", errTopicDenied
	}
	if c == "" || c == "." || c == ".." || len(p.prefix)+len(c) > maxTopicLen {
		return "", errInvalidTopic
	}
	return p.prefix + c, 0
}

// CreateTopics (19).
func (p *Policy) createTopics(_ context.Context, x *policy.Exchange, r *kmsg.CreateTopicsRequest) error {
	var ref refusals[kmsg.CreateTopicsRequestTopic]
	kept := r.Topics[:0]
	for _, t := range r.Topics {
		b, code := p.createName(t.Topic)
		if code != 0 {
			ref.add(code, t)
			continue
		}
		t.Topic = b
		kept = append(kept, t)
	}
	r.Topics = kept
	st := into(nil, &ref, func(ts []kmsg.CreateTopicsRequestTopic) kmsg.Request {
		return &kmsg.CreateTopicsRequest{Version: r.Version, Topics: ts}
	})
	return finish(x, st, len(r.Topics), true, mergeCreateTopics)
}

func mergeCreateTopics(dst, src kmsg.Response) {
	d := dst.(*kmsg.CreateTopicsResponse)
	d.Topics = append(d.Topics, src.(*kmsg.CreateTopicsResponse).Topics...)
}

func (p *Policy) createTopicsResponse(st *state, r *kmsg.CreateTopicsResponse) error {
	for _, t := range r.Topics {
		if t.ErrorCode == 0 && t.TopicID != ([16]byte{}) {
			p.topics.Learn(t.Topic, t.TopicID)
		}
	}
	r.Topics = stripNames(p, r.Topics, func(t *kmsg.CreateTopicsResponseTopic) *string { return &t.Topic })
	for i := range r.Topics {
		r.Topics[i].ErrorMessage = p.msgOut(r.Topics[i].ErrorMessage)
	}
	return addRefused(st, r, mergeCreateTopics)
}

// DeleteTopics (20): names before v6, name or id from v6. Additional
// topics may not be deleted.
func (p *Policy) deleteTopics(ctx context.Context, x *policy.Exchange, r *kmsg.DeleteTopicsRequest) error {
	if r.Version < 6 {
		var ref refusals[string]
		r.TopicNames = mapNames(ctx, p, r.TopicNames, func(t *string) *string { return t }, true, &ref)
		st := into(nil, &ref, func(ts []string) kmsg.Request {
			return &kmsg.DeleteTopicsRequest{Version: r.Version, TopicNames: ts}
		})
		return finish(x, st, len(r.TopicNames), true, mergeDeleteTopics)
	}
	var ref refusals[kmsg.DeleteTopicsRequestTopic]
	kept := r.Topics[:0]
	for _, t := range r.Topics {
		var code int16
		if t.Topic != nil {
			b, add, c := p.topicIn(ctx, *t.Topic)
			if c == 0 && add {
				c = errTopicDenied
			}
			if c == 0 && t.TopicID != ([16]byte{}) {
				if vis, _ := p.ownID(ctx, t.TopicID); !vis {
					c = errUnknownTopicID
				}
			}
			if code = c; code == 0 {
				t.Topic = &b
			}
		} else {
			switch vis, add := p.ownID(ctx, t.TopicID); {
			case !vis:
				code = errUnknownTopicID
			case add:
				code = errTopicDenied
			}
		}
		if code != 0 {
			ref.add(code, t)
			continue
		}
		kept = append(kept, t)
	}
	r.Topics = kept
	st := into(nil, &ref, func(ts []kmsg.DeleteTopicsRequestTopic) kmsg.Request {
		return &kmsg.DeleteTopicsRequest{Version: r.Version, Topics: ts}
	})
	return finish(x, st, len(r.Topics), true, mergeDeleteTopics)
}

func mergeDeleteTopics(dst, src kmsg.Response) {
	d := dst.(*kmsg.DeleteTopicsResponse)
	d.Topics = append(d.Topics, src.(*kmsg.DeleteTopicsResponse).Topics...)
}

func (p *Policy) deleteTopicsResponse(st *state, r *kmsg.DeleteTopicsResponse) error {
	for _, t := range r.Topics {
		if t.ErrorCode == 0 && t.Topic != nil {
			p.forget(*t.Topic)
		}
	}
	r.Topics = stripNamePtrs(p, r.Topics, func(t *kmsg.DeleteTopicsResponseTopic) **string { return &t.Topic })
	for i := range r.Topics {
		r.Topics[i].ErrorMessage = p.msgOut(r.Topics[i].ErrorMessage)
	}
	return addRefused(st, r, mergeDeleteTopics)
}

// CreatePartitions (37). Additional topics may not be altered.
func (p *Policy) createPartitions(ctx context.Context, x *policy.Exchange, r *kmsg.CreatePartitionsRequest) error {
	var ref refusals[kmsg.CreatePartitionsRequestTopic]
	r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.CreatePartitionsRequestTopic) *string { return &t.Topic }, true, &ref)
	st := into(nil, &ref, func(ts []kmsg.CreatePartitionsRequestTopic) kmsg.Request {
		return &kmsg.CreatePartitionsRequest{Version: r.Version, Topics: ts}
	})
	return finish(x, st, len(r.Topics), true, mergeCreatePartitions)
}

func mergeCreatePartitions(dst, src kmsg.Response) {
	d := dst.(*kmsg.CreatePartitionsResponse)
	d.Topics = append(d.Topics, src.(*kmsg.CreatePartitionsResponse).Topics...)
}

func (p *Policy) createPartitionsResponse(st *state, r *kmsg.CreatePartitionsResponse) error {
	r.Topics = stripNames(p, r.Topics, func(t *kmsg.CreatePartitionsResponseTopic) *string { return &t.Topic })
	for i := range r.Topics {
		r.Topics[i].ErrorMessage = p.msgOut(r.Topics[i].ErrorMessage)
	}
	return addRefused(st, r, mergeCreatePartitions)
}

// DescribeLogDirs (35). A null topic list asks for every topic: the answer
// is filtered. Named topics outside the namespace are dropped: Kafka leaves
// out the topics it does not host.
func (p *Policy) describeLogDirs(ctx context.Context, x *policy.Exchange, r *kmsg.DescribeLogDirsRequest) error {
	if r.Topics != nil {
		var ref refusals[kmsg.DescribeLogDirsRequestTopic]
		r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.DescribeLogDirsRequestTopic) *string { return &t.Topic }, false, &ref)
	}
	x.WantResponse()
	return nil
}

func (p *Policy) describeLogDirsResponse(r *kmsg.DescribeLogDirsResponse) error {
	for i := range r.Dirs {
		d := &r.Dirs[i]
		d.Topics = stripNames(p, d.Topics, func(t *kmsg.DescribeLogDirsResponseDirTopic) *string { return &t.Topic })
	}
	return nil
}
