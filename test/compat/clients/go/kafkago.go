package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

func kafkaGoClient(e *env) *client {
	k := &kafkaGo{e: e}
	cells := map[string]cellFunc{
		"metadata":         k.metadata,
		"headers":          k.headers,
		"group-classic":    k.groupClassic,
		"admin-topics":     k.adminTopics,
		"admin-configs":    k.adminConfigs,
		"admin-groups":     k.adminGroups,
		"admin-offsets":    k.adminOffsets,
		"admin-partitions": k.adminPartitions,
	}
	for name, codec := range map[string]kafka.Compression{
		"none": 0, "gzip": kafka.Gzip, "snappy": kafka.Snappy, "lz4": kafka.Lz4, "zstd": kafka.Zstd,
	} {
		cells["produce-"+name] = func(ctx context.Context) error { return k.produce(ctx, name, codec) }
	}
	return &client{name: "kafka-go", module: "github.com/segmentio/kafka-go", cells: cells, na: map[string]string{
		"group-consumer": "kafka-go has no KIP-848 consumer group protocol",
		"idempotent":     "kafka-go has no idempotent producer",
		"transactions":   "kafka-go has no transactional producer",
		"share-group":    "kafka-go has no share consumer (KIP-932)",
	}}
}

type kafkaGo struct{ e *env }

const kafkaGoClientID = "strait-compat-kafka-go"

func (k *kafkaGo) transport() *kafka.Transport {
	return &kafka.Transport{ClientID: kafkaGoClientID, DialTimeout: 5 * time.Second, MetadataTTL: time.Second}
}

func (k *kafkaGo) client() *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(k.e.bootstrap), Timeout: 15 * time.Second, Transport: k.transport()}
}

func (k *kafkaGo) dialer() *kafka.Dialer {
	return &kafka.Dialer{ClientID: kafkaGoClientID, Timeout: 5 * time.Second}
}

func (k *kafkaGo) createTopic(ctx context.Context, cl *kafka.Client, op string, partitions int) (string, error) {
	t := k.e.topic("kafka-go", op)
	resp, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: t, NumPartitions: partitions, ReplicationFactor: 3}}})
	if err == nil {
		err = resp.Errors[t]
	}
	if err != nil {
		return "", fmt.Errorf("create topic: %w", err)
	}
	return t, k.waitTopic(ctx, cl, t, partitions)
}

// waitTopic waits until every broker's metadata lists topic with all its
// partitions led: brokers learn of new topics and partitions a moment
// apart, and kafka-go's Writer does not retry an unknown topic.
func (k *kafkaGo) waitTopic(ctx context.Context, cl *kafka.Client, topic string, partitions int) error {
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	for _, b := range md.Brokers {
		addr := kafka.TCP(net.JoinHostPort(b.Host, strconv.Itoa(b.Port)))
		last := ""
		if err := waitFor(ctx, fmt.Sprintf("broker %d to know %d partitions of the topic", b.ID, partitions), func() bool {
			resp, err := cl.Metadata(ctx, &kafka.MetadataRequest{Addr: addr, Topics: []string{topic}})
			if err != nil {
				last = err.Error()
				return false
			}
			for _, t := range resp.Topics {
				if t.Name != topic || t.Error != nil || len(t.Partitions) != partitions {
					last = fmt.Sprintf("%d partitions, error %v", len(t.Partitions), t.Error)
					return false
				}
				for _, p := range t.Partitions {
					if p.Leader.ID < 0 {
						last = fmt.Sprintf("partition %d has no leader", p.ID)
						return false
					}
				}
			}
			return len(resp.Topics) == 1
		}); err != nil {
			return fmt.Errorf("%w (last: %s)", err, last)
		}
	}
	return nil
}

// byPartition sends each message to the partition it names.
var byPartition = kafka.BalancerFunc(func(m kafka.Message, partitions ...int) int {
	if slices.Contains(partitions, m.Partition) {
		return m.Partition
	}
	return partitions[0]
})

func toKafkaGo(r rec) kafka.Message {
	m := kafka.Message{Key: r.Key, Value: r.Value, Partition: int(r.Partition)}
	for _, h := range r.Headers {
		m.Headers = append(m.Headers, kafka.Header{Key: h.Key, Value: h.Value})
	}
	return m
}

