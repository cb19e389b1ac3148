// Tests of the AWS KMS key source: ARN checks and error sorting, then the
// source against a real local KMS (github.com/nsmithuk/local-kms, a tool
// dependency in go.mod) that the test builds and starts.

package crypt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/strait-gw/strait/internal/testtools"
)

func TestParseKeyARN(t *testing.T) {
	for _, tc := range []struct {
		name   string
		arn    string
		region string
		want   string // substring of the error
	}{
		{name: "key", arn: "arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", region: "eu-west-2"},
		{name: "multi-Region key", arn: "arn:aws-cn:kms:cn-north-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab", region: "cn-north-1"},
		{name: "key id", arn: "1234abcd-12ab-34cd-56ef-1234567890ab", want: "not an ARN"},
		{name: "alias", arn: "arn:aws:kms:eu-west-2:111122223333:alias/prod", want: "names an alias"},
		{name: "other service", arn: "arn:aws:s3:eu-west-2:111122223333:key/x", want: `service "s3"`},
		{name: "no region", arn: "arn:aws:kms::111122223333:key/x", want: "no region"},
		{name: "no account", arn: "arn:aws:kms:eu-west-2::key/x", want: "no account"},
		{name: "no key id", arn: "arn:aws:kms:eu-west-2:111122223333:key/", want: "does not name a key"},
		{name: "too long", arn: "arn:aws:kms:eu-west-2:111122223333:" + strings.Repeat("k", 250), want: "longer than 255"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			region, err := ParseKeyARN(tc.arn)
			if tc.want == "" {
				if err != nil || region != tc.region {
					t.Fatalf("ParseKeyARN = %q, %v; want %q", region, err, tc.region)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := NewAWSKeySource(context.Background(), "arn:aws:kms:eu-west-2:1:key/x", AWSOptions{Endpoint: "localhost:4599"}); err == nil ||
		!strings.Contains(err.Error(), "http or https URL") {
		t.Fatalf("endpoint without a scheme: %v", err)
	}
}

func TestKMSErrorKinds(t *testing.T) {
	status := func(code int, err error) error {
		return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: err}
	}
	api := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"connection refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, ErrKMSUnavailable},
		{"deadline", context.DeadlineExceeded, ErrKMSUnavailable},
		{"invalid ciphertext", status(400, api("InvalidCiphertextException")), ErrTampered},
		{"incorrect key", status(400, api("IncorrectKeyException")), ErrTampered},
		{"throttled", status(400, api("ThrottlingException")), ErrKMSUnavailable},
		{"internal", status(500, api("KMSInternalException")), ErrKMSUnavailable},
		{"bad gateway", status(502, api("UnknownError")), ErrKMSUnavailable},
		{"too many requests", status(429, api("UnknownError")), ErrKMSUnavailable},
		{"server fault", &smithy.GenericAPIError{Code: "X", Fault: smithy.FaultServer}, ErrKMSUnavailable},
		{"access denied", status(400, api("AccessDeniedException")), ErrKMSRefused},
		{"disabled", status(400, api("DisabledException")), ErrKMSRefused},
		{"pending deletion", status(400, api("KMSInvalidStateException")), ErrKMSRefused},
		{"not found", status(400, api("NotFoundException")), ErrKMSRefused},
		{"bad credentials", status(400, api("UnrecognizedClientException")), ErrKMSRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := kmsError("Decrypt", "arn:k", tc.err)
			if !errors.Is(err, tc.want) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("%v does not wrap the KMS error", err)
			}
		})
	}
}

func TestAWSHoldsMultiRegionReplica(t *testing.T) {
	const mrk = "arn:aws:kms:eu-west-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef"
	const single = "arn:aws:kms:eu-west-1:111122223333:key/0123abcd-12ab-34cd-56ef-1234567890ab"
	for _, tc := range []struct {
		source, ref string
		want        bool
	}{
		{mrk, mrk, true},
		{mrk, strings.Replace(mrk, "eu-west-1", "us-east-1", 1), true},
		{mrk, strings.Replace(mrk, "111122223333", "444455556666", 1), false},
		{mrk, strings.Replace(mrk, "0123", "9999", 1), false},
		{single, single, true},
		{single, strings.Replace(single, "eu-west-1", "us-east-1", 1), false},
	} {
		s, err := NewAWSKeySource(context.Background(), tc.source, AWSOptions{Client: &kms.Client{}})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.holds(tc.ref); got != tc.want {
			t.Errorf("source %s holds %s = %v, want %v", tc.source, tc.ref, got, tc.want)
		}
	}
}

// hangingKMS answers nothing until the call's context ends.
type hangingKMS struct{}

