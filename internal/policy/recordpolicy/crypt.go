package recordpolicy

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/crypt"
	"github.com/strait-gw/strait/internal/policy"
)

// KeyRef names a key encryption key: a static key of static_keys, or an
// AWS KMS key.
type KeyRef struct {
	// Type is static or aws.
	Type string `yaml:"type"`
	// Key names an entry of static_keys, for type static.
	Key string `yaml:"key"`
	// ARN is a KMS key ARN, for type aws. The KMS endpoint and
	// credentials come from the AWS environment (AWS_REGION,
	// AWS_ENDPOINT_URL_KMS, the default credential chain).
	ARN string `yaml:"arn"`
}

func (k *KeyRef) validate(path string, report func(field, msg string)) {
	switch k.Type {
	case "static":
		if k.Key == "" {
			report(path+".key", "required for type static")
		}
		if k.ARN != "" {
			report(path+".arn", "only for type aws")
		}
	case "aws":
		if k.Key != "" {
			report(path+".key", "only for type static")
		}
		if k.ARN == "" {
			report(path+".arn", "required for type aws")
		} else if _, err := crypt.ParseKeyARN(k.ARN); err != nil {
			report(path+".arn", err.Error())
		}
	case "":
		report(path+".type", "required (static or aws)")
	default:
		report(path+".type", fmt.Sprintf("unknown key type %q (expected static or aws)", k.Type))
	}
}

// source builds the key source k names.
func (k *KeyRef) source(env policy.Env) (crypt.KeySource, error) {
	if k.Type == "aws" {
		return crypt.NewAWSKeySource(context.Background(), k.ARN, crypt.AWSOptions{})
	}
	if env.Resource == nil {
		return nil, fmt.Errorf("static key %q: no static keys", k.Key)
	}
	v, ok := env.Resource("static_key", k.Key)
	key, isKey := v.([]byte)
	if !ok || !isKey {
		return nil, fmt.Errorf("static key %q is not in static_keys", k.Key)
	}
	return crypt.NewStaticKeySource(k.Key, key)
}

// EncryptConfig is the config of encrypt.
type EncryptConfig struct {
	// PartOfRecord lists what is encrypted: key, value or both. Default
	// [value].
	PartOfRecord []string `yaml:"part_of_record"`
	// FailureMode is reject: a record that cannot be encrypted (the KMS
	// is down, say) refuses its batch. Plaintext is never forwarded
	// where encryption is required.
	FailureMode string `yaml:"failure_mode"`
	// EncryptionKey is the key encryption key.
	EncryptionKey KeyRef `yaml:"encryption_key"`
}

// DecryptConfig is the config of decrypt.
type DecryptConfig struct {
	// PartOfRecord lists what is decrypted: key, value or both. Default
	// [value].
	PartOfRecord []string `yaml:"part_of_record"`
	// FailureMode is what a record that cannot be decrypted becomes:
	// error (the consumer gets INVALID_RECORD for the partition), skip
	// (left out), passthrough (delivered as ciphertext) or mark
	// (delivered as ciphertext with the header
	// strait/policy-failure-<name>). Default error.
	FailureMode string `yaml:"failure_mode"`
	// KeySources are the key encryption keys records may name, tried in
	// order: list the current key and those it replaced.
	KeySources []KeyRef `yaml:"key_sources"`
}

func validateParts(parts []string, report func(field, msg string)) {
	for i, p := range parts {
		if p != "key" && p != "value" {
			report(fmt.Sprintf("part_of_record[%d]", i), fmt.Sprintf("unknown part %q (expected key or value)", p))
		}
	}
}

func partsOf(parts []string) (key, value bool) {
	if len(parts) == 0 {
		return false, true
	}
	return slices.Contains(parts, "key"), slices.Contains(parts, "value")
}

func (c *EncryptConfig) validate(report func(field, msg string)) {
	validateParts(c.PartOfRecord, report)
	switch c.FailureMode {
	case "", "reject":
	default:
		report("failure_mode", fmt.Sprintf("%q: encrypt only rejects (plaintext is never forwarded where encryption is required)", c.FailureMode))
	}
	c.EncryptionKey.validate("encryption_key", report)
}

