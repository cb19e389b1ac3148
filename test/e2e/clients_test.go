// End-to-end tests: franz-go clients through the gateway in front of the
// embedded cluster (or a real one, see testenv.Real).
package e2e

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/testenv"
)

func newClient(t *testing.T, bootstrap string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(bootstrap), kgo.RetryTimeout(20 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// createTopic creates a topic through adm and fails the test on error.
func createTopic(t *testing.T, adm *kadm.Client, topic string, partitions int32) {
	t.Helper()
	resp, err := adm.CreateTopic(ctxT(t, 10*time.Second), partitions, -1, nil, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, resp.Err)
	}
}

// produce sends n records to topic and waits for every ack.
func produce(t *testing.T, cl *kgo.Client, topic string, n int, prefix string) {
	t.Helper()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Key: []byte(strconv.Itoa(i)), Value: fmt.Appendf(nil, "%s-%d", prefix, i),
			Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}}
	}
	if err := cl.ProduceSync(ctxT(t, 30*time.Second), recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// consume reads until want records arrived or the time is up.
func consume(t *testing.T, cl *kgo.Client, want int) []*kgo.Record {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	var got []*kgo.Record
	for len(got) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before timeout", len(got), want)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Logf("fetch error %s/%d: %v", topic, p, err) })
		got = append(got, fs.Records()...)
	}
	return got
}

