// Package namespace gives a virtual cluster its own part of a backend
// cluster: the topics, consumer groups and transactional ids whose backend
// names start with a prefix, plus the topics and groups the config lists as
// additional. Requests are rewritten into the namespace on the way in,
// responses stripped and filtered on the way out, and everything outside
// the namespace looks to the client as if it did not exist.
//
// Names. With hide_prefix the client sees "orders" for the backend's
// "team-a.orders" and creates "orders" as "team-a.orders"; with
// enforce_prefix it sees and uses full backend names, and names without the
// prefix that are not additional do not exist for it. Consumer group ids and
// transactional ids are prefixed the same way: in hide_prefix mode the
// client's group "g1" is the backend's "team-a.g1"; in enforce_prefix mode a
// group or transactional id without the prefix is refused as Kafka refuses
// one the client may not use (GROUP_AUTHORIZATION_FAILED,
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED), so a tenant can never name
// another's. Names starting with "__" (Kafka's internal topics, and a
// tenant's "team-a.__x" in hide_prefix mode) are never visible or
// reachable.
//
// Additional topics and groups keep their backend name. They can be read,
// written and committed to, but not created, deleted or otherwise
// administered through the virtual cluster (CreateTopics, DeleteTopics,
// CreatePartitions, DeleteRecords, AlterConfigs: TOPIC_AUTHORIZATION_FAILED;
// DeleteGroups, OffsetDelete, group AlterConfigs: GROUP_AUTHORIZATION_FAILED):
// other tenants share them. In hide_prefix mode a client name that matches
// an additional selector may stand for two backend topics ("shared.x" and
// "team-a.shared.x"); the prefixed one wins when it exists, the conflict is
// logged once per name and reported through NamespaceMetrics (conflict:
// warn). For groups the additional one wins: a group exists only while it
// is used, so the gateway cannot tell whether the prefixed one does, and an
// additional group that could never be reached would be pointless. Regex
// subscriptions (KIP-848) match only prefixed topics.
//
// Refusals are what Kafka answers for a topic that does not exist:
// UNKNOWN_TOPIC_OR_PARTITION for names, UNKNOWN_TOPIC_ID for ids,
// INVALID_TOPIC_EXCEPTION for a hide_prefix name that is invalid or longer
// than 249 characters once prefixed. CreateTopics outside the namespace gets
// TOPIC_AUTHORIZATION_FAILED, as from a broker whose ACLs deny it: a tenant
// may not create a topic it would then not see, and "does not exist" makes no
// sense as an answer to a create.
//
// API keys. The policy decodes the keys in the first table, rewrites names
// and checks topic ids (against the backend's topic cache) in both
// directions; the keys in the second table carry no tenant resource and pass
// untouched up to the version listed; every other key is capped to -1 (not
// served), because a key the policy does not read is a way around it.
//
//	handled                           max  notes
//	0  Produce                        13   names <=12, ids 13 (foreign ids answered UNKNOWN_TOPIC_ID), transactional id
//	1  Fetch                          18   names <=12 (and forgotten topics), ids 13+
//	2  ListOffsets                    11
//	3  Metadata                       13   all-topics listings filtered, ids learned, no auto-creation outside the namespace
//	8  OffsetCommit                   10   names <=9, ids 10
//	9  OffsetFetch                    10   groups, all-topics fetches filtered
//	10 FindCoordinator                6    group and transaction keys; share keys (type 2, broker-only) refused
//	11 JoinGroup                      9    "consumer" member metadata rewritten
//	12 Heartbeat, 13 LeaveGroup       4, 5
//	14 SyncGroup                      5    "consumer" assignments rewritten
//	15 DescribeGroups                 6
//	16 ListGroups                     5    filtered
//	19 CreateTopics                   7
//	20 DeleteTopics                   6
//	21 DeleteRecords                  2
//	22 InitProducerId                 5
//	23 OffsetForLeaderEpoch           4
//	24 AddPartitionsToTxn             3    v4+ is broker-to-broker batching
//	25 AddOffsetsToTxn, 26 EndTxn     4, 5
//	28 TxnOffsetCommit                6
//	32 DescribeConfigs                4    topic and group resources rewritten; broker configs pass; client metrics refused
//	33 AlterConfigs                   2    topic and group resources; broker, logger and client metrics refused
//	35 DescribeLogDirs                5    topics filtered
//	37 CreatePartitions               3
//	42 DeleteGroups                   3
//	44 IncrementalAlterConfigs        1    as AlterConfigs
//	47 OffsetDelete                   0
//	61 DescribeProducers              0
//	65 DescribeTransactions           0
//	66 ListTransactions               1    filtered; v2's id pattern is not rewritten
//	68 ConsumerGroupHeartbeat         1    subscribed names, regex rewritten into the namespace, ids checked
//	69 ConsumerGroupDescribe          1
//	75 DescribeTopicPartitions        0    all-topics listings cover the prefixed topics only
//	76 ShareGroupHeartbeat            1
//	77 ShareGroupDescribe             1
//	78 ShareFetch, 79 ShareAcknowledge 2   ids checked
//	90 DescribeShareGroupOffsets      1
//	91 AlterShareGroupOffsets         0
//	92 DeleteShareGroupOffsets        0
//
//	passed untouched                  max
//	17 SaslHandshake, 36 SaslAuthenticate  1, 2
//	18 ApiVersions                    (the gateway's own)
//	60 DescribeCluster                2    brokers only
//	71 GetTelemetrySubscriptions, 72 PushTelemetry  0
//
//	not served (-1)
//	29-31 ACLs                        resource names and patterns are not rewritten; a tenant must not read or
//	                                  change the backend's ACLs (the gateway's own ACLs answer them in
//	                                  enforce_on_gateway mode, see the package acls)
//	34 AlterReplicaLogDirs, 43 ElectLeaders, 45 AlterPartitionReassignments,
//	46 ListPartitionReassignments, 55 DescribeQuorum, 57 UpdateFeatures,
//	64 UnregisterBroker               cluster operations (DescribeQuorum names __cluster_metadata)
//	38-41 delegation tokens, 48-49 client quotas, 50-51 SCRAM credentials
//	                                  cluster-wide principals and quotas, not the tenant's
//	74 ListConfigResources            lists every tenant's topics and groups
//	88, 89, 93 streams groups         topologies name topics in many places; not rewritten yet
//	broker-internal keys, and any key newer than this table
package namespace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
)

