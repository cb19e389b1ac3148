// Avro: schemas parsed by hamba/avro, payloads checked by a walk over the
// writer schema that must consume every byte, values decoded by hamba.
//
// The check is a walk of its own rather than a decode because a decoder
// sizes slices from the block counts and lengths the payload claims: ten
// bytes could make it allocate megabytes before it finds the bytes
// missing. The walk allocates nothing, and accepts a count only when the
// bytes left can hold it; a decode runs only on a payload that passed.

package schema

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"time"

	"github.com/hamba/avro/v2"
)

const (
	// maxAvroDepth bounds the nesting of values (recursive records).
	maxAvroDepth = 1000
	// maxZeroWidthItems bounds the array items of a payload that take no
	// bytes (null, empty records): their count is the only thing that
	// costs, and nothing in the payload bounds it.
	maxZeroWidthItems = 1 << 16
)

// avroAPI decodes payloads that passed the walk, whose lengths the bytes
// back: no byte-slice limit is needed there.
var avroAPI = avro.Config{MaxByteSliceSize: -1}.Freeze()

type avroSchema struct {
	schema avro.Schema
}

// compileAvro parses an Avro schema; refs are the schemas it references,
// dependencies first, whose named types it may use.
func compileAvro(text string, refs []referenced) (*avroSchema, error) {
	cache := &avro.SchemaCache{}
	for _, r := range refs {
		if r.typ != TypeAvro {
			return nil, fmt.Errorf("%w: avro schema references %s schema %q", ErrBadSchema, r.typ, r.name)
		}
		if _, err := avro.ParseWithCache(r.schema, "", cache); err != nil {
			return nil, fmt.Errorf("%w: reference %q: %w", ErrBadSchema, r.name, err)
		}
	}
	s, err := avro.ParseWithCache(text, "", cache)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSchema, err)
	}
	return &avroSchema{schema: s}, nil
}

func (a *avroSchema) decode(payload []byte, want bool) (any, error) {
	w := avroWalk{b: payload}
	if err := w.value(a.schema, 0); err != nil {
		return nil, invalid("avro: at byte %d: %v", len(payload)-len(w.b), err)
	}
	if len(w.b) > 0 {
		return nil, invalid("avro: %d bytes left after the value", len(w.b))
	}
	if !want {
		return nil, nil
	}
	var v any
	if err := avroAPI.Unmarshal(a.schema, payload, &v); err != nil {
		return nil, invalid("avro: %v", err)
	}
	return avroValue(v), nil
}

// avroWalk checks binary-encoded Avro against a schema.
type avroWalk struct {
	b    []byte // what is left
	zero int    // zero-width array items seen
}

var (
	errAvroShort    = errors.New("truncated")
	errAvroVarint   = errors.New("malformed varint")
	errAvroDepth    = errors.New("nested too deep")
	errAvroTooLarge = errors.New("count larger than the bytes left")
)

func (w *avroWalk) long() (int64, error) {
	u, n := binary.Uvarint(w.b)
	switch {
	case n == 0:
		return 0, errAvroShort
	case n < 0:
		return 0, errAvroVarint
	}
	w.b = w.b[n:]
	return int64(u>>1) ^ -int64(u&1), nil
}

func (w *avroWalk) skip(n int64) error {
	if n < 0 || n > int64(len(w.b)) {
		return errAvroShort
	}
	w.b = w.b[n:]
	return nil
}