func (hangingKMS) Encrypt(ctx context.Context, _ *kms.EncryptInput, _ ...func(*kms.Options)) (*kms.EncryptOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (hangingKMS) Decrypt(ctx context.Context, _ *kms.DecryptInput, _ ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestAWSTimeout(t *testing.T) {
	const arn = "arn:aws:kms:eu-west-2:111122223333:key/x"
	s, err := NewAWSKeySource(context.Background(), arn, AWSOptions{Client: hangingKMS{}, Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Wrap(context.Background(), make([]byte, 32)); !errors.Is(err, ErrKMSUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wrap: %v, want ErrKMSUnavailable after the deadline", err)
	}
	if _, err := s.Unwrap(context.Background(), arn, []byte("blob")); !errors.Is(err, ErrKMSUnavailable) {
		t.Fatalf("Unwrap: %v, want ErrKMSUnavailable", err)
	}
	if _, err := NewAWSKeySource(context.Background(), arn, AWSOptions{Client: hangingKMS{}, Timeout: -1}); err == nil {
		t.Fatal("negative timeout accepted")
	}
}

// TestAWSLocalKMS runs the AWS source against local-kms, through a proxy
// that counts the KMS calls.
func TestAWSLocalKMS(t *testing.T) {
	bin := buildLocalKMS(t)
	// The default AWS configuration, made hermetic: fixed credentials, no
	// shared files, no instance metadata service.
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDLOCALKMS",
		"AWS_SECRET_ACCESS_KEY":       "local-kms-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_KMS":        "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_MAX_ATTEMPTS":            "2",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	lk := startLocalKMS(t, bin)
	counts := &kmsCounter{}
	proxy := httptest.NewServer(counts.proxy(lk.endpoint))
	t.Cleanup(proxy.Close)

	arnA, arnB := lk.createKey(t), lk.createKey(t)
	newSource := func(arn, endpoint string) *AWSKeySource {
		t.Helper()
		s, err := NewAWSKeySource(ctx, arn, AWSOptions{Endpoint: endpoint})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	srcA, srcB := newSource(arnA, proxy.URL), newSource(arnB, proxy.URL)

	var underA [][]byte
	t.Run("round trip, one KMS call per data key", func(t *testing.T) {
		counts.reset()
		e := newEncrypter(t, srcA, EncrypterOptions{})
		for i := range 20 {
			underA = append(underA, seal(t, e, fmt.Sprint("record ", i), "value"))
		}
		h, err := ParseHeader(underA[0])
		if err != nil {
			t.Fatal(err)
		}
		if h.Kind != KindAWS || h.Ref != arnA {
			t.Fatalf("header names %s %q, want aws %q", h.Kind, h.Ref, arnA)
		}
		t.Logf("local-kms: wrapped data key %d bytes, ARN %d bytes, record overhead %d bytes",
			len(h.Wrapped), len(h.Ref), len(underA[0])-len("record 0"))
		d := newDecrypter(t, DecrypterOptions{}, srcA)
		for round := range 2 {
			for i, rec := range underA {
				mustOpen(t, d, rec, "value", fmt.Sprint("record ", i))
			}
			if got := counts.get(); !maps.Equal(got, map[string]int{"Encrypt": 1, "Decrypt": 1}) {
				t.Fatalf("round %d: KMS calls %v, want one Encrypt and one Decrypt", round, got)
			}
		}
	})

	t.Run("KEK rotation", func(t *testing.T) {
		underB := seal(t, newEncrypter(t, srcB, EncrypterOptions{}), "under b", "value")
		d := newDecrypter(t, DecrypterOptions{}, srcB, srcA)
		mustOpen(t, d, underB, "value", "under b")
		mustOpen(t, d, underA[3], "value", "record 3")

		counts.reset()
		onlyB := newDecrypter(t, DecrypterOptions{}, srcB)
		_, err := onlyB.Open(ctx, nil, underA[0], []byte("value"))
		if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), arnA) {
			t.Fatalf("%v, want ErrUnknownKey naming %s", err, arnA)
		}
		if got := counts.get(); len(got) != 0 {
			t.Fatalf("KMS calls %v for a key no source holds, want none", got)
		}
	})

	t.Run("wrapped key changed", func(t *testing.T) {
		h, err := ParseHeader(underA[0])
		if err != nil {
			t.Fatal(err)
		}
		at := 7 + len(h.Ref) + 2 + len(h.Wrapped) - 20 // in the blob's ciphertext
		bad := bytes.Clone(underA[0])
		bad[at] ^= 1
		d := newDecrypter(t, DecrypterOptions{}, srcA)
		if _, err := d.Open(ctx, nil, bad, []byte("value")); !errors.Is(err, ErrTampered) {
			t.Fatalf("%v, want ErrTampered", err)
		}
	})

	t.Run("other part", func(t *testing.T) {
		d := newDecrypter(t, DecrypterOptions{}, srcA)
		if _, err := d.Open(ctx, nil, underA[0], []byte("key")); !errors.Is(err, ErrTampered) {
			t.Fatalf("%v, want ErrTampered", err)
		}
	})

	t.Run("key disabled", func(t *testing.T) {
		arnC := lk.createKey(t)
		srcC := newSource(arnC, proxy.URL)
		rec := seal(t, newEncrypter(t, srcC, EncrypterOptions{}), "x", "")
		if _, err := lk.client.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(arnC)}); err != nil {
			t.Fatal(err)
		}
		if _, err := newEncrypter(t, srcC, EncrypterOptions{}).Seal(ctx, nil, []byte("x"), nil); !errors.Is(err, ErrKMSRefused) {
			t.Fatalf("Seal: %v, want ErrKMSRefused", err)
		}
		if _, err := newDecrypter(t, DecrypterOptions{}, srcC).Open(ctx, nil, rec, nil); !errors.Is(err, ErrKMSRefused) {
			t.Fatalf("Open: %v, want ErrKMSRefused", err)
		}
	})

	t.Run("KMS down", func(t *testing.T) {
		direct := newSource(arnA, lk.endpoint)
		rec := seal(t, newEncrypter(t, direct, EncrypterOptions{}), "x", "")
		warm := newDecrypter(t, DecrypterOptions{}, direct)
		mustOpen(t, warm, rec, "", "x")

		lk.stop(t)
		for name, src := range map[string]*AWSKeySource{"refused connection": direct, "proxy's 502": srcA} {
			t.Run(name, func(t *testing.T) {
				if _, err := newEncrypter(t, src, EncrypterOptions{}).Seal(ctx, nil, []byte("x"), nil); !errors.Is(err, ErrKMSUnavailable) {
					t.Fatalf("Seal: %v, want ErrKMSUnavailable", err)
				}
				if _, err := newDecrypter(t, DecrypterOptions{}, src).Open(ctx, nil, rec, nil); !errors.Is(err, ErrKMSUnavailable) {
					t.Fatalf("Open: %v, want ErrKMSUnavailable", err)
				}
			})
		}
		// A data key already unwrapped needs no KMS.
		mustOpen(t, warm, rec, "", "x")
	})
}

// kmsCounter counts the KMS operations that pass its proxy.
type kmsCounter struct {
	mu  sync.Mutex
	ops map[string]int
}

func (c *kmsCounter) proxy(endpoint string) http.Handler {
	u, err := url.Parse(endpoint)
	if err != nil {
		panic(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = log.New(io.Discard, "", 0) // a stopped KMS is a case under test
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
		c.mu.Lock()
		if c.ops == nil {
			c.ops = map[string]int{}
		}
		c.ops[op]++
		c.mu.Unlock()
		rp.ServeHTTP(w, r)
	})
}

func (c *kmsCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops = nil
}

// get returns the counts of Encrypt and Decrypt calls, the ones this
// package makes.
func (c *kmsCounter) get() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for _, op := range []string{"Encrypt", "Decrypt"} {
		if n := c.ops[op]; n > 0 {
			out[op] = n
		}
	}
	return out
}

