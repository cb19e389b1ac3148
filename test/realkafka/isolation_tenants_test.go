// The two tenants of the isolation suite: one gateway with virtual
// clusters team-a and team-b (hide_prefix namespaces, prefixes unique per
// run) on one real Kafka backend, each behind its own port-mapped
// listener; what tenant B owns (a topic with records, a KIP-848 and a
// classic consumer group with committed offsets and live members, a share
// group, an ongoing and a committed transaction), what tenant A owns for
// the positive controls, and snapshots of B taken directly from Kafka.

package realkafka

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/testenv"
)

// Client names of the tenants' resources. Every name of B carries "ledger",
// which the leak scan looks for; no name of A does.
const (
	bTopic    = "ledger"
	bConsumer = "ledger-readers"
	bClassic  = "ledger-classic"
	bShare    = "ledger-share"
	bTxnOpen  = "ledger-txn-open"
	bTxnDone  = "ledger-txn-done"
	bClientID = "ledger-client"

	aTopic    = "mine"
	aConsumer = "mine-readers"
	aClassic  = "mine-classic"
	aLive     = "mine-live"
	aShare    = "mine-share"
	aTxn      = "mine-txn"

	bRecords = 30 // plain records
	bTxnRecs = 3  // records per transaction
)

// world is the suite's state.
type world struct {
	t *testing.T
	// hide is false only in the self-test without namespaces.
	hide bool

	run                         string
	aPrefix, bPrefix, refPrefix string

	direct, a, b *side
	log          *testenv.SyncBuffer
	brokers      []int32
	brokerAddrs  map[int32]string // direct

	leaders     map[string]int32
	leadersByID map[[16]byte]int32
	bCoords     map[role]int32

	aNames, bClient, bBackend, bByID *names
	// internals aim at __consumer_offsets and __transaction_state, at the
	// partitions that hold B's consumer group and open transaction.
	internals []*names
	refID     [16]byte
	fp        *fingerprint

	bTopicID, aTopicID [16]byte
	bShareMember       string

	bTxnOpenCl, bLive848, bLiveClassic *kgo.Client
	aLive848, aLiveClassic             *kgo.Client

	seq atomic.Int32
}

// fresh returns a new name unique in the run.
func (w *world) fresh(base string) string {
	return fmt.Sprintf("%s-%d", base, w.seq.Add(1))
}

// local is the name side s uses for a resource of the tenant it acts for:
// A's client name through A, a name under the reference prefix directly.
func (w *world) local(s *side, name string) string {
	if s == w.direct {
		return w.refPrefix + name
	}
	if !w.hide {
		return w.aPrefix + name
	}
	return name
}

// cn is a client name of a tenant with prefix p.
func (w *world) cn(p, name string) string {
	if w.hide {
		return name
	}
	return p + name
}

// refOf maps the names of an attack to names that do not exist in Kafka,
// the same way A's namespace maps them into A's prefix: the reference
// request is what a correct gateway would send for an empty tenant.
func (w *world) refOf(n *names) *names {
	r := n.clone()
	m := func(s *string) {
		if *s != "" {
			*s = w.refPrefix + *s
		}
	}
	for _, s := range []*string{&r.Topic, &r.Consumer, &r.Classic, &r.Live, &r.Share, &r.TxnOpen, &r.TxnDone, &r.G, &r.T} {
		m(s)
	}
	r.OwnTopic, r.OwnGroup = w.aPrefix+aTopic, w.aPrefix+aClassic
	if r.G == w.refPrefix+n.OwnGroup {
		r.G = r.OwnGroup
	}
	if r.TopicID != ([16]byte{}) {
		r.TopicID = w.refID
	}
	return r
}

