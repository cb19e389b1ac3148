// ACL equivalence against real Kafka: the same requests by the same
// principals, once to Kafka (StandardAuthorizer, ACL bindings created for
// the run) over SASL/PLAIN and once through a gateway whose virtual
// cluster enforces the same ACLs itself (acl_mode: enforce_on_gateway,
// principals from client certificates). Every cell compares the error
// codes, per topic, partition, group or transactional id, that the two
// answer; Kafka's answer is also checked against what Kafka documents.
//
// The cluster runs with allow.everyone.if.no.acl.found=true (cluster.sh), so
// a resource that no ACL names is open to everyone on Kafka, while the
// gateway refuses what no rule allows. Sentinel ACLs for a principal that
// never connects put every resource of the run (the prefix eq-<run>-), the
// cluster, and the topic "hardcode" (KIP-679's probe in
// Authorizer.authorizeByResourceType) under ACLs for the test's duration,
// which makes Kafka deny by default there as well. They are deleted when
// the test ends; meanwhile non-super principals of other suites lose
// cluster-level rights they had through allow.everyone.if.no.acl.found.
package realkafka

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/testenv"
)

// aclIntended is a cell where the gateway answers differently from Kafka
// on purpose: what it answers instead, and why.
type aclIntended struct {
	gateway, why string
}

// aclIntendedDifferences lists the intended differences by cell name. A
// listed cell passes only when the gateway gives the answer listed here.
var aclIntendedDifferences = map[string]aclIntended{
	// The gateway's ACLs live in its configuration: it refuses to change
	// them over the protocol (CreateAcls and DeleteAcls, every entry
	// CLUSTER_AUTHORIZATION_FAILED), whatever the principal may do on
	// Kafka (internal/policy/acls/README.md).
	"CreateAcls/bob/cluster ALL": {aclClusterAuth, "ACLs are the gateway's config: CreateAcls refused"},
	"DeleteAcls/bob/cluster ALL": {aclClusterAuth, "ACLs are the gateway's config: DeleteAcls refused"},
	// DescribeAcls is answered from the gateway's rules that apply to the
	// asking client, under its own principal: it never lists other
	// principals' rules, where Kafka lists every binding to a principal
	// with CLUSTER DESCRIBE (the codes and a principal's own bindings
	// match: see the other DescribeAcls cells).
	"DescribeAcls/bob/everyone's bindings (principals)": {"[User:bob]", "DescribeAcls lists the asking client's rules only"},
	// Error responses the gateway builds itself list every member of the
	// request with the refusal code, where Kafka's getErrorResponse for
	// LeaveGroup v3+ sets the top-level code alone; the top-level codes
	// match (internal/policy/errresp).
	"LeaveGroup/carol/g-join": {aclGroupAuth + " member:" + aclGroupAuth, "errresp answers each leaving member as well as the top-level code"},
	// A broker-side regex subscription (KIP-848) is matched by the broker
	// against every topic, and Kafka subscribes the member to the ones it
	// may describe; the gateway cannot see which those are, and refuses
	// a regex to a principal that may not describe every topic
	// (internal/policy/acls, consumerGroupHeartbeat).
	"ConsumerGroupHeartbeat/alice/cg-r-<target> regex orders|secret": {aclTopicAuth, "broker-side regex subscriptions need DESCRIBE on every topic through the gateway"},
	// AllowAutoTopicCreation is one flag per request: when some topic of
	// a Metadata request may be described but not created, the gateway
	// turns auto-creation off for the whole request, so the topics that
	// could be created are not; Kafka creates those
	// (internal/policy/acls/README.md, "Metadata and auto-creation").
	"Metadata/alice/new-auto-m-<target>+ghost-w auto-create": {
		"ghost-w=" + aclTopicAuth + " new-auto-m-<target>=" + aclUnknownTopic + " (not created)",
		"a mixed auto-creation request creates no topic through the gateway",
	},
}

