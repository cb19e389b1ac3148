// Operations through the gateway: metrics and health, shutdown, several
// clusters in one process, brokers outside the port range.
package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/testenv"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthAndMetrics(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	base := "http://" + gw.AdminAddr()
	if code, body := httpGet(t, base+"/health/live"); code != 200 {
		t.Fatalf("live: %d %s", code, body)
	}
	if code, body := httpGet(t, base+"/health/ready"); code != 200 {
		t.Fatalf("ready: %d %s", code, body)
	}
	cl := newClient(t, gw.Bootstrap, kgo.AllowAutoTopicCreation())
	produce(t, cl, "metered", 50, "m")
	_, body := httpGet(t, base+"/metrics")
	for _, want := range []string{
		`strait_requests_total{api="Produce",listener="plain",virtual_cluster="vc"}`,
		`strait_requests_total{api="Metadata",listener="plain",virtual_cluster="vc"}`,
		`strait_request_duration_seconds_bucket{api="Produce",listener="plain",virtual_cluster="vc",le="0.005"}`,
		`strait_client_connections_active{listener="plain",virtual_cluster="vc"}`,
		`strait_client_connections_total{listener="plain",virtual_cluster="vc"}`,
		`strait_client_bytes_in_total{listener="plain",virtual_cluster="vc"}`,
		`strait_client_bytes_out_total{listener="plain",virtual_cluster="vc"}`,
		`strait_backend_metadata_refreshes_total{backend_cluster="kafka",result="ok"}`,
	} {
		v, ok := metricValue(body, want)
		if !ok {
			t.Errorf("metric %s missing", want)
			continue
		}
		if v <= 0 {
			t.Errorf("metric %s = %v, want > 0", want, v)
		}
	}
	// A frame with an unknown key is counted as an error.
	c := rawConn(t, gw.Bootstrap)
	_, _ = c.Write(frame(3, 999, 1, nil))
	expectClosed(t, c)
	_, body = httpGet(t, base+"/metrics")
	if v, _ := metricValue(body, `strait_request_errors_total{api="Metadata",listener="plain",virtual_cluster="vc"}`); v != 1 {
		t.Errorf("errors for Metadata = %v, want 1", v)
	}
}

