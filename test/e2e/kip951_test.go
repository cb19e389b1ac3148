// KIP-951 leader endpoints in Fetch responses.
package e2e

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/testenv"
)

func fetchMax(t *testing.T, cl *kgo.Client) int16 {
	t.Helper()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctxT(t, 10*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range resp.ApiKeys {
		if k.ApiKey == 1 {
			return k.MaxVersion
		}
	}
	t.Fatal("Fetch not advertised")
	return 0
}

// By default Fetch is offered up to v15, so responses carry no leader
// endpoints and are forwarded without a copy.
func TestFetchCappedByDefault(t *testing.T) {
	k := testenv.Embedded(t, 1)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	if v := fetchMax(t, newClient(t, gw.Bootstrap)); v != 15 {
		t.Fatalf("Fetch max %d, want 15", v)
	}
}

// With fetch_leader_endpoints, a Fetch sent to a former leader names the
// new leader by its gateway address, never the backend's.
func TestFetchLeaderEndpointsRewritten(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{FetchLeaderEndpoints: true})
	cl := newClient(t, gw.Bootstrap)
	if v := fetchMax(t, cl); v < 16 {
		t.Fatalf("Fetch max %d, want >= 16", v)
	}
	adm := kadm.NewClient(cl)
	createTopic(t, adm, "k951", 1)
	produce(t, cl, "k951", 5, "x")
	td, err := adm.ListTopics(ctxT(t, 10*time.Second), "k951")
	if err != nil {
		t.Fatal(err)
	}
	topicID := td["k951"].ID
	old := k.Fake.LeaderFor("k951", 0)
	to := (old + 1) % 3
	if err := k.Fake.MoveTopicPartition("k951", 0, to); err != nil {
		t.Fatal(err)
	}

	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis = 10
	req.MaxBytes = 1 << 20
	rt := kmsg.NewFetchRequestTopic()
	rt.TopicID = topicID
	rt.Topic = "k951"
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.PartitionMaxBytes = 1 << 20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	kresp, err := cl.Broker(int(old)).Request(ctxT(t, 10*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	resp := kresp.(*kmsg.FetchResponse)
	if resp.Version < 16 {
		t.Fatalf("fetch answered at v%d", resp.Version)
	}
	p := resp.Topics[0].Partitions[0]
	if p.ErrorCode != 6 || p.CurrentLeader.LeaderID != to {
		t.Fatalf("partition: error %d, current leader %d; want NOT_LEADER_OR_FOLLOWER and %d", p.ErrorCode, p.CurrentLeader.LeaderID, to)
	}
	if len(resp.Brokers) == 0 {
		t.Fatal("no leader endpoints in the response")
	}
	for _, b := range resp.Brokers {
		if b.Host != "127.0.0.1" || int(b.Port) != gw.FirstBrokerPort+int(b.NodeID) {
			t.Errorf("leader endpoint %d: %s:%d is not the gateway's", b.NodeID, b.Host, b.Port)
		}
	}
	// Consuming through v16+ still works end to end.
	cons := newClient(t, gw.Bootstrap, kgo.ConsumeTopics("k951"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if got := consume(t, cons, 5); len(got) != 5 {
		t.Fatalf("got %d", len(got))
	}
}
