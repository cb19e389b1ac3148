// The client of a registry speaking Confluent's REST API, with its cache
// of compiled schemas.
//
// Behaviour notes:
//   - GET {endpoint}/schemas/ids/{id} gives the schema, its schemaType
//     (absent: AVRO) and its references; each reference is fetched with
//     GET {endpoint}/subjects/{subject}/versions/{version}, recursively.
//   - An id's compiled schema is cached for the life of the client: a
//     registry never changes what an id stands for. So is a schema that
//     does not compile or whose type is unsupported.
//   - "Schema not found" (404 with a Confluent error body, error_code
//     40403) is ErrUnknownSchema, cached for NotFoundTTL (default 5s; a
//     negative TTL caches nothing), in a bounded table: long enough to
//     shield the registry from a stream of records with a bad id, short
//     enough that a schema registered after its first record was refused
//     is soon seen.
//   - Anything else (connection refused, timeout, 5xx, 401/403, a 404
//     without an error body, which is a wrong endpoint rather than an
//     answer, a body that does not parse, a reference that is missing) is
//     ErrRegistryUnavailable and is not cached: the next record asks
//     again.
//   - Concurrent lookups of an id share one fetch. The fetch runs under
//     the client's context and Timeout, not the first caller's, so a
//     caller that gives up does not fail the others.

package schema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Registry gives the compiled schema of an id. *Confluent implements it.
type Registry interface {
	// Schema returns the schema with the given id, or an error wrapping
	// ErrUnknownSchema, ErrRegistryUnavailable, ErrUnsupportedType or
	// ErrBadSchema.
	Schema(ctx context.Context, id int) (*Schema, error)
}

var _ Registry = (*Confluent)(nil)

const (
	// maxNotFound bounds the table of ids the registry did not know; when
	// it is full of live entries, further misses are not remembered.
	maxNotFound = 4096
	// maxBody bounds a registry answer.
	maxBody = 8 << 20
	// maxReferences bounds the schemas one schema may pull in through
	// references, transitively.
	maxReferences = 256
)

// Confluent is a client of a registry speaking Confluent's REST API. It
// is safe for concurrent use. Close ends fetches in flight.
type Confluent struct {
	name        string
	endpoint    string // without trailing slash
	timeout     time.Duration
	notFoundTTL time.Duration // <= 0: not cached
	username    string
	password    string
	basic       bool
	client      *http.Client
	now         func() time.Time
	// onWait, when set (by tests), runs once a lookup has joined a fetch.
	onWait func(id int)

	ctx    context.Context // ends with Close; parent of every fetch
	cancel context.CancelFunc
	flight singleflight.Group

	mu       sync.Mutex
	schemas  map[int]cached
	notFound map[int]time.Time // id -> expiry
}

// cached is a fetch outcome kept for good: a schema or a deterministic
// error (ErrUnsupportedType, ErrBadSchema).
type cached struct {
	schema *Schema
	err    error
}