// Name is the policy's name in logs and metrics.
const Name = "namespace"

// maxTopicLen is Kafka's limit on topic names.
const maxTopicLen = 249

// Error codes the policy answers with.
var (
	errUnknownTopic   = kerr.UnknownTopicOrPartition.Code
	errUnknownTopicID = kerr.UnknownTopicID.Code
	errInvalidTopic   = kerr.InvalidTopicException.Code
	errTopicDenied    = kerr.TopicAuthorizationFailed.Code
	errGroupDenied    = kerr.GroupAuthorizationFailed.Code
	errTxnDenied      = kerr.TransactionalIDAuthorizationFailed.Code
	errClusterDenied  = kerr.ClusterAuthorizationFailed.Code
	errInvalidRequest = kerr.InvalidRequest.Code
	errInvalidRegex   = kerr.InvalidRegularExpression.Code
)

// served is the highest version of each key the policy handles or passes;
// every other key is not served.
var served = map[int16]int16{
	0: 13, 1: 18, 2: 11, 3: 13, 8: 10, 9: 10, 10: 6, 11: 9, 12: 4, 13: 5,
	14: 5, 15: 6, 16: 5, 19: 7, 20: 6, 21: 2, 22: 5, 23: 4, 24: 3, 25: 4,
	26: 5, 28: 6, 32: 4, 33: 2, 35: 5, 37: 3, 42: 3, 44: 1, 47: 0, 61: 0,
	65: 0, 66: 1, 68: 1, 69: 1, 75: 0, 76: 1, 77: 1, 78: 2, 79: 2, 90: 1,
	91: 0, 92: 0,
	// Passed untouched: they name no topic, group or transactional id.
	17: 1, 36: 2, 60: 2, 71: 0, 72: 0,
}