// aclEnv is the run: its resource names, the admin client (PLAINTEXT, a
// super user) and what it learned of the cluster.
type aclEnv struct {
	t     *testing.T
	run   string // prefix of every resource of the run, "eq-<id>"
	admin *kgo.Client
	adm   *kadm.Client

	topicIDs map[string][16]byte
	idNames  map[[16]byte]string
	leaders  map[string]int32
	brokers  []int32
	coords   map[string]int32 // "0:<group>" or "1:<transactional id>"
}

// n names a resource of the run.
func (e *aclEnv) n(s string) string { return e.run + "-" + s }

// short strips the run's prefix from a name, for the table.
func (e *aclEnv) short(s string) string { return strings.TrimPrefix(s, e.run+"-") }

// ours keeps the names of the run, shortened.
func (e *aclEnv) ours(names []string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, e.run+"-") {
			out = append(out, e.short(n))
		}
	}
	return out
}

// ourTopics keeps the run's topics made by setup (aclTopics), shortened:
// the listings of topics show those only, as the topics cells create
// exist for one target's run and not the other's.
func (e *aclEnv) ourTopics(names []string) []string {
	var out []string
	for _, n := range e.ours(names) {
		if slices.Contains(aclTopics, n) {
			out = append(out, n)
		}
	}
	return out
}

// aclTopics are the topics created for the run (one partition each); the
// trash topics are deleted by cells, one per target.
var aclTopics = []string{"orders", "secret", "logs", "audit", "grow", "trash-k", "trash-g", "bobtrash-k", "bobtrash-g"}

// aclRules is the ACL set of the run.
func (e *aclEnv) aclRules() []aclRule {
	const (
		topic   = kmsg.ACLResourceTypeTopic
		group   = kmsg.ACLResourceTypeGroup
		txn     = kmsg.ACLResourceTypeTransactionalId
		cluster = kmsg.ACLResourceTypeCluster
		all     = kmsg.ACLOperationAll
		read    = kmsg.ACLOperationRead
		write   = kmsg.ACLOperationWrite
		create  = kmsg.ACLOperationCreate
		del     = kmsg.ACLOperationDelete
		alter   = kmsg.ACLOperationAlter
		desc    = kmsg.ACLOperationDescribe
		descCfg = kmsg.ACLOperationDescribeConfigs
		altCfg  = kmsg.ACLOperationAlterConfigs
	)
	nobody := e.n("nobody")
	return []aclRule{
		// Sentinels: every name of the run, the cluster and KIP-679's
		// probe topic have ACLs, so Kafka denies by default there.
		{principal: nobody, res: topic, name: e.run + "-", prefixed: true, ops: []kmsg.ACLOperation{read}},
		{principal: nobody, res: group, name: e.run + "-", prefixed: true, ops: []kmsg.ACLOperation{read}},
		{principal: nobody, res: txn, name: e.run + "-", prefixed: true, ops: []kmsg.ACLOperation{desc}},
		{principal: nobody, res: cluster, name: "kafka-cluster", ops: []kmsg.ACLOperation{desc}},
		{principal: nobody, res: topic, name: "hardcode", ops: []kmsg.ACLOperation{read}},

		{principal: "alice", res: topic, name: e.n("orders"), ops: []kmsg.ACLOperation{read, write, descCfg}},
		{principal: "alice", res: topic, name: e.n("logs"), ops: []kmsg.ACLOperation{desc, altCfg}},
		{principal: "alice", res: topic, name: e.n("audit"), ops: []kmsg.ACLOperation{all}},
		{principal: "alice", res: topic, name: e.n("audit"), ops: []kmsg.ACLOperation{write}, deny: true},
		{principal: "alice", res: topic, name: e.n("grow"), ops: []kmsg.ACLOperation{alter}},
		// ALTER implies DESCRIBE, which a prefixed deny takes back.
		{principal: "alice", res: topic, name: e.n("gro"), prefixed: true, ops: []kmsg.ACLOperation{desc}, deny: true},
		{principal: "alice", res: topic, name: e.n("trash-"), prefixed: true, ops: []kmsg.ACLOperation{del}},
		{principal: "alice", res: topic, name: e.n("new-"), prefixed: true, ops: []kmsg.ACLOperation{create}},
		{principal: "alice", res: topic, name: e.n("new-cfg-"), prefixed: true, ops: []kmsg.ACLOperation{descCfg}},
		{principal: "alice", res: topic, name: e.n("new-auto-"), prefixed: true, ops: []kmsg.ACLOperation{desc}},
		{principal: "alice", res: topic, name: e.n("ghost"), prefixed: true, ops: []kmsg.ACLOperation{desc}},
		{principal: "alice", res: group, name: e.n("g-app"), ops: []kmsg.ACLOperation{read}},
		{principal: "alice", res: group, name: e.n("g-join"), ops: []kmsg.ACLOperation{read}},
		{principal: "alice", res: group, name: e.n("g-del-"), prefixed: true, ops: []kmsg.ACLOperation{del}},
		{principal: "alice", res: group, name: e.n("cg-"), prefixed: true, ops: []kmsg.ACLOperation{read}},
		{principal: "alice", res: txn, name: e.n("txn-"), prefixed: true, ops: []kmsg.ACLOperation{write}},

		{principal: "bob", res: topic, name: e.n("orders"), ops: []kmsg.ACLOperation{desc}},
		{principal: "bob", res: group, name: e.n("g-desc"), ops: []kmsg.ACLOperation{desc}},
		{principal: "bob", res: txn, name: e.n("txn-"), prefixed: true, ops: []kmsg.ACLOperation{desc}},
		// ALL on the cluster includes DELETE, which no other ACL can
		// grant there, and with which Kafka deletes any topic.
		{principal: "bob", res: cluster, name: "kafka-cluster", ops: []kmsg.ACLOperation{all}},
		// carol has no ACL at all.
	}
}