// NewConfluent returns a client for the registry cfg describes; it does
// not contact the registry. httpClient may be nil (a client of its own,
// with no timeout beyond cfg's).
func NewConfluent(cfg RegistryConfig, httpClient *http.Client) (*Confluent, error) {
	var problems []string
	cfg.Check(func(field, msg string) { problems = append(problems, field+": "+msg) })
	if len(problems) > 0 {
		return nil, fmt.Errorf("schema registry %q: %s", cfg.Name, strings.Join(problems, "; "))
	}
	cc := cfg.Config
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	c := &Confluent{
		name:        cfg.Name,
		endpoint:    strings.TrimRight(cc.Endpoint, "/"),
		timeout:     cc.Timeout,
		notFoundTTL: cc.NotFoundTTL,
		client:      httpClient,
		now:         time.Now,
		schemas:     map[int]cached{},
		notFound:    map[int]time.Time{},
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.notFoundTTL == 0 {
		c.notFoundTTL = DefaultNotFoundTTL
	}
	if a := cc.Authentication; a != nil {
		c.basic, c.username, c.password = true, a.Username, a.Password
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// Name is the registry's name in the config.
func (c *Confluent) Name() string { return c.name }

// Close ends the fetches in flight; later lookups that miss the cache
// fail with ErrRegistryUnavailable.
func (c *Confluent) Close() error {
	c.cancel()
	return nil
}

// Schema returns the compiled schema with the given id, from the cache or
// the registry.
func (c *Confluent) Schema(ctx context.Context, id int) (*Schema, error) {
	if s, err, ok := c.lookup(id); ok {
		return s, err
	}
	ch := c.flight.DoChan(strconv.Itoa(id), func() (any, error) {
		// A fetch that finished while this one was being set up has
		// filled the cache.
		if s, err, ok := c.lookup(id); ok {
			return s, err
		}
		return c.fetch(id)
	})
	if c.onWait != nil {
		c.onWait(id)
	}
	select {
	case r := <-ch:
		s, _ := r.Val.(*Schema)
		return s, r.Err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: registry %s: schema %d: %w", ErrRegistryUnavailable, c.name, id, ctx.Err())
	}
}

// lookup answers from the cache; ok is false on a miss.
func (c *Confluent) lookup(id int) (s *Schema, err error, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, hit := c.schemas[id]; hit {
		return e.schema, e.err, true
	}
	if exp, hit := c.notFound[id]; hit {
		if c.now().Before(exp) {
			return nil, c.unknown(id), true
		}
		delete(c.notFound, id)
	}
	return nil, nil, false
}

func (c *Confluent) unknown(id int) error {
	return fmt.Errorf("%w: registry %s has no schema %d", ErrUnknownSchema, c.name, id)
}

// fetch asks the registry for id and its references, compiles the
// schema, and caches what may be cached.
func (c *Confluent) fetch(id int) (*Schema, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.timeout)
	defer cancel()

	var root schemaResponse
	status, err := c.get(ctx, "/schemas/ids/"+strconv.Itoa(id), &root)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNotFound {
		c.rememberNotFound(id)
		return nil, c.unknown(id)
	}
	refs, err := c.references(ctx, root.References)
	if err != nil {
		return nil, err
	}
	s, err := compile(id, root.typ(), root.Schema, refs)
	if err != nil && !errors.Is(err, ErrUnsupportedType) && !errors.Is(err, ErrBadSchema) {
		return nil, err
	}
	if err != nil {
		err = fmt.Errorf("registry %s: schema %d: %w", c.name, id, err)
	}
	c.mu.Lock()
	c.schemas[id] = cached{schema: s, err: err}
	c.mu.Unlock()
	return s, err
}

func (c *Confluent) rememberNotFound(id int) {
	if c.notFoundTTL <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.notFound) >= maxNotFound {
		for k, exp := range c.notFound {
			if !now.Before(exp) {
				delete(c.notFound, k)
			}
		}
		if len(c.notFound) >= maxNotFound {
			return
		}
	}
	c.notFound[id] = now.Add(c.notFoundTTL)
}

// reference is one entry of a schema's references.
type reference struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// schemaResponse is the part of a /schemas/ids or /subjects/.../versions
// answer this client reads.
type schemaResponse struct {
	Schema     string      `json:"schema"`
	SchemaType string      `json:"schemaType"`
	References []reference `json:"references"`
}

func (r *schemaResponse) typ() Type {
	if r.SchemaType == "" {
		return TypeAvro
	}
	return Type(strings.ToUpper(r.SchemaType))
}

// referenced is a schema a root schema references, by the name the root
// uses for it (an Avro full name, a JSON Schema URL, a .proto import
// path).
type referenced struct {
	name   string
	typ    Type
	schema string
}

// references fetches refs and everything they reference, dependencies
// before the schemas that need them, each subject version once.
func (c *Confluent) references(ctx context.Context, refs []reference) ([]referenced, error) {
	var out []referenced
	seen := map[string]bool{}
	var visit func(refs []reference) error
	visit = func(refs []reference) error {
		for _, ref := range refs {
			key := ref.Subject + "\x00" + strconv.Itoa(ref.Version)
			if seen[key] {
				continue
			}
			seen[key] = true
			if len(seen) > maxReferences {
				return fmt.Errorf("%w: registry %s: more than %d references", ErrRegistryUnavailable, c.name, maxReferences)
			}
			var r schemaResponse
			path := "/subjects/" + url.PathEscape(ref.Subject) + "/versions/" + strconv.Itoa(ref.Version)
			status, err := c.get(ctx, path, &r)
			if err != nil {
				return err
			}
			if status == http.StatusNotFound {
				return fmt.Errorf("%w: registry %s: reference %q (subject %q version %d) not found", ErrRegistryUnavailable, c.name, ref.Name, ref.Subject, ref.Version)
			}
			if err := visit(r.References); err != nil {
				return err
			}
			out = append(out, referenced{name: ref.Name, typ: r.typ(), schema: r.Schema})
		}
		return nil
	}
	if err := visit(refs); err != nil {
		return nil, err
	}
	return out, nil
}

// errorResponse is the Confluent API's error body.
type errorResponse struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// get fetches path into v. It returns 200 with v filled, 404 for "not
// found", or an error wrapping ErrRegistryUnavailable.
func (c *Confluent) get(ctx context.Context, path string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+path, nil)
	if err != nil {
		return 0, fmt.Errorf("%w: registry %s: %w", ErrRegistryUnavailable, c.name, err)
	}
	req.Header.Set("Accept", "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json")
	if c.basic {
		req.SetBasicAuth(c.username, c.password)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: registry %s: %w", ErrRegistryUnavailable, c.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, fmt.Errorf("%w: registry %s: GET %s: reading the answer: %w", ErrRegistryUnavailable, c.name, path, err)
	}
	if len(body) > maxBody {
		return 0, fmt.Errorf("%w: registry %s: GET %s: answer larger than %d bytes", ErrRegistryUnavailable, c.name, path, maxBody)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		if err := json.Unmarshal(body, v); err != nil {
			return 0, fmt.Errorf("%w: registry %s: GET %s: %w", ErrRegistryUnavailable, c.name, path, err)
		}
		return http.StatusOK, nil
	case resp.StatusCode == http.StatusNotFound:
		// A Confluent error body with a code other than "not found" (a
		// subject that does not exist, say) means the same for a fetch
		// by id; a 404 without one is a server that has no such path,
		// most likely a wrong endpoint, which is no answer about the id.
		var e errorResponse
		if json.Unmarshal(body, &e) == nil && e.ErrorCode/100 == 404 {
			return http.StatusNotFound, nil
		}
		return 0, fmt.Errorf("%w: registry %s: GET %s: 404 without a schema registry error body (is the endpoint right?)", ErrRegistryUnavailable, c.name, path)
	default:
		var e errorResponse
		msg := http.StatusText(resp.StatusCode)
		if json.Unmarshal(body, &e) == nil && e.Message != "" {
			msg = e.Message
		}
		return 0, fmt.Errorf("%w: registry %s: GET %s: %d %s", ErrRegistryUnavailable, c.name, path, resp.StatusCode, msg)
	}
}
