// The Confluent wire format: magic byte 0, a 4-byte big-endian schema id,
// for Protobuf the message indexes, then the serialized payload.

package schema

import (
	"encoding/binary"
	"fmt"
)

// headerLen is the length of the magic byte and the schema id.
const headerLen = 5

// maxMessageIndexes bounds the Protobuf message-index path: it is a path
// through nested message declarations, never long in a real schema.
const maxMessageIndexes = 64

// splitHeader returns the schema id of a wire-format payload and the bytes
// after the id.
func splitHeader(b []byte) (id int, rest []byte, err error) {
	if len(b) < headerLen {
		return 0, nil, fmt.Errorf("%w: %d bytes, the header alone has %d", ErrNotWireFormat, len(b), headerLen)
	}
	if b[0] != 0 {
		return 0, nil, fmt.Errorf("%w: magic byte is %d, not 0", ErrNotWireFormat, b[0])
	}
	// Ids are non-negative int32 values in the Confluent API.
	u := binary.BigEndian.Uint32(b[1:headerLen])
	if u > 1<<31-1 {
		return 0, nil, fmt.Errorf("%w: negative schema id", ErrNotWireFormat)
	}
	return int(u), b[headerLen:], nil
}

// splitMessageIndexes reads the Protobuf message indexes: a zigzag varint
// count, then that many zigzag varint indexes; a count of 0 stands for
// [0], the first message of the file.
func splitMessageIndexes(b []byte) (indexes []int, rest []byte, err error) {
	n, k := binary.Varint(b)
	if k <= 0 {
		return nil, nil, fmt.Errorf("%w: truncated protobuf message indexes", ErrNotWireFormat)
	}
	b = b[k:]
	if n == 0 {
		return []int{0}, b, nil
	}
	if n < 0 || n > maxMessageIndexes {
		return nil, nil, fmt.Errorf("%w: %d protobuf message indexes", ErrNotWireFormat, n)
	}
	indexes = make([]int, n)
	for i := range indexes {
		v, k := binary.Varint(b)
		if k <= 0 {
			return nil, nil, fmt.Errorf("%w: truncated protobuf message indexes", ErrNotWireFormat)
		}
		if v < 0 || v > 1<<31-1 {
			return nil, nil, fmt.Errorf("%w: protobuf message index %d", ErrNotWireFormat, v)
		}
		indexes[i] = int(v)
		b = b[k:]
	}
	return indexes, b, nil
}

// AppendHeader appends the wire-format header for schema id to dst: the
// magic byte, the id and, when indexes is not nil, the Protobuf message
// indexes ([0] is written in its one-byte short form). It is what a
// producer's serializer writes, for tests and tools.
func AppendHeader(dst []byte, id int, indexes []int) []byte {
	dst = append(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(id))
	if indexes == nil {
		return dst
	}
	if len(indexes) == 1 && indexes[0] == 0 {
		return append(dst, 0)
	}
	dst = binary.AppendVarint(dst, int64(len(indexes)))
	for _, ix := range indexes {
		dst = binary.AppendVarint(dst, int64(ix))
	}
	return dst
}