// passthrough are the served keys the policy need not see.
var passthrough = policy.Keys(17, 18, 36, 60, 71, 72)

// requestKeys are the keys whose requests the policy reads.
var requestKeys = func() policy.KeySet {
	var s policy.KeySet
	for k := range served {
		if !passthrough.Has(k) {
			s.Add(k)
		}
	}
	return s
}()

// Policy is a namespace. It is immutable but for what it learns about
// backend topics, and safe for concurrent use.
type Policy struct {
	vc      string
	log     *slog.Logger
	topics  policy.TopicCache
	metrics policy.NamespaceMetrics

	hide   bool
	prefix string

	addTopics selectors
	addGroups selectors

	// resolved maps, in hide_prefix mode, a client topic name that matches
	// an additional selector to whether the prefixed backend topic exists
	// (and so wins). Only names for which one of the two topics exists are
	// stored, so it is bounded by the backend's topics.
	resolved sync.Map
	// warned holds the client names whose conflict was logged.
	warned sync.Map
	// topicConflict is set while the last listing of every topic showed a
	// conflict (or a request found one since); groupConflict once a group
	// listing showed one (a listing covers one coordinator, so it cannot
	// clear it). reported is what the metrics were last told.
	topicConflict, groupConflict, reported atomic.Bool
}

var (
	_ policy.Policy        = (*Policy)(nil)
	_ policy.RequestHook   = (*Policy)(nil)
	_ policy.ResponseHook  = (*Policy)(nil)
	_ policy.VersionCapper = (*Policy)(nil)
)

