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
)

// versionsMaxAge is how long an answer is used before it is asked again.
const versionsMaxAge = time.Minute

// maxKeys covers every API key.
const maxKeys = 128

// advertised caches a backend's ApiVersions answer. The zero value is
// empty.
type advertised struct {
	max      atomic.Pointer[[maxKeys]int16]
	fetched  atomic.Int64 // UnixNano of the last attempt
	fetching atomic.Bool
}

// AdvertisedVersions returns the highest version of each API key (by key;
// -1 for keys not advertised) that the backend advertised when last asked,
// or nil before it first answered. A stale answer is refreshed in the
// background; the call never blocks.
func (c *Cluster) AdvertisedVersions() *[maxKeys]int16 {
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
			var max [maxKeys]int16
			for i := range max {
				max[i] = -1
			}
			for _, k := range resp.ApiKeys {
				if k.ApiKey >= 0 && int(k.ApiKey) < maxKeys {
					max[k.ApiKey] = k.MaxVersion
				}
			}
			a.max.Store(&max)
		}()
	}
	return a.max.Load()
}
