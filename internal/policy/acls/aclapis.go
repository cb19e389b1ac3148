// The ACL APIs. The backend's ACLs are the gateway's business, not the
// client's: DescribeAcls is answered from the gateway's own rules, and
// CreateAcls and DeleteAcls are refused. None of them reaches the backend.

package acls

import (
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeAcls (29) needs CLUSTER DESCRIBE, as in Kafka, and is answered
// by the gateway with the rules that apply to the asking client, as ACL
// bindings:
//   - the principal is "User:*" for rules of policies without a condition
//     (they apply to everyone), and the client's own principal
//     ("User:<name>", "User:ANONYMOUS" for anonymous clients) for rules of
//     policies whose condition holds for it; rules of policies whose
//     condition does not hold are not shown;
//   - the host is always "*";
//   - a glob without wildcard is a LITERAL pattern, "*" the LITERAL
//     wildcard, "prefix*" a PREFIXED pattern, and any other glob is shown
//     as a LITERAL pattern holding the glob itself;
//   - names from resource_names_expression are shown as evaluated for the
//     client.
//
// The request's filter is applied as Kafka's AclBindingFilter does.
func describeACLs(c *call) error {
	r := c.x.Request.(*kmsg.DescribeACLsRequest)
	if !c.rs.canCluster(opDescribe) {
		return c.fail(codeCluster, "")
	}
	resp := kmsg.NewPtrDescribeACLsResponse()
	resp.Resources = []kmsg.DescribeACLsResponseResource{}
	if r.ResourceType == kmsg.ACLResourceTypeUnknown || r.ResourcePatternType == kmsg.ACLResourcePatternTypeUnknown ||
		r.Operation == kmsg.ACLOperationUnknown || r.PermissionType == kmsg.ACLPermissionTypeUnknown {
		resp.ErrorCode = codeInvalid
		msg := "the request contained an invalid filter"
		resp.ErrorMessage = &msg
		c.x.Answer(resp)
		return nil
	}
	index := map[aclPattern]int{}
	for _, b := range c.rs.all {
		principal := "User:*"
		if b.conditional {
			principal = "User:" + c.rs.principal
			if c.rs.principal == "" {
				principal = "User:ANONYMOUS"
			}
		}
		perm := kmsg.ACLPermissionTypeDeny
		if b.allow {
			perm = kmsg.ACLPermissionTypeAllow
		}
		for _, p := range b.patterns() {
			if !p.matches(r) {
				continue
			}
			for _, op := range dedupe(b.opsList) {
				if !aceMatches(r, principal, op, perm) {
					continue
				}
				i, ok := index[p]
				if !ok {
					i = len(resp.Resources)
					index[p] = i
					res := kmsg.NewDescribeACLsResponseResource()
					res.ResourceType, res.ResourceName, res.ResourcePatternType = p.typ, p.name, p.pattern
					resp.Resources = append(resp.Resources, res)
				}
				acl := kmsg.NewDescribeACLsResponseResourceACL()
				acl.Principal, acl.Host, acl.Operation, acl.PermissionType = principal, "*", op, perm
				resp.Resources[i].ACLs = append(resp.Resources[i].ACLs, acl)
			}
		}
	}
	c.x.Answer(resp)
	return nil
}

// aclPattern is a resource pattern of Kafka's ACL APIs.
type aclPattern struct {
	typ     kmsg.ACLResourceType
	name    string
	pattern kmsg.ACLResourcePatternType
}

// patterns are the resource patterns of a bound rule.
func (b *boundRule) patterns() []aclPattern {
	typ := aclTypes[b.res]
	literal := func(n string) aclPattern { return aclPattern{typ, n, kmsg.ACLResourcePatternTypeLiteral} }
	switch {
	case b.res == resCluster:
		return []aclPattern{literal(ClusterName)}
	case b.any:
		return []aclPattern{literal("*")}
	}
	ps := make([]aclPattern, 0, len(b.globs))
	for _, g := range b.globs {
		s := g.String()
		if prefix, ok := strings.CutSuffix(s, "*"); ok && prefix != "" && !strings.ContainsAny(prefix, "*?") {
			ps = append(ps, aclPattern{typ, prefix, kmsg.ACLResourcePatternTypePrefixed})
			continue
		}
		ps = append(ps, literal(s))
	}
	return ps
}

// matches applies the resource part of a DescribeAcls filter, as Kafka's
// ResourcePatternFilter.matches.
func (p aclPattern) matches(r *kmsg.DescribeACLsRequest) bool {
	if r.ResourceType != kmsg.ACLResourceTypeAny && r.ResourceType != p.typ {
		return false
	}
	ft := r.ResourcePatternType
	if ft != kmsg.ACLResourcePatternTypeAny && ft != kmsg.ACLResourcePatternTypeMatch && ft != p.pattern {
		return false
	}
	if r.ResourceName == nil {
		return true
	}
	name := *r.ResourceName
	if ft == kmsg.ACLResourcePatternTypeAny || ft == p.pattern {
		return name == p.name
	}
	switch p.pattern {
	case kmsg.ACLResourcePatternTypeLiteral:
		return name == p.name || p.name == "*"
	case kmsg.ACLResourcePatternTypePrefixed:
		return strings.HasPrefix(name, p.name)
	}
	return false
}

// aceMatches applies the entry part of a DescribeAcls filter.
func aceMatches(r *kmsg.DescribeACLsRequest, principal string, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) bool {
	return (r.Principal == nil || *r.Principal == principal) &&
		(r.Host == nil || *r.Host == "*") &&
		(r.Operation == kmsg.ACLOperationAny || r.Operation == op) &&
		(r.PermissionType == kmsg.ACLPermissionTypeAny || r.PermissionType == perm)
}

func dedupe(ops []kmsg.ACLOperation) []kmsg.ACLOperation {
	var seen opMask
	out := make([]kmsg.ACLOperation, 0, len(ops))
	for _, op := range ops {
		if seen&maskOf(op) == 0 {
			seen |= maskOf(op)
			out = append(out, op)
		}
	}
	return out
}

// CreateAcls (30) and DeleteAcls (31) are refused, every creation and
// filter with CLUSTER_AUTHORIZATION_FAILED: no client may change the ACLs
// of a virtual cluster, which come from the gateway's configuration. Kafka
// answers SECURITY_DISABLED only when it has no authorizer at all, which
// is not the case here; a refusal is what an ACL tool expects from a
// cluster whose ACLs it may not change.
func refuseACLChange(c *call) error {
	return c.fail(codeCluster, fmt.Sprintf("the ACLs of virtual cluster %q are set in the gateway's configuration (cluster_policies of type acls) and cannot be changed through the Kafka API", c.e.vc))
}
