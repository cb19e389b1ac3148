// Tests of the rules themselves: implication, deny over allow, conditions
// and names expressions per client identity, and failures that must not
// widen access.

package acls_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/policy/acls"
)

// fetchCodes fetches topics as c and returns the response lines.
func fetchCodes(t *testing.T, ch *policy.Chain, c *policy.Conn, topics ...string) []string {
	t.Helper()
	v := int16(12)
	if strings.HasPrefix(topics[0], "#") {
		v = 13 // by id
	}
	return run(t, ch, c, fetchReq(v, topics...), nil).resp
}

func TestImplication(t *testing.T) {
	// lo asks for DESCRIBE (ListOffsets), dc for DESCRIBE_CONFIGS.
	lo := func() kmsg.Request {
		r := kmsg.NewPtrListOffsetsRequest()
		r.Version = 7
		tp := kmsg.NewListOffsetsRequestTopic()
		tp.Topic = "t"
		tp.Partitions = []kmsg.ListOffsetsRequestTopicPartition{kmsg.NewListOffsetsRequestTopicPartition()}
		r.Topics = append(r.Topics, tp)
		return r
	}
	dc := func() kmsg.Request {
		r := kmsg.NewPtrDescribeConfigsRequest()
		x := kmsg.NewDescribeConfigsRequestResource()
		x.ResourceType, x.ResourceName = kmsg.ConfigResourceTypeTopic, "t"
		r.Resources = append(r.Resources, x)
		return r
	}
	for _, tc := range []struct {
		op           string
		describe     bool
		describeCfgs bool
	}{
		{"read", true, false}, {"write", true, false}, {"delete", true, false}, {"alter", true, false},
		{"describe", true, false}, {"create", false, false}, {"alter_configs", false, true},
		{"describe_configs", false, true}, {"all", true, true},
	} {
		t.Run(tc.op, func(t *testing.T) {
			ch := chain(t, &denials{}, spec(t, "acls", "", allow("topic", "t", tc.op)))
			if got := !run(t, ch, conn(""), lo(), nil).local; got != tc.describe {
				t.Errorf("describe allowed = %v, want %v", got, tc.describe)
			}
			if got := !run(t, ch, conn(""), dc(), nil).local; got != tc.describeCfgs {
				t.Errorf("describe_configs allowed = %v, want %v", got, tc.describeCfgs)
			}
		})
	}
	// A deny is exact: DENY READ does not deny DESCRIBE granted by READ
	// elsewhere; DENY DESCRIBE does.
	ch := chain(t, &denials{}, spec(t, "acls", "", allow("topic", "*", "read"), deny("topic", "t", "read")))
	if run(t, ch, conn(""), lo(), nil).local {
		t.Error("deny read took away describe")
	}
	ch = chain(t, &denials{}, spec(t, "acls", "", allow("topic", "*", "read"), deny("topic", "t", "describe")))
	if !run(t, ch, conn(""), lo(), nil).local {
		t.Error("deny describe did not deny describe")
	}
}

func TestConditionsPerIdentity(t *testing.T) {
	ch := chain(t, &denials{},
		spec(t, "alice", `context.auth.principal.name == "alice"`, allow("topic", "a", "read")),
		spec(t, "everyone", "", allow("topic", "b", "read")),
		spec(t, "no-bob", `context.auth.principal.name == "bob"`, deny("topic", "*", "all")),
	)
	for _, tc := range []struct {
		who  string
		want []string
	}{
		{"alice", []string{"a/0=0", "b/0=0"}},
		{"carol", []string{"a/0=29", "b/0=0"}},
		{"bob", []string{"a/0=29", "b/0=29"}},
		{"", []string{"a/0=29", "b/0=0"}},
	} {
		for range 2 { // the second time from the identity cache
			if got := fetchCodes(t, ch, conn(tc.who), "a", "b"); !slices.Equal(got, tc.want) {
				t.Errorf("%q: %v, want %v", tc.who, got, tc.want)
			}
		}
	}
}

