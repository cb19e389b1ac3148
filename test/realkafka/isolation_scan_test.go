// Reading decoded responses by reflection for the isolation suite: the
// leak scan (any trace of the other tenant), the error codes an answer
// carries, and a compact rendering of requests and responses for reports.

package realkafka

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func kerrFor(code int16) error { return kerr.ErrorForCode(code) }

// codeName names a Kafka error code.
func codeName(code int16) string {
	if code == 0 {
		return "NONE"
	}
	if e, ok := kerr.ErrorForCode(code).(*kerr.Error); ok {
		return e.Message
	}
	return fmt.Sprintf("code %d", code)
}

// fingerprint is what must never reach tenant A: tenant B's prefix and
// names, its topic id, producer ids and member ids.
type fingerprint struct {
	// subs must not appear in any string or byte field.
	subs []string
	// own is A's own prefix: hide_prefix must never show it either.
	own string
	// ids are B's topic id and those of Kafka's internal topics, with
	// what they are.
	ids map[[16]byte]string
	// pids are B's producer ids (int64 fields named *ProducerID*).
	pids map[int64]bool

	// sent holds every string A sent in the run. A's attacks by B's
	// client names create A's own groups and transactional ids of those
	// names, which later answers show; a string equal to one A sent is
	// A's own. B's own data always carries more (its prefix, member ids,
	// client id, record values), none of which A ever sends.
	mu   sync.Mutex
	sent map[string]bool
}

// remember adds the strings of a request A sends to sent.
func (f *fingerprint) remember(req kmsg.Request) {
	e := echoesOf(req)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range e.strs {
		f.sent[s] = true
	}
}

func (f *fingerprint) wasSent(s string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent[s]
}

func (f *fingerprint) addID(id [16]byte, what string) {
	f.ids[id] = what
	f.subs = append(f.subs, base64.RawURLEncoding.EncodeToString(id[:]), hex.EncodeToString(id[:]))
}

// echoes are the strings, byte strings and ids a request carried: a
// response may repeat them (Kafka names the topic it does not know).
type echoes struct {
	strs []string // longest first
	raw  map[string]bool
	ids  map[[16]byte]bool
}

func echoesOf(req kmsg.Request) *echoes {
	e := &echoes{raw: map[string]bool{}, ids: map[[16]byte]bool{}}
	seen := map[string]bool{}
	addStr := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			e.strs = append(e.strs, s)
		}
	}
	walk(reflect.ValueOf(req), "", func(path string, v reflect.Value) {
		switch {
		case v.Kind() == reflect.String:
			addStr(v.String())
		case isBytes(v):
			b := v.Bytes()
			e.raw[string(b)] = true
			for _, s := range payloadStrings(b) {
				addStr(s)
			}
		case isID(v):
			e.ids[idOf(v)] = true
		}
	})
	sort.Slice(e.strs, func(i, j int) bool { return len(e.strs[i]) > len(e.strs[j]) })
	return e
}

// strip removes every echoed string from s where it stands as a whole
// name (an error message quoting the name asked for): "ledger" goes from
// "topic ledger not found" but not from "ledger-rec-1".
func (e *echoes) strip(s string) string {
	for _, x := range e.strs {
		if s == x {
			return ""
		}
		if len(x) < 3 {
			continue
		}
		var b strings.Builder
		for {
			i := strings.Index(s, x)
			if i < 0 {
				b.WriteString(s)
				break
			}
			j := i + len(x)
			// A name may end a sentence: "... of group g1."
			end := j == len(s) || !nameChar(s[j]) || s[j] == '.' && (j+1 == len(s) || s[j+1] == ' ')
			whole := (i == 0 || !nameChar(s[i-1])) && end
			b.WriteString(s[:i])
			if whole {
				b.WriteString("\x00")
			} else {
				b.WriteString(x)
			}
			s = s[j:]
		}
		s = b.String()
	}
	return s
}

