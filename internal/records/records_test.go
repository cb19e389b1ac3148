// Unit tests: round trips per codec, raw re-emission, header-only edits,
// fetch- and produce-style rewrites, truncation, corruption, legacy message
// sets and decompression bounds, each checked against franz-go's consumer
// decoding where it can be.

package records

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// codecCase is one way a producer may have compressed a batch.
type codecCase struct {
	name      string
	codec     Codec
	rawSnappy bool // snappy without xerial framing
}

var codecCases = []codecCase{
	{"none", CodecNone, false},
	{"gzip", CodecGzip, false},
	{"snappy-xerial", CodecSnappy, false},
	{"snappy-raw", CodecSnappy, true},
	{"lz4", CodecLz4, false},
	{"zstd", CodecZstd, false},
}

const (
	testBase  = 1000
	testFirst = 1_700_000_000_000
)

// testRecords returns n records with what a codec and decoder can get
// wrong: nil and empty keys, nil header values, negative and large
// timestamp deltas.
func testRecords(n int) []kmsg.Record {
	recs := make([]kmsg.Record, n)
	for i := range recs {
		r := &recs[i]
		r.OffsetDelta = int32(i)
		ts := int64(i*7 - 3)
		if i == 2 {
			ts = 1 << 40 // needs TimestampDelta64
		}
		r.TimestampDelta64, r.TimestampDelta = ts, int32(ts)
		switch i % 3 {
		case 0:
			r.Key = nil
		case 1:
			r.Key = []byte{}
		default:
			r.Key = fmt.Appendf(nil, "key-%d", i)
		}
		r.Value = []byte(strings.Repeat(fmt.Sprintf("value %d of a compressible batch. ", i), 4))
		for h := range i % 3 {
			hv := fmt.Appendf(nil, "hv-%d-%d", i, h)
			if h == 1 {
				hv = nil
			}
			r.Headers = append(r.Headers, kmsg.Header{Key: fmt.Sprintf("h%d", h), Value: hv})
		}
	}
	return recs
}

// testHeader is a batch header with every field set to something distinct.
func testHeader(codec Codec, n int) kmsg.RecordBatch {
	return kmsg.RecordBatch{
		FirstOffset:          testBase,
		PartitionLeaderEpoch: 7,
		Attributes:           int16(codec),
		LastOffsetDelta:      int32(n - 1),
		FirstTimestamp:       testFirst,
		MaxTimestamp:         testFirst + 1<<40,
		ProducerID:           42,
		ProducerEpoch:        3,
		FirstSequence:        9,
	}
}

// encodeTest returns the bytes of a batch with header h and records recs,
// in raw snappy framing when rawSnappy is set.
func encodeTest(t testing.TB, h kmsg.RecordBatch, recs []kmsg.Record, rawSnappy bool) []byte {
	t.Helper()
	if rawSnappy {
		body, err := appendSnappy(nil, appendRecords(nil, recs))
		if err != nil {
			t.Fatal(err)
		}
		return rawBatch(h, int32(len(recs)), body)
	}
	b := Batch{RecordBatch: h}
	b.SetRecords(recs)
	var e Encoder
	out, err := e.AppendBatch(nil, &b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rawBatch frames body (a records section as is) behind header h.
func rawBatch(h kmsg.RecordBatch, n int32, body []byte) []byte {
	h.Magic, h.NumRecords, h.Records = 2, n, body
	h.Length = int32(batchHeaderLen - 12 + len(body))
	out := h.AppendTo(nil)
	putCRC(out)
	return out
}

// sameRecords fails unless got and want hold the same records, Length
// aside.
func sameRecords(t *testing.T, got, want []kmsg.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		g.Length, w.Length = 0, 0
		if fmt.Sprintf("%#v", g) != fmt.Sprintf("%#v", w) {
			t.Fatalf("record %d:\n got %#v\nwant %#v", i, g, w)
		}
	}
}

// kgoFetch decodes raw as franz-go's consumer does, from offset, and
// returns the records and the offset the consumer would fetch next.
func kgoFetch(t *testing.T, raw []byte, offset int64) ([]*kgo.Record, int64) {
	t.Helper()
	p := &kmsg.FetchResponseTopicPartition{RecordBatches: raw, HighWatermark: 1 << 50}
	fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{Offset: offset, Topic: "t"}, p, kgo.DefaultDecompressor(), nil)
	if fp.Err != nil {
		t.Fatalf("franz-go rejects the batches: %v", fp.Err)
	}
	return fp.Records, next
}