func fromKafkaGo(m kafka.Message) rec {
	r := rec{Key: m.Key, Value: m.Value, Partition: int32(m.Partition), Offset: m.Offset}
	for _, h := range m.Headers {
		r.Headers = append(r.Headers, hdr{h.Key, h.Value})
	}
	return r
}

func (k *kafkaGo) write(ctx context.Context, topic string, codec kafka.Compression, rs []rec) error {
	w := &kafka.Writer{
		Addr:         kafka.TCP(k.e.bootstrap),
		Topic:        topic,
		Balancer:     byPartition,
		Compression:  codec,
		RequiredAcks: kafka.RequireAll,
		BatchSize:    len(rs),
		BatchTimeout: 20 * time.Millisecond,
		MaxAttempts:  10,
		Transport:    k.transport(),
	}
	defer w.Close()
	msgs := make([]kafka.Message, len(rs))
	for i, r := range rs {
		msgs[i] = toKafkaGo(r)
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	return nil
}

// read reads n records from the start of the given partitions of topic,
// one partition reader each.
func (k *kafkaGo) read(ctx context.Context, topic string, partitions []int, n int) ([]rec, error) {
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan rec, n+100)
	errc := make(chan error, len(partitions))
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	for _, p := range partitions {
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers: []string{k.e.bootstrap}, Topic: topic, Partition: p, Dialer: k.dialer(),
			MaxWait: 200 * time.Millisecond, MaxAttempts: 5,
		})
		if err := r.SetOffset(kafka.FirstOffset); err != nil {
			r.Close()
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.Close()
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					if ctx.Err() == nil {
						errc <- fmt.Errorf("read partition %d: %w", p, err)
					}
					return
				}
				select {
				case ch <- fromKafkaGo(m):
				case <-ctx.Done():
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
			return got, err
		case <-ctx.Done():
			return got, fmt.Errorf("consumed %d of %d records: %w", len(got), n, ctx.Err())
		}
	}
	return got, nil
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func (k *kafkaGo) metadata(ctx context.Context) error {
	resp, err := k.client().Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return fmt.Errorf("Client.Metadata: %w", err)
	}
	var got []string
	for _, b := range resp.Brokers {
		got = append(got, net.JoinHostPort(b.Host, strconv.Itoa(b.Port)))
	}
	if err := k.e.checkBrokers("Client.Metadata", got); err != nil {
		return err
	}
	// The Conn API (used by Reader and ConsumerGroup) has its own metadata code.
	conn, err := k.dialer().DialContext(ctx, "tcp", k.e.bootstrap)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	brokers, err := conn.Brokers()
	if err != nil {
		return fmt.Errorf("Conn.Brokers: %w", err)
	}
	got = got[:0]
	for _, b := range brokers {
		got = append(got, net.JoinHostPort(b.Host, strconv.Itoa(b.Port)))
	}
	return k.e.checkBrokers("Conn.Brokers", got)
}

func (k *kafkaGo) produce(ctx context.Context, codecName string, codec kafka.Compression) error {
	cl := k.client()
	t, err := k.createTopic(ctx, cl, "produce-"+codecName, 3)
	if err != nil {
		return err
	}
	want := makeRecords(50, 3, codecName)
	if err := k.write(ctx, t, codec, want); err != nil {
		return err
	}
	got, err := k.read(ctx, t, seq(3), len(want))
	if err != nil {
		return err
	}
	return compareRecords(want, got)
}

func (k *kafkaGo) headers(ctx context.Context) error {
	cl := k.client()
	t, err := k.createTopic(ctx, cl, "headers", 1)
	if err != nil {
		return err
	}
	want := headerRecords()
	if err := k.write(ctx, t, 0, want); err != nil {
		return err
	}
	got, err := k.read(ctx, t, seq(1), len(want))
	if err != nil {
		return err
	}
	return compareRecords(want, got)
}

