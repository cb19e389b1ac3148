// This file holds the strict decoder: it walks the YAML syntax tree against
// the Config types, so that every unknown key and every value of the wrong
// shape is reported with its path and line, not only the first.

package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// decoder holds the state of one Parse: the errors found so far and what it
// learnt about the file that validation needs (lines, which keys were given).
type decoder struct {
	baseDir string
	// resources holds the names of static_keys and schema_registries, by
	// kind, once validated.
	resources map[string]map[string]bool
	errs      Errors
	warns     Errors
	// lines maps a field path to the line it was written on.
	lines map[string]int
	// set records the paths given a non-null value in the file, so that
	// defaults fill only what is absent ("drain_duration: 0s" is kept).
	set map[string]bool
	// defaulted records the paths filled in by a default.
	defaulted map[string]bool
	// hushed records paths that already have a decoding error; validation
	// stays quiet about them and everything under them, as whatever it would
	// say follows from the first error.
	hushed map[string]bool
	// quiet records single paths validation stays quiet about: a field that
	// is missing because of a misspelt key already reported with a hint.
	quiet map[string]bool
	// files maps the path of a string given as exactly one ${file:PATH}
	// reference to the file's absolute path.
	files   map[string]string
	anchors map[string]ast.Node
	// merges counts the merge keys being expanded, to stop a merge cycle.
	merges int
}

func newDecoder(baseDir string) *decoder {
	return &decoder{
		baseDir:   baseDir,
		lines:     map[string]int{},
		set:       map[string]bool{},
		defaulted: map[string]bool{},
		hushed:    map[string]bool{},
		quiet:     map[string]bool{},
		files:     map[string]string{},
		anchors:   map[string]ast.Node{},
	}
}

// fail records a decoding error at path.
func (d *decoder) fail(path string, line int, format string, args ...any) {
	d.errs = append(d.errs, FieldError{Path: path, Msg: fmt.Sprintf(format, args...), Line: line})
	d.hushed[path] = true
}

// report records a validation error at path, unless a decoding error
// already covers it. The line is that of the field or, for a field that was
// not written, of the nearest enclosing one.
func (d *decoder) report(path, format string, args ...any) {
	if d.quiet[path] || d.hushed[""] {
		return
	}
	for p := path; p != ""; p = parentPath(p) {
		if d.hushed[p] {
			return
		}
	}
	d.errs = append(d.errs, FieldError{Path: path, Msg: fmt.Sprintf(format, args...), Line: d.lineOf(path)})
}

// warn records a warning at path: a problem that does not stop the file
// from loading.
func (d *decoder) warn(path, format string, args ...any) {
	d.warns = append(d.warns, FieldError{Path: path, Msg: fmt.Sprintf(format, args...), Line: d.lineOf(path)})
}

func (d *decoder) lineOf(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := d.lines[p]; ok {
			return l
		}
	}
	return 0
}

// parentPath returns the path of the field or list holding path:
// "a.b[2]" -> "a.b" -> "a" -> "".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func line(n ast.Node) int {
	if n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

// collectAnchors records every anchor in the file so aliases can be
// resolved while decoding.
func (d *decoder) collectAnchors(n ast.Node) {
	ast.Walk(anchorVisitor{d}, n)
}

type anchorVisitor struct{ d *decoder }

func (v anchorVisitor) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil {
		v.d.anchors[a.Name.GetToken().Value] = a.Value
	}
	return v
}

// resolve looks through anchors, aliases and tags to the node holding the
// value. It returns nil for an alias to an unknown anchor, after reporting it.
func (d *decoder) resolve(n ast.Node, path string) ast.Node {
	for range 64 {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			name := v.Value.GetToken().Value
			target, ok := d.anchors[name]
			if !ok {
				d.fail(path, line(n), "unknown alias *%s", name)
				return nil
			}
			n = target
		default:
			return n
		}
	}
	d.fail(path, line(n), "aliases nest too deeply")
	return nil
}

