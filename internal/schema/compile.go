// Compiling a registry's schema text, by type.

package schema

import (
	"context"
	"fmt"
)

// compile compiles a schema of type typ with the schemas it references.
// An error wraps ErrUnsupportedType or ErrBadSchema.
func compile(id int, typ Type, text string, refs []referenced) (*Schema, error) {
	s := &Schema{id: id, typ: typ}
	var err error
	switch typ {
	case TypeAvro:
		s.avro, err = compileAvro(text, refs)
	case TypeJSON:
		s.json, err = compileJSONSchema(text, refs)
	case TypeProtobuf:
		// Compiling reads nothing but the map it is given: no context
		// to honour.
		s.proto, err = compileProtobuf(context.Background(), id, text, refs)
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedType, typ)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}
