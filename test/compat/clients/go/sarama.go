package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

func saramaClient(e *env) *client {
	s := &saramaSuite{e: e}
	cells := map[string]cellFunc{
		"metadata":         s.metadata,
		"headers":          s.headers,
		"group-classic":    s.groupClassic,
		"idempotent":       s.idempotent,
		"transactions":     s.transactions,
		"admin-topics":     s.adminTopics,
		"admin-configs":    s.adminConfigs,
		"admin-groups":     s.adminGroups,
		"admin-offsets":    s.adminOffsets,
		"admin-partitions": s.adminPartitions,
	}
	for name, codec := range map[string]sarama.CompressionCodec{
		"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy,
		"lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD,
	} {
		cells["produce-"+name] = func(ctx context.Context) error { return s.produce(ctx, name, codec) }
	}
	sarama.Logger = log.New(io.Discard, "", 0)
	return &client{name: "sarama", module: "github.com/IBM/sarama", cells: cells, na: map[string]string{
		"group-consumer": "sarama has no KIP-848 consumer group protocol",
		"share-group":    "sarama has no share consumer (KIP-932)",
	}}
}

type saramaSuite struct{ e *env }

// config is a sarama configuration for the cluster's Kafka version (capped
// at the newest version this sarama knows).
func (s *saramaSuite) config() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "strait-compat-sarama"
	v, err := sarama.ParseKafkaVersion(s.e.kafkaVersion)
	if err != nil || !v.IsAtLeast(sarama.V2_1_0_0) {
		v = sarama.V2_1_0_0
	}
	if latest := sarama.SupportedVersions[len(sarama.SupportedVersions)-1]; v.IsAtLeast(latest) {
		v = latest
	}
	c.Version = v
	c.Net.DialTimeout = 5 * time.Second
	c.Net.ReadTimeout = 15 * time.Second
	c.Net.WriteTimeout = 15 * time.Second
	c.Metadata.Retry.Max = 10
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.Retry.Max = 10
	c.Producer.Retry.Backoff = 200 * time.Millisecond
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.MaxWaitTime = 200 * time.Millisecond
	c.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	c.Consumer.Group.Session.Timeout = 10 * time.Second
	c.Consumer.Offsets.AutoCommit.Enable = false
	c.Admin.Timeout = 15 * time.Second
	return c
}

func (s *saramaSuite) client(c *sarama.Config) (sarama.Client, error) {
	if c == nil {
		c = s.config()
	}
	return sarama.NewClient([]string{s.e.bootstrap}, c)
}

// withAdmin runs fn with a cluster admin on its own client.
func (s *saramaSuite) withAdmin(fn func(sarama.Client, sarama.ClusterAdmin) error) error {
	cl, err := s.client(nil)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm, err := sarama.NewClusterAdminFromClient(cl)
	if err != nil {
		return err
	}
	return fn(cl, adm)
}

func (s *saramaSuite) createTopic(ctx context.Context, cl sarama.Client, adm sarama.ClusterAdmin, op string, partitions int32) (string, error) {
	t := s.e.topic("sarama", op)
	if err := adm.CreateTopic(t, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 3}, false); err != nil {
		return "", fmt.Errorf("create topic: %w", err)
	}
	return t, s.waitPartitions(ctx, cl, t, int(partitions))
}

func toSarama(r rec, topic string) *sarama.ProducerMessage {
	m := &sarama.ProducerMessage{Topic: topic, Key: sarama.ByteEncoder(r.Key), Value: sarama.ByteEncoder(r.Value), Partition: r.Partition}
	for _, h := range r.Headers {
		m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte(h.Key), Value: h.Value})
	}
	return m
}

func fromSarama(m *sarama.ConsumerMessage) rec {
	r := rec{Key: m.Key, Value: m.Value, Partition: m.Partition, Offset: m.Offset}
	for _, h := range m.Headers {
		r.Headers = append(r.Headers, hdr{string(h.Key), h.Value})
	}
	return r
}

// produce sends rs with a producer of its own on config c.
func (s *saramaSuite) produce(ctx context.Context, codecName string, codec sarama.CompressionCodec) error {
	c := s.config()
	c.Producer.Compression = codec
	return s.roundTrip(ctx, "produce-"+codecName, c, makeRecords(50, 3, codecName), 3)
}