func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return n == nil || ok
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode:
		return fmt.Sprintf("string %q", v.Value)
	case *ast.LiteralNode:
		return "a block string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "number " + v.GetToken().Value
	case *ast.BoolNode:
		return "boolean " + v.GetToken().Value
	}
	return "a " + n.Type().String()
}

var (
	portRangeType      = reflect.TypeFor[PortRange]()
	durationType       = reflect.TypeFor[Duration]()
	stdDurationType    = reflect.TypeFor[time.Duration]()
	listenerPolicyType = reflect.TypeFor[ListenerPolicy]()
	certKeyType        = reflect.TypeFor[CertKey]()
	clientTLSAuthType  = reflect.TypeFor[ClientTLSAuth]()
)

// decode decodes n into v, which is the field at path.
func (d *decoder) decode(n ast.Node, v reflect.Value, path string) {
	n = d.resolve(n, path)
	if isNull(n) {
		// A null value is treated as absent, so defaults apply to it.
		return
	}
	d.set[path] = true
	switch v.Type() {
	case portRangeType:
		d.decodePortRange(n, v.Addr().Interface().(*PortRange), path)
		return
	case durationType:
		d.decodeDuration(n, v.Addr().Interface().(*Duration), path)
		return
	case stdDurationType:
		// Types of other packages decoded here (schema registries).
		var dur Duration
		d.decodeDuration(n, &dur, path)
		v.SetInt(int64(dur))
		return
	case listenerPolicyType:
		d.decodePolicy(n, v.Addr().Interface().(*ListenerPolicy), path)
		return
	case vcPolicyType:
		d.decodeVCPolicy(n, v.Addr().Interface().(*VCPolicy), path)
		return
	case certKeyType:
		d.decodeStruct(n, v, path)
		ck := v.Addr().Interface().(*CertKey)
		ck.CertificateFile = d.files[joinPath(path, "certificate")]
		ck.KeyFile = d.files[joinPath(path, "key")]
		return
	case clientTLSAuthType:
		d.decodeStruct(n, v, path)
		a := v.Addr().Interface().(*ClientTLSAuth)
		a.TrustBundleFiles = nil
		if len(a.TLSTrustBundles) > 0 {
			a.TrustBundleFiles = make([]string, len(a.TLSTrustBundles))
			for i := range a.TLSTrustBundles {
				a.TrustBundleFiles[i] = d.files[indexPath(joinPath(path, "tls_trust_bundles"), i)]
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.String:
		if s, ok := d.decodeString(n, path); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		d.decodeBool(n, v, path)
	case reflect.Int, reflect.Int32, reflect.Int64:
		d.decodeInt(n, v, path)
	default:
		panic("config: no decoder for " + v.Type().String())
	}
}

// structInfo lists the YAML keys of a struct type.
type structInfo struct {
	index map[string]int
	names []string
}

var structInfos sync.Map // reflect.Type -> *structInfo

func structInfoOf(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{index: map[string]int{}}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		si.index[name] = i
		si.names = append(si.names, name)
	}
	structInfos.Store(t, si)
	return si
}

// entries returns the key/value pairs of a mapping at path, with merge keys
// ("<<: *base") expanded; keys written in the mapping win over merged ones.
// It reports and returns false when n is not a mapping.
func (d *decoder) entries(n ast.Node, path string) ([]*ast.MappingValueNode, bool) {
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		d.fail(path, line(n), "expected a mapping, got %s", describe(n))
		return nil, false
	}
	var own, merged []*ast.MappingValueNode
	for _, kv := range values {
		if !kv.Key.IsMergeKey() {
			own = append(own, kv)
			continue
		}
		if d.merges >= 16 {
			d.fail(path, line(kv.Key), "merge keys nest too deeply")
			continue
		}
		src := d.resolve(kv.Value, path)
		var srcs []ast.Node
		if seq, ok := src.(*ast.SequenceNode); ok {
			for _, e := range seq.Values {
				srcs = append(srcs, d.resolve(e, path))
			}
		} else {
			srcs = []ast.Node{src}
		}
		for _, s := range srcs {
			if s == nil {
				continue
			}
			if _, ok := s.(*ast.MappingNode); !ok {
				d.fail(path, line(kv.Key), "merge key << expects a mapping or a list of mappings, got %s", describe(s))
				continue
			}
			d.merges++
			kvs, _ := d.entries(s, path)
			d.merges--
			merged = append(merged, kvs...)
		}
	}
	if len(merged) == 0 {
		return own, true
	}
	seen := map[string]bool{}
	for _, kv := range own {
		seen[keyString(kv.Key)] = true
	}
	out := own
	for _, kv := range merged {
		if k := keyString(kv.Key); !seen[k] {
			seen[k] = true
			out = append(out, kv)
		}
	}
	return out, true
}

