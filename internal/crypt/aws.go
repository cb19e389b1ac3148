// The AWS KMS key source: data keys wrapped by a KMS symmetric key with the
// KMS Encrypt and Decrypt operations.

package crypt

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// KMSClient is the part of the AWS KMS API an AWSKeySource calls.
// *kms.Client implements it; tests wrap it to count calls.
type KMSClient interface {
	Encrypt(ctx context.Context, in *kms.EncryptInput, optFns ...func(*kms.Options)) (*kms.EncryptOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, optFns ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

var _ KMSClient = (*kms.Client)(nil)

// AWSOptions configure the KMS client of an AWSKeySource.
type AWSOptions struct {
	// Endpoint replaces the KMS endpoint of the key's region: a VPC
	// endpoint, or a local KMS in tests ("http://127.0.0.1:4599").
	Endpoint string
	// Client, when set, is used as it is, instead of a client made from
	// the default AWS configuration (environment, shared files, web
	// identity, instance role); Endpoint is then ignored.
	Client KMSClient
	// Timeout bounds each Wrap and Unwrap, the client's retries included,
	// so that a KMS that does not answer fails the record with
	// ErrKMSUnavailable instead of holding it; 0 means DefaultKMSTimeout.
	Timeout time.Duration
}

// DefaultKMSTimeout is the default bound of one KMS operation.
const DefaultKMSTimeout = 10 * time.Second

// AWSKeySource is a KeySource whose KEK is an AWS KMS symmetric key. It
// wraps a data key with KMS Encrypt, under the encryption context
// {"strait": "record data key"}, and unwraps it with KMS Decrypt; its
// reference in records is the key's ARN.
type AWSKeySource struct {
	arn     string
	parsed  arn.ARN
	client  KMSClient
	timeout time.Duration
}

var _ KeySource = (*AWSKeySource)(nil)

// kmsContext is the encryption context of every data key wrapped by KMS:
// KMS refuses to decrypt with another, so a ciphertext made by some other
// application under the same KMS key is not accepted as a data key. It is
// part of the record format.
var kmsContext = map[string]string{"strait": "record data key"}

// ParseKeyARN checks that s is the ARN of a KMS key
// (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID) and returns its region. Alias
// ARNs are refused: a record must name the key that wrapped its data key,
// and an alias can later name another.
func ParseKeyARN(s string) (region string, err error) {
	a, err := parseKeyARN(s)
	return a.Region, err
}

func parseKeyARN(s string) (arn.ARN, error) {
	a, err := arn.Parse(s)
	if err != nil {
		return arn.ARN{}, fmt.Errorf("%q is not an ARN (%v): want arn:aws:kms:REGION:ACCOUNT:key/KEY-ID", s, err)
	}
	switch {
	case len(s) > MaxRefLen:
		return arn.ARN{}, fmt.Errorf("ARN %q is %d bytes, longer than %d", s, len(s), MaxRefLen)
	case a.Service != "kms":
		return arn.ARN{}, fmt.Errorf("ARN %q is of service %q, not kms", s, a.Service)
	case a.Region == "":
		return arn.ARN{}, fmt.Errorf("ARN %q has no region", s)
	case a.AccountID == "":
		return arn.ARN{}, fmt.Errorf("ARN %q has no account", s)
	case strings.HasPrefix(a.Resource, "alias/"):
		return arn.ARN{}, fmt.Errorf("ARN %q names an alias: give the ARN of the key it points to (aws kms describe-key --key-id %s)", s, a.Resource)
	case !strings.HasPrefix(a.Resource, "key/") || len(a.Resource) == len("key/"):
		return arn.ARN{}, fmt.Errorf("ARN %q does not name a key: want arn:aws:kms:REGION:ACCOUNT:key/KEY-ID", s)
	}
	return a, nil
}

// NewAWSKeySource returns the source of the KMS key keyARN. Unless
// opts.Client is set, it makes a KMS client for the ARN's region from the
// default AWS configuration; that asks no one yet: credentials are fetched
// on the first call.
func NewAWSKeySource(ctx context.Context, keyARN string, opts AWSOptions) (*AWSKeySource, error) {
	a, err := parseKeyARN(keyARN)
	if err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout < 0 {
		return nil, fmt.Errorf("negative KMS timeout %v", timeout)
	}
	if timeout == 0 {
		timeout = DefaultKMSTimeout
	}
	client := opts.Client
	if client == nil {
		var kmsOpts []func(*kms.Options)
		if opts.Endpoint != "" {
			u, err := url.Parse(opts.Endpoint)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, fmt.Errorf("KMS endpoint %q: want an http or https URL", opts.Endpoint)
			}
			kmsOpts = append(kmsOpts, func(o *kms.Options) { o.BaseEndpoint = aws.String(opts.Endpoint) })
		}
		cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(a.Region))
		if err != nil {
			return nil, fmt.Errorf("AWS configuration for %s: %w", keyARN, err)
		}
		client = kms.NewFromConfig(cfg, kmsOpts...)
	}
	return &AWSKeySource{arn: keyARN, parsed: a, client: client, timeout: timeout}, nil
}