func (s *saramaSuite) headers(ctx context.Context) error {
	return s.roundTrip(ctx, "headers", s.config(), headerRecords(), 1)
}

func (s *saramaSuite) idempotent(ctx context.Context) error {
	c := s.config()
	c.Producer.Idempotent = true
	c.Net.MaxOpenRequests = 1
	return s.roundTrip(ctx, "idempotent", c, makeRecords(50, 3, "idempotent"), 3)
}

// roundTrip creates a topic, produces want with config c, consumes from the
// start and compares.
func (s *saramaSuite) roundTrip(ctx context.Context, op string, c *sarama.Config, want []rec, partitions int32) error {
	return s.withAdmin(func(cl sarama.Client, adm sarama.ClusterAdmin) error {
		t, err := s.createTopic(ctx, cl, adm, op, partitions)
		if err != nil {
			return err
		}
		if err := s.send(ctx, c, t, want); err != nil {
			return err
		}
		got, err := s.consume(ctx, nil, t, partitions, len(want))
		if err != nil {
			return err
		}
		return compareRecords(want, got)
	})
}

func (s *saramaSuite) send(ctx context.Context, c *sarama.Config, topic string, rs []rec) error {
	cl, err := s.client(c)
	if err != nil {
		return err
	}
	defer cl.Close()
	p, err := sarama.NewSyncProducerFromClient(cl)
	if err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	defer p.Close()
	msgs := make([]*sarama.ProducerMessage, len(rs))
	for i, r := range rs {
		msgs[i] = toSarama(r, topic)
	}
	return ctxDo(ctx, "produce", func() error { return producerErr(p.SendMessages(msgs)) })
}

// producerErr adds the first per-message error to sarama's summary.
func producerErr(err error) error {
	var pe sarama.ProducerErrors
	if errors.As(err, &pe) && len(pe) > 0 {
		return fmt.Errorf("%w (first: partition %d: %w)", err, pe[0].Msg.Partition, pe[0].Err)
	}
	return err
}

// ctxDo runs a call that takes no context; when ctx ends first it returns
// (the call goes on in the background and its client is closed by the caller).
func ctxDo(ctx context.Context, what string, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
}

// consume reads n records from the start of every partition of topic.
func (s *saramaSuite) consume(ctx context.Context, c *sarama.Config, topic string, partitions int32, n int) ([]rec, error) {
	cl, err := s.client(c)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	cons, err := sarama.NewConsumerFromClient(cl)
	if err != nil {
		return nil, err
	}
	defer cons.Close()
	ch := make(chan rec, n+100)
	errc := make(chan error, partitions)
	stop := make(chan struct{})
	defer close(stop)
	for p := range partitions {
		pc, err := cons.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			return nil, fmt.Errorf("consume partition %d: %w", p, err)
		}
		defer pc.AsyncClose()
		go func() {
			for {
				select {
				case m, ok := <-pc.Messages():
					if !ok {
						return
					}
					select {
					case ch <- fromSarama(m):
					case <-stop:
						return
					}
				case e, ok := <-pc.Errors():
					if ok {
						errc <- e
					}
					return
				}
			}
		}()
	}
	var got []rec
	for len(got) < n {
		select {
		case r := <-ch:
			got = append(got, r)
		case err := <-errc:
			return got, fmt.Errorf("consume: %w", err)
		case <-ctx.Done():
			return got, fmt.Errorf("consumed %d of %d records: %w", len(got), n, ctx.Err())
		}
	}
	return got, nil
}

func (s *saramaSuite) metadata(ctx context.Context) error {
	return s.withAdmin(func(cl sarama.Client, adm sarama.ClusterAdmin) error {
		if err := cl.RefreshMetadata(); err != nil {
			return err
		}
		var got []string
		for _, b := range cl.Brokers() {
			got = append(got, b.Addr())
		}
		if err := s.e.checkBrokers("Metadata", got); err != nil {
			return err
		}
		brokers, _, err := adm.DescribeCluster()
		if err != nil {
			return fmt.Errorf("DescribeCluster: %w", err)
		}
		got = got[:0]
		for _, b := range brokers {
			got = append(got, b.Addr())
		}
		return s.e.checkBrokers("DescribeCluster", got)
	})
}