// aclResult is one cell's answers.
type aclResult struct {
	cell           *aclCell
	kafka, gateway string
}

// TestACLEquivalence runs every cell of aclCells on Kafka and through the
// gateway, prints the table, and fails on a cell where Kafka does not
// answer as documented or where the gateway differs from Kafka without
// being listed in aclIntendedDifferences.
func TestACLEquivalence(t *testing.T) {
	k := realKafka(t)
	start := time.Now()
	e := &aclEnv{t: t, run: "eq-" + aclRunID(t), coords: map[string]int32{}}
	e.admin = aclClient(t, k.Bootstrap)
	e.adm = kadm.NewClient(e.admin)
	rules := e.aclRules()

	// The gateway first: whether it can serve the ACLs decides whether
	// only Kafka's side runs.
	gw := newACLGateway(t, k, rules)
	gwErr := gw.check()
	if gwErr != nil {
		if os.Getenv("STRAIT_ACL_EQ_KAFKA_ONLY") == "" {
			t.Fatalf("the gateway cannot serve enforce_on_gateway with the suite's ACLs: %v\n(set STRAIT_ACL_EQ_KAFKA_ONLY=1 to check Kafka's side alone)\n%s", gwErr, gw.config)
		}
		t.Logf("gateway side skipped (STRAIT_ACL_EQ_KAFKA_ONLY): %v", gwErr)
	}

	e.setup(rules)
	targets := []*aclTarget{aclKafkaTarget(t)}
	logs := &testenv.SyncBuffer{}
	if gwErr == nil {
		targets = append(targets, gw.start(t, logs))
	}
	for _, tg := range targets {
		e.connect(tg)
	}
	t.Logf("setup took %v", time.Since(start).Round(time.Millisecond))

	cells := aclCells()
	var results []aclResult
	kafka4 := strings.HasPrefix(os.Getenv("STRAIT_KAFKA_VERSION"), "4.")
	for i := range cells {
		c := &cells[i]
		if (aclKafka4APIs[c.api] || aclKafka4APIs[c.name()]) && !kafka4 {
			continue
		}
		r := aclResult{cell: c}
		for _, tg := range targets {
			got := e.runCell(c, tg)
			if tg.name == "kafka" {
				r.kafka = got
			} else {
				r.gateway = got
			}
		}
		results = append(results, r)
	}
	e.report(results, gwErr == nil)
	t.Logf("%d cells in %v", len(results), time.Since(start).Round(time.Millisecond))
	if t.Failed() && gwErr == nil {
		if l := logs.String(); l != "" {
			t.Logf("gateway log:\n%s", l)
		}
	}
}

