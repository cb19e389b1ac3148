// Record policies against real Apache Kafka with real clients. One
// gateway serves four virtual clusters in front of the test cluster:
// "apps", whose produce policies stamp headers, encrypt keys and values
// (static key, or an AWS KMS key on local-kms) and validate JSON and
// Confluent-registry Avro, and whose consume policies skip flagged records,
// decrypt, stamp and mark invalid Avro; "audit", without policies, which
// reads ciphertext; and two that decrypt with failure_mode skip and mark.
// kcat (librdkafka) and Kafka's console producer write with every codec;
// what Kafka stores is read directly; kcat, the console consumer,
// franz-go and confluent-kafka's Avro deserializer read back through the
// gateway. The static key is rotated across a restart at the end.

package realkafka

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strait-gw/strait/internal/crypt"
	"github.com/strait-gw/strait/internal/testenv"
)

// recordCodecs are the codecs producers write with, by the names kcat and
// the console producer take and the batch attribute Kafka stores.
var recordCodecs = []struct {
	name string
	id   uint8
}{{"none", 0}, {"gzip", 1}, {"snappy", 2}, {"lz4", 3}, {"zstd", 4}}

// perCodec is how many records each producer writes with each codec.
const perCodec = 12

// recordTopics are one run's topics; the policies pick them by prefix.
type recordTopics struct {
	kcat, java, tamper, rotate string // rp-enc-: stamped, encrypted with a static key
	kms                        string // rp-kms-: encrypted with the KMS key
	json, txn                  string // rp-json-: JSON
	avro                       string // rp-avro-: Avro in Confluent's wire format
	skip                       string // rp-skip-: records flagged "drop" are hidden
}

func newRecordTopics(run string) recordTopics {
	return recordTopics{
		kcat: "rp-enc-kcat-" + run, java: "rp-enc-java-" + run, tamper: "rp-enc-tamper-" + run, rotate: "rp-enc-rotate-" + run,
		kms: "rp-kms-" + run, json: "rp-json-" + run, txn: "rp-json-txn-" + run, avro: "rp-avro-" + run, skip: "rp-skip-" + run,
	}
}

// partitions is the partition count of each topic.
func (tp recordTopics) partitions() map[string]int32 {
	return map[string]int32{tp.kcat: 3, tp.java: 3, tp.tamper: 2, tp.rotate: 1, tp.kms: 1, tp.json: 1, tp.txn: 2, tp.avro: 1, tp.skip: 2}
}

// recordsGateway is the gateway's config: which static key encrypt uses
// and which decrypt tries, and the KMS key and registry when there are.
type recordsGateway struct {
	bootstrap                       []string
	base                            int // apps, audit, open-skip and open-mark listen on base, base+5, base+10, base+15
	k1, k2                          string
	encrypt                         string
	decrypt                         []string
	kmsARN                          string
	registry                        string
	apps, audit, openSkip, openMark string
}

func newRecordsGateway(bootstrap []string, base int) *recordsGateway {
	key := func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	}
	return &recordsGateway{bootstrap: bootstrap, base: base, k1: key(), k2: key(), encrypt: "k1", decrypt: []string{"k1"},
		apps: addr(base), audit: addr(base + 5), openSkip: addr(base + 10), openMark: addr(base + 15)}
}

func (c *recordsGateway) config() string {
	var b strings.Builder
	fmt.Fprintf(&b, `admin: {address: "127.0.0.1:0"}
runtime: {drain_duration: 1s, shutdown_timeout: 5s}
backend_clusters:
  - {name: kafka, bootstrap_servers: %s, metadata_update_interval: 2s}
static_keys:
  - {name: k1, value: %q}
  - {name: k2, value: %q}
`, quotedList(c.bootstrap), c.k1, c.k2)
	if c.registry != "" {
		fmt.Fprintf(&b, "schema_registries:\n  - {name: apicurio, type: confluent, config: {endpoint: %q}}\n", c.registry)
	}
	var sources []string
	for _, k := range c.decrypt {
		sources = append(sources, "{type: static, key: "+k+"}")
	}
	keySources := "[" + strings.Join(sources, ", ") + "]"
	fmt.Fprintf(&b, `virtual_clusters:
  - name: apps
    destination: kafka
    produce_policies:
      - type: modify_headers
        name: stamp
        condition: "context.topic.name.startsWith('rp-enc-')"
        config: {actions: [{op: set, key: team, value: payments}, {op: remove, key: debug}]}
      - type: encrypt
        name: seal
        condition: "context.topic.name.startsWith('rp-enc-')"
        config: {part_of_record: [key, value], encryption_key: {type: static, key: %s}}
      - type: schema_validation
        name: json-orders
        condition: "context.topic.name.startsWith('rp-json-')"
        config: {type: json, validate_value: true}
`, c.encrypt)
	if c.kmsARN != "" {
		fmt.Fprintf(&b, `      - type: encrypt
        name: seal-kms
        condition: "context.topic.name.startsWith('rp-kms-')"
        config: {encryption_key: {type: aws, arn: %q}}
`, c.kmsARN)
	}
	if c.registry != "" {
		b.WriteString(`      - type: schema_validation
        name: avro-orders
        condition: "context.topic.name.startsWith('rp-avro-')"
        config: {type: confluent_schema_registry, schema_registry: apicurio, validate_value: true}
`)
	}
	fmt.Fprintf(&b, `    consume_policies:
      - type: skip_record
        name: hide-dropped
        condition: "context.topic.name.startsWith('rp-skip-') && 'drop' in record.headers"
      - type: decrypt
        name: open
        condition: "context.topic.name.startsWith('rp-enc-')"
        config: {part_of_record: [key, value], key_sources: %s}
      - type: modify_headers
        name: stamp-read
        condition: "context.topic.name.startsWith('rp-enc-')"
        config: {actions: [{op: set, key: read-via, value: apps}]}
`, keySources)
	if c.kmsARN != "" {
		fmt.Fprintf(&b, `      - type: decrypt
        name: open-kms
        condition: "context.topic.name.startsWith('rp-kms-')"
        config: {key_sources: [{type: aws, arn: %q}]}
`, c.kmsARN)
	}
	if c.registry != "" {
		b.WriteString(`      - type: schema_validation
        name: avro-mark
        condition: "context.topic.name.startsWith('rp-avro-')"
        config: {type: confluent_schema_registry, schema_registry: apicurio, validate_value: true, failure_mode: mark}
`)
	}
	for _, mode := range []string{"skip", "mark"} {
		fmt.Fprintf(&b, `  - name: open-%s
    destination: kafka
    consume_policies:
      - type: decrypt
        name: open-or-%s
        condition: "context.topic.name.startsWith('rp-enc-')"
        config: {part_of_record: [key, value], failure_mode: %s, key_sources: %s}
`, mode, mode, mode, keySources)
	}
	b.WriteString("  - {name: audit, destination: kafka}\nlisteners:\n")
	for i, vc := range []string{"apps", "audit", "open-skip", "open-mark"} {
		p := c.base + 5*i
		fmt.Fprintf(&b, `  - name: %s
    ports: ["%d-%d"]
    policies:
      - {type: forward_to_virtual_cluster, config: {type: port_mapping, destination: %s, advertised_host: 127.0.0.1, min_broker_id: 1}}
`, vc, p, p+4, vc)
	}
	return b.String()
}