// kafkaGoMember is a group member for groupScenario, on kafka-go's
// ConsumerGroup API with one partition reader per assigned partition.
type kafkaGoMember struct {
	k      *kafkaGo
	cg     *kafka.ConsumerGroup
	topic  string
	asg    assignment
	recs   chan rec
	cancel context.CancelFunc
	done   chan struct{}
	closed bool

	mu   sync.Mutex
	gen  *kafka.Generation
	next map[int]int64 // offset after the last record handed out, per partition
	err  error         // last error from Next
}

func (m *kafkaGoMember) assigned() []int32   { return m.asg.get() }
func (m *kafkaGoMember) records() <-chan rec { return m.recs }

func (m *kafkaGoMember) commit(ctx context.Context) error {
	m.mu.Lock()
	gen, offs := m.gen, map[int]int64{}
	for p, o := range m.next {
		offs[p] = o
	}
	m.mu.Unlock()
	if gen == nil {
		return errors.New("no generation")
	}
	return ctxDo(ctx, "commit", func() error { return gen.CommitOffsets(map[string]map[int]int64{m.topic: offs}) })
}

func (m *kafkaGoMember) close() {
	if m.closed {
		return
	}
	m.closed = true
	m.cancel()
	_ = m.cg.Close() // leaves the group
	<-m.done
}

func (k *kafkaGo) newMember(group, topic string) (*kafkaGoMember, error) {
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: group, Brokers: []string{k.e.bootstrap}, Topics: []string{topic}, Dialer: k.dialer(),
		HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 10 * time.Second,
		RebalanceTimeout: 10 * time.Second, JoinGroupBackoff: 500 * time.Millisecond,
		StartOffset: kafka.FirstOffset, Timeout: 10 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &kafkaGoMember{k: k, cg: cg, topic: topic, recs: make(chan rec, 1000), cancel: cancel, done: make(chan struct{}), next: map[int]int64{}}
	go func() {
		defer close(m.done)
		for {
			gen, err := cg.Next(ctx)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
					return
				}
				m.mu.Lock()
				m.err = err
				m.mu.Unlock()
				continue
			}
			var ps []int32
			for _, pa := range gen.Assignments[topic] {
				ps = append(ps, int32(pa.ID))
			}
			m.mu.Lock()
			m.gen = gen
			m.mu.Unlock()
			m.asg.set(ps)
			for _, pa := range gen.Assignments[topic] {
				gen.Start(func(gctx context.Context) { m.readPartition(gctx, pa.ID, pa.Offset) })
			}
		}
	}()
	return m, nil
}

func (m *kafkaGoMember) readPartition(ctx context.Context, p int, offset int64) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{m.k.e.bootstrap}, Topic: m.topic, Partition: p, Dialer: m.k.dialer(),
		MaxWait: 200 * time.Millisecond,
	})
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		<-ctx.Done()
		return
	}
	for {
		msg, err := r.ReadMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				m.asg.remove([]int32{int32(p)})
				return
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		m.mu.Lock()
		m.next[p] = msg.Offset + 1
		m.mu.Unlock()
		select {
		case m.recs <- fromKafkaGo(msg):
		default:
		}
	}
}

func (k *kafkaGo) committed(ctx context.Context, cl *kafka.Client, group, topic string, partitions int) (map[int32]int64, error) {
	resp, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: seq(partitions)}})
	if err == nil {
		err = resp.Error
	}
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	for _, p := range resp.Topics[topic] {
		if p.Error == nil {
			out[int32(p.Partition)] = p.CommittedOffset
		}
	}
	return out, nil
}

func (k *kafkaGo) groupClassic(ctx context.Context) error {
	cl := k.client()
	t, err := k.createTopic(ctx, cl, "group-classic", groupPartitions)
	if err != nil {
		return err
	}
	g := k.e.group("kafka-go", "group-classic")
	var members []*kafkaGoMember
	err = groupScenario(ctx, groupHooks{
		newMember: func(context.Context) (groupMember, error) {
			m, err := k.newMember(g, t)
			if err == nil {
				members = append(members, m)
			}
			return m, err
		},
		produce:   func(ctx context.Context, rs []rec) error { return k.write(ctx, t, 0, rs) },
		committed: func(ctx context.Context) (map[int32]int64, error) { return k.committed(ctx, cl, g, t, groupPartitions) },
	})
	if err != nil {
		for i, m := range members {
			m.mu.Lock()
			if m.err != nil {
				err = fmt.Errorf("%w (member %d: last group error: %v)", err, i+1, m.err)
			}
			m.mu.Unlock()
		}
	}
	return err
}

