// Package devcluster runs an embedded Kafka-compatible cluster (kfake) for
// `strait dev` and for fast tests, and the gateway config in front of it.
package devcluster

import (
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Start runs an embedded cluster of n brokers (ids 0..n-1) on loopback
// ports chosen by the system.
func Start(n int, opts ...kfake.Opt) (*kfake.Cluster, error) {
	opts = append([]kfake.Opt{kfake.NumBrokers(n), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3)}, opts...)
	return kfake.NewCluster(opts...)
}

// Config is the gateway config `strait dev` serves: one backend (the
// embedded cluster), one virtual cluster, and one port-mapping listener
// with bootstrap on port and brokers on the following ports.
func Config(bootstrapServers []string, port, brokerPorts int, adminAddr string) string {
	quoted := make([]string, len(bootstrapServers))
	for i, s := range bootstrapServers {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf(`admin:
  address: %q
observability:
  log_level: info
  log_format: logfmt
runtime:
  drain_duration: 2s
  shutdown_timeout: 5s
backend_clusters:
  - name: embedded
    bootstrap_servers: [%s]
    metadata_update_interval: 5s
virtual_clusters:
  - name: dev
    destination: embedded
    acl_mode: passthrough
    authentication:
      - type: anonymous
listeners:
  - name: plain
    addresses: ["127.0.0.1"]
    ports: ["%d-%d"]
    policies:
      - type: forward_to_virtual_cluster
        config:
          type: port_mapping
          destination: dev
          advertised_host: localhost
          bootstrap_port: at_start
          min_broker_id: 0
`, adminAddr, strings.Join(quoted, ", "), port, port+brokerPorts)
}