// saramaMember is a group member for groupScenario.
type saramaMember struct {
	g      sarama.ConsumerGroup
	topic  string
	asg    assignment
	recs   chan rec
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	sess   sarama.ConsumerGroupSession
	closed bool
}

func (m *saramaMember) assigned() []int32   { return m.asg.get() }
func (m *saramaMember) records() <-chan rec { return m.recs }

func (m *saramaMember) commit(ctx context.Context) error {
	m.mu.Lock()
	sess := m.sess
	m.mu.Unlock()
	if sess == nil {
		return errors.New("no session")
	}
	sess.Commit()
	return nil
}

func (m *saramaMember) close() {
	if m.closed {
		return
	}
	m.closed = true
	m.cancel()
	_ = m.g.Close() // leaves the group
	<-m.done
}

func (m *saramaMember) Setup(sess sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	m.sess = sess
	m.mu.Unlock()
	m.asg.set(sess.Claims()[m.topic])
	return nil
}

func (m *saramaMember) Cleanup(sarama.ConsumerGroupSession) error {
	m.asg.set(nil)
	return nil
}

func (m *saramaMember) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for msg := range claim.Messages() {
		sess.MarkMessage(msg, "")
		select {
		case m.recs <- fromSarama(msg):
		default:
		}
	}
	return nil
}

func (s *saramaSuite) newMember(group, topic string) (*saramaMember, error) {
	g, err := sarama.NewConsumerGroup([]string{s.e.bootstrap}, group, s.config())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &saramaMember{g: g, topic: topic, recs: make(chan rec, 1000), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, m); err != nil {
				if errors.Is(err, sarama.ErrClosedConsumerGroup) {
					return
				}
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
		}
	}()
	return m, nil
}

func (s *saramaSuite) committed(adm sarama.ClusterAdmin, group, topic string, partitions int32) (map[int32]int64, error) {
	ps := make([]int32, partitions)
	for i := range ps {
		ps[i] = int32(i)
	}
	resp, err := adm.ListConsumerGroupOffsets(group, map[string][]int32{topic: ps})
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	for _, p := range ps {
		if b := resp.GetBlock(topic, p); b != nil && b.Err == sarama.ErrNoError {
			out[p] = b.Offset
		}
	}
	return out, nil
}

func (s *saramaSuite) groupClassic(ctx context.Context) error {
	return s.withAdmin(func(cl sarama.Client, adm sarama.ClusterAdmin) error {
		t, err := s.createTopic(ctx, cl, adm, "group-classic", groupPartitions)
		if err != nil {
			return err
		}
		g := s.e.group("sarama", "group-classic")
		return groupScenario(ctx, groupHooks{
			newMember: func(context.Context) (groupMember, error) { return s.newMember(g, t) },
			produce:   func(ctx context.Context, rs []rec) error { return s.send(ctx, s.config(), t, rs) },
			committed: func(context.Context) (map[int32]int64, error) { return s.committed(adm, g, t, groupPartitions) },
		})
	})
}

func (s *saramaSuite) transactions(ctx context.Context) error {
	return s.withAdmin(func(cl sarama.Client, adm sarama.ClusterAdmin) error {
		t, err := s.createTopic(ctx, cl, adm, "transactions", 1)
		if err != nil {
			return err
		}
		c := s.config()
		c.Producer.Idempotent = true
		c.Producer.Transaction.ID = s.e.name("x", "sarama", "transactions")
		c.Net.MaxOpenRequests = 1
		pcl, err := s.client(c)
		if err != nil {
			return err
		}
		defer pcl.Close()
		p, err := sarama.NewSyncProducerFromClient(pcl)
		if err != nil {
			return fmt.Errorf("producer: %w", err)
		}
		defer p.Close()
		c1, ab, c2 := txnRecords()
		for i, step := range []struct {
			rs     []rec
			commit bool
		}{{c1, true}, {ab, false}, {c2, true}} {
			err := ctxDo(ctx, fmt.Sprintf("transaction %d", i+1), func() error {
				if err := p.BeginTxn(); err != nil {
					return fmt.Errorf("begin: %w", err)
				}
				msgs := make([]*sarama.ProducerMessage, len(step.rs))
				for j, r := range step.rs {
					msgs[j] = toSarama(r, t)
				}
				if err := producerErr(p.SendMessages(msgs)); err != nil {
					return fmt.Errorf("produce: %w", err)
				}
				if step.commit {
					return p.CommitTxn()
				}
				return p.AbortTxn()
			})
			if err != nil {
				return err
			}
		}
		rc := s.config()
		rc.Consumer.IsolationLevel = sarama.ReadCommitted
		got, err := s.consume(ctx, rc, t, 1, len(c1)+len(c2))
		if err != nil {
			return fmt.Errorf("read_committed: %w", err)
		}
		return checkReadCommitted(got)
	})
}

