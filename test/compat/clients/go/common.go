package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// env is what the runner tells the suite about its target.
type env struct {
	bootstrap, target, kafkaVersion string
	expect                          []string
	major                           int
	run                             string // random per run, in every name

	mu     sync.Mutex
	topics []string // created, deleted at the end
}

func randSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// name returns a unique topic, group or transactional id: it names the
// client, the op and the target, so direct and gateway runs never collide.
func (e *env) name(kind, client, op string) string {
	n := fmt.Sprintf("compat-%s-go-%s-%s-%s-%s-%s", kind, client, op, e.target, e.run, randSuffix())
	if kind == "t" {
		e.mu.Lock()
		e.topics = append(e.topics, n)
		e.mu.Unlock()
	}
	return n
}

func (e *env) topic(client, op string) string { return e.name("t", client, op) }
func (e *env) group(client, op string) string { return e.name("g", client, op) }

// cleanup deletes the topics the run created (best effort).
func (e *env) cleanup() {
	if len(e.topics) == 0 {
		return
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.bootstrap))
	if err != nil {
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = kadm.NewClient(cl).DeleteTopics(ctx, e.topics...)
}

// kafka4Only marks ops as n/a when the cluster is older than Kafka 4.
func (e *env) kafka4Only(na map[string]string, ops map[string]string) {
	if e.major >= 4 {
		return
	}
	for op, what := range ops {
		na[op] = fmt.Sprintf("%s needs Kafka 4.x (cluster is %s)", what, e.kafkaVersion)
	}
}

// checkBrokers compares the brokers a client's metadata lists with --expect-brokers.
func (e *env) checkBrokers(what string, got []string) error {
	g, w := slices.Clone(got), slices.Clone(e.expect)
	sort.Strings(g)
	sort.Strings(w)
	if !slices.Equal(g, w) {
		return fmt.Errorf("%s lists brokers %v, want %v", what, g, w)
	}
	return nil
}

type hdr struct {
	Key   string
	Value []byte
}

// rec is a client-neutral record.
type rec struct {
	Key, Value []byte
	Headers    []hdr
	Partition  int32
	Offset     int64
}

// makeRecords returns n records with compressible values and two headers
// each, spread over partitions round robin.
func makeRecords(n, partitions int, tag string) []rec {
	out := make([]rec, n)
	for i := range out {
		out[i] = rec{
			Key:   fmt.Appendf(nil, "%s-key-%03d", tag, i),
			Value: []byte(strings.Repeat(fmt.Sprintf("%s value %03d; ", tag, i), 20)),
			Headers: []hdr{
				{"trace-id", fmt.Appendf(nil, "trace-%s-%03d", tag, i)},
				{"bin", []byte{0, byte(i), 0xff, '\n'}},
			},
			Partition: int32(i % partitions),
		}
	}
	return out
}

// headerRecords exercises the header edge cases: duplicate keys, empty
// values, binary and non-ASCII data, many headers on one record.
func headerRecords() []rec {
	many := make([]hdr, 30)
	for i := range many {
		many[i] = hdr{fmt.Sprintf("h%02d", i), fmt.Appendf(nil, "v%02d", i)}
	}
	return []rec{
		{Key: []byte("dup"), Value: []byte("duplicate keys keep their order"), Headers: []hdr{{"k", []byte("1")}, {"k", []byte("2")}, {"k", []byte("3")}}},
		{Key: []byte("empty"), Value: []byte("empty header value"), Headers: []hdr{{"empty", []byte{}}, {"after", []byte("x")}}},
		{Key: []byte("binary"), Value: []byte("binary header value"), Headers: []hdr{{"bin", []byte{0, 1, 2, 0x7f, 0x80, 0xfe, 0xff}}}},
		{Key: []byte("unicode"), Value: []byte("non-ASCII"), Headers: []hdr{{"ключ-キー", []byte("значение-値-✓")}}},
		{Key: []byte("many"), Value: []byte("thirty headers"), Headers: many},
		{Key: []byte("none"), Value: []byte("no headers")},
	}
}

// compareRecords checks that got holds exactly the records of want (matched
// by key), with equal values and equal headers in order. Partition order is
// not checked.
func compareRecords(want, got []rec) error {
	byKey := map[string]rec{}
	for _, r := range want {
		byKey[string(r.Key)] = r
	}
	seen := map[string]int{}
	var problems []string
	for _, g := range got {
		k := string(g.Key)
		seen[k]++
		w, ok := byKey[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("unexpected key %q", k))
		case seen[k] > 1:
			problems = append(problems, fmt.Sprintf("key %q consumed %d times", k, seen[k]))
		case !bytes.Equal(w.Value, g.Value):
			problems = append(problems, fmt.Sprintf("key %q: value %q, want %q", k, short(g.Value), short(w.Value)))
		case !headersEqual(w.Headers, g.Headers):
			problems = append(problems, fmt.Sprintf("key %q: headers %s, want %s", k, fmtHeaders(g.Headers), fmtHeaders(w.Headers)))
		}
	}
	missing := 0
	for _, w := range want {
		if seen[string(w.Key)] == 0 {
			missing++
		}
	}
	if missing > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d records not consumed", missing, len(want)))
	}
	if len(problems) > 0 {
		if len(problems) > 3 {
			problems = append(problems[:3], fmt.Sprintf("and %d more problems", len(problems)-3))
		}
		return fmt.Errorf("consumed records differ: %s", strings.Join(problems, "; "))
	}
	return nil
}

