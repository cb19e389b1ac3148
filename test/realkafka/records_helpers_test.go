// This file holds what the record policy tests (records_test.go) run
// beside Kafka: a local KMS (github.com/nsmithuk/local-kms, a tool
// dependency in go.mod), the schema registry and the Avro clients of
// records_clients.py, a gateway they can stop and start again, and
// readers of the gateway's record policy counters and of Kafka's own logs.

package realkafka

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/gateway"
	"github.com/strait-gw/strait/internal/testenv"
)

// missingTool skips the test for want of an outside tool, or fails it
// where tools are required (make test, CI).
func missingTool(t *testing.T, msg string) {
	t.Helper()
	if testenv.ToolsRequired() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// localKMS is a local-kms process and a KMS client for it.
type localKMS struct {
	endpoint string
	client   *kms.Client
	cmd      *exec.Cmd
	exited   chan struct{}
	once     sync.Once
}

// startLocalKMS builds local-kms at the version go.mod pins and starts it
// on a free loopback port, with its database in a temporary directory. It
// returns nil, having logged why, when it cannot be built and tools are
// not required. It is stopped when the test ends, if not before.
func startLocalKMS(t *testing.T) *localKMS {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "local-kms")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, goBin, "build", "-o", bin, "github.com/nsmithuk/local-kms").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("building local-kms: %v\n%s", err, out)
		if testenv.ToolsRequired() {
			t.Fatal(msg)
		}
		t.Log(msg)
		return nil
	}
	port := testenv.FreePorts(t, 1)
	logPath := filepath.Join(dir, "local-kms.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), fmt.Sprint("PORT=", port), "KMS_REGION=eu-west-2", "KMS_ACCOUNT_ID=111122223333",
		"KMS_DATA_PATH="+filepath.Join(dir, "data"), "KMS_SEED_PATH="+filepath.Join(dir, "no-seed.yaml"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lk := &localKMS{endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, exited: make(chan struct{})}
	go func() { // ends with the process, which stop ends
		_ = cmd.Wait()
		logFile.Close()
		close(lk.exited)
	}()
	t.Cleanup(func() {
		lk.stop(t)
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("local-kms log:\n%s", b)
			}
		}
	})
	testenv.WaitFor(t, 30*time.Second, "local-kms to listen", func() bool {
		select {
		case <-lk.exited:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("local-kms exited:\n%s", b)
		default:
		}
		c, err := net.DialTimeout("tcp", addr(port), time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	lk.client = kms.New(kms.Options{Region: "eu-west-2", BaseEndpoint: aws.String(lk.endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCALKMS", "local-kms-secret", "")})
	return lk
}

// createKey makes a symmetric key and returns its ARN.
func (lk *localKMS) createKey(t *testing.T) string {
	t.Helper()
	out, err := lk.client.CreateKey(ctxFor(t, 10*time.Second), &kms.CreateKeyInput{Description: aws.String("strait record policy test")})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return aws.ToString(out.KeyMetadata.Arn)
}

// stop kills the process and waits for it to end.
func (lk *localKMS) stop(t *testing.T) {
	lk.once.Do(func() {
		_ = lk.cmd.Process.Kill()
		select {
		case <-lk.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("local-kms did not exit")
		}
	})
}

// awsEnv points the default AWS configuration, which the gateway's KMS key
// sources load, at lk: fixed credentials, no shared files, no instance
// metadata, one attempt per call (a stopped KMS fails at once).
func awsEnv(t *testing.T, lk *localKMS) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDLOCALKMS",
		"AWS_SECRET_ACCESS_KEY":       "local-kms-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "eu-west-2",
		"AWS_DEFAULT_REGION":          "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_KMS":        lk.endpoint,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_MAX_ATTEMPTS":            "1",
	} {
		t.Setenv(k, v)
	}
}

// registryURL is the Confluent API of the schema registry the tests use
// (STRAIT_SCHEMA_REGISTRY_URL, as test/registry/start.sh prints it), or ""
// when there is none and tools are not required.
func registryURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("STRAIT_SCHEMA_REGISTRY_URL")
	if u == "" && testenv.ToolsRequired() {
		t.Fatal("STRAIT_SCHEMA_REGISTRY_URL is not set: start a registry with test/registry/start.sh and export the URL it prints")
	}
	return strings.TrimRight(u, "/")
}

// avroPython is the Python of confluentPython with confluent-kafka's Avro
// serializer, installed into it (the extra of the confluent-kafka it has)
// when it lacks it.
func avroPython(t *testing.T) string {
	t.Helper()
	py := confluentPython(t)
	const probe = "import confluent_kafka.schema_registry.avro"
	if exec.Command(py, "-c", probe).Run() == nil {
		return py
	}
	v, err := exec.Command(py, "-c", "import confluent_kafka; print(confluent_kafka.version()[0])").Output()
	if err != nil {
		t.Fatalf("confluent-kafka version: %v", err)
	}
	spec := "confluent-kafka[avro]==" + strings.TrimSpace(string(v))
	out, errOut, err := runCmd(5*time.Minute, nil, nil, py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", spec)
	if err != nil || exec.Command(py, "-c", probe).Run() != nil {
		missingTool(t, fmt.Sprintf("pip install %s: %v\n%s%s", spec, err, out, errOut))
	}
	return py
}

// restartable is a gateway a test can stop before its end.
type restartable struct {
	*gateway.Gateway
	once sync.Once
}

// startRestartable serves a gateway from text, logging to w, and waits
// until it is ready; it is stopped when the test ends unless stop came
// first.
func startRestartable(t *testing.T, text string, w io.Writer) *restartable {
	t.Helper()
	cfg, err := config.Parse([]byte(text), ".")
	if err != nil {
		t.Fatalf("gateway config: %v\n%s", err, text)
	}
	if v := os.Getenv("STRAIT_TEST_LOG"); v != "" {
		cfg.Observability.LogLevel = v
	}
	g, err := gateway.New(cfg, newTestLogger(w, cfg.Observability.LogLevel))
	if err != nil {
		t.Fatalf("gateway: %v", err)
	}
	if err := g.Start(); err != nil {
		t.Fatalf("gateway start: %v", err)
	}
	r := &restartable{Gateway: g}
	t.Cleanup(r.stop)
	testenv.WaitFor(t, 30*time.Second, "gateway ready", func() bool { ok, _ := g.Ready(); return ok })
	return r
}

// stop stops the gateway, once.
func (r *restartable) stop() {
	r.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Stop(ctx)
	})
}

// policyCounts reads strait_record_policy_records_total from the admin
// server, as "virtual_cluster/policy/event" -> count.
func policyCounts(t *testing.T, adminAddr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + adminAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^strait_record_policy_records_total\{([^}]*)\} (\S+)$`)
	label := regexp.MustCompile(`(\w+)="([^"]*)"`)
	out := map[string]float64{}
	for _, m := range re.FindAllStringSubmatch(string(body), -1) {
		l := map[string]string{}
		for _, kv := range label.FindAllStringSubmatch(m[1], -1) {
			l[kv[1]] = kv[2]
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		out[l["virtual_cluster"]+"/"+l["policy"]+"/"+l["event"]] += v
	}
	return out
}