// nameChar reports whether c may be part of a Kafka topic or group name.
func nameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// scan lists what in resp betrays tenant B (or A's own prefix).
func (f *fingerprint) scan(resp kmsg.Response, req kmsg.Request) []string {
	e := echoesOf(req)
	var found []string
	checkStr := func(path, s string) {
		if f.wasSent(s) {
			return
		}
		rest := e.strip(s)
		for _, sub := range f.subs {
			if strings.Contains(rest, sub) {
				found = append(found, fmt.Sprintf("%s = %q (contains %q)", path, trunc(s, 200), sub))
				return
			}
		}
		if f.own != "" && strings.Contains(s, f.own) {
			found = append(found, fmt.Sprintf("%s = %q (shows A's own prefix %q)", path, trunc(s, 200), f.own))
		}
	}
	walk(reflect.ValueOf(resp), "", func(path string, v reflect.Value) {
		switch {
		case v.Kind() == reflect.String:
			checkStr(path, v.String())
		case isBytes(v):
			b := v.Bytes()
			if len(b) == 0 || e.raw[string(b)] {
				return
			}
			hit := ""
			for _, sub := range append(slices.Clone(f.subs), f.own) {
				if sub != "" && bytes.Contains(b, []byte(sub)) {
					hit = sub
					break
				}
			}
			if hit == "" {
				return
			}
			if ss := payloadStrings(b); ss != nil {
				for _, s := range ss {
					checkStr(path+"{decoded}", s)
				}
				return
			}
			found = append(found, fmt.Sprintf("%s: %d bytes containing %q", path, len(b), hit))
		case isID(v):
			if id := idOf(v); f.ids[id] != "" && !e.ids[id] {
				found = append(found, fmt.Sprintf("%s = the id of %s (%s)", path, f.ids[id], base64.RawURLEncoding.EncodeToString(id[:])))
			}
		case v.Kind() == reflect.Int64 && strings.Contains(path[strings.LastIndex(path, ".")+1:], "ProducerID"):
			if f.pids[v.Int()] {
				found = append(found, fmt.Sprintf("%s = B's producer id %d", path, v.Int()))
			}
		}
	})
	return found
}

// payloadStrings decodes a consumer protocol payload (member metadata or
// assignment) and returns its topic names and user data as strings, or nil
// when b is neither.
func payloadStrings(b []byte) []string {
	var m kmsg.ConsumerMemberMetadata
	if err := m.ReadFrom(b); err == nil && bytes.Equal(m.AppendTo(nil), b) {
		ss := slices.Clone(m.Topics)
		for _, o := range m.OwnedPartitions {
			ss = append(ss, o.Topic)
		}
		return append(ss, string(m.UserData))
	}
	var a kmsg.ConsumerMemberAssignment
	if err := a.ReadFrom(b); err == nil && bytes.Equal(a.AppendTo(nil), b) {
		var ss []string
		for _, t := range a.Topics {
			ss = append(ss, t.Topic)
		}
		return append(ss, string(a.UserData))
	}
	return nil
}

// contains reports whether some string field of v equals s.
func contains(v any, s string) bool {
	found := false
	walk(reflect.ValueOf(v), "", func(_ string, f reflect.Value) {
		if f.Kind() == reflect.String && f.String() == s {
			found = true
		}
	})
	return found
}

// containsID reports whether some id field of v equals id.
func containsID(v any, id [16]byte) bool {
	found := false
	walk(reflect.ValueOf(v), "", func(_ string, f reflect.Value) {
		if isID(f) && idOf(f) == id {
			found = true
		}
	})
	return found
}

// errorCodes collects every error code of a response by field path
// (indexes left out), e.g. "Topics.Partitions.ErrorCode".
func errorCodes(resp kmsg.Response) map[string][]int16 {
	codes := map[string][]int16{}
	walk(reflect.ValueOf(resp), "", func(path string, v reflect.Value) {
		if v.Kind() == reflect.Int16 && strings.HasSuffix(path, "ErrorCode") {
			p := stripIndexes(path)
			codes[p] = append(codes[p], int16(v.Int()))
		}
	})
	for _, c := range codes {
		slices.Sort(c)
	}
	return codes
}

// stateFields collects the group and transaction states of a response.
func stateFields(resp kmsg.Response) map[string][]string {
	st := map[string][]string{}
	walk(reflect.ValueOf(resp), "", func(path string, v reflect.Value) {
		if v.Kind() != reflect.String {
			return
		}
		switch path[strings.LastIndex(path, ".")+1:] {
		case "State", "GroupState", "ProtocolType":
			p := stripIndexes(path)
			st[p] = append(st[p], v.String())
		}
	})
	for _, s := range st {
		slices.Sort(s)
	}
	return st
}

