// Writing a Set back: unchanged batches as their original bytes, changed
// headers patched, changed records encoded and compressed again.

package records

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Encoder writes Sets and Batches. It keeps scratch buffers between calls,
// so reuse one; it is not safe for concurrent use. The zero value is ready.
// Compressors are pooled per process, not per Encoder.
type Encoder struct {
	scratch []byte       // uncompressed records of a compressed batch
	w       appendWriter // lets stream compressors append to dst
}

// AppendSet appends every batch of s to dst as AppendBatch does, then the
// partial batch, if any, byte for byte. On error it returns dst as it was.
func (e *Encoder) AppendSet(dst []byte, s *Set) ([]byte, error) {
	start := len(dst)
	for i := range s.Batches {
		var err error
		if dst, err = e.AppendBatch(dst, &s.Batches[i]); err != nil {
			return dst[:start], err
		}
	}
	return append(dst, s.Partial...), nil
}

// AppendBatch appends b to dst. A legacy entry, or a batch neither marked
// modified nor changed in its header, is copied as read. A batch whose
// header fields changed but not its records gets the new header and CRC in
// front of its original records section, with no compression work. A
// modified batch is encoded from its records: the codec of its attributes
// (snappy keeps the producer's framing; xerial, as Java writes, for a batch
// built by hand), NumRecords, Length and CRC computed, every other header
// field as it stands. A batch without records is written uncompressed, as
// compaction writes one. b is not changed. On error it returns dst as it
// was.
func (e *Encoder) AppendBatch(dst []byte, b *Batch) ([]byte, error) {
	if b.IsLegacy() {
		return append(dst, b.raw...), nil
	}
	if b.raw != nil {
		origCodec := Codec(b.raw[attrsAt+1]) & Codec(AttrCodecMask)
		if !b.modified && origCodec == b.Codec() {
			return appendHeader(dst, b), nil
		}
		if !b.decoded {
			return dst, fmt.Errorf("batch at offset %d: %w", b.FirstOffset, ErrNotDecoded)
		}
	}
	dst, err := e.encode(dst, b)
	if err != nil {
		return dst, fmt.Errorf("batch at offset %d: %w", b.FirstOffset, err)
	}
	return dst, nil
}

// appendHeader appends the parsed batch b with its current header fields
// and its original records section: its raw bytes when the header is
// unchanged.
func appendHeader(dst []byte, b *Batch) []byte {
	raw := b.raw
	h := b.RecordBatch
	// The fields that describe the bytes come from the bytes, so that hdr
	// equals raw's header exactly when no settable field changed.
	h.Length = int32(binary.BigEndian.Uint32(raw[lengthAt:]))
	h.Magic = int8(raw[magicAt])
	h.CRC = int32(binary.BigEndian.Uint32(raw[crcAt:]))
	h.NumRecords = int32(binary.BigEndian.Uint32(raw[numRecordsAt:]))
	h.Records = nil
	var buf [batchHeaderLen]byte
	hdr := h.AppendTo(buf[:0])
	if string(hdr) == string(raw[:batchHeaderLen]) {
		return append(dst, raw...)
	}
	start := len(dst)
	dst = append(dst, hdr...)
	dst = append(dst, raw[batchHeaderLen:]...)
	putCRC(dst[start:])
	return dst
}

// putCRC sets the CRC of the batch that is all of batch.
func putCRC(batch []byte) {
	binary.BigEndian.PutUint32(batch[crcAt:], crc32.Checksum(batch[attrsAt:], castagnoli))
}

// encode appends b encoded from its records.
func (e *Encoder) encode(dst []byte, b *Batch) ([]byte, error) {
	recs := b.recs
	h := b.RecordBatch
	h.Magic, h.NumRecords, h.Records = 2, int32(len(recs)), nil
	codec := b.Codec()
	if len(recs) == 0 {
		h.Attributes &^= AttrCodecMask
		codec = CodecNone
	}
	start := len(dst)
	dst = h.AppendTo(dst)
	var err error
	switch codec {
	case CodecNone:
		dst = appendRecords(dst, recs)
	case CodecGzip, CodecSnappy, CodecLz4, CodecZstd:
		e.scratch = appendRecords(e.scratch[:0], recs)
		dst, err = e.compress(dst, codec, e.scratch, b.xerial())
		if cap(e.scratch) > maxKeptScratch {
			e.scratch = nil
		}
	default:
		err = fmt.Errorf("unknown compression codec %d", codec)
	}
	if err != nil {
		return dst[:start], err
	}
	length := len(dst) - start - 12
	if length > math.MaxInt32 {
		return dst[:start], fmt.Errorf("encoded batch of %d bytes is too large", length)
	}
	binary.BigEndian.PutUint32(dst[start+lengthAt:], uint32(length))
	putCRC(dst[start:])
	return dst, nil
}

// maxKeptScratch is the largest scratch buffer an Encoder keeps for the
// next batch; a larger one was for an unusual batch and is dropped.
const maxKeptScratch = 4 << 20