// pos is where a record is in Kafka.
type pos struct {
	topic     string
	partition int32
	offset    int64
}

func posOf(r *kgo.Record) pos { return pos{r.Topic, r.Partition, r.Offset} }

// readN polls cl until it has n records, failing the test on any fetch
// error or after timeout.
func readN(t *testing.T, cl *kgo.Client, n int, timeout time.Duration) []*kgo.Record {
	t.Helper()
	ctx := ctxFor(t, timeout)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records", len(out), n)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s[%d]: %v", topic, p, err) })
		out = append(out, fs.Records()...)
	}
	if len(out) > n {
		t.Fatalf("read %d records, want %d", len(out), n)
	}
	return out
}

// headerList is a record's headers as key=value, in order.
func headerList(r *kgo.Record) string {
	parts := make([]string, len(r.Headers))
	for i, h := range r.Headers {
		parts[i] = h.Key + "=" + string(h.Value)
	}
	return strings.Join(parts, ",")
}

// header is the last value of a record's header key, and whether it has
// one.
func header(r *kgo.Record, key string) (string, bool) {
	v, ok := "", false
	for _, h := range r.Headers {
		if h.Key == key {
			v, ok = string(h.Value), true
		}
	}
	return v, ok
}

// produceRaw sends one uncompressed batch of values to partition 0 of
// topic through boot, on a new connection to its leader, and returns the
// partition's error code and message: the message, which franz-go's
// produce path drops, is where a refusal names its policy.
func produceRaw(t *testing.T, boot, topic string, values ...string) (int16, string) {
	t.Helper()
	vs := kversion.Stable()
	vs.SetMaxKeyVersion(int16(kmsg.Produce), 12) // v13+ names topics by id
	cl := client(t, boot, kgo.MaxVersions(vs))
	defer cl.Close()
	ctx := ctxFor(t, 20*time.Second)
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	meta.Topics = append(meta.Topics, mt)
	mresp, err := meta.RequestWith(ctx, cl)
	if err != nil || len(mresp.Topics) != 1 || len(mresp.Topics[0].Partitions) == 0 {
		t.Fatalf("metadata of %s: %v", topic, err)
	}
	var leader int32 = -1
	for _, p := range mresp.Topics[0].Partitions {
		if p.Partition == 0 {
			leader = p.Leader
		}
	}
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = recordBatch(-1, -1, -1, false, values...)
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := cl.Broker(int(leader)).Request(ctx, req)
	if err != nil {
		t.Fatalf("produce to %s through broker %d: %v", topic, leader, err)
	}
	pr := resp.(*kmsg.ProduceResponse)
	if len(pr.Topics) != 1 || len(pr.Topics[0].Partitions) != 1 {
		t.Fatalf("produce response for %d topics", len(pr.Topics))
	}
	p := pr.Topics[0].Partitions[0]
	msg := ""
	if p.ErrorMessage != nil {
		msg = *p.ErrorMessage
	}
	return p.ErrorCode, msg
}

// newTestLogger logs to w at level.
func newTestLogger(w io.Writer, level string) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}