func stripIndexes(path string) string {
	var b strings.Builder
	skip := false
	for _, r := range path {
		switch {
		case r == '[':
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return strings.TrimPrefix(b.String(), ".")
}

var authzCodes = map[int16]bool{
	kerr.TopicAuthorizationFailed.Code:           true,
	kerr.GroupAuthorizationFailed.Code:           true,
	kerr.ClusterAuthorizationFailed.Code:         true,
	kerr.TransactionalIDAuthorizationFailed.Code: true,
}

// compareCodes compares the error codes of an answer through the gateway
// with Kafka's answer for resources that do not exist. An authorization
// failure stands for any code: Kafka answers so for what the client may
// not describe, and a refused group or transactional id fails the whole
// request. It returns "" when they agree, and whether an authorization
// failure was taken for Kafka's code.
func compareCodes(ref, got map[string][]int16) (string, bool) {
	anyAuthz := false
	for _, cs := range got {
		for _, c := range cs {
			anyAuthz = anyAuthz || authzCodes[c]
		}
	}
	var diffs []string
	paths := map[string]bool{}
	for p := range ref {
		paths[p] = true
	}
	for p := range got {
		paths[p] = true
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	usedAuthz := false
	for _, p := range sorted {
		r, g := ref[p], got[p]
		if slices.Equal(r, g) {
			continue
		}
		// Take out the codes both have, then see what is left.
		rest := slices.Clone(g)
		var missing []int16
		for _, c := range r {
			if i := slices.Index(rest, c); i >= 0 {
				rest = slices.Delete(rest, i, i+1)
			} else {
				missing = append(missing, c)
			}
		}
		allAuthz := true
		for _, c := range rest {
			allAuthz = allAuthz && authzCodes[c]
		}
		if allAuthz && anyAuthz {
			usedAuthz = true
			continue
		}
		diffs = append(diffs, fmt.Sprintf("%s: Kafka %s, gateway %s", p, codeList(r), codeList(g)))
	}
	return strings.Join(diffs, "; "), usedAuthz
}

func codeList(cs []int16) string {
	if len(cs) == 0 {
		return "[]"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = codeName(c)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// allCodes lists every non-zero code of resp, or nil.
func nonZeroCodes(resp kmsg.Response) []int16 {
	var out []int16
	for _, cs := range errorCodes(resp) {
		for _, c := range cs {
			if c != 0 {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

// walk calls fn for every value reachable from v, with its field path.
func walk(v reflect.Value, path string, fn func(string, reflect.Value)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walk(v.Elem(), path, fn)
		}
		return
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Name == "UnknownTags" {
				continue
			}
			walk(v.Field(i), path+"."+f.Name, fn)
		}
		return
	case reflect.Slice:
		if isBytes(v) {
			fn(path, v)
			return
		}
		for i := 0; i < v.Len(); i++ {
			walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i), fn)
		}
		return
	case reflect.Array:
		if isID(v) {
			fn(path, v)
		}
		return
	}
	fn(path, v)
}

func isBytes(v reflect.Value) bool {
	return v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8
}

func isID(v reflect.Value) bool {
	return v.Kind() == reflect.Array && v.Len() == 16 && v.Type().Elem().Kind() == reflect.Uint8
}

func idOf(v reflect.Value) [16]byte {
	var id [16]byte
	reflect.Copy(reflect.ValueOf(&id).Elem(), v)
	return id
}

// render prints a request or response compactly: non-zero fields only,
// ids in Kafka's base64, error codes named, byte strings shortened.
func render(v any) string {
	var b strings.Builder
	renderValue(&b, reflect.ValueOf(v), "")
	return trunc(b.String(), 1500)
}

func renderValue(b *strings.Builder, v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		renderValue(b, v.Elem(), name)
	case reflect.Struct:
		b.WriteString("{")
		t := v.Type()
		first := true
		for i := 0; i < v.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Name == "UnknownTags" || v.Field(i).IsZero() {
				continue
			}
			if !first {
				b.WriteString(" ")
			}
			first = false
			b.WriteString(f.Name + ":")
			renderValue(b, v.Field(i), f.Name)
		}
		b.WriteString("}")
	case reflect.Slice:
		if isBytes(v) {
			bs := v.Bytes()
			if ss := payloadStrings(bs); ss != nil {
				fmt.Fprintf(b, "payload%q", ss)
				return
			}
			fmt.Fprintf(b, "%dB%q", len(bs), trunc(string(bs), 40))
			return
		}
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(" ")
			}
			renderValue(b, v.Index(i), name)
		}
		b.WriteString("]")
	case reflect.Array:
		if isID(v) {
			id := idOf(v)
			b.WriteString(base64.RawURLEncoding.EncodeToString(id[:]))
			return
		}
		fmt.Fprint(b, v.Interface())
	case reflect.String:
		fmt.Fprintf(b, "%q", v.String())
	case reflect.Int16:
		if strings.HasSuffix(name, "ErrorCode") {
			b.WriteString(codeName(int16(v.Int())))
			return
		}
		fmt.Fprint(b, v.Int())
	default:
		fmt.Fprint(b, v.Interface())
	}
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
