// Top-level resources that record policies refer to by name: static keys
// for encryption and schema registries for validation.

package config

import (
	"github.com/strait-gw/strait/internal/crypt"
	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/policy/recordpolicy"
)

// StaticKey is a named key encryption key.
type StaticKey struct {
	// Name is how encrypt and decrypt policies refer to the key; it is
	// also written into every record the key protects, so it must stay
	// the same for as long as those records are read.
	Name string `yaml:"name"`
	// Value is 32 bytes, standard base64. Use ${env:} or ${file:}.
	Value string `yaml:"value"`
}

// Resource kinds, as policy.Ref names them.
const (
	kindStaticKey      = "static_key"
	kindSchemaRegistry = "schema_registry"
)

// validateResources checks static_keys and schema_registries and records
// their names for the policies' references.
func (d *decoder) validateResources(c *Config) {
	d.resources = map[string]map[string]bool{kindStaticKey: {}, kindSchemaRegistry: {}}
	for i, k := range c.StaticKeys {
		p := indexPath("static_keys", i)
		switch {
		case k.Name == "":
			d.report(p+".name", "required")
		case d.resources[kindStaticKey][k.Name]:
			d.report(p+".name", "duplicate static key name %q", k.Name)
		}
		d.resources[kindStaticKey][k.Name] = true
		if _, err := crypt.ParseStaticKey(k.Value); err != nil {
			d.report(p+".value", "%v", err)
		}
	}
	for i := range c.SchemaRegistries {
		r := &c.SchemaRegistries[i]
		p := indexPath("schema_registries", i)
		if d.resources[kindSchemaRegistry][r.Name] && r.Name != "" {
			d.report(p+".name", "duplicate schema registry name %q", r.Name)
		}
		d.resources[kindSchemaRegistry][r.Name] = true
		r.Check(func(field, msg string) { d.report(p+"."+field, "%s", msg) })
	}
}

// checkRefs reports references of a policy's config to resources that do
// not exist.
func (d *decoder) checkRefs(t policy.Type, cfg any, path string) {
	if t.Refs == nil {
		return
	}
	for _, r := range t.Refs(cfg) {
		if !d.resources[r.Kind][r.Name] {
			top := map[string]string{kindStaticKey: "static_keys", kindSchemaRegistry: "schema_registries"}[r.Kind]
			d.report(path+".config."+r.Field, "%q is not a name in %s", r.Name, top)
		}
	}
}

// checkContentCondition reports a condition that reads the parsed record
// value outside a policy nested under a parent that parses it.
func (d *decoder) checkContentCondition(p *VCPolicy, path string, nested bool) {
	if !nested && recordpolicy.ReadsContent(p.Condition) {
		d.report(path+".condition", "record.value.content is only known to policies nested under a schema_validation policy (policies:)")
	}
}
