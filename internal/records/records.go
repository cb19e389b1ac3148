// Package records reads and rewrites the record batches of one partition,
// as carried by ProduceRequest Records and FetchResponse RecordBatches, so
// that record policies can look at records and change them.
//
// Parse splits the bytes into batches without copying and checks their
// framing and CRC; a batch's records are decompressed and decoded only when
// asked for (Batch.Decode). An Encoder writes the set back: a batch nobody
// changed is copied byte for byte, a changed one is encoded again with the
// codec its producer chose, keeping its offsets, timestamps and producer
// fields. Magic 2 batches only: legacy message sets (magic 0 and 1) are
// reported and passed through untouched, as is a partial batch at the end of
// a fetch response.
//
// Everything parsed aliases the input and, for compressed batches, the
// decompressed buffer the batch owns: the caller must keep the input
// unchanged while a Set, its batches or their records are in use, and copy
// what it keeps longer.
package records

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Codec is the compression of a batch, the low three bits of its
// attributes.
type Codec int8

// The codecs Kafka defines. zstd needs Produce v7+ and Fetch v10+.
const (
	CodecNone Codec = iota
	CodecGzip
	CodecSnappy
	CodecLz4
	CodecZstd
)

// String returns the codec's name as Kafka's compression.type spells it.
func (c Codec) String() string {
	switch c {
	case CodecNone:
		return "none"
	case CodecGzip:
		return "gzip"
	case CodecSnappy:
		return "snappy"
	case CodecLz4:
		return "lz4"
	case CodecZstd:
		return "zstd"
	}
	return fmt.Sprintf("codec(%d)", int8(c))
}

// Bits of RecordBatch.Attributes. The bits not named here (such as the
// delete horizon flag compaction sets) are kept as they are.
const (
	AttrCodecMask     int16 = 0x07
	AttrLogAppendTime int16 = 0x08
	AttrTransactional int16 = 0x10
	AttrControl       int16 = 0x20
)

// Errors, to be matched with errors.Is. ErrCRCMismatch and the framing
// errors Parse and Decode return also match ErrCorrupt, which a produce
// path answers with CORRUPT_MESSAGE.
var (
	// ErrCorrupt is a batch that cannot be read: bad length, unknown
	// magic, records that do not decode, a count that does not match.
	ErrCorrupt = errors.New("corrupt record batch")
	// ErrCRCMismatch is a batch whose CRC-32C does not match its bytes.
	ErrCRCMismatch = errors.New("record batch crc mismatch")
	// ErrTooLarge is a batch that would decompress to more than the limit
	// given to Decode: refused before or while decompressing.
	ErrTooLarge = errors.New("record batch decompresses beyond the limit")
	// ErrLegacy is returned by Decode for a magic 0 or 1 message set,
	// which this package only passes through.
	ErrLegacy = errors.New("legacy message set (magic 0 or 1)")
	// ErrNotDecoded is returned by AppendBatch for a parsed batch marked
	// modified, or whose codec was changed in its attributes, but whose
	// records were never decoded: they cannot be encoded again unread.
	ErrNotDecoded = errors.New("batch to encode again was never decoded")
)