func (k *kafkaGo) adminTopics(ctx context.Context) error {
	cl := k.client()
	t, err := k.createTopic(ctx, cl, "admin-topics", 3)
	if err != nil {
		return err
	}
	var md kafka.Topic
	if err := waitFor(ctx, "the new topic in metadata", func() bool {
		resp, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{t}})
		if err != nil || len(resp.Topics) != 1 {
			return false
		}
		md = resp.Topics[0]
		return md.Error == nil && len(md.Partitions) == 3
	}); err != nil {
		return fmt.Errorf("describe: %w", err)
	}
	for _, p := range md.Partitions {
		if p.Leader.ID < 0 || len(p.Replicas) != 3 {
			return fmt.Errorf("describe: partition %d has leader %d and %d replicas", p.ID, p.Leader.ID, len(p.Replicas))
		}
		if _, err := k.e.hostPortOK(p.Leader.Host, int32(p.Leader.Port)); err != nil {
			return fmt.Errorf("describe: partition %d leader: %w", p.ID, err)
		}
	}
	resp, err := cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{t}})
	if err == nil {
		err = resp.Errors[t]
	}
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return waitFor(ctx, "the deleted topic to leave metadata", func() bool {
		resp, err := cl.Metadata(ctx, &kafka.MetadataRequest{})
		if err != nil {
			return false
		}
		for _, x := range resp.Topics {
			if x.Name == t {
				return false
			}
		}
		return true
	})
}

func (k *kafkaGo) adminConfigs(ctx context.Context) error {
	cl := k.client()
	t, err := k.createTopic(ctx, cl, "admin-configs", 1)
	if err != nil {
		return err
	}
	v := "7654321"
	resp, err := cl.IncrementalAlterConfigs(ctx, &kafka.IncrementalAlterConfigsRequest{Resources: []kafka.IncrementalAlterConfigsRequestResource{{
		ResourceType: kafka.ResourceTypeTopic, ResourceName: t,
		Configs: []kafka.IncrementalAlterConfigsRequestConfig{{Name: "retention.ms", Value: v, ConfigOperation: kafka.ConfigOperationSet}},
	}}})
	if err == nil {
		for _, r := range resp.Resources {
			if r.Error != nil {
				err = r.Error
			}
		}
	}
	if err != nil {
		return fmt.Errorf("alter: %w", err)
	}
	last, derr := "", error(nil)
	if err := waitFor(ctx, "retention.ms to read back", func() bool {
		resp, err := cl.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{{
			ResourceType: kafka.ResourceTypeTopic, ResourceName: t, ConfigNames: []string{"retention.ms"},
		}}})
		if err == nil && len(resp.Resources) == 1 {
			err = resp.Resources[0].Error
		}
		if derr = err; err != nil {
			return false
		}
		last = "not listed"
		for _, r := range resp.Resources {
			for _, e := range r.ConfigEntries {
				if e.ConfigName == "retention.ms" {
					last = e.ConfigValue
				}
			}
		}
		return last == v
	}); err != nil {
		return fmt.Errorf("describe: retention.ms is %q, want %q (last error %v): %w", last, v, derr, err)
	}
	return nil
}