func (w *avroWalk) value(s avro.Schema, depth int) error {
	if depth > maxAvroDepth {
		return errAvroDepth
	}
	switch s.Type() {
	case avro.Null:
		return nil
	case avro.Boolean:
		if len(w.b) == 0 {
			return errAvroShort
		}
		if w.b[0] > 1 {
			return fmt.Errorf("boolean byte %d", w.b[0])
		}
		w.b = w.b[1:]
		return nil
	case avro.Int:
		v, err := w.long()
		if err == nil && (v < math.MinInt32 || v > math.MaxInt32) {
			err = fmt.Errorf("int %d out of range", v)
		}
		return err
	case avro.Long:
		_, err := w.long()
		return err
	case avro.Float:
		return w.skip(4)
	case avro.Double:
		return w.skip(8)
	case avro.Bytes, avro.String:
		n, err := w.long()
		if err != nil {
			return err
		}
		if n < 0 {
			return fmt.Errorf("negative %s length", s.Type())
		}
		return w.skip(n)
	case avro.Fixed:
		return w.skip(int64(s.(*avro.FixedSchema).Size()))
	case avro.Enum:
		ix, err := w.long()
		if err != nil {
			return err
		}
		if n := len(s.(*avro.EnumSchema).Symbols()); ix < 0 || ix >= int64(n) {
			return fmt.Errorf("enum index %d of %d symbols", ix, n)
		}
		return nil
	case avro.Union:
		types := s.(*avro.UnionSchema).Types()
		ix, err := w.long()
		if err != nil {
			return err
		}
		if ix < 0 || ix >= int64(len(types)) {
			return fmt.Errorf("union index %d of %d branches", ix, len(types))
		}
		return w.value(types[ix], depth+1)
	case avro.Record:
		for _, f := range s.(*avro.RecordSchema).Fields() {
			if err := w.value(f.Type(), depth+1); err != nil {
				return fmt.Errorf("field %s: %w", f.Name(), err)
			}
		}
		return nil
	case avro.Ref:
		return w.value(s.(*avro.RefSchema).Schema(), depth)
	case avro.Array:
		items := s.(*avro.ArraySchema).Items()
		return w.blocks(depth, zeroWidth(items, 0), func() error { return w.value(items, depth+1) })
	case avro.Map:
		values := s.(*avro.MapSchema).Values()
		return w.blocks(depth, false, func() error {
			n, err := w.long()
			if err == nil && n < 0 {
				err = errors.New("negative length")
			}
			if err == nil {
				err = w.skip(n)
			}
			if err != nil {
				return fmt.Errorf("map key: %w", err)
			}
			return w.value(values, depth+1)
		})
	}
	return fmt.Errorf("unexpected schema type %s", s.Type())
}

// blocks walks the blocks of an array or map: a count (negative: its
// absolute value, then the block's size in bytes), the items, until a
// count of 0.
func (w *avroWalk) blocks(depth int, zero bool, item func() error) error {
	for {
		n, err := w.long()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if n < 0 {
			if n == math.MinInt64 {
				return errAvroTooLarge
			}
			n = -n
			size, err := w.long()
			if err != nil {
				return err
			}
			if size < 0 {
				return errors.New("negative block size")
			}
		}
		// An item that takes bytes takes at least one.
		if zero {
			if n > maxZeroWidthItems-int64(w.zero) {
				return fmt.Errorf("more than %d items that take no bytes", maxZeroWidthItems)
			}
			w.zero += int(n)
		} else if n > int64(len(w.b)) {
			return errAvroTooLarge
		}
		for range n {
			if err := item(); err != nil {
				return err
			}
		}
	}
}

// zeroWidth reports whether values of s take no bytes: null, an empty
// fixed, a record of such fields.
func zeroWidth(s avro.Schema, depth int) bool {
	if depth > maxAvroDepth {
		return false
	}
	switch s.Type() {
	case avro.Null:
		return true
	case avro.Fixed:
		return s.(*avro.FixedSchema).Size() == 0
	case avro.Ref:
		return zeroWidth(s.(*avro.RefSchema).Schema(), depth+1)
	case avro.Record:
		for _, f := range s.(*avro.RecordSchema).Fields() {
			if !zeroWidth(f.Type(), depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// avroValue turns hamba's generic values into the ones CEL reads: int64
// for int and long, float64 for float and double, float64 for decimals,
// []byte for fixed. Records and maps are map[string]any, arrays []any;
// a union is its value when the branch is null or a primitive, else a
// one-key map from the branch's full name to the value (Avro's JSON
// encoding). Dates and timestamps stay time.Time, times time.Duration.
func avroValue(v any) any {
	switch v := v.(type) {
	case nil, bool, string, int64, float64, []byte, time.Time, time.Duration:
		return v
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case float32:
		return float64(v)
	case *big.Rat:
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = avroValue(e)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = avroValue(e)
		}
		return v
	case avro.LogicalDuration:
		return map[string]any{"months": int64(v.Months), "days": int64(v.Days), "milliseconds": int64(v.Milliseconds)}
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Array && rv.Type().Elem().Kind() == reflect.Uint8 {
		b := make([]byte, rv.Len())
		reflect.Copy(reflect.ValueOf(b), rv)
		return b
	}
	return v
}
