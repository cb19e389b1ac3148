// Topic aliases through the gateway: one topic reached under a second name
// by franz-go producers, consumers, groups and the admin client, and an
// alias that exists only for clients with a certificate.
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

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/testenv"
	"github.com/strait-gw/strait/internal/vcluster"
)

const aliasConfig = `topic_aliases:
  - {alias: orders-v1, topic: orders}
  - {alias: orders-cert, topic: orders, condition: "context.auth.type == 'client_certificate'"}`

// listedTopics lists the topics an admin client sees.
func listedTopics(t *testing.T, adm *kadm.Client) []string {
	t.Helper()
	tds, err := adm.ListTopics(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	names := tds.Names()
	slices.Sort(names)
	return names
}

// valuesByTopic counts records per topic and checks their values start
// with one of prefixes.
func valuesByTopic(t *testing.T, recs []*kgo.Record, prefixes ...string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, r := range recs {
		n[r.Topic]++
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(string(r.Value), p) }) {
			t.Errorf("record %q on %s", r.Value, r.Topic)
		}
	}
	return n
}

// skipUnlessAliasesWired skips while the gateway refuses topic_aliases
// (internal/vcluster before the alias policy is wired in).
func skipUnlessAliasesWired(t *testing.T) {
	t.Helper()
	vc := &config.VirtualCluster{Name: "vc", TopicAliases: []config.TopicAlias{{Alias: "a", Topic: "b", Conflict: "warn"}}}
	if _, err := vcluster.Chain(vc, policy.Env{VirtualCluster: "vc"}); err != nil && strings.Contains(err.Error(), "not built yet") {
		t.Skipf("topic_aliases not wired into the gateway yet: %v", err)
	}
}