// sameAsKgo fails unless franz-go's records match want, a batch's records
// with the header h.
func sameAsKgo(t *testing.T, got []*kgo.Record, h kmsg.RecordBatch, want []kmsg.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("franz-go reads %d records, want %d", len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		if g.Offset != h.FirstOffset+int64(w.OffsetDelta) {
			t.Fatalf("record %d: offset %d, want %d", i, g.Offset, h.FirstOffset+int64(w.OffsetDelta))
		}
		if wantTs := time.UnixMilli(h.FirstTimestamp + w.TimestampDelta64); !g.Timestamp.Equal(wantTs) {
			t.Fatalf("record %d: timestamp %v, want %v", i, g.Timestamp, wantTs)
		}
		if !bytes.Equal(g.Key, w.Key) || (g.Key == nil) != (w.Key == nil) || !bytes.Equal(g.Value, w.Value) {
			t.Fatalf("record %d: key %q value %q, want %q %q", i, g.Key, g.Value, w.Key, w.Value)
		}
		if len(g.Headers) != len(w.Headers) {
			t.Fatalf("record %d: %d headers, want %d", i, len(g.Headers), len(w.Headers))
		}
		for j, gh := range g.Headers {
			if gh.Key != w.Headers[j].Key || !bytes.Equal(gh.Value, w.Headers[j].Value) {
				t.Fatalf("record %d header %d: %s=%q, want %s=%q", i, j, gh.Key, gh.Value, w.Headers[j].Key, w.Headers[j].Value)
			}
		}
		if g.ProducerID != h.ProducerID || g.ProducerEpoch != h.ProducerEpoch || g.LeaderEpoch != h.PartitionLeaderEpoch {
			t.Fatalf("record %d: producer %d/%d epoch %d, want %d/%d %d", i, g.ProducerID, g.ProducerEpoch, g.LeaderEpoch, h.ProducerID, h.ProducerEpoch, h.PartitionLeaderEpoch)
		}
	}
}

// parseOne parses raw, which must hold exactly one batch.
func parseOne(t *testing.T, raw []byte) *Batch {
	t.Helper()
	s, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Batches) != 1 || s.Truncated() || s.Legacy {
		t.Fatalf("parsed %d batches, partial %d bytes, legacy %v", len(s.Batches), len(s.Partial), s.Legacy)
	}
	return &s.Batches[0]
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			want := testRecords(20)
			h := testHeader(tc.codec, len(want))
			h.Attributes |= AttrTransactional
			raw := encodeTest(t, h, want, tc.rawSnappy)

			b := parseOne(t, raw)
			if b.Codec() != tc.codec || !b.IsTransactional() || b.IsControl() || !b.Idempotent() {
				t.Fatalf("codec %v transactional %v control %v", b.Codec(), b.IsTransactional(), b.IsControl())
			}
			if b.Codec() != CodecNone && len(b.Records) >= len(appendRecords(nil, want)) {
				t.Fatalf("records section of %d bytes is not compressed", len(b.Records))
			}
			got := b.RecordBatch
			got.Length, got.Magic, got.CRC, got.NumRecords, got.Records = 0, 0, 0, 0, nil
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", h) {
				t.Fatalf("header\n got %+v\nwant %+v", got, h)
			}
			if b.NumRecords != int32(len(want)) || b.Magic != 2 {
				t.Fatalf("NumRecords %d magic %d", b.NumRecords, b.Magic)
			}
			recs, err := b.Decode(0)
			if err != nil {
				t.Fatal(err)
			}
			sameRecords(t, recs, want)
			kr, next := kgoFetch(t, raw, 0)
			sameAsKgo(t, kr, h, want)
			if next != testBase+int64(len(want)) {
				t.Fatalf("next offset %d", next)
			}

			// Unchanged: the same bytes. Modified without a change: the
			// same records, the same framing, a valid batch.
			var e Encoder
			again, err := e.AppendBatch(nil, b)
			if err != nil || !bytes.Equal(again, raw) {
				t.Fatalf("unchanged batch not re-emitted as read (err %v)", err)
			}
			b.MarkModified()
			again, err = e.AppendBatch(nil, b)
			if err != nil {
				t.Fatal(err)
			}
			b2 := parseOne(t, again)
			if b2.Codec() != tc.codec || tc.codec == CodecSnappy && isXerial(b2.Records) == tc.rawSnappy {
				t.Fatalf("re-encoded as %v (xerial %v)", b2.Codec(), isXerial(b2.Records))
			}
			recs2, err := b2.Decode(0)
			if err != nil {
				t.Fatal(err)
			}
			sameRecords(t, recs2, want)
			kr, _ = kgoFetch(t, again, 0)
			sameAsKgo(t, kr, h, want)
		})
	}
}