// Sizes of the fixed part of a batch. The length field counts what follows
// it; the CRC covers everything from the attributes on.
const (
	batchHeaderLen = 61 // FirstOffset through NumRecords
	lengthAt       = 8
	magicAt        = 16
	crcAt          = 17
	attrsAt        = 21
	numRecordsAt   = 57
	minBatchLength = batchHeaderLen - 12 // Length of a batch with no records
	minEntryLen    = magicAt + 1         // enough to read offset, length, magic
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Set is the parsed records bytes of one partition.
type Set struct {
	// Batches are the complete entries in order, magic 2 batches and
	// legacy message sets alike.
	Batches []Batch

	// Partial is a last entry cut short, as a fetch response may end
	// with when the broker's size limit falls inside a batch. It is kept
	// byte for byte and written back as it is. A produce request has no
	// reason to carry one: the caller decides whether to refuse it.
	Partial []byte

	// Legacy reports that at least one entry is a magic 0 or 1 message
	// set. Such entries are written back untouched; a policy that must
	// see every record has to refuse or pass the whole set.
	Legacy bool
}

// Truncated reports whether the set ends with a partial batch.
func (s *Set) Truncated() bool { return len(s.Partial) > 0 }

// Modified reports whether any batch will be encoded again rather than
// copied.
func (s *Set) Modified() bool {
	for i := range s.Batches {
		if s.Batches[i].Modified() {
			return true
		}
	}
	return false
}

// Batch is one entry of a Set. The embedded RecordBatch holds the header
// fields as read. A policy may change FirstOffset, PartitionLeaderEpoch,
// Attributes, LastOffsetDelta, FirstTimestamp, MaxTimestamp, ProducerID,
// ProducerEpoch and FirstSequence; the Encoder notices and rewrites the
// header. Length, Magic, CRC, NumRecords and Records (the raw, possibly
// compressed, records section) describe the bytes as read: the Encoder
// computes them and they must not be changed.
//
// For a legacy entry (Magic 0 or 1) only FirstOffset, Length and Magic are
// set, and the entry is always written back as read.
//
// A Batch built by hand (not parsed) is always encoded; set its header
// fields and give it records with SetRecords.
type Batch struct {
	kmsg.RecordBatch

	raw      []byte        // the whole batch as read; nil when built by hand
	recs     []kmsg.Record // the current records once decoded or set
	decoded  bool          // recs holds the records (decoded or set)
	modified bool          // recs must be encoded again
}

// Raw returns the batch's bytes as read, nil for a batch built by hand.
func (b *Batch) Raw() []byte { return b.raw }

// Codec returns the compression named by the attributes.
func (b *Batch) Codec() Codec { return Codec(b.Attributes & AttrCodecMask) }

// IsControl reports a control batch (transaction markers); policies
// should pass these untouched.
func (b *Batch) IsControl() bool { return b.Attributes&AttrControl != 0 }

// IsTransactional reports a batch written inside a transaction.
func (b *Batch) IsTransactional() bool { return b.Attributes&AttrTransactional != 0 }

// IsLegacy reports a parsed magic 0 or 1 message set. A batch built by
// hand is always magic 2, whatever its Magic field says.
func (b *Batch) IsLegacy() bool { return b.raw != nil && b.Magic < 2 }

// Idempotent reports a batch with a producer id, whose sequence numbers
// the broker checks: on produce, its record count must not change.
func (b *Batch) Idempotent() bool { return b.ProducerID >= 0 }

// Modified reports whether the Encoder will encode the records again.
func (b *Batch) Modified() bool { return b.modified || b.raw == nil }

// MarkModified tells the Encoder that the records returned by Decode were
// changed in place and must be encoded again. Without a Decode first,
// AppendBatch refuses the batch with ErrNotDecoded.
func (b *Batch) MarkModified() {
	if !b.IsLegacy() {
		b.modified = true
	}
}

// SetRecords replaces the batch's records and marks it modified. The batch
// keeps rs (Decode returns it from then on) and encodes it as it is at
// AppendBatch time. The header is not touched: on a fetch, leaving
// records out keeps LastOffsetDelta, so that the consumer moves past them;
// an empty rs gives a batch with no records, as compaction leaves. On a
// produce, see Renumber. Legacy entries ignore the call.
func (b *Batch) SetRecords(rs []kmsg.Record) {
	if b.IsLegacy() {
		return
	}
	b.recs, b.decoded, b.modified = rs, true, true
}

// Renumber gives the records the offset deltas 0..n-1 and sets
// LastOffsetDelta to n-1, as a broker requires of a produced batch after
// records were left out or added. It marks the batch modified. It does
// nothing to a batch without records or one not yet decoded. It is for
// produce requests only: on a fetch, offsets must stay as they are. A
// broker rejects a changed record count in an idempotent batch
// (Idempotent): sequence numbers would no longer match.
func (b *Batch) Renumber() {
	if b.IsLegacy() || !b.decoded || len(b.recs) == 0 {
		return
	}
	for i := range b.recs {
		b.recs[i].OffsetDelta = int32(i)
	}
	b.LastOffsetDelta = int32(len(b.recs) - 1)
	b.modified = true
}

// Parse splits src, the records bytes of one partition, into a Set. It
// reads batch headers and checks lengths and CRCs but decodes no records.
// The Set aliases src.
func Parse(src []byte) (*Set, error) {
	s := new(Set)
	if err := s.Parse(src); err != nil {
		return nil, err
	}
	return s, nil
}

// Parse is Parse into s, reusing the capacity of s.Batches. It resets s
// first; on error s holds the batches before the bad one.
func (s *Set) Parse(src []byte) error {
	clear(s.Batches)
	s.Batches, s.Partial, s.Legacy = s.Batches[:0], nil, false
	if cap(s.Batches) == 0 {
		s.Batches = make([]Batch, 0, countEntries(src))
	}
	for in, at := src, 0; len(in) > 0; {
		if len(in) < minEntryLen {
			s.Partial = in
			return nil
		}
		offset := int64(binary.BigEndian.Uint64(in))
		length := int32(binary.BigEndian.Uint32(in[lengthAt:]))
		magic := int8(in[magicAt])
		if length < 0 {
			return fmt.Errorf("entry at offset %d (byte %d): %w: negative length %d", offset, at, ErrCorrupt, length)
		}
		size := 12 + int(length)
		if len(in) < size {
			s.Partial = in
			return nil
		}
		raw := in[:size:size]
		switch magic {
		case 0, 1:
			b := Batch{raw: raw}
			b.FirstOffset, b.Length, b.Magic = offset, length, magic
			s.Batches = append(s.Batches, b)
			s.Legacy = true
		case 2:
			b, err := readBatch(raw)
			if err != nil {
				return fmt.Errorf("batch at offset %d (byte %d): %w", offset, at, err)
			}
			s.Batches = append(s.Batches, b)
		default:
			return fmt.Errorf("entry at offset %d (byte %d): %w: unknown magic %d", offset, at, ErrCorrupt, magic)
		}
		in, at = in[size:], at+size
	}
	return nil
}

// countEntries counts the complete and partial entries of src, so that
// Parse allocates its batches once.
func countEntries(src []byte) int {
	n := 0
	for len(src) >= minEntryLen {
		length := int32(binary.BigEndian.Uint32(src[lengthAt:]))
		n++
		if length < 0 || len(src) < 12+int(length) {
			break
		}
		src = src[12+int(length):]
	}
	return n
}

// readBatch reads and checks one complete magic 2 batch.
func readBatch(raw []byte) (Batch, error) {
	b := Batch{raw: raw}
	if len(raw) < batchHeaderLen {
		return b, fmt.Errorf("%w: length %d below the minimum %d", ErrCorrupt, len(raw)-12, minBatchLength)
	}
	if err := b.RecordBatch.ReadFrom(raw); err != nil {
		return b, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if got := crc32.Checksum(raw[attrsAt:], castagnoli); got != uint32(b.CRC) {
		return b, fmt.Errorf("%w: %w: stored %08x, computed %08x", ErrCorrupt, ErrCRCMismatch, uint32(b.CRC), got)
	}
	if b.NumRecords < 0 {
		return b, fmt.Errorf("%w: negative record count %d", ErrCorrupt, b.NumRecords)
	}
	return b, nil
}