// sentRecord is a record a producer wrote to a codec topic.
type sentRecord struct {
	topic, codec, value string
}

// secretValue is the plaintext value of a codec topic's record:
// compressible, of growing size, and marked "secret" so that no copy of it
// goes unnoticed.
func secretValue(producer, codec string, i int) string {
	return fmt.Sprintf("secret-%s-%s-%02d %s", producer, codec, i, strings.Repeat("payload ", 4+3*i))
}

// propFlag is the console tools' option for a property of their message
// reader or formatter (kind): 4.x deprecated --property, and says so on
// standard output.
func propFlag(version, kind string) string {
	if strings.HasPrefix(version, "3.") {
		return "--property"
	}
	return "--" + kind + "-property"
}

// recordsSuite is what the parts of TestRecordsRealKafka share.
type recordsSuite struct {
	k *testenv.Kafka
	// version and tool are the Kafka version and its kafka-tool.sh.
	version, tool string
	runID         string
	tp            recordTopics
	gw            *recordsGateway
	g             *restartable
	logs          *testenv.SyncBuffer
	lk            *localKMS // nil without local-kms
	adm           *kadm.Client
	// sent is every record written to the codec topics, by key; stored
	// is what Kafka holds for them.
	sent   map[string]sentRecord
	stored map[pos]*kgo.Record
}

// fromStart has a consumer start at the log start.
var fromStart = kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())

// direct is a client of Kafka itself, closed when t ends.
func (s *recordsSuite) direct(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	return client(t, s.k.Bootstrap[0], append([]kgo.Opt{kgo.SeedBrokers(s.k.Bootstrap...)}, opts...)...)
}

// TestRecordsRealKafka: see the file comment. The parts run in order on
// one gateway; the last restarts it.
func TestRecordsRealKafka(t *testing.T) {
	s := newRecordsSuite(t)
	start := time.Now()
	t.Cleanup(func() {
		t.Logf("record policy suite: %v after the gateway started", time.Since(start).Round(time.Second))
	})
	for _, part := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"every codec by kcat and the console producer", s.codecs},
		{"tampered records under each failure mode", s.tampered},
		{"AWS KMS key", s.awsKMS},
		{"schema_validation", s.schemas},
		{"skip_record with a kcat consumer group", s.skipRecords},
		{"metrics", s.metrics},
		{"static key rotated across a restart", s.rotation},
	} {
		t.Run(part.name, part.run)
	}
}

// newRecordsSuite creates the run's topics and starts local-kms (when it
// can be built) and the gateway.
func newRecordsSuite(t *testing.T) *recordsSuite {
	k := realKafka(t)
	kcatPath(t)
	s := &recordsSuite{k: k, version: os.Getenv("STRAIT_KAFKA_VERSION"), tool: filepath.Join(os.Getenv("STRAIT_KAFKA_HARNESS"), "kafka-tool.sh"),
		runID: strconv.Itoa(mrand.IntN(1e9)), sent: map[string]sentRecord{}, stored: map[pos]*kgo.Record{}}
	if s.version == "" || os.Getenv("STRAIT_KAFKA_HARNESS") == "" {
		t.Fatal("STRAIT_KAFKA_VERSION and STRAIT_KAFKA_HARNESS must be set (source test/kafka/env.sh)")
	}
	s.tp = newRecordTopics(s.runID)
	s.adm = kadm.NewClient(s.direct(t))
	for topic, n := range s.tp.partitions() {
		if resp, err := s.adm.CreateTopic(ctxFor(t, 30*time.Second), n, -1, nil, topic); err != nil || resp.Err != nil {
			t.Fatalf("create %s: %v %v", topic, err, resp.Err)
		}
	}
	// librdkafka 2.0 fails the records it holds for a topic a broker
	// does not know yet (see authTopic).
	for topic, n := range s.tp.partitions() {
		for _, b := range k.Bootstrap {
			testenv.WaitFor(t, 30*time.Second, topic+" known to "+b, func() bool { return brokerKnows(b, topic, int(n)) })
		}
	}

	s.gw = newRecordsGateway(k.Bootstrap, authPorts(t, 20))
	if s.lk = startLocalKMS(t); s.lk != nil {
		awsEnv(t, s.lk) // before the gateway loads its AWS configuration
		s.gw.kmsARN = s.lk.createKey(t)
	}
	s.gw.registry = registryURL(t)
	s.logs = &testenv.SyncBuffer{}
	keepLog(t, s.logs)
	t.Cleanup(func() {
		if t.Failed() {
			l := s.logs.String()
			t.Logf("gateway log (last 8000 bytes):\n%s", l[max(0, len(l)-8000):])
		}
	})
	s.g = startRestartable(t, s.gw.config(), s.logs)
	return s
}

