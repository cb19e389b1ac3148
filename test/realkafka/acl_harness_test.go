// Harness of the ACL equivalence suite (acl_equivalence_test.go): the ACL
// set as data, written to Kafka as ACL bindings and to the gateway as acls
// policies; the two targets (Kafka's SASL listener and a gateway with
// client certificates) with one client per principal; and the renderings
// of the answers that cells compare.

package realkafka

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/gateway"
	"github.com/strait-gw/strait/internal/testenv"
)

// aclPrincipals are the users the cells act as: PLAIN users of the
// cluster's SASL listener (cluster.sh), and the CNs of the client
// certificates the gateway maps to principals.
var aclPrincipals = []string{"alice", "bob", "carol"}

// aclPassword is the PLAIN password cluster.sh gives a user.
func aclPassword(user string) string { return user + "-secret" }

// aclRule is one ACL binding. The same value becomes a Kafka ACL binding
// (principal User:<principal>, host *) and a rule of the gateway policy
// whose condition names the principal.
type aclRule struct {
	principal string
	res       kmsg.ACLResourceType
	name      string // for the cluster: kadm's "kafka-cluster"
	prefixed  bool
	ops       []kmsg.ACLOperation
	deny      bool
}

// aclResourceNames are the gateway's names of resource types.
var aclResourceNames = map[kmsg.ACLResourceType]string{
	kmsg.ACLResourceTypeTopic:           "topic",
	kmsg.ACLResourceTypeGroup:           "group",
	kmsg.ACLResourceTypeTransactionalId: "transactional_id",
	kmsg.ACLResourceTypeCluster:         "cluster",
}

// aclOpNames are the gateway's names of operations.
var aclOpNames = map[kmsg.ACLOperation]string{
	kmsg.ACLOperationAll:             "all",
	kmsg.ACLOperationRead:            "read",
	kmsg.ACLOperationWrite:           "write",
	kmsg.ACLOperationCreate:          "create",
	kmsg.ACLOperationDelete:          "delete",
	kmsg.ACLOperationAlter:           "alter",
	kmsg.ACLOperationDescribe:        "describe",
	kmsg.ACLOperationClusterAction:   "cluster_action",
	kmsg.ACLOperationDescribeConfigs: "describe_configs",
	kmsg.ACLOperationAlterConfigs:    "alter_configs",
	kmsg.ACLOperationIdempotentWrite: "idempotent_write",
}

// aclGatewayPolicies renders rules as cluster_policies: one acls policy per
// principal, applying when the client's principal is that one. Kafka's
// prefixed patterns become globs ending in "*". Indented for a virtual
// cluster's mapping.
func aclGatewayPolicies(rules []aclRule) string {
	var b strings.Builder
	b.WriteString("    cluster_policies:\n")
	var order []string
	by := map[string][]aclRule{}
	for _, r := range rules {
		if _, ok := by[r.principal]; !ok {
			order = append(order, r.principal)
		}
		by[r.principal] = append(by[r.principal], r)
	}
	for _, p := range order {
		fmt.Fprintf(&b, "      - type: acls\n        name: acls-%s\n        condition: \"context.auth.principal.name == '%s'\"\n        config:\n          rules:\n", p, p)
		for _, r := range by[p] {
			action := "allow"
			if r.deny {
				action = "deny"
			}
			ops := make([]string, len(r.ops))
			for i, op := range r.ops {
				ops[i] = "{name: " + aclOpNames[op] + "}"
			}
			fmt.Fprintf(&b, "            - {resource_type: %s, action: %s, operations: [%s]", aclResourceNames[r.res], action, strings.Join(ops, ", "))
			if r.res != kmsg.ACLResourceTypeCluster {
				glob := r.name
				if r.prefixed {
					glob += "*"
				}
				fmt.Fprintf(&b, ", resource_names: [{match: %q}]", glob)
			}
			b.WriteString("}\n")
		}
	}
	return b.String()
}

