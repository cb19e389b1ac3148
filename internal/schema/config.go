// The configuration this package runs from: a schema_validation policy's
// config and a schema_registries entry, with the checks that need no
// network. The config package decodes them (strictly, by their yaml tags).

package schema

import (
	"net/url"
	"time"
)

// Validation types (Config.Type).
const (
	// ValidationJSON checks that the bytes are syntactically valid JSON.
	ValidationJSON = "json"
	// ValidationConfluent checks the Confluent wire format and the payload
	// against the registry's schema for its id.
	ValidationConfluent = "confluent_schema_registry"
)

// Config is the config of a schema_validation policy.
type Config struct {
	// Type is json (the bytes must be syntactically valid JSON) or
	// confluent_schema_registry (the bytes must carry the Confluent wire
	// format, and the payload must be valid for the schema of its id in
	// SchemaRegistry). Required.
	Type string `yaml:"type"`
	// SchemaRegistry names an entry of schema_registries; required for
	// confluent_schema_registry, not allowed for json.
	SchemaRegistry string `yaml:"schema_registry"`
	// ValidateKey checks record keys. A null key is always accepted.
	ValidateKey bool `yaml:"validate_key"`
	// ValidateValue checks record values. A null value (a tombstone) is
	// always accepted.
	ValidateValue bool `yaml:"validate_value"`
}

// Check reports each problem of c with the path of its field.
func (c *Config) Check(report func(field, msg string)) {
	switch c.Type {
	case ValidationJSON:
		if c.SchemaRegistry != "" {
			report("schema_registry", "only for type confluent_schema_registry")
		}
	case ValidationConfluent:
		if c.SchemaRegistry == "" {
			report("schema_registry", "required for type confluent_schema_registry")
		}
	case "":
		report("type", "required: json or confluent_schema_registry")
	default:
		report("type", "unknown type "+c.Type+": want json or confluent_schema_registry")
	}
	if !c.ValidateKey && !c.ValidateValue {
		report("validate_value", "neither validate_key nor validate_value is set: the policy would check nothing")
	}
}

// Registry types (RegistryConfig.Type).
const (
	// RegistryConfluent is a registry speaking Confluent's REST API
	// (Confluent Schema Registry, Apicurio's ccompat API, Karapace,
	// Redpanda).
	RegistryConfluent = "confluent"
)

// Default registry settings.
const (
	// DefaultTimeout bounds one schema fetch, references included.
	DefaultTimeout = 5 * time.Second
	// DefaultNotFoundTTL is how long a "schema not found" answer is
	// remembered.
	DefaultNotFoundTTL = 5 * time.Second
)

// RegistryConfig is one entry of schema_registries.
type RegistryConfig struct {
	// Name is how schema_validation policies refer to the registry.
	// Required, unique.
	Name string `yaml:"name"`
	// Type is confluent. Required.
	Type string `yaml:"type"`
	// Config is the connection to the registry.
	Config ConfluentConfig `yaml:"config"`
}

// ConfluentConfig is the connection to a registry speaking Confluent's
// REST API.
type ConfluentConfig struct {
	// Endpoint is the registry's base URL, e.g. http://registry:8081 or,
	// for Apicurio, http://apicurio:8080/apis/ccompat/v7. Required.
	Endpoint string `yaml:"endpoint"`
	// Timeout bounds one schema fetch, with its references ("5s").
	// Default 5s.
	Timeout time.Duration `yaml:"timeout"`
	// NotFoundTTL is how long the answer "no schema with this id" is
	// remembered, so that a stream of records with a bad id does not
	// become a stream of registry requests; a schema registered later
	// under that id is seen after at most this long. 0 means the default
	// (5s); a negative value remembers nothing. Registry errors are never
	// remembered.
	NotFoundTTL time.Duration `yaml:"not_found_ttl"`
	// Authentication is how the gateway logs in to the registry; none
	// when absent.
	Authentication *RegistryAuthentication `yaml:"authentication"`
}

// RegistryAuthentication is the registry login.
type RegistryAuthentication struct {
	// Type is basic (HTTP basic authentication). Required.
	Type string `yaml:"type"`
	// Username for basic. Required.
	Username string `yaml:"username"`
	// Password for basic.
	Password string `yaml:"password"`
}

// Check reports each problem of c with the path of its field.
func (c *RegistryConfig) Check(report func(field, msg string)) {
	if c.Name == "" {
		report("name", "required")
	}
	switch c.Type {
	case RegistryConfluent:
	case "":
		report("type", "required: confluent")
	default:
		report("type", "unknown type "+c.Type+": want confluent")
	}
	cc := &c.Config
	if cc.Endpoint == "" {
		report("config.endpoint", "required")
	} else if u, err := url.Parse(cc.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		report("config.endpoint", "must be an http or https URL")
	}
	if cc.Timeout < 0 {
		report("config.timeout", "must not be negative")
	}
	if a := cc.Authentication; a != nil {
		switch a.Type {
		case "basic":
			if a.Username == "" {
				report("config.authentication.username", "required for basic")
			}
		case "":
			report("config.authentication.type", "required: basic")
		default:
			report("config.authentication.type", "unknown type "+a.Type+": want basic")
		}
	}
}
