// ACLs enforced on the gateway (acl_mode: enforce_on_gateway): franz-go
// clients through a gateway whose acls policy allows some topics and
// groups and not others.

package e2e

import (
	"errors"
	"hash/crc32"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/testenv"
)

// aclsVirtualCluster allows everything on topics "allowed*", describing
// "visible", the consumer group "good", and describing the cluster; the
// topic "secret", the group "bad" and creating topics are not allowed.
const aclsVirtualCluster = `acl_mode: enforce_on_gateway
cluster_policies:
  - type: acls
    name: team-acls
    config:
      rules:
        - resource_type: topic
          action: allow
          operations: [{name: all}]
          resource_names: [{match: "allowed*"}]
        - resource_type: topic
          action: allow
          operations: [{name: describe}]
          resource_names: [{match: visible}]
        - resource_type: topic
          action: deny
          operations: [{name: create}]
          resource_names: [{match: "allowed-but-not-new"}]
        - resource_type: group
          action: allow
          operations: [{name: read}]
          resource_names: [{match: good}]
        - resource_type: cluster
          action: allow
          operations: [{name: describe}]
`

func startACLGateway(t *testing.T) (*testenv.Kafka, *testenv.Gateway) {
	t.Helper()
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{VirtualCluster: aclsVirtualCluster})
	// Topics are made on the backend directly: the gateway's principal
	// may not create them.
	direct := kadm.NewClient(newClient(t, k.Bootstrap[0]))
	for _, topic := range []string{"allowed", "secret", "visible"} {
		createTopic(t, direct, topic, 3)
	}
	return k, gw
}

func TestACLsProduceConsumeAllowed(t *testing.T) {
	_, gw := startACLGateway(t)
	prod := newClient(t, gw.Bootstrap)
	produce(t, prod, "allowed", 20, "x")
	cons := newClient(t, gw.Bootstrap, kgo.ConsumerGroup("good"), kgo.ConsumeTopics("allowed"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if got := consume(t, cons, 20); len(got) != 20 {
		t.Fatalf("consumed %d records", len(got))
	}
	if err := cons.CommitUncommittedOffsets(ctxT(t, 10*time.Second)); err != nil {
		t.Fatalf("commit as group good: %v", err)
	}
}

func TestACLsDeniedTopic(t *testing.T) {
	k, gw := startACLGateway(t)
	cl := newClient(t, gw.Bootstrap, kgo.RecordRetries(2), kgo.RetryTimeout(5*time.Second))
	err := cl.ProduceSync(ctxT(t, 20*time.Second), &kgo.Record{Topic: "secret", Value: []byte("no")}).FirstErr()
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce to secret: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}

	// A produce request naming an allowed and a denied topic: only the
	// denied one fails. Produce v13 names topics by id; the ids come from
	// the backend. The gateway learns which topic an id names from the
	// metadata it passes to clients: list the topics through it first (an
	// id it has not seen would be answered UNKNOWN_TOPIC_ID).
	if _, err := kadm.NewClient(cl).ListTopics(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	direct := kadm.NewClient(newClient(t, k.Bootstrap[0]))
	ids := map[string][16]byte{}
	details, err := direct.ListTopics(ctxT(t, 10*time.Second), "allowed", "secret")
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range details {
		ids[name] = d.ID
	}
	leader := details["allowed"].Partitions[0].Leader
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 5000
	for _, topic := range []string{"allowed", "secret"} {
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic, rt.TopicID = topic, ids[topic]
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Records = recordBatch(t, "v")
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctxT(t, 10*time.Second), cl.Broker(int(leader)))
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int16{}
	for _, rt := range resp.Topics {
		name := rt.Topic
		for n, id := range ids {
			if rt.TopicID == id && name == "" {
				name = n
			}
		}
		codes[name] = rt.Partitions[0].ErrorCode
	}
	if len(codes) != 2 || codes["allowed"] != 0 || codes["secret"] != kerr.TopicAuthorizationFailed.Code {
		t.Errorf("produce v%d codes %v, want allowed 0 and secret %d", req.Version, codes, kerr.TopicAuthorizationFailed.Code)
	}

	// The denial is counted.
	_, body := httpGet(t, "http://"+gw.AdminAddr()+"/metrics")
	if v, ok := metricValue(body, `strait_policy_denials_total{policy="acls",virtual_cluster="vc"}`); !ok || v < 1 {
		t.Errorf("strait_policy_denials_total: %v %v", v, ok)
	}
}

func TestACLsDeniedGroup(t *testing.T) {
	_, gw := startACLGateway(t)
	prod := newClient(t, gw.Bootstrap)
	produce(t, prod, "allowed", 5, "x")
	cons := newClient(t, gw.Bootstrap, kgo.ConsumerGroup("bad"), kgo.ConsumeTopics("allowed"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx := ctxT(t, 20*time.Second)
	var groupErr error
	for groupErr == nil && ctx.Err() == nil {
		fs := cons.PollFetches(ctx)
		if len(fs.Records()) > 0 {
			t.Fatal("consumed as group bad")
		}
		fs.EachError(func(_ string, _ int32, err error) {
			if errors.Is(err, kerr.GroupAuthorizationFailed) {
				groupErr = err
			}
		})
	}
	if groupErr == nil {
		t.Fatal("no GROUP_AUTHORIZATION_FAILED for group bad")
	}

	// And directly: FindCoordinator for the group.
	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.CoordinatorKey, fc.CoordinatorKeys = "bad", []string{"bad"}
	resp, err := fc.RequestWith(ctxT(t, 10*time.Second), prod)
	if err != nil {
		t.Fatal(err)
	}
	code := resp.ErrorCode
	if len(resp.Coordinators) > 0 {
		code = resp.Coordinators[0].ErrorCode
	}
	if code != kerr.GroupAuthorizationFailed.Code {
		t.Errorf("FindCoordinator(bad): %d, want GROUP_AUTHORIZATION_FAILED", code)
	}
}

func TestACLsMetadataHidesTopics(t *testing.T) {
	k, gw := startACLGateway(t)
	cl := newClient(t, gw.Bootstrap)
	adm := kadm.NewClient(cl)
	ctx := ctxT(t, 10*time.Second)
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := topics.Names()
	slices.Sort(names)
	if !slices.Equal(names, []string{"allowed", "visible"}) {
		t.Errorf("listed topics %v, want [allowed visible]", names)
	}
	// Named, the hidden topic is refused.
	named := kmsg.NewPtrMetadataRequest()
	named.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("secret")}, {Topic: kmsg.StringPtr("visible")}}
	nresp, err := named.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int16{}
	for _, tp := range nresp.Topics {
		codes[*tp.Topic] = tp.ErrorCode
	}
	if len(codes) != 2 || codes["secret"] != kerr.TopicAuthorizationFailed.Code || codes["visible"] != 0 {
		t.Errorf("metadata of secret and visible: %v, want secret %d and visible 0", codes, kerr.TopicAuthorizationFailed.Code)
	}

	// Auto-creation needs CREATE: a describable topic the principal may
	// not create is refused and not created.
	meta := kmsg.NewPtrMetadataRequest()
	meta.AllowAutoTopicCreation = true
	meta.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("allowed-but-not-new")}}
	resp, err := meta.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if code := resp.Topics[0].ErrorCode; code != kerr.TopicAuthorizationFailed.Code {
		t.Errorf("auto-create without CREATE: %d, want TOPIC_AUTHORIZATION_FAILED", code)
	}
	direct := kadm.NewClient(newClient(t, k.Bootstrap[0]))
	all, err := direct.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if all.Has("allowed-but-not-new") {
		t.Error("the backend created a topic the principal may not create")
	}

	// ACLs cannot be changed through the gateway.
	b := kadm.NewACLs().Allow("User:*").Topics("x").Operations(kadm.OpRead).ResourcePatternType(kadm.ACLPatternLiteral)
	results, err := adm.CreateACLs(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !errors.Is(r.Err, kerr.ClusterAuthorizationFailed) {
			t.Errorf("CreateACLs: %v, want CLUSTER_AUTHORIZATION_FAILED", r.Err)
		}
	}
}