// TestMetadataAdvertisesOnlyGateway checks that every broker a client learns
// of is a gateway address, one per backend broker.
func TestMetadataAdvertisesOnlyGateway(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	adm := kadm.NewClient(newClient(t, gw.Bootstrap))
	md, err := adm.BrokerMetadata(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Brokers) != 3 {
		t.Fatalf("got %d brokers, want 3: %v", len(md.Brokers), md.Brokers)
	}
	for _, b := range md.Brokers {
		want := gw.FirstBrokerPort + int(b.NodeID)
		if b.Host != "127.0.0.1" || int(b.Port) != want {
			t.Errorf("broker %d advertised as %s:%d, want 127.0.0.1:%d", b.NodeID, b.Host, b.Port, want)
		}
	}
	// FindCoordinator and DescribeCluster name gateway addresses too.
	cl := newClient(t, gw.Bootstrap)
	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.CoordinatorKey = "g1"
	fc.CoordinatorKeys = []string{"g1"}
	fr, err := fc.RequestWith(ctxT(t, 10*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range fr.Coordinators {
		if c.Host != "127.0.0.1" || int(c.Port) != gw.FirstBrokerPort+int(c.NodeID) {
			t.Errorf("coordinator %d advertised as %s:%d", c.NodeID, c.Host, c.Port)
		}
	}
	dc := kmsg.NewPtrDescribeClusterRequest()
	dr, err := dc.RequestWith(ctxT(t, 10*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(dr.Brokers) != 3 {
		t.Fatalf("DescribeCluster: %d brokers", len(dr.Brokers))
	}
	for _, b := range dr.Brokers {
		if b.Host != "127.0.0.1" || int(b.Port) != gw.FirstBrokerPort+int(b.NodeID) {
			t.Errorf("DescribeCluster broker %d advertised as %s:%d", b.NodeID, b.Host, b.Port)
		}
	}
}

// TestProduceConsumeAcrossBrokers produces to partitions led by all three
// brokers and reads every record back, in order per partition.
func TestProduceConsumeAcrossBrokers(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	cl := newClient(t, gw.Bootstrap)
	adm := kadm.NewClient(cl)
	createTopic(t, adm, "spread", 9)
	// The embedded cluster picks leaders at random; spread them so that
	// every broker port carries traffic.
	for p := int32(0); p < 9; p++ {
		if err := k.Fake.MoveTopicPartition("spread", p, p%3); err != nil {
			t.Fatal(err)
		}
	}
	testenv.WaitFor(t, 10*time.Second, "leaders on all three brokers (seen through the gateway)", func() bool {
		td, err := adm.ListTopics(ctxT(t, 10*time.Second), "spread")
		if err != nil {
			return false
		}
		leaders := map[int32]bool{}
		for _, p := range td["spread"].Partitions {
			leaders[p.Leader] = true
		}
		return len(leaders) == 3
	})
	produce(t, cl, "spread", 3000, "r")
	cons := newClient(t, gw.Bootstrap, kgo.ConsumeTopics("spread"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := consume(t, cons, 3000)
	if len(got) != 3000 {
		t.Fatalf("got %d records", len(got))
	}
	seen := map[string]bool{}
	last := map[int32]int64{}
	for _, r := range got {
		if seen[string(r.Value)] {
			t.Fatalf("duplicate %s", r.Value)
		}
		seen[string(r.Value)] = true
		if o, ok := last[r.Partition]; ok && r.Offset != o+1 {
			t.Fatalf("partition %d: offset %d after %d", r.Partition, r.Offset, o)
		}
		last[r.Partition] = r.Offset
		if len(r.Headers) != 1 || r.Headers[0].Key != "h" {
			t.Fatalf("headers lost: %v", r.Headers)
		}
	}
}

// TestAcksZero pins a test that could not fail: kgo sends Produce and
// Metadata on different connections, so a response the gateway made up
// for acks=0 would have gone unnoticed. On one raw connection to the
// partition's leader, Produce requests with acks=0 get no answer: the
// next answer is to the ApiVersions request that follows them, and an
// acks=1 Produce after that is answered in turn. Every record is stored.
func TestAcksZero(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	adm := kadm.NewClient(newClient(t, gw.Bootstrap))
	createTopic(t, adm, "acks0", 1)
	td, err := adm.ListTopics(ctxT(t, 10*time.Second), "acks0")
	if err != nil {
		t.Fatal(err)
	}
	leader := td["acks0"].Partitions[0].Leader
	w := dialWire(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(gw.FirstBrokerPort+int(leader))))

	produceReq := func(acks int16, value string) *kmsg.ProduceRequest {
		req := kmsg.NewPtrProduceRequest()
		req.Version = 7
		req.Acks = acks
		req.TimeoutMillis = 5000
		p := kmsg.NewProduceRequestTopicPartition()
		p.Partition = 0
		p.Records = recordBatch(t, value)
		topic := kmsg.NewProduceRequestTopic()
		topic.Topic = "acks0"
		topic.Partitions = []kmsg.ProduceRequestTopicPartition{p}
		req.Topics = []kmsg.ProduceRequestTopic{topic}
		return req
	}
	for i := range 3 {
		w.send(produceReq(0, fmt.Sprintf("z-%d", i)), int32(i+1))
	}
	av := kmsg.NewPtrApiVersionsRequest()
	w.send(av, 4)
	if corr, _ := w.next(); corr != 4 {
		t.Fatalf("answer with correlation id %d after three acks=0 produce requests (1-3) and ApiVersions (4); want 4", corr)
	}
	w.send(produceReq(1, "one"), 5)
	corr, body := w.next()
	if corr != 5 {
		t.Fatalf("answer with correlation id %d to the acks=1 produce request (5)", corr)
	}
	resp := kmsg.NewPtrProduceResponse()
	resp.Version = 7
	if err := resp.ReadFrom(body); err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 || resp.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("acks=1 produce answered %+v", resp.Topics)
	}
	cons := newClient(t, gw.Bootstrap, kgo.ConsumeTopics("acks0"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := consume(t, cons, 4)
	want := map[string]bool{"z-0": true, "z-1": true, "z-2": true, "one": true}
	for _, r := range got {
		if !want[string(r.Value)] {
			t.Errorf("unexpected record %q", r.Value)
		}
		delete(want, string(r.Value))
	}
	if len(want) > 0 {
		t.Errorf("records not stored: %v", want)
	}
}

// TestConsumerGroup runs a group of three members, then stops one: the
// others take over its partitions and resume from committed offsets.
func TestConsumerGroup(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	prod := newClient(t, gw.Bootstrap)
	adm := kadm.NewClient(prod)
	createTopic(t, adm, "grp", 6)

	var mu sync.Mutex
	seen := map[string]int{}
	members := make([]*kgo.Client, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range members {
		cl, err := kgo.NewClient(kgo.SeedBrokers(gw.Bootstrap), kgo.ConsumerGroup("g"), kgo.ConsumeTopics("grp"),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.AutoCommitInterval(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		members[i] = cl
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				fs := cl.PollFetches(ctx)
				fs.EachRecord(func(r *kgo.Record) {
					mu.Lock()
					seen[string(r.Value)]++
					mu.Unlock()
				})
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(seen) }
	produce(t, prod, "grp", 600, "a")
	testenv.WaitFor(t, 30*time.Second, "first 600 records", func() bool { return count() == 600 })

	// One member leaves; the rest rebalance and consume what follows.
	members[0].Close()
	produce(t, prod, "grp", 600, "b")
	testenv.WaitFor(t, 30*time.Second, "600 more records after a member left", func() bool { return count() == 1200 })
	cancel()
	wg.Wait()
	for _, m := range members[1:] {
		m.Close()
	}
	lag, err := adm.Lag(ctxT(t, 10*time.Second), "g")
	if err != nil {
		t.Fatal(err)
	}
	if l := lag["g"]; l.Error() != nil {
		t.Fatalf("describe group g: %v", l.Error())
	}
	if total := lag["g"].Lag.Total(); total != 0 {
		t.Errorf("group lag %d after consuming everything", total)
	}
	// A new member resumes from the committed offsets: nothing to re-read.
	produce(t, prod, "grp", 10, "c")
	again := newClient(t, gw.Bootstrap, kgo.ConsumerGroup("g"), kgo.ConsumeTopics("grp"))
	got := consume(t, again, 10)
	for _, r := range got {
		if string(r.Value[:2]) != "c-" {
			t.Fatalf("resumed consumer re-read %s", r.Value)
		}
	}
}

// TestTransactions commits one transaction and aborts another: a
// read_committed consumer sees only the committed records.
func TestTransactions(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	adm := kadm.NewClient(newClient(t, gw.Bootstrap))
	createTopic(t, adm, "txn", 3)
	p := newClient(t, gw.Bootstrap, kgo.TransactionalID("tx-1"), kgo.DefaultProduceTopic("txn"))
	ctx := ctxT(t, 30*time.Second)
	for i, commit := range []bool{true, false, true} {
		if err := p.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for j := range 50 {
			p.Produce(ctx, &kgo.Record{Value: fmt.Appendf(nil, "t%d-%d-%v", i, j, commit)}, nil)
		}
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := p.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	cons := newClient(t, gw.Bootstrap, kgo.ConsumeTopics("txn"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	got := consume(t, cons, 100)
	// Give an aborted record the chance to show up.
	extra := cons.PollRecords(ctxT(t, 500*time.Millisecond), 100)
	got = append(got, extra.Records()...)
	if len(got) != 100 {
		t.Fatalf("read_committed consumer got %d records, want 100", len(got))
	}
	for _, r := range got {
		if string(r.Value[len(r.Value)-4:]) != "true" {
			t.Fatalf("aborted record visible: %s", r.Value)
		}
	}
}

// TestIdempotentProducer writes with the idempotent producer (the kgo
// default) from several goroutines.
func TestIdempotentProducer(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	p := newClient(t, gw.Bootstrap, kgo.AllowAutoTopicCreation())
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			produce(t, p, "idem", 250, fmt.Sprintf("g%d", g))
		}()
	}
	wg.Wait()
	cons := newClient(t, gw.Bootstrap, kgo.ConsumeTopics("idem"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := consume(t, cons, 1000)
	seen := map[string]bool{}
	for _, r := range got {
		seen[string(r.Value)] = true
	}
	if len(seen) != 1000 || len(got) != 1000 {
		t.Fatalf("got %d records, %d distinct", len(got), len(seen))
	}
}

// TestAdminCalls creates, describes and deletes topics and lists groups
// through the gateway.
func TestAdminCalls(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	cl := newClient(t, gw.Bootstrap)
	adm := kadm.NewClient(cl)
	ctx := ctxT(t, 30*time.Second)
	createTopic(t, adm, "adm-a", 4)
	createTopic(t, adm, "adm-b", 2)
	if _, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: kadm.StringPtr("3600000")}}, "adm-a"); err != nil {
		t.Fatal(err)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, "adm-a")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On("adm-a", nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range rc.Configs {
		if c.Key == "retention.ms" && c.MaybeValue() == "3600000" {
			found = true
		}
	}
	if !found {
		t.Errorf("retention.ms not described as set: %v", rc.Configs)
	}
	cp, err := adm.CreatePartitions(ctx, 2, "adm-b")
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := cp["adm-b"]; !ok || r.Err != nil {
		t.Fatalf("CreatePartitions adm-b: %+v", cp)
	}
	grown, err := adm.ListTopics(ctx, "adm-b")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(grown["adm-b"].Partitions); n != 4 {
		t.Fatalf("adm-b has %d partitions after adding 2 to 2, want 4", n)
	}
	// A group to list.
	c := newClient(t, gw.Bootstrap, kgo.ConsumerGroup("listed"), kgo.ConsumeTopics("adm-a"))
	c.PollRecords(ctxT(t, 2*time.Second), 1)
	groups, err := adm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := groups["listed"]; !ok {
		t.Errorf("ListGroups: %v", groups.Groups())
	}
	if _, err := adm.DeleteTopics(ctx, "adm-b"); err != nil {
		t.Fatal(err)
	}
	td, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if td.Has("adm-b") || !td.Has("adm-a") || len(td["adm-a"].Partitions) != 4 {
		t.Errorf("topics after delete: %v", td.Names())
	}
}

// TestLeaderMoveAndNewBroker moves a partition leader and adds a broker
// while a producer runs: the client follows through the gateway, and the
// new broker's port starts answering without a restart.
func TestLeaderMoveAndNewBroker(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	cl := newClient(t, gw.Bootstrap, kgo.MetadataMinAge(200*time.Millisecond), kgo.MetadataMaxAge(time.Second))
	adm := kadm.NewClient(cl)
	createTopic(t, adm, "moving", 3)
	produce(t, cl, "moving", 100, "before")

	old := k.Fake.LeaderFor("moving", 0)
	to := (old + 1) % 3
	if err := k.Fake.MoveTopicPartition("moving", 0, to); err != nil {
		t.Fatal(err)
	}
	produce(t, cl, "moving", 100, "moved")

	id, _, err := k.Fake.AddNode(3, 0)
	if err != nil {
		t.Fatal(err)
	}
	port := gw.FirstBrokerPort + int(id)
	testenv.WaitFor(t, 15*time.Second, "new broker's port answering", func() bool {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	if err := k.Fake.MoveTopicPartition("moving", 1, id); err != nil {
		t.Fatal(err)
	}
	produce(t, cl, "moving", 100, "new-broker")
	md, err := adm.BrokerMetadata(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Brokers) != 4 {
		t.Fatalf("metadata lists %d brokers after adding one", len(md.Brokers))
	}
	cons := newClient(t, gw.Bootstrap, kgo.ConsumeTopics("moving"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if got := consume(t, cons, 300); len(got) != 300 {
		t.Fatalf("got %d", len(got))
	}

	// The broker leaves: it is no longer advertised and its port closes.
	if err := k.Fake.MoveTopicPartition("moving", 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := k.Fake.RemoveNode(id); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 15*time.Second, "departed broker's port released", func() bool {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	testenv.WaitFor(t, 10*time.Second, "metadata without the departed broker", func() bool {
		md, err := adm.BrokerMetadata(ctxT(t, 5*time.Second))
		return err == nil && len(md.Brokers) == 3
	})
	produce(t, cl, "moving", 100, "after-leave")
}