// runCell runs one cell on one target and renders its answer; a failed
// request renders as "error: ...".
func (e *aclEnv) runCell(c *aclCell, tg *aclTarget) string {
	call := &aclCall{e: e, tg: tg, cl: tg.clients[c.who]}
	got, err := c.do(call)
	if err != nil {
		return "error: " + err.Error()
	}
	return got
}

// report prints the table and fails the test on any cell where Kafka does
// not answer what it documents, or where the gateway differs from Kafka
// without being listed in aclIntendedDifferences.
func (e *aclEnv) report(results []aclResult, withGateway bool) {
	t := e.t
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %-6s %-44s %-40s %-40s %s\n", "API", "WHO", "RESOURCE", "KAFKA", "GATEWAY", "MATCH")
	var matched, intended, mismatched, kafkaWrong int
	used := map[string]bool{}
	for _, r := range results {
		c := r.cell
		name := c.name()
		match := "-"
		if withGateway {
			switch diff, ok := aclIntendedDifferences[name]; {
			case r.kafka == r.gateway:
				match = "yes"
				matched++
			case ok && r.gateway == diff.gateway:
				match = "intended: " + diff.why
				intended++
				used[name] = true
			default:
				match = "NO"
				mismatched++
			}
		}
		if r.kafka != c.want {
			kafkaWrong++
			match += fmt.Sprintf(" (KAFKA DIFFERS FROM ITS DOCS: want %s)", c.want)
		}
		fmt.Fprintf(&b, "%-22s %-6s %-44s %-40s %-40s %s\n", c.api, c.who, c.what, r.kafka, r.gateway, match)
	}
	if withGateway {
		fmt.Fprintf(&b, "%d cells: %d match, %d intended differences, %d mismatches; %d where Kafka differs from its docs\n",
			len(results), matched, intended, mismatched, kafkaWrong)
	} else {
		fmt.Fprintf(&b, "%d cells (Kafka only); %d where Kafka differs from its docs\n", len(results), kafkaWrong)
	}
	t.Logf("ACL equivalence, run %s:\n%s", e.run, b.String())
	if kafkaWrong > 0 {
		t.Errorf("%d cells: Kafka answered other than the cell expects", kafkaWrong)
	}
	if mismatched > 0 {
		t.Errorf("%d cells: the gateway answered other than Kafka", mismatched)
	}
	if withGateway {
		ran := map[string]bool{}
		for _, r := range results {
			ran[r.cell.name()] = true
		}
		exists := map[string]bool{}
		for _, c := range aclCells() {
			exists[c.name()] = true
		}
		for name, diff := range aclIntendedDifferences {
			switch {
			case !exists[name]:
				t.Errorf("intended difference %q names no cell (renamed?)", name)
			case ran[name] && !used[name]:
				t.Errorf("intended difference %q did not occur: the gateway no longer answers %q (stale entry?)", name, diff.gateway)
			}
		}
	}
}

