// The cells of the ACL equivalence suite, in the order they run. The ACL
// set they rely on is aclEnv.aclRules; in short:
//
//	alice: topics orders READ WRITE DESCRIBE_CONFIGS; logs DESCRIBE
//	       ALTER_CONFIGS; audit ALL but DENY WRITE; grow ALTER but DENY
//	       DESCRIBE on gro*; trash-* DELETE; new-* CREATE; new-cfg-*
//	       DESCRIBE_CONFIGS; new-auto-* DESCRIBE; ghost* DESCRIBE;
//	       groups g-app and g-join READ, g-del-* DELETE, cg-* READ;
//	       transactional ids txn-* WRITE
//	bob:   orders DESCRIBE; group g-desc DESCRIBE; txn-* DESCRIBE;
//	       cluster ALL
//	carol: nothing
//
// Topics orders, secret, logs, audit, grow, trash-k, trash-g, bobtrash-k
// and bobtrash-g exist (one partition each); groups g-app, g-desc,
// g-secret, g-join, g-del-k and g-del-g exist, with offsets of orders and
// secret; the admin has an open transaction txn-adm on orders and secret
// and, on Kafka 4, a member of the KIP-848 group cg-adm assigned secret.

package realkafka

// Kafka's answers, by the names kerr gives them.
const (
	aclNone           = "NONE"
	aclTopicAuth      = "TOPIC_AUTHORIZATION_FAILED"
	aclGroupAuth      = "GROUP_AUTHORIZATION_FAILED"
	aclTxnAuth        = "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
	aclClusterAuth    = "CLUSTER_AUTHORIZATION_FAILED"
	aclUnknownTopic   = "UNKNOWN_TOPIC_OR_PARTITION"
	aclGroupGone      = "GROUP_ID_NOT_FOUND"
	aclMemberRequired = "MEMBER_ID_REQUIRED"
	aclNotAttempted   = "OPERATION_NOT_ATTEMPTED"
	aclTopicExists    = "TOPIC_ALREADY_EXISTS"
)

// aclKafka4APIs are the APIs (or cells, by name) that Kafka 3.9 does not
// serve by default (KIP-848 consumer groups, share groups, group
// configs): they run against Kafka 4 only.
var aclKafka4APIs = map[string]bool{
	"ConsumerGroupDescribe": true, "ConsumerGroupHeartbeat": true, "ShareGroupHeartbeat": true,
	"DescribeConfigs/alice/group g-app (READ)": true,
}