// ARN returns the key's ARN, its reference in records.
func (s *AWSKeySource) ARN() string { return s.arn }

// Kind returns KindAWS.
func (s *AWSKeySource) Kind() Kind { return KindAWS }

// Wrap encrypts dataKey with KMS Encrypt.
func (s *AWSKeySource) Wrap(ctx context.Context, dataKey []byte) (string, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	out, err := s.client.Encrypt(ctx, &kms.EncryptInput{
		KeyId:               aws.String(s.arn),
		Plaintext:           dataKey,
		EncryptionContext:   kmsContext,
		EncryptionAlgorithm: types.EncryptionAlgorithmSpecSymmetricDefault,
	})
	if err != nil {
		return "", nil, kmsError("Encrypt", s.arn, err)
	}
	if len(out.CiphertextBlob) == 0 {
		return "", nil, fmt.Errorf("%w: KMS Encrypt with %s returned no ciphertext", ErrKMSUnavailable, s.arn)
	}
	return s.arn, out.CiphertextBlob, nil
}

// Unwrap decrypts wrapped with KMS Decrypt, naming the source's key so that
// KMS refuses a ciphertext of another key. A reference of another key
// wraps ErrUnknownKey, except a replica of the source's multi-Region key
// (same account and mrk- key id, another region): KMS decrypts its
// ciphertexts with the source's key.
func (s *AWSKeySource) Unwrap(ctx context.Context, ref string, wrapped []byte) ([]byte, error) {
	if !s.holds(ref) {
		return nil, fmt.Errorf("%w: KMS key %s", ErrUnknownKey, ref)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	out, err := s.client.Decrypt(ctx, &kms.DecryptInput{
		KeyId:               aws.String(s.arn),
		CiphertextBlob:      wrapped,
		EncryptionContext:   kmsContext,
		EncryptionAlgorithm: types.EncryptionAlgorithmSpecSymmetricDefault,
	})
	if err != nil {
		return nil, kmsError("Decrypt", s.arn, err)
	}
	return out.Plaintext, nil
}

// holds reports whether the source's key decrypts what the key ref wrapped.
func (s *AWSKeySource) holds(ref string) bool {
	if ref == s.arn {
		return true
	}
	if !strings.HasPrefix(s.parsed.Resource, "key/mrk-") {
		return false
	}
	a, err := arn.Parse(ref)
	return err == nil && a.Partition == s.parsed.Partition && a.Service == "kms" &&
		a.AccountID == s.parsed.AccountID && a.Resource == s.parsed.Resource
}

// kmsError sorts a KMS call's error: an answer that the ciphertext is bad
// is ErrTampered; a failure on the way or on the KMS's side (transport
// error, timeout, throttling, internal error) ErrKMSUnavailable; any other
// refusal (access denied, key disabled, pending deletion or not found,
// bad credentials) ErrKMSRefused.
func kmsError(op, keyARN string, err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		// No answer, or one that is not a KMS error (a proxy's 502 page).
		return fmt.Errorf("%w: KMS %s with %s: %w", ErrKMSUnavailable, op, keyARN, err)
	}
	var status interface{ HTTPStatusCode() int }
	serverSide := ae.ErrorFault() == smithy.FaultServer ||
		errors.As(err, &status) && (status.HTTPStatusCode() >= 500 || status.HTTPStatusCode() == 429)
	var kind error
	switch ae.ErrorCode() {
	case "InvalidCiphertextException", "IncorrectKeyException":
		kind = ErrTampered
	case "DependencyTimeoutException", "KMSInternalException", "KeyUnavailableException",
		"ThrottlingException", "LimitExceededException", "RequestLimitExceeded",
		"ServiceUnavailable", "ServiceUnavailableException", "InternalFailure", "InternalError":
		kind = ErrKMSUnavailable
	default:
		kind = ErrKMSRefused
		if serverSide {
			kind = ErrKMSUnavailable
		}
	}
	return fmt.Errorf("%w: KMS %s with %s: %w", kind, op, keyARN, err)
}