// codecs has kcat and the console producer write to the codec topics with
// every codec, and checks what Kafka stores and what each virtual
// cluster reads.
func (s *recordsSuite) codecs(t *testing.T) {
	for _, c := range recordCodecs {
		var in bytes.Buffer
		for i := range perCodec {
			key, value := fmt.Sprintf("kcat-%s-%02d", c.name, i), secretValue("kcat", c.name, i)
			fmt.Fprintf(&in, "%s\t%s\n", key, value)
			s.sent[key] = sentRecord{s.tp.kcat, c.name, value}
		}
		run(t, in.Bytes(), "kcat", "-b", s.gw.apps, "-P", "-t", s.tp.kcat, "-K", `\t`, "-z", c.name,
			"-H", "codec="+c.name, "-H", "debug=1", "-H", "keep=yes", "-X", "linger.ms=50")
	}
	for _, c := range recordCodecs {
		var in bytes.Buffer
		for i := range perCodec {
			key, value := fmt.Sprintf("java-%s-%02d", c.name, i), secretValue("java", c.name, i)
			fmt.Fprintf(&in, "codec:%s,debug:1,keep:yes\t%s\t%s\n", c.name, key, value)
			s.sent[key] = sentRecord{s.tp.java, c.name, value}
		}
		runEnv(t, nil, in.Bytes(), s.tool, s.version, "kafka-console-producer", "--bootstrap-server", s.gw.apps, "--topic", s.tp.java,
			"--compression-codec", c.name, propFlag(s.version, "reader"), "parse.key=true", propFlag(s.version, "reader"), "parse.headers=true")
	}

	t.Run("stored: headers changed, ciphertext, the producer's codec", func(t *testing.T) {
		recs := readN(t, s.direct(t, kgo.ConsumeTopics(s.tp.kcat, s.tp.java), fromStart), len(s.sent), 60*time.Second)
		perCodecTopic := map[string]int{}
		for _, r := range recs {
			s.stored[posOf(r)] = r
			codec, _ := header(r, "codec")
			perCodecTopic[r.Topic+"/"+codec]++
			if got, want := headerList(r), "codec="+codec+",keep=yes,team=payments"; got != want {
				t.Errorf("%s[%d]@%d: stored headers %s, want %s", r.Topic, r.Partition, r.Offset, got, want)
			}
			for _, c := range recordCodecs {
				if c.name == codec && r.Attrs.CompressionType() != c.id {
					t.Errorf("%s[%d]@%d: stored with codec %d, the producer used %s (%d)", r.Topic, r.Partition, r.Offset, r.Attrs.CompressionType(), codec, c.id)
				}
			}
			for part, b := range map[string][]byte{"key": r.Key, "value": r.Value} {
				h, err := crypt.ParseHeader(b)
				switch {
				case !crypt.IsEncrypted(b) || err != nil:
					t.Errorf("%s[%d]@%d: stored %s is not ciphertext (%v): %q", r.Topic, r.Partition, r.Offset, part, err, b)
				case bytes.Contains(b, []byte("secret")) || bytes.Contains(b, []byte("payload")) || bytes.Contains(b, []byte(codec+"-")):
					t.Errorf("%s[%d]@%d: stored %s holds plaintext: %q", r.Topic, r.Partition, r.Offset, part, b)
				case h.Kind != crypt.KindStatic || h.Ref != "k1":
					t.Errorf("%s[%d]@%d: stored %s sealed under %s %q, want static k1", r.Topic, r.Partition, r.Offset, part, h.Kind, h.Ref)
				}
			}
		}
		for _, topic := range []string{s.tp.kcat, s.tp.java} {
			for _, c := range recordCodecs {
				if n := perCodecTopic[topic+"/"+c.name]; n != perCodec {
					t.Errorf("%s: %d records with codec %s, want %d", topic, n, c.name, perCodec)
				}
			}
		}
	})

	t.Run("kcat through apps reads plaintext", func(t *testing.T) {
		got := map[string]bool{}
		for _, topic := range []string{s.tp.kcat, s.tp.java} {
			out := run(t, nil, "kcat", "-b", s.gw.apps, "-C", "-t", topic, "-e", "-q", "-f", `%k\t%s\t%h\n`)
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				f := strings.Split(line, "\t")
				if len(f) != 3 {
					t.Fatalf("kcat printed %q", line)
				}
				w, ok := s.sent[f[0]]
				switch {
				case !ok || w.topic != topic:
					t.Errorf("kcat read key %q from %s, which no producer s.sent there", f[0], topic)
				case f[1] != w.value:
					t.Errorf("kcat read %s=%q, want %q", f[0], f[1], w.value)
				case f[2] != "codec="+w.codec+",keep=yes,team=payments,read-via=apps":
					t.Errorf("kcat read %s with headers %s", f[0], f[2])
				}
				got[f[0]] = true
			}
		}
		if len(got) != len(s.sent) {
			t.Errorf("kcat read %d distinct records, want %d", len(got), len(s.sent))
		}
	})

	t.Run("the console consumer through apps reads plaintext", func(t *testing.T) {
		out := runEnv(t, nil, nil, s.tool, s.version, "kafka-console-consumer", "--bootstrap-server", s.gw.apps,
			"--include", "rp-enc-(kcat|java)-"+s.runID, "--from-beginning", "--max-messages", strconv.Itoa(len(s.sent)),
			"--timeout-ms", "30000", propFlag(s.version, "formatter"), "print.key=true", propFlag(s.version, "formatter"), "print.headers=true")
		got := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			f := strings.SplitN(line, "\t", 3)
			if len(f) != 3 {
				t.Fatalf("the console consumer printed %q", line)
			}
			w, ok := s.sent[f[1]]
			switch {
			case !ok:
				t.Errorf("the console consumer read key %q, which no producer s.sent", f[1])
			case f[2] != w.value:
				t.Errorf("the console consumer read %s=%q, want %q", f[1], f[2], w.value)
			case f[0] != "codec:"+w.codec+",keep:yes,team:payments,read-via:apps":
				t.Errorf("the console consumer read %s with headers %s", f[1], f[0])
			}
			got[f[1]] = true
		}
		if len(got) != len(s.sent) {
			t.Errorf("the console consumer read %d distinct records, want %d", len(got), len(s.sent))
		}
	})

	t.Run("franz-go through apps, a kilobyte at a time, reads plaintext", func(t *testing.T) {
		// Kafka cuts its answers inside a batch; the cut batch
		// is the client's to drop and fetch again.
		cl := client(t, s.gw.apps, kgo.ConsumeTopics(s.tp.kcat, s.tp.java), fromStart,
			kgo.FetchMaxBytes(1024), kgo.FetchMaxPartitionBytes(1024))
		for _, r := range readN(t, cl, len(s.sent), 60*time.Second) {
			if w := s.sent[string(r.Key)]; string(r.Value) != w.value || r.Topic != w.topic {
				t.Errorf("%s[%d]@%d: read %q=%q", r.Topic, r.Partition, r.Offset, r.Key, r.Value)
			}
		}
	})

	t.Run("audit, without decrypt, reads what Kafka stores", func(t *testing.T) {
		recs := readN(t, client(t, s.gw.audit, kgo.ConsumeTopics(s.tp.kcat, s.tp.java), fromStart), len(s.sent), 60*time.Second)
		for _, r := range recs {
			st, ok := s.stored[posOf(r)]
			if !ok {
				t.Fatalf("%s[%d]@%d: not stored", r.Topic, r.Partition, r.Offset)
			}
			if !bytes.Equal(r.Key, st.Key) || !bytes.Equal(r.Value, st.Value) || headerList(r) != headerList(st) {
				t.Errorf("%s[%d]@%d: audit reads %q=%q (%s), Kafka stores %q=%q (%s)", r.Topic, r.Partition, r.Offset,
					r.Key, r.Value, headerList(r), st.Key, st.Value, headerList(st))
			}
		}
	})
}

