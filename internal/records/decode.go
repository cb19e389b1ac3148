// Decompressing a batch's records section, with a bound on the output, and
// decoding it into kmsg.Records.

package records

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DefaultMaxDecompressed is the bound Decode applies when given none: the
// broker's default socket.request.max.bytes.
const DefaultMaxDecompressed = 100 << 20

// minRecordLen is the smallest encoded record: a length, attributes,
// timestamp and offset deltas, key and value lengths, header count.
const minRecordLen = 7

// Decode returns the batch's records, decompressing and decoding them on
// the first call; later calls return the current records (those of the
// last SetRecords, if any). A compressed batch that would decompress to
// more than limit bytes is refused with ErrTooLarge; limit <= 0 means
// DefaultMaxDecompressed. Records that do not decode, or a count that does
// not match NumRecords, give ErrCorrupt; a legacy entry gives ErrLegacy.
//
// The records alias the parsed input (uncompressed batches) or a buffer the
// batch owns (compressed ones). They may be changed in place; call
// MarkModified (or SetRecords) so that the Encoder writes the change.
// Decode is safe to call concurrently for different batches.
func (b *Batch) Decode(limit int) ([]kmsg.Record, error) {
	if b.IsLegacy() {
		return nil, ErrLegacy
	}
	if b.decoded {
		return b.recs, nil
	}
	if limit <= 0 {
		limit = DefaultMaxDecompressed
	}
	body, err := decompress(b.Codec(), b.Records, limit)
	if err != nil {
		return nil, fmt.Errorf("batch at offset %d: %w", b.FirstOffset, err)
	}
	recs, err := decodeRecords(body, b.NumRecords)
	if err != nil {
		return nil, fmt.Errorf("batch at offset %d: %w", b.FirstOffset, err)
	}
	b.recs, b.decoded = recs, true
	return recs, nil
}

// decodeRecords decodes exactly n records making up all of body.
func decodeRecords(body []byte, n int32) ([]kmsg.Record, error) {
	if n == 0 && len(body) == 0 {
		return nil, nil
	}
	// Every record takes minRecordLen bytes or more: a count larger than
	// body allows is corrupt, and must not size the allocation.
	if int(n) > len(body)/minRecordLen {
		return nil, fmt.Errorf("%w: %d records claimed in %d bytes", ErrCorrupt, n, len(body))
	}
	recs := make([]kmsg.Record, n)
	for i := range recs {
		length, used := kbin.Varint(body)
		if used <= 0 || length < 0 || len(body)-used < int(length) {
			return nil, fmt.Errorf("%w: record %d of %d is truncated", ErrCorrupt, i, n)
		}
		end := used + int(length)
		if err := recs[i].ReadFrom(body[:end]); err != nil {
			return nil, fmt.Errorf("%w: record %d of %d: %w", ErrCorrupt, i, n, err)
		}
		body = body[end:]
	}
	if len(body) > 0 {
		return nil, fmt.Errorf("%w: %d bytes after the %d records", ErrCorrupt, len(body), n)
	}
	return recs, nil
}

// decompress returns the records section decompressed, refusing output over
// limit bytes. An uncompressed section is returned as is.
func decompress(codec Codec, src []byte, limit int) ([]byte, error) {
	var (
		out []byte
		err error
	)
	switch codec {
	case CodecNone:
		return src, nil
	case CodecGzip:
		out, err = gunzip(src, limit)
	case CodecSnappy:
		if isXerial(src) {
			out, err = unxerial(src, limit)
		} else {
			out, err = unsnappy(src, limit)
		}
	case CodecLz4:
		out, err = unlz4(src, limit)
	case CodecZstd:
		out, err = unzstd(src, limit)
	default:
		return nil, fmt.Errorf("%w: unknown compression codec %d", ErrCorrupt, codec)
	}
	if errors.Is(err, ErrTooLarge) {
		return nil, fmt.Errorf("%w: %s over %d bytes", ErrTooLarge, codec, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, codec, err)
	}
	return out, nil
}

