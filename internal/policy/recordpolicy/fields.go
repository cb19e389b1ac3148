package recordpolicy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/strait-gw/strait/internal/crypt"
	"github.com/strait-gw/strait/internal/policy"
)

// Field-level encryption: encrypt_fields and decrypt_fields, nested under
// a schema_validation of type json, encrypt and decrypt chosen fields of
// the parsed document and leave the rest of it as it was. An encrypted
// field holds a JSON string: the standard base64 of the sealed field value
// (its JSON encoding), in the record format of docs/encryption.md, with
// the field's path as additional data: a sealed field moved to another
// path does not open.

// FieldsEntry is one group of fields and the key that protects them.
type FieldsEntry struct {
	// Paths are dotted paths into the document ("card.number").
	Paths []string `yaml:"paths"`
	// EncryptionKey is the key encryption key.
	EncryptionKey KeyRef `yaml:"encryption_key"`
}

// EncryptFieldsConfig is the config of encrypt_fields.
type EncryptFieldsConfig struct {
	Fields []FieldsEntry `yaml:"fields"`
}

// DecryptFieldsConfig is the config of decrypt_fields.
type DecryptFieldsConfig struct {
	// Paths are the fields to decrypt; fields that are not encrypted are
	// left as they are.
	Paths []string `yaml:"paths"`
	// KeySources are the keys fields may name, tried in order.
	KeySources []KeyRef `yaml:"key_sources"`
	// FailureMode as decrypt's: error, skip, passthrough or mark.
	FailureMode string `yaml:"failure_mode"`
}

func validatePaths(field string, paths []string, report func(field, msg string)) {
	if len(paths) == 0 {
		report(field, "at least one path is required")
	}
	for i, p := range paths {
		if p == "" || strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") || strings.Contains(p, "..") {
			report(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is not a dotted path (a.b.c)", p))
		}
	}
}

func (c *EncryptFieldsConfig) validate(report func(field, msg string)) {
	if len(c.Fields) == 0 {
		report("fields", "at least one entry is required")
	}
	for i := range c.Fields {
		p := fmt.Sprintf("fields[%d]", i)
		validatePaths(p+".paths", c.Fields[i].Paths, report)
		c.Fields[i].EncryptionKey.validate(p+".encryption_key", report)
	}
}

func (c *DecryptFieldsConfig) validate(report func(field, msg string)) {
	validatePaths("paths", c.Paths, report)
	switch c.FailureMode {
	case "", "error", "skip", "passthrough", "mark":
	default:
		report("failure_mode", fmt.Sprintf("unknown failure mode %q (expected error, skip, passthrough or mark)", c.FailureMode))
	}
	if len(c.KeySources) == 0 {
		report("key_sources", "at least one key source is required")
	}
	for i := range c.KeySources {
		c.KeySources[i].validate(fmt.Sprintf("key_sources[%d]", i), report)
	}
}

// lookup finds the object holding the last element of a dotted path in
// doc, and that element's name.
func lookup(doc any, path string) (map[string]any, string, bool) {
	parts := strings.Split(path, ".")
	m, ok := doc.(map[string]any)
	for _, p := range parts[:len(parts)-1] {
		if !ok {
			return nil, "", false
		}
		m, ok = m[p].(map[string]any)
	}
	if !ok {
		return nil, "", false
	}
	_, present := m[parts[len(parts)-1]]
	return m, parts[len(parts)-1], present
}

func fieldAAD(path string) []byte { return []byte("field:" + path) }

// encryptFields is an encrypt_fields policy.
type encryptFields struct {
	name    string
	entries []fieldsSource
}

type fieldsSource struct {
	paths []string
	src   crypt.KeySource
}

func (e *encryptFields) Name() string               { return e.name }
func (e *encryptFields) RequestKeys() policy.KeySet { return policy.KeySet{} }

// connFieldEncrypters are an encrypt_fields policy's encrypters on one
// connection, one per entry.
type connFieldEncrypters struct {
	encs []*crypt.Encrypter
	err  error
}

func (c *connFieldEncrypters) Close() {
	for _, e := range c.encs {
		e.Close()
	}
}

// NewConnState makes the connection's encrypters.
func (e *encryptFields) NewConnState() any {
	st := &connFieldEncrypters{}
	for _, en := range e.entries {
		enc, err := crypt.NewEncrypter(en.src, crypt.EncrypterOptions{})
		if err != nil {
			st.err = err
			return st
		}
		st.encs = append(st.encs, enc)
	}
	return st
}

// Process encrypts the fields present in the parsed document.
func (e *encryptFields) Process(r *Record) (Verdict, error) {
	if r.Content == nil {
		return Pass, nil
	}
	st := r.State(e).(*connFieldEncrypters)
	if st.err != nil {
		return e.fail(r, st.err)
	}
	for i, en := range e.entries {
		for _, path := range en.paths {
			m, name, ok := lookup(r.Content, path)
			if !ok {
				continue
			}
			plain, err := json.Marshal(m[name])
			if err != nil {
				return e.fail(r, err)
			}
			sealed, err := st.encs[i].Seal(r.Ctx, nil, plain, fieldAAD(path))
			if err != nil {
				return e.fail(r, err)
			}
			m[name] = base64.StdEncoding.EncodeToString(sealed)
			r.ContentChanged = true
		}
	}
	return Pass, nil
}

