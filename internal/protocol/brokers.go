// Per-key rewrites of the broker lists in responses.

package protocol

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// advertiseAll rewrites the host and port of every broker in list and drops
// the brokers adv cannot serve. at returns a broker's id and pointers to its
// host and port.
func advertiseAll[T any](list []T, adv Advertiser, at func(*T) (int32, *string, *int32)) []T {
	kept := list[:0]
	for i := range list {
		b := &list[i]
		id, host, port := at(b)
		h, p, ok := adv.Advertise(id)
		if !ok {
			continue
		}
		*host, *port = h, p
		kept = append(kept, *b)
	}
	return kept
}

// Metadata (3): Brokers in every version.
func rewriteMetadata(r kmsg.Response, adv Advertiser) bool {
	resp := r.(*kmsg.MetadataResponse)
	resp.Brokers = advertiseAll(resp.Brokers, adv, func(b *kmsg.MetadataResponseBroker) (int32, *string, *int32) {
		return b.NodeID, &b.Host, &b.Port
	})
	return true
}

// FindCoordinator (10): one coordinator before v4, a list from v4. A
// coordinator the gateway cannot serve becomes COORDINATOR_NOT_AVAILABLE,
// which clients retry.
func rewriteFindCoordinator(r kmsg.Response, adv Advertiser) bool {
	resp := r.(*kmsg.FindCoordinatorResponse)
	if resp.Version < 4 {
		if resp.ErrorCode == 0 && resp.NodeID >= 0 {
			if host, port, ok := adv.Advertise(resp.NodeID); ok {
				resp.Host, resp.Port = host, port
			} else {
				resp.ErrorCode, resp.NodeID, resp.Host, resp.Port = 15, -1, "", -1
			}
		}
		return true
	}
	for i := range resp.Coordinators {
		c := &resp.Coordinators[i]
		if c.ErrorCode != 0 || c.NodeID < 0 {
			continue
		}
		if host, port, ok := adv.Advertise(c.NodeID); ok {
			c.Host, c.Port = host, port
		} else {
			c.ErrorCode, c.NodeID, c.Host, c.Port = 15, -1, "", -1
		}
	}
	return true
}

// DescribeCluster (60): Brokers. Controller endpoints (EndpointType 2) are
// not served through the gateway: the answer becomes
// MISMATCHED_ENDPOINT_TYPE, as a broker gives.
func rewriteDescribeCluster(r kmsg.Response, adv Advertiser) bool {
	resp := r.(*kmsg.DescribeClusterResponse)
	if resp.EndpointType == 2 && resp.ErrorCode == 0 {
		resp.ErrorCode = kerr.MismatchedEndpointType.Code
		msg := "controller endpoints are not served by the gateway"
		resp.ErrorMessage = &msg
		resp.Brokers = nil
		return true
	}
	resp.Brokers = advertiseAll(resp.Brokers, adv, func(b *kmsg.DescribeClusterResponseBroker) (int32, *string, *int32) {
		return b.NodeID, &b.Host, &b.Port
	})
	return true
}

// Produce (0) v10+: KIP-951 leader endpoints, present only when a partition
// moved. Usually empty, in which case the response is forwarded unchanged.
func rewriteProduce(r kmsg.Response, adv Advertiser) bool {
	resp := r.(*kmsg.ProduceResponse)
	if len(resp.Brokers) == 0 {
		return false
	}
	resp.Brokers = advertiseAll(resp.Brokers, adv, func(b *kmsg.ProduceResponseBroker) (int32, *string, *int32) {
		return b.NodeID, &b.Host, &b.Port
	})
	return true
}

// Fetch (1) v16+: KIP-951 leader endpoints, as for Produce.
func rewriteFetch(r kmsg.Response, adv Advertiser) bool {
	resp := r.(*kmsg.FetchResponse)
	if len(resp.Brokers) == 0 {
		return false
	}
	resp.Brokers = advertiseAll(resp.Brokers, adv, func(b *kmsg.FetchResponseBroker) (int32, *string, *int32) {
		return b.NodeID, &b.Host, &b.Port
	})
	return true
}

// ShareFetch (78): NodeEndpoints for partitions whose leader moved.
func rewriteShareFetch(r kmsg.Response, adv Advertiser) bool {
	resp := r.(*kmsg.ShareFetchResponse)
	if len(resp.NodeEndpoints) == 0 {
		return false
	}
	resp.NodeEndpoints = advertiseAll(resp.NodeEndpoints, adv, func(b *kmsg.ShareFetchResponseNodeEndpoint) (int32, *string, *int32) {
		return b.NodeID, &b.Host, &b.Port
	})
	return true
}

// ShareAcknowledge (79): NodeEndpoints, as for ShareFetch.
func rewriteShareAcknowledge(r kmsg.Response, adv Advertiser) bool {
	resp := r.(*kmsg.ShareAcknowledgeResponse)
	if len(resp.NodeEndpoints) == 0 {
		return false
	}
	resp.NodeEndpoints = advertiseAll(resp.NodeEndpoints, adv, func(b *kmsg.ShareAcknowledgeResponseNodeEndpoint) (int32, *string, *int32) {
		return b.NodeID, &b.Host, &b.Port
	})
	return true
}
