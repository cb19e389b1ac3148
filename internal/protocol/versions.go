// Package protocol holds Strait's view of the Kafka wire protocol: frame and
// header parsing, the API versions the gateway serves, and the rewriting of
// responses that name brokers. Bodies are encoded and decoded with kmsg.
package protocol

import "github.com/twmb/franz-go/pkg/kmsg"

// MaxKey is one above the largest API key kmsg knows.
const MaxKey = 128

// brokerInternal lists API keys that brokers and controllers send to each
// other. Clients never need them through a gateway, so they are neither
// advertised nor forwarded.
var brokerInternal = map[int16]bool{
	4:  true, // LeaderAndIsr
	5:  true, // StopReplica
	6:  true, // UpdateMetadata
	7:  true, // ControlledShutdown
	27: true, // WriteTxnMarkers
	52: true, // Vote
	53: true, // BeginQuorumEpoch
	54: true, // EndQuorumEpoch
	56: true, // AlterPartition
	58: true, // Envelope
	59: true, // FetchSnapshot
	62: true, // BrokerRegistration
	63: true, // BrokerHeartbeat
	67: true, // AllocateProducerIds
	70: true, // ControllerRegistration
	73: true, // AssignReplicasToDirs
	80: true, // AddRaftVoter
	81: true, // RemoveRaftVoter
	82: true, // UpdateRaftVoter
	83: true, // InitializeShareGroupState
	84: true, // ReadShareGroupState
	85: true, // WriteShareGroupState
	86: true, // DeleteShareGroupState
	87: true, // ReadShareGroupStateSummary
	94: true, // UnregisterController
}

// versionCaps lowers the gateway's maximum for keys whose newer versions
// carry data the gateway cannot present faithfully.
var versionCaps = map[int16]int16{
	55: 1, // DescribeQuorum v2 lists controller listeners; v1 does not.
}

// keyInfo is precomputed per API key.
type keyInfo struct {
	supported bool
	max       int16
	// flexible[v] tells whether version v uses the flexible (KIP-482) header.
	flexible []bool
}

var keys [MaxKey]keyInfo

func init() {
	for k := int16(0); k < MaxKey; k++ {
		req := kmsg.RequestForKey(k)
		if req == nil {
			continue
		}
		max := req.MaxVersion()
		info := keyInfo{supported: !brokerInternal[k], max: max, flexible: make([]bool, max+1)}
		if c, ok := versionCaps[k]; ok && c < max {
			info.max = c
		}
		for v := int16(0); v <= max; v++ {
			req.SetVersion(v)
			info.flexible[v] = req.IsFlexible()
		}
		keys[k] = info
	}
}

// Supported reports whether the gateway serves API key at version.
func Supported(key, version int16) bool {
	if key < 0 || key >= MaxKey {
		return false
	}
	k := &keys[key]
	return k.supported && version >= 0 && version <= k.max
}

// MaxVersion is the highest version of key the gateway serves, or -1.
func MaxVersion(key int16) int16 {
	if key < 0 || key >= MaxKey || !keys[key].supported {
		return -1
	}
	return keys[key].max
}

// Flexible reports whether requests of key at version use the flexible
// header. The key and version must be Supported.
func Flexible(key, version int16) bool {
	k := &keys[key]
	return int(version) < len(k.flexible) && k.flexible[version]
}

// ResponseFlexible reports whether the response header for key at version
// carries a tag section. ApiVersions responses always use header v0 so that
// a client can read them before it knows the broker's versions.
func ResponseFlexible(key, version int16) bool {
	return key != 18 && Flexible(key, version)
}

// IntersectAPIVersions narrows a backend's ApiVersions answer to what the
// gateway serves: each key's range becomes [backend min, min(backend max,
// gateway max)], and keys the gateway does not serve are dropped.
func IntersectAPIVersions(resp *kmsg.ApiVersionsResponse) {
	kept := resp.ApiKeys[:0]
	for _, k := range resp.ApiKeys {
		gmax := MaxVersion(k.ApiKey)
		if gmax < 0 {
			continue
		}
		if k.MaxVersion > gmax {
			k.MaxVersion = gmax
		}
		if k.MinVersion < 0 {
			k.MinVersion = 0
		}
		if k.MinVersion > k.MaxVersion {
			continue
		}
		kept = append(kept, k)
	}
	resp.ApiKeys = kept
}