func (e *encryptFields) fail(r *Record, err error) (Verdict, error) {
	r.Failed()
	r.Reason = "field encryption failed: " + cryptReason(err)
	r.Conn.Log.Debug("field encryption failed", "policy", e.name, "err", err)
	return Reject, nil
}

// decryptFields is a decrypt_fields policy.
type decryptFields struct {
	name  string
	paths []string
	mode  string
	dec   *crypt.Decrypter
}

func (d *decryptFields) Name() string               { return d.name }
func (d *decryptFields) RequestKeys() policy.KeySet { return policy.KeySet{} }

// Process decrypts the encrypted fields present in the parsed document.
func (d *decryptFields) Process(r *Record) (Verdict, error) {
	if r.Content == nil {
		return Pass, nil
	}
	for _, path := range d.paths {
		m, name, ok := lookup(r.Content, path)
		if !ok {
			continue
		}
		s, isString := m[name].(string)
		if !isString {
			continue
		}
		sealed, err := base64.StdEncoding.DecodeString(s)
		if err != nil || !crypt.IsEncrypted(sealed) {
			continue // not an encrypted field
		}
		plain, err := d.dec.Open(r.Ctx, nil, sealed, fieldAAD(path))
		if err == nil {
			var v any
			dec := json.NewDecoder(bytes.NewReader(plain))
			dec.UseNumber() // large integers stay exact
			if err = dec.Decode(&v); err == nil {
				m[name] = v
				r.ContentChanged = true
				continue
			}
		}
		reason := "not JSON"
		if err != nil && !errors.Is(err, io.EOF) {
			reason = cryptReason(err)
		}
		return failRecord(r, d.name, d.mode, fmt.Sprintf("decryption of %s failed: %s", path, reason))
	}
	return Pass, nil
}

// fieldTypes are the types that act on a parsed JSON document.
var fieldTypes = map[string]bool{"encrypt_fields": true, "decrypt_fields": true}

var errNotNested = errors.New("only nested under a schema_validation of type json (policies:)")

func init() {
	policy.Register(policy.Type{
		Name:      "encrypt_fields",
		Phases:    []policy.Phase{policy.PhaseProduce},
		Nested:    true,
		NewConfig: func() any { return new(EncryptFieldsConfig) },
		Validate: func(cfg any, report func(field, msg string)) {
			if c, ok := cfg.(*EncryptFieldsConfig); ok {
				c.validate(report)
			}
		},
		Refs: func(cfg any) []policy.Ref {
			c, ok := cfg.(*EncryptFieldsConfig)
			if !ok {
				return nil
			}
			var refs []policy.Ref
			for i, f := range c.Fields {
				refs = append(refs, keyRefs(fmt.Sprintf("fields[%d].encryption_key", i), f.EncryptionKey)...)
			}
			return refs
		},
		New: func(s policy.Spec, env policy.Env) (policy.Policy, error) {
			c, _ := s.Config.(*EncryptFieldsConfig)
			if c == nil {
				return nil, errNoConfig
			}
			e := &encryptFields{name: s.Name}
			for _, f := range c.Fields {
				src, err := f.EncryptionKey.source(env)
				if err != nil {
					return nil, err
				}
				e.entries = append(e.entries, fieldsSource{paths: f.Paths, src: src})
			}
			return e, nil
		},
	})
	policy.Register(policy.Type{
		Name:      "decrypt_fields",
		Phases:    []policy.Phase{policy.PhaseConsume},
		Nested:    true,
		NewConfig: func() any { return new(DecryptFieldsConfig) },
		Validate: func(cfg any, report func(field, msg string)) {
			if c, ok := cfg.(*DecryptFieldsConfig); ok {
				c.validate(report)
			}
		},
		Refs: func(cfg any) []policy.Ref {
			if c, ok := cfg.(*DecryptFieldsConfig); ok {
				return keyRefs("key_sources", c.KeySources...)
			}
			return nil
		},
		New: func(s policy.Spec, env policy.Env) (policy.Policy, error) {
			c, _ := s.Config.(*DecryptFieldsConfig)
			if c == nil {
				return nil, errNoConfig
			}
			var srcs []crypt.KeySource
			for _, k := range c.KeySources {
				src, err := k.source(env)
				if err != nil {
					return nil, err
				}
				srcs = append(srcs, src)
			}
			dec, err := crypt.NewDecrypter(srcs, crypt.DecrypterOptions{})
			if err != nil {
				return nil, err
			}
			return &decryptFields{name: s.Name, paths: c.Paths, mode: c.FailureMode, dec: dec}, nil
		},
	})
}
