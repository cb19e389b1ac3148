package schema

import (
	"errors"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

const ordersProto = `syntax = "proto3";
package ex;
import "google/protobuf/timestamp.proto";
import "common.proto";

message Order {
  int64 id = 1;
  string sku = 2;
  repeated uint32 qty = 3;
  Status status = 4;
  google.protobuf.Timestamp at = 5;
  map<string, int32> attrs = 6;
  ex.common.Money price = 7;
  message Line { string note = 1; }
}
message Refund { int64 order_id = 1; }
enum Status { NEW = 0; PAID = 1; }
`

const commonProto = `syntax = "proto3";
package ex.common;
message Money { int64 cents = 1; }
`

func compileOrders(t *testing.T) *protoSchema {
	t.Helper()
	p, err := compileProtobuf(t.Context(), 1, ordersProto, []referenced{{name: "common.proto", typ: TypeProtobuf, schema: commonProto}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// protoBytes builds a message of the descriptor named by indexes with
// fill and encodes it.
func protoBytes(t *testing.T, p *protoSchema, indexes []int, fill func(m protoreflect.Message)) []byte {
	t.Helper()
	md, err := p.message(indexes)
	if err != nil {
		t.Fatal(err)
	}
	m := dynamicpb.NewMessage(md)
	fill(m)
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProtobufValidate(t *testing.T) {
	p := compileOrders(t)
	order := protoBytes(t, p, []int{0}, func(m protoreflect.Message) {
		f := m.Descriptor().Fields()
		m.Set(f.ByName("id"), protoreflect.ValueOfInt64(9))
		m.Set(f.ByName("sku"), protoreflect.ValueOfString("a-1"))
		l := m.Mutable(f.ByName("qty")).List()
		l.Append(protoreflect.ValueOfUint32(2))
		m.Set(f.ByName("status"), protoreflect.ValueOfEnum(1))
		m.Mutable(f.ByName("attrs")).Map().Set(protoreflect.ValueOfString("k").MapKey(), protoreflect.ValueOfInt32(3))
		price := m.Mutable(f.ByName("price")).Message()
		price.Set(price.Descriptor().Fields().ByName("cents"), protoreflect.ValueOfInt64(1250))
	})
	// Order's nested messages are the map entry AttrsEntry, then Line,
	// as in the descriptor a Confluent serializer indexes.
	line := protoBytes(t, p, []int{0, 1}, func(m protoreflect.Message) {
		m.Set(m.Descriptor().Fields().ByName("note"), protoreflect.ValueOfString("hi"))
	})
	for _, tc := range []struct {
		name    string
		indexes []int
		payload []byte
		err     error
	}{
		{"order", []int{0}, order, nil},
		{"nested message", []int{0, 1}, line, nil},
		{"second message", []int{1}, []byte{8, 5}, nil},
		{"empty message", []int{0}, []byte{}, nil},
		{"unknown field accepted", []int{0}, []byte{0xf8, 0x01, 1}, nil},
		{"truncated", []int{0}, order[:len(order)-1], ErrInvalidPayload},
		{"bad tag", []int{0}, []byte{0}, ErrInvalidPayload},
		{"invalid utf-8", []int{0}, []byte{0x12, 1, 0xff}, ErrInvalidPayload},
		{"no such message", []int{2}, []byte{}, ErrInvalidPayload},
		{"no such nested message", []int{1, 0}, []byte{}, ErrInvalidPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.decode(tc.indexes, tc.payload, false)
			wantErr(t, err, tc.err)
		})
	}

	v, err := p.decode([]int{0}, order, true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": int64(9), "sku": "a-1", "qty": []any{uint64(2)}, "status": "PAID",
		"attrs": map[string]any{"k": int64(3)}, "price": map[string]any{"cents": int64(1250)},
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("decoded %#v\nwant %#v", v, want)
	}
}

func TestProtobufCompileErrors(t *testing.T) {
	for _, tc := range []struct{ name, schema string }{
		{"syntax", `syntax = "proto3"; message {`},
		{"missing import", `syntax = "proto3"; import "other.proto"; message A { other.B b = 1; }`},
		{"unknown type", `syntax = "proto3"; message A { Nope b = 1; }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := compileProtobuf(t.Context(), 1, tc.schema, nil); !errors.Is(err, ErrBadSchema) {
				t.Fatalf("got %v, want ErrBadSchema", err)
			}
		})
	}
}
