// The backend cluster's topic names and ids, for policies that must map one
// to the other (topic ids in Fetch, Produce and admin requests are global,
// so a namespace enforces ownership of an id through its name).

package backend

import (
	"context"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
)

// topicRefreshGap is the least time between two on-demand topic listings,
// so that a client naming unknown ids in a loop cannot turn each of its
// requests into a metadata request to the backend.
const topicRefreshGap = time.Second

// topicCache maps topic ids to names and back. It is safe for concurrent
// use.
type topicCache struct {
	c *Cluster

	mu     sync.Mutex
	byID   map[[16]byte]string
	byName map[string][16]byte
	last   time.Time
	// fetching is closed when the running listing ends; nil if none runs.
	fetching chan struct{}
}

var _ policy.TopicCache = (*topicCache)(nil)

// Topics returns the cluster's topic cache.
func (c *Cluster) Topics() policy.TopicCache { return &c.topics }

// NameForID implements policy.TopicCache.
func (t *topicCache) NameForID(ctx context.Context, id [16]byte) (string, bool) {
	if n, ok := t.lookupID(id); ok {
		return n, true
	}
	t.refresh(ctx)
	return t.lookupID(id)
}

// IDForName implements policy.TopicCache.
func (t *topicCache) IDForName(ctx context.Context, name string) ([16]byte, bool) {
	if id, ok := t.lookupName(name); ok {
		return id, true
	}
	t.refresh(ctx)
	return t.lookupName(name)
}

// Learn implements policy.TopicCache.
func (t *topicCache) Learn(name string, id [16]byte) {
	if id == ([16]byte{}) || name == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	if old, ok := t.byName[name]; ok && old != id {
		delete(t.byID, old) // the topic was deleted and made again
	}
	t.byID[id] = name
	t.byName[name] = id
}

func (t *topicCache) init() {
	if t.byID == nil {
		t.byID = map[[16]byte]string{}
		t.byName = map[string][16]byte{}
	}
}

func (t *topicCache) lookupID(id [16]byte) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, ok := t.byID[id]
	return n, ok
}

func (t *topicCache) lookupName(name string) ([16]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, ok := t.byName[name]
	return id, ok
}

// refresh lists the backend's topics, unless a listing ended less than
// topicRefreshGap ago; callers arriving while one runs wait for it.
func (t *topicCache) refresh(ctx context.Context) {
	t.mu.Lock()
	if ch := t.fetching; ch != nil {
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		return
	}
	if time.Since(t.last) < topicRefreshGap {
		t.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	t.fetching = ch
	t.mu.Unlock()

	byID, byName, err := t.list(ctx)

	t.mu.Lock()
	defer t.mu.Unlock()
	t.fetching = nil
	t.last = time.Now()
	close(ch)
	if err != nil {
		t.c.log.Warn("listing topics failed", "err", err)
		return
	}
	t.byID, t.byName = byID, byName
}

func (t *topicCache) list(ctx context.Context) (map[[16]byte]string, map[string][16]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = nil // every topic
	resp, err := req.RequestWith(ctx, t.c.client)
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[[16]byte]string, len(resp.Topics))
	byName := make(map[string][16]byte, len(resp.Topics))
	for _, tp := range resp.Topics {
		if tp.Topic == nil || tp.ErrorCode != 0 {
			continue
		}
		byID[tp.TopicID] = *tp.Topic
		byName[*tp.Topic] = tp.TopicID
	}
	return byID, byName, nil
}
