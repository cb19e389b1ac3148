// Package vcluster builds a virtual cluster's policy chain from its config:
// topic aliases first (so that every later policy sees the topic an alias
// stands for), then the gateway's ACLs and the other cluster policies, in
// the order of the file, and the namespace last, nearest the backend, so
// that every policy before it sees the names the client sees.
package vcluster

import (
	"fmt"
	"strings"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/policy/acls"
	"github.com/strait-gw/strait/internal/policy/alias"
	"github.com/strait-gw/strait/internal/policy/namespace"
	"github.com/strait-gw/strait/internal/policy/recordpolicy"
)

// Chain builds the policy chain of vc. A virtual cluster with no policies
// gets an empty chain, which wants no API key.
func Chain(vc *config.VirtualCluster, env policy.Env) (*policy.Chain, error) {
	var ps []policy.Policy
	if len(vc.TopicAliases) > 0 {
		p, err := alias.New(vc.TopicAliases, vc.Namespace, env)
		if err != nil {
			return nil, fmt.Errorf("topic_aliases: %w", err)
		}
		ps = append(ps, p)
	}
	var aclSpecs []policy.Spec
	for i := range vc.ClusterPolicies {
		cp := &vc.ClusterPolicies[i]
		if !cp.IsEnabled() {
			continue
		}
		if cp.Type == acls.TypeName {
			aclSpecs = append(aclSpecs, cp.Spec())
			continue
		}
		t, ok := policy.Lookup(cp.Type)
		if !ok {
			return nil, fmt.Errorf("cluster_policies[%d]: unknown policy type %q", i, cp.Type)
		}
		p, err := t.New(cp.Spec(), env)
		if err != nil {
			return nil, fmt.Errorf("cluster_policies[%d]: %w", i, err)
		}
		ps = append(ps, p)
	}
	if vc.ACLMode == "enforce_on_gateway" {
		p, err := acls.NewEnforcer(aclSpecs, env)
		if err != nil {
			return nil, fmt.Errorf("cluster_policies: %w", err)
		}
		ps = append(ps, p)
	}
	if vc.Namespace != nil {
		p, err := namespace.New(vc.Namespace, env)
		if err != nil {
			return nil, fmt.Errorf("namespace: %w", err)
		}
		ps = append(ps, p)
	}
	if len(vc.ProducePolicies) > 0 || len(vc.ConsumePolicies) > 0 {
		// Record policies come last: they see the backend's topic names
		// and give their conditions the names clients use.
		var clientTopic func(string) string
		if ns := vc.Namespace; ns != nil && ns.Mode != "enforce_prefix" {
			clientTopic = func(backend string) string { return strings.TrimPrefix(backend, ns.Prefix) }
		}
		p, err := recordpolicy.New(enabledSpecs(vc.ProducePolicies), enabledSpecs(vc.ConsumePolicies), env, clientTopic)
		if err != nil {
			return nil, err
		}
		if !p.Empty() {
			ps = append(ps, p)
		}
	}
	return policy.NewChain(ps...)
}

// enabledSpecs returns the specs of the enabled policies of a list.
func enabledSpecs(ps []config.VCPolicy) []policy.Spec {
	var specs []policy.Spec
	for i := range ps {
		if ps[i].IsEnabled() {
			specs = append(specs, ps[i].Spec())
		}
	}
	return specs
}