// setup creates the run's topics, groups and ACLs, and waits until every
// broker enforces the ACLs. Everything is removed when the test ends.
func (e *aclEnv) setup(rules []aclRule) {
	t := e.t
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	names := make([]string, len(aclTopics))
	for i, s := range aclTopics {
		names[i] = e.n(s)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// Topics made by cells too (auto-creation, CreateTopics gone
		// wrong), so list them.
		if ts, err := e.adm.ListTopics(ctx); err == nil {
			var del []string
			for _, n := range ts.Names() {
				if strings.HasPrefix(n, e.run+"-") {
					del = append(del, n)
				}
			}
			if len(del) > 0 {
				_, _ = e.adm.DeleteTopics(ctx, del...)
			}
		}
	})
	t.Cleanup(func() {
		// The run's groups (best effort: a group with members left in it
		// by a cell is not empty yet).
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if gs, err := e.adm.ListGroups(ctx); err == nil {
			var del []string
			for _, g := range gs.Groups() {
				if strings.HasPrefix(g, e.run+"-") {
					del = append(del, g)
				}
			}
			if len(del) > 0 {
				_, _ = e.adm.DeleteGroups(ctx, del...)
			}
		}
	})
	created, err := e.adm.CreateTopics(ctx, 1, 3, nil, names...)
	if err != nil {
		t.Fatalf("create topics: %v", err)
	}
	for _, r := range created.Sorted() {
		if r.Err != nil {
			t.Fatalf("create %s: %v", r.Topic, r.Err)
		}
	}

	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// Exactly the bindings created (alice and bob may hold others'),
		// and every binding of the sentinel principal, which the
		// CreateAcls cells name.
		nobody := "User:" + e.n("nobody")
		del := append(aclKafkaBindings(rules), kadm.NewACLs().AnyResource().ResourcePatternType(kadm.ACLPatternAny).
			Operations(kmsg.ACLOperationAny).Allow(nobody).AllowHosts().Deny(nobody).DenyHosts())
		for _, b := range del {
			if _, err := e.adm.DeleteACLs(ctx, b); err != nil {
				t.Logf("deleting the run's ACLs: %v", err)
			}
		}
	})
	for _, b := range aclKafkaBindings(rules) {
		res, err := e.adm.CreateACLs(ctx, b)
		if err != nil {
			t.Fatalf("create ACLs: %v", err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("create ACL %s %v %s: %v", r.Principal, r.Type, r.Name, r.Err)
			}
		}
	}

	md, err := e.adm.Metadata(ctx, names...)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	e.topicIDs, e.idNames, e.leaders = map[string][16]byte{}, map[[16]byte]string{}, map[string]int32{}
	for _, td := range md.Topics.Sorted() {
		if td.Err != nil || len(td.Partitions) == 0 {
			t.Fatalf("metadata of %s: %v", td.Topic, td.Err)
		}
		e.topicIDs[td.Topic] = td.ID
		e.idNames[td.ID] = td.Topic
		e.leaders[td.Topic] = td.Partitions[0].Leader
	}
	for _, b := range md.Brokers {
		e.brokers = append(e.brokers, b.NodeID)
	}
	slices.Sort(e.brokers)

	// Groups with committed offsets (of orders and secret, so that
	// fetching all offsets has something to filter), which keeps them
	// listed when they have no member: g-app, g-desc, g-secret, g-join
	// (which cells join and leave), and one group per target for
	// DeleteGroups.
	for _, g := range aclListedGroups {
		var offs kadm.Offsets
		offs.Add(kadm.Offset{Topic: e.n("orders"), Partition: 0, At: 0, LeaderEpoch: -1})
		offs.Add(kadm.Offset{Topic: e.n("secret"), Partition: 0, At: 0, LeaderEpoch: -1})
		resp, err := e.adm.CommitOffsets(ctx, e.n(g), offs)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			t.Fatalf("commit offsets of %s: %v", g, err)
		}
	}

	// The transactional ids of the cells, made ready by the admin: on a
	// fresh cluster the first transactional request creates the
	// transaction state topic, and its coordinators load for a while.
	for _, id := range []string{e.n("txn-k"), e.n("txn-g")} {
		testenv.WaitFor(t, 60*time.Second, "transaction coordinator of "+id, func() bool {
			delete(e.coords, "1:"+id)
			co, err := e.coordinator(1, id)
			if err != nil {
				return false
			}
			req := kmsg.NewPtrInitProducerIDRequest()
			req.TransactionalID, req.TransactionTimeoutMillis = &id, 60000
			resp, err := req.RequestWith(ctx, e.admin.Broker(int(co)))
			return err == nil && resp.ErrorCode == 0
		})
	}

	// An ongoing transaction of the admin's on orders and secret, which
	// DescribeTransactions shows with the topics the asker may describe.
	e.adminTxn(ctx)
	// A KIP-848 group of the admin's whose member is assigned secret,
	// which ConsumerGroupDescribe refuses to a principal that may not
	// describe secret.
	if strings.HasPrefix(os.Getenv("STRAIT_KAFKA_VERSION"), "4.") {
		e.adminConsumerGroup(ctx)
	}

	// Every broker answers from its own copy of the ACLs: wait until each
	// has all of the run's bindings.
	for _, b := range e.brokers {
		testenv.WaitFor(t, 30*time.Second, fmt.Sprintf("broker %d to have the run's ACLs", b), func() bool {
			return e.brokerHasACLs(ctx, b, rules)
		})
	}
}