func TestTopicAliases(t *testing.T) {
	skipUnlessAliasesWired(t)
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{VirtualCluster: aliasConfig})
	cl := newClient(t, gw.Bootstrap)
	adm := kadm.NewClient(cl)
	createTopic(t, adm, "orders", 3)
	testenv.WaitFor(t, 10*time.Second, "orders listed", func() bool {
		return slices.Contains(listedTopics(t, adm), "orders")
	})

	t.Run("metadata lists both names", func(t *testing.T) {
		if got, want := listedTopics(t, adm), []string{"orders", "orders-v1"}; !slices.Equal(got, want) {
			t.Fatalf("listed %q, want %q (orders-cert is for certificate holders only)", got, want)
		}
		req := kmsg.NewPtrMetadataRequest()
		for _, n := range []string{"orders-v1", "orders", "orders-cert"} {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(n)
			req.Topics = append(req.Topics, rt)
		}
		resp, err := req.RequestWith(ctxT(t, 10*time.Second), cl)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]kmsg.MetadataResponseTopic{}
		for _, rt := range resp.Topics {
			byName[*rt.Topic] = rt
		}
		alias, target, cert := byName["orders-v1"], byName["orders"], byName["orders-cert"]
		if alias.ErrorCode != 0 || len(alias.Partitions) != 3 {
			t.Errorf("orders-v1: error %d, %d partitions; want the 3 partitions of orders", alias.ErrorCode, len(alias.Partitions))
		}
		if resp.Version >= 10 && (alias.TopicID != [16]byte{} || target.TopicID == [16]byte{}) {
			t.Errorf("topic ids: alias %x, target %x; the alias has none of its own", alias.TopicID, target.TopicID)
		}
		if cert.ErrorCode != kerr.UnknownTopicOrPartition.Code {
			t.Errorf("orders-cert for an anonymous client: error %d, want UNKNOWN_TOPIC_OR_PARTITION", cert.ErrorCode)
		}
	})

	t.Run("produce to the alias, consume the topic", func(t *testing.T) {
		produce(t, cl, "orders-v1", 30, "via-alias")
		c := newClient(t, gw.Bootstrap, kgo.ConsumeTopics("orders"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		got := valuesByTopic(t, consume(t, c, 30), "via-alias")
		if got["orders"] != 30 {
			t.Errorf("consumed %v, want 30 on orders", got)
		}
	})

	t.Run("produce to the topic, consume the alias", func(t *testing.T) {
		produce(t, cl, "orders", 20, "direct")
		c := newClient(t, gw.Bootstrap, kgo.ConsumeTopics("orders-v1"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		got := valuesByTopic(t, consume(t, c, 50), "via-alias", "direct")
		if got["orders-v1"] != 50 || len(got) != 1 {
			t.Errorf("consumed %v, want all 50 records under orders-v1", got)
		}
	})

	t.Run("offsets through the alias", func(t *testing.T) {
		ends, err := adm.ListEndOffsets(ctxT(t, 10*time.Second), "orders-v1")
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		ends.Each(func(o kadm.ListedOffset) {
			if o.Topic != "orders-v1" || o.Err != nil {
				t.Errorf("end offset %s/%d: %v", o.Topic, o.Partition, o.Err)
			}
			total += o.Offset
		})
		if total != 50 {
			t.Errorf("end offsets of orders-v1 add up to %d, want 50", total)
		}
	})

	t.Run("consumer group through the alias", func(t *testing.T) {
		c := newClient(t, gw.Bootstrap, kgo.ConsumerGroup("alias-g"), kgo.ConsumeTopics("orders-v1"),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
		recs := consume(t, c, 50)
		if got := valuesByTopic(t, recs, "via-alias", "direct"); got["orders-v1"] != 50 {
			t.Errorf("group consumed %v, want 50 under orders-v1", got)
		}
		if err := c.CommitRecords(ctxT(t, 10*time.Second), recs...); err != nil {
			t.Fatalf("commit: %v", err)
		}
		// The commit is the topic's: one partition, one offset per group.
		fetched, err := adm.FetchOffsets(ctxT(t, 10*time.Second), "alias-g")
		if err != nil {
			t.Fatal(err)
		}
		var committed int64
		fetched.Each(func(o kadm.OffsetResponse) {
			if o.Topic != "orders" {
				t.Errorf("offset committed for %s/%d, want orders", o.Topic, o.Partition)
			}
			committed += o.At
		})
		if committed != 50 {
			t.Errorf("committed offsets add up to %d, want 50", committed)
		}
		// Asked by alias, the offsets come back under the alias. (A
		// listing of every offset of the group names the topic.)
		req := kmsg.NewPtrOffsetFetchRequest()
		req.Group = "alias-g"
		rt := kmsg.NewOffsetFetchRequestTopic()
		rt.Topic = "orders-v1"
		rt.Partitions = []int32{0, 1, 2}
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctxT(t, 10*time.Second), cl)
		if err != nil {
			t.Fatal(err)
		}
		// franz-go fills the v0-7 fields from the v8+ ones.
		committed = 0
		for _, ft := range resp.Topics {
			for _, p := range ft.Partitions {
				if ft.Topic != "orders-v1" || p.ErrorCode != 0 {
					t.Errorf("offset %s/%d: error %d", ft.Topic, p.Partition, p.ErrorCode)
				}
				committed += p.Offset
			}
		}
		if committed != 50 {
			t.Errorf("offsets of orders-v1 add up to %d, want 50", committed)
		}
		// A new member resumes from the commits: nothing to re-read.
		c.Close()
		produce(t, cl, "orders-v1", 5, "later")
		again := newClient(t, gw.Bootstrap, kgo.ConsumerGroup("alias-g"), kgo.ConsumeTopics("orders-v1"))
		if got := valuesByTopic(t, consume(t, again, 5), "later"); got["orders-v1"] != 5 {
			t.Errorf("resumed member consumed %v, want the 5 later records under orders-v1", got)
		}
	})

	t.Run("configs read through the alias", func(t *testing.T) {
		rcs, err := adm.DescribeTopicConfigs(ctxT(t, 10*time.Second), "orders-v1")
		if err != nil {
			t.Fatal(err)
		}
		rc, err := rcs.On("orders-v1", nil)
		if err != nil || rc.Err != nil {
			t.Fatalf("describe configs of orders-v1: %v %v", err, rc.Err)
		}
	})

	t.Run("administrative changes through the alias fail", func(t *testing.T) {
		ctx := ctxT(t, 10*time.Second)
		created, err := adm.CreateTopics(ctx, 1, -1, nil, "orders-v1")
		if err != nil {
			t.Fatal(err)
		}
		if err := created["orders-v1"].Err; !errors.Is(err, kerr.InvalidTopicException) {
			t.Errorf("create orders-v1: %v, want INVALID_TOPIC_EXCEPTION", err)
		}
		deleted, err := adm.DeleteTopics(ctx, "orders-v1")
		if err != nil {
			t.Fatal(err)
		}
		if err := deleted["orders-v1"].Err; !errors.Is(err, kerr.InvalidTopicException) {
			t.Errorf("delete orders-v1: %v, want INVALID_TOPIC_EXCEPTION", err)
		}
		if got := listedTopics(t, adm); !slices.Equal(got, []string{"orders", "orders-v1"}) {
			t.Errorf("after the refused changes: %q", got)
		}
		// The backend never saw a topic called like the alias.
		direct := kadm.NewClient(newClient(t, k.Bootstrap[0]))
		if got := listedTopics(t, direct); slices.Contains(got, "orders-v1") {
			t.Errorf("backend has a topic orders-v1: %q", got)
		}
	})
}