func keyString(k ast.MapKeyNode) string {
	var n ast.Node = k
	if mk, ok := n.(*ast.MappingKeyNode); ok {
		n = mk.Value
	}
	if s, ok := n.(*ast.StringNode); ok {
		return s.Value
	}
	return n.GetToken().Value
}

func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path string) {
	if kvs, ok := d.entries(n, path); ok {
		d.decodeFields(kvs, v, path)
	}
}

// decodeFields decodes the key/value pairs of a mapping into the fields of
// the struct v.
func (d *decoder) decodeFields(kvs []*ast.MappingValueNode, v reflect.Value, path string) {
	si := structInfoOf(v.Type())
	var hints []string
	for _, kv := range kvs {
		key := keyString(kv.Key)
		fp := joinPath(path, key)
		i, ok := si.index[key]
		if !ok {
			if hint := d.unknownField(fp, line(kv.Key), key, si.names); hint != "" {
				hints = append(hints, joinPath(path, hint))
			}
			continue
		}
		d.lines[fp] = line(kv.Key)
		d.decode(kv.Value, v.Field(i), fp)
	}
	for _, h := range hints {
		if !d.set[h] {
			d.quiet[h] = true
		}
	}
}

// unknownField reports an unknown key and returns the known key it is
// probably a misspelling of, if any.
func (d *decoder) unknownField(path string, line int, key string, known []string) string {
	hint := closest(key, known)
	if hint == "" {
		d.fail(path, line, "unknown field")
	} else {
		d.fail(path, line, "unknown field; did you mean %q?", hint)
	}
	return hint
}