// tampered writes records whose ciphertext was changed to Kafka directly
// and reads them through decrypt with each failure mode.
func (s *recordsSuite) tampered(t *testing.T) {
	topic := s.tp.tamper
	through := client(t, s.gw.apps, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DefaultProduceTopic(topic))
	produce := func(cl *kgo.Client, p int32, recs ...*kgo.Record) {
		t.Helper()
		for _, r := range recs {
			r.Partition = p
		}
		if err := cl.ProduceSync(ctxFor(t, 30*time.Second), recs...).FirstErr(); err != nil {
			t.Fatalf("produce to %s[%d]: %v", topic, p, err)
		}
	}
	val := func(v string) *kgo.Record { return &kgo.Record{Value: []byte(v)} }
	// Partition 0: offsets 0 and 1 through the gateway, 2 and 3
	// tampered, written to Kafka directly, 4 and 5 through the
	// gateway. Partition 1: three good records, the last with a key.
	produce(through, 0, val("tamper-0"), val("tamper-1"))
	produce(through, 1, val("tamper-p1-0"), val("tamper-p1-1"), &kgo.Record{Key: []byte("tamper-key"), Value: []byte("tamper-p1-2")})
	sealed := readN(t, s.direct(t, kgo.ConsumeTopics(topic), fromStart), 5, 30*time.Second)
	var flipped, moved []byte
	for _, r := range sealed {
		if r.Partition == 0 && r.Offset == 1 {
			flipped = bytes.Clone(r.Value)
			flipped[len(flipped)-20] ^= 1 // a byte of the ciphertext
		}
		if r.Key != nil {
			moved = bytes.Clone(r.Key) // a sealed key, as a value
		}
	}
	if flipped == nil || moved == nil {
		t.Fatal("the gateway's records are not where they were written")
	}
	produce(s.direct(t, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DefaultProduceTopic(topic)), 0, val(string(flipped)), val(string(moved)))
	produce(through, 0, val("tamper-4"), val("tamper-5"))
	tampered := map[int64][]byte{2: flipped, 3: moved}

	// wantOwn checks that a record delivered at a good offset is its
	// own plaintext.
	wantOwn := func(t *testing.T, r *kgo.Record) {
		t.Helper()
		want := fmt.Sprintf("tamper-%d", r.Offset)
		if r.Partition == 1 {
			want = fmt.Sprintf("tamper-p1-%d", r.Offset)
		}
		if string(r.Value) != want {
			t.Errorf("%d@%d: read %q, want %q", r.Partition, r.Offset, r.Value, want)
		}
	}

	t.Run("error: the partition fails, the others go on", func(t *testing.T) {
		cl := client(t, s.gw.apps, kgo.ConsumeTopics(topic), fromStart)
		ctx := ctxFor(t, 45*time.Second)
		var p0err error
		var p1 []*kgo.Record
		for p0err == nil || len(p1) < 3 {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				t.Fatalf("partition 0 error %v, %d records of partition 1", p0err, len(p1))
			}
			fs.EachError(func(_ string, p int32, err error) {
				if p != 0 {
					t.Fatalf("partition %d: %v", p, err)
				}
				p0err = err
			})
			fs.EachRecord(func(r *kgo.Record) {
				wantOwn(t, r)
				if r.Partition == 0 && r.Offset >= 2 {
					t.Errorf("offset %d delivered past the tampered record at offset 2", r.Offset)
				}
				if r.Partition == 1 {
					p1 = append(p1, r)
				}
			})
		}
		if !errors.Is(p0err, kerr.InvalidRecord) {
			t.Errorf("partition 0: %v, want INVALID_RECORD", p0err)
		}
		// While this consumer keeps failing, others read as ever.
		other := readN(t, client(t, s.gw.apps, kgo.ConsumeTopics(s.tp.kcat), fromStart), perCodec*len(recordCodecs), 60*time.Second)
		for _, r := range other {
			if w := s.sent[string(r.Key)]; string(r.Value) != w.value {
				t.Errorf("another consumer read %q=%q, want %q", r.Key, r.Value, w.value)
			}
		}
	})

	t.Run("skip: the tampered records are left out", func(t *testing.T) {
		recs := readN(t, client(t, s.gw.openSkip, kgo.ConsumeTopics(topic), fromStart), 7, 45*time.Second)
		var p0 []int64
		for _, r := range recs {
			wantOwn(t, r)
			if r.Partition == 0 {
				p0 = append(p0, r.Offset)
			}
		}
		if !slices.Equal(p0, []int64{0, 1, 4, 5}) {
			t.Errorf("partition 0 offsets %v, want [0 1 4 5]", p0)
		}
	})

	t.Run("mark: ciphertext with the failure header", func(t *testing.T) {
		recs := readN(t, client(t, s.gw.openMark, kgo.ConsumeTopics(topic), fromStart), 9, 45*time.Second)
		for _, r := range recs {
			why, marked := header(r, "strait/policy-failure-open-or-mark")
			bad, isBad := tampered[r.Offset]
			isBad = isBad && r.Partition == 0
			switch {
			case isBad && (!bytes.Equal(r.Value, bad) || !marked || !strings.Contains(why, "decryption failed")):
				t.Errorf("tampered %d@%d: read %q, mark %v %q; want the stored ciphertext, marked", r.Partition, r.Offset, r.Value, marked, why)
			case !isBad && marked:
				t.Errorf("%d@%d: marked %q", r.Partition, r.Offset, why)
			case !isBad:
				wantOwn(t, r)
			}
		}
	})
}