func headersEqual(a, b []hdr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || !bytes.Equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func fmtHeaders(hs []hdr) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = fmt.Sprintf("%s=%q", h.Key, short(h.Value))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func short(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, what string, cond func() bool) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// collect reads from ch until n records arrived or ctx ends.
func collect(ctx context.Context, ch <-chan rec, n int, what string) ([]rec, error) {
	var got []rec
	for len(got) < n {
		select {
		case r := <-ch:
			got = append(got, r)
		case <-ctx.Done():
			return got, fmt.Errorf("%s: got %d of %d records: %w", what, len(got), n, ctx.Err())
		}
	}
	return got, nil
}

// assignment tracks which partitions a group member holds.
type assignment struct {
	mu sync.Mutex
	m  map[int32]bool
}

func (a *assignment) set(ps []int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.m = map[int32]bool{}
	for _, p := range ps {
		a.m[p] = true
	}
}

func (a *assignment) add(ps []int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[int32]bool{}
	}
	for _, p := range ps {
		a.m[p] = true
	}
}

func (a *assignment) remove(ps []int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range ps {
		delete(a.m, p)
	}
}

func (a *assignment) get() []int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []int32
	for p := range a.m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// splitBetween reports whether a and b together hold partitions 0..n-1,
// each holding at least one and none held twice.
func splitBetween(a, b []int32, n int) bool {
	if len(a) == 0 || len(b) == 0 || len(a)+len(b) != n {
		return false
	}
	all := append(slices.Clone(a), b...)
	slices.Sort(all)
	for i, p := range all {
		if p != int32(i) {
			return false
		}
	}
	return true
}

func holdsAll(a []int32, n int) bool {
	if len(a) != n {
		return false
	}
	for i, p := range a {
		if p != int32(i) {
			return false
		}
	}
	return true
}

// groupScenario is the group-classic / group-consumer check, shared by the
// clients: two members split a 4-partition topic; one leaves and the other
// takes every partition and consumes what is produced next, then commits;
// a new member resumes from the committed offsets.
type groupMember interface {
	assigned() []int32
	records() <-chan rec
	commit(ctx context.Context) error
	close()
}

type groupHooks struct {
	newMember func(ctx context.Context) (groupMember, error)
	produce   func(ctx context.Context, rs []rec) error
	// committed returns the group's committed offsets for the topic.
	committed func(ctx context.Context) (map[int32]int64, error)
}

const groupPartitions = 4

func groupScenario(ctx context.Context, h groupHooks) error {
	a, err := h.newMember(ctx)
	if err != nil {
		return fmt.Errorf("first member: %w", err)
	}
	defer a.close()
	if err := waitFor(ctx, "the first member to hold all partitions", func() bool { return holdsAll(a.assigned(), groupPartitions) }); err != nil {
		return fmt.Errorf("%w (holds %v)", err, a.assigned())
	}
	b, err := h.newMember(ctx)
	if err != nil {
		return fmt.Errorf("second member: %w", err)
	}
	defer b.close()
	if err := waitFor(ctx, "both members to be assigned", func() bool { return splitBetween(a.assigned(), b.assigned(), groupPartitions) }); err != nil {
		return fmt.Errorf("%w (first holds %v, second %v)", err, a.assigned(), b.assigned())
	}
	a.close()
	if err := waitFor(ctx, "the remaining member to take every partition", func() bool { return holdsAll(b.assigned(), groupPartitions) }); err != nil {
		return fmt.Errorf("%w (holds %v)", err, b.assigned())
	}
	first := makeRecords(8, groupPartitions, "before")
	if err := h.produce(ctx, first); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	got, err := collect(ctx, b.records(), len(first), "remaining member")
	if err != nil {
		return err
	}
	if err := compareRecords(first, got); err != nil {
		return fmt.Errorf("remaining member: %w", err)
	}
	if err := b.commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	offs, err := h.committed(ctx)
	if err != nil {
		return fmt.Errorf("fetch committed offsets: %w", err)
	}
	for p := range int32(groupPartitions) {
		if offs[p] != 2 {
			return fmt.Errorf("committed offsets %v, want 2 on each of %d partitions", offs, groupPartitions)
		}
	}
	b.close()
	c, err := h.newMember(ctx)
	if err != nil {
		return fmt.Errorf("new member: %w", err)
	}
	defer c.close()
	if err := waitFor(ctx, "the new member to hold all partitions", func() bool { return holdsAll(c.assigned(), groupPartitions) }); err != nil {
		return fmt.Errorf("%w (holds %v)", err, c.assigned())
	}
	after := makeRecords(4, groupPartitions, "after")
	if err := h.produce(ctx, after); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	got, err = collect(ctx, c.records(), len(after), "new member")
	if err != nil {
		return err
	}
	if err := compareRecords(after, got); err != nil {
		return fmt.Errorf("new member did not resume at the committed offsets: %w", err)
	}
	return nil
}

// txnRecords returns the records of three transactions; the second is aborted.
func txnRecords() (committed1, aborted, committed2 []rec) {
	return makeRecords(5, 1, "commit1"), makeRecords(5, 1, "abort"), makeRecords(5, 1, "commit2")
}

// checkReadCommitted checks what a read_committed consumer returned: both
// committed transactions, nothing of the aborted one.
func checkReadCommitted(got []rec) error {
	c1, _, c2 := txnRecords()
	return compareRecords(append(c1, c2...), got)
}