// closest returns the name in names nearest to s by edit distance, if it is
// near enough to be a likely typo.
func closest(s string, names []string) string {
	best, bestDist := "", math.MaxInt
	for _, name := range names {
		if dist := editDistance(strings.ToLower(s), name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	if bestDist <= max(2, len(best)/4) {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (d *decoder) decodeSlice(n ast.Node, v reflect.Value, path string) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.fail(path, line(n), "expected a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, e := range seq.Values {
		ep := indexPath(path, i)
		d.lines[ep] = line(e)
		d.decode(e, s.Index(i), ep)
	}
	v.Set(s)
}

// scalarText returns the text of a scalar as written, with references
// expanded; ok is false (after reporting) when n is not a scalar or a
// reference cannot be expanded. Only string scalars are expanded: a
// number's text cannot hold a reference.
func (d *decoder) scalarText(n ast.Node, path, want string) (string, bool) {
	switch s := n.(type) {
	case *ast.StringNode:
		return d.expand(s.Value, path, line(n))
	case *ast.LiteralNode:
		return d.expand(s.Value.Value, path, line(n))
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	}
	d.fail(path, line(n), "expected %s, got %s", want, describe(n))
	return "", false
}

// decodeString accepts any scalar: a number or boolean written where a
// string is expected (a numeric password, say) keeps the text as written.
func (d *decoder) decodeString(n ast.Node, path string) (string, bool) {
	return d.scalarText(n, path, "a string")
}

// hasRef reports whether s holds a ${...} reference. A string field given
// where a number or boolean is expected is accepted only through one, so
// that "min_broker_id: ${env:MIN_BROKER_ID}" works but a quoted "0" is
// reported as the wrong type.
func hasRef(n ast.Node) bool {
	s, ok := n.(*ast.StringNode)
	return ok && strings.Contains(s.Value, "${")
}

func (d *decoder) decodeBool(n ast.Node, v reflect.Value, path string) {
	if b, ok := n.(*ast.BoolNode); ok {
		v.SetBool(b.Value)
		return
	}
	if !hasRef(n) {
		d.fail(path, line(n), "expected true or false, got %s", describe(n))
		return
	}
	s, ok := d.scalarText(n, path, "true or false")
	if !ok {
		return
	}
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		d.fail(path, line(n), "expected true or false, got %q", s)
		return
	}
	v.SetBool(b)
}

func (d *decoder) decodeInt(n ast.Node, v reflect.Value, path string) {
	var i int64
	switch {
	case isInteger(n):
		var ok bool
		if i, ok = intValue(n.(*ast.IntegerNode)); !ok {
			d.fail(path, line(n), "integer %s out of range", n.GetToken().Value)
			return
		}
	case hasRef(n):
		s, ok := d.scalarText(n, path, "an integer")
		if !ok {
			return
		}
		var err error
		if i, err = strconv.ParseInt(strings.TrimSpace(s), 10, 64); err != nil {
			d.fail(path, line(n), "expected an integer, got %q", s)
			return
		}
	case isBigInteger(n):
		d.fail(path, line(n), "integer %s out of range", n.GetToken().Value)
		return
	default:
		d.fail(path, line(n), "expected an integer, got %s", describe(n))
		return
	}
	if v.OverflowInt(i) {
		bits := v.Type().Bits()
		d.fail(path, line(n), "integer %d out of range (%d to %d)", i, int64(-1)<<(bits-1), int64(1)<<(bits-1)-1)
		return
	}
	v.SetInt(i)
}

func isInteger(n ast.Node) bool {
	_, ok := n.(*ast.IntegerNode)
	return ok
}

// isBigInteger reports whether n is an unquoted integer too large for the
// YAML parser, which leaves it a string.
func isBigInteger(n ast.Node) bool {
	s, ok := n.(*ast.StringNode)
	if !ok || s.Token.Type != token.StringType {
		return false
	}
	digits := strings.TrimLeft(s.Value, "+-")
	return digits != "" && strings.Trim(digits, "0123456789") == ""
}

func intValue(n *ast.IntegerNode) (int64, bool) {
	switch v := n.Value.(type) {
	case int64:
		return v, true
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), true
		}
	}
	return 0, false
}

func (d *decoder) decodeDuration(n ast.Node, dur *Duration, path string) {
	const want = `a duration such as "30s"`
	s, ok := d.scalarText(n, path, want)
	if !ok {
		return
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		d.fail(path, line(n), "invalid duration %q (expected a Go duration such as \"30s\" or \"1m30s\")", s)
		return
	}
	*dur = Duration(v)
}

func (d *decoder) decodePortRange(n ast.Node, r *PortRange, path string) {
	var (
		pr  PortRange
		err error
	)
	switch s := n.(type) {
	case *ast.IntegerNode:
		i, ok := intValue(s)
		if !ok || i < 1 || i > 65535 {
			err = fmt.Errorf("port %s out of range 1-65535", s.GetToken().Value)
			break
		}
		pr = PortRange{First: int(i), Last: int(i)}
	case *ast.StringNode:
		text, ok := d.expand(s.Value, path, line(n))
		if !ok {
			return
		}
		pr, err = parsePortRange(text)
	default:
		err = fmt.Errorf("expected a port or a \"first-last\" range, got %s", describe(n))
	}
	if err != nil {
		d.fail(path, line(n), "%v", err)
		return
	}
	*r = pr
}