// xerial reports whether snappy output should use the xerial framing:
// unless the producer wrote raw snappy.
func (b *Batch) xerial() bool {
	if b.raw == nil || Codec(b.raw[attrsAt+1])&Codec(AttrCodecMask) != CodecSnappy {
		return true
	}
	return isXerial(b.Records)
}

// appendRecords appends recs with their Length fields computed; recs is
// not changed.
func appendRecords(dst []byte, recs []kmsg.Record) []byte {
	for i := range recs {
		r := recs[i]
		r.Length = int32(recordLen(&r))
		dst = r.AppendTo(dst)
	}
	return dst
}

// recordLen is the length kmsg.Record.AppendTo writes after the Length
// field.
func recordLen(r *kmsg.Record) int {
	ts := r.TimestampDelta64
	if ts == 0 { // as AppendTo does
		ts = int64(r.TimestampDelta)
	}
	n := 1 + kbin.VarlongLen(ts) + kbin.VarintLen(r.OffsetDelta) +
		bytesLen(r.Key) + bytesLen(r.Value) + kbin.VarintLen(int32(len(r.Headers)))
	for i := range r.Headers {
		h := &r.Headers[i]
		n += kbin.VarintLen(int32(len(h.Key))) + len(h.Key) + bytesLen(h.Value)
	}
	return n
}

// bytesLen is the length of b as varint-prefixed nullable bytes.
func bytesLen(b []byte) int {
	if b == nil {
		return 1 // varint -1
	}
	return kbin.VarintLen(int32(len(b))) + len(b)
}

// appendWriter is an io.Writer appending to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

var (
	gzipWriters sync.Pool
	lz4Writers  sync.Pool
	zstdWriters sync.Pool
)

// compress appends src compressed with codec to dst. Levels are each
// library's default; the producer's level is not on the wire.
func (e *Encoder) compress(dst []byte, codec Codec, src []byte, xerial bool) ([]byte, error) {
	switch codec {
	case CodecGzip:
		gz, _ := gzipWriters.Get().(*gzip.Writer)
		if gz == nil {
			gz = gzip.NewWriter(nil)
		}
		defer gzipWriters.Put(gz)
		return e.stream(dst, gz, src)
	case CodecLz4:
		lw, _ := lz4Writers.Get().(*lz4.Writer)
		if lw == nil {
			// 64 KiB blocks, as the Java producer writes, rather than
			// the library's 4 MiB: less memory on both sides.
			lw = lz4.NewWriter(nil)
			if err := lw.Apply(lz4.BlockSizeOption(lz4.Block64Kb)); err != nil {
				return dst, err
			}
		}
		defer lz4Writers.Put(lw)
		return e.stream(dst, lw, src)
	case CodecSnappy:
		if xerial {
			return appendXerial(dst, src)
		}
		return appendSnappy(dst, src)
	case CodecZstd:
		zw, _ := zstdWriters.Get().(*zstd.Encoder)
		if zw == nil {
			var err error
			// The window franz-go uses: consumers need no more memory
			// than that to decode.
			zw, err = zstd.NewWriter(nil,
				zstd.WithEncoderConcurrency(1),
				zstd.WithWindowSize(64<<10),
				zstd.WithZeroFrames(true))
			if err != nil {
				return dst, err
			}
		}
		defer zstdWriters.Put(zw)
		return zw.EncodeAll(src, dst), nil
	}
	return dst, fmt.Errorf("unknown compression codec %d", codec)
}

// streamWriter is what gzip and lz4 writers have in common.
type streamWriter interface {
	io.WriteCloser
	Reset(io.Writer)
}

// stream compresses src through w into dst.
func (e *Encoder) stream(dst []byte, w streamWriter, src []byte) ([]byte, error) {
	e.w.b = dst
	w.Reset(&e.w)
	_, err := w.Write(src)
	if err == nil {
		err = w.Close()
	}
	dst, e.w.b = e.w.b, nil
	w.Reset(io.Discard) // the pooled writer must not keep e
	return dst, err
}

// appendSnappy appends src as one raw snappy block.
func appendSnappy(dst, src []byte) ([]byte, error) {
	n := s2.MaxEncodedLen(len(src))
	if n < 0 {
		return dst, fmt.Errorf("snappy: %d bytes is too large to compress", len(src))
	}
	dst = slices.Grow(dst, n)
	out := s2.EncodeSnappy(dst[len(dst):], src)
	return dst[:len(dst)+len(out)], nil
}

// xerialHeader is xerialMagic, then version 1 and minimum compatible
// version 1; the Java reader refuses a lower version.
var xerialHeader = append(slices.Clip(xerialMagic), 0, 0, 0, 1, 0, 0, 0, 1)

// appendXerial appends src in the xerial framing, in blocks of the size the
// Java library writes.
func appendXerial(dst, src []byte) ([]byte, error) {
	dst = append(dst, xerialHeader...)
	for len(src) > 0 {
		chunk := src[:min(len(src), xerialBlockSize)]
		src = src[len(chunk):]
		dst = slices.Grow(dst, 4+s2.MaxEncodedLen(len(chunk)))
		at := len(dst)
		out := s2.EncodeSnappy(dst[at+4:at+4], chunk)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(out)))
		dst = dst[:at+4+len(out)]
	}
	return dst, nil
}
