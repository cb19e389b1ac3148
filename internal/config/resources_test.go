package config

import (
	"strings"
	"testing"
	"time"
)

const recordBase = `backend_clusters:
  - {name: local, bootstrap_servers: ["127.0.0.1:9092"]}
listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - {type: forward_to_virtual_cluster, config: {type: port_mapping, destination: vc}}
`

// TestRecordPoliciesValid loads every record policy type with its
// resources.
func TestRecordPoliciesValid(t *testing.T) {
	text := recordBase + `static_keys:
  - {name: k1, value: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
schema_registries:
  - name: main
    type: confluent
    config: {endpoint: "http://127.0.0.1:8081", timeout: 2s, not_found_ttl: 1m, authentication: {type: basic, username: u, password: p}}
virtual_clusters:
  - name: vc
    destination: local
    produce_policies:
      - type: schema_validation
        name: avro
        config: {type: confluent_schema_registry, schema_registry: main, validate_value: true}
      - type: modify_headers
        condition: "context.topic.name == 'orders'"
        config: {actions: [{op: set, key: a, value: b}, {op: remove, key: c}]}
      - type: encrypt
        config: {part_of_record: [key, value], encryption_key: {type: static, key: k1}}
      - type: schema_validation
        config: {type: json, validate_value: true, failure_mode: mark}
        policies:
          - type: modify_headers
            condition: "record.value.content.kind == 'refund'"
            config: {actions: [{op: set, key: refund, value: "1"}]}
    consume_policies:
      - {type: skip_record, condition: "record.headers['x'] == 'y'"}
      - {type: schema_validation, config: {type: json, validate_key: true, failure_mode: skip}}
      - type: decrypt
        config:
          failure_mode: mark
          key_sources: [{type: static, key: k1}, {type: aws, arn: "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]
`
	c, err := Parse([]byte(text), "")
	if err != nil {
		t.Fatal(err)
	}
	if rc := c.SchemaRegistries[0].Config; rc.Timeout != 2*time.Second || rc.NotFoundTTL != time.Minute {
		t.Errorf("registry durations %v, %v; want 2s, 1m", rc.Timeout, rc.NotFoundTTL)
	}
}

// TestRecordPoliciesErrors reports every mistake at once, each with the
// path of its field.
func TestRecordPoliciesErrors(t *testing.T) {
	text := recordBase + `static_keys:
  - {name: short, value: "c2hvcnQ="}
virtual_clusters:
  - name: vc
    destination: local
    produce_policies:
      - type: modify_headers
        condition: "record.value.content.amount > 10"
        config: {actions: [{op: rename, key: a}, {op: set, key: strait/own, value: x}, {op: remove, key: b, value: c}]}
      - type: encrypt
        config: {part_of_record: [body], failure_mode: passthrough, encryption_key: {type: static, key: missing}}
      - {type: skip_record}
    consume_policies:
      - type: decrypt
        config: {failure_mode: drop, key_sources: [{type: aws, arn: "not-an-arn"}]}
      - {type: schema_validation, config: {type: confluent_schema_registry, schema_registry: nowhere, validate_value: true, failure_mode: reject}}
      - {type: decrypt, config: {key_sources: [{type: static, key: short}]}, policies: [{type: skip_record}]}
      - {type: decrypt_fields, config: {paths: [a], key_sources: [{type: static, key: short}]}}
      - type: schema_validation
        config: {type: confluent_schema_registry, schema_registry: nowhere, validate_value: true}
        policies: [{type: decrypt_fields, config: {paths: ["a..b"], key_sources: [{type: static, key: short}]}}]
`
	_, err := Parse([]byte(text), "")
	if err == nil {
		t.Fatal("config loaded")
	}
	for _, want := range []string{
		"static_keys[0].value",
		"produce_policies[0].condition: record.value.content is only known",
		"produce_policies[0].config.actions[0].op: unknown op \"rename\"",
		"produce_policies[0].config.actions[1].key: \"strait/own\"",
		"produce_policies[0].config.actions[2].value: only for op set",
		"produce_policies[1].config.part_of_record[0]: unknown part \"body\"",
		"produce_policies[1].config.failure_mode",
		"produce_policies[1].config.encryption_key.key: \"missing\" is not a name in static_keys",
		"produce_policies[2].type: unsupported policy type \"skip_record\" here",
		"consume_policies[0].config.failure_mode: unknown failure mode \"drop\"",
		"consume_policies[0].config.key_sources[0].arn",
		"consume_policies[1].config.failure_mode: unknown failure mode \"reject\" for consume policies",
		"consume_policies[1].config.schema_registry: \"nowhere\" is not a name in schema_registries",
		"consume_policies[2].policies: type decrypt has no nested policies",
		"consume_policies[3].type: decrypt_fields is only allowed nested",
		"consume_policies[4].config.type: decrypt_fields needs type json",
		"consume_policies[4].policies[0].config.paths[0]: \"a..b\" is not a dotted path",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing error %q in:\n%v", want, err)
		}
	}
}
