// Record policies through the gateway on the embedded cluster: headers
// stamped and stripped on produce, values encrypted at rest and decrypted
// on consume, and records skipped for a consumer group that must neither
// lose nor re-read any, with every codec.
package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strait-gw/strait/internal/crypt"
	"github.com/strait-gw/strait/internal/testenv"
)

// recordPolicies is the virtual cluster's record policies.
const recordPolicies = `produce_policies:
  - type: modify_headers
    name: stamp
    condition: "context.topic.name.startsWith('stamped')"
    config:
      actions:
        - {op: set, key: team, value: payments}
        - {op: remove, key: secret}
  - type: encrypt
    condition: "context.topic.name.startsWith('enc')"
    config: {encryption_key: {type: static, key: k1}}
  - type: schema_validation
    name: json-only
    condition: "context.topic.name.startsWith('json')"
    config: {type: json, validate_value: true}
    policies:
      - type: modify_headers
        name: flag-big
        condition: "record.value.content.amount > 100.0"
        config: {actions: [{op: set, key: big, value: "yes"}]}
  - type: schema_validation
    name: pii-json
    condition: "context.topic.name.startsWith('pii')"
    config: {type: json, validate_value: true}
    policies:
      - type: encrypt_fields
        config: {fields: [{paths: [card.number, ssn], encryption_key: {type: static, key: k1}}]}
consume_policies:
  - type: skip_record
    name: drop-flagged
    condition: "context.topic.name.startsWith('skip') && 'drop' in record.headers"
  - type: decrypt
    condition: "context.topic.name.startsWith('enc')"
    config: {key_sources: [{type: static, key: k1}]}
  - type: schema_validation
    name: pii-json-read
    condition: "context.topic.name.startsWith('pii')"
    config: {type: json, validate_value: true, failure_mode: passthrough}
    policies:
      - type: decrypt_fields
        config: {paths: [card.number, ssn], key_sources: [{type: static, key: k1}]}
  - type: modify_headers
    name: mark-read
    condition: "context.topic.name.startsWith('stamped')"
    config: {actions: [{op: set, key: seen-by, value: gateway}]}`

// staticKeys gives the key encryption key k1.
const staticKeys = `static_keys:
  - {name: k1, value: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
`

var codecs = []struct {
	name  string
	codec kgo.CompressionCodec
}{
	{"none", kgo.NoCompression()}, {"gzip", kgo.GzipCompression()}, {"snappy", kgo.SnappyCompression()},
	{"lz4", kgo.Lz4Compression()}, {"zstd", kgo.ZstdCompression()},
}