func aclCells() []aclCell {
	return []aclCell{
		// Metadata: TOPIC DESCRIBE per topic. A named topic the principal
		// may not describe is TOPIC_AUTHORIZATION_FAILED whether or not
		// it exists; one it may describe but that does not exist is
		// UNKNOWN_TOPIC_OR_PARTITION, unless auto-creation is asked for
		// without CREATE; listings drop what is not describable.
		{"Metadata", "alice", "orders", aclNone, aclMetadata([]string{"orders"}, false, false)},
		{"Metadata", "alice", "secret (no ACL)", aclTopicAuth, aclMetadata([]string{"secret"}, false, false)},
		{"Metadata", "alice", "ghost-x (absent, DESCRIBE)", aclUnknownTopic, aclMetadata([]string{"ghost-x"}, false, false)},
		{"Metadata", "alice", "nope (absent, no ACL)", aclTopicAuth, aclMetadata([]string{"nope"}, false, false)},
		{"Metadata", "alice", "ghost-y auto-create, no CREATE", aclTopicAuth, aclMetadata([]string{"ghost-y"}, true, false)},
		{"Metadata", "alice", "orders+secret", "orders=NONE secret=" + aclTopicAuth, aclMetadata([]string{"orders", "secret"}, false, false)},
		{"Metadata", "bob", "orders", aclNone, aclMetadata([]string{"orders"}, false, false)},
		{"Metadata", "carol", "orders", aclTopicAuth, aclMetadata([]string{"orders"}, false, false)},
		{"Metadata", "alice", "grow (ALTER, DENY DESCRIBE gro*)", aclTopicAuth, aclMetadata([]string{"grow"}, false, false)},
		{"Metadata", "alice", "all topics", "[audit logs orders trash-g trash-k]", aclMetadata(nil, false, false)},
		{"Metadata", "bob", "all topics", "[orders]", aclMetadata(nil, false, false)},
		{"Metadata", "carol", "all topics", "[]", aclMetadata(nil, false, false)},
		{"Metadata", "alice", "orders authorized ops", "ops[read write describe describe_configs]", aclMetadata([]string{"orders"}, false, true)},
		{"Metadata", "alice", "audit authorized ops", "ops[read create delete alter describe describe_configs alter_configs]", aclMetadata([]string{"audit"}, false, true)},
		{"Metadata", "bob", "orders authorized ops", "ops[describe]", aclMetadata([]string{"orders"}, false, true)},
		{"Metadata", "alice", "orders by id", "NONE name:orders", aclMetadataByID("orders")},
		{"Metadata", "alice", "secret by id", aclTopicAuth + " name:null", aclMetadataByID("secret")},
		{"Metadata", "alice", "new-auto-<target> auto-create (DESCRIBE, CREATE)", aclUnknownTopic + " (created)", aclAutoCreate("new-auto-%t")},
		{"Metadata", "alice", "new-auto-m-<target>+ghost-w auto-create", "ghost-w=" + aclTopicAuth + " new-auto-m-<target>=" + aclUnknownTopic + " (created)", aclAutoCreate("new-auto-m-%t", "ghost-w")},

		// DescribeTopicPartitions: TOPIC DESCRIBE, listings filtered.
		{"DescribeTopicPartitions", "alice", "orders+secret", "orders=NONE secret=" + aclTopicAuth, aclDescribeTopicPartitions("orders", "secret")},
		{"DescribeTopicPartitions", "carol", "orders", aclTopicAuth, aclDescribeTopicPartitions("orders")},
		{"DescribeTopicPartitions", "alice", "all topics", "[audit logs orders trash-g trash-k]", aclDescribeTopicPartitions()},

		// Produce: TOPIC WRITE per topic; a transactional batch needs
		// TRANSACTIONAL_ID WRITE first and fails whole without it.
		{"Produce", "alice", "orders", aclNone, aclProduce("", "orders")},
		{"Produce", "alice", "secret", aclTopicAuth, aclProduce("", "secret")},
		{"Produce", "alice", "audit (ALL, DENY WRITE)", aclTopicAuth, aclProduce("", "audit")},
		{"Produce", "bob", "orders (DESCRIBE)", aclTopicAuth, aclProduce("", "orders")},
		{"Produce", "alice", "orders+secret", "orders=NONE secret=" + aclTopicAuth, aclProduce("", "orders", "secret")},
		{"Produce", "alice", "orders, transactional id xtxn", aclTxnAuth, aclProduce("xtxn", "orders")},

		// Fetch: TOPIC READ per topic.
		{"Fetch", "alice", "orders", aclNone, aclFetch("orders")},
		{"Fetch", "alice", "logs (DESCRIBE)", aclTopicAuth, aclFetch("logs")},
		{"Fetch", "alice", "audit (ALL, DENY WRITE)", aclNone, aclFetch("audit")},
		{"Fetch", "carol", "orders", aclTopicAuth, aclFetch("orders")},
		{"Fetch", "alice", "orders+logs", "logs=" + aclTopicAuth + " orders=NONE", aclFetch("orders", "logs")},
		{"Fetch", "alice", "orders as follower (no CLUSTER_ACTION)", aclTopicAuth, aclFollowerFetch("orders")},

		// ListOffsets, OffsetForLeaderEpoch: TOPIC DESCRIBE.
		{"ListOffsets", "bob", "orders (DESCRIBE)", aclNone, aclListOffsets("orders")},
		{"ListOffsets", "alice", "secret", aclTopicAuth, aclListOffsets("secret")},
		{"ListOffsets", "carol", "orders", aclTopicAuth, aclListOffsets("orders")},
		{"OffsetForLeaderEpoch", "bob", "orders (DESCRIBE)", aclNone, aclOffsetForLeaderEpoch("orders")},
		{"OffsetForLeaderEpoch", "carol", "orders", aclTopicAuth, aclOffsetForLeaderEpoch("orders")},

		// DescribeProducers: TOPIC READ.
		{"DescribeProducers", "alice", "orders", aclNone, aclDescribeProducers("orders")},
		{"DescribeProducers", "bob", "orders (DESCRIBE)", aclTopicAuth, aclDescribeProducers("orders")},

		// CreateTopics (validate only): CLUSTER CREATE, else TOPIC CREATE
		// per topic; the configs in the answer need DESCRIBE_CONFIGS.
		{"CreateTopics", "alice", "new-a (TOPIC CREATE)", aclNone + " configs:" + aclTopicAuth, aclCreateTopic("new-a")},
		{"CreateTopics", "alice", "new-cfg-a (CREATE, DESCRIBE_CONFIGS)", aclNone, aclCreateTopic("new-cfg-a")},
		{"CreateTopics", "alice", "other-a (no CREATE)", aclTopicAuth, aclCreateTopic("other-a")},
		{"CreateTopics", "bob", "zzz (CLUSTER ALL)", aclNone + " configs:" + aclTopicAuth, aclCreateTopic("zzz")},
		{"CreateTopics", "bob", "secret (exists, CLUSTER ALL)", aclTopicExists, aclCreateTopic("secret")},
		{"CreateTopics", "carol", "new-b", aclTopicAuth, aclCreateTopic("new-b")},
		{"CreateTopics", "alice", "new-c+other-c", "new-c=NONE other-c=" + aclTopicAuth, aclCreateTopicsN("new-c", "other-c")},

		// CreatePartitions (validate only): TOPIC ALTER.
		{"CreatePartitions", "alice", "grow (ALTER, DENY DESCRIBE gro*)", aclNone, aclCreatePartitions("grow")},
		{"CreatePartitions", "alice", "orders", aclTopicAuth, aclCreatePartitions("orders")},
		{"CreatePartitions", "alice", "ghost-z (absent, DESCRIBE)", aclTopicAuth, aclCreatePartitions("ghost-z")},

		// DescribeConfigs / AlterConfigs / IncrementalAlterConfigs
		// (validate only): DESCRIBE_CONFIGS / ALTER_CONFIGS on the topic,
		// on the cluster for a broker.
		{"DescribeConfigs", "alice", "orders (DESCRIBE_CONFIGS)", aclNone, aclDescribeConfigs("orders")},
		{"DescribeConfigs", "alice", "logs (ALTER_CONFIGS)", aclNone, aclDescribeConfigs("logs")},
		{"DescribeConfigs", "bob", "orders (DESCRIBE)", aclTopicAuth, aclDescribeConfigs("orders")},
		{"DescribeConfigs", "alice", "orders+secret", "orders=NONE secret=" + aclTopicAuth, aclDescribeConfigsN("orders", "secret")},
		{"DescribeConfigs", "alice", "broker 1", aclClusterAuth, aclDescribeConfigs("")},
		{"DescribeConfigs", "bob", "broker 1 (CLUSTER ALL)", aclNone, aclDescribeConfigs("")},
		{"DescribeConfigs", "alice", "group g-app (READ)", aclGroupAuth, aclDescribeGroupConfigs("g-app")},
		{"AlterConfigs", "alice", "logs (ALTER_CONFIGS)", aclNone, aclAlterConfigs("logs")},
		{"AlterConfigs", "alice", "orders (DESCRIBE_CONFIGS)", aclTopicAuth, aclAlterConfigs("orders")},
		{"AlterConfigs", "carol", "broker 1", aclClusterAuth, aclAlterConfigs("")},
		{"IncrementalAlterConfigs", "alice", "logs (ALTER_CONFIGS)", aclNone, aclIncrementalAlterConfigs("logs")},
		{"IncrementalAlterConfigs", "alice", "orders (DESCRIBE_CONFIGS)", aclTopicAuth, aclIncrementalAlterConfigs("orders")},

		// DeleteRecords, DeleteTopics: TOPIC DELETE; DeleteTopics also
		// with CLUSTER DELETE, which only ALL grants. An absent topic the
		// principal may describe is UNKNOWN_TOPIC_OR_PARTITION, whether
		// or not it may delete it.
		{"DeleteRecords", "alice", "trash-<target> (DELETE)", aclNone, aclDeleteRecords("trash-%t")},
		{"DeleteRecords", "alice", "orders", aclTopicAuth, aclDeleteRecords("orders")},
		{"DeleteTopics", "alice", "orders", aclTopicAuth, aclDeleteTopic("orders")},
		{"DeleteTopics", "alice", "trash-ghost (absent, DELETE)", aclUnknownTopic, aclDeleteTopic("trash-ghost")},
		{"DeleteTopics", "carol", "nope (absent, no ACL)", aclTopicAuth, aclDeleteTopic("nope")},
		{"DeleteTopics", "alice", "ghost-d (absent, DESCRIBE)", aclUnknownTopic, aclDeleteTopic("ghost-d")},
		{"DeleteTopics", "alice", "orders by id (DESCRIBE)", aclTopicAuth + " name:orders", aclDeleteTopicByID("orders")},
		{"DeleteTopics", "carol", "secret by id", aclTopicAuth + " name:null", aclDeleteTopicByID("secret")},
		{"DeleteTopics", "carol", "unknown id", "UNKNOWN_TOPIC_ID name:null", aclDeleteTopicByID("")},
		{"DeleteTopics", "alice", "trash-<target> (DELETE)", aclNone, aclDeleteTopic("trash-%t")},
		{"DeleteTopics", "bob", "bobtrash-<target> (CLUSTER ALL, no topic ACL)", aclNone, aclDeleteTopic("bobtrash-%t")},

		// FindCoordinator: GROUP DESCRIBE, TRANSACTIONAL_ID DESCRIBE.
		{"FindCoordinator", "alice", "group g-app (READ)", aclNone, aclFindCoordinator(0, "g-app")},
		{"FindCoordinator", "alice", "group g-secret", aclGroupAuth, aclFindCoordinator(0, "g-secret")},
		{"FindCoordinator", "bob", "group g-desc (DESCRIBE)", aclNone, aclFindCoordinator(0, "g-desc")},
		{"FindCoordinator", "alice", "txn txn-<target> (WRITE)", aclNone, aclFindCoordinator(1, "txn-%t")},
		{"FindCoordinator", "alice", "txn xtxn", aclTxnAuth, aclFindCoordinator(1, "xtxn")},
		{"FindCoordinator", "alice", "groups g-app+g-secret", "g-app=NONE g-secret=" + aclGroupAuth, aclFindCoordinators(0, "g-app", "g-secret")},

		// JoinGroup: GROUP READ.
		{"JoinGroup", "alice", "g-join (READ)", aclMemberRequired, aclJoinGroup("g-join")},
		{"JoinGroup", "alice", "g-secret", aclGroupAuth, aclJoinGroup("g-secret")},
		{"JoinGroup", "bob", "g-desc (DESCRIBE)", aclGroupAuth, aclJoinGroup("g-desc")},
		{"Heartbeat", "alice", "g-join unknown member", "UNKNOWN_MEMBER_ID", aclGroupMember("Heartbeat", "g-join")},
		{"Heartbeat", "carol", "g-join", aclGroupAuth, aclGroupMember("Heartbeat", "g-join")},
		{"SyncGroup", "bob", "g-desc (DESCRIBE)", aclGroupAuth, aclGroupMember("SyncGroup", "g-desc")},
		{"LeaveGroup", "alice", "g-join unknown member", "NONE member:UNKNOWN_MEMBER_ID", aclGroupMember("LeaveGroup", "g-join")},
		{"LeaveGroup", "carol", "g-join", aclGroupAuth, aclGroupMember("LeaveGroup", "g-join")},

		// OffsetCommit: GROUP READ (else the whole request fails), then
		// TOPIC READ per topic.
		{"OffsetCommit", "alice", "g-app orders", aclNone, aclOffsetCommit("g-app", "orders")},
		{"OffsetCommit", "alice", "g-app logs (DESCRIBE)", aclTopicAuth, aclOffsetCommit("g-app", "logs")},
		{"OffsetCommit", "alice", "g-app secret", aclTopicAuth, aclOffsetCommit("g-app", "secret")},
		{"OffsetCommit", "alice", "g-app orders+logs", "logs=" + aclTopicAuth + " orders=NONE", aclOffsetCommit("g-app", "orders", "logs")},
		{"OffsetCommit", "alice", "g-secret orders", aclGroupAuth, aclOffsetCommit("g-secret", "orders")},

		// OffsetFetch: GROUP DESCRIBE, then TOPIC DESCRIBE per topic;
		// fetching all offsets drops topics that are not describable.
		{"OffsetFetch", "alice", "g-app orders", aclNone, aclOffsetFetch("g-app", "orders")},
		{"OffsetFetch", "alice", "g-app secret", aclTopicAuth, aclOffsetFetch("g-app", "secret")},
		{"OffsetFetch", "alice", "g-secret orders", "group:" + aclGroupAuth, aclOffsetFetch("g-secret", "orders")},
		{"OffsetFetch", "alice", "g-app all topics", "[orders]", aclOffsetFetch("g-app")},
		{"OffsetFetch", "bob", "g-desc all topics", "[orders]", aclOffsetFetch("g-desc")},
		{"OffsetFetch", "alice", "groups g-app+g-secret", "g-app=NONE g-secret=" + aclGroupAuth, aclGroupsRequest("OffsetFetch", "g-app", "g-secret")},

		// DescribeGroups, ConsumerGroupDescribe: GROUP DESCRIBE.
		{"DescribeGroups", "alice", "g-app (READ)", aclNone, aclDescribeGroups("g-app", false)},
		{"DescribeGroups", "alice", "g-secret", aclGroupAuth, aclDescribeGroups("g-secret", false)},
		{"DescribeGroups", "bob", "g-desc (DESCRIBE)", aclNone, aclDescribeGroups("g-desc", false)},
		{"DescribeGroups", "alice", "g-app authorized ops", "ops[read describe]", aclDescribeGroups("g-app", true)},
		{"DescribeGroups", "alice", "g-app+g-secret", "g-app=NONE g-secret=" + aclGroupAuth, aclGroupsRequest("DescribeGroups", "g-app", "g-secret")},
		{"ConsumerGroupDescribe", "alice", "g-app (classic group)", aclGroupGone, aclConsumerGroupDescribe("g-app")},
		{"ConsumerGroupDescribe", "alice", "g-secret", aclGroupAuth, aclConsumerGroupDescribe("g-secret")},
		{"ConsumerGroupDescribe", "alice", "cg-adm (member assigned secret)", aclTopicAuth, aclConsumerGroupDescribe("cg-adm")},

		// ConsumerGroupHeartbeat: GROUP READ; subscribed topics need
		// TOPIC DESCRIBE.
		{"ConsumerGroupHeartbeat", "alice", "cg-<target> orders", aclNone, aclConsumerGroupHeartbeat("cg-%t", "orders")},
		{"ConsumerGroupHeartbeat", "alice", "cg-x-<target> orders+secret", aclTopicAuth, aclConsumerGroupHeartbeat("cg-x-%t", "orders", "secret")},
		{"ConsumerGroupHeartbeat", "carol", "cg-c-<target> orders", aclGroupAuth, aclConsumerGroupHeartbeat("cg-c-%t", "orders")},
		{"ConsumerGroupHeartbeat", "alice", "cg-r-<target> regex orders|secret", aclNone, aclConsumerGroupRegex("cg-r-%t")},

		// ShareGroupHeartbeat: GROUP READ; subscribed topics need TOPIC
		// DESCRIBE.
		{"ShareGroupHeartbeat", "alice", "cg-s-<target> orders", aclNone, aclShareGroupHeartbeat("cg-s-%t", "orders")},
		{"ShareGroupHeartbeat", "alice", "cg-sx-<target> orders+secret", aclTopicAuth, aclShareGroupHeartbeat("cg-sx-%t", "orders", "secret")},
		{"ShareGroupHeartbeat", "carol", "cg-sc-<target> orders", aclGroupAuth, aclShareGroupHeartbeat("cg-sc-%t", "orders")},

		// ListGroups: CLUSTER DESCRIBE lists all, else the groups with
		// GROUP DESCRIBE. Only the groups that exist on both targets'
		// runs are shown (not cg-*, made per target).
		{"ListGroups", "alice", "groups", "[g-app g-del-g g-del-k g-join]", aclListGroups()},
		{"ListGroups", "bob", "groups (CLUSTER ALL)", "[g-app g-del-g g-del-k g-desc g-join g-secret]", aclListGroups()},
		{"ListGroups", "carol", "groups", "[]", aclListGroups()},

		// OffsetDelete: GROUP DELETE (else the request fails), then
		// TOPIC READ per topic.
		{"OffsetDelete", "alice", "g-del-<target> orders", aclNone, aclOffsetDelete("g-del-%t", "orders")},
		{"OffsetDelete", "alice", "g-del-<target> secret", aclTopicAuth, aclOffsetDelete("g-del-%t", "secret")},
		{"OffsetDelete", "alice", "g-app orders (READ)", "group:" + aclGroupAuth, aclOffsetDelete("g-app", "orders")},

		// DeleteGroups: GROUP DELETE.
		{"DeleteGroups", "alice", "g-app (READ)", aclGroupAuth, aclDeleteGroups("g-app")},
		{"DeleteGroups", "alice", "g-del-ghost-<target> (absent, DELETE)", aclGroupGone, aclDeleteGroups("g-del-ghost-%t")},
		{"DeleteGroups", "alice", "g-del-x-<target>+g-app", "g-app=" + aclGroupAuth + " g-del-x-<target>=" + aclGroupGone, aclGroupsRequest("DeleteGroups", "g-del-x-%t", "g-app")},
		{"DeleteGroups", "alice", "g-del-<target> (DELETE)", aclNone, aclDeleteGroups("g-del-%t")},

		// InitProducerId: idempotent needs CLUSTER IDEMPOTENT_WRITE or
		// WRITE on some topic (KIP-679); transactional needs
		// TRANSACTIONAL_ID WRITE.
		{"InitProducerId", "alice", "idempotent (WRITE on orders)", aclNone, aclInitProducerID("")},
		{"InitProducerId", "bob", "idempotent (CLUSTER ALL)", aclNone, aclInitProducerID("")},
		{"InitProducerId", "carol", "idempotent (no WRITE anywhere)", aclClusterAuth, aclInitProducerID("")},
		{"InitProducerId", "alice", "txn-<target> (WRITE)", aclNone, aclInitProducerID("txn-%t")},
		{"InitProducerId", "alice", "xtxn", aclTxnAuth, aclInitProducerID("xtxn")},
		{"InitProducerId", "bob", "txn-<target> (DESCRIBE)", aclTxnAuth, aclInitProducerID("txn-%t")},

		// AddPartitionsToTxn: TRANSACTIONAL_ID WRITE, then TOPIC WRITE;
		// when a topic is refused the others are not attempted.
		{"AddPartitionsToTxn", "alice", "txn-<target> orders", aclNone, aclAddPartitionsToTxn("txn-%t", "orders")},
		{"AddPartitionsToTxn", "alice", "txn-<target> orders+logs", "logs=" + aclTopicAuth + " orders=" + aclNotAttempted, aclAddPartitionsToTxn("txn-%t", "orders", "logs")},
		{"AddPartitionsToTxn", "bob", "txn-<target> orders", aclTxnAuth, aclAddPartitionsToTxn("txn-%t", "orders")},
		{"AddPartitionsToTxn", "alice", "txn-<target> __consumer_offsets (internal)", aclTopicAuth, aclAddPartitionsToTxn("txn-%t", "__consumer_offsets")},

		// AddOffsetsToTxn: TRANSACTIONAL_ID WRITE and GROUP READ;
		// TxnOffsetCommit also TOPIC READ.
		{"AddOffsetsToTxn", "alice", "txn-<target> g-app", aclNone, aclAddOffsetsToTxn("txn-%t", "g-app")},
		{"AddOffsetsToTxn", "alice", "txn-<target> g-secret", aclGroupAuth, aclAddOffsetsToTxn("txn-%t", "g-secret")},
		{"TxnOffsetCommit", "alice", "txn-<target> g-app orders", aclNone, aclTxnOffsetCommit("txn-%t", "g-app", "orders")},
		{"TxnOffsetCommit", "alice", "txn-<target> g-app logs (DESCRIBE)", aclTopicAuth, aclTxnOffsetCommit("txn-%t", "g-app", "logs")},
		{"TxnOffsetCommit", "alice", "txn-<target> g-secret orders", aclGroupAuth, aclTxnOffsetCommit("txn-%t", "g-secret", "orders")},

		// DescribeTransactions, ListTransactions: TRANSACTIONAL_ID
		// DESCRIBE (listings filtered).
		{"DescribeTransactions", "alice", "txn-<target> (WRITE)", aclNone, aclDescribeTransactions("txn-%t")},
		{"DescribeTransactions", "bob", "txn-<target> (DESCRIBE)", aclNone, aclDescribeTransactions("txn-%t")},
		{"DescribeTransactions", "carol", "txn-<target>", aclTxnAuth, aclDescribeTransactions("txn-%t")},
		{"DescribeTransactions", "bob", "txn-adm on orders+secret: topics", "NONE topics:[orders]", aclDescribeTransactionTopics("txn-adm")},
		{"ListTransactions", "alice", "run's transactions", "[txn-adm txn-g txn-k]", aclListTransactions()},
		{"ListTransactions", "bob", "run's transactions", "[txn-adm txn-g txn-k]", aclListTransactions()},
		{"ListTransactions", "carol", "run's transactions", "[]", aclListTransactions()},

		// EndTxn: TRANSACTIONAL_ID WRITE.
		{"EndTxn", "bob", "txn-<target> (DESCRIBE)", aclTxnAuth, aclEndTxn("txn-%t")},
		{"EndTxn", "alice", "txn-<target> abort", aclNone, aclEndTxn("txn-%t")},

		// DescribeAcls / CreateAcls: CLUSTER DESCRIBE / CLUSTER ALTER.
		// Only the codes are compared: Kafka describes its bindings, the
		// gateway its rules.
		{"DescribeAcls", "bob", "cluster ALL", aclNone, aclDescribeACLs()},
		{"DescribeAcls", "alice", "cluster (no ACL)", aclClusterAuth, aclDescribeACLs()},
		{"CreateAcls", "bob", "cluster ALL", aclNone, aclCreateACLs()},
		{"CreateAcls", "alice", "cluster (no ACL)", aclClusterAuth, aclCreateACLs()},
		{"DeleteAcls", "bob", "cluster ALL", aclNone, aclDeleteACLs()},
		{"DeleteAcls", "carol", "cluster (no ACL)", aclClusterAuth, aclDeleteACLs()},
		// What DescribeAcls lists, on the run's resources: a principal's
		// own bindings are the gateway's rules for it; everyone's are
		// Kafka's alone (the gateway shows the asking client its own).
		{"DescribeAcls", "bob", "own bindings", "[GROUP:LITERAL:g-desc:DESCRIBE:ALLOW TOPIC:LITERAL:orders:DESCRIBE:ALLOW TRANSACTIONAL_ID:PREFIXED:txn-:DESCRIBE:ALLOW]", aclDescribeACLBindings(true)},
		{"DescribeAcls", "bob", "everyone's bindings (principals)", "[User:alice User:bob User:eq-<run>-nobody]", aclDescribeACLBindings(false)},

		// Cluster-wide admin APIs: CLUSTER DESCRIBE (DescribeLogDirs,
		// ListPartitionReassignments, DescribeUserScramCredentials),
		// CLUSTER DESCRIBE_CONFIGS (DescribeClientQuotas), CLUSTER ALTER
		// (ElectLeaders).
		{"DescribeLogDirs", "bob", "cluster ALL", aclNone, aclClusterAdmin("DescribeLogDirs")},
		{"DescribeLogDirs", "carol", "cluster", aclClusterAuth, aclClusterAdmin("DescribeLogDirs")},
		{"ListPartitionReassignments", "bob", "cluster ALL", aclNone, aclClusterAdmin("ListPartitionReassignments")},
		{"ListPartitionReassignments", "carol", "cluster", aclClusterAuth, aclClusterAdmin("ListPartitionReassignments")},
		{"DescribeUserScramCredentials", "carol", "cluster", aclClusterAuth, aclClusterAdmin("DescribeUserScramCredentials")},
		{"DescribeClientQuotas", "bob", "cluster ALL", aclNone, aclClusterAdmin("DescribeClientQuotas")},
		{"DescribeClientQuotas", "carol", "cluster", aclClusterAuth, aclClusterAdmin("DescribeClientQuotas")},
		{"ElectLeaders", "carol", "orders", aclClusterAuth, aclClusterAdmin("ElectLeaders")},

		// DescribeCluster needs no ACL (only its authorized operations
		// need CLUSTER DESCRIBE).
		{"DescribeCluster", "carol", "cluster", aclNone, aclDescribeCluster()},
		{"DescribeCluster", "carol", "authorized ops", "ops[]", aclDescribeClusterOps()},
		{"DescribeCluster", "bob", "authorized ops", "ops[create alter describe cluster_action describe_configs alter_configs idempotent_write]", aclDescribeClusterOps()},
	}
}
