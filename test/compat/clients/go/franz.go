package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func franzClient(e *env) *client {
	f := &franz{e: e}
	cells := map[string]cellFunc{
		"metadata":         f.metadata,
		"headers":          f.headers,
		"group-classic":    func(ctx context.Context) error { return f.group(ctx, "group-classic", false) },
		"group-consumer":   func(ctx context.Context) error { return f.group(ctx, "group-consumer", true) },
		"idempotent":       f.idempotent,
		"transactions":     f.transactions,
		"admin-topics":     f.adminTopics,
		"admin-configs":    f.adminConfigs,
		"admin-groups":     f.adminGroups,
		"admin-offsets":    f.adminOffsets,
		"admin-partitions": f.adminPartitions,
		"share-group":      f.shareGroup,
	}
	for name, codec := range map[string]kgo.CompressionCodec{
		"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	} {
		cells["produce-"+name] = func(ctx context.Context) error { return f.produce(ctx, name, codec) }
	}
	na := map[string]string{}
	e.kafka4Only(na, map[string]string{
		"group-consumer": "group.protocol=consumer (KIP-848)",
		"share-group":    "share groups (KIP-932)",
	})
	return &client{name: "franz-go", module: "github.com/twmb/franz-go", cells: cells, na: na}
}

type franz struct{ e *env }

func (f *franz) client(opts ...kgo.Opt) (*kgo.Client, error) {
	base := []kgo.Opt{
		kgo.SeedBrokers(f.e.bootstrap),
		kgo.ClientID("strait-compat-franz-go"),
		kgo.DialTimeout(5 * time.Second),
		kgo.RetryTimeout(20 * time.Second),
		kgo.MetadataMinAge(200 * time.Millisecond),
	}
	return kgo.NewClient(append(base, opts...)...)
}

func (f *franz) admin() (*kadm.Client, error) {
	cl, err := f.client()
	if err != nil {
		return nil, err
	}
	return kadm.NewClient(cl), nil
}

// adminTopic returns an admin client and a new topic for op, with
// partitions partitions, ready on every broker. The caller closes the
// client.
func (f *franz) adminTopic(ctx context.Context, op string, partitions int32) (*kadm.Client, string, error) {
	adm, err := f.admin()
	if err != nil {
		return nil, "", err
	}
	t, err := f.createTopic(ctx, adm, op, partitions)
	if err != nil {
		adm.Close()
		return nil, "", err
	}
	return adm, t, nil
}

func (f *franz) createTopic(ctx context.Context, adm *kadm.Client, op string, partitions int32) (string, error) {
	t := f.e.topic("franz", op)
	resp, err := adm.CreateTopic(ctx, partitions, -1, nil, t)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return "", fmt.Errorf("create topic: %w", err)
	}
	cl, err := f.client()
	if err != nil {
		return "", err
	}
	defer cl.Close()
	return t, f.waitTopic(ctx, adm, cl, t, int(partitions))
}