func TestReauthentication(t *testing.T) {
	ch := chain(t, &denials{}, spec(t, "alice", `context.auth.principal.name == "alice"`, allow("topic", "a", "read")))
	c := conn("alice")
	if got := fetchCodes(t, ch, c, "a"); !slices.Equal(got, []string{"a/0=0"}) {
		t.Fatalf("alice: %v", got)
	}
	c.SetAuth(policy.Auth{Type: "sasl_plain", Principal: "mallory"})
	if got := fetchCodes(t, ch, c, "a"); !slices.Equal(got, []string{"a/0=29"}) {
		t.Fatalf("after re-authentication as mallory: %v", got)
	}
}

func TestClaimsAreOfTheIdentity(t *testing.T) {
	ch := chain(t, &denials{}, spec(t, "team", `context.auth.token.claims.team == "a"`, allow("topic", "a", "read")))
	withTeam := func(team string) *policy.Conn {
		c := &policy.Conn{VirtualCluster: "vc"}
		c.SetAuth(policy.Auth{Type: "oauth_bearer", Principal: "svc", Claims: map[string]any{"team": team}})
		return c
	}
	for range 2 {
		if got := fetchCodes(t, ch, withTeam("a"), "a"); !slices.Equal(got, []string{"a/0=0"}) {
			t.Errorf("team a: %v", got)
		}
		if got := fetchCodes(t, ch, withTeam("b"), "a"); !slices.Equal(got, []string{"a/0=29"}) {
			t.Errorf("team b, same principal: %v", got)
		}
	}
}

func TestNamesExpression(t *testing.T) {
	r := allow("topic", "", "read")
	r.ResourceNamesExpression = `[context.auth.principal.name + "-*", "shared"]`
	ch := chain(t, &denials{}, spec(t, "own", "", r))
	if got := fetchCodes(t, ch, conn("alice"), "alice-1", "bob-1", "shared"); !slices.Equal(got, []string{"alice-1/0=0", "bob-1/0=29", "shared/0=0"}) {
		t.Errorf("alice: %v", got)
	}
	if got := fetchCodes(t, ch, conn("bob"), "alice-1", "bob-1"); !slices.Equal(got, []string{"alice-1/0=29", "bob-1/0=0"}) {
		t.Errorf("bob: %v", got)
	}
}

// TestEvaluationErrorsFailClosed pins that a condition or names
// expression that cannot be evaluated never allows more: allow rules
// drop out, deny rules stay (and deny every name when their names are
// what failed).
func TestEvaluationErrorsFailClosed(t *testing.T) {
	denyExpr := deny("topic", "", "read")
	denyExpr.ResourceNamesExpression = `context.auth.token.claims.blocked`
	allowExpr := allow("topic", "", "read")
	allowExpr.ResourceNamesExpression = `[string(context.auth.token.claims.mine)]`
	for _, tc := range []struct {
		name  string
		specs func(t *testing.T) []policy.Spec
		want  []string
	}{
		{"condition error keeps deny rules", func(t *testing.T) []policy.Spec {
			return []policy.Spec{
				spec(t, "all", "", allow("topic", "*", "read")),
				spec(t, "team", `context.auth.token.claims.team == "x"`, deny("topic", "a", "read"), allow("topic", "b", "all")),
			}
		}, []string{"a/0=29", "b/0=0"}},
		{"condition error drops allow rules", func(t *testing.T) []policy.Spec {
			return []policy.Spec{spec(t, "team", `context.auth.token.claims.team == "x"`, allow("topic", "*", "read"))}
		}, []string{"a/0=29", "b/0=29"}},
		{"deny expression error denies every name", func(t *testing.T) []policy.Spec {
			return []policy.Spec{spec(t, "p", "", allow("topic", "*", "read"), denyExpr)}
		}, []string{"a/0=29", "b/0=29"}},
		{"allow expression error allows nothing", func(t *testing.T) []policy.Spec {
			return []policy.Spec{spec(t, "p", "", allowExpr, allow("topic", "b", "read"))}
		}, []string{"a/0=29", "b/0=0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := chain(t, &denials{}, tc.specs(t)...)
			if got := fetchCodes(t, ch, conn("alice"), "a", "b"); !slices.Equal(got, tc.want) {
				t.Errorf("%v, want %v", got, tc.want)
			}
		})
	}
}