// buildLocalKMS builds local-kms at the version go.mod pins, into a
// temporary directory. Without a Go toolchain or the module, the test
// skips, or fails where tools are required (make test, CI).
func buildLocalKMS(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs local-kms")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "local-kms")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, "github.com/nsmithuk/local-kms")
	if out, err := cmd.CombinedOutput(); err != nil {
		msg := fmt.Sprintf("building local-kms: %v\n%s", err, out)
		if testtools.Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

// localKMS is a local-kms process and a KMS client for it.
type localKMS struct {
	endpoint string
	client   *kms.Client
	cmd      *exec.Cmd
	exited   chan struct{}
	once     sync.Once
}

// startLocalKMS starts bin on a free loopback port, with its database in a
// temporary directory, and waits until it answers. It is stopped when the
// test ends, if not before.
func startLocalKMS(t *testing.T, bin string) *localKMS {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	dir := t.TempDir()
	logPath := filepath.Join(dir, "local-kms.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		fmt.Sprint("PORT=", port),
		"KMS_REGION=eu-west-2",
		"KMS_ACCOUNT_ID=111122223333",
		"KMS_DATA_PATH="+filepath.Join(dir, "data"),
		"KMS_SEED_PATH="+filepath.Join(dir, "no-seed.yaml"),
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lk := &localKMS{endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, exited: make(chan struct{})}
	go func() { // ends with the process, which the cleanup below ends
		cmd.Wait()
		logFile.Close()
		close(lk.exited)
	}()
	t.Cleanup(func() {
		lk.stop(t)
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("local-kms log:\n%s", b)
			}
		}
	})

	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitFor(t, "local-kms to listen on "+addr, func() bool {
		select {
		case <-lk.exited:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("local-kms exited:\n%s", b)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})

	lk.client = kms.New(kms.Options{
		Region:       "eu-west-2",
		BaseEndpoint: aws.String(lk.endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCALKMS", "local-kms-secret", ""),
	})
	return lk
}

// createKey makes a symmetric key and returns its ARN.
func (lk *localKMS) createKey(t *testing.T) string {
	t.Helper()
	out, err := lk.client.CreateKey(context.Background(), &kms.CreateKeyInput{Description: aws.String("strait crypt test")})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return aws.ToString(out.KeyMetadata.Arn)
}

// stop kills the process and waits for it to end.
func (lk *localKMS) stop(t *testing.T) {
	lk.once.Do(func() {
		lk.cmd.Process.Kill()
		select {
		case <-lk.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("local-kms did not exit")
		}
	})
}
