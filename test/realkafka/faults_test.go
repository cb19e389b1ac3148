// Fault tests against a real Apache Kafka cluster started by
// test/kafka/cluster.sh (see test/compat/run.sh, which runs them): a broker
// stopped under an idempotent producer, the gateway restarted under
// running clients, a partition leader moved. Without STRAIT_KAFKA_BOOTSTRAP
// they are skipped.
package realkafka

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strait-gw/strait/internal/testenv"
)

func realKafka(t *testing.T) *testenv.Kafka {
	t.Helper()
	k := testenv.Real()
	if k == nil {
		if os.Getenv("STRAIT_REQUIRE_REAL_KAFKA") != "" {
			t.Fatal("STRAIT_KAFKA_BOOTSTRAP is not set")
		}
		t.Skip("no real Kafka: STRAIT_KAFKA_BOOTSTRAP is not set (test/compat/run.sh sets it)")
	}
	return k
}

func client(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.MetadataMinAge(250 * time.Millisecond), kgo.MetadataMaxAge(2 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func topicName(t *testing.T) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, t.Name())
	return fmt.Sprintf("%s-%d", name, rand.IntN(1e9))
}

func createTopic(t *testing.T, cl *kgo.Client, topic string, partitions int32) {
	t.Helper()
	resp, err := kadm.NewClient(cl).CreateTopic(ctxFor(t, 30*time.Second), partitions, 3, nil, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v", topic, err, resp.Err)
	}
}

// node runs cluster.sh stop-node or start-node.
func node(t *testing.T, cmd string, n int) {
	t.Helper()
	harness := os.Getenv("STRAIT_KAFKA_HARNESS")
	if harness == "" {
		harness = "../kafka"
	}
	c := exec.Command(filepath.Join(harness, "cluster.sh"), cmd, os.Getenv("STRAIT_KAFKA_VERSION"))
	c.Env = append(os.Environ(), "NODE="+strconv.Itoa(n), "STRAIT_KAFKA_STOP_TIMEOUT=20")
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("%s %d: %v\n%s", cmd, n, err, out)
	}
}

// verifyExactlyOnce reads n records of topic from the start and checks
// that every sequence number arrived once, in order within its partition.
func verifyExactlyOnce(t *testing.T, addr, topic string, n int) {
	t.Helper()
	cons := client(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx := ctxFor(t, 90*time.Second)
	seen := make(map[int]bool, n)
	last := map[int32]int{}
	for len(seen) < n {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records", len(seen), n)
		}
		for _, r := range fs.Records() {
			seq, _ := strconv.Atoi(string(r.Value))
			if seen[seq] {
				t.Fatalf("record %d delivered twice", seq)
			}
			seen[seq] = true
			if prev, ok := last[r.Partition]; ok && seq < prev {
				t.Fatalf("partition %d: record %d after %d", r.Partition, seq, prev)
			}
			last[r.Partition] = seq
		}
	}
}

// firstFailure keeps the first error reported to it, of whatever type,
// from any goroutine. (An atomic.Value panics when errors of two concrete
// types are stored in it, as produce callbacks do.)
type firstFailure struct {
	mu  sync.Mutex
	err error
}

func (f *firstFailure) record(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *firstFailure) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// TestFirstFailureTakesErrorsOfAnyType pins the fault tests' atomic.Value,
// which panicked at the second failed record when its error was of
// another type than the first's, instead of reporting the failure.
func TestFirstFailureTakesErrorsOfAnyType(t *testing.T) {
	var f firstFailure
	var wg sync.WaitGroup
	errs := []error{kerr.NotLeaderForPartition, context.DeadlineExceeded, &net.OpError{Op: "dial", Err: errors.New("refused")}, kgo.ErrRecordTimeout}
	for _, err := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.record(err)
		}()
	}
	wg.Wait()
	if got := f.get(); !slices.Contains(errs, got) {
		t.Fatalf("first failure %v, want one of %v", got, errs)
	}
}

// TestBrokerStopUnderIdempotentProducer stops a broker while an idempotent
// producer (acks=all, retries) writes through the gateway, then restarts
// it: every record is consumed exactly once, in order per partition.
func TestBrokerStopUnderIdempotentProducer(t *testing.T) {
	k := realKafka(t)
	gw := testenv.StartGateway(t, k, testenv.Options{MinBrokerID: 1})
	topic := topicName(t)
	p := client(t, gw.Bootstrap, kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	createTopic(t, p, topic, 6)

	const n = 6000
	var acked atomic.Int64
	var failed firstFailure
	var wg sync.WaitGroup
	ctx := ctxFor(t, 3*time.Minute)
	for i := range n {
		wg.Add(1)
		p.Produce(ctx, &kgo.Record{Value: []byte(strconv.Itoa(i))}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.record(err)
			} else {
				acked.Add(1)
			}
			wg.Done()
		})
		switch i {
		case n / 3:
			node(t, "stop-node", 2)
		case 2 * n / 3:
			node(t, "start-node", 2)
		}
		if i%200 == 0 {
			time.Sleep(20 * time.Millisecond) // spread the writes over the fault
		}
	}
	wg.Wait()
	if err := failed.get(); err != nil {
		t.Fatalf("a record failed: %v", err)
	}
	verifyExactlyOnce(t, gw.Bootstrap, topic, n)
}