// readBounded appends what r yields to dst until EOF, failing with
// ErrTooLarge past limit bytes. It grows dst as append does, never beyond
// limit+1.
func readBounded(dst []byte, r io.Reader, limit int) ([]byte, error) {
	for empty := 0; ; {
		if len(dst) == cap(dst) {
			if len(dst) > limit {
				return nil, ErrTooLarge
			}
			dst = slices.Grow(dst, min(max(cap(dst), 512), limit+1-len(dst)))
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if n > 0 {
			empty = 0
		} else if empty++; empty > 100 && err == nil { // as bufio gives up
			return nil, io.ErrNoProgress
		}
		if len(dst) > limit {
			return nil, ErrTooLarge
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// hint bounds a size a compressed input claims for itself by the limit and
// by how far the codec can compress, so that a lie cannot make us allocate.
func hint(claim uint64, srcLen, ratio, limit int) int {
	h := min(claim, uint64(limit), uint64(srcLen)*uint64(ratio))
	return int(h)
}

type gzipReader struct {
	src bytes.Reader
	r   gzip.Reader
}

var gzipReaders sync.Pool

func gunzip(src []byte, limit int) ([]byte, error) {
	g, _ := gzipReaders.Get().(*gzipReader)
	if g == nil {
		g = new(gzipReader)
	}
	defer gzipReaders.Put(g)
	g.src.Reset(src)
	if err := g.r.Reset(&g.src); err != nil {
		return nil, err
	}
	// The trailer's ISIZE is the last member's size mod 2^32: right for
	// what producers write (one member), only a starting size otherwise.
	// Deflate expands at most about 1032 times.
	size := 0
	if len(src) >= 18 {
		size = hint(uint64(binary.LittleEndian.Uint32(src[len(src)-4:])), len(src), 1032, limit)
	}
	out, err := readBounded(make([]byte, 0, size+1), &g.r, limit)
	g.src.Reset(nil)
	return out, err
}

type lz4Reader struct {
	src bytes.Reader
	r   *lz4.Reader
}

var lz4Readers sync.Pool

func unlz4(src []byte, limit int) ([]byte, error) {
	l, _ := lz4Readers.Get().(*lz4Reader)
	if l == nil {
		l = &lz4Reader{r: lz4.NewReader(nil)}
	}
	defer lz4Readers.Put(l)
	l.src.Reset(src)
	l.r.Reset(&l.src)
	// Producers do not write the content size: start from a guess.
	out, err := readBounded(make([]byte, 0, hint(uint64(4*len(src)), len(src), 4, limit)+1), l.r, limit)
	l.r.Reset(nil)
	return out, err
}

// zstdReader is a streaming decoder: reading it through readBounded bounds
// the output of all frames together, which DecodeAll checks per frame only.
// window is the largest window it accepts.
type zstdReader struct {
	src    bytes.Reader
	d      *zstd.Decoder
	window int
}

var zstdReaders sync.Pool

// zstdMinWindow is the window a decoder accepts at least, whatever the
// limit: frames streamed without a content size use a window set by the
// compression level, 8 MiB up to level 19, even when they hold little.
// A frame may ask for a larger one up to the limit. A decoder that kept a
// window over zstdMinWindow is not pooled, so that one large batch does
// not pin its buffers.
const zstdMinWindow = 8 << 20

func unzstd(src []byte, limit int) ([]byte, error) {
	window := max(limit, zstdMinWindow)
	z, _ := zstdReaders.Get().(*zstdReader)
	if z == nil {
		d, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(uint64(window)),
			zstd.WithDecoderMaxMemory(uint64(window)))
		if err != nil {
			return nil, err
		}
		z = &zstdReader{d: d, window: window}
	}
	z.src.Reset(src)
	var err error
	if z.window == window {
		err = z.d.Reset(&z.src)
	} else {
		err = z.d.ResetWithOptions(&z.src,
			zstd.WithDecoderMaxWindow(uint64(window)),
			zstd.WithDecoderMaxMemory(uint64(window)))
		z.window = window
	}
	var out []byte
	if err == nil {
		// Start from the first frame's content size when it has one.
		size := hint(uint64(4*len(src)), len(src), 4, limit)
		var h zstd.Header
		frameWindow := uint64(0)
		if h.Decode(src) == nil {
			frameWindow = h.WindowSize
			if h.HasFCS {
				size = hint(h.FrameContentSize, len(src), 1<<17, limit) // a 3 byte block can stand for 128 KiB
				if h.SingleSegment {
					frameWindow = h.FrameContentSize
				}
			}
		}
		out, err = readBounded(make([]byte, 0, size+1), z.d, limit)
		if frameWindow > zstdMinWindow {
			z.d.Close()
			return out, err
		}
	}
	_ = z.d.Reset(nil) // drop src
	z.src.Reset(nil)
	zstdReaders.Put(z)
	return out, err
}

// xerialMagic opens the snappy framing of the Java snappy library, which
// Java producers write: after it come two big-endian int32 versions, then
// blocks, each a big-endian int32 length and a raw snappy block.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const (
	xerialHeaderLen = 16
	xerialBlockSize = 32 << 10 // what the Java library writes
)

func isXerial(src []byte) bool {
	return len(src) >= xerialHeaderLen && bytes.HasPrefix(src, xerialMagic)
}

func unsnappy(src []byte, limit int) ([]byte, error) {
	n, err := s2.DecodedLen(src)
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, ErrTooLarge
	}
	return s2.Decode(make([]byte, n), src)
}

var errXerial = errors.New("malformed xerial snappy framing")

// unxerial sums the blocks' decoded lengths first, so that it refuses an
// oversized batch before allocating and then allocates once.
func unxerial(src []byte, limit int) ([]byte, error) {
	src = src[xerialHeaderLen:]
	total := 0
	for rem := src; len(rem) > 0; {
		if len(rem) < 4 {
			return nil, errXerial
		}
		size := binary.BigEndian.Uint32(rem)
		rem = rem[4:]
		if uint64(size) > uint64(len(rem)) {
			return nil, errXerial
		}
		n, err := s2.DecodedLen(rem[:size])
		if err != nil {
			return nil, err
		}
		if total += n; total > limit {
			return nil, ErrTooLarge
		}
		rem = rem[size:]
	}
	out := make([]byte, total)
	at := 0
	for len(src) > 0 {
		size := binary.BigEndian.Uint32(src)
		block := src[4 : 4+size]
		n, _ := s2.DecodedLen(block)
		if _, err := s2.Decode(out[at:at+n], block); err != nil {
			return nil, err
		}
		at += n
		src = src[4+size:]
	}
	return out, nil
}
