// CEL conditions: compiled once when the configuration loads, evaluated per
// connection or per record with the variable names Kong's gateway uses.

package policy

import (
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
)

// Condition is a compiled CEL expression that yields a bool. The zero
// value and nil hold always.
type Condition struct {
	src string
	prg cel.Program
}

var (
	envOnce sync.Once
	celEnv  *cel.Env
	envErr  error
)

// env declares the variables conditions may use: context (auth.type,
// auth.principal.name, auth.token.claims, topic.name, virtual_cluster.name)
// and record (headers, value.content, key).
func env() (*cel.Env, error) {
	envOnce.Do(func() {
		celEnv, envErr = cel.NewEnv(
			cel.Variable("context", cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable("record", cel.MapType(cel.StringType, cel.DynType)),
		)
	})
	return celEnv, envErr
}

// CompileCondition compiles src, which must be a CEL expression of type
// bool. An empty src gives a condition that always holds.
func CompileCondition(src string) (*Condition, error) {
	if src == "" {
		return nil, nil
	}
	prg, err := compile(src, cel.BoolType)
	if err != nil {
		return nil, err
	}
	return &Condition{src: src, prg: prg}, nil
}

// compile compiles src and checks that it yields want (or dyn).
func compile(src string, want *cel.Type) (cel.Program, error) {
	e, err := env()
	if err != nil {
		return nil, err
	}
	ast, iss := e.Compile(src)
	if iss.Err() != nil {
		// CEL's message draws the expression with a caret on more lines;
		// a config error is one line.
		msg, _, _ := strings.Cut(iss.Err().Error(), "\n")
		return nil, fmt.Errorf("invalid CEL expression: %s", strings.TrimPrefix(msg, "ERROR: <input>:"))
	}
	t := ast.OutputType()
	dynList := want.IsExactType(cel.ListType(cel.StringType)) && t.IsExactType(cel.ListType(cel.DynType))
	if !t.IsExactType(want) && !t.IsExactType(cel.DynType) && !dynList {
		return nil, fmt.Errorf("CEL expression yields %s, not %s", t, want)
	}
	return e.Program(ast)
}

// String is the condition's source.
func (c *Condition) String() string {
	if c == nil {
		return ""
	}
	return c.src
}

// Holds evaluates the condition over vars (see Conn.Vars). A condition that
// fails to evaluate (a missing key, a value of the wrong type) does not
// hold, and the error says why.
func (c *Condition) Holds(vars map[string]any) (bool, error) {
	if c == nil {
		return true, nil
	}
	out, _, err := c.prg.Eval(vars)
	if err != nil {
		return false, fmt.Errorf("condition %q: %w", c.src, err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("condition %q yields %T, not bool", c.src, out.Value())
	}
	return b, nil
}

// StringsExpr is a compiled CEL expression that yields a list of strings,
// such as the resource names of an ACL rule.
type StringsExpr struct {
	src string
	prg cel.Program
}

// CompileStrings compiles src, a CEL expression yielding list(string).
func CompileStrings(src string) (*StringsExpr, error) {
	prg, err := compile(src, cel.ListType(cel.StringType))
	if err != nil {
		return nil, err
	}
	return &StringsExpr{src: src, prg: prg}, nil
}

// Eval evaluates the expression over vars.
func (s *StringsExpr) Eval(vars map[string]any) ([]string, error) {
	out, _, err := s.prg.Eval(vars)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", s.src, err)
	}
	switch v := out.Value().(type) {
	case []string:
		return v, nil
	case []any:
		res := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("expression %q: list holds %T, not string", s, e)
			}
			res = append(res, s)
		}
		return res, nil
	}
	list, err := out.ConvertToNative(reflectStrings)
	if err != nil {
		return nil, fmt.Errorf("expression %q yields %T, not a list of strings", s.src, out.Value())
	}
	return list.([]string), nil
}