// gatewayConfig is one gateway with two tenants on one backend.
func gatewayConfig(k *testenv.Kafka, hide bool, aPrefix, bPrefix string, aPort, bPort int) string {
	quoted := make([]string, len(k.Bootstrap))
	for i, s := range k.Bootstrap {
		quoted[i] = strconv.Quote(s)
	}
	ns := func(p string) string {
		if !hide {
			return ""
		}
		return fmt.Sprintf("    namespace: {mode: hide_prefix, prefix: %q}\n", p)
	}
	listener := func(name string, port int) string {
		return fmt.Sprintf(`  - name: %[1]s
    addresses: ["127.0.0.1"]
    ports: ["%[2]d-%[3]d"]
    policies:
      - type: forward_to_virtual_cluster
        config:
          type: port_mapping
          destination: %[1]s
          advertised_host: 127.0.0.1
          min_broker_id: 1
`, name, port, port+5)
	}
	return fmt.Sprintf(`admin:
  address: "127.0.0.1:0"
observability:
  log_level: warn
runtime:
  drain_duration: 1s
  shutdown_timeout: 5s
backend_clusters:
  - name: kafka
    bootstrap_servers: [%s]
    metadata_update_interval: 1s
virtual_clusters:
  - name: team-a
    destination: kafka
%s  - name: team-b
    destination: kafka
%slisteners:
%s%s`, strings.Join(quoted, ", "), ns(aPrefix), ns(bPrefix), listener("team-a", aPort), listener("team-b", bPort))
}