// New builds the namespace of cfg. env.Topics must be set: topic ids are
// checked against it.
func New(cfg *config.Namespace, env policy.Env) (policy.Policy, error) {
	if cfg == nil {
		return nil, errors.New("no namespace config")
	}
	if cfg.Prefix == "" {
		return nil, errors.New("prefix: required")
	}
	if strings.HasPrefix(cfg.Prefix, "__") {
		return nil, fmt.Errorf("prefix: %q would name internal topics", cfg.Prefix)
	}
	if env.Topics == nil {
		return nil, errors.New("the backend cluster's topic cache is required")
	}
	p := &Policy{
		vc:     env.VirtualCluster,
		log:    env.Log,
		topics: env.Topics,
		prefix: cfg.Prefix,
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.metrics, _ = env.Metrics.(policy.NamespaceMetrics)
	switch cfg.Mode {
	case "", "hide_prefix":
		p.hide = true
	case "enforce_prefix":
	default:
		return nil, fmt.Errorf("mode: unknown namespace mode %q", cfg.Mode)
	}
	var err error
	if p.addTopics, err = compileSelectors(cfg.Additional.Topics); err != nil {
		return nil, fmt.Errorf("additional.topics%w", err)
	}
	if p.addGroups, err = compileSelectors(cfg.Additional.ConsumerGroups); err != nil {
		return nil, fmt.Errorf("additional.consumer_groups%w", err)
	}
	return p, nil
}

// Name implements policy.Policy.
func (p *Policy) Name() string { return Name }

// RequestKeys implements policy.Policy.
func (p *Policy) RequestKeys() policy.KeySet { return requestKeys }

// Cap implements policy.VersionCapper: every key the policy neither
// handles nor knows to be harmless is not served.
func (p *Policy) Cap(caps map[int16]int16) {
	for k := int16(0); k < policy.MaxKey; k++ {
		if k == 18 {
			continue // ApiVersions: the gateway's own
		}
		max, ok := served[k]
		if !ok {
			max = -1
		}
		if old, ok := caps[k]; !ok || max < old {
			caps[k] = max
		}
	}
}

// selectors are compiled additional-name selectors.
type selectors struct {
	exact    map[string]bool // name -> warn on conflict
	prefixes []prefixSel     // globs "literal*"
	globs    []globSel
}

type prefixSel struct {
	prefix string
	warn   bool
}

type globSel struct {
	g    *policy.Glob
	warn bool
}

func compileSelectors(sels []config.NameSelector) (selectors, error) {
	s := selectors{exact: map[string]bool{}}
	for i, sel := range sels {
		warn := sel.Conflict != "ignore"
		switch sel.Type {
		case "glob":
			g, err := policy.CompileGlob(sel.Glob)
			if err != nil {
				return s, fmt.Errorf("[%d].glob: %w", i, err)
			}
			switch lit, ok := strings.CutSuffix(sel.Glob, "*"); {
			case g.Literal():
				s.exact[sel.Glob] = s.exact[sel.Glob] || warn
			case ok && !strings.ContainsAny(lit, "*?"):
				s.prefixes = append(s.prefixes, prefixSel{lit, warn})
			default:
				s.globs = append(s.globs, globSel{g, warn})
			}
		case "exact_list":
			for _, e := range sel.ExactList {
				s.exact[e.Backend] = s.exact[e.Backend] || warn
			}
		default:
			return s, fmt.Errorf("[%d].type: unknown selector type %q", i, sel.Type)
		}
	}
	return s, nil
}

// match reports whether a selector selects name, and whether a conflict on
// it is to be reported.
func (s *selectors) match(name string) (ok, warn bool) {
	if w, ok := s.exact[name]; ok {
		return true, w
	}
	for _, ps := range s.prefixes {
		if strings.HasPrefix(name, ps.prefix) {
			return true, ps.warn
		}
	}
	for _, g := range s.globs {
		if g.g.Match(name) {
			return true, g.warn
		}
	}
	return false, false
}

func (s *selectors) empty() bool {
	return len(s.exact) == 0 && len(s.prefixes) == 0 && len(s.globs) == 0
}

// internal reports whether a name is one of Kafka's internal topics (or
// could be mistaken for one).
func internal(name string) bool { return strings.HasPrefix(name, "__") }

// topicIn maps a client topic name to its backend name. add is true for an
// additional topic. code is not 0 when the name has no backend counterpart
// in the namespace: UNKNOWN_TOPIC_OR_PARTITION, or INVALID_TOPIC_EXCEPTION
// for a name that is invalid or too long once prefixed.
func (p *Policy) topicIn(ctx context.Context, c string) (b string, add bool, code int16) {
	if internal(c) {
		return "", false, errUnknownTopic
	}
	if !p.hide {
		if strings.HasPrefix(c, p.prefix) {
			return c, false, 0
		}
		if ok, _ := p.addTopics.match(c); ok {
			return c, true, 0
		}
		return "", false, errUnknownTopic
	}
	if ok, warn := p.addTopics.match(c); ok {
		return p.resolve(ctx, c, warn)
	}
	if c == "" || c == "." || c == ".." || len(p.prefix)+len(c) > maxTopicLen {
		return "", false, errInvalidTopic
	}
	return p.prefix + c, false, 0
}

// resolve maps a hide_prefix client name that matches an additional
// selector: to the prefixed topic if it exists, else to the additional one.
func (p *Policy) resolve(ctx context.Context, c string, warn bool) (string, bool, int16) {
	if len(p.prefix)+len(c) > maxTopicLen {
		return c, true, 0
	}
	if v, ok := p.resolved.Load(c); ok {
		if v.(bool) {
			return p.prefix + c, false, 0
		}
		return c, true, 0
	}
	pre := p.prefix + c
	if _, ok := p.topics.IDForName(ctx, pre); ok {
		p.resolved.Store(c, true)
		if _, ok := p.topics.IDForName(ctx, c); ok && warn {
			p.conflictFound(c, pre)
		}
		return pre, false, 0
	}
	if _, ok := p.topics.IDForName(ctx, c); ok {
		p.resolved.Store(c, false)
	}
	return c, true, 0
}

// conflictFound logs, once per name, that the prefixed backend topic pre
// hides the additional topic c, and reports it.
func (p *Policy) conflictFound(c, pre string) {
	if _, seen := p.warned.LoadOrStore(c, struct{}{}); !seen {
		p.log.Warn("namespace conflict: two backend topics have one client name; the prefixed one wins",
			"client_name", c, "used", pre, "hidden", c)
	}
	p.topicConflict.Store(true)
	p.report()
}

// report tells the metrics whether the namespace has a conflict, when that
// changed.
func (p *Policy) report() {
	c := p.topicConflict.Load() || p.groupConflict.Load()
	if p.metrics != nil && p.reported.Swap(c) != c {
		p.metrics.NamespaceConflicts(p.vc, c)
	}
}

// topicOut maps a backend topic name to the client's, or reports that the
// topic is not visible.
func (p *Policy) topicOut(b string) (string, bool) {
	if internal(b) {
		return "", false
	}
	if rest, ok := strings.CutPrefix(b, p.prefix); ok {
		if !p.hide {
			return b, true
		}
		if rest == "" || rest == "." || rest == ".." || internal(rest) {
			return "", false
		}
		return rest, true
	}
	if ok, _ := p.addTopics.match(b); ok {
		return b, true
	}
	return "", false
}

// ownID reports whether the topic with id is visible in the namespace, and
// whether it is additional.
func (p *Policy) ownID(ctx context.Context, id [16]byte) (visible, add bool) {
	name, ok := p.topics.NameForID(ctx, id)
	if !ok {
		return false, false
	}
	if _, ok := p.topicOut(name); !ok {
		return false, false
	}
	return true, !strings.HasPrefix(name, p.prefix)
}

// groupIn maps a client group id to the backend's; ok is false for a group
// outside the namespace (enforce_prefix only).
func (p *Policy) groupIn(g string) (b string, add, ok bool) {
	if m, _ := p.addGroups.match(g); m {
		return g, true, true
	}
	if !p.hide {
		return g, false, strings.HasPrefix(g, p.prefix)
	}
	return p.prefix + g, false, true
}

// groupOut maps a backend group id to the client's, or reports that it is
// not visible.
func (p *Policy) groupOut(b string) (string, bool) {
	if rest, ok := strings.CutPrefix(b, p.prefix); ok {
		if !p.hide {
			return b, true
		}
		if m, _ := p.addGroups.match(rest); m {
			return "", false // the additional group of that name wins
		}
		return rest, true
	}
	if m, _ := p.addGroups.match(b); m {
		return b, true
	}
	return "", false
}

// txnIn maps a client transactional id to the backend's. The empty id
// passes: Kafka refuses it itself.
func (p *Policy) txnIn(t string) (string, bool) {
	if t == "" {
		return t, true
	}
	if !p.hide {
		return t, strings.HasPrefix(t, p.prefix)
	}
	return p.prefix + t, true
}

// txnOut maps a backend transactional id to the client's.
func (p *Policy) txnOut(b string) (string, bool) {
	if b == "" {
		return b, true
	}
	rest, ok := strings.CutPrefix(b, p.prefix)
	if !ok {
		return "", false
	}
	if !p.hide {
		return b, true
	}
	return rest, true
}

// msgOut strips the prefix from an error message that may name backend
// topics or groups.
func (p *Policy) msgOut(m *string) *string {
	if m == nil || !p.hide || !strings.Contains(*m, p.prefix) {
		return m
	}
	s := strings.ReplaceAll(*m, p.prefix, "")
	return &s
}