func (s *saramaSuite) adminTopics(ctx context.Context) error {
	return s.withAdmin(func(cl sarama.Client, adm sarama.ClusterAdmin) error {
		t, err := s.createTopic(ctx, cl, adm, "admin-topics", 3)
		if err != nil {
			return err
		}
		var md *sarama.TopicMetadata
		if err := waitFor(ctx, "the new topic in metadata", func() bool {
			mds, err := adm.DescribeTopics([]string{t})
			if err != nil || len(mds) != 1 {
				return false
			}
			md = mds[0]
			return md.Err == sarama.ErrNoError && len(md.Partitions) == 3
		}); err != nil {
			return fmt.Errorf("describe: %w", err)
		}
		for _, p := range md.Partitions {
			if p.Leader < 0 || len(p.Replicas) != 3 {
				return fmt.Errorf("describe: partition %d has leader %d and replicas %v", p.ID, p.Leader, p.Replicas)
			}
		}
		if err := adm.DeleteTopic(t); err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		return waitFor(ctx, "the deleted topic to leave metadata", func() bool {
			ts, err := adm.ListTopics()
			if err != nil {
				return false
			}
			_, ok := ts[t]
			return !ok
		})
	})
}

func (s *saramaSuite) adminConfigs(ctx context.Context) error {
	return s.withAdmin(func(cl sarama.Client, adm sarama.ClusterAdmin) error {
		t, err := s.createTopic(ctx, cl, adm, "admin-configs", 1)
		if err != nil {
			return err
		}
		v := "7654321"
		if err := adm.IncrementalAlterConfig(sarama.TopicResource, t, map[string]sarama.IncrementalAlterConfigsEntry{
			"retention.ms": {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &v},
		}, false); err != nil {
			return fmt.Errorf("alter: %w", err)
		}
		last, derr := "", error(nil)
		if err := waitFor(ctx, "retention.ms to read back", func() bool {
			entries, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: t, ConfigNames: []string{"retention.ms"}})
			if derr = err; err != nil {
				return false
			}
			last = "not listed"
			for _, e := range entries {
				if e.Name == "retention.ms" {
					last = e.Value
				}
			}
			return last == v
		}); err != nil {
			return fmt.Errorf("describe: retention.ms is %q, want %q (last error %v): %w", last, v, derr, err)
		}
		return nil
	})
}

func (s *saramaSuite) adminGroups(ctx context.Context) error {
	return s.withAdmin(func(cl sarama.Client, adm sarama.ClusterAdmin) error {
		t, err := s.createTopic(ctx, cl, adm, "admin-groups", 2)
		if err != nil {
			return err
		}
		g := s.e.group("sarama", "admin-groups")
		m, err := s.newMember(g, t)
		if err != nil {
			return err
		}
		defer m.close()
		if err := waitFor(ctx, "the member to be assigned", func() bool { return holdsAll(m.assigned(), 2) }); err != nil {
			return err
		}
		groups, err := adm.ListConsumerGroups()
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		if _, ok := groups[g]; !ok {
			return fmt.Errorf("list: group %s not listed (%d groups listed)", g, len(groups))
		}
		ds, err := adm.DescribeConsumerGroups([]string{g})
		if err != nil {
			return fmt.Errorf("describe: %w", err)
		}
		if len(ds) != 1 || ds[0].Err != sarama.ErrNoError {
			return fmt.Errorf("describe: %+v", ds)
		}
		d := ds[0]
		if d.State != "Stable" || len(d.Members) != 1 {
			return fmt.Errorf("describe: state %s with %d members, want Stable with 1", d.State, len(d.Members))
		}
		for _, mem := range d.Members {
			a, err := mem.GetMemberAssignment()
			if err != nil {
				return fmt.Errorf("describe: member assignment: %w", err)
			}
			if len(a.Topics[t]) != 2 {
				return fmt.Errorf("describe: member assigned %v, want 2 partitions of %s", a.Topics, t)
			}
		}
		return nil
	})
}