// TestGatewayRestart restarts the gateway on the same ports while a
// producer and a consumer group run: they reconnect by themselves and
// every acknowledged record is consumed.
func TestGatewayRestart(t *testing.T) {
	k := realKafka(t)
	base := testenv.FreePorts(t, 11)
	gw := testenv.StartGateway(t, k, testenv.Options{MinBrokerID: 1, BasePort: base})
	topic := topicName(t)
	p := client(t, gw.Bootstrap, kgo.DefaultProduceTopic(topic))
	createTopic(t, p, topic, 4)

	var mu sync.Mutex
	ackedSet := map[string]bool{}
	consumed := map[string]bool{}
	cons := client(t, gw.Bootstrap, kgo.ConsumerGroup(topic), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	stop := make(chan struct{})
	var cwg sync.WaitGroup
	cwg.Add(1)
	go func() {
		defer cwg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			fs := cons.PollFetches(ctx)
			cancel()
			mu.Lock()
			for _, r := range fs.Records() {
				consumed[string(r.Value)] = true
			}
			mu.Unlock()
		}
	}()

	ctx := ctxFor(t, 3*time.Minute)
	var wg sync.WaitGroup
	for i := range 3000 {
		v := strconv.Itoa(i)
		wg.Add(1)
		p.Produce(ctx, &kgo.Record{Value: []byte(v)}, func(_ *kgo.Record, err error) {
			if err == nil {
				mu.Lock()
				ackedSet[v] = true
				mu.Unlock()
			}
			wg.Done()
		})
		if i == 1000 {
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			gw.Stop(stopCtx)
			cancel()
			gw = testenv.StartGateway(t, k, testenv.Options{MinBrokerID: 1, BasePort: base})
		}
		if i%100 == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	wg.Wait()
	testenv.WaitFor(t, 90*time.Second, "every acknowledged record consumed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for v := range ackedSet {
			if !consumed[v] {
				return false
			}
		}
		return true
	})
	close(stop)
	cwg.Wait()
	if len(ackedSet) < 2900 {
		t.Errorf("only %d of 3000 records acknowledged across the restart", len(ackedSet))
	}
}

// TestLeaderMove moves a partition's leadership (reassignment plus
// preferred leader election, both through the gateway) while a producer
// writes: the producer follows and every record is consumed once.
func TestLeaderMove(t *testing.T) {
	k := realKafka(t)
	gw := testenv.StartGateway(t, k, testenv.Options{MinBrokerID: 1})
	topic := topicName(t)
	p := client(t, gw.Bootstrap, kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	createTopic(t, p, topic, 1)
	adm := kadm.NewClient(p)
	ctx := ctxFor(t, 2*time.Minute)

	td, err := adm.ListTopics(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	leader := td[topic].Partitions[0].Leader
	const n = 3000
	var wg sync.WaitGroup
	var failed firstFailure
	for i := range n {
		wg.Add(1)
		p.Produce(ctx, &kgo.Record{Value: []byte(strconv.Itoa(i))}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.record(err)
			}
			wg.Done()
		})
		if i == n/2 {
			next := leader%3 + 1
			replicas := []int32{next, next%3 + 1, (next+1)%3 + 1}
			req := kadm.AlterPartitionAssignmentsReq{}
			req.Assign(topic, 0, replicas)
			if _, err := adm.AlterPartitionAssignments(ctx, req); err != nil {
				t.Fatal(err)
			}
			set := kadm.TopicsSet{}
			set.Add(topic, 0)
			testenv.WaitFor(t, 30*time.Second, "leader moved", func() bool {
				_, _ = adm.ElectLeaders(ctx, kadm.ElectPreferredReplica, set)
				td, err := adm.ListTopics(ctx, topic)
				return err == nil && td[topic].Partitions[0].Leader == next
			})
		}
		if i%100 == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	wg.Wait()
	if err := failed.get(); err != nil {
		t.Fatalf("a record failed: %v", err)
	}
	verifyExactlyOnce(t, gw.Bootstrap, topic, n)
}
