// Cross-check against franz-go and kfake: batches a real producer wrote,
// fetched raw, rewritten here, then consumed by franz-go, or produced back
// raw and consumed from the broker.

package records

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// sent is what a test produced: key, value, headers, timestamp.
type sent struct {
	key, value []byte
	headers    []kgo.RecordHeader
	ts         time.Time
}

func TestKfakeCrossCheck(t *testing.T) {
	codecs := []struct {
		name  string
		codec kgo.CompressionCodec
		want  Codec
	}{
		{"none", kgo.NoCompression(), CodecNone},
		{"gzip", kgo.GzipCompression(), CodecGzip},
		{"snappy", kgo.SnappyCompression(), CodecSnappy},
		{"lz4", kgo.Lz4Compression(), CodecLz4},
		{"zstd", kgo.ZstdCompression(), CodecZstd},
	}
	var topics []string
	for _, c := range codecs {
		topics = append(topics, "src-"+c.name, "dst-"+c.name)
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	admin, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)

	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			src, dst := "src-"+c.name, "dst-"+c.name
			produced := produceSource(ctx, t, cluster, src, c.codec)
			raw := fetchRaw(ctx, t, admin, src)

			s, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Batches) < 3 || s.Truncated() || s.Legacy {
				t.Fatalf("%d batches, truncated %v, legacy %v", len(s.Batches), s.Truncated(), s.Legacy)
			}
			var xerial []bool
			for i := range s.Batches {
				b := &s.Batches[i]
				if b.Codec() != c.want {
					t.Fatalf("batch %d: codec %v, want %v", i, b.Codec(), c.want)
				}
				xerial = append(xerial, isXerial(b.Records))
			}

			t.Run("fetch rewrite", func(t *testing.T) {
				fetchRewrite(t, raw, produced)
			})
			t.Run("truncated fetch", func(t *testing.T) {
				truncatedFetch(t, raw, produced)
			})
			t.Run("produce back", func(t *testing.T) {
				want := produceBack(ctx, t, admin, raw, dst, produced)
				consumed := consume(ctx, t, cluster, dst, len(want))
				for i, r := range consumed {
					sameSent(t, i, r, want[i])
				}
				// The broker stored what we encoded: same codec, same
				// snappy framing as the producer's.
				back, err := Parse(fetchRaw(ctx, t, admin, dst))
				if err != nil {
					t.Fatal(err)
				}
				if len(back.Batches) != len(xerial) {
					t.Fatalf("%d batches produced back, want %d", len(back.Batches), len(xerial))
				}
				for i := range back.Batches {
					b := &back.Batches[i]
					if b.Codec() != c.want || isXerial(b.Records) != xerial[i] {
						t.Fatalf("batch %d stored as %v (xerial %v), want %v (xerial %v)", i, b.Codec(), isXerial(b.Records), c.want, xerial[i])
					}
				}
			})
		})
	}
}

// produceSource produces three rounds of records to topic with codec, so
// that the partition holds at least three batches, and returns them.
func produceSource(ctx context.Context, t *testing.T, cluster *kfake.Cluster, topic string, codec kgo.CompressionCodec) []sent {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(cluster.ListenAddrs()...),
		kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchCompression(codec),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	base := time.UnixMilli(testFirst)
	var out []sent
	for round, n := range []int{20, 1, 29} {
		var rs []*kgo.Record
		for range n {
			i := len(out)
			s := sent{
				value: fmt.Appendf(nil, "record %d: %s", i, bytes.Repeat([]byte("compressible "), 10)),
				ts:    base.Add(time.Duration(i*3-round) * time.Millisecond),
			}
			if i%4 != 0 {
				s.key = fmt.Appendf(nil, "key-%d", i)
			}
			for h := range i % 3 {
				s.headers = append(s.headers, kgo.RecordHeader{Key: fmt.Sprintf("h%d", h), Value: fmt.Appendf(nil, "v%d", i)})
			}
			out = append(out, s)
			rs = append(rs, &kgo.Record{Key: s.key, Value: s.value, Headers: s.headers, Timestamp: s.ts})
		}
		if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// topicID asks the broker for topic's id, which Fetch and Produce use from
// v13.
func topicID(ctx context.Context, t *testing.T, cl *kgo.Client, topic string) [16]byte {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("metadata for %s: %+v", topic, resp.Topics)
	}
	return resp.Topics[0].TopicID
}

// fetchRaw fetches partition 0 of topic from offset 0 and returns its raw
// record batches.
func fetchRaw(ctx context.Context, t *testing.T, cl *kgo.Client, topic string) []byte {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis, req.MinBytes, req.MaxBytes = 100, 1, 10<<20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic, rt.TopicID = topic, topicID(ctx, t, cl, topic)
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes = 0, 0, 10<<20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("fetch answered %d topics", len(resp.Topics))
	}
	p := resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
		t.Fatal(err)
	}
	return p.RecordBatches
}