// recordBatch is one record, encoded as a v2 batch.
func recordBatch(t *testing.T, value string) []byte {
	t.Helper()
	rec := kmsg.Record{Value: []byte(value)}
	rec.Length = int32(len(rec.AppendTo(nil)) - 1)
	batch := kmsg.RecordBatch{
		Magic:                2,
		NumRecords:           1,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		FirstSequence:        -1,
		FirstTimestamp:       time.Now().UnixMilli(),
		MaxTimestamp:         time.Now().UnixMilli(),
		LastOffsetDelta:      0,
		PartitionLeaderEpoch: -1,
		Records:              rec.AppendTo(nil),
	}
	raw := batch.AppendTo(nil)
	batch.Length = int32(len(raw) - 12) // after base offset and length
	raw = batch.AppendTo(nil)
	batch.CRC = int32(crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli))) // from attributes on
	return batch.AppendTo(nil)
}

// TestACLsBehindNamespace pins that rules see the names clients use when a
// namespace hides its prefix, also for requests naming topics by id
// (Produce v13, Fetch v13+).
func TestACLsBehindNamespace(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{VirtualCluster: `namespace: {prefix: "team-a."}
acl_mode: enforce_on_gateway
cluster_policies:
  - type: acls
    config:
      rules:
        - {resource_type: topic, action: allow, operations: [{name: all}], resource_names: [{match: orders}]}
        - {resource_type: group, action: allow, operations: [{name: read}], resource_names: [{match: g}]}
`})
	direct := kadm.NewClient(newClient(t, k.Bootstrap[0]))
	createTopic(t, direct, "team-a.orders", 3)
	createTopic(t, direct, "team-a.secret", 3)

	cl := newClient(t, gw.Bootstrap)
	topics, err := kadm.NewClient(cl).ListTopics(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if names := topics.Names(); !slices.Equal(names, []string{"orders"}) {
		t.Errorf("listed %v, want [orders]", names)
	}
	produce(t, cl, "orders", 10, "x")
	cons := newClient(t, gw.Bootstrap, kgo.ConsumerGroup("g"), kgo.ConsumeTopics("orders"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if got := consume(t, cons, 10); len(got) != 10 {
		t.Fatalf("consumed %d records", len(got))
	}
	denied := newClient(t, gw.Bootstrap, kgo.RecordRetries(2), kgo.RetryTimeout(5*time.Second))
	err = denied.ProduceSync(ctxT(t, 20*time.Second), &kgo.Record{Topic: "secret", Value: []byte("no")}).FirstErr()
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("produce to secret: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
}