// metricValue finds a series line in Prometheus text output.
func metricValue(body, series string) (float64, bool) {
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

// TestShutdownDrainsInFlight stops the gateway while a produce request is
// in flight at the backend: the request completes, then the gateway closes.
func TestShutdownDrainsInFlight(t *testing.T) {
	k := testenv.Embedded(t, 1)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	cl := newClient(t, gw.Bootstrap, kgo.AllowAutoTopicCreation(), kgo.DisableIdempotentWrite(),
		kgo.RecordRetries(0), kgo.RequestRetries(0))
	produce(t, cl, "drain", 1, "warm")

	inflight := make(chan struct{}, 1)
	k.Fake.ControlKey(0, func(kmsg.Request) (kmsg.Response, error, bool) {
		select {
		case inflight <- struct{}{}:
		default:
		}
		time.Sleep(700 * time.Millisecond)
		return nil, nil, false
	})
	k.Fake.KeepControl()
	done := make(chan error, 1)
	go func() {
		done <- cl.ProduceSync(context.Background(), &kgo.Record{Topic: "drain", Value: []byte("during shutdown")}).FirstErr()
	}()
	<-inflight
	stopped := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		gw.Stop(ctx)
		close(stopped)
	}()
	// Listeners close at once: new clients are refused.
	testenv.WaitFor(t, 2*time.Second, "bootstrap port closed", func() bool {
		c, err := net.Dial("tcp", gw.Bootstrap)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	if err := <-done; err != nil {
		t.Fatalf("in-flight produce failed during shutdown: %v", err)
	}
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("gateway did not stop after draining")
	}
}

// TestSeveralClustersOneProcess serves two backends and three virtual
// clusters (two on one backend) on three listeners.
func TestSeveralClustersOneProcess(t *testing.T) {
	a := testenv.Embedded(t, 3)
	b := testenv.Embedded(t, 1)
	pa, pb, pc := testenv.FreePorts(t, 5), testenv.FreePorts(t, 3), testenv.FreePorts(t, 5)
	q := func(addrs []string) string {
		out := make([]string, len(addrs))
		for i, s := range addrs {
			out[i] = strconv.Quote(s)
		}
		return strings.Join(out, ", ")
	}
	text := fmt.Sprintf(`admin: {address: "127.0.0.1:0"}
observability: {log_level: warn}
backend_clusters:
  - {name: a, bootstrap_servers: [%s], metadata_update_interval: 1s}
  - {name: b, bootstrap_servers: [%s], metadata_update_interval: 1s}
virtual_clusters:
  - {name: team-a, destination: a}
  - {name: team-b, destination: b}
  - {name: team-a2, destination: a}
listeners:
  - name: la
    ports: ["%d-%d"]
    policies:
      - {type: forward_to_virtual_cluster, config: {type: port_mapping, destination: team-a, advertised_host: 127.0.0.1}}
  - name: lb
    ports: [%d, %d, "%d"]
    policies:
      - {type: forward_to_virtual_cluster, config: {type: port_mapping, destination: team-b, advertised_host: 127.0.0.1}}
  - name: lc
    ports: ["%d-%d"]
    policies:
      - {type: forward_to_virtual_cluster, config: {type: port_mapping, destination: team-a2, advertised_host: 127.0.0.1}}
`, q(a.Bootstrap), q(b.Bootstrap), pa, pa+4, pb, pb+1, pb+2, pc, pc+4)
	testenv.StartConfig(t, text, nil)

	for _, tc := range []struct {
		port    int
		direct  string
		topic   string
		brokers int
	}{
		{pa, a.Bootstrap[0], "via-a", 3},
		{pb, b.Bootstrap[0], "via-b", 1},
		{pc, a.Bootstrap[0], "via-a2", 3},
	} {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(tc.port))
		cl := newClient(t, addr, kgo.AllowAutoTopicCreation())
		md, err := kadm.NewClient(cl).BrokerMetadata(ctxT(t, 10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if len(md.Brokers) != tc.brokers {
			t.Fatalf("%s: %d brokers, want %d", addr, len(md.Brokers), tc.brokers)
		}
		for _, br := range md.Brokers {
			if int(br.Port) != tc.port+1+int(br.NodeID) {
				t.Errorf("%s: broker %d on port %d", addr, br.NodeID, br.Port)
			}
		}
		produce(t, cl, tc.topic, 20, tc.topic)
		// The records are in the backend the virtual cluster points at.
		direct := newClient(t, tc.direct, kgo.ConsumeTopics(tc.topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if got := consume(t, direct, 20); string(got[0].Value[:len(tc.topic)]) != tc.topic {
			t.Fatalf("unexpected record %s", got[0].Value)
		}
	}
}

// TestBrokerOutsidePortRange: a backend broker with no port is reported in
// the log with the config path and left out of metadata, not misrouted.
func TestBrokerOutsidePortRange(t *testing.T) {
	k := testenv.Embedded(t, 3)
	logs := &testenv.SyncBuffer{}
	gw := testenv.StartGateway(t, k, testenv.Options{BrokerPorts: 2, LogWriter: logs})
	md, err := kadm.NewClient(newClient(t, gw.Bootstrap)).BrokerMetadata(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Brokers) != 2 {
		t.Fatalf("metadata lists %d brokers, want the 2 with ports", len(md.Brokers))
	}
	for _, b := range md.Brokers {
		if b.NodeID == 2 {
			t.Fatal("broker 2 advertised without a port")
		}
	}
	want := fmt.Sprintf(`listeners[0].policies[0].config: broker id 2 has no port: listener "plain" maps broker ids 0-1 to ports %d-%d`, gw.FirstBrokerPort, gw.FirstBrokerPort+1)
	unquoted := func() string { return strings.ReplaceAll(logs.String(), `\"`, `"`) }
	testenv.WaitFor(t, 5*time.Second, "the broker range error in the log", func() bool { return strings.Contains(unquoted(), want) })
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("not logged as an error:\n%s", logs.String())
	}
}

// TestReadyDuringBrokerChanges checks readiness without pause, as a
// /health/ready probe may, while brokers join and leave and the gateway
// refreshes metadata every few milliseconds: neither may block the other.
func TestReadyDuringBrokerChanges(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{MetadataUpdateInterval: 5 * time.Millisecond})
	var checks atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			gw.Ready()
			checks.Add(1)
		}
	}()
	defer func() { close(stop); <-done }()
	answers := func(port int) bool {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	for range 20 {
		id, _, err := k.Fake.AddNode(3, 0)
		if err != nil {
			t.Fatal(err)
		}
		port := gw.FirstBrokerPort + int(id)
		testenv.WaitFor(t, 5*time.Second, "new broker's port answering", func() bool { return answers(port) })
		if err := k.Fake.RemoveNode(id); err != nil {
			t.Fatal(err)
		}
		testenv.WaitFor(t, 5*time.Second, "departed broker's port released", func() bool { return !answers(port) })
		before := checks.Load()
		testenv.WaitFor(t, 5*time.Second, "readiness checks going on", func() bool { return checks.Load() > before })
	}
}
