// The engine of the isolation suite. An attempt is one request shape of
// one API key, built from the names it should reach. The engine sends it
// through tenant A's gateway with tenant B's names (as B's clients see
// them, as the backend knows them, or by topic id), sends the same request
// directly to Kafka with names that do not exist there (the reference: how
// Kafka fails for a resource that is not there), and compares; it scans
// every answer for traces of B; and it sends the request with A's own
// names through A's gateway, which must succeed (the positive control).

package realkafka

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// names are the resources a request names.
type names struct {
	Topic      string
	TopicID    [16]byte
	Parts      []int32
	OwnTopic   string // A's topic (its backend name in the reference)
	OwnTopicID [16]byte
	OwnGroup   string // A's classic group with offsets (likewise)

	Consumer string // a KIP-848 consumer group
	Classic  string // a classic group with committed offsets
	Live     string // a classic group with a live member
	Share    string // a share group
	TxnOpen  string // a transactional id with an ongoing transaction
	TxnDone  string // a transactional id whose last transaction committed

	Member848   string
	Epoch848    int32
	MemberLive  string
	GenLive     int32
	MemberShare string
	PID         int64 // producer of TxnOpen
	PEpoch      int16

	// G and T are the group and transactional id of the role a run is for.
	G, T string

	// Set by prep hooks.
	OwnTxn   string
	OwnPID   int64
	OwnEpoch int16
	Scratch  string
	// Session is a fetch session, opened by a prep hook.
	Session int32
}

func (n names) clone() *names {
	n.Parts = slices.Clone(n.Parts)
	return &n
}

// role is which group or transactional id a run of an attempt is for.
type role int

const (
	rNone role = iota
	rConsumer
	rClassic
	rLive
	rShare
	rOwnClassic
	rTxnOpen
	rTxnDone
	rOwnTxn
)

var roleNames = map[role]string{rConsumer: "consumer group", rClassic: "classic group", rLive: "live classic group",
	rShare: "share group", rOwnClassic: "A's group", rTxnOpen: "ongoing txn", rTxnDone: "committed txn", rOwnTxn: "own txn"}

func (n *names) of(r role) string {
	switch r {
	case rConsumer:
		return n.Consumer
	case rClassic:
		return n.Classic
	case rLive:
		return n.Live
	case rShare:
		return n.Share
	case rOwnClassic:
		return n.OwnGroup
	case rTxnOpen:
		return n.TxnOpen
	case rTxnDone:
		return n.TxnDone
	case rOwnTxn:
		return n.OwnTxn
	}
	return ""
}

func (n *names) setRole(r role) {
	if r >= rTxnOpen {
		n.T = n.of(r)
	} else if r != rNone {
		n.G = n.of(r)
	}
}

type by int

const (
	byName by = iota // B's names: as B's clients see them, and the backend's
	byID             // B's topic id
	byList           // a listing made with A's own names
	byNone           // names nothing of a tenant
)

type route int

const (
	rtAny       route = iota // the first broker
	rtAll                    // every broker
	rtLeader                 // the leader of the topic's first partition
	rtOwnLeader              // the leader of A's topic's first partition
	rtGroup                  // the coordinator of n.G
	rtTxn                    // the coordinator of n.T
)

// vMax stands for the highest advertised version.
const vMax int16 = -1

// attempt is one request shape of one key.
type attempt struct {
	key   int16
	label string
	vers  []int16
	by    by
	route route
	roles []role
	build func(v int16, n *names) kmsg.Request
	// noRef: there is no Kafka answer to compare with (listings).
	noRef bool
	// prep runs before the request on each side, with that side's names.
	prep func(ctx context.Context, w *world, s *side, n *names) error
	// post runs after the request on each side.
	post func(ctx context.Context, w *world, s *side, n *names)
	// expect checks the attack's answer further ("" when fine).
	expect func(v int16, resp kmsg.Response, n *names) string
	// ctrl: also send the request with A's own names, which must succeed.
	ctrl bool
	// ctrlNames adjusts A's names for the control.
	ctrlNames func(n *names)
	// ctrlOK judges the control's answer; default: no error code.
	ctrlOK func(v int16, resp kmsg.Response, n *names) string
	// destructive attempts run last: a leak would change what B has.
	destructive bool
	// internal: also aim at the partitions of Kafka's internal topics
	// that hold B's group offsets and transaction state.
	internal bool
}

