// Configs: DescribeConfigs, AlterConfigs and IncrementalAlterConfigs name
// their resources by type. Topic and group resources are rewritten; broker
// and broker-logger configs may be read (they name no tenant resource) but
// not changed; client-metrics subscriptions are the cluster's, neither read
// nor changed.

package namespace

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
)

// configIn maps a config resource's name; code is not 0 when it is
// refused. With alter set the request changes the resource: additional
// topics and groups, brokers and loggers are refused.
func (p *Policy) configIn(ctx context.Context, typ kmsg.ConfigResourceType, name string, alter bool) (string, int16) {
	switch typ {
	case kmsg.ConfigResourceTypeTopic:
		b, add, code := p.topicIn(ctx, name)
		if code == 0 && add && alter {
			code = errTopicDenied
		}
		return b, code
	case kmsg.ConfigResourceTypeGroupConfig:
		b, add, ok := p.groupIn(name)
		if !ok || add && alter {
			return "", errGroupDenied
		}
		return b, 0
	case kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeBrokerLogger:
		if alter {
			return "", errClusterDenied
		}
		return name, 0
	case kmsg.ConfigResourceTypeClientMetrics:
		return "", errClusterDenied
	}
	return "", errInvalidRequest
}

// configOut maps a resource name of an answer; ok is false for a resource
// that is not visible.
func (p *Policy) configOut(typ kmsg.ConfigResourceType, name string) (string, bool) {
	switch typ {
	case kmsg.ConfigResourceTypeTopic:
		return p.topicOut(name)
	case kmsg.ConfigResourceTypeGroupConfig:
		return p.groupOut(name)
	case kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeBrokerLogger:
		return name, true
	}
	return "", false
}

// DescribeConfigs (32).
func (p *Policy) describeConfigs(ctx context.Context, x *policy.Exchange, r *kmsg.DescribeConfigsRequest) error {
	var ref refusals[kmsg.DescribeConfigsRequestResource]
	kept := r.Resources[:0]
	for _, res := range r.Resources {
		b, code := p.configIn(ctx, res.ResourceType, res.ResourceName, false)
		if code != 0 {
			ref.add(code, res)
			continue
		}
		res.ResourceName = b
		kept = append(kept, res)
	}
	r.Resources = kept
	st := into(nil, &ref, func(rs []kmsg.DescribeConfigsRequestResource) kmsg.Request {
		return &kmsg.DescribeConfigsRequest{Version: r.Version, Resources: rs}
	})
	return finish(x, st, len(kept), true, mergeDescribeConfigs)
}

func mergeDescribeConfigs(dst, src kmsg.Response) {
	d := dst.(*kmsg.DescribeConfigsResponse)
	d.Resources = append(d.Resources, src.(*kmsg.DescribeConfigsResponse).Resources...)
}

func (p *Policy) describeConfigsResponse(st *state, r *kmsg.DescribeConfigsResponse) error {
	kept := r.Resources[:0]
	for _, res := range r.Resources {
		c, ok := p.configOut(res.ResourceType, res.ResourceName)
		if !ok {
			continue
		}
		res.ResourceName = c
		res.ErrorMessage = p.msgOut(res.ErrorMessage)
		kept = append(kept, res)
	}
	r.Resources = kept
	return addRefused(st, r, mergeDescribeConfigs)
}

// AlterConfigs (33).
func (p *Policy) alterConfigs(ctx context.Context, x *policy.Exchange, r *kmsg.AlterConfigsRequest) error {
	var ref refusals[kmsg.AlterConfigsRequestResource]
	kept := r.Resources[:0]
	for _, res := range r.Resources {
		b, code := p.configIn(ctx, res.ResourceType, res.ResourceName, true)
		if code != 0 {
			ref.add(code, res)
			continue
		}
		res.ResourceName = b
		kept = append(kept, res)
	}
	r.Resources = kept
	st := into(nil, &ref, func(rs []kmsg.AlterConfigsRequestResource) kmsg.Request {
		return &kmsg.AlterConfigsRequest{Version: r.Version, Resources: rs}
	})
	return finish(x, st, len(kept), true, mergeAlterConfigs)
}

func mergeAlterConfigs(dst, src kmsg.Response) {
	d := dst.(*kmsg.AlterConfigsResponse)
	d.Resources = append(d.Resources, src.(*kmsg.AlterConfigsResponse).Resources...)
}

func (p *Policy) alterConfigsResponse(st *state, r *kmsg.AlterConfigsResponse) error {
	kept := r.Resources[:0]
	for _, res := range r.Resources {
		c, ok := p.configOut(res.ResourceType, res.ResourceName)
		if !ok {
			continue
		}
		res.ResourceName = c
		res.ErrorMessage = p.msgOut(res.ErrorMessage)
		kept = append(kept, res)
	}
	r.Resources = kept
	return addRefused(st, r, mergeAlterConfigs)
}

// IncrementalAlterConfigs (44).
func (p *Policy) incrementalAlterConfigs(ctx context.Context, x *policy.Exchange, r *kmsg.IncrementalAlterConfigsRequest) error {
	var ref refusals[kmsg.IncrementalAlterConfigsRequestResource]
	kept := r.Resources[:0]
	for _, res := range r.Resources {
		b, code := p.configIn(ctx, res.ResourceType, res.ResourceName, true)
		if code != 0 {
			ref.add(code, res)
			continue
		}
		res.ResourceName = b
		kept = append(kept, res)
	}
	r.Resources = kept
	st := into(nil, &ref, func(rs []kmsg.IncrementalAlterConfigsRequestResource) kmsg.Request {
		return &kmsg.IncrementalAlterConfigsRequest{Version: r.Version, Resources: rs}
	})
	return finish(x, st, len(kept), true, mergeIncrementalAlterConfigs)
}

func mergeIncrementalAlterConfigs(dst, src kmsg.Response) {
	d := dst.(*kmsg.IncrementalAlterConfigsResponse)
	d.Resources = append(d.Resources, src.(*kmsg.IncrementalAlterConfigsResponse).Resources...)
}

func (p *Policy) incrementalAlterConfigsResponse(st *state, r *kmsg.IncrementalAlterConfigsResponse) error {
	kept := r.Resources[:0]
	for _, res := range r.Resources {
		c, ok := p.configOut(res.ResourceType, res.ResourceName)
		if !ok {
			continue
		}
		res.ResourceName = c
		res.ErrorMessage = p.msgOut(res.ErrorMessage)
		kept = append(kept, res)
	}
	r.Resources = kept
	return addRefused(st, r, mergeIncrementalAlterConfigs)
}