// waitTopic waits until every broker lists all partitions of topic with a
// leader: brokers learn of new topics and partitions a moment apart.
func (f *franz) waitTopic(ctx context.Context, adm *kadm.Client, cl *kgo.Client, topic string, partitions int) error {
	brokers, err := adm.ListBrokers(ctx)
	if err != nil {
		return err
	}
	for _, b := range brokers {
		last := ""
		if err := waitFor(ctx, fmt.Sprintf("broker %d to list %d partitions of the topic", b.NodeID, partitions), func() bool {
			req := kmsg.NewPtrMetadataRequest()
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(topic)
			req.Topics = append(req.Topics, rt)
			resp, err := req.RequestWith(ctx, cl.Broker(int(b.NodeID)))
			if err != nil {
				last = err.Error()
				return false
			}
			for _, rt := range resp.Topics {
				if err := kerr.ErrorForCode(rt.ErrorCode); err != nil || len(rt.Partitions) != partitions {
					last = fmt.Sprintf("%d partitions, error %v", len(rt.Partitions), err)
					return false
				}
				for _, p := range rt.Partitions {
					if p.Leader < 0 {
						last = fmt.Sprintf("partition %d has no leader", p.Partition)
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

func toKgo(r rec, topic string) *kgo.Record {
	kr := &kgo.Record{Topic: topic, Key: r.Key, Value: r.Value, Partition: r.Partition}
	for _, h := range r.Headers {
		kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	return kr
}

func fromKgo(kr *kgo.Record) rec {
	r := rec{Key: kr.Key, Value: kr.Value, Partition: kr.Partition, Offset: kr.Offset}
	for _, h := range kr.Headers {
		r.Headers = append(r.Headers, hdr{h.Key, h.Value})
	}
	return r
}

func (f *franz) produceSync(ctx context.Context, cl *kgo.Client, topic string, rs []rec) error {
	krs := make([]*kgo.Record, len(rs))
	for i, r := range rs {
		krs[i] = toKgo(r, topic)
	}
	return cl.ProduceSync(ctx, krs...).FirstErr()
}

// consume reads n records of topic from the start.
func (f *franz) consume(ctx context.Context, topic string, n int, opts ...kgo.Opt) ([]*kgo.Record, error) {
	cl, err := f.client(append([]kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var got []*kgo.Record
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return got, fmt.Errorf("consumed %d of %d records: %w", len(got), n, err)
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) { ferr = fmt.Errorf("fetch %s[%d]: %w", t, p, err) })
		if ferr != nil {
			return got, ferr
		}
		got = append(got, fs.Records()...)
	}
	return got, nil
}

func (f *franz) metadata(ctx context.Context) error {
	adm, err := f.admin()
	if err != nil {
		return err
	}
	defer adm.Close()
	m, err := adm.BrokerMetadata(ctx)
	if err != nil {
		return err
	}
	var got []string
	for _, b := range m.Brokers {
		got = append(got, fmt.Sprintf("%s:%d", b.Host, b.Port))
	}
	if err := f.e.checkBrokers("Metadata", got); err != nil {
		return err
	}
	// DescribeCluster (KIP-700) lists the brokers too.
	cl, err := f.client()
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kmsg.NewPtrDescribeClusterRequest().RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("DescribeCluster: %w", err)
	}
	if err := kerrOf(resp.ErrorCode, resp.ErrorMessage); err != nil {
		return fmt.Errorf("DescribeCluster: %w", err)
	}
	got = got[:0]
	for _, b := range resp.Brokers {
		got = append(got, fmt.Sprintf("%s:%d", b.Host, b.Port))
	}
	return f.e.checkBrokers("DescribeCluster", got)
}

func (f *franz) produce(ctx context.Context, codecName string, codec kgo.CompressionCodec) error {
	adm, t, err := f.adminTopic(ctx, "produce-"+codecName, 3)
	if err != nil {
		return err
	}
	defer adm.Close()
	p, err := f.client(kgo.ProducerBatchCompression(codec), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	defer p.Close()
	want := makeRecords(50, 3, codecName)
	if err := f.produceSync(ctx, p, t, want); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	got, err := f.consume(ctx, t, len(want))
	if err != nil {
		return err
	}
	wantCodec := map[string]uint8{"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}[codecName]
	var rs []rec
	for _, kr := range got {
		if c := kr.Attrs.CompressionType(); c != wantCodec {
			return fmt.Errorf("record at %d/%d came back in a batch with compression type %d, want %d", kr.Partition, kr.Offset, c, wantCodec)
		}
		rs = append(rs, fromKgo(kr))
	}
	return compareRecords(want, rs)
}

func (f *franz) headers(ctx context.Context) error {
	adm, t, err := f.adminTopic(ctx, "headers", 1)
	if err != nil {
		return err
	}
	defer adm.Close()
	p, err := f.client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	defer p.Close()
	want := headerRecords()
	if err := f.produceSync(ctx, p, t, want); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	got, err := f.consume(ctx, t, len(want))
	if err != nil {
		return err
	}
	var rs []rec
	for _, kr := range got {
		rs = append(rs, fromKgo(kr))
	}
	return compareRecords(want, rs)
}

// franzMember is a group member for groupScenario.
type franzMember struct {
	cl     *kgo.Client
	asg    assignment
	recs   chan rec
	cancel context.CancelFunc
	closed bool
}

func (m *franzMember) assigned() []int32   { return m.asg.get() }
func (m *franzMember) records() <-chan rec { return m.recs }
func (m *franzMember) commit(ctx context.Context) error {
	return m.cl.CommitUncommittedOffsets(ctx)
}

func (m *franzMember) close() {
	if !m.closed {
		m.closed = true
		m.cancel()
		m.cl.Close() // leaves the group
	}
}

func (f *franz) newMember(group, topic string, opts ...kgo.Opt) (*franzMember, error) {
	m := &franzMember{recs: make(chan rec, 1000)}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	onAssigned := func(_ context.Context, _ *kgo.Client, a map[string][]int32) { m.asg.add(a[topic]) }
	onRevoked := func(_ context.Context, _ *kgo.Client, a map[string][]int32) { m.asg.remove(a[topic]) }
	cl, err := f.client(append([]kgo.Opt{
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.SessionTimeout(10 * time.Second),
		kgo.HeartbeatInterval(500 * time.Millisecond),
		kgo.OnPartitionsAssigned(onAssigned),
		kgo.OnPartitionsRevoked(onRevoked),
		kgo.OnPartitionsLost(onRevoked),
	}, opts...)...)
	if err != nil {
		cancel()
		return nil, err
	}
	m.cl = cl
	go func() {
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			if fs.IsClientClosed() {
				return
			}
			fs.EachRecord(func(kr *kgo.Record) {
				select {
				case m.recs <- fromKgo(kr):
				default:
				}
			})
		}
	}()
	return m, nil
}

func (f *franz) group(ctx context.Context, op string, kip848 bool) error {
	var opts []kgo.Opt
	if kip848 {
		opts = append(opts, kgo.ServerSideBalancer(), kgo.Balancers(kgo.CooperativeStickyBalancer()))
	}
	adm, t, err := f.adminTopic(ctx, op, groupPartitions)
	if err != nil {
		return err
	}
	defer adm.Close()
	g := f.e.group("franz", op)
	p, err := f.client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	defer p.Close()
	err = groupScenario(ctx, groupHooks{
		newMember: func(ctx context.Context) (groupMember, error) { return f.newMember(g, t, opts...) },
		produce:   func(ctx context.Context, rs []rec) error { return f.produceSync(ctx, p, t, rs) },
		committed: func(ctx context.Context) (map[int32]int64, error) {
			os, err := adm.FetchOffsetsForTopics(ctx, g, t)
			if err != nil {
				return nil, err
			}
			out := map[int32]int64{}
			os.Each(func(o kadm.OffsetResponse) {
				if o.Err == nil {
					out[o.Partition] = o.At
				}
			})
			return out, nil
		},
	})
	if err != nil {
		return err
	}
	// The group must really use the protocol asked for: franz-go falls back
	// to the classic protocol when the broker lacks KIP-848.
	want := "classic"
	if kip848 {
		want = "consumer"
	}
	lg, err := adm.ListGroupsByType(ctx, []string{want})
	if err != nil {
		return fmt.Errorf("list groups: %w", err)
	}
	if _, ok := lg[g]; !ok {
		return fmt.Errorf("group %s is not listed as a %q group", g, want)
	}
	return nil
}

func (f *franz) idempotent(ctx context.Context) error {
	adm, t, err := f.adminTopic(ctx, "idempotent", 3)
	if err != nil {
		return err
	}
	defer adm.Close()
	// franz-go produces idempotently unless told otherwise; say it anyway.
	p, err := f.client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		return err
	}
	defer p.Close()
	want := makeRecords(50, 3, "idempotent")
	if err := f.produceSync(ctx, p, t, want); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	got, err := f.consume(ctx, t, len(want))
	if err != nil {
		return err
	}
	var rs []rec
	for _, kr := range got {
		if kr.ProducerID < 0 {
			return fmt.Errorf("record at %d/%d has no producer id: not produced idempotently", kr.Partition, kr.Offset)
		}
		rs = append(rs, fromKgo(kr))
	}
	return compareRecords(want, rs)
}

func (f *franz) transactions(ctx context.Context) error {
	adm, t, err := f.adminTopic(ctx, "transactions", 1)
	if err != nil {
		return err
	}
	defer adm.Close()
	p, err := f.client(kgo.TransactionalID(f.e.name("x", "franz", "transactions")), kgo.TransactionTimeout(30*time.Second))
	if err != nil {
		return err
	}
	defer p.Close()
	c1, ab, c2 := txnRecords()
	for i, step := range []struct {
		rs  []rec
		end kgo.TransactionEndTry
	}{{c1, kgo.TryCommit}, {ab, kgo.TryAbort}, {c2, kgo.TryCommit}} {
		if err := p.BeginTransaction(); err != nil {
			return fmt.Errorf("transaction %d: begin: %w", i+1, err)
		}
		if err := f.produceSync(ctx, p, t, step.rs); err != nil {
			return fmt.Errorf("transaction %d: produce: %w", i+1, err)
		}
		if err := p.EndTransaction(ctx, step.end); err != nil {
			return fmt.Errorf("transaction %d: end: %w", i+1, err)
		}
	}
	got, err := f.consume(ctx, t, len(c1)+len(c2), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return fmt.Errorf("read_committed: %w", err)
	}
	var rs []rec
	for _, kr := range got {
		rs = append(rs, fromKgo(kr))
	}
	return checkReadCommitted(rs)
}

func (f *franz) adminTopics(ctx context.Context) error {
	adm, t, err := f.adminTopic(ctx, "admin-topics", 3)
	if err != nil {
		return err
	}
	defer adm.Close()
	var td kadm.TopicDetail
	if err := waitFor(ctx, "the new topic in metadata", func() bool {
		tds, err := adm.ListTopics(ctx, t)
		if err != nil {
			return false
		}
		td = tds[t]
		return td.Err == nil && len(td.Partitions) == 3
	}); err != nil {
		return fmt.Errorf("describe: %w (last: %d partitions, err %v)", err, len(td.Partitions), td.Err)
	}
	for _, p := range td.Partitions.Sorted() {
		if p.Leader < 0 || len(p.Replicas) != 3 {
			return fmt.Errorf("describe: partition %d has leader %d and replicas %v", p.Partition, p.Leader, p.Replicas)
		}
	}
	resp, err := adm.DeleteTopic(ctx, t)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return waitFor(ctx, "the deleted topic to leave metadata", func() bool {
		tds, err := adm.ListTopics(ctx)
		return err == nil && !tds.Has(t)
	})
}

func (f *franz) adminConfigs(ctx context.Context) error {
	adm, t, err := f.adminTopic(ctx, "admin-configs", 1)
	if err != nil {
		return err
	}
	defer adm.Close()
	v := "7654321"
	resps, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: &v}}, t)
	if err == nil {
		var r kadm.AlterConfigsResponse
		if r, err = resps.On(t, nil); err == nil {
			err = r.Err
		}
	}
	if err != nil {
		return fmt.Errorf("alter: %w", err)
	}
	// Brokers apply the change from the metadata log: allow a moment.
	var last string
	var derr error
	err = waitFor(ctx, "retention.ms to read back", func() bool {
		rcs, err := adm.DescribeTopicConfigs(ctx, t)
		if err != nil {
			derr = err
			return false
		}
		rc, err := rcs.On(t, nil)
		if err == nil {
			err = rc.Err
		}
		if derr = err; err != nil {
			return false
		}
		last = "not listed"
		for _, c := range rc.Configs {
			if c.Key == "retention.ms" {
				last = c.MaybeValue()
			}
		}
		return last == v
	})
	if err != nil {
		return fmt.Errorf("describe: retention.ms is %q, want %q (last error %v): %w", last, v, derr, err)
	}
	return nil
}

func (f *franz) adminGroups(ctx context.Context) error {
	adm, t, err := f.adminTopic(ctx, "admin-groups", 2)
	if err != nil {
		return err
	}
	defer adm.Close()
	g := f.e.group("franz", "admin-groups")
	m, err := f.newMember(g, t)
	if err != nil {
		return err
	}
	defer m.close()
	if err := waitFor(ctx, "the member to be assigned", func() bool { return holdsAll(m.assigned(), 2) }); err != nil {
		return err
	}
	lg, err := adm.ListGroups(ctx)
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	if _, ok := lg[g]; !ok {
		return fmt.Errorf("list: group %s not listed (%d groups listed)", g, len(lg))
	}
	dgs, err := adm.DescribeGroups(ctx, g)
	if err != nil {
		return fmt.Errorf("describe: %w", err)
	}
	dg, err := dgs.On(g, nil)
	if err == nil {
		err = dg.Err
	}
	if err != nil {
		return fmt.Errorf("describe: %w", err)
	}
	if dg.State != "Stable" || len(dg.Members) != 1 {
		return fmt.Errorf("describe: state %s with %d members, want Stable with 1", dg.State, len(dg.Members))
	}
	if got := dg.AssignedPartitions()[t]; len(got) != 2 {
		return fmt.Errorf("describe: member assigned %v of %s, want 2 partitions", got, t)
	}
	if _, err := f.e.hostPortOK(dg.Coordinator.Host, dg.Coordinator.Port); err != nil {
		return fmt.Errorf("describe: coordinator: %w", err)
	}
	return nil
}

func (f *franz) adminOffsets(ctx context.Context) error {
	adm, t, err := f.adminTopic(ctx, "admin-offsets", 1)
	if err != nil {
		return err
	}
	defer adm.Close()
	p, err := f.client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	defer p.Close()
	if err := f.produceSync(ctx, p, t, makeRecords(10, 1, "offsets")); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	g := f.e.group("franz", "admin-offsets")
	for _, at := range []int64{7, 3} { // alter, then reset backwards
		os := kadm.Offsets{}
		os.Add(kadm.Offset{Topic: t, Partition: 0, At: at, LeaderEpoch: -1})
		if err := adm.CommitAllOffsets(ctx, g, os); err != nil {
			return fmt.Errorf("commit offset %d: %w", at, err)
		}
		fetched, err := adm.FetchOffsetsForTopics(ctx, g, t)
		if err != nil {
			return fmt.Errorf("fetch offsets: %w", err)
		}
		if o, ok := fetched.Lookup(t, 0); !ok || o.Err != nil || o.At != at {
			return fmt.Errorf("fetch offsets after setting %d: got %+v", at, o)
		}
	}
	m, err := f.newMember(g, t)
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
}

func (f *franz) adminPartitions(ctx context.Context) error {
	adm, t, err := f.adminTopic(ctx, "admin-partitions", 1)
	if err != nil {
		return err
	}
	defer adm.Close()
	resps, err := adm.UpdatePartitions(ctx, 3, t)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		return fmt.Errorf("create partitions: %w", err)
	}
	p, err := f.client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	defer p.Close()
	if err := f.waitTopic(ctx, adm, p, t, 3); err != nil {
		return err
	}
	// The new partition takes records.
	want := []rec{{Key: []byte("p2"), Value: []byte("to the new partition"), Partition: 2}}
	if err := f.produceSync(ctx, p, t, want); err != nil {
		return fmt.Errorf("produce to the new partition: %w", err)
	}
	got, err := f.consume(ctx, t, 1)
	if err != nil {
		return err
	}
	if got[0].Partition != 2 {
		return fmt.Errorf("record came back from partition %d", got[0].Partition)
	}
	return compareRecords(want, []rec{fromKgo(got[0])})
}

func (f *franz) shareGroup(ctx context.Context) error {
	adm, t, err := f.adminTopic(ctx, "share-group", 2)
	if err != nil {
		return err
	}
	defer adm.Close()
	p, err := f.client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	defer p.Close()
	want := makeRecords(20, 2, "share")
	if err := f.produceSync(ctx, p, t, want); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	g := f.e.group("franz", "share-group")
	// Share groups start at the latest offset unless the group says otherwise.
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType = kmsg.ConfigResourceTypeGroupConfig
	res.ResourceName = g
	c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	c.Name = "share.auto.offset.reset"
	c.Op = kmsg.IncrementalAlterConfigOpSet
	c.Value = kmsg.StringPtr("earliest")
	res.Configs = append(res.Configs, c)
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(ctx, p)
	if err != nil {
		return fmt.Errorf("set share.auto.offset.reset: %w", err)
	}
	for _, r := range resp.Resources {
		if err := kerrOf(r.ErrorCode, r.ErrorMessage); err != nil {
			return fmt.Errorf("set share.auto.offset.reset: %w", err)
		}
	}
	cl, err := f.client(kgo.ShareGroup(g), kgo.ConsumeTopics(t))
	if err != nil {
		return err
	}
	defer cl.Close()
	var got []rec
	seen := map[string]bool{}
	for len(seen) < len(want) {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("share consumer got %d of %d records: %w", len(seen), len(want), err)
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) { ferr = fmt.Errorf("share fetch %s[%d]: %w", t, p, err) })
		if ferr != nil {
			return ferr
		}
		for _, kr := range fs.Records() {
			kr.Ack(kgo.AckAccept)
			if !seen[string(kr.Key)] {
				seen[string(kr.Key)] = true
				got = append(got, fromKgo(kr))
			}
		}
	}
	if err := cl.FlushAcks(ctx); err != nil {
		return fmt.Errorf("acknowledge: %w", err)
	}
	if err := compareRecords(want, got); err != nil {
		return err
	}
	lg, err := adm.ListGroupsByType(ctx, []string{"share"})
	if err != nil {
		return fmt.Errorf("list share groups: %w", err)
	}
	if _, ok := lg[g]; !ok {
		return fmt.Errorf("group %s is not listed as a share group", g)
	}
	return nil
}

func kerrOf(code int16, msg *string) error {
	if code == 0 {
		return nil
	}
	err := kerr.ErrorForCode(code)
	if msg != nil && *msg != "" {
		return fmt.Errorf("%w: %s", err, *msg)
	}
	return err
}

// hostPortOK checks that an advertised address is one of the expected brokers.
func (e *env) hostPortOK(host string, port int32) (string, error) {
	a := host + ":" + strconv.Itoa(int(port))
	if !slices.Contains(e.expect, a) {
		return a, fmt.Errorf("address %s is not one of %v", a, e.expect)
	}
	return a, nil
}
