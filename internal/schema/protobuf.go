// Protobuf: .proto text compiled by bufbuild/protocompile (the compiler
// of the buf CLI), payloads parsed with google.golang.org/protobuf's
// dynamicpb into the message the wire format's indexes name.
//
// What "valid" means here is what a consumer's deserializer checks: the
// bytes parse as that message (well-formed tags and lengths, UTF-8 in
// proto3 strings, proto2 required fields present). Unknown fields are
// accepted, as every Protobuf parser accepts them. References are the
// .proto files the schema imports, by import path; the well-known types
// (google/protobuf/*.proto) need none. Confluent's own confluent/*.proto
// imports are not built in: register them as references.

package schema

import (
	"context"
	"fmt"
	"strconv"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

type protoSchema struct {
	file protoreflect.FileDescriptor
}

// compileProtobuf compiles a .proto file and the files it imports; refs
// are those files, by import path.
func compileProtobuf(ctx context.Context, id int, text string, refs []referenced) (*protoSchema, error) {
	root := "strait-registry-schema-" + strconv.Itoa(id) + ".proto"
	files := map[string]string{root: text}
	for _, r := range refs {
		if r.typ != TypeProtobuf {
			return nil, fmt.Errorf("%w: protobuf schema references %s schema %q", ErrBadSchema, r.typ, r.name)
		}
		files[r.name] = r.schema
	}
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: protocompile.SourceAccessorFromMap(files),
		}),
		MaxParallelism: 1,
	}
	out, err := c.Compile(ctx, root)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSchema, err)
	}
	return &protoSchema{file: out[0]}, nil
}

// message returns the message descriptor a path of message indexes names:
// the first index among the file's top-level messages, each next one
// among the nested messages of the previous.
func (p *protoSchema) message(indexes []int) (protoreflect.MessageDescriptor, error) {
	if len(indexes) == 0 {
		return nil, invalid("protobuf: no message index")
	}
	msgs := p.file.Messages()
	var md protoreflect.MessageDescriptor
	for _, ix := range indexes {
		if ix >= msgs.Len() {
			return nil, invalid("protobuf: message index path %v names no message of the schema", indexes)
		}
		md = msgs.Get(ix)
		msgs = md.Messages()
	}
	return md, nil
}

func (p *protoSchema) decode(indexes []int, payload []byte, want bool) (any, error) {
	md, err := p.message(indexes)
	if err != nil {
		return nil, err
	}
	m := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(payload, m); err != nil {
		return nil, invalid("protobuf %s: %v", md.FullName(), err)
	}
	if !want {
		return nil, nil
	}
	return protoValue(m), nil
}

// protoValue turns a message into the values CEL reads: a map from field
// name (as in the .proto) to value. Fields without presence (proto3
// scalars, repeated, maps) are always there, with their defaults; fields
// with presence only when set. Integers are int64 (uint64 for unsigned),
// floats float64, enums their value's name (or number when unnamed),
// bytes []byte, map fields map[string]any keyed by the key's text.
func protoValue(m protoreflect.Message) map[string]any {
	out := map[string]any{}
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.HasPresence() && !m.Has(fd) {
			continue
		}
		out[string(fd.Name())] = protoField(fd, m.Get(fd))
	}
	return out
}

func protoField(fd protoreflect.FieldDescriptor, v protoreflect.Value) any {
	switch {
	case fd.IsList():
		l := v.List()
		out := make([]any, l.Len())
		for i := range out {
			out[i] = protoScalar(fd, l.Get(i))
		}
		return out
	case fd.IsMap():
		out := map[string]any{}
		v.Map().Range(func(k protoreflect.MapKey, e protoreflect.Value) bool {
			out[k.String()] = protoScalar(fd.MapValue(), e)
			return true
		})
		return out
	}
	return protoScalar(fd, v)
}

func protoScalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) any {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return v.Bool()
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return v.Int()
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return v.Uint()
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return v.Float()
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.BytesKind:
		return v.Bytes()
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return int64(v.Enum())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return protoValue(v.Message())
	}
	return nil
}
