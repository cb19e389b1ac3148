// Namespaces through the gateway: two tenants on one embedded cluster, one
// with hide_prefix and one with enforce_prefix, each seeing, creating and
// reaching only its own topics, groups and transactional ids.
package e2e

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/testenv"
)

// tenants is an embedded cluster with two namespaced virtual clusters in
// front of it and a direct client.
type tenants struct {
	k      *testenv.Kafka
	a, b   *testenv.Gateway
	direct *kgo.Client
	dadm   *kadm.Client
}

func startTenants(t *testing.T) *tenants {
	t.Helper()
	k := testenv.Embedded(t, 3)
	a := testenv.StartGateway(t, k, testenv.Options{VirtualCluster: `namespace:
  prefix: team-a.
  additional:
    topics: [{type: glob, glob: "shared.*"}]
    consumer_groups: [{type: exact_list, exact_list: [{backend: legacy-g}]}]`})
	b := testenv.StartGateway(t, k, testenv.Options{VirtualCluster: "namespace: {mode: enforce_prefix, prefix: team-b.}"})
	direct := newClient(t, k.Bootstrap[0])
	return &tenants{k: k, a: a, b: b, direct: direct, dadm: kadm.NewClient(direct)}
}

// topicNames lists the topics a client sees.
func topicNames(t *testing.T, adm *kadm.Client) []string {
	t.Helper()
	tds, err := adm.ListTopicsWithInternal(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	names := tds.Names()
	slices.Sort(names)
	return names
}

func TestNamespaceTopicsAndIsolation(t *testing.T) {
	env := startTenants(t)
	ctx := ctxT(t, 60*time.Second)
	aCl := newClient(t, env.a.Bootstrap)
	aAdm := kadm.NewClient(aCl)
	bCl := newClient(t, env.b.Bootstrap)
	bAdm := kadm.NewClient(bCl)

	createTopic(t, aAdm, "orders", 3)
	createTopic(t, bAdm, "team-b.events", 2)
	createTopic(t, env.dadm, "shared.prices", 1)
	createTopic(t, env.dadm, "other.secret", 1)

	// Creating outside the namespace or an additional topic is refused.
	for _, tc := range []struct {
		adm   *kadm.Client
		topic string
		want  error
	}{
		{aAdm, "shared.new", kerr.TopicAuthorizationFailed},
		{aAdm, "__consumer_offsets", kerr.TopicAuthorizationFailed},
		{aAdm, strings.Repeat("x", 245), kerr.InvalidTopicException},
		{bAdm, "events", kerr.TopicAuthorizationFailed},
		{bAdm, "team-a.sneaky", kerr.TopicAuthorizationFailed},
	} {
		resp, err := tc.adm.CreateTopic(ctx, 1, -1, nil, tc.topic)
		if err == nil {
			err = resp.Err
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("create %.20s: %v, want %v", tc.topic, err, tc.want)
		}
	}

	// Backend names carry the prefix.
	backend := topicNames(t, env.dadm)
	for _, want := range []string{"team-a.orders", "team-b.events", "shared.prices"} {
		if !slices.Contains(backend, want) {
			t.Errorf("backend topics %v lack %s", backend, want)
		}
	}
	// Each tenant lists only its own topics (and additional ones).
	testenv.WaitFor(t, 10*time.Second, "listings", func() bool {
		return slices.Equal(topicNames(t, aAdm), []string{"orders", "shared.prices"}) &&
			slices.Equal(topicNames(t, bAdm), []string{"team-b.events"})
	})

	// Produce and consume through the namespace; the records land in the
	// prefixed backend topic.
	produce(t, aCl, "orders", 30, "a")
	dc := newClient(t, env.k.Bootstrap[0], kgo.ConsumeTopics("team-a.orders"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if got := consume(t, dc, 30); string(got[0].Value[:2]) != "a-" {
		t.Fatalf("backend record %q", got[0].Value)
	}
	ac := newClient(t, env.a.Bootstrap, kgo.ConsumeTopics("orders", "shared.prices"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	for _, r := range consume(t, ac, 30) {
		if r.Topic != "orders" {
			t.Fatalf("record from topic %q", r.Topic)
		}
	}

	// Tenant B works with full names, in its own groups only.
	produce(t, bCl, "team-b.events", 10, "b")
	bc := newClient(t, env.b.Bootstrap, kgo.ConsumerGroup("team-b.gb"), kgo.ConsumeTopics("team-b.events"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	consume(t, bc, 10)
	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.CoordinatorKeys = []string{"gb", "team-b.gb", "team-a.g"}
	fcResp, err := fc.RequestWith(ctx, bCl)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range fcResp.Coordinators {
		want := kerr.GroupAuthorizationFailed.Code
		if c.Key == "team-b.gb" {
			want = 0
		}
		if c.ErrorCode != want {
			t.Errorf("B find coordinator of %s: error %d, want %d", c.Key, c.ErrorCode, want)
		}
	}

	// DescribeTopicPartitions lists the prefixed topics, and describes
	// additional ones by name.
	dtp := kmsg.NewPtrDescribeTopicPartitionsRequest()
	dtp.ResponsePartitionLimit = 1
	var listed []string
	for {
		r, err := dtp.RequestWith(ctx, aCl)
		if err != nil {
			t.Fatal(err)
		}
		for _, tp := range r.Topics {
			if len(listed) == 0 || listed[len(listed)-1] != deref(tp.Topic) {
				listed = append(listed, deref(tp.Topic))
			}
		}
		if r.NextCursor == nil {
			break
		}
		dtp.Cursor = &kmsg.DescribeTopicPartitionsRequestCursor{Topic: r.NextCursor.Topic, Partition: r.NextCursor.Partition}
	}
	if !slices.Equal(listed, []string{"orders"}) {
		t.Errorf("A describes topics %v", listed)
	}
	dtp = kmsg.NewPtrDescribeTopicPartitionsRequest()
	dtp.Topics = []kmsg.DescribeTopicPartitionsRequestTopic{{Topic: "shared.prices"}, {Topic: "__consumer_offsets"}}
	if r, err := dtp.RequestWith(ctx, aCl); err != nil {
		t.Fatal(err)
	} else if len(r.Topics) != 2 || deref(r.Topics[0].Topic) != "shared.prices" || r.Topics[0].ErrorCode != 0 || r.Topics[1].ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Errorf("A describes %+v", r.Topics)
	}

	// Tenant B cannot reach A's topic by name ...
	md := kmsg.NewPtrMetadataRequest()
	for _, n := range []string{"team-a.orders", "orders", "other.secret", "__consumer_offsets"} {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(n)
		md.Topics = append(md.Topics, rt)
	}
	md.AllowAutoTopicCreation = true
	mresp, err := md.RequestWith(ctx, bCl)
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range mresp.Topics {
		if tp.ErrorCode != kerr.UnknownTopicOrPartition.Code || len(tp.Partitions) > 0 {
			t.Errorf("B metadata for %s: error %d, %d partitions", *tp.Topic, tp.ErrorCode, len(tp.Partitions))
		}
	}
	if slices.Contains(topicNames(t, env.dadm), "orders") {
		t.Error("B's metadata request auto-created a topic outside its namespace")
	}
	lo := kmsg.NewPtrListOffsetsRequest()
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = "team-a.orders"
	lp := kmsg.NewListOffsetsRequestTopicPartition()
	lp.Timestamp = -1
	lt.Partitions = append(lt.Partitions, lp)
	lo.Topics = append(lo.Topics, lt)
	// Straight to a broker: kgo would shard the request by leader.
	raw, err := bCl.Broker(0).Request(ctx, lo)
	if err != nil {
		t.Fatal(err)
	}
	loResp := raw.(*kmsg.ListOffsetsResponse)
	if len(loResp.Topics) != 1 || loResp.Topics[0].Partitions[0].ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Errorf("B list offsets of A's topic: %+v", loResp.Topics)
	}

	// ... nor by topic id.
	dmd, err := env.dadm.Metadata(ctx, "team-a.orders")
	if err != nil {
		t.Fatal(err)
	}
	id := dmd.Topics["team-a.orders"].ID
	byID := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.TopicID = id
	byID.Topics = append(byID.Topics, rt)
	if r, err := byID.RequestWith(ctx, bCl); err != nil {
		t.Fatal(err)
	} else if len(r.Topics) != 1 || r.Topics[0].ErrorCode != kerr.UnknownTopicID.Code || deref(r.Topics[0].Topic) == "team-a.orders" {
		t.Errorf("B metadata by A's id: %+v", r.Topics)
	}
	fetch := kmsg.NewPtrFetchRequest()
	fetch.MaxWaitMillis = 5000
	fetch.MinBytes = 1
	fetch.MaxBytes = 1 << 20
	ft := kmsg.NewFetchRequestTopic()
	ft.TopicID = id
	for p := int32(0); p < 3; p++ {
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.Partition = p
		fp.PartitionMaxBytes = 1 << 20
		ft.Partitions = append(ft.Partitions, fp)
	}
	fetch.Topics = append(fetch.Topics, ft)
	raw, err = bCl.Broker(0).Request(ctx, fetch)
	if err != nil {
		t.Fatal(err)
	}
	fr := raw.(*kmsg.FetchResponse)
	if fr.Version < 13 {
		t.Fatalf("fetch v%d: want topic ids", fr.Version)
	}
	if len(fr.Topics) != 1 || len(fr.Topics[0].Partitions) != 3 {
		t.Fatalf("B fetch by A's id: %+v", fr.Topics)
	}
	for _, p := range fr.Topics[0].Partitions {
		if p.ErrorCode != kerr.UnknownTopicID.Code || len(p.RecordBatches) > 0 {
			t.Errorf("B fetch by A's id, partition %d: error %d, %d bytes", p.Partition, p.ErrorCode, len(p.RecordBatches))
		}
	}
	del := kmsg.NewPtrDeleteTopicsRequest()
	dt := kmsg.NewDeleteTopicsRequestTopic()
	dt.TopicID = id
	del.Topics = append(del.Topics, dt)
	if r, err := del.RequestWith(ctx, bCl); err != nil {
		t.Fatal(err)
	} else if r.Version >= 6 && (len(r.Topics) != 1 || r.Topics[0].ErrorCode != kerr.UnknownTopicID.Code) {
		t.Errorf("B delete by A's id: %+v", r.Topics)
	}
	if !slices.Contains(topicNames(t, env.dadm), "team-a.orders") {
		t.Fatal("B deleted A's topic")
	}

	// A may not delete the shared topic, but may delete its own.
	dr, err := aAdm.DeleteTopics(ctx, "shared.prices")
	if err != nil {
		t.Fatal(err)
	}
	if err := dr["shared.prices"].Err; !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("delete additional topic: %v", err)
	}
}

func TestNamespaceGroupsAndTransactions(t *testing.T) {
	env := startTenants(t)
	ctx := ctxT(t, 90*time.Second)
	aCl := newClient(t, env.a.Bootstrap)
	aAdm := kadm.NewClient(aCl)
	bAdm := kadm.NewClient(newClient(t, env.b.Bootstrap))
	createTopic(t, aAdm, "orders", 3)
	produce(t, aCl, "orders", 40, "a")

	// A classic group commits offsets under the prefixed group id.
	g1 := newClient(t, env.a.Bootstrap, kgo.ConsumerGroup("g1"), kgo.ConsumeTopics("orders"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	consume(t, g1, 40)
	if err := g1.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	offs, err := env.dadm.FetchOffsets(ctx, "team-a.g1")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic != "team-a.orders" {
			t.Errorf("backend offsets for topic %s", o.Topic)
		}
		total += o.At
	})
	if total != 40 {
		t.Errorf("backend committed %d, want 40", total)
	}
	aOffs, err := aAdm.FetchOffsets(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	aOffs.Each(func(o kadm.OffsetResponse) {
		if o.Topic != "orders" {
			t.Errorf("A sees offsets for topic %s", o.Topic)
		}
	})
	described, err := aAdm.DescribeGroups(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range described["g1"].Members {
		if ca, ok := m.Assigned.AsConsumer(); ok {
			for _, tp := range ca.Topics {
				if tp.Topic != "orders" {
					t.Errorf("A describes an assignment of %s", tp.Topic)
				}
			}
		}
	}

	// KIP-848 consumers, by name and by regex, through the namespace.
	for _, tc := range []struct {
		group string
		opts  []kgo.Opt
	}{
		{"g848", []kgo.Opt{kgo.ConsumeTopics("orders")}},
		{"g848re", []kgo.Opt{kgo.ConsumeRegex(), kgo.ConsumeTopics("ord.*")}},
	} {
		opts := append([]kgo.Opt{kgo.ConsumerGroup(tc.group), kgo.ServerSideBalancer(), kgo.Balancers(kgo.RangeBalancer()),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, tc.opts...)
		c := newClient(t, env.a.Bootstrap, opts...)
		for _, r := range consume(t, c, 40) {
			if r.Topic != "orders" {
				t.Fatalf("%s: record from %s", tc.group, r.Topic)
			}
		}
		if err := c.CommitUncommittedOffsets(ctx); err != nil {
			t.Fatalf("%s: commit: %v", tc.group, err)
		}
		// The group is a KIP-848 group, described in the tenant's names.
		dg, err := aAdm.DescribeConsumerGroups(ctx, tc.group)
		if err != nil {
			t.Fatalf("%s: describe: %v", tc.group, err)
		}
		g := dg[tc.group]
		if g.Err != nil || len(g.Members) != 1 {
			t.Fatalf("%s: described %+v", tc.group, g)
		}
		m := g.Members[0]
		if len(m.Assignment) != 1 {
			t.Errorf("%s: assignment %v", tc.group, m.Assignment)
		}
		for topic := range m.Assignment {
			if topic != "orders" && topic != "" { // kfake describes assignments by id only
				t.Errorf("%s: assignment %v", tc.group, m.Assignment)
			}
		}
		if m.SubscribedTopicRegex != nil && strings.Contains(*m.SubscribedTopicRegex, "team-a") || slices.ContainsFunc(m.SubscribedTopics, func(s string) bool { return strings.HasPrefix(s, "team-a.") }) {
			t.Errorf("%s: subscription leaks the prefix: %v %v", tc.group, m.SubscribedTopics, deref(m.SubscribedTopicRegex))
		}
		if dd, err := env.dadm.DescribeConsumerGroups(ctx, "team-a."+tc.group); err != nil || dd["team-a."+tc.group].Err != nil {
			t.Errorf("%s: backend describe: %v %v", tc.group, err, dd["team-a."+tc.group].Err)
		} else if bm := dd["team-a."+tc.group].Members; len(bm) != 1 || tc.group == "g848" && !slices.Equal(bm[0].SubscribedTopics, []string{"team-a.orders"}) {
			t.Errorf("%s: backend member %+v", tc.group, bm)
		}
	}

	// Transactions use the prefixed transactional id.
	tx := newClient(t, env.a.Bootstrap, kgo.TransactionalID("tx1"), kgo.DefaultProduceTopic("orders"))
	if err := tx.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := tx.ProduceSync(ctx, kgo.StringRecord("in-txn")).FirstErr(); err != nil {
		t.Fatalf("transactional produce: %v", err)
	}
	if err := tx.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatalf("commit transaction: %v", err)
	}
	dtx, err := env.dadm.DescribeTransactions(ctx, "team-a.tx1")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := dtx["team-a.tx1"]; !ok {
		t.Errorf("backend transactions: %v", dtx)
	}
	aTxs, err := aAdm.ListTransactions(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(aTxs.TransactionalIDs(), []string{"tx1"}) {
		t.Errorf("A lists transactions %v", aTxs.TransactionalIDs())
	}
	bTxs, err := bAdm.ListTransactions(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(bTxs) != 0 {
		t.Errorf("B lists transactions %v", bTxs.TransactionalIDs())
	}

	// Group listings: A sees its own groups unprefixed, B none of them;
	// the backend holds them prefixed.
	aGroups, err := aAdm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ag := aGroups.Groups()
	slices.Sort(ag)
	if !slices.Equal(ag, []string{"g1", "g848", "g848re"}) {
		t.Errorf("A lists groups %v", ag)
	}
	if typ := aGroups["g848"].GroupType; typ != "" && typ != "consumer" {
		t.Errorf("g848 is a %s group", typ)
	}
	bGroups, err := bAdm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(bGroups) != 0 {
		t.Errorf("B lists groups %v", bGroups.Groups())
	}
	dGroups, err := env.dadm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"team-a.g1", "team-a.g848", "team-a.g848re"} {
		if !slices.Contains(dGroups.Groups(), g) {
			t.Errorf("backend groups %v lack %s", dGroups.Groups(), g)
		}
	}

	// B cannot describe, fetch offsets of or delete A's groups.
	bd, err := bAdm.DescribeGroups(ctx, "team-a.g1")
	if err == nil {
		err = bd["team-a.g1"].Err
	}
	if !errors.Is(err, kerr.GroupAuthorizationFailed) {
		t.Errorf("B describes A's group: %v", err)
	}
	if _, err := bAdm.FetchOffsets(ctx, "team-a.g1"); !errors.Is(err, kerr.GroupAuthorizationFailed) {
		t.Errorf("B fetches A's offsets: %v", err)
	}
	bdel, err := bAdm.DeleteGroups(ctx, "team-a.g1")
	if err == nil {
		err = bdel["team-a.g1"].Err
	}
	if !errors.Is(err, kerr.GroupAuthorizationFailed) {
		t.Errorf("B deletes A's group: %v", err)
	}
}

// TestNamespaceConflict: with hide_prefix, a prefixed topic hides the
// additional topic of the same client name.
func TestNamespaceConflict(t *testing.T) {
	env := startTenants(t)
	ctx := ctxT(t, 60*time.Second)
	createTopic(t, env.dadm, "shared.z", 1)
	createTopic(t, env.dadm, "team-a.shared.z", 1)
	aCl := newClient(t, env.a.Bootstrap)
	aAdm := kadm.NewClient(aCl)
	if got := topicNames(t, aAdm); !slices.Equal(got, []string{"shared.z"}) {
		t.Fatalf("A lists %v", got)
	}
	produce(t, aCl, "shared.z", 5, "z")
	ends, err := env.dadm.ListEndOffsets(ctx, "shared.z", "team-a.shared.z")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup("team-a.shared.z", 0); o.Offset != 5 {
		t.Errorf("prefixed topic end offset %d, want 5", o.Offset)
	}
	if o, _ := ends.Lookup("shared.z", 0); o.Offset != 0 {
		t.Errorf("additional topic end offset %d, want 0", o.Offset)
	}
	_, body := httpGet(t, "http://"+env.a.AdminAddr()+"/metrics")
	if v, ok := metricValue(body, `strait_namespace_conflicts{virtual_cluster="vc"}`); !ok || v != 1 {
		t.Errorf("strait_namespace_conflicts = %v (%v), want 1", v, ok)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