// newWorld starts the gateway and sets both tenants up.
func newWorld(t *testing.T, k *testenv.Kafka, hide bool) *world {
	t.Helper()
	id := mrand.IntN(1e9)
	w := &world{t: t, hide: hide, run: fmt.Sprintf("iso%09d", id),
		leaders: map[string]int32{}, leadersByID: map[[16]byte]int32{}, bCoords: map[role]int32{}}
	w.aPrefix, w.bPrefix, w.refPrefix = w.run+"-a.", w.run+"-b.", w.run+"-nx."
	_, _ = rand.Read(w.refID[:])

	w.direct = newSide(t, "kafka", k.Bootstrap[0])
	t.Cleanup(func() { w.cleanup() })

	ports := testenv.FreePorts(t, 12)
	w.log = &testenv.SyncBuffer{}
	testenv.StartConfig(t, gatewayConfig(k, hide, w.aPrefix, w.bPrefix, ports, ports+6), w.log)
	t.Cleanup(func() {
		if t.Failed() {
			logs := w.log.String()
			if len(logs) > 8000 {
				logs = "..." + logs[len(logs)-8000:]
			}
			t.Logf("gateway log (tail):\n%s", logs)
		}
	})
	w.a = newSide(t, "team-a", fmt.Sprintf("127.0.0.1:%d", ports))
	w.b = newSide(t, "team-b", fmt.Sprintf("127.0.0.1:%d", ports+6))

	meta, err := kadm.NewClient(w.direct.cl).BrokerMetadata(ctxFor(t, 15*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	w.brokerAddrs = map[int32]string{}
	for _, b := range meta.Brokers {
		w.brokers = append(w.brokers, b.NodeID)
		w.brokerAddrs[b.NodeID] = fmt.Sprintf("%s:%d", b.Host, b.Port)
	}
	slices.Sort(w.brokers)

	var wg sync.WaitGroup
	wg.Add(2)
	var aErr, bErr error
	go func() { defer wg.Done(); bErr = w.setupB() }()
	go func() { defer wg.Done(); aErr = w.setupA() }()
	wg.Wait()
	if bErr != nil {
		t.Fatalf("setting up tenant B through its gateway: %v", bErr)
	}
	if aErr != nil {
		t.Fatalf("setting up tenant A through its gateway: %v", aErr)
	}
	w.learn()
	return w
}

// memberID makes a KIP-848 / KIP-932 member id (clients choose their own).
func memberID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func values(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

func produceSync(ctx context.Context, cl *kgo.Client, topic string, vals []string, parts int32) error {
	var rs []*kgo.Record
	for i, v := range vals {
		rs = append(rs, &kgo.Record{Topic: topic, Partition: int32(i) % parts, Value: []byte(v)})
	}
	return cl.ProduceSync(ctx, rs...).FirstErr()
}

// consumeN polls cl until it has n records.
func consumeN(ctx context.Context, cl *kgo.Client, n int) error {
	got := 0
	for got < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return fmt.Errorf("consumed %d of %d records", got, n)
		}
		got += len(fs.Records())
	}
	return nil
}

// shareJoin joins a share group through side s, or leaves it with epoch -1.
func (w *world) shareHeartbeat(ctx context.Context, s *side, group, member string, epoch int32, topics []string) (*kmsg.ShareGroupHeartbeatResponse, error) {
	req := kmsg.NewPtrShareGroupHeartbeatRequest()
	req.GroupID, req.MemberID, req.MemberEpoch, req.SubscribedTopicNames = group, member, epoch, topics
	if _, max, ok := s.versions(req.Key()); ok {
		req.SetVersion(max)
	} else {
		return nil, fmt.Errorf("ShareGroupHeartbeat not advertised")
	}
	co := s.coordinator(ctx, 0, group)
	if co < 0 {
		return nil, fmt.Errorf("no coordinator for %s", group)
	}
	resp, err := s.send(ctx, co, req)
	if err != nil {
		return nil, err
	}
	r := resp.(*kmsg.ShareGroupHeartbeatResponse)
	return r, kerrFor(r.ErrorCode)
}

// setupB creates B's resources through B's gateway.
func (w *world) setupB() error {
	t := w.t
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	topic := w.cn(w.bPrefix, bTopic)
	cl := client(t, w.b.boot, kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if resp, err := kadm.NewClient(cl).CreateTopic(ctx, 3, 3, nil, topic); err != nil || resp.Err != nil {
		return fmt.Errorf("create %s: %v %v", topic, err, resp.Err)
	}
	if err := produceSync(ctx, cl, topic, values("ledger-rec", bRecords), 3); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	done := client(t, w.b.boot, kgo.TransactionalID(w.cn(w.bPrefix, bTxnDone)), kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := done.BeginTransaction(); err != nil {
		return err
	}
	if err := produceSync(ctx, done, topic, values("ledger-txd", bTxnRecs), 3); err != nil {
		return fmt.Errorf("transactional produce: %w", err)
	}
	if err := done.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return fmt.Errorf("commit: %w", err)
	}

	// Two live groups that read everything and commit; they stay.
	consumer := func(group string, kip848 bool) (*kgo.Client, error) {
		opts := []kgo.Opt{kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ClientID(bClientID),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}
		opts = append(opts, kgo.Balancers(kgo.RangeBalancer()))
		if kip848 {
			opts = append(opts, kgo.ServerSideBalancer())
		}
		c := client(t, w.b.boot, opts...)
		if err := consumeN(ctx, c, bRecords+bTxnRecs); err != nil {
			return nil, fmt.Errorf("%s: %w", group, err)
		}
		return c, c.CommitUncommittedOffsets(ctx)
	}
	var wg sync.WaitGroup
	var e1, e2 error
	wg.Add(2)
	go func() { defer wg.Done(); w.bLive848, e1 = consumer(w.cn(w.bPrefix, bConsumer), true) }()
	go func() { defer wg.Done(); w.bLiveClassic, e2 = consumer(w.cn(w.bPrefix, bClassic), false) }()
	wg.Wait()
	if e1 != nil || e2 != nil {
		return fmt.Errorf("consumer groups: %v %v", e1, e2)
	}

	// A transaction left open.
	w.bTxnOpenCl = client(t, w.b.boot, kgo.TransactionalID(w.cn(w.bPrefix, bTxnOpen)), kgo.TransactionTimeout(5*time.Minute),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := w.bTxnOpenCl.BeginTransaction(); err != nil {
		return err
	}
	if err := produceSync(ctx, w.bTxnOpenCl, topic, values("ledger-txo", bTxnRecs), 3); err != nil {
		return fmt.Errorf("open transaction: %w", err)
	}

	// A share group (one member joins and leaves).
	if _, _, ok := w.b.versions(76); ok {
		m := memberID()
		if _, err := w.shareHeartbeat(ctx, w.b, w.cn(w.bPrefix, bShare), m, 0, []string{topic}); err != nil {
			w.t.Logf("B's share group: %v (share groups untested beyond the reference)", err)
		} else {
			w.bShareMember = m
			_, _ = w.shareHeartbeat(ctx, w.b, w.cn(w.bPrefix, bShare), m, -1, nil)
		}
	}
	return nil
}

// setupA creates A's resources through A's gateway.
func (w *world) setupA() error {
	t := w.t
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	topic := w.cn(w.aPrefix, aTopic)
	cl := client(t, w.a.boot, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	adm := kadm.NewClient(cl)
	if resp, err := adm.CreateTopic(ctx, 3, 3, nil, topic); err != nil || resp.Err != nil {
		return fmt.Errorf("create %s: %v %v", topic, err, resp.Err)
	}
	if err := produceSync(ctx, cl, topic, values("mine-rec", 9), 3); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	var offs kadm.Offsets
	for p := int32(0); p < 3; p++ {
		offs.Add(kadm.Offset{Topic: topic, Partition: p, At: 1, LeaderEpoch: -1})
	}
	if err := adm.CommitAllOffsets(ctx, w.cn(w.aPrefix, aClassic), offs); err != nil {
		return fmt.Errorf("commit %s: %w", aClassic, err)
	}
	txn := client(t, w.a.boot, kgo.TransactionalID(w.cn(w.aPrefix, aTxn)), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := txn.BeginTransaction(); err != nil {
		return err
	}
	if err := produceSync(ctx, txn, topic, []string{"mine-txn-rec"}, 1); err != nil {
		return fmt.Errorf("transactional produce: %w", err)
	}
	if err := txn.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	consumer := func(group string, kip848 bool) (*kgo.Client, error) {
		opts := []kgo.Opt{kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}
		opts = append(opts, kgo.Balancers(kgo.RangeBalancer()))
		if kip848 {
			opts = append(opts, kgo.ServerSideBalancer())
		}
		c := client(t, w.a.boot, opts...)
		if err := consumeN(ctx, c, 10); err != nil {
			return nil, fmt.Errorf("%s: %w", group, err)
		}
		return c, c.CommitUncommittedOffsets(ctx)
	}
	var wg sync.WaitGroup
	var e1, e2 error
	wg.Add(2)
	go func() { defer wg.Done(); w.aLive848, e1 = consumer(w.cn(w.aPrefix, aConsumer), true) }()
	go func() { defer wg.Done(); w.aLiveClassic, e2 = consumer(w.cn(w.aPrefix, aLive), false) }()
	wg.Wait()
	if e1 != nil || e2 != nil {
		return fmt.Errorf("consumer groups: %v %v", e1, e2)
	}
	return nil
}

// learn reads, directly from Kafka, the ids, leaders, coordinators,
// producers and members the attacks name, and builds the names.
func (w *world) learn() {
	t := w.t
	ctx := ctxFor(t, 30*time.Second)
	adm := kadm.NewClient(w.direct.cl)
	bt, at := w.bPrefix+bTopic, w.aPrefix+aTopic
	md, err := adm.Metadata(ctx, bt, at)
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range md.Topics {
		if td.Err != nil {
			t.Fatalf("metadata of %s: %v", td.Topic, td.Err)
		}
		l := td.Partitions[0].Leader
		switch td.Topic {
		case bt:
			w.bTopicID = td.ID
			w.leaders[bTopic], w.leaders[bt], w.leadersByID[td.ID] = l, l, l
		case at:
			w.aTopicID = td.ID
			w.leaders[w.cn(w.aPrefix, aTopic)], w.leaders[at], w.leadersByID[td.ID] = l, l, l
		}
	}

	shareMember := w.bShareMember
	m848, e848 := w.bLive848.GroupMetadata()
	mLive, gLive := w.bLiveClassic.GroupMetadata()
	pid, pepoch := w.txnProducer(ctx, w.bPrefix+bTxnOpen)
	w.bClient = &names{
		Topic: bTopic, Parts: []int32{0, 1, 2}, OwnTopic: w.cn(w.aPrefix, aTopic), OwnTopicID: w.aTopicID, OwnGroup: w.cn(w.aPrefix, aClassic),
		Consumer: bConsumer, Classic: bClassic, Live: bClassic, Share: bShare, TxnOpen: bTxnOpen, TxnDone: bTxnDone,
		Member848: m848, Epoch848: e848, MemberLive: mLive, GenLive: gLive, MemberShare: shareMember, PID: pid, PEpoch: pepoch,
	}
	w.bBackend = w.bClient.clone()
	bb := w.bBackend
	for _, s := range []*string{&bb.Topic, &bb.Consumer, &bb.Classic, &bb.Live, &bb.Share, &bb.TxnOpen, &bb.TxnDone} {
		*s = w.bPrefix + *s
	}
	if !w.hide {
		w.bClient = w.bBackend.clone()
	}
	w.bByID = w.bClient.clone()
	w.bByID.TopicID = w.bTopicID

	am848, ae848 := w.aLive848.GroupMetadata()
	amLive, agLive := w.aLiveClassic.GroupMetadata()
	apid, aepoch := w.txnProducer(ctx, w.aPrefix+aTxn)
	w.aNames = &names{
		Topic: w.cn(w.aPrefix, aTopic), TopicID: w.aTopicID, Parts: []int32{0}, OwnTopic: w.cn(w.aPrefix, aTopic), OwnTopicID: w.aTopicID,
		OwnGroup: w.cn(w.aPrefix, aClassic),
		Consumer: w.cn(w.aPrefix, aConsumer), Classic: w.cn(w.aPrefix, aClassic), Live: w.cn(w.aPrefix, aLive), Share: w.cn(w.aPrefix, aShare),
		TxnOpen: w.cn(w.aPrefix, aTxn), TxnDone: w.cn(w.aPrefix, aTxn),
		Member848: am848, Epoch848: ae848, MemberLive: amLive, GenLive: agLive, PID: apid, PEpoch: aepoch,
	}

	for r, name := range map[role]string{rConsumer: bConsumer, rClassic: bClassic, rLive: bClassic, rShare: bShare} {
		if id := w.direct.coordinator(ctx, 0, w.bPrefix+name); id >= 0 {
			w.bCoords[r] = id
		}
	}
	for r, name := range map[role]string{rTxnOpen: bTxnOpen, rTxnDone: bTxnDone} {
		if id := w.direct.coordinator(ctx, 1, w.bPrefix+name); id >= 0 {
			w.bCoords[r] = id
		}
	}

	w.fp = &fingerprint{subs: []string{w.bPrefix, "ledger"}, ids: map[[16]byte]string{}, pids: map[int64]bool{}, sent: map[string]bool{}}
	if w.hide {
		w.fp.own = w.aPrefix
	}
	w.a.onSend = w.fp.remember
	w.fp.addID(w.bTopicID, "B's topic")
	w.learnInternals(ctx)
	for _, m := range []string{m848, shareMember} {
		if m != "" {
			w.fp.subs = append(w.fp.subs, m)
		}
	}
	for _, p := range w.bProducers(ctx) {
		w.fp.pids[p] = true
	}
	w.fp.pids[pid] = true
	if p, _ := w.txnProducer(ctx, w.bPrefix+bTxnDone); p >= 0 {
		w.fp.pids[p] = true
	}
	t.Logf("run %s: B's topic %s (id %s, leader of p0: %d), B's producers %v, B's members: 848 %s epoch %d, classic %s gen %d",
		w.run, bt, base64.RawURLEncoding.EncodeToString(w.bTopicID[:]), w.leaders[bt], slices.Sorted(maps.Keys(w.fp.pids)), m848, e848, mLive, gLive)
}

// javaHash is Java's String.hashCode, by which Kafka places a group or
// transactional id in a partition of its internal topic.
func javaHash(s string) int32 {
	var h int32
	for _, r := range s { // the names here are ASCII
		h = 31*h + int32(r)
	}
	return h
}

// learnInternals finds Kafka's internal topics and the partitions holding
// B's group and transaction, and adds them to the fingerprint: a tenant
// never sees an internal topic.
func (w *world) learnInternals(ctx context.Context) {
	internal := map[string]string{"__consumer_offsets": w.bPrefix + bConsumer, "__transaction_state": w.bPrefix + bTxnOpen}
	md, err := kadm.NewClient(w.direct.cl).Metadata(ctx, "__consumer_offsets", "__transaction_state", "__share_group_state")
	if err != nil {
		w.t.Fatal(err)
	}
	for _, td := range md.Topics {
		if td.Err != nil {
			continue
		}
		w.fp.subs = append(w.fp.subs, td.Topic)
		w.fp.addID(td.ID, td.Topic)
		key, ok := internal[td.Topic]
		if !ok || len(td.Partitions) == 0 {
			continue
		}
		p := (javaHash(key) & 0x7fffffff) % int32(len(td.Partitions))
		n := w.bClient.clone()
		n.Topic, n.TopicID, n.Parts = td.Topic, td.ID, []int32{p}
		w.leaders[td.Topic], w.leadersByID[td.ID] = td.Partitions[p].Leader, td.Partitions[p].Leader
		w.internals = append(w.internals, n)
	}
}

// txnProducer returns the producer id and epoch of a transactional id,
// read directly from Kafka.
func (w *world) txnProducer(ctx context.Context, txn string) (int64, int16) {
	d := w.describeTxn(ctx, txn)
	if d == nil {
		return -1, -1
	}
	return d.ProducerID, d.ProducerEpoch
}

func (w *world) describeTxn(ctx context.Context, txn string) *kmsg.DescribeTransactionsResponseTransactionState {
	req := kmsg.NewPtrDescribeTransactionsRequest()
	req.TransactionalIDs = []string{txn}
	co := w.direct.coordinator(ctx, 1, txn)
	if co < 0 {
		return nil
	}
	resp, err := w.direct.send(ctx, co, req)
	if err != nil {
		return nil
	}
	r := resp.(*kmsg.DescribeTransactionsResponse)
	if len(r.TransactionStates) != 1 || r.TransactionStates[0].ErrorCode != 0 {
		return nil
	}
	return &r.TransactionStates[0]
}

// bProducers lists the producer ids active on B's topic.
func (w *world) bProducers(ctx context.Context) []int64 {
	req := kmsg.NewPtrDescribeProducersRequest()
	rt := kmsg.NewDescribeProducersRequestTopic()
	rt.Topic, rt.Partitions = w.bPrefix+bTopic, []int32{0, 1, 2}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctxFor(w.t, 10*time.Second), w.direct.cl)
	if err != nil {
		w.t.Logf("DescribeProducers of B's topic: %v", err)
		return nil
	}
	var out []int64
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			for _, ap := range p.ActiveProducers {
				out = append(out, ap.ProducerID)
			}
		}
	}
	return out
}

// snapshot is what B has, read directly from Kafka.
type snapshot struct {
	Records    []string // partition:offset:value
	Offsets    []string // partition:start-end
	Committed  []string // group partition offset metadata
	Txns       []string
	Groups     []string
	Partitions int
	TopicID    [16]byte
	Configs    []string
}

func (w *world) snapshot() snapshot {
	t := w.t
	ctx := ctxFor(t, 30*time.Second)
	adm := kadm.NewClient(w.direct.cl)
	topic := w.bPrefix + bTopic
	var s snapshot
	md, err := adm.Metadata(ctx, topic)
	if err == nil {
		err = md.Topics[topic].Err
	}
	if err != nil {
		s.Records = []string{"B's topic: " + err.Error()}
		return s
	}
	s.Partitions, s.TopicID = len(md.Topics[topic].Partitions), md.Topics[topic].ID
	starts, err1 := adm.ListStartOffsets(ctx, topic)
	ends, err2 := adm.ListEndOffsets(ctx, topic)
	if err1 != nil || err2 != nil {
		t.Fatalf("offsets of B's topic: %v %v", err1, err2)
	}
	ends.Each(func(o kadm.ListedOffset) {
		st, _ := starts.Lookup(topic, o.Partition)
		s.Offsets = append(s.Offsets, fmt.Sprintf("p%d:%d-%d", o.Partition, st.Offset, o.Offset))
	})
	sort.Strings(s.Offsets)

	parts := map[int32]kgo.Offset{}
	for p := range int32(s.Partitions) {
		parts[p] = kgo.NewOffset().AtStart()
	}
	cons := client(t, w.direct.boot, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}))
	idle := 0
	for idle < 2 {
		pctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
		fs := cons.PollFetches(pctx)
		cancel()
		if len(fs.Records()) == 0 {
			idle++
			continue
		}
		idle = 0
		for _, r := range fs.Records() {
			s.Records = append(s.Records, fmt.Sprintf("p%d:%d:%s", r.Partition, r.Offset, r.Value))
		}
	}
	cons.Close()
	sort.Strings(s.Records)

	for _, g := range []string{bConsumer, bClassic} {
		offs, err := adm.FetchOffsets(ctx, w.bPrefix+g)
		if err != nil {
			t.Fatalf("committed offsets of %s: %v", g, err)
		}
		offs.Each(func(o kadm.OffsetResponse) {
			s.Committed = append(s.Committed, fmt.Sprintf("%s %s p%d %d %q %v", g, o.Topic, o.Partition, o.At, o.Metadata, o.Err))
		})
	}
	sort.Strings(s.Committed)

	for _, txn := range []string{bTxnOpen, bTxnDone} {
		d := w.describeTxn(ctx, w.bPrefix+txn)
		if d == nil {
			s.Txns = append(s.Txns, txn+": not found")
			continue
		}
		var parts []string
		for _, tp := range d.Topics {
			parts = append(parts, fmt.Sprintf("%s%v", tp.Topic, tp.Partitions))
		}
		sort.Strings(parts)
		s.Txns = append(s.Txns, fmt.Sprintf("%s: %s producer %d epoch %d %v", txn, d.State, d.ProducerID, d.ProducerEpoch, parts))
	}

	dg, err := adm.DescribeGroups(ctx, w.bPrefix+bClassic)
	if err == nil {
		for _, g := range dg {
			var ms []string
			for _, m := range g.Members {
				ms = append(ms, m.MemberID)
			}
			sort.Strings(ms)
			s.Groups = append(s.Groups, fmt.Sprintf("%s %s %s %v %v", bClassic, g.State, g.ProtocolType, ms, g.Err))
		}
	}
	_, gen := w.bLiveClassic.GroupMetadata()
	s.Groups = append(s.Groups, fmt.Sprintf("%s generation seen by B's member %d", bClassic, gen))
	cgd := kmsg.NewPtrConsumerGroupDescribeRequest()
	cgd.Groups = []string{w.bPrefix + bConsumer}
	if co := w.direct.coordinator(ctx, 0, w.bPrefix+bConsumer); co >= 0 {
		if resp, err := w.direct.send(ctx, co, cgd); err == nil {
			for _, g := range resp.(*kmsg.ConsumerGroupDescribeResponse).Groups {
				var ms []string
				for _, m := range g.Members {
					ms = append(ms, fmt.Sprintf("%s@%d", m.MemberID, m.MemberEpoch))
				}
				sort.Strings(ms)
				s.Groups = append(s.Groups, fmt.Sprintf("%s %s epoch %d %v %s", bConsumer, g.State, g.Epoch, ms, codeName(g.ErrorCode)))
			}
		}
	}

	rc, err := adm.DescribeTopicConfigs(ctx, topic)
	if err == nil {
		for _, r := range rc {
			for _, c := range r.Configs {
				if c.Source != kmsg.ConfigSourceDefaultConfig && c.Source != kmsg.ConfigSourceStaticBrokerConfig {
					s.Configs = append(s.Configs, fmt.Sprintf("%s=%s", c.Key, c.MaybeValue()))
				}
			}
		}
	}
	sort.Strings(s.Configs)
	return s
}