// keyStat counts what was sent for one key.
type keyStat struct {
	attacks, controls, refusedAuthz int
	leaks, mismatches, ctrlFails    int
	versions                        map[int16]bool
	notes                           map[string]bool
}

// finding is one failure of the suite.
type finding struct {
	kind    string // LEAK, MISMATCH, CONTROL, HARNESS, CLOSE
	key     int16
	version int16
	what    string
	detail  string
	req     string
	resp    string
}

func (f finding) String() string {
	s := fmt.Sprintf("%s key %d %s v%d %s: %s", f.kind, f.key, kmsg.NameForKey(f.key), f.version, f.what, f.detail)
	if f.req != "" {
		s += "\n    request:  " + f.req
	}
	if f.resp != "" {
		s += "\n    response: " + f.resp
	}
	return s
}

// engine runs attempts and keeps the score.
type engine struct {
	t *testing.T
	w *world

	mu       sync.Mutex
	stats    map[int16]*keyStat
	findings []finding
}

func (e *engine) stat(key int16) *keyStat {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.stats[key]
	if s == nil {
		s = &keyStat{versions: map[int16]bool{}, notes: map[string]bool{}}
		e.stats[key] = s
	}
	return s
}

func (e *engine) fail(f finding) {
	e.mu.Lock()
	e.findings = append(e.findings, f)
	e.mu.Unlock()
	st := e.stat(f.key)
	e.mu.Lock()
	switch f.kind {
	case "LEAK":
		st.leaks++
	case "CONTROL":
		st.ctrlFails++
	default:
		st.mismatches++
	}
	e.mu.Unlock()
	e.t.Error(f.String())
}

