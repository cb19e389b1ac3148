// Topic ids. Rules are written for the names clients use; a request that
// names a topic by id (Produce and Fetch v13+, OffsetCommit and OffsetFetch
// v10+, Metadata v12+, DeleteTopics v6+, share groups) needs that name.
//
// The enforcer learns it from the responses it sees: Metadata,
// DescribeTopicPartitions and CreateTopics answers pair each topic's id
// with its name as this virtual cluster shows it (the namespace, which is
// later in the chain, has already renamed it), and a client learns its ids
// from those same answers. An id not learned yet (the client got it before
// a reload, say) is resolved through the backend's topic cache to the
// backend's name, which equals the client's unless a namespace hides its
// prefix; that name is trusted to allow, never to refuse with
// TOPIC_AUTHORIZATION_FAILED: a topic it does not allow is answered
// UNKNOWN_TOPIC_ID, on which clients refresh their metadata through the
// gateway, which teaches the enforcer the client's name.

package acls

import (
	"context"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxLearnedIDs bounds the ids an enforcer remembers; when full, an
// arbitrary one makes room.
const maxLearnedIDs = 1 << 16

// idNames maps topic ids to the names the virtual cluster's clients see.
type idNames struct {
	mu sync.RWMutex
	m  map[[16]byte]string
}

func (n *idNames) get(id [16]byte) (string, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	s, ok := n.m[id]
	return s, ok
}

// learn records that the topic with id is called name here.
func (n *idNames) learn(name string, id [16]byte) {
	if name == "" || id == ([16]byte{}) {
		return
	}
	if old, ok := n.get(id); ok && old == name {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[[16]byte]string{}
	}
	if _, ok := n.m[id]; !ok && len(n.m) >= maxLearnedIDs {
		for k := range n.m {
			delete(n.m, k)
			break
		}
	}
	n.m[id] = name
}

// idSource is how an id was resolved.
type idSource uint8

const (
	// idUnknown: no topic has this id, as far as the gateway knows.
	idUnknown idSource = iota
	// idClient: the name is the one the virtual cluster's clients use.
	idClient
	// idBackend: the name is the backend's, which may differ.
	idBackend
)

// topicByID resolves a topic id.
func (e *Enforcer) topicByID(ctx context.Context, id [16]byte) (string, idSource) {
	if name, ok := e.learned.get(id); ok {
		return name, idClient
	}
	if e.topics == nil {
		return "", idUnknown
	}
	backend, ok := e.topics.NameForID(ctx, id)
	if !ok {
		return "", idUnknown
	}
	if e.clientTopic != nil {
		name, ok := e.clientTopic(backend)
		if !ok {
			return "", idUnknown
		}
		return name, idClient
	}
	return backend, idBackend
}

// topicCode is the refusal code of op on a topic given by name or, when
// the name is empty, by id; 0 when it is allowed.
func (c *call) topicCode(op kmsg.ACLOperation, name string, id [16]byte) int16 {
	if name != "" || id == ([16]byte{}) {
		if c.can(resTopic, op, name) {
			return 0
		}
		return codeTopic
	}
	name, src := c.e.topicByID(c.ctx, id)
	switch {
	case src == idUnknown:
		return codeUnknownID
	case c.can(resTopic, op, name):
		return 0
	case src == idBackend:
		return codeUnknownID
	}
	return codeTopic
}

// canDescribeTopic reports whether a topic named in a response (by name,
// or by id when the name is empty) may be described.
func (e *Enforcer) canDescribeTopic(ctx context.Context, rs *ruleSet, name string, id [16]byte) bool {
	if name == "" && id != ([16]byte{}) {
		var src idSource
		if name, src = e.topicByID(ctx, id); src == idUnknown {
			return false
		}
	}
	return rs.can(resTopic, opDescribe, name)
}

// has reports whether a topic of this name has been seen.
func (n *idNames) has(name string) bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, v := range n.m {
		if v == name {
			return true
		}
	}
	return false
}

// topicExists reports whether the client's topic name is known to exist:
// seen in an answer to this virtual cluster, or, when the backend's names
// are the client's, in the backend's topic cache.
func (e *Enforcer) topicExists(ctx context.Context, name string) bool {
	if e.learned.has(name) {
		return true
	}
	if e.topics == nil || e.clientTopic != nil {
		return false
	}
	_, ok := e.topics.IDForName(ctx, name)
	return ok
}