func (s *saramaSuite) adminOffsets(ctx context.Context) error {
	return s.withAdmin(func(cl sarama.Client, adm sarama.ClusterAdmin) error {
		t, err := s.createTopic(ctx, cl, adm, "admin-offsets", 1)
		if err != nil {
			return err
		}
		if err := s.send(ctx, s.config(), t, makeRecords(10, 1, "offsets")); err != nil {
			return err
		}
		g := s.e.group("sarama", "admin-offsets")
		om, err := sarama.NewOffsetManagerFromClient(g, cl)
		if err != nil {
			return err
		}
		defer om.Close()
		var pom sarama.PartitionOffsetManager
		if err := ctxDo(ctx, "manage partition", func() (err error) { pom, err = om.ManagePartition(t, 0); return err }); err != nil {
			return err
		}
		defer pom.AsyncClose()
		for _, at := range []int64{7, 3} { // alter, then reset backwards
			if at == 7 {
				pom.MarkOffset(at, "")
			} else {
				pom.ResetOffset(at, "")
			}
			if err := ctxDo(ctx, fmt.Sprintf("commit offset %d", at), func() error { om.Commit(); return nil }); err != nil {
				return err
			}
			offs, err := s.committed(adm, g, t, 1)
			if err != nil {
				return fmt.Errorf("fetch offsets: %w", err)
			}
			if offs[0] != at {
				return fmt.Errorf("fetch offsets after setting %d: got %v", at, offs)
			}
		}
		m, err := s.newMember(g, t)
		if err != nil {
			return err
		}
		defer m.close()
		got, err := collect(ctx, m.records(), 1, "member")
		if err != nil {
			return err
		}
		if got[0].Offset != 3 {
			return fmt.Errorf("member started at offset %d, want the committed 3", got[0].Offset)
		}
		return nil
	})
}

func (s *saramaSuite) adminPartitions(ctx context.Context) error {
	return s.withAdmin(func(cl sarama.Client, adm sarama.ClusterAdmin) error {
		t, err := s.createTopic(ctx, cl, adm, "admin-partitions", 1)
		if err != nil {
			return err
		}
		if err := adm.CreatePartitions(t, 3, nil, false); err != nil {
			return fmt.Errorf("create partitions: %w", err)
		}
		if err := s.waitPartitions(ctx, cl, t, 3); err != nil {
			return err
		}
		want := []rec{{Key: []byte("p2"), Value: []byte("to the new partition"), Partition: 2}}
		if err := s.send(ctx, s.config(), t, want); err != nil {
			return fmt.Errorf("produce to the new partition: %w", err)
		}
		got, err := s.consume(ctx, nil, t, 3, 1)
		if err != nil {
			return err
		}
		if got[0].Partition != 2 {
			return fmt.Errorf("record came back from partition %d", got[0].Partition)
		}
		return compareRecords(want, got)
	})
}

// waitPartitions waits until every broker's metadata lists all partitions of
// topic: brokers learn of new partitions a moment apart, and a producer
// whose metadata lacks one rejects records for it.
func (s *saramaSuite) waitPartitions(ctx context.Context, cl sarama.Client, topic string, partitions int) error {
	if err := cl.RefreshMetadata(); err != nil {
		return err
	}
	for _, b := range cl.Brokers() {
		if ok, _ := b.Connected(); !ok {
			_ = b.Open(cl.Config())
		}
		last := ""
		if err := waitFor(ctx, fmt.Sprintf("broker %d to know %d partitions", b.ID(), partitions), func() bool {
			resp, err := b.GetMetadata(sarama.NewMetadataRequest(cl.Config().Version, []string{topic}))
			if err != nil {
				last = err.Error()
				return false
			}
			for _, t := range resp.Topics {
				if t.Name != topic || t.Err != sarama.ErrNoError || len(t.Partitions) != partitions {
					last = fmt.Sprintf("%d partitions, error %v", len(t.Partitions), t.Err)
					return false
				}
			}
			return len(resp.Topics) == 1
		}); err != nil {
			return fmt.Errorf("%w (last: %s)", err, last)
		}
	}
	return nil
}
