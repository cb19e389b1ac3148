// The check of each API key, and the Kafka error codes refusals carry.

package acls

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Error codes of refusals.
var (
	codeTopic        = kerr.TopicAuthorizationFailed.Code
	codeGroup        = kerr.GroupAuthorizationFailed.Code
	codeCluster      = kerr.ClusterAuthorizationFailed.Code
	codeTxn          = kerr.TransactionalIDAuthorizationFailed.Code
	codeUnknownID    = kerr.UnknownTopicID.Code
	codeUnknown      = kerr.UnknownTopicOrPartition.Code
	codeInvalid      = kerr.InvalidRequest.Code
	codeNotAttempted = kerr.OperationNotAttempted.Code
)

// errNoMerge is returned for a response the enforcer cannot put refused
// entries back into; hooks only refuse entries of keys in mergers.
var errNoMerge = errors.New("acls: no merge for this response")

// hooks holds the check of every API key the enforcer wants. Keys absent
// here and not capped need no ACL in Kafka: ApiVersions, SaslHandshake,
// SaslAuthenticate, GetTelemetrySubscriptions and PushTelemetry.
var hooks = map[int16]func(c *call) error{
	0:  produce,
	1:  fetch,
	2:  listOffsets,
	3:  metadata,
	8:  offsetCommit,
	9:  offsetFetch,
	10: findCoordinator,
	11: groupRead,
	12: groupRead,
	13: groupRead,
	14: groupRead,
	15: describeGroups,
	16: listGroups,
	19: createTopics,
	20: deleteTopics,
	21: deleteRecords,
	22: initProducerID,
	23: offsetForLeaderEpoch,
	24: addPartitionsToTxn,
	25: addOffsetsToTxn,
	26: endTxn,
	28: txnOffsetCommit,
	29: describeACLs,
	30: refuseACLChange,
	31: refuseACLChange,
	32: describeConfigs,
	33: alterConfigs,
	34: clusterAlter,    // AlterReplicaLogDirs
	35: clusterDescribe, // DescribeLogDirs
	37: createPartitions,
	42: deleteGroups,
	43: clusterAlter, // ElectLeaders
	44: incrementalAlterConfigs,
	45: clusterAlter,    // AlterPartitionAssignments
	46: clusterDescribe, // ListPartitionReassignments
	47: offsetDelete,
	48: clusterDescribeConfigs, // DescribeClientQuotas
	49: clusterAlterConfigs,    // AlterClientQuotas
	50: clusterDescribe,        // DescribeUserSCRAMCredentials
	51: clusterAlter,           // AlterUserSCRAMCredentials
	55: clusterDescribe,        // DescribeQuorum
	57: clusterAlter,           // UpdateFeatures
	60: describeCluster,
	61: describeProducers,
	64: clusterAlter, // UnregisterBroker
	65: describeTransactions,
	66: listTransactions,
	68: consumerGroupHeartbeat,
	69: consumerGroupDescribe,
	74: clusterDescribeConfigs, // ListConfigResources
	75: describeTopicPartitions,
	76: shareGroupHeartbeat,
	77: shareGroupDescribe,
	78: shareFetch,
	79: shareAcknowledge,
	90: describeShareGroupOffsets,
	91: alterShareGroupOffsets,
	92: deleteShareGroupOffsets,
}