func TestDescribeACLsShowsConditionalRulesAsThePrincipal(t *testing.T) {
	ch := chain(t, &denials{},
		spec(t, "everyone", "", allow("cluster", "", "describe")),
		spec(t, "alice", `context.auth.principal.name == "alice"`, allow("group", "g", "read")),
	)
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType, req.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	req.Operation, req.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	got := run(t, ch, conn("alice"), req, nil).resp
	want := []string{"CLUSTER:LITERAL:kafka-cluster User:* DESCRIBE ALLOW=0", "GROUP:LITERAL:g User:alice READ ALLOW=0"}
	if !slices.Equal(got, want) {
		t.Errorf("alice: %v, want %v", got, want)
	}
	got = run(t, ch, conn("bob"), clone(t, req), nil).resp
	want = []string{"CLUSTER:LITERAL:kafka-cluster User:* DESCRIBE ALLOW=0"}
	if !slices.Equal(got, want) {
		t.Errorf("bob: %v, want %v", got, want)
	}
	filtered := clone(t, req).(*kmsg.DescribeACLsRequest)
	filtered.Principal = kmsg.StringPtr("User:*")
	got = run(t, ch, conn("alice"), filtered, nil).resp
	if !slices.Equal(got, want) {
		t.Errorf("alice filtered by User:*: %v, want %v", got, want)
	}
}

func TestNoPoliciesDeniesEverything(t *testing.T) {
	ch := chain(t, &denials{})
	if got := fetchCodes(t, ch, conn("alice"), "a"); !slices.Equal(got, []string{"a/0=29"}) {
		t.Errorf("%v", got)
	}
}

func TestStandaloneNewRefuses(t *testing.T) {
	typ, ok := policy.Lookup(acls.TypeName)
	if !ok {
		t.Fatal("acls not registered")
	}
	if _, err := typ.New(policy.Spec{}, policy.Env{}); err == nil {
		t.Error("New built an acls policy on its own")
	}
	if !slices.Equal(typ.Phases, []policy.Phase{policy.PhaseCluster}) {
		t.Errorf("phases %v", typ.Phases)
	}
}

// TestIDsLearnedFromResponses pins how ids resolve behind a namespace that
// hides its prefix: the topic cache knows backend names, the rules client
// names, and the enforcer learns the client's name of an id from the
// metadata answers the client learns the id from.
func TestIDsLearnedFromResponses(t *testing.T) {
	cache := topicIDs{id(4): "team-a.orders", id(5): "team-a.secret"}
	e, err := acls.NewEnforcer([]policy.Spec{spec(t, "acls", "", allow("topic", "orders", "read"), allow("topic", "secret", "describe"))},
		policy.Env{VirtualCluster: "vc", Topics: cache})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := policy.NewChain(e)
	if err != nil {
		t.Fatal(err)
	}
	if got := fetchCodes(t, ch, conn(""), "#4", "#5"); !slices.Equal(got, []string{"id:04/0=100", "id:05/0=100"}) {
		t.Errorf("before learning: %v", got)
	}
	// The namespace (later in the chain) answers with client names.
	all := kmsg.NewPtrMetadataRequest()
	all.Version = 12
	run(t, ch, conn(""), all, func(kmsg.Request) kmsg.Response {
		resp := kmsg.NewPtrMetadataResponse()
		for name, tid := range map[string][16]byte{"orders": id(4), "secret": id(5)} {
			tp := kmsg.NewMetadataResponseTopic()
			tp.Topic, tp.TopicID = kmsg.StringPtr(name), tid
			resp.Topics = append(resp.Topics, tp)
		}
		return resp
	})
	if got := fetchCodes(t, ch, conn(""), "#4", "#5"); !slices.Equal(got, []string{"id:04/0=0", "id:05/0=29"}) {
		t.Errorf("after learning: %v", got)
	}
}