// aclKafkaBindings renders rules as kadm ACL builders, one per rule.
func aclKafkaBindings(rules []aclRule) []*kadm.ACLBuilder {
	var out []*kadm.ACLBuilder
	for _, r := range rules {
		b := kadm.NewACLs().Operations(r.ops...)
		if r.deny {
			b = b.Deny("User:" + r.principal).DenyHosts()
		} else {
			b = b.Allow("User:" + r.principal).AllowHosts()
		}
		switch r.res {
		case kmsg.ACLResourceTypeTopic:
			b = b.Topics(r.name)
		case kmsg.ACLResourceTypeGroup:
			b = b.Groups(r.name)
		case kmsg.ACLResourceTypeTransactionalId:
			b = b.TransactionalIDs(r.name)
		case kmsg.ACLResourceTypeCluster:
			b = b.Clusters()
		}
		if r.prefixed {
			b = b.ResourcePatternType(kadm.ACLPatternPrefixed)
		} else {
			b = b.ResourcePatternType(kadm.ACLPatternLiteral)
		}
		out = append(out, b)
	}
	return out
}

// aclTarget is one side of the comparison: Kafka itself or the gateway,
// with a client per principal.
type aclTarget struct {
	name string // "kafka" or "gateway"
	// tag makes per-target resource names, for cells that change state
	// (a topic deleted directly cannot be deleted again through the
	// gateway).
	tag     string
	clients map[string]*kgo.Client
	// txns holds the producer id and epoch of each transactional id that
	// InitProducerId gave this target.
	txns map[string]aclProducer
}

// aclProducer is a producer id and epoch.
type aclProducer struct {
	id    int64
	epoch int16
}

// aclVersions caps AddPartitionsToTxn at v3: v4+ is the broker-to-broker
// form (verify only), which needs CLUSTER_ACTION.
func aclVersions() *kversion.Versions {
	v := kversion.Stable()
	v.SetMaxKeyVersion(24, 3)
	return v
}