func TestRecordLen(t *testing.T) {
	for i, r := range testRecords(30) {
		r.Length = 0
		enc := r.AppendTo(nil)
		if got, want := recordLen(&r), len(enc)-1; got != want { // varint 0 is one byte
			t.Fatalf("record %d: recordLen %d, kmsg writes %d", i, got, want)
		}
	}
}

func TestUnchangedSetIsCopied(t *testing.T) {
	var src []byte
	for i, tc := range codecCases {
		h := testHeader(tc.codec, 5)
		h.FirstOffset = int64(i * 5)
		src = append(src, encodeTest(t, h, testRecords(5), tc.rawSnappy)...)
	}
	s, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Batches) != len(codecCases) || s.Modified() {
		t.Fatalf("%d batches, modified %v", len(s.Batches), s.Modified())
	}
	var e Encoder
	dst := make([]byte, 0, len(src))
	out, err := e.AppendSet(dst, s)
	if err != nil || !bytes.Equal(out, src) {
		t.Fatalf("set not copied as read (err %v)", err)
	}
	// Decoding alone changes nothing.
	for i := range s.Batches {
		if _, err := s.Batches[i].Decode(0); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(100, func() {
		out, _ = e.AppendSet(dst[:0], s)
	})
	if allocs != 0 || !bytes.Equal(out, src) {
		t.Fatalf("%v allocations copying an unchanged set", allocs)
	}
}

func TestHeaderOnlyChange(t *testing.T) {
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			want := testRecords(6)
			raw := encodeTest(t, testHeader(tc.codec, len(want)), want, tc.rawSnappy)
			b := parseOne(t, raw)
			// What a produce-side rewrite to another producer does,
			// without decoding the records.
			b.FirstOffset, b.ProducerID, b.ProducerEpoch, b.FirstSequence, b.PartitionLeaderEpoch = 0, -1, -1, -1, -1
			if b.Modified() {
				t.Fatal("a header change marks the records modified")
			}
			var e Encoder
			out, err := e.AppendBatch(nil, b)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != len(raw) || !bytes.Equal(out[batchHeaderLen:], raw[batchHeaderLen:]) {
				t.Fatal("records section changed")
			}
			b2 := parseOne(t, out) // checks the CRC
			if b2.FirstOffset != 0 || b2.ProducerID != -1 || b2.ProducerEpoch != -1 || b2.FirstSequence != -1 || b2.PartitionLeaderEpoch != -1 {
				t.Fatalf("header not rewritten: %+v", b2.RecordBatch)
			}
			recs, err := b2.Decode(0)
			if err != nil {
				t.Fatal(err)
			}
			sameRecords(t, recs, want)
		})
	}
}