// versionsOf resolves an attempt's versions against A's advertised range.
func (e *engine) versionsOf(a *attempt) []int16 {
	min, max, ok := e.w.a.versions(a.key)
	if !ok {
		return nil
	}
	var out []int16
	for _, v := range a.vers {
		if v == vMax {
			v = max
		}
		if v >= min && v <= max && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// run sends every version, variant and role of a.
func (e *engine) run(ctx context.Context, a *attempt) {
	roles := a.roles
	if len(roles) == 0 {
		roles = []role{rNone}
	}
	for _, v := range e.versionsOf(a) {
		for _, r := range roles {
			switch a.by {
			case byName:
				e.attack(ctx, a, v, r, "B's client name", e.w.bClient)
				e.attack(ctx, a, v, r, "B's backend name", e.w.bBackend)
				if a.internal {
					for _, in := range e.w.internals {
						n := in.clone()
						n.TopicID = [16]byte{}
						e.attack(ctx, a, v, r, "internal topic "+n.Topic, n)
					}
				}
			case byID:
				e.attack(ctx, a, v, r, "B's topic id", e.w.bByID)
				if a.internal {
					for _, in := range e.w.internals {
						e.attack(ctx, a, v, r, "id of internal topic "+in.Topic, in)
					}
				}
			case byNone:
				e.attack(ctx, a, v, r, "no tenant resource", e.w.aNames)
			case byList:
				e.listing(ctx, a, v, r)
				continue
			}
			if a.ctrl {
				e.control(ctx, a, v, r)
			}
		}
	}
}

func (e *engine) what(a *attempt, r role, variant string) string {
	s := a.label
	if rn := roleNames[r]; rn != "" {
		s += " (" + rn + ")"
	}
	if variant != "" {
		s += " by " + variant
	}
	return s
}

// brokersFor returns the brokers an attempt goes to on side s with names n.
func (e *engine) brokersFor(ctx context.Context, a *attempt, s *side, n *names) []int32 {
	w := e.w
	switch a.route {
	case rtAll:
		return w.brokers
	case rtOwnLeader:
		if l, ok := w.leaders[n.OwnTopic]; ok {
			return []int32{l}
		}
	case rtLeader:
		if l, ok := w.leaders[n.Topic]; ok {
			return []int32{l}
		}
		if l, ok := w.leadersByID[n.TopicID]; ok {
			return []int32{l}
		}
	case rtGroup, rtTxn:
		typ, key := int8(0), n.G
		if a.route == rtTxn {
			typ, key = 1, n.T
		}
		if id := s.coordinator(ctx, typ, key); id >= 0 {
			return []int32{id}
		}
	}
	return w.brokers[:1]
}

// attack sends a with B's names n through A, and with names that do not
// exist directly to Kafka, and judges.
func (e *engine) attack(ctx context.Context, a *attempt, v int16, r role, variant string, base *names) {
	w := e.w
	n := base.clone()
	n.setRole(r)
	ref := w.refOf(n)
	what := e.what(a, r, variant)
	if a.prep != nil {
		if err := a.prep(ctx, w, w.a, n); err != nil {
			e.fail(finding{kind: "HARNESS", key: a.key, version: v, what: what, detail: "prep through A: " + err.Error()})
			return
		}
		if err := a.prep(ctx, w, w.direct, ref); err != nil {
			e.fail(finding{kind: "HARNESS", key: a.key, version: v, what: what, detail: "prep of the reference: " + err.Error()})
			return
		}
	}
	brokers := e.brokersFor(ctx, a, w.a, n)
	refBrokers := e.brokersFor(ctx, a, w.direct, ref)
	for i, b := range brokers {
		rb := refBrokers[min(i, len(refBrokers)-1)]
		e.once(ctx, a, v, what, n, ref, b, rb, false)
	}
	// A gateway that maps the coordinator lookup but not the request
	// itself would reach B at B's coordinator: try it there too.
	if a.route == rtGroup || a.route == rtTxn {
		if bc, ok := w.bCoords[r]; ok && len(brokers) == 1 && bc != brokers[0] {
			e.once(ctx, a, v, what+" @B's coordinator", n, ref, bc, refBrokers[0], true)
		}
	}
	if a.post != nil {
		a.post(ctx, w, w.a, n)
		a.post(ctx, w, w.direct, ref)
	}
}

// once sends one attack and its reference and judges the pair. At B's
// coordinator (atB) the answer may also be NOT_COORDINATOR.
func (e *engine) once(ctx context.Context, a *attempt, v int16, what string, n, ref *names, b, rb int32, atB bool) {
	w := e.w
	st := e.stat(a.key)
	e.mu.Lock()
	st.attacks++
	st.versions[v] = true
	e.mu.Unlock()

	req := a.build(v, n)
	req.SetVersion(v)
	shown := render(req)
	w.fp.remember(req)
	resp, err := w.a.send(ctx, b, req)
	if err != nil {
		e.fail(finding{kind: "MISMATCH", key: a.key, version: v, what: what, detail: fmt.Sprintf("no answer from A's gateway (broker %d): %v", b, err), req: shown})
		return
	}
	if l := leakDetail(w.fp.scan(resp, req)); l != "" {
		e.fail(finding{kind: "LEAK", key: a.key, version: v, what: what, detail: l, req: shown, resp: render(resp)})
	}
	if a.expect != nil {
		if msg := a.expect(v, resp, n); msg != "" {
			e.fail(finding{kind: "MISMATCH", key: a.key, version: v, what: what, detail: msg, req: shown, resp: render(resp)})
		}
	}
	if a.noRef {
		return
	}
	rreq := a.build(v, ref)
	rreq.SetVersion(v)
	rresp, err := w.direct.send(ctx, rb, rreq)
	if err != nil {
		e.fail(finding{kind: "HARNESS", key: a.key, version: v, what: what, detail: fmt.Sprintf("reference request to Kafka failed: %v", err), req: render(rreq)})
		return
	}
	got := errorCodes(resp)
	if atB && slices.Contains(nonZeroCodes(resp), 16) { // NOT_COORDINATOR
		return
	}
	// Kafka answers some requests naming an unknown topic id with
	// UNKNOWN_SERVER_ERROR (ShareFetch in 4.x): no oracle. A plain "does
	// not exist" from the gateway is then the right answer.
	if slices.Contains(nonZeroCodes(rresp), kerr.UnknownServerError.Code) && onlyNotFound(resp) {
		e.note(a.key, "Kafka: UNKNOWN_SERVER_ERROR for a missing id; gateway: unknown topic")
		return
	}
	diff, authz := compareCodes(errorCodes(rresp), got)
	if authz {
		e.mu.Lock()
		st.refusedAuthz++
		e.mu.Unlock()
	}
	if diff == "" && !authz {
		rs, gs := stateFields(rresp), stateFields(resp)
		for p, want := range rs {
			if !slices.Equal(want, gs[p]) {
				diff = fmt.Sprintf("%s: Kafka %q, gateway %q", p, want, gs[p])
			}
		}
	}
	if diff != "" {
		e.fail(finding{kind: "MISMATCH", key: a.key, version: v, what: what, detail: "fails unlike Kafka for a missing resource: " + diff,
			req: shown, resp: render(resp) + "\n    kafka:    " + render(rresp)})
	}
}

// unsupportedOn3 reports whether Kafka 3.x lacks what attempt a controls:
// KIP-848 consumer groups (off by default before 4.0) and group configs
// (4.0+). Those controls cannot succeed there, even directly; the attacks
// still run.
func unsupportedOn3(a *attempt) bool {
	if !strings.HasPrefix(os.Getenv("STRAIT_KAFKA_VERSION"), "3.") {
		return false
	}
	return a.key == 68 || a.key == 69 || strings.Contains(a.label, "group configs")
}

// control sends a with A's own names through A: it must succeed.
func (e *engine) control(ctx context.Context, a *attempt, v int16, r role) {
	if unsupportedOn3(a) {
		return
	}
	w := e.w
	n := w.aNames.clone()
	if a.ctrlNames != nil {
		a.ctrlNames(n)
	}
	n.setRole(r)
	what := e.what(a, r, "A's own names (control)")
	if a.prep != nil {
		if err := a.prep(ctx, w, w.a, n); err != nil {
			e.fail(finding{kind: "CONTROL", key: a.key, version: v, what: what, detail: "prep: " + err.Error()})
			return
		}
	}
	for _, b := range e.brokersFor(ctx, a, w.a, n) {
		st := e.stat(a.key)
		e.mu.Lock()
		st.controls++
		e.mu.Unlock()
		req := a.build(v, n)
		req.SetVersion(v)
		shown := render(req)
		w.fp.remember(req)
		resp, err := w.a.send(ctx, b, req)
		if err != nil {
			e.fail(finding{kind: "CONTROL", key: a.key, version: v, what: what, detail: fmt.Sprintf("no answer (broker %d): %v", b, err), req: shown})
			continue
		}
		if l := leakDetail(w.fp.scan(resp, req)); l != "" {
			e.fail(finding{kind: "LEAK", key: a.key, version: v, what: what, detail: l, req: shown, resp: render(resp)})
		}
		if msg := e.judgeControl(a, v, resp, n); msg != "" {
			e.fail(finding{kind: "CONTROL", key: a.key, version: v, what: what, detail: msg, req: shown, resp: render(resp)})
		}
	}
	if a.post != nil {
		a.post(ctx, w, w.a, n)
	}
}

// leakDetail joins what a scan found into one line.
func leakDetail(found []string) string {
	switch {
	case len(found) == 0:
		return ""
	case len(found) > 3:
		return fmt.Sprintf("%s (and %d more)", strings.Join(found[:3], "; "), len(found)-3)
	}
	return strings.Join(found, "; ")
}

// onlyNotFound reports whether resp refuses with "does not exist" or
// authorization codes only, and at least once.
func onlyNotFound(resp kmsg.Response) bool {
	cs := nonZeroCodes(resp)
	for _, c := range cs {
		if c != kerr.UnknownTopicOrPartition.Code && c != kerr.UnknownTopicID.Code && !authzCodes[c] {
			return false
		}
	}
	return len(cs) > 0
}

func (e *engine) judgeControl(a *attempt, v int16, resp kmsg.Response, n *names) string {
	if a.ctrlOK != nil {
		return a.ctrlOK(v, resp, n)
	}
	if cs := nonZeroCodes(resp); len(cs) > 0 {
		return "A's own resources refused: " + codeList(cs)
	}
	return ""
}

// listing sends a listing with A's names through A: nothing of B may show,
// and A's own resources must (ctrlOK).
func (e *engine) listing(ctx context.Context, a *attempt, v int16, r role) {
	w := e.w
	n := w.aNames.clone()
	if a.ctrlNames != nil {
		a.ctrlNames(n)
	}
	n.setRole(r)
	what := e.what(a, r, "")
	if a.prep != nil {
		if err := a.prep(ctx, w, w.a, n); err != nil {
			e.fail(finding{kind: "HARNESS", key: a.key, version: v, what: what, detail: "prep: " + err.Error()})
			return
		}
	}
	for _, b := range e.brokersFor(ctx, a, w.a, n) {
		st := e.stat(a.key)
		e.mu.Lock()
		st.attacks++
		st.versions[v] = true
		e.mu.Unlock()
		req := a.build(v, n)
		req.SetVersion(v)
		shown := render(req)
		w.fp.remember(req)
		resp, err := w.a.send(ctx, b, req)
		if err != nil {
			e.fail(finding{kind: "MISMATCH", key: a.key, version: v, what: what, detail: fmt.Sprintf("no answer (broker %d): %v", b, err), req: shown})
			continue
		}
		if l := leakDetail(w.fp.scan(resp, req)); l != "" {
			e.fail(finding{kind: "LEAK", key: a.key, version: v, what: what, detail: l, req: shown, resp: render(resp)})
		}
		if a.expect != nil {
			if msg := a.expect(v, resp, n); msg != "" {
				e.fail(finding{kind: "MISMATCH", key: a.key, version: v, what: what, detail: msg, req: shown, resp: render(resp)})
			}
		}
		if a.ctrlOK != nil {
			e.mu.Lock()
			st.controls++
			e.mu.Unlock()
			if msg := a.ctrlOK(v, resp, n); msg != "" {
				e.fail(finding{kind: "CONTROL", key: a.key, version: v, what: what, detail: msg, req: shown, resp: render(resp)})
			}
		}
	}
}

// note adds a remark to a key's row of the table.
func (e *engine) note(key int16, s string) {
	st := e.stat(key)
	e.mu.Lock()
	st.notes[s] = true
	e.mu.Unlock()
}

// table renders the attempts per key.
func (e *engine) table(keys []int16, closed map[int16]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-4s %-30s %-14s %8s %8s %6s %6s %6s %6s  %s\n", "key", "name", "versions", "attacks", "controls", "authz", "leaks", "mism", "ctrlF", "notes")
	for _, k := range keys {
		st := e.stat(k)
		var vs []int
		for v := range st.versions {
			vs = append(vs, int(v))
		}
		sort.Ints(vs)
		vstr := strings.Trim(strings.ReplaceAll(fmt.Sprint(vs), " ", ","), "[]")
		var notes []string
		for n := range st.notes {
			notes = append(notes, n)
		}
		sort.Strings(notes)
		fmt.Fprintf(&b, "%-4d %-30s %-14s %8d %8d %6d %6d %6d %6d  %s\n", k, kmsg.NameForKey(k), vstr, st.attacks, st.controls,
			st.refusedAuthz, st.leaks, st.mismatches, st.ctrlFails, strings.Join(notes, "; "))
	}
	if len(closed) > 0 {
		var ks []int
		for k := range closed {
			ks = append(ks, int(k))
		}
		sort.Ints(ks)
		b.WriteString("not advertised by A (one raw request each; the gateway must close the connection):\n")
		for _, k := range ks {
			fmt.Fprintf(&b, "%-4d %-30s %s\n", k, kmsg.NameForKey(int16(k)), closed[int16(k)])
		}
	}
	return b.String()
}