// awsKMS round-trips records under a KMS key, then stops KMS.
func (s *recordsSuite) awsKMS(t *testing.T) {
	if s.lk == nil {
		missingTool(t, "local-kms could not be built")
	}
	p := client(t, s.gw.apps, kgo.DefaultProduceTopic(s.tp.kms))
	want := map[string]bool{}
	var recs []*kgo.Record
	for i := range 10 {
		v := fmt.Sprintf("kms-secret-%d", i)
		want[v] = true
		recs = append(recs, &kgo.Record{Value: []byte(v)})
	}
	if err := p.ProduceSync(ctxFor(t, 30*time.Second), recs...).FirstErr(); err != nil {
		t.Fatalf("produce under the KMS key: %v", err)
	}
	for _, r := range readN(t, s.direct(t, kgo.ConsumeTopics(s.tp.kms), fromStart), 10, 30*time.Second) {
		h, err := crypt.ParseHeader(r.Value)
		if err != nil || h.Kind != crypt.KindAWS || h.Ref != s.gw.kmsARN || bytes.Contains(r.Value, []byte("kms-secret")) {
			t.Errorf("stored %q (%v): want ciphertext under %s", r.Value, err, s.gw.kmsARN)
		}
	}
	for _, r := range readN(t, client(t, s.gw.apps, kgo.ConsumeTopics(s.tp.kms), fromStart), 10, 30*time.Second) {
		if !want[string(r.Value)] {
			t.Errorf("read %q through apps", r.Value)
		}
		delete(want, string(r.Value))
	}

	s.lk.stop(t)
	// A new connection needs a new data key, which KMS must wrap.
	down := client(t, s.gw.apps, kgo.DefaultProduceTopic(s.tp.kms))
	if err := down.ProduceSync(ctxFor(t, 30*time.Second), &kgo.Record{Value: []byte("kms-down-secret")}).FirstErr(); !errors.Is(err, kerr.InvalidRecord) {
		t.Errorf("produce with KMS down: %v, want INVALID_RECORD", err)
	}
	code, msg := produceRaw(t, s.gw.apps, s.tp.kms, "kms-down-secret")
	if code != kerr.InvalidRecord.Code || !strings.Contains(msg, "seal-kms") {
		t.Errorf("produce with KMS down: %v %q, want INVALID_RECORD naming seal-kms", kerr.ErrorForCode(code), msg)
	}
	t.Logf("KMS down: %s", msg)
	ends, err := s.adm.ListEndOffsets(ctxFor(t, 10*time.Second), s.tp.kms)
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup(s.tp.kms, 0); o.Offset != 10 {
		t.Errorf("log end %d after KMS went down, want 10: nothing may be stored unencrypted", o.Offset)
	}
}