func (c *DecryptConfig) validate(report func(field, msg string)) {
	validateParts(c.PartOfRecord, report)
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

func keyRefs(field string, ks ...KeyRef) []policy.Ref {
	var refs []policy.Ref
	for i, k := range ks {
		if k.Type == "static" && k.Key != "" {
			f := field + ".key"
			if len(ks) > 1 || field == "key_sources" {
				f = fmt.Sprintf("%s[%d].key", field, i)
			}
			refs = append(refs, policy.Ref{Field: f, Kind: "static_key", Name: k.Key})
		}
	}
	return refs
}

var (
	aadKey   = []byte("key")
	aadValue = []byte("value")
)

// encrypt is an encrypt policy.
type encrypt struct {
	name       string
	key, value bool
	src        crypt.KeySource
}

func (e *encrypt) Name() string               { return e.name }
func (e *encrypt) RequestKeys() policy.KeySet { return policy.KeySet{} }

// connEncrypter is an encrypt policy's state on one connection: its data
// key lives and rotates with the connection.
type connEncrypter struct {
	enc *crypt.Encrypter
	err error
}

func (c *connEncrypter) Close() {
	if c.enc != nil {
		c.enc.Close()
	}
}

// NewConnState makes the connection's encrypter.
func (e *encrypt) NewConnState() any {
	enc, err := crypt.NewEncrypter(e.src, crypt.EncrypterOptions{})
	return &connEncrypter{enc: enc, err: err}
}

// Process encrypts the key and value, leaving null ones (tombstones) as
// they are.
func (e *encrypt) Process(r *Record) (Verdict, error) {
	st := r.State(e).(*connEncrypter)
	if st.err != nil {
		return e.fail(r, st.err)
	}
	if e.key && r.R.Key != nil {
		out, err := st.enc.Seal(r.Ctx, r.Alloc(len(r.R.Key)+st.enc.Overhead()), r.R.Key, aadKey)
		if err != nil {
			return e.fail(r, err)
		}
		r.R.Key = out
	}
	if e.value && r.R.Value != nil {
		out, err := st.enc.Seal(r.Ctx, r.Alloc(len(r.R.Value)+st.enc.Overhead()), r.R.Value, aadValue)
		if err != nil {
			return e.fail(r, err)
		}
		r.R.Value = out
	}
	r.Changed()
	return Pass, nil
}

func (e *encrypt) fail(r *Record, err error) (Verdict, error) {
	r.Failed()
	r.Reason = "encryption failed: " + cryptReason(err)
	r.Conn.Log.Debug("record encryption failed", "policy", e.name, "err", err)
	return Reject, nil
}

// cryptReason says why encryption or decryption failed, for the client:
// the kind of failure, without the key service's address or answer.
func cryptReason(err error) string {
	switch {
	case errors.Is(err, crypt.ErrKMSUnavailable):
		return "the key service is unavailable"
	case errors.Is(err, crypt.ErrKMSRefused):
		return "the key service refused the key"
	case errors.Is(err, crypt.ErrUnknownKey):
		return "the record's key is in no key source"
	case errors.Is(err, crypt.ErrTampered):
		return "the ciphertext does not authenticate (tampered or cut)"
	case errors.Is(err, crypt.ErrUnsupportedVersion):
		return "unsupported encryption format version"
	}
	return "internal error"
}

// decrypt is a decrypt policy.
type decrypt struct {
	name       string
	key, value bool
	mode       string
	dec        *crypt.Decrypter
}

func (d *decrypt) Name() string               { return d.name }
func (d *decrypt) RequestKeys() policy.KeySet { return policy.KeySet{} }

// Process decrypts the key and value. Plaintext (records written before
// encryption was turned on) passes as it is.
func (d *decrypt) Process(r *Record) (Verdict, error) {
	for _, part := range []struct {
		on  bool
		b   *[]byte
		aad []byte
	}{{d.key, &r.R.Key, aadKey}, {d.value, &r.R.Value, aadValue}} {
		if !part.on || *part.b == nil || !crypt.IsEncrypted(*part.b) {
			continue
		}
		pt, err := d.dec.Open(r.Ctx, r.Alloc(len(*part.b)), *part.b, part.aad)
		if err != nil {
			r.Conn.Log.Debug("record decryption failed", "policy", d.name, "err", err)
			return failRecord(r, d.name, d.mode, "decryption failed: "+cryptReason(err))
		}
		if pt == nil {
			pt = []byte{}
		}
		*part.b = pt
		r.Changed()
	}
	return Pass, nil
}

// failRecord follows a consume failure mode for a record a policy failed
// on.
func failRecord(r *Record, name, mode, reason string) (Verdict, error) {
	r.Failed()
	switch mode {
	case "skip":
		return Skip, nil
	case "passthrough":
		return Pass, nil
	case "mark":
		r.R.Headers = append(r.R.Headers, kmsg.Header{Key: OwnHeaderPrefix + "policy-failure-" + name, Value: []byte(reason)})
		r.Changed()
		return Pass, nil
	}
	r.Reason = reason
	return Reject, nil
}

var errNoConfig = errors.New("no config")

func init() {
	policy.Register(policy.Type{
		Name:      "encrypt",
		Phases:    []policy.Phase{policy.PhaseProduce},
		NewConfig: func() any { return new(EncryptConfig) },
		Validate: func(cfg any, report func(field, msg string)) {
			if c, ok := cfg.(*EncryptConfig); ok {
				c.validate(report)
			}
		},
		Refs: func(cfg any) []policy.Ref {
			if c, ok := cfg.(*EncryptConfig); ok {
				return keyRefs("encryption_key", c.EncryptionKey)
			}
			return nil
		},
		New: func(s policy.Spec, env policy.Env) (policy.Policy, error) {
			c, _ := s.Config.(*EncryptConfig)
			if c == nil {
				return nil, errNoConfig
			}
			src, err := c.EncryptionKey.source(env)
			if err != nil {
				return nil, err
			}
			e := &encrypt{name: s.Name, src: src}
			e.key, e.value = partsOf(c.PartOfRecord)
			return e, nil
		},
	})
	policy.Register(policy.Type{
		Name:      "decrypt",
		Phases:    []policy.Phase{policy.PhaseConsume},
		NewConfig: func() any { return new(DecryptConfig) },
		Validate: func(cfg any, report func(field, msg string)) {
			if c, ok := cfg.(*DecryptConfig); ok {
				c.validate(report)
			}
		},
		Refs: func(cfg any) []policy.Ref {
			if c, ok := cfg.(*DecryptConfig); ok {
				return keyRefs("key_sources", c.KeySources...)
			}
			return nil
		},
		New: func(s policy.Spec, env policy.Env) (policy.Policy, error) {
			c, _ := s.Config.(*DecryptConfig)
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
			d := &decrypt{name: s.Name, dec: dec, mode: c.FailureMode}
			d.key, d.value = partsOf(c.PartOfRecord)
			return d, nil
		},
	})
}