// Listener policy types and forward types that are implemented.
const (
	policyForward      = "forward_to_virtual_cluster"
	policyTLSServer    = "tls_server"
	policyTypes        = policyForward + ", " + policyTLSServer
	forwardPortMapping = "port_mapping"
	forwardSNI         = "sni"
	forwardTypes       = forwardPortMapping + ", " + forwardSNI
)

// forwardKeys lists the keys of a forward config that belong to one forward
// type only; the others' keys are an error rather than silently ignored.
var forwardKeys = map[string]string{
	"advertised_host":    forwardPortMapping,
	"bootstrap_port":     forwardPortMapping,
	"min_broker_id":      forwardPortMapping,
	"sni_suffix":         forwardSNI,
	"advertised_port":    forwardSNI,
	"broker_host_format": forwardSNI,
}

// decodePolicy decodes a listener policy, whose config is decoded according
// to its type, wherever "type" appears in the mapping.
func (d *decoder) decodePolicy(n ast.Node, p *ListenerPolicy, path string) {
	kvs, ok := d.entries(n, path)
	if !ok {
		return
	}
	var typeKV, configKV *ast.MappingValueNode
	for _, kv := range kvs {
		switch key := keyString(kv.Key); key {
		case "type":
			typeKV = kv
		case "config":
			configKV = kv
		default:
			d.unknownField(joinPath(path, key), line(kv.Key), key, []string{"type", "config"})
		}
	}
	typePath, configPath := joinPath(path, "type"), joinPath(path, "config")
	if typeKV != nil {
		d.lines[typePath] = line(typeKV.Key)
		d.decode(typeKV.Value, reflect.ValueOf(&p.Type).Elem(), typePath)
	}
	if configKV != nil {
		d.lines[configPath] = line(configKV.Key)
	}
	switch p.Type {
	case "":
		// Missing, or already reported.
	case policyForward:
		if configKV == nil {
			return
		}
		cfg := d.resolve(configKV.Value, configPath)
		if isNull(cfg) {
			return
		}
		d.set[configPath] = true
		p.Forward = &ForwardConfig{}
		d.decodeForward(cfg, p.Forward, configPath)
	case policyTLSServer:
		if configKV != nil {
			d.decode(configKV.Value, reflect.ValueOf(&p.TLSServer).Elem(), configPath)
		}
	default:
		d.fail(typePath, line(typeKV.Value), "unsupported policy type %q (supported: %s)", p.Type, policyTypes)
	}
}

// decodeForward decodes a forward_to_virtual_cluster config. The rest of
// the config is decoded only for a supported forward type: the keys of the
// others are theirs. Keys of the other supported type are reported.
func (d *decoder) decodeForward(n ast.Node, f *ForwardConfig, path string) {
	kvs, ok := d.entries(n, path)
	if !ok {
		return
	}
	typePath := joinPath(path, "type")
	rest := make([]*ast.MappingValueNode, 0, len(kvs))
	for _, kv := range kvs {
		if keyString(kv.Key) != "type" {
			rest = append(rest, kv)
			continue
		}
		d.lines[typePath] = line(kv.Key)
		d.decode(kv.Value, reflect.ValueOf(&f.Type).Elem(), typePath)
		switch f.Type {
		case "", forwardPortMapping, forwardSNI:
		default:
			d.fail(typePath, line(kv.Value), "unsupported forward type %q (supported: %s)", f.Type, forwardTypes)
			return
		}
	}
	if f.Type != "" {
		kept := rest[:0]
		for _, kv := range rest {
			key := keyString(kv.Key)
			if only, ok := forwardKeys[key]; ok && only != f.Type {
				d.fail(joinPath(path, key), line(kv.Key), "only for type %s", only)
				continue
			}
			kept = append(kept, kv)
		}
		rest = kept
	}
	d.decodeFields(rest, reflect.ValueOf(f).Elem(), path)
}
