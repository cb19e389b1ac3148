// The API versions a backend cluster advertises, so that a session never
// forwards a key or version the backend serves without advertising it (a
// client that skipped ApiVersions, say): what the gateway has not told a
// client of, it does not pass.

package backend

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/protocol"
)

// versionsMaxAge is how long an answer is used before it is asked again.
const versionsMaxAge = time.Minute

// advertised caches a backend's ApiVersions answer. The zero value is
// empty.
type advertised struct {
	max      atomic.Pointer[[protocol.MaxKey]int16]
	fetched  atomic.Int64 // UnixNano of the last attempt
	fetching atomic.Bool
}

// AdvertisedVersions returns the highest version of each API key (by key;
// -1 for keys not advertised) that the backend advertised when last asked,
// or nil before it first answered. A stale answer is refreshed in the
// background; the call never blocks.
func (c *Cluster) AdvertisedVersions() *[protocol.MaxKey]int16 {
	a := &c.versions
	if time.Since(time.Unix(0, a.fetched.Load())) > versionsMaxAge && a.fetching.CompareAndSwap(false, true) {
		a.fetched.Store(time.Now().UnixNano())
		go func() {
			defer a.fetching.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, c.client)
			if err != nil || resp.ErrorCode != 0 {
				a.fetched.Store(0) // ask again at the next call
				return
			}
			a.max.Store(protocol.AdvertisedMax(resp))
		}()
	}
	return a.max.Load()
}