// adminTxn starts the admin's transaction txn-adm on partition 0 of
// orders and secret, open until the test ends.
func (e *aclEnv) adminTxn(ctx context.Context) {
	t := e.t
	id := e.n("txn-adm")
	var pid int64
	var epoch int16
	var co int32
	testenv.WaitFor(t, 60*time.Second, "transaction coordinator of "+id, func() bool {
		delete(e.coords, "1:"+id)
		var err error
		if co, err = e.coordinator(1, id); err != nil {
			return false
		}
		req := kmsg.NewPtrInitProducerIDRequest()
		req.TransactionalID, req.TransactionTimeoutMillis = &id, 120000
		resp, err := req.RequestWith(ctx, e.admin.Broker(int(co)))
		if err != nil || resp.ErrorCode != 0 {
			return false
		}
		pid, epoch = resp.ProducerID, resp.ProducerEpoch
		return true
	})
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	req.TransactionalID, req.ProducerID, req.ProducerEpoch = id, pid, epoch
	for _, s := range []string{"orders", "secret"} {
		tp := kmsg.NewAddPartitionsToTxnRequestTopic()
		tp.Topic, tp.Partitions = e.n(s), []int32{0}
		req.Topics = append(req.Topics, tp)
	}
	resp, err := req.RequestWith(ctx, e.admin.Broker(int(co)))
	if err != nil {
		t.Fatalf("admin AddPartitionsToTxn: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := aclCtx()
		defer cancel()
		end := kmsg.NewPtrEndTxnRequest()
		end.TransactionalID, end.ProducerID, end.ProducerEpoch, end.Commit = id, pid, epoch, false
		_, _ = end.RequestWith(ctx, e.admin.Broker(int(co)))
	})
	for _, tp := range resp.Topics {
		for _, p := range tp.Partitions {
			if p.ErrorCode != 0 {
				t.Fatalf("admin AddPartitionsToTxn %s: %s", tp.Topic, aclCode(p.ErrorCode))
			}
		}
	}
}