// compareSnapshots fails the test for every difference.
func (w *world) compareSnapshots(before, after snapshot) {
	t := w.t
	diff := func(what string, a, b []string) {
		if slices.Equal(a, b) {
			return
		}
		t.Errorf("B's %s changed during the attacks:\n  before: %q\n  after:  %q", what, a, b)
	}
	diff("records", before.Records, after.Records)
	diff("log offsets", before.Offsets, after.Offsets)
	diff("committed offsets", before.Committed, after.Committed)
	diff("transactions", before.Txns, after.Txns)
	diff("groups", before.Groups, after.Groups)
	diff("topic configs", before.Configs, after.Configs)
	if before.Partitions != after.Partitions || before.TopicID != after.TopicID {
		t.Errorf("B's topic changed: %d partitions id %x, now %d partitions id %x", before.Partitions, before.TopicID, after.Partitions, after.TopicID)
	}
}

// bStillWorks uses B through its gateway after the attacks: produce,
// commit the open transaction, consume both with the live KIP-848 member,
// commit, and list.
func (w *world) bStillWorks() {
	t := w.t
	ctx := ctxFor(t, 45*time.Second)
	topic := w.cn(w.bPrefix, bTopic)
	p := client(t, w.b.boot, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := produceSync(ctx, p, topic, []string{"ledger-after"}, 1); err != nil {
		t.Errorf("B cannot produce after the attacks: %v", err)
	}
	if err := w.bTxnOpenCl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Errorf("B cannot commit its open transaction after the attacks: %v", err)
	}
	// The live member sees the new record and the transaction's records.
	want := map[string]bool{"ledger-after": true}
	for _, v := range values("ledger-txo", bTxnRecs) {
		want[v] = true
	}
	for len(want) > 0 {
		fs := w.bLive848.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Errorf("B's consumer did not get %v after the attacks", slices.Sorted(maps.Keys(want)))
			break
		}
		for _, r := range fs.Records() {
			delete(want, string(r.Value))
		}
	}
	if err := w.bLive848.CommitUncommittedOffsets(ctx); err != nil {
		t.Errorf("B cannot commit after the attacks: %v", err)
	}
	// The markers are written after EndTxn returns: PrepareCommit first.
	var d *kmsg.DescribeTransactionsResponseTransactionState
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if d = w.describeTxn(ctx, w.bPrefix+bTxnOpen); d != nil && d.State == "CompleteCommit" {
			break
		}
	}
	if d == nil || d.State != "CompleteCommit" {
		t.Errorf("B's open transaction after its commit: %+v", d)
	}
	md, err := kadm.NewClient(p).ListTopics(ctx)
	if err != nil {
		t.Errorf("B cannot list topics after the attacks: %v", err)
	} else if !md.Has(topic) || md.Has(w.cn(w.aPrefix, aTopic)) && w.hide {
		t.Errorf("B's listing after the attacks: %v", md.Names())
	}
}

// cleanup stops the members and deletes the run's topics directly.
func (w *world) cleanup() {
	for _, c := range []*kgo.Client{w.bLive848, w.bLiveClassic, w.aLive848, w.aLiveClassic, w.bTxnOpenCl} {
		if c != nil {
			c.Close()
		}
	}
	if os.Getenv("STRAIT_ISOLATION_KEEP") != "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	adm := kadm.NewClient(w.direct.cl)
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		return
	}
	var mine []string
	for _, name := range topics.Names() {
		if strings.HasPrefix(name, w.run) {
			mine = append(mine, name)
		}
	}
	if len(mine) > 0 {
		_, _ = adm.DeleteTopics(ctx, mine...)
	}
}
