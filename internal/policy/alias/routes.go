// What an exchange remembers of the names the client used, and the generic
// helpers that rename topic lists on the way in and split them back on the
// way out.

package alias

import (
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// state is what an exchange that named an alias keeps for its response.
type state struct {
	// parts: for each forwarded topic, the names the client asked each
	// partition under. Only topics asked through an alias are present.
	parts map[string]map[int32][]string
	// names: for requests that name whole topics, the names the client
	// asked each forwarded topic under, in request order (DescribeConfigs:
	// the name of each forwarded entry, in order). Only topics asked
	// through an alias are present.
	names map[string][]string
	// groups: per consumer group (OffsetFetch v8+), like parts.
	groups map[string]map[string]map[int32][]string
	// refused are entries the policy took out of the request and
	// answers itself.
	refused []refusal
	// empty: every entry was refused; nothing is left to forward.
	empty bool
	// answer, when set, answers the whole request.
	answer kmsg.Response
	// listing: the request asked for every topic (Metadata,
	// DescribeTopicPartitions); the response gets the aliases in active
	// added.
	listing bool
	active  []*entry
	// assign: SyncGroup, the member's assignment gets these targets back
	// under their aliases.
	assign map[string]string
}

// refusal is a request entry the policy answers with an error.
type refusal struct {
	name  string
	parts []int32 // nil for whole-topic entries
	code  int16
	msg   string
}

// refuse records an entry the policy answers itself: a whole topic, or one
// partition of it when perPartition is set (partitions of one name and
// code share a refusal).
func (st *state) refuse(name string, part int32, perPartition bool, code int16, msg string) {
	for i := range st.refused {
		r := &st.refused[i]
		if r.name == name && r.code == code && perPartition && r.parts != nil {
			r.parts = append(r.parts, part)
			return
		}
	}
	r := refusal{name: name, code: code, msg: msg}
	if perPartition {
		r.parts = []int32{part}
	}
	st.refused = append(st.refused, r)
}

// route records that the client asked partition part of target under
// name.
func (st *state) route(target string, part int32, name string) {
	if st.parts == nil {
		st.parts = map[string]map[int32][]string{}
	}
	m := st.parts[target]
	if m == nil {
		m = map[int32][]string{}
		st.parts[target] = m
	}
	m[part] = append(m[part], name)
}

// duplicateMsg explains the refusal of partitions named twice: through the
// alias name and, earlier in the request, as other.
func duplicateMsg(name, other string) string {
	return fmt.Sprintf("%q and %q name the same topic and both are in this request for these partitions; name each partition once", name, other)
}

// adminMsg explains the refusal of an administrative change through an
// alias.
func adminMsg(name, target string) string {
	return fmt.Sprintf("%q is an alias of topic %q: administrative changes must name the topic itself", name, target)
}

var (
	codeInvalidRequest = kerr.InvalidRequest.Code
	codeInvalidTopic   = kerr.InvalidTopicException.Code
)

// topicParts tells the generic helpers how to reach the name and the
// partitions of a topic entry of type T with partitions of type P.
type topicParts[T, P any] struct {
	name  func(*T) *string
	parts func(*T) *[]P
	id    func(*P) int32
}

// tp is a topic partition.
type tp struct {
	topic string
	part  int32
}

// hasAlias reports whether any entry of topics names an alias, conditions
// aside: the fast path for the requests that name none.
func hasAlias[T, P any](p *Policy, topics []T, a topicParts[T, P]) bool {
	for i := range topics {
		if _, ok := p.aliases[*a.name(&topics[i])]; ok {
			return true
		}
	}
	return false
}

// routeParts renames the alias entries of topics to their targets and
// records in st which name each partition was asked under. A partition
// named twice (through an alias and directly, or through two aliases) is
// forwarded once: with merge, the answer is copied to every name (lookups);
// otherwise the later names are refused with INVALID_REQUEST, since the
// backend would keep only one of two entries for a partition with their
// own offsets or records. Entries of one topic are then coalesced. It
// returns topics unchanged and false when no alias exists for the
// connection.
func routeParts[T, P any](v *view, st *state, topics []T, a topicParts[T, P], merge bool) ([]T, bool) {
	if !hasAlias(v.p, topics, a) {
		return topics, false
	}
	found := false
	claimed := map[tp]string{}
	for i := range topics {
		n := *a.name(&topics[i])
		if v.alias(n) != nil {
			found = true
			continue
		}
		for j := range *a.parts(&topics[i]) {
			k := tp{n, a.id(&(*a.parts(&topics[i]))[j])}
			if _, ok := claimed[k]; !ok {
				claimed[k] = n
			}
		}
	}
	if !found {
		return topics, false
	}
	out := make([]T, 0, len(topics))
	index := map[string]int{}
	for i := range topics {
		t := topics[i]
		n := *a.name(&t)
		target := n
		if e := v.alias(n); e != nil {
			target = e.target
			ps := *a.parts(&t)
			kept := make([]P, 0, len(ps))
			for j := range ps {
				id := a.id(&ps[j])
				k := tp{target, id}
				if first, dup := claimed[k]; dup {
					if merge {
						if len(st.parts[target][id]) == 0 {
							st.route(target, id, first)
						}
						st.route(target, id, n)
						continue
					}
					st.refuse(n, id, true, codeInvalidRequest, duplicateMsg(n, first))
					continue
				}
				claimed[k] = n
				st.route(target, id, n)
				kept = append(kept, ps[j])
			}
			if len(kept) == 0 && len(ps) > 0 {
				continue
			}
			*a.name(&t) = target
			*a.parts(&t) = kept
		}
		if at, ok := index[target]; ok {
			dst := a.parts(&out[at])
			*dst = append(slices.Clip(*dst), *a.parts(&t)...)
			continue
		}
		index[target] = len(out)
		out = append(out, t)
	}
	return out, true
}

// splitParts gives each partition of a response back under the names the
// client asked it under (several for merged lookups); partitions of
// topics asked only directly, and partitions not asked at all, stay where
// they are.
func splitParts[T, P any](topics []T, a topicParts[T, P], routes map[string]map[int32][]string) []T {
	if len(routes) == 0 {
		return topics
	}
	out := make([]T, 0, len(topics)+len(routes))
	for i := range topics {
		t := topics[i]
		n := *a.name(&t)
		byPart := routes[n]
		if byPart == nil {
			out = append(out, t)
			continue
		}
		var order []string
		groups := map[string][]P{}
		ps := *a.parts(&t)
		for j := range ps {
			names := byPart[a.id(&ps[j])]
			if len(names) == 0 {
				names = []string{n}
			}
			for _, cn := range names {
				if _, ok := groups[cn]; !ok {
					order = append(order, cn)
				}
				groups[cn] = append(groups[cn], ps[j])
			}
		}
		if len(order) == 0 {
			out = append(out, t)
			continue
		}
		for _, cn := range order {
			c := t
			*a.name(&c) = cn
			*a.parts(&c) = groups[cn]
			out = append(out, c)
		}
	}
	return out
}

// topicName tells the generic helpers how to read and write the name of a
// whole-topic entry of type T, and how to make a copy of an entry stand
// for an alias.
type topicName[T any] struct {
	// get returns the name, false for an entry that names no topic
	// (an id, a resource of another type).
	get func(*T) (string, bool)
	set func(*T, string)
	// alias adjusts a copy of a target's entry made for an alias: a
	// topic id is zeroed (see README.md). May be nil.
	alias func(*T)
}

// routeNames renames whole-topic entries (Metadata, DescribeTopicPartitions):
// an alias becomes its target, and a target asked under several names is
// forwarded once, since the backend would answer it once; st.names records
// the names for the response. It returns topics unchanged and false when
// no alias exists for the connection.
func routeNames[T any](v *view, st *state, topics []T, a topicName[T]) ([]T, bool) {
	found := false
	for i := range topics {
		if n, ok := a.get(&topics[i]); ok && v.alias(n) != nil {
			found = true
			break
		}
	}
	if !found {
		return topics, false
	}
	out := make([]T, 0, len(topics))
	names := map[string][]string{}
	for i := range topics {
		t := topics[i]
		n, ok := a.get(&t)
		if !ok {
			out = append(out, t)
			continue
		}
		target, _ := v.target(n)
		if prev, seen := names[target]; seen {
			if !slices.Contains(prev, n) {
				names[target] = append(prev, n)
			}
			continue
		}
		names[target] = []string{n}
		if target != n {
			a.set(&t, target)
		}
		out = append(out, t)
	}
	for target, ns := range names {
		if len(ns) == 1 && ns[0] == target {
			delete(names, target)
		}
	}
	st.names = names
	return out, true
}

// copyNames gives each entry of a response named after a target back under
// every name the client asked it under.
func copyNames[T any](topics []T, names map[string][]string, a topicName[T]) []T {
	if len(names) == 0 {
		return topics
	}
	out := make([]T, 0, len(topics)+len(names))
	for i := range topics {
		t := topics[i]
		n, ok := a.get(&t)
		if !ok || names[n] == nil {
			out = append(out, t)
			continue
		}
		for _, cn := range names[n] {
			c := t
			if cn != n {
				a.set(&c, copyString(cn))
				if a.alias != nil {
					a.alias(&c)
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// listAliases adds to a listing of every topic an entry for each alias in
// active whose target it lists, right after the target's, and takes out a
// real topic that an alias hides (logging it, see Policy.conflict).
func listAliases[T any](p *Policy, active []*entry, topics []T, a topicName[T]) []T {
	if len(active) == 0 {
		return topics
	}
	byAlias := make(map[string]*entry, len(active))
	byTarget := map[string][]*entry{}
	for _, e := range active {
		byAlias[e.alias] = e
		byTarget[e.target] = append(byTarget[e.target], e)
	}
	out := make([]T, 0, len(topics)+len(active))
	for i := range topics {
		t := topics[i]
		n, ok := a.get(&t)
		if !ok {
			out = append(out, t)
			continue
		}
		if e := byAlias[n]; e != nil {
			p.conflict(e)
			continue
		}
		out = append(out, t)
		for _, e := range byTarget[n] {
			c := t
			a.set(&c, e.alias)
			if a.alias != nil {
				a.alias(&c)
			}
			out = append(out, c)
		}
	}
	return out
}

// active lists the aliases that exist for the connection, in config order.
func (v *view) active() []*entry {
	var out []*entry
	for _, e := range v.p.order {
		if v.alias(e.alias) != nil {
			out = append(out, e)
		}
	}
	return out
}

// copyString returns s in its own memory. Requests may be decoded with
// strings that alias the frame; the response outlives it.
func copyString(s string) string { return string([]byte(s)) }

// refusedParts groups the refusals that name partitions, for the response
// builders.
func refusedParts(st *state, add func(name string, parts []int32, code int16, msg *string)) {
	for i := range st.refused {
		r := &st.refused[i]
		if r.parts == nil {
			continue
		}
		msg := r.msg
		add(r.name, r.parts, r.code, &msg)
	}
}

// refusedTopics lists the refusals of whole topics.
func refusedTopics(st *state, add func(name string, code int16, msg *string)) {
	for i := range st.refused {
		r := &st.refused[i]
		if r.parts != nil {
			continue
		}
		msg := r.msg
		add(r.name, r.code, &msg)
	}
}