// adminConsumerGroup joins the KIP-848 group cg-adm, subscribed to secret,
// as the admin, until its member is assigned secret; the member leaves
// when the test ends.
func (e *aclEnv) adminConsumerGroup(ctx context.Context) {
	t := e.t
	g := e.n("cg-adm")
	co, err := e.coordinator(0, g)
	if err != nil {
		t.Fatal(err)
	}
	member := aclMemberID()
	var epoch int32
	testenv.WaitFor(t, 30*time.Second, "the admin's member of cg-adm assigned secret", func() bool {
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch = g, member, epoch
		if epoch == 0 {
			req.RebalanceTimeoutMillis = 10000
			req.SubscribedTopicNames = []string{e.n("secret")}
			req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
		}
		resp, err := req.RequestWith(ctx, e.admin.Broker(int(co)))
		if err != nil || resp.ErrorCode != 0 {
			return false
		}
		epoch = resp.MemberEpoch
		return resp.Assignment != nil && len(resp.Assignment.Topics) > 0
	})
	t.Cleanup(func() {
		ctx, cancel := aclCtx()
		defer cancel()
		leave := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		leave.Group, leave.MemberID, leave.MemberEpoch = g, member, -1
		_, _ = leave.RequestWith(ctx, e.admin.Broker(int(co)))
	})
}

// brokerHasACLs reports whether broker b lists every binding of rules.
func (e *aclEnv) brokerHasACLs(ctx context.Context, b int32, rules []aclRule) bool {
	key := func(p string, typ kmsg.ACLResourceType, pat kmsg.ACLResourcePatternType, name string, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) string {
		return fmt.Sprintf("%s|%v|%v|%s|%v|%v", p, typ, pat, name, op, perm)
	}
	missing := map[string]bool{}
	for _, r := range rules {
		pat, perm := kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLPermissionTypeAllow
		if r.prefixed {
			pat = kmsg.ACLResourcePatternTypePrefixed
		}
		if r.deny {
			perm = kmsg.ACLPermissionTypeDeny
		}
		for _, op := range r.ops {
			missing[key("User:"+r.principal, r.res, pat, r.name, op, perm)] = true
		}
	}
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType = kmsg.ACLResourceTypeAny
	req.ResourcePatternType = kmsg.ACLResourcePatternTypeAny
	req.Operation = kmsg.ACLOperationAny
	req.PermissionType = kmsg.ACLPermissionTypeAny
	resp, err := req.RequestWith(ctx, e.admin.Broker(int(b)))
	if err != nil || resp.ErrorCode != 0 {
		return false
	}
	for _, res := range resp.Resources {
		for _, a := range res.ACLs {
			delete(missing, key(a.Principal, res.ResourceType, res.ResourcePatternType, res.ResourceName, a.Operation, a.PermissionType))
		}
	}
	return len(missing) == 0
}

// connect makes every client of tg learn the brokers, so that requests
// can be sent to a given one.
func (e *aclEnv) connect(tg *aclTarget) {
	for _, p := range aclPrincipals {
		ctx, cancel := aclCtx()
		req := kmsg.NewPtrMetadataRequest()
		req.Topics = []kmsg.MetadataRequestTopic{}
		_, err := req.RequestWith(ctx, tg.clients[p])
		cancel()
		if err != nil {
			e.t.Fatalf("%s: %s cannot connect: %v", tg.name, p, err)
		}
	}
}

// coordinator finds the coordinator of a group (typ 0) or transactional
// id (typ 1), as the admin.
func (e *aclEnv) coordinator(typ int8, key string) (int32, error) {
	k := fmt.Sprintf("%d:%s", typ, key)
	if id, ok := e.coords[k]; ok {
		return id, nil
	}
	ctx, cancel := aclCtx()
	defer cancel()
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorType = typ
	req.CoordinatorKey = key
	req.CoordinatorKeys = []string{key}
	var id int32 = -1
	var err error
	for try := 0; try < 20 && id < 0; try++ {
		var resp *kmsg.FindCoordinatorResponse
		resp, err = req.RequestWith(ctx, e.admin)
		if err != nil {
			return 0, err
		}
		if len(resp.Coordinators) == 1 && resp.Coordinators[0].ErrorCode == 0 {
			id = resp.Coordinators[0].NodeID
		} else if len(resp.Coordinators) == 0 && resp.ErrorCode == 0 {
			id = resp.NodeID
		} else {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if id < 0 {
		return 0, fmt.Errorf("no coordinator for %s", key)
	}
	e.coords[k] = id
	return id, nil
}