func (k *kafkaGo) adminGroups(ctx context.Context) error {
	cl := k.client()
	t, err := k.createTopic(ctx, cl, "admin-groups", 2)
	if err != nil {
		return err
	}
	g := k.e.group("kafka-go", "admin-groups")
	m, err := k.newMember(g, t)
	if err != nil {
		return err
	}
	defer m.close()
	if err := waitFor(ctx, "the member to be assigned", func() bool { return holdsAll(m.assigned(), 2) }); err != nil {
		return err
	}
	// ListGroups answers for the groups one broker coordinates: ask them all.
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	listed := false
	for _, b := range md.Brokers {
		resp, err := cl.ListGroups(ctx, &kafka.ListGroupsRequest{Addr: kafka.TCP(net.JoinHostPort(b.Host, strconv.Itoa(b.Port)))})
		if err == nil {
			err = resp.Error
		}
		if err != nil {
			return fmt.Errorf("list on broker %d: %w", b.ID, err)
		}
		for _, x := range resp.Groups {
			listed = listed || x.GroupID == g
		}
	}
	if !listed {
		return fmt.Errorf("list: group %s not listed by any broker", g)
	}
	resp, err := cl.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{g}})
	if err != nil {
		return fmt.Errorf("describe: %w", err)
	}
	if len(resp.Groups) != 1 || resp.Groups[0].Error != nil {
		return fmt.Errorf("describe: %+v", resp.Groups)
	}
	d := resp.Groups[0]
	if d.GroupState != "Stable" || len(d.Members) != 1 {
		return fmt.Errorf("describe: state %s with %d members, want Stable with 1", d.GroupState, len(d.Members))
	}
	for _, tp := range d.Members[0].MemberAssignments.Topics {
		if tp.Topic == t && len(tp.Partitions) == 2 {
			return nil
		}
	}
	return fmt.Errorf("describe: member assigned %+v, want 2 partitions of %s", d.Members[0].MemberAssignments.Topics, t)
}

func (k *kafkaGo) adminOffsets(ctx context.Context) error {
	cl := k.client()
	t, err := k.createTopic(ctx, cl, "admin-offsets", 1)
	if err != nil {
		return err
	}
	if err := k.write(ctx, t, 0, makeRecords(10, 1, "offsets")); err != nil {
		return err
	}
	g := k.e.group("kafka-go", "admin-offsets")
	for _, at := range []int64{7, 3} { // alter, then reset backwards
		resp, err := cl.OffsetCommit(ctx, &kafka.OffsetCommitRequest{
			GroupID: g, GenerationID: -1,
			Topics: map[string][]kafka.OffsetCommit{t: {{Partition: 0, Offset: at}}},
		})
		if err == nil {
			for _, p := range resp.Topics[t] {
				if p.Error != nil {
					err = p.Error
				}
			}
		}
		if err != nil {
			return fmt.Errorf("commit offset %d: %w", at, err)
		}
		offs, err := k.committed(ctx, cl, g, t, 1)
		if err != nil {
			return fmt.Errorf("fetch offsets: %w", err)
		}
		if offs[0] != at {
			return fmt.Errorf("fetch offsets after setting %d: got %v", at, offs)
		}
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{k.e.bootstrap}, GroupID: g, Topic: t, Dialer: k.dialer(),
		MaxWait: 200 * time.Millisecond, HeartbeatInterval: 500 * time.Millisecond,
		SessionTimeout: 10 * time.Second, RebalanceTimeout: 10 * time.Second,
	})
	defer r.Close()
	msg, err := r.ReadMessage(ctx)
	if err != nil {
		return fmt.Errorf("group reader: %w", err)
	}
	if msg.Offset != 3 {
		return fmt.Errorf("group reader started at offset %d, want the committed 3", msg.Offset)
	}
	return nil
}

func (k *kafkaGo) adminPartitions(ctx context.Context) error {
	cl := k.client()
	t, err := k.createTopic(ctx, cl, "admin-partitions", 1)
	if err != nil {
		return err
	}
	resp, err := cl.CreatePartitions(ctx, &kafka.CreatePartitionsRequest{Topics: []kafka.TopicPartitionsConfig{{Name: t, Count: 3}}})
	if err == nil {
		err = resp.Errors[t]
	}
	if err != nil {
		return fmt.Errorf("create partitions: %w", err)
	}
	if err := k.waitTopic(ctx, cl, t, 3); err != nil {
		return err
	}
	want := []rec{{Key: []byte("p2"), Value: []byte("to the new partition"), Partition: 2}}
	if err := k.write(ctx, t, 0, want); err != nil {
		return fmt.Errorf("produce to the new partition: %w", err)
	}
	got, err := k.read(ctx, t, []int{2}, 1)
	if err != nil {
		return err
	}
	return compareRecords(want, got)
}