// dropped is which records the rewrites leave out.
func dropped(offset int) bool { return offset%3 == 1 }

var seenHeader = kgo.RecordHeader{Key: "strait-seen", Value: []byte("yes")}

// addSeen appends seenHeader to r's headers.
func addSeen(r *kmsg.Record) {
	r.Headers = append(r.Headers, kmsg.Header{Key: seenHeader.Key, Value: seenHeader.Value})
}

// fetchRewrite does what a consume-side policy does to a fetch response:
// it adds a header to every record and leaves some records out, whole
// batches included, then checks what franz-go's consumer makes of it.
func fetchRewrite(t *testing.T, raw []byte, produced []sent) {
	s, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var want []sent
	for i := range s.Batches {
		b := &s.Batches[i]
		recs, err := b.Decode(1 << 20)
		if err != nil {
			t.Fatal(err)
		}
		if b.NumRecords == 1 { // the one-record batch: drop it all
			b.SetRecords(recs[:0])
			continue
		}
		kept := recs[:0]
		for _, r := range recs {
			off := int(b.FirstOffset) + int(r.OffsetDelta)
			if dropped(off) {
				continue
			}
			addSeen(&r)
			kept = append(kept, r)
			w := produced[off]
			w.headers = append(slices.Clip(w.headers), seenHeader)
			want = append(want, w)
		}
		b.SetRecords(kept)
	}
	var e Encoder
	out, err := e.AppendSet(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	got, next := kgoFetch(t, out, 0)
	if next != int64(len(produced)) {
		t.Fatalf("consumer would fetch from %d, want %d", next, len(produced))
	}
	if len(got) != len(want) {
		t.Fatalf("consumer sees %d records, want %d", len(got), len(want))
	}
	for i, r := range got {
		sameSent(t, i, r, want[i])
		if dropped(int(r.Offset)) {
			t.Fatalf("record at offset %d was to be left out", r.Offset)
		}
	}
}

// truncatedFetch cuts the fetched bytes inside the last batch, as a broker
// may, rewrites the complete batches, and checks that the consumer sees
// them and stops before the partial one.
func truncatedFetch(t *testing.T, raw []byte, produced []sent) {
	s, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	last := s.Batches[len(s.Batches)-1]
	cut := raw[:len(raw)-len(last.Raw())/2]
	if err := s.Parse(cut); err != nil {
		t.Fatal(err)
	}
	if !s.Truncated() || !bytes.Equal(s.Partial, last.Raw()[:len(s.Partial)]) {
		t.Fatalf("partial batch of %d bytes not reported", len(s.Partial))
	}
	for i := range s.Batches {
		recs, err := s.Batches[i].Decode(0)
		if err != nil {
			t.Fatal(err)
		}
		for j := range recs {
			addSeen(&recs[j])
		}
		s.Batches[i].MarkModified()
	}
	var e Encoder
	out, err := e.AppendSet(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(out, s.Partial) {
		t.Fatal("partial batch not kept")
	}
	got, next := kgoFetch(t, out, 0)
	if next != last.FirstOffset || len(got) != int(last.FirstOffset) {
		t.Fatalf("consumer sees %d records, next %d; want %d", len(got), next, last.FirstOffset)
	}
	for i, r := range got {
		w := produced[i]
		w.headers = append(slices.Clip(w.headers), seenHeader)
		sameSent(t, i, r, w)
	}
}

// produceBack does what a produce-side policy does: it adds a header to
// every record and leaves some out, renumbering the batch, then sends each
// batch to topic in a raw Produce request, as the gateway forwards it. The
// batches are moved to a new producer-less stream (the sequence numbers of
// the original producer do not apply to topic). It returns what topic
// should now hold.
func produceBack(ctx context.Context, t *testing.T, cl *kgo.Client, raw []byte, topic string, produced []sent) []sent {
	s, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	id := topicID(ctx, t, cl, topic)
	var (
		e    Encoder
		want []sent
		buf  []byte
	)
	for i := range s.Batches {
		b := &s.Batches[i]
		recs, err := b.Decode(0)
		if err != nil {
			t.Fatal(err)
		}
		var kept []kmsg.Record
		for _, r := range recs {
			off := int(b.FirstOffset) + int(r.OffsetDelta)
			if dropped(off) && b.NumRecords > 1 {
				continue
			}
			addSeen(&r)
			kept = append(kept, r)
			w := produced[off]
			w.headers = append(slices.Clip(w.headers), seenHeader)
			want = append(want, w)
		}
		b.SetRecords(kept)
		b.Renumber()
		b.FirstOffset, b.PartitionLeaderEpoch = 0, -1
		b.ProducerID, b.ProducerEpoch, b.FirstSequence = -1, -1, -1

		buf, err = e.AppendBatch(buf[:0], b)
		if err != nil {
			t.Fatal(err)
		}
		req := kmsg.NewPtrProduceRequest()
		req.Acks, req.TimeoutMillis = -1, 5000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic, rt.TopicID = topic, id
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Partition, rp.Records = 0, buf
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			t.Fatalf("produce answered %d topics", len(resp.Topics))
		}
		if p := resp.Topics[0].Partitions[0]; p.ErrorCode != 0 {
			msg := ""
			if p.ErrorMessage != nil {
				msg = *p.ErrorMessage
			}
			t.Fatalf("batch %d refused: %v %s", i, kerr.ErrorForCode(p.ErrorCode), msg)
		}
	}
	return want
}

// consume reads n records of topic with a franz-go consumer.
func consume(ctx context.Context, t *testing.T, cluster *kfake.Cluster, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(cluster.ListenAddrs()...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := fs.Err(); err != nil {
			t.Fatalf("after %d of %d records: %v", len(out), n, err)
		}
		out = append(out, fs.Records()...)
	}
	if len(out) != n {
		t.Fatalf("consumed %d records, want %d", len(out), n)
	}
	return out
}

// sameSent fails unless r carries what w says.
func sameSent(t *testing.T, i int, r *kgo.Record, w sent) {
	t.Helper()
	if !bytes.Equal(r.Key, w.key) || (r.Key == nil) != (w.key == nil) || !bytes.Equal(r.Value, w.value) {
		t.Fatalf("record %d: key %q value %q, want %q %q", i, r.Key, r.Value, w.key, w.value)
	}
	if !r.Timestamp.Equal(w.ts) {
		t.Fatalf("record %d: timestamp %v, want %v", i, r.Timestamp, w.ts)
	}
	if len(r.Headers) != len(w.headers) {
		t.Fatalf("record %d: headers %v, want %v", i, r.Headers, w.headers)
	}
	for j := range r.Headers {
		if r.Headers[j].Key != w.headers[j].Key || !bytes.Equal(r.Headers[j].Value, w.headers[j].Value) {
			t.Fatalf("record %d: headers %v, want %v", i, r.Headers, w.headers)
		}
	}
}