// schemas refuses invalid JSON from idempotent and transactional producers
// and Avro the registry cannot vouch for, and marks invalid Avro on the
// way out.
func (s *recordsSuite) schemas(t *testing.T) {
	t.Run("json, idempotent producer", func(t *testing.T) {
		p := client(t, s.gw.apps, kgo.DefaultProduceTopic(s.tp.json), kgo.ProducerLinger(50*time.Millisecond))
		values := func(vs ...string) []*kgo.Record {
			var out []*kgo.Record
			for _, v := range vs {
				out = append(out, &kgo.Record{Value: []byte(v)})
			}
			return out
		}
		if err := p.ProduceSync(ctxFor(t, 30*time.Second), values(`{"n": 1}`, `{"n": 2}`)...).FirstErr(); err != nil {
			t.Fatalf("valid JSON: %v", err)
		}
		for _, r := range p.ProduceSync(ctxFor(t, 30*time.Second), values(`{"n": "x"}`, `{"n": `, `{"n": 9}`)...) {
			if !errors.Is(r.Err, kerr.InvalidRecord) {
				t.Errorf("%s in a batch with invalid JSON: %v, want INVALID_RECORD", r.Record.Value, r.Err)
			}
		}
		// The producer goes on: its sequence numbers still match
		// Kafka's.
		if err := p.ProduceSync(ctxFor(t, 30*time.Second), values(`{"n": 3}`)...).FirstErr(); err != nil {
			t.Fatalf("valid JSON after a refused batch: %v", err)
		}
		code, msg := produceRaw(t, s.gw.apps, s.tp.json, "not json")
		if code != kerr.InvalidRecord.Code || !strings.Contains(msg, "json-orders") {
			t.Errorf("invalid JSON: %v %q, want INVALID_RECORD naming json-orders", kerr.ErrorForCode(code), msg)
		}
		t.Logf("invalid JSON: %s", msg)
		var got []string
		for _, r := range readN(t, s.direct(t, kgo.ConsumeTopics(s.tp.json), fromStart), 3, 30*time.Second) {
			got = append(got, string(r.Value))
		}
		if want := []string{`{"n": 1}`, `{"n": 2}`, `{"n": 3}`}; !slices.Equal(got, want) {
			t.Errorf("stored %q, want %q", got, want)
		}
	})

	t.Run("json, transactional kcat: the commit fails", func(t *testing.T) {
		// librdkafka fails the transaction whose batch was
		// refused, and kcat's commit with it.
		in := []byte("{\"k\": 1}\n{\"k\": \n{\"k\": 2}\n")
		out, errOut, err := runCmd(60*time.Second, nil, in, "kcat", "-b", s.gw.apps, "-P", "-t", s.tp.txn, "-p", "0",
			"-X", "transactional.id=rp-kcat-txn-"+s.runID)
		if err == nil || !strings.Contains(errOut, "commit_transaction") || !strings.Contains(errOut, "failed to validate record") {
			t.Errorf("kcat committed a transaction with invalid JSON (%v):\n%s%s", err, out, errOut)
		}
		t.Logf("kcat: %s", lastLine(errOut))
	})

	t.Run("json, transactional franz-go: the application aborts", func(t *testing.T) {
		// A refused record does not fail franz-go's producer id
		// (nor does INVALID_RECORD from Kafka itself), so
		// EndTransaction(TryCommit) would commit the records
		// that were accepted: the application aborts instead.
		txn := client(t, s.gw.apps, kgo.TransactionalID("rp-txn-"+s.runID), kgo.DefaultProduceTopic(s.tp.txn),
			kgo.RecordPartitioner(kgo.ManualPartitioner()))
		rec := func(p int32, v string) *kgo.Record { return &kgo.Record{Partition: p, Value: []byte(v)} }
		ctx := ctxFor(t, 60*time.Second)
		if err := txn.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := txn.ProduceSync(ctx, rec(0, `{"t": 1}`)).FirstErr(); err != nil {
			t.Fatalf("valid JSON in the transaction: %v", err)
		}
		if err := txn.ProduceSync(ctx, rec(1, `{"t": `)).FirstErr(); !errors.Is(err, kerr.InvalidRecord) {
			t.Fatalf("invalid JSON in the transaction: %v, want INVALID_RECORD", err)
		}
		if err := txn.EndTransaction(ctx, kgo.TryAbort); err != nil {
			t.Fatalf("abort: %v", err)
		}
		if err := txn.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := txn.ProduceSync(ctx, rec(0, `{"t": 2}`), rec(1, `{"t": 3}`)).FirstErr(); err != nil {
			t.Fatalf("the next transaction: %v", err)
		}
		if err := txn.EndTransaction(ctx, kgo.TryCommit); err != nil {
			t.Fatalf("commit: %v", err)
		}
		// A read_committed consumer reads only the committed
		// transaction; {"t": 1} would come before {"t": 2}.
		var got []string
		rc := s.direct(t, kgo.ConsumeTopics(s.tp.txn), fromStart, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		for _, r := range readN(t, rc, 2, 30*time.Second) {
			got = append(got, string(r.Value))
		}
		slices.Sort(got)
		if want := []string{`{"t": 2}`, `{"t": 3}`}; !slices.Equal(got, want) {
			t.Errorf("read_committed reads %q, want %q", got, want)
		}
		// Nothing of the refused batches is in the log: only
		// franz-go's records, the aborted one included.
		inLog := map[int32][]string{}
		for _, r := range readN(t, s.direct(t, kgo.ConsumeTopics(s.tp.txn), fromStart), 3, 30*time.Second) {
			inLog[r.Partition] = append(inLog[r.Partition], string(r.Value))
		}
		if !slices.Equal(inLog[0], []string{`{"t": 1}`, `{"t": 2}`}) || !slices.Equal(inLog[1], []string{`{"t": 3}`}) {
			t.Errorf("stored %q", inLog)
		}
	})

	t.Run("confluent registry, Avro from confluent-kafka's serializer", func(t *testing.T) {
		if s.gw.registry == "" {
			missingTool(t, "STRAIT_SCHEMA_REGISTRY_URL is not set: start a registry with test/registry/start.sh and export the URL it prints")
		}
		py := avroPython(t)
		const n = 8
		out := runEnv(t, nil, nil, py, "records_clients.py", "produce", s.gw.apps, s.gw.registry, s.tp.avro, strconv.Itoa(n))
		var produced struct {
			SchemaIDs []int `json:"schema_ids"`
		}
		if err := json.Unmarshal([]byte(out), &produced); err != nil || len(produced.SchemaIDs) != 1 {
			t.Fatalf("the Avro producer printed %q (%v)", out, err)
		}
		out = runEnv(t, nil, nil, py, "records_clients.py", "consume", s.gw.apps, s.gw.registry, s.tp.avro, strconv.Itoa(n))
		seen := map[int]bool{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var m struct {
				Value struct {
					ID   int    `json:"id"`
					Item string `json:"item"`
					Qty  int    `json:"qty"`
				} `json:"value"`
				Headers []string `json:"headers"`
			}
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("the Avro consumer printed %q", line)
			}
			if v := m.Value; v.Item != fmt.Sprintf("item-%d", v.ID) || v.Qty != 3*v.ID || len(m.Headers) != 0 {
				t.Errorf("the Avro consumer read %+v, headers %v", v, m.Headers)
			}
			seen[m.Value.ID] = true
		}
		if len(seen) != n {
			t.Errorf("the Avro consumer read %d distinct records, want %d", len(seen), n)
		}

		valid := readN(t, s.direct(t, kgo.ConsumeTopics(s.tp.avro), fromStart), n, 30*time.Second)[0].Value
		unknownID := append([]byte{0, 0x7f, 0xff, 0xff, 0xf0}, valid[5:]...)
		notWire := []byte(`{"id": 1, "item": "item-1", "qty": 3}`)
		p := client(t, s.gw.apps, kgo.DefaultProduceTopic(s.tp.avro))
		for name, v := range map[string][]byte{"unknown schema id": unknownID, "not wire format": notWire} {
			if err := p.ProduceSync(ctxFor(t, 30*time.Second), &kgo.Record{Value: v}).FirstErr(); !errors.Is(err, kerr.InvalidRecord) {
				t.Errorf("%s: %v, want INVALID_RECORD", name, err)
			}
		}
		code, msg := produceRaw(t, s.gw.apps, s.tp.avro, string(unknownID))
		if code != kerr.InvalidRecord.Code || !strings.Contains(msg, "avro-orders") {
			t.Errorf("unknown schema id: %v %q, want INVALID_RECORD naming avro-orders", kerr.ErrorForCode(code), msg)
		}
		t.Logf("unknown schema id: %s", msg)
		ends, err := s.adm.ListEndOffsets(ctxFor(t, 10*time.Second), s.tp.avro)
		if err != nil {
			t.Fatal(err)
		}
		if o, _ := ends.Lookup(s.tp.avro, 0); o.Offset != n {
			t.Fatalf("log end %d, want %d: a refused record was stored", o.Offset, n)
		}

		// Written past the gateway, invalid records are marked on
		// their way out; valid ones are not.
		dp := s.direct(t, kgo.DefaultProduceTopic(s.tp.avro))
		if err := dp.ProduceSync(ctxFor(t, 30*time.Second), &kgo.Record{Value: unknownID}, &kgo.Record{Value: notWire}, &kgo.Record{Value: valid}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		for _, r := range readN(t, client(t, s.gw.apps, kgo.ConsumeTopics(s.tp.avro), fromStart), n+3, 30*time.Second) {
			why, marked := header(r, "strait/policy-failure-avro-mark")
			if bad := r.Offset == n || r.Offset == n+1; bad != marked {
				t.Errorf("offset %d: marked %v (%q), want %v", r.Offset, marked, why, bad)
			}
		}
	})
}

// skipRecords hides flagged records from a kcat consumer group, which
// commits, restarts and catches up.
func (s *recordsSuite) skipRecords(t *testing.T) {
	topic, group := s.tp.skip, "rp-skip-g-"+s.runID
	dp := s.direct(t, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DefaultProduceTopic(topic))
	// write writes n records to both partitions, flagged "drop"
	// unless kept says otherwise, and returns the kept ones.
	write := func(prefix string, n int, kept func(int) bool) []string {
		var recs []*kgo.Record
		var out []string
		for i := range n {
			r := &kgo.Record{Partition: int32(i % 2), Value: fmt.Appendf(nil, "%s-%d", prefix, i)}
			if kept(i) {
				out = append(out, string(r.Value))
			} else {
				r.Headers = []kgo.RecordHeader{{Key: "drop", Value: []byte("1")}}
			}
			recs = append(recs, r)
		}
		if err := dp.ProduceSync(ctxFor(t, 30*time.Second), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(out)
		return out
	}
	// consume runs kcat's balanced consumer to the end of both
	// partitions; it commits when it exits.
	consume := func() []string {
		out := run(t, nil, "kcat", "-b", s.gw.apps, "-G", group, topic, "-X", "auto.offset.reset=earliest", "-e", "-q", "-f", `%s\t%h\n`)
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if line == "" {
				continue
			}
			v, h, _ := strings.Cut(line, "\t")
			if strings.Contains(h, "drop") {
				t.Errorf("a flagged record was delivered: %s %s", v, h)
			}
			got = append(got, v)
		}
		slices.Sort(got)
		return got
	}
	kept := write("old", 200, func(i int) bool { return i%5 == 0 })
	if got := consume(); !slices.Equal(got, kept) {
		t.Fatalf("the group read %d records %v, want the %d unflagged of 200", len(got), got, len(kept))
	}
	committed, err := s.adm.FetchOffsets(ctxFor(t, 10*time.Second), group)
	if err != nil {
		t.Fatal(err)
	}
	for p := range int32(2) {
		if o, ok := committed.Lookup(topic, p); !ok || o.At <= 0 {
			t.Errorf("partition %d: committed %+v", p, o)
		}
	}
	// After a restart the group reads only what is new; the last
	// records of both partitions are unflagged, so that it commits
	// the log end.
	kept = write("new", 40, func(i int) bool { return i%5 == 0 || i >= 36 })
	if got := consume(); !slices.Equal(got, kept) {
		t.Fatalf("after a restart the group read %v, want %v", got, kept)
	}
	lag, err := s.adm.Lag(ctxFor(t, 10*time.Second), group)
	if err != nil {
		t.Fatal(err)
	}
	if l := lag[group]; l.Error() != nil || l.Lag.Total() != 0 {
		t.Errorf("group lag %d (%v), want 0", l.Lag.Total(), l.Error())
	}
}

// metrics checks the counters of the policies the other parts ran.
func (s *recordsSuite) metrics(t *testing.T) {
	m := policyCounts(t, s.g.AdminAddr())
	n := float64(len(s.sent))
	atLeast := map[string]float64{
		"apps/stamp/seen": n, "apps/stamp/acted": n,
		"apps/seal/seen": n, "apps/seal/acted": n,
		"apps/open/seen": n, "apps/open/acted": n, "apps/open/failed": 1,
		"apps/stamp-read/acted": n,
		"apps/json-orders/seen": 6, "apps/json-orders/acted": 2, "apps/json-orders/failed": 2,
		"apps/hide-dropped/acted":       160 + 28,
		"open-skip/open-or-skip/failed": 2, "open-skip/open-or-skip/acted": 2,
		"open-mark/open-or-mark/failed": 2, "open-mark/open-or-mark/acted": 2,
	}
	none := []string{"apps/stamp/failed", "apps/seal/failed", "apps/stamp-read/failed"}
	if s.lk != nil {
		atLeast["apps/seal-kms/seen"], atLeast["apps/seal-kms/acted"], atLeast["apps/seal-kms/failed"] = 11, 11, 1
		atLeast["apps/open-kms/acted"] = 10
		none = append(none, "apps/open-kms/failed")
	}
	if s.gw.registry != "" {
		atLeast["apps/avro-orders/seen"], atLeast["apps/avro-orders/failed"] = 10, 2
		atLeast["apps/avro-mark/seen"], atLeast["apps/avro-mark/failed"] = 11, 2
	}
	for key, want := range atLeast {
		if m[key] < want {
			t.Errorf("strait_record_policy_records_total{%s} = %v, want at least %v", key, m[key], want)
		}
	}
	for _, key := range none {
		if m[key] != 0 {
			t.Errorf("strait_record_policy_records_total{%s} = %v, want 0", key, m[key])
		}
	}
	for key := range m {
		if strings.HasPrefix(key, "audit/") {
			t.Errorf("audit has no record policies, but counts %s", key)
		}
	}
}

// rotation restarts the gateway with k2 for encrypt and [k2, k1] for
// decrypt: records under either key open.
func (s *recordsSuite) rotation(t *testing.T) {
	produce := func(prefix string) {
		p := client(t, s.gw.apps, kgo.DefaultProduceTopic(s.tp.rotate))
		defer p.Close()
		var recs []*kgo.Record
		for i := range 5 {
			recs = append(recs, &kgo.Record{Key: fmt.Appendf(nil, "%s-%d", prefix, i), Value: fmt.Appendf(nil, "%s-secret-%d", prefix, i)})
		}
		if err := p.ProduceSync(ctxFor(t, 30*time.Second), recs...).FirstErr(); err != nil {
			t.Fatalf("produce %s: %v", prefix, err)
		}
	}
	produce("old")
	s.g.stop()
	s.gw.encrypt, s.gw.decrypt = "k2", []string{"k2", "k1"}
	s.g = startRestartable(t, s.gw.config(), s.logs)
	produce("new")
	for _, r := range readN(t, s.direct(t, kgo.ConsumeTopics(s.tp.rotate), fromStart), 10, 30*time.Second) {
		want := map[bool]string{true: "k1", false: "k2"}[r.Offset < 5]
		for _, b := range [][]byte{r.Key, r.Value} {
			if h, err := crypt.ParseHeader(b); err != nil || h.Ref != want {
				t.Errorf("offset %d sealed under %q (%v), want %s", r.Offset, h.Ref, err, want)
			}
		}
	}
	var got []string
	for _, r := range readN(t, client(t, s.gw.apps, kgo.ConsumeTopics(s.tp.rotate), fromStart), 10, 30*time.Second) {
		if want := strings.Replace(string(r.Key), "-", "-secret-", 1); string(r.Value) != want {
			t.Errorf("read %q=%q, want %q", r.Key, r.Value, want)
		}
		got = append(got, string(r.Key))
	}
	if want := []string{"old-0", "old-1", "old-2", "old-3", "old-4", "new-0", "new-1", "new-2", "new-3", "new-4"}; !slices.Equal(got, want) {
		t.Errorf("read keys %v, want %v", got, want)
	}
	// So are the records kcat and the console producer wrote.
	for _, r := range readN(t, client(t, s.gw.apps, kgo.ConsumeTopics(s.tp.kcat, s.tp.java), fromStart), len(s.sent), 60*time.Second) {
		if w := s.sent[string(r.Key)]; string(r.Value) != w.value {
			t.Errorf("after the rotation, read %q=%q, want %q", r.Key, r.Value, w.value)
		}
	}
}
