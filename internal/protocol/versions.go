// Package protocol holds Strait's view of the Kafka wire protocol: frame and
// header parsing, the API versions the gateway serves, and the rewriting of
// responses that name brokers. Bodies are encoded and decoded with kmsg.
package protocol

import "github.com/twmb/franz-go/pkg/kmsg"

// MaxKey is one above the largest API key kmsg knows: arrays indexed by
// key have MaxKey entries.
const MaxKey = kmsg.MaxKey + 1

// brokerInternal lists API keys that brokers and controllers send to each
// other. Clients never need them through a gateway, so they are neither
// advertised nor forwarded.
var brokerInternal = map[int16]bool{
	int16(kmsg.LeaderAndISR):               true,
	int16(kmsg.StopReplica):                true,
	int16(kmsg.UpdateMetadata):             true,
	int16(kmsg.ControlledShutdown):         true,
	int16(kmsg.WriteTxnMarkers):            true,
	int16(kmsg.Vote):                       true,
	int16(kmsg.BeginQuorumEpoch):           true,
	int16(kmsg.EndQuorumEpoch):             true,
	int16(kmsg.AlterPartition):             true,
	int16(kmsg.Envelope):                   true,
	int16(kmsg.FetchSnapshot):              true,
	int16(kmsg.BrokerRegistration):         true,
	int16(kmsg.BrokerHeartbeat):            true,
	int16(kmsg.AllocateProducerIDs):        true,
	int16(kmsg.ControllerRegistration):     true,
	int16(kmsg.AssignReplicasToDirs):       true,
	int16(kmsg.AddRaftVoter):               true,
	int16(kmsg.RemoveRaftVoter):            true,
	int16(kmsg.UpdateRaftVoter):            true,
	int16(kmsg.InitializeShareGroupState):  true,
	int16(kmsg.ReadShareGroupState):        true,
	int16(kmsg.WriteShareGroupState):       true,
	int16(kmsg.DeleteShareGroupState):      true,
	int16(kmsg.ReadShareGroupStateSummary): true,
	int16(kmsg.UnregisterController):       true,
}

// versionCaps lowers the gateway's maximum for keys whose newer versions
// carry data the gateway cannot present faithfully.
var versionCaps = map[int16]int16{
	int16(kmsg.DescribeQuorum): 1, // v2 lists controller listeners; v1 does not.
}

// FetchWithoutLeaderEndpoints is the Fetch version cap that keeps KIP-951
// leader endpoints out of Fetch responses. Fetch v16 differs from v15 only
// by them; v17 and v18 add broker-only fields. Without endpoints to
// rewrite, Fetch responses are forwarded without being read into memory.
const FetchWithoutLeaderEndpoints = 15

// flexible[key][v] tells whether version v of key uses the flexible
// (KIP-482) header; it depends only on kmsg.
var flexible [MaxKey][]bool

// Versions is the highest version of each API key the gateway serves; -1
// for keys it does not serve. It is immutable once built.
type Versions struct {
	max [MaxKey]int16
}

// Default is the gateway's versions with no extra caps.
var Default = NewVersions(nil)

func init() {
	for k := int16(0); k < MaxKey; k++ {
		req := kmsg.RequestForKey(k)
		if req == nil {
			continue
		}
		max := req.MaxVersion()
		flexible[k] = make([]bool, max+1)
		for v := int16(0); v <= max; v++ {
			req.SetVersion(v)
			flexible[k][v] = req.IsFlexible()
		}
	}
}

// NewVersions builds the versions the gateway serves: every key kmsg knows
// up to kmsg's maximum, less broker-internal keys, with the built-in caps
// and then caps (key -> highest version) applied.
func NewVersions(caps map[int16]int16) *Versions {
	v := &Versions{}
	for k := int16(0); k < MaxKey; k++ {
		v.max[k] = -1
		req := kmsg.RequestForKey(k)
		if req == nil || brokerInternal[k] {
			continue
		}
		v.max[k] = req.MaxVersion()
		for _, c := range []map[int16]int16{versionCaps, caps} {
			if m, ok := c[k]; ok && m < v.max[k] {
				v.max[k] = m
			}
		}
	}
	return v
}

// Supported reports whether the gateway serves API key at version.
func (v *Versions) Supported(key, version int16) bool {
	return key >= 0 && key < MaxKey && version >= 0 && version <= v.max[key]
}

// Max is the highest version of key the gateway serves, or -1.
func (v *Versions) Max(key int16) int16 {
	if key < 0 || key >= MaxKey {
		return -1
	}
	return v.max[key]
}

// Flexible reports whether requests of key at version use the flexible
// header. The key must be known to kmsg.
func Flexible(key, version int16) bool {
	f := flexible[key]
	return version >= 0 && int(version) < len(f) && f[version]
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
func (v *Versions) IntersectAPIVersions(resp *kmsg.ApiVersionsResponse) {
	kept := resp.ApiKeys[:0]
	for _, k := range resp.ApiKeys {
		gmax := v.Max(k.ApiKey)
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

// AdvertisedMax returns the highest version of each API key that resp
// advertises, -1 for the keys it does not.
func AdvertisedMax(resp *kmsg.ApiVersionsResponse) *[MaxKey]int16 {
	var max [MaxKey]int16
	for i := range max {
		max[i] = -1
	}
	for _, k := range resp.ApiKeys {
		if k.ApiKey >= 0 && k.ApiKey < MaxKey {
			max[k.ApiKey] = k.MaxVersion
		}
	}
	return &max
}