// aclClient makes a client for raw requests to a given broker
// (Broker.RetriableRequest): only connection errors are retried, never
// Kafka errors, so every answer is the broker's (or the gateway's) own.
func aclClient(t *testing.T, seeds []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(seeds...),
		kgo.MaxVersions(aclVersions()),
		kgo.RequestRetries(2),
		kgo.RetryTimeout(10 * time.Second),
		kgo.ClientID("strait-acl-equivalence"),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// aclKafkaTarget logs each principal in over SASL/PLAIN on the SASL listener.
func aclKafkaTarget(t *testing.T) *aclTarget {
	t.Helper()
	boot := os.Getenv("STRAIT_KAFKA_SASL_BOOTSTRAP")
	if boot == "" {
		t.Fatal("STRAIT_KAFKA_SASL_BOOTSTRAP is not set (source test/kafka/env.sh)")
	}
	tg := &aclTarget{name: "kafka", tag: "k", clients: map[string]*kgo.Client{}, txns: map[string]aclProducer{}}
	for _, p := range aclPrincipals {
		tg.clients[p] = aclClient(t, strings.Split(boot, ","), kgo.SASL(plain.Auth{User: p, Pass: aclPassword(p)}.AsMechanism()))
	}
	return tg
}

// aclGateway is the gateway of the suite: a TLS listener requiring client
// certificates, port mapping for brokers 1..3, and one virtual cluster
// with acl_mode enforce_on_gateway.
type aclGateway struct {
	config string
	ca     *testenv.CA // signs the server and client certificates
	base   int
}

// newACLGateway writes the certificates and the config; startACLGateway
// serves it.
func newACLGateway(t *testing.T, k *testenv.Kafka, rules []aclRule) *aclGateway {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca := testenv.NewCA(t, "strait-acl-equivalence")
	srv := ca.Server(t)
	base := testenv.FreePorts(t, 5)
	quoted := make([]string, len(k.Bootstrap))
	for i, a := range k.Bootstrap {
		quoted[i] = strconv.Quote(a)
	}
	text := fmt.Sprintf(`admin: {address: "127.0.0.1:0"}
observability: {log_level: warn}
runtime: {drain_duration: 1s, shutdown_timeout: 5s}
backend_clusters:
  - {name: kafka, bootstrap_servers: [%s], metadata_update_interval: 2s}
virtual_clusters:
  - name: vc
    destination: kafka
    acl_mode: enforce_on_gateway
%slisteners:
  - name: mtls
    addresses: ["127.0.0.1"]
    ports: ["%d-%d"]
    policies:
      - type: tls_server
        config:
          certificates: [{certificate: "${file:%s}", key: "${file:%s}"}]
          client_authentication: {mode: required, tls_trust_bundles: ["${file:%s}"], principal_mapping: {type: cn}}
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: vc, advertised_host: 127.0.0.1, min_broker_id: 1}
`, strings.Join(quoted, ", "), aclGatewayPolicies(rules), base, base+4,
		write("server.pem", srv.CertPEM), write("server.key", srv.KeyPEM), write("ca.pem", ca.CertPEM))
	return &aclGateway{config: text, ca: ca, base: base}
}

// check reports why the gateway cannot serve the config, or nil: the
// config must load and the gateway must build (acls policies registered,
// the enforcer wired into the virtual cluster).
func (g *aclGateway) check() error {
	cfg, err := config.Parse([]byte(g.config), ".")
	if err != nil {
		return err
	}
	_, err = gateway.New(cfg, slog.New(slog.DiscardHandler))
	return err
}

// start serves the gateway and returns its target, a client per principal
// presenting a certificate whose CN is the principal.
func (g *aclGateway) start(t *testing.T, logs *testenv.SyncBuffer) *aclTarget {
	t.Helper()
	testenv.StartConfig(t, g.config, logs)
	tg := &aclTarget{name: "gateway", tag: "g", clients: map[string]*kgo.Client{}, txns: map[string]aclProducer{}}
	boot := "127.0.0.1:" + strconv.Itoa(g.base)
	for _, p := range aclPrincipals {
		cert := g.ca.Client(t, p)
		tc := &tls.Config{RootCAs: g.ca.Pool, Certificates: []tls.Certificate{cert.TLS}, MinVersion: tls.VersionTLS12}
		tg.clients[p] = aclClient(t, []string{boot}, kgo.DialTLSConfig(tc))
	}
	return tg
}

// aclRunID is a short random id naming this run's resources.
func aclRunID(t *testing.T) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// aclMemberID is a client-generated member id (KIP-848), 22 characters.
func aclMemberID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// aclBatch is a record batch (v2) of one record. pid -1 makes a plain
// batch; txn sets the transactional attribute.
func aclBatch(pid int64, epoch int16, seq int32, txn bool) []byte {
	rec := kmsg.Record{Value: []byte("acl-equivalence")}
	rb := rec.AppendTo(nil)
	rec.Length = int32(len(rb) - 1) // the zero length took one varint byte
	rb = rec.AppendTo(nil)
	now := time.Now().UnixMilli()
	b := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, FirstTimestamp: now, MaxTimestamp: now,
		ProducerID: pid, ProducerEpoch: epoch, FirstSequence: seq, NumRecords: 1, Records: rb,
	}
	if txn {
		b.Attributes = 0x10
	}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	binary.BigEndian.PutUint32(out[17:], crc32.Checksum(out[21:], crc32.MakeTable(crc32.Castagnoli)))
	return out
}

// aclCode renders an error code by its Kafka name.
func aclCode(c int16) string {
	if c == 0 {
		return "NONE"
	}
	if err, ok := kerr.ErrorForCode(c).(*kerr.Error); ok {
		return err.Message
	}
	return "CODE_" + strconv.Itoa(int(c))
}

// aclList renders names sorted, as a listing cell's answer.
func aclList(names []string) string {
	slices.Sort(names)
	names = slices.Compact(names)
	return "[" + strings.Join(names, " ") + "]"
}

// aclOpsList renders an AuthorizedOperations bit field.
func aclOpsList(bits int32) string {
	if bits == -2147483648 {
		return "(not asked)"
	}
	var names []string
	for op := kmsg.ACLOperation(0); op < 32; op++ {
		if bits&(1<<op) != 0 {
			if n, ok := aclOpNames[op]; ok {
				names = append(names, n)
			} else {
				names = append(names, strconv.Itoa(int(op)))
			}
		}
	}
	return "ops[" + strings.Join(names, " ") + "]"
}

// aclCtx bounds one request.
func aclCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 15*time.Second)
}