func TestCodecChange(t *testing.T) {
	want := testRecords(8)
	raw := encodeTest(t, testHeader(CodecGzip, len(want)), want, false)
	b := parseOne(t, raw)
	b.Attributes = b.Attributes&^AttrCodecMask | int16(CodecZstd)
	var e Encoder
	if _, err := e.AppendBatch(nil, b); !errors.Is(err, ErrNotDecoded) {
		t.Fatalf("err = %v, want ErrNotDecoded", err)
	}
	b.Attributes = b.Attributes&^AttrCodecMask | int16(CodecGzip)
	b.MarkModified()
	if _, err := e.AppendBatch(nil, b); !errors.Is(err, ErrNotDecoded) {
		t.Fatalf("modified, not decoded: err = %v, want ErrNotDecoded", err)
	}
	if _, err := b.Decode(0); err != nil {
		t.Fatal(err)
	}
	b.Attributes = b.Attributes&^AttrCodecMask | int16(CodecZstd)
	out, err := e.AppendBatch(nil, b)
	if err != nil {
		t.Fatal(err)
	}
	b2 := parseOne(t, out)
	if b2.Codec() != CodecZstd {
		t.Fatalf("codec %v", b2.Codec())
	}
	recs, err := b2.Decode(0)
	if err != nil {
		t.Fatal(err)
	}
	sameRecords(t, recs, want)
}

// TestFetchRewrite leaves records out of fetched batches, as a consume-side
// policy does, and checks that franz-go's consumer sees the rest with their
// offsets and still moves past the batch, also when none is left.
func TestFetchRewrite(t *testing.T) {
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			orig := testRecords(10)
			h := testHeader(tc.codec, len(orig))
			raw := encodeTest(t, h, orig, tc.rawSnappy)
			h2 := h
			h2.FirstOffset += 10
			raw = append(raw, encodeTest(t, h2, orig, tc.rawSnappy)...)
			s, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}

			b := &s.Batches[0]
			recs, err := b.Decode(0)
			if err != nil {
				t.Fatal(err)
			}
			var kept []kmsg.Record
			for i, r := range recs {
				if i%3 != 0 && i != 9 { // the last one goes too
					r.Headers = append(r.Headers, kmsg.Header{Key: "strait", Value: []byte("seen")})
					kept = append(kept, r)
				}
			}
			b.SetRecords(kept)
			s.Batches[1].SetRecords(nil) // nothing left, as compaction can leave

			var e Encoder
			out, err := e.AppendSet(nil, s)
			if err != nil {
				t.Fatal(err)
			}
			kr, next := kgoFetch(t, out, testBase)
			sameAsKgo(t, kr, h, kept)
			if next != testBase+20 {
				t.Fatalf("consumer would fetch from %d, want %d", next, testBase+20)
			}
			s2, err := Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			b0, b1 := &s2.Batches[0], &s2.Batches[1]
			if b0.Codec() != tc.codec || b0.LastOffsetDelta != 9 || b0.NumRecords != int32(len(kept)) {
				t.Fatalf("first batch: codec %v LastOffsetDelta %d NumRecords %d", b0.Codec(), b0.LastOffsetDelta, b0.NumRecords)
			}
			if b1.Codec() != CodecNone || b1.LastOffsetDelta != 9 || b1.NumRecords != 0 || len(b1.Records) != 0 || b1.FirstOffset != testBase+10 {
				t.Fatalf("empty batch: %+v", b1.RecordBatch)
			}
			if recs, err := b1.Decode(0); err != nil || len(recs) != 0 {
				t.Fatalf("empty batch decodes to %d records, %v", len(recs), err)
			}
		})
	}
}

// TestProduceRewrite leaves records out of a produced batch and renumbers
// it, as a broker requires.
func TestProduceRewrite(t *testing.T) {
	orig := testRecords(6)
	h := testHeader(CodecLz4, len(orig))
	h.FirstOffset, h.ProducerID, h.ProducerEpoch, h.FirstSequence = 0, -1, -1, -1
	b := parseOne(t, encodeTest(t, h, orig, false))
	if b.Idempotent() {
		t.Fatal("batch without producer id reported idempotent")
	}
	recs, err := b.Decode(0)
	if err != nil {
		t.Fatal(err)
	}
	b.SetRecords([]kmsg.Record{recs[1], recs[4]})
	b.Renumber()
	var e Encoder
	out, err := e.AppendBatch(nil, b)
	if err != nil {
		t.Fatal(err)
	}
	b2 := parseOne(t, out)
	if b2.LastOffsetDelta != 1 || b2.NumRecords != 2 {
		t.Fatalf("LastOffsetDelta %d NumRecords %d", b2.LastOffsetDelta, b2.NumRecords)
	}
	got, err := b2.Decode(0)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if r.OffsetDelta != int32(i) || !bytes.Equal(r.Value, orig[[]int{1, 4}[i]].Value) {
			t.Fatalf("record %d: offset delta %d value %q", i, r.OffsetDelta, r.Value)
		}
	}
}

