// Tenant isolation against a real Apache Kafka cluster: two virtual
// clusters with hide_prefix namespaces share one backend, and tenant A
// tries, with every API key its gateway advertises, to reach tenant B's
// topic, consumer groups and transactional ids: by B's names (as B's
// clients see them and as the backend knows them), by B's topic id, by
// KIP-848 regex and by listing. Every attempt must fail the way Kafka fails
// for a resource that does not exist (Kafka itself is asked the same with
// names that do not exist, and the error codes compared) or that the
// client may not describe (an authorization error); no answer may show
// anything of B; B's data must be unchanged, read directly from Kafka; and
// B must still work through its own gateway. The same requests with A's
// own names must succeed, so that a gateway refusing everything does not
// pass. Keys A's gateway does not advertise are sent raw once each: the
// gateway must close the connection.
//
// Without STRAIT_KAFKA_BOOTSTRAP the test is skipped (test/compat/run.sh
// sets it). STRAIT_ISOLATION_SELFTEST=1 runs the suite against a gateway
// without namespaces: it must fail with leaks everywhere (it deletes B's
// topic on the way). The run's topics are deleted at the end unless
// STRAIT_ISOLATION_KEEP is set.
package realkafka

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestIsolation(t *testing.T) {
	k := realKafka(t)
	began := time.Now()
	selftest := os.Getenv("STRAIT_ISOLATION_SELFTEST") != ""
	w := newWorld(t, k, !selftest)
	before := w.snapshot()
	t.Logf("setup took %v", time.Since(began).Round(time.Millisecond))

	e := &engine{t: t, w: w, stats: map[int16]*keyStat{}}
	byKey := map[int16][]*attempt{}
	for _, a := range w.attempts() {
		byKey[a.key] = append(byKey[a.key], a)
	}
	var advertised []int16
	for _, ak := range w.a.adv.ApiKeys {
		advertised = append(advertised, ak.ApiKey)
	}
	slices.Sort(advertised)
	t.Logf("A's gateway advertises %d keys: %v", len(advertised), advertised)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Listings first, while A's namespace holds only what A created:
	// the attacks by B's client names create A's own groups and
	// transactional ids of the same names.
	for _, key := range advertised {
		for _, a := range byKey[key] {
			if a.by == byList {
				e.run(ctx, a)
			}
		}
	}
	w.regexAttacks(ctx, e)
	// Then the attacks by name and id; those that would change B if they
	// reached it, last.
	for _, destructive := range []bool{false, true} {
		for _, key := range advertised {
			for _, a := range byKey[key] {
				if a.by != byList && a.destructive == destructive {
					e.run(ctx, a)
				}
			}
			w.a.closePinned()
			w.direct.closePinned()
		}
	}
	w.acksZero(e)
	closed := w.notAdvertised(e)

	for _, key := range advertised {
		if len(byKey[key]) == 0 {
			t.Errorf("no attack for key %d (%s)", key, kmsg.NameForKey(key))
			continue
		}
		if e.stat(key).attacks == 0 {
			t.Errorf("key %d (%s): advertised, but no attempt was made (versions tried: none in range)", key, kmsg.NameForKey(key))
		}
	}

	after := w.snapshot()
	w.compareSnapshots(before, after)
	w.bStillWorks()

	total, controls := 0, 0
	for _, key := range advertised {
		total += e.stat(key).attacks
		controls += e.stat(key).controls
	}
	t.Logf("attempts by API key (authz: refused with an authorization error; mism: failed unlike Kafka; ctrlF: A's own request failed)\n%s",
		e.table(advertised, closed))
	t.Logf("%d attacks and %d controls on %d advertised keys, %d raw requests of keys not advertised, in %v",
		total, controls, len(advertised), len(closed), time.Since(began).Round(time.Millisecond))
	if len(e.findings) > 0 {
		var b strings.Builder
		kinds := map[string]int{}
		for _, f := range e.findings {
			kinds[f.kind]++
		}
		fmt.Fprintf(&b, "%d findings %v (details above):\n", len(e.findings), kinds)
		for _, f := range e.findings {
			f.req, f.resp = "", ""
			b.WriteString("  " + f.String() + "\n")
		}
		t.Log(b.String())
	}
}