func TestRecordPolicies(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{VirtualCluster: recordPolicies, Top: staticKeys})
	adm := kadm.NewClient(newClient(t, gw.Bootstrap))

	t.Run("modify_headers", func(t *testing.T) {
		for _, c := range codecs {
			topic := "stamped-" + c.name
			createTopic(t, adm, topic, 3)
			p := newClient(t, gw.Bootstrap, kgo.ProducerBatchCompression(c.codec), kgo.ProducerLinger(20*time.Millisecond))
			var recs []*kgo.Record
			for i := range 50 {
				recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "v%d", i),
					Headers: []kgo.RecordHeader{{Key: "secret", Value: []byte("s")}, {Key: "multi", Value: []byte("1")},
						{Key: "multi", Value: []byte("2")}, {Key: "secret", Value: []byte("t")}}})
			}
			if err := p.ProduceSync(ctxT(t, 30*time.Second), recs...).FirstErr(); err != nil {
				t.Fatalf("%s: produce: %v", c.name, err)
			}
			// At rest: stamped and stripped, once.
			direct := consume(t, newClient(t, k.Bootstrap[0], kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 50)
			for _, r := range direct {
				if got := headerString(r); got != "multi=1,multi=2,team=payments" {
					t.Fatalf("%s: stored headers %s, want multi=1,multi=2,team=payments", c.name, got)
				}
				if !strings.HasPrefix(string(r.Value), "v") || !strings.HasPrefix(string(r.Key), "k") {
					t.Fatalf("%s: stored record %q=%q", c.name, r.Key, r.Value)
				}
			}
			// Through the gateway: the consume policy adds its own.
			via := consume(t, newClient(t, gw.Bootstrap, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 50)
			for _, r := range via {
				if got := headerString(r); got != "multi=1,multi=2,team=payments,seen-by=gateway" {
					t.Fatalf("%s: consumed headers %s", c.name, got)
				}
			}
		}
	})

	t.Run("encrypt and decrypt", func(t *testing.T) {
		for _, c := range codecs {
			topic := "enc-" + c.name
			createTopic(t, adm, topic, 3)
			p := newClient(t, gw.Bootstrap, kgo.ProducerBatchCompression(c.codec), kgo.ProducerLinger(20*time.Millisecond))
			want := map[string]string{}
			var recs []*kgo.Record
			for i := range 60 {
				v := fmt.Sprintf("card-%04d-%s", i, strings.Repeat("x", i))
				want[fmt.Sprintf("k%d", i)] = v
				recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i), Value: []byte(v)})
			}
			recs = append(recs, &kgo.Record{Topic: topic, Key: []byte("tombstone")}) // null value
			if err := p.ProduceSync(ctxT(t, 30*time.Second), recs...).FirstErr(); err != nil {
				t.Fatalf("%s: produce: %v", c.name, err)
			}
			direct := consume(t, newClient(t, k.Bootstrap[0], kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 61)
			for _, r := range direct {
				if string(r.Key) == "tombstone" {
					if r.Value != nil {
						t.Errorf("%s: tombstone stored with value %q", c.name, r.Value)
					}
					continue
				}
				if !crypt.IsEncrypted(r.Value) || bytes.Contains(r.Value, []byte("card-")) {
					t.Fatalf("%s: stored value is not ciphertext: %q", c.name, r.Value)
				}
			}
			via := consume(t, newClient(t, gw.Bootstrap, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 61)
			for _, r := range via {
				if string(r.Key) == "tombstone" {
					continue
				}
				if w := want[string(r.Key)]; string(r.Value) != w {
					t.Fatalf("%s: consumed %q=%q, want %q", c.name, r.Key, r.Value, w)
				}
			}
		}
	})

	t.Run("schema_validation", func(t *testing.T) {
		topic := "json-orders"
		createTopic(t, adm, topic, 1)
		p := newClient(t, gw.Bootstrap, kgo.ProducerLinger(50*time.Millisecond), kgo.RecordRetries(2))
		ok := p.ProduceSync(ctxT(t, 30*time.Second),
			&kgo.Record{Topic: topic, Value: []byte(`{"amount": 5}`)},
			&kgo.Record{Topic: topic, Value: []byte(`{"amount": 500}`)})
		if err := ok.FirstErr(); err != nil {
			t.Fatalf("valid JSON refused: %v", err)
		}
		// One bad record refuses its whole batch (the producer is
		// idempotent: a batch never changes its record count).
		bad := p.ProduceSync(ctxT(t, 30*time.Second),
			&kgo.Record{Topic: topic, Value: []byte(`{"amount": 7}`)},
			&kgo.Record{Topic: topic, Value: []byte(`{"amount": `)},
			&kgo.Record{Topic: topic, Value: []byte(`{"amount": 8}`)})
		for _, r := range bad {
			if !errors.Is(r.Err, kerr.InvalidRecord) {
				t.Errorf("record %q: error %v, want INVALID_RECORD", r.Record.Value, r.Err)
			}
		}
		direct := consume(t, newClient(t, k.Bootstrap[0], kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 2)
		if len(direct) != 2 || string(direct[0].Value) != `{"amount": 5}` || headerString(direct[0]) != "" ||
			headerString(direct[1]) != "big=yes" {
			for _, r := range direct {
				t.Logf("stored %q %s", r.Value, headerString(r))
			}
			t.Fatal("want the two valid records, the big one flagged by the nested policy")
		}
		ends, err := adm.ListEndOffsets(ctxT(t, 10*time.Second), topic)
		if err != nil {
			t.Fatal(err)
		}
		if o, _ := ends.Lookup(topic, 0); o.Offset != 2 {
			t.Errorf("log end %d, want 2: nothing of the refused batch may be stored", o.Offset)
		}
	})

	t.Run("encrypt_fields and decrypt_fields", func(t *testing.T) {
		topic := "pii-customers"
		createTopic(t, adm, topic, 1)
		p := newClient(t, gw.Bootstrap)
		docs := []string{
			`{"name":"Ada","card":{"number":"4111111111111111","exp":"12/30"},"ssn":123456789}`,
			`{"name":"Bob","card":{"exp":"01/29"}}`,
		}
		for _, d := range docs {
			if err := p.ProduceSync(ctxT(t, 10*time.Second), &kgo.Record{Topic: topic, Value: []byte(d)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		direct := consume(t, newClient(t, k.Bootstrap[0], kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 2)
		var stored map[string]any
		if err := json.Unmarshal(direct[0].Value, &stored); err != nil {
			t.Fatalf("stored document is not JSON: %q", direct[0].Value)
		}
		card := stored["card"].(map[string]any)
		if bytes.Contains(direct[0].Value, []byte("4111111111111111")) || bytes.Contains(direct[0].Value, []byte("123456789")) ||
			card["exp"] != "12/30" || stored["name"] != "Ada" {
			t.Fatalf("stored %s: want card.number and ssn encrypted, the rest as sent", direct[0].Value)
		}
		if _, isString := stored["ssn"].(string); !isString {
			t.Fatalf("stored ssn %v, want a sealed string", stored["ssn"])
		}
		via := consume(t, newClient(t, gw.Bootstrap, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), 2)
		for i, r := range via {
			var got, want any
			_ = json.Unmarshal(r.Value, &got)
			_ = json.Unmarshal([]byte(docs[i]), &want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("consumed %s, want %s", r.Value, docs[i])
			}
		}
	})

	t.Run("skip_record with a consumer group", func(t *testing.T) {
		for _, c := range codecs {
			topic := "skip-" + c.name
			createTopic(t, adm, topic, 2)
			// Written straight to the backend: 9 of every 10 flagged.
			p := newClient(t, k.Bootstrap[0], kgo.ProducerBatchCompression(c.codec), kgo.ProducerLinger(20*time.Millisecond))
			var recs []*kgo.Record
			kept := 0
			for i := range 300 {
				r := &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "r%d", i)}
				if i%10 != 0 {
					r.Headers = []kgo.RecordHeader{{Key: "drop", Value: []byte("1")}}
				} else {
					kept++
				}
				recs = append(recs, r)
			}
			if err := p.ProduceSync(ctxT(t, 30*time.Second), recs...).FirstErr(); err != nil {
				t.Fatal(err)
			}
			group := "g-" + topic
			opts := []kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumerGroup(group), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
				kgo.DisableAutoCommit()}
			c1 := newClient(t, gw.Bootstrap, opts...)
			got := consume(t, c1, kept)
			for _, r := range got {
				if len(r.Headers) > 0 {
					t.Fatalf("%s: a flagged record was delivered: %q", c.name, r.Value)
				}
			}
			if err := c1.CommitUncommittedOffsets(ctxT(t, 10*time.Second)); err != nil {
				t.Fatal(err)
			}
			c1.Close()
			// After a restart, the group reads the new records only: none
			// of the skipped ones re-delivered, and it ends at the log
			// end.
			// Five new records in each partition, so that the commit
			// after them is at the log end everywhere.
			mp := newClient(t, k.Bootstrap[0], kgo.RecordPartitioner(kgo.ManualPartitioner()))
			var after []*kgo.Record
			for i := range 10 {
				after = append(after, &kgo.Record{Topic: topic, Partition: int32(i % 2), Value: fmt.Appendf(nil, "after-%d", i)})
			}
			if err := mp.ProduceSync(ctxT(t, 30*time.Second), after...).FirstErr(); err != nil {
				t.Fatal(err)
			}
			c2 := newClient(t, gw.Bootstrap, opts...)
			again := consume(t, c2, 10)
			for _, r := range again {
				if !strings.HasPrefix(string(r.Value), "after") {
					t.Fatalf("%s: re-delivered %q after the restart", c.name, r.Value)
				}
			}
			if extra := c2.PollFetches(ctxT(t, 500*time.Millisecond)).Records(); len(extra) > 0 {
				t.Fatalf("%s: %d more records after the restart", c.name, len(extra))
			}
			if err := c2.CommitUncommittedOffsets(ctxT(t, 10*time.Second)); err != nil {
				t.Fatal(err)
			}
			lag, err := adm.Lag(ctxT(t, 10*time.Second), group)
			if err != nil {
				t.Fatal(err)
			}
			if total := lag[group].Lag.Total(); total != 0 {
				t.Errorf("%s: group lag %d after reading to the end, want 0", c.name, total)
			}
		}
	})
}

// headerString lists a record's headers as key=value in order.
func headerString(r *kgo.Record) string {
	var parts []string
	for _, h := range r.Headers {
		parts = append(parts, h.Key+"="+string(h.Value))
	}
	return strings.Join(parts, ",")
}