func TestHandBuiltBatch(t *testing.T) {
	var b Batch // no records, all zero: a valid empty batch
	var e Encoder
	out, err := e.AppendBatch(nil, &b)
	if err != nil {
		t.Fatal(err)
	}
	got := parseOne(t, out)
	if got.NumRecords != 0 || got.Magic != 2 || len(out) != batchHeaderLen {
		t.Fatalf("%+v", got.RecordBatch)
	}
	if _, next := kgoFetch(t, out, 0); next != 1 {
		t.Fatalf("next %d", next)
	}
}

func TestTruncated(t *testing.T) {
	var src []byte
	var ends []int
	for i, tc := range codecCases[:3] {
		h := testHeader(tc.codec, 4)
		h.FirstOffset = int64(i * 4)
		src = append(src, encodeTest(t, h, testRecords(4), false)...)
		ends = append(ends, len(src))
	}
	last := ends[1]
	cuts := []int{last + 1, last + 12, last + 16, last + 17, last + batchHeaderLen, len(src) - 1}
	for _, cut := range cuts {
		t.Run(fmt.Sprintf("cut at %d", cut), func(t *testing.T) {
			in := src[:cut]
			s, err := Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Batches) != 2 || !s.Truncated() || !bytes.Equal(s.Partial, in[last:]) {
				t.Fatalf("%d batches, partial %d bytes", len(s.Batches), len(s.Partial))
			}
			var e Encoder
			if out, err := e.AppendSet(nil, s); err != nil || !bytes.Equal(out, in) {
				t.Fatalf("not copied as read (err %v)", err)
			}
			// A changed batch before it leaves the partial batch as is.
			recs, err := s.Batches[0].Decode(0)
			if err != nil {
				t.Fatal(err)
			}
			s.Batches[0].SetRecords(recs[:1])
			out, err := e.AppendSet(nil, s)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(out, in[last:]) {
				t.Fatal("partial batch not kept")
			}
			kr, next := kgoFetch(t, out, 0)
			if len(kr) != 1+4 || next != 8 {
				t.Fatalf("franz-go reads %d records, next %d", len(kr), next)
			}
		})
	}
	t.Run("cut in the first batch", func(t *testing.T) {
		s, err := Parse(src[:10])
		if err != nil || len(s.Batches) != 0 || len(s.Partial) != 10 {
			t.Fatalf("%v, %d batches, partial %d", err, len(s.Batches), len(s.Partial))
		}
	})
}

func TestCorrupt(t *testing.T) {
	good := encodeTest(t, testHeader(CodecNone, 3), testRecords(3), false)
	edit := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	withBody := func(n int32, body []byte) []byte {
		return rawBatch(testHeader(CodecNone, int(n)), n, body)
	}
	body := appendRecords(nil, testRecords(3))

	parseErrs := []struct {
		name string
		in   []byte
		errs []error
	}{
		{"flipped record byte", edit(func(b []byte) { b[len(b)-3] ^= 1 }), []error{ErrCorrupt, ErrCRCMismatch}},
		{"flipped attributes", edit(func(b []byte) { b[attrsAt+1] ^= 0x08 }), []error{ErrCorrupt, ErrCRCMismatch}},
		{"flipped producer id", edit(func(b []byte) { b[45] ^= 0x80 }), []error{ErrCorrupt, ErrCRCMismatch}},
		{"flipped crc", edit(func(b []byte) { b[crcAt] ^= 1 }), []error{ErrCorrupt, ErrCRCMismatch}},
		{"negative length", edit(func(b []byte) { binary.BigEndian.PutUint32(b[lengthAt:], 0x80000000) }), []error{ErrCorrupt}},
		{"length below header", append(edit(func(b []byte) { binary.BigEndian.PutUint32(b[lengthAt:], 20) })[:32], 0), []error{ErrCorrupt}},
		{"unknown magic", edit(func(b []byte) { b[magicAt] = 3 }), []error{ErrCorrupt}},
		{"negative count", withBody(-1, body), []error{ErrCorrupt}},
	}
	for _, tc := range parseErrs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			for _, want := range tc.errs {
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
			}
		})
	}

	gz := appendGzip(t, body)
	decodeErrs := []struct {
		name string
		in   []byte
	}{
		{"more records claimed", withBody(4, body)},
		{"fewer records claimed", withBody(2, body)},
		{"huge count", withBody(1<<30, body)},
		{"record cut short", withBody(3, body[:len(body)-1])},
		{"garbage gzip", rawBatch(testHeader(CodecGzip, 3), 3, body)},
		{"cut gzip", rawBatch(testHeader(CodecGzip, 3), 3, gz[:len(gz)-9])},
		{"bad xerial block", rawBatch(testHeader(CodecSnappy, 3), 3, append(bytes.Clone(xerialHeader), 0, 0, 0, 200, 1))},
		{"unknown codec", rawBatch(testHeader(6, 3), 3, body)},
	}
	for _, tc := range decodeErrs {
		t.Run(tc.name, func(t *testing.T) {
			b := parseOne(t, tc.in)
			if _, err := b.Decode(0); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func appendGzip(t *testing.T, src []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(src); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// legacyMessage returns a magic 0 or 1 message as an old producer writes
// it, with its CRC (IEEE, over magic to end).
func legacyMessage(magic int8, offset int64, value string) []byte {
	var out []byte
	if magic == 0 {
		m := kmsg.MessageV0{Offset: offset, Magic: 0, Value: []byte(value)}
		m.MessageSize = int32(len(m.AppendTo(nil)) - 12)
		out = m.AppendTo(nil)
	} else {
		m := kmsg.MessageV1{Offset: offset, Magic: 1, Timestamp: testFirst, Value: []byte(value)}
		m.MessageSize = int32(len(m.AppendTo(nil)) - 12)
		out = m.AppendTo(nil)
	}
	binary.BigEndian.PutUint32(out[12:], crc32.ChecksumIEEE(out[16:]))
	return out
}

func TestLegacy(t *testing.T) {
	v0 := legacyMessage(0, 0, "older v0")
	v1 := legacyMessage(1, 1, "old v1")
	h := testHeader(CodecGzip, 3)
	h.FirstOffset = 2
	v2 := encodeTest(t, h, testRecords(3), false)
	src := concat(v0, v1, v2)

	// franz-go reads the same input: it is well formed.
	if kr, _ := kgoFetch(t, src, 0); len(kr) != 5 {
		t.Fatalf("franz-go reads %d records", len(kr))
	}
	s, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Legacy || len(s.Batches) != 3 {
		t.Fatalf("legacy %v, %d batches", s.Legacy, len(s.Batches))
	}
	for i, magic := range []int8{0, 1} {
		b := &s.Batches[i]
		if !b.IsLegacy() || b.Magic != magic || b.FirstOffset != int64(i) {
			t.Fatalf("entry %d: legacy %v magic %d offset %d", i, b.IsLegacy(), b.Magic, b.FirstOffset)
		}
		if _, err := b.Decode(0); !errors.Is(err, ErrLegacy) {
			t.Fatalf("entry %d: err = %v, want ErrLegacy", i, err)
		}
		b.MarkModified()
		b.SetRecords(nil)
		if b.Modified() {
			t.Fatalf("entry %d: a legacy entry was marked modified", i)
		}
	}
	recs, err := s.Batches[2].Decode(0)
	if err != nil {
		t.Fatal(err)
	}
	s.Batches[2].SetRecords(recs[1:])
	var e Encoder
	out, err := e.AppendSet(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, concat(v0, v1)) {
		t.Fatal("legacy entries not copied as read")
	}
	if kr, next := kgoFetch(t, out, 0); len(kr) != 4 || next != 5 {
		t.Fatalf("franz-go reads %d records, next %d", len(kr), next)
	}
}

func concat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// TestDecompressLimit feeds batches that decompress far beyond their size.
func TestDecompressLimit(t *testing.T) {
	big := make([]kmsg.Record, 4)
	for i := range big {
		big[i] = kmsg.Record{OffsetDelta: int32(i), Value: make([]byte, 64<<10)}
	}
	const limit = 128 << 10 // the records take 4*64 KiB and a little
	for _, tc := range codecCases[1:] {
		t.Run(tc.name, func(t *testing.T) {
			raw := encodeTest(t, testHeader(tc.codec, len(big)), big, tc.rawSnappy)
			b := parseOne(t, raw)
			if len(raw) > 64<<10 {
				t.Fatalf("bomb of %d bytes does not compress", len(raw))
			}
			if _, err := b.Decode(limit); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			recs, err := b.Decode(1 << 20)
			if err != nil {
				t.Fatal(err)
			}
			sameRecords(t, recs, big)
		})
	}

	// Several frames or members, each under the limit, together over it.
	body := appendRecords(nil, big[:1])
	multi := map[string][]byte{}
	zw, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	for range 4 {
		multi["zstd frames"] = zw.EncodeAll(body, multi["zstd frames"])
		multi["gzip members"] = append(multi["gzip members"], appendGzip(t, body)...)
	}
	codecs := map[string]Codec{"zstd frames": CodecZstd, "gzip members": CodecGzip}
	for name, z := range multi {
		t.Run(name, func(t *testing.T) {
			b := parseOne(t, rawBatch(testHeader(codecs[name], 1), 1, z))
			if _, err := b.Decode(limit); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			// Under a larger limit the frames decode, and four records
			// are more than the one claimed.
			if _, err := b.Decode(1 << 20); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestReuseSet(t *testing.T) {
	a := encodeTest(t, testHeader(CodecNone, 2), testRecords(2), false)
	b := concat(a, a, a)
	var s Set
	if err := s.Parse(b); err != nil || len(s.Batches) != 3 {
		t.Fatal(err, len(s.Batches))
	}
	if _, err := s.Batches[0].Decode(0); err != nil {
		t.Fatal(err)
	}
	s.Batches[0].MarkModified()
	allocs := testing.AllocsPerRun(50, func() {
		if err := s.Parse(a); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 || len(s.Batches) != 1 || s.Batches[0].Modified() || s.Batches[0].decoded {
		t.Fatalf("%v allocations, %d batches, state kept", allocs, len(s.Batches))
	}
}

func TestEncodeAllocs(t *testing.T) {
	for _, tc := range []codecCase{codecCases[0], codecCases[3]} { // no pooled codec state
		t.Run(tc.name, func(t *testing.T) {
			b := parseOne(t, encodeTest(t, testHeader(tc.codec, 50), testRecords(50), tc.rawSnappy))
			if _, err := b.Decode(0); err != nil {
				t.Fatal(err)
			}
			b.MarkModified()
			var e Encoder
			dst, _ := e.AppendBatch(nil, b)
			allocs := testing.AllocsPerRun(50, func() {
				dst, _ = e.AppendBatch(dst[:0], b)
			})
			if allocs != 0 {
				t.Fatalf("%v allocations per encode", allocs)
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, tc := range codecCases {
		b.Run(tc.name, func(b *testing.B) {
			raw := encodeTest(b, testHeader(tc.codec, 100), testRecords(100), tc.rawSnappy)
			s, err := Parse(raw)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Batches[0].Decode(0); err != nil {
				b.Fatal(err)
			}
			s.Batches[0].MarkModified()
			var e Encoder
			var dst []byte
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				dst, _ = e.AppendSet(dst[:0], s)
			}
		})
	}
}

func BenchmarkParseDecode(b *testing.B) {
	for _, tc := range codecCases {
		b.Run(tc.name, func(b *testing.B) {
			raw := encodeTest(b, testHeader(tc.codec, 100), testRecords(100), tc.rawSnappy)
			var s Set
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Parse(raw); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Batches[0].Decode(0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
