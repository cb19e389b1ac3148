// Package session serves one client connection: it reads the client's
// frames, forwards them to the backend broker the connection is bound to,
// and writes the backend's responses back in request order, rewriting the
// few that name brokers. Frame bodies that need no rewrite are not copied
// through user space on TCP: they are spliced from socket to socket.
package session

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/auth"
	"github.com/strait-gw/strait/internal/backend"
	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/protocol"
)

// bufSize is the read buffer per direction. Frames up to this size are
// read with one system call and written with one; the rest of a larger
// frame is spliced.
const bufSize = 64 << 10

// maxInflight bounds pipelined requests per connection.
const maxInflight = 512

// Observer receives a session's events. Implementations must be cheap and
// safe for concurrent use; a nil Observer is replaced by a no-op.
type Observer interface {
	ConnOpened()
	ConnClosed()
	// Request is called for each request read, Response for each response
	// written, with the time since the request was read.
	Request(key int16, bytes int)
	Response(key int16, bytes int, d time.Duration)
	// Error counts a request that failed in the gateway.
	Error(key int16)
}

// Config is what a session needs. It is shared by all sessions of a
// listener port and must not be modified while they run.
type Config struct {
	Log *slog.Logger
	// MaxFrame caps frames in both directions.
	MaxFrame int32
	// Drain is how long in-flight requests may finish when the session's
	// context ends or the client closes its side.
	Drain time.Duration
	// Bootstrap tells whether the client came through the bootstrap port.
	Bootstrap bool
	// Dial connects to the backend broker this session is bound to,
	// authenticating as the backend cluster's config says (mode
	// backend.Authenticate) or not at all, for clients whose own SASL
	// exchange goes to the broker (backend.Passthrough).
	Dial func(ctx context.Context, mode backend.Mode) (net.Conn, backend.Auth, error)
	// FirstRequestTimeout closes a connection that sends no request within
	// it of being accepted; 0 waits forever.
	FirstRequestTimeout time.Duration
	// BackendMode is the mode sessions dial with.
	BackendMode backend.Mode
	// Reauth starts re-authenticating a backend connection whose SASL
	// session is about to end (KIP-368). May be nil when the backend
	// cluster has no SASL authentication.
	Reauth func(ctx context.Context, a backend.Auth) (*backend.SASLExchange, error)
	// Advertiser maps broker ids in responses to gateway addresses.
	Advertiser protocol.Advertiser
	// Versions are the API versions served; nil means protocol.Default.
	Versions *protocol.Versions
	// Principal is the client's identity from its TLS certificate, if
	// any; it is what ACLs and policies see.
	Principal string
	Observer  Observer
	// VirtualCluster is the name of the virtual cluster the session is
	// bound to.
	VirtualCluster string
	// Chain is the virtual cluster's policy chain; nil or empty when it
	// has none. Requests of keys it does not want are spliced untouched.
	Chain *policy.Chain
	// BackendVersions returns the versions the backend advertises (-1 for
	// keys it does not), or nil while unknown; requests beyond them are
	// refused until the client has asked ApiVersions itself. May be nil.
	BackendVersions func() *[protocol.MaxKey]int16
	// Auth authenticates clients; nil lets every client in with its
	// certificate's identity or none (SASL requests then go to the
	// backend untouched).
	Auth Authenticator
}

// inflight is a request awaiting its response.
type inflight struct {
	key, version int16
	corr         int32
	start        time.Time
	// local is a whole response frame made by the gateway; no backend
	// response is read for it.
	local []byte
	// x is the request's exchange when a policy must see the response.
	x *policy.Exchange
	// closeAfter ends the session once local is written.
	closeAfter bool
	// pass is the passthrough SASL exchange this SaslAuthenticate belongs
	// to, final whether it carries the client's last token, and mech the
	// mechanism: the response says whether the backend accepted it.
	pass  auth.Exchange
	final bool
	mech  string
	// internal receives the body of the response to a request the gateway
	// sent itself; the client never sees it.
	internal chan []byte
}

type session struct {
	cfg      *Config
	log      *slog.Logger
	obs      Observer
	client   net.Conn
	backend  net.Conn
	cr, br   *reader
	fifo     *queue
	respDone chan struct{}
	draining atomic.Bool
	// pending counts requests queued and not yet answered: awaitIdle
	// waits for it to reach zero.
	pending  atomic.Int32
	versions *protocol.Versions
	// ctx is the session's context; conn is what policies see of the
	// connection.
	ctx  context.Context
	conn *policy.Conn
	auth authState
	// advertised is the highest version of each key the client was told
	// of, once it asked (set by the response loop, read by the request
	// loop); keys at -1 were not advertised.
	advertised atomic.Pointer[[protocol.MaxKey]int16]
	// watcher is the idle watcher (nil where there is none) and watch the
	// backend's registration with it; parks is cleared if the watcher
	// refuses the backend. The response loop alone uses them.
	watcher *watcher
	watch   watch
	parks   bool
	// bauth is the backend connection's SASL session, owned by the
	// request loop; internalCorr numbers the gateway's own requests.
	bauth        backend.Auth
	internalCorr int32
	// bmu guards backend against drain and close from other goroutines
	// while the request loop dials it, and its deadlines; closed is set
	// once the session ends, drainEnd once it drains. backendUp tells the
	// response loop the backend exists.
	bmu       sync.Mutex
	closed    bool
	drainEnd  time.Time
	backendUp atomic.Bool
	// started is set once the first request has been read.
	started bool
}

// errDrained ends the request loop when the session drains.
var errDrained = errors.New("draining")

// Serve runs one client connection until it ends. When ctx ends, the
// session stops reading requests, lets in-flight ones finish for
// cfg.Drain, and closes. Serve closes client.
func Serve(ctx context.Context, client net.Conn, cfg *Config) {
	obs := cfg.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	log := cfg.Log.With("client", client.RemoteAddr().String())
	obs.ConnOpened()
	defer obs.ConnClosed()
	defer client.Close()

	if tc, ok := client.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}

	// The backend is dialed when the first request that needs it arrives
	// (ensureBackend): a connection that only asks ApiVersions, or is
	// refused before it authenticates, never costs a backend connection.
	s := &session{
		cfg: cfg, log: log, obs: obs, client: client,
		cr:       newReader(client),
		respDone: make(chan struct{}),
		versions: cfg.Versions,
		ctx:      ctx,
		watcher:  idleWatcher(),
		parks:    true,
	}
	// The response loop runs only while there is something to answer or
	// to watch: the first request starts it (see next).
	s.fifo = newQueue(func() { go s.responseLoop() })
	// Where the idle watcher cannot watch the backend, the response loop
	// waits for it when nothing is in flight; a response the gateway makes
	// itself wakes it.
	s.fifo.wake = func() { _ = s.backend.SetReadDeadline(time.Now()) }
	if cfg.Chain.Len() > 0 || cfg.Auth != nil {
		id := policy.Auth{Type: "anonymous"}
		if cfg.Principal != "" {
			id = policy.Auth{Type: "client_certificate", Principal: cfg.Principal}
		}
		s.conn = &policy.Conn{VirtualCluster: cfg.VirtualCluster, Log: log}
		s.conn.SetAuth(id)
		s.auth.passed = make(chan auth.Result, 1)
	}
	if s.versions == nil {
		s.versions = protocol.Default
	}
	stop := context.AfterFunc(ctx, s.drain)
	defer stop()

	err := s.requests()
	s.cr.Close()
	// Closing the queue starts the response loop if it parked, or wakes
	// it if it waits for the backend with nothing in flight: it ends once
	// the responses in flight are written.
	s.fifo.close()
	switch {
	case errors.Is(err, errDrained), errors.Is(err, io.EOF), errors.Is(err, os.ErrDeadlineExceeded) && s.draining.Load():
		// Clean end: let in-flight responses finish.
		s.drain()
	case err != nil:
		s.logEnd("request", err)
		client.Close()
		s.closeBackend()
	}
	<-s.respDone
	s.closeBackend()
	if s.conn != nil {
		s.conn.Close()
	}
}

// preAuthMaxFrame caps frames before a client has authenticated (or, with
// no authentication, before its first request), as Kafka's
// sasl.server.max.receive.size: a client nobody knows yet cannot make the
// gateway buffer 100 MiB.
const preAuthMaxFrame = 512 << 10

// frameCap is the largest frame the session reads next.
func (s *session) frameCap() int32 {
	trusted := s.started
	if s.cfg.Auth != nil {
		trusted = s.auth.authed
	}
	if !trusted && s.cfg.MaxFrame > preAuthMaxFrame {
		return preAuthMaxFrame
	}
	return s.cfg.MaxFrame
}

// errNoFirstRequest ends a session whose client sent nothing within
// FirstRequestTimeout.
var errNoFirstRequest = errors.New("no request within the first request timeout")

// errBackendUnreachable ends a session whose backend could not be dialed;
// ensureBackend has logged why.
var errBackendUnreachable = errors.New("backend unreachable")

// ensureBackend dials the backend unless the session has done so. Only the
// request loop calls it; it sets backend and br before any request that
// needs them is queued, so the response loop sees them through the queue.
func (s *session) ensureBackend() error {
	if s.backend != nil {
		return nil
	}
	// The dial (name resolution, TLS, SASL) runs on a goroutine of its
	// own: its deep stack is freed when it ends rather than kept by the
	// request loop for the life of the connection.
	type dialed struct {
		conn  net.Conn
		bauth backend.Auth
		err   error
	}
	ch := make(chan dialed, 1)
	go func() {
		dctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		var d dialed
		d.conn, d.bauth, d.err = s.cfg.Dial(dctx, s.cfg.BackendMode)
		ch <- d
	}()
	d := <-ch
	conn, bauth, err := d.conn, d.bauth, d.err
	if err != nil {
		s.log.Warn("closing client: backend unreachable", "err", err)
		return errBackendUnreachable
	}
	s.bmu.Lock()
	if s.closed {
		s.bmu.Unlock()
		conn.Close()
		return net.ErrClosed
	}
	s.backend, s.br, s.bauth = conn, newReader(conn), bauth
	if s.draining.Load() {
		_ = conn.SetDeadline(s.drainEnd)
	}
	s.bmu.Unlock()
	s.backendUp.Store(true)
	s.log.Debug("backend connected", "backend", conn.RemoteAddr().String())
	return nil
}

// closeBackend closes the backend connection, if any, and keeps a later
// ensureBackend from opening one.
func (s *session) closeBackend() {
	s.bmu.Lock()
	defer s.bmu.Unlock()
	s.closed = true
	if s.backend != nil {
		s.backend.Close()
	}
}

// drain stops reading requests and bounds the wait for responses.
func (s *session) drain() {
	if s.draining.Swap(true) {
		return
	}
	end := time.Now().Add(s.cfg.Drain)
	_ = s.client.SetReadDeadline(time.Now())
	_ = s.client.SetWriteDeadline(end)
	s.bmu.Lock()
	s.drainEnd = end
	if s.backend != nil {
		_ = s.backend.SetDeadline(end)
	}
	s.bmu.Unlock()
}

// logEnd logs why a session ended. Client misbehaviour is logged at debug
// (a client must not be able to flood the log); backend failures other
// than an orderly close are logged at warn.
func (s *session) logEnd(side string, err error) {
	var op *net.OpError
	switch {
	case errors.Is(err, net.ErrClosed), errors.Is(err, io.EOF), errors.Is(err, errAuthClosed), side == "request",
		errors.As(err, &op) && op.Addr != nil && op.Addr.String() == s.client.RemoteAddr().String():
		s.log.Debug("closing connection", "side", side, "err", err)
	default:
		s.log.Warn("closing connection: backend failed", "err", err)
	}
}

// peekFrame returns the start of the next frame, size prefix included: the
// whole frame if it fits in the buffer, else as much as the buffer holds.
// The bytes stay valid until the reader is used again.
func peekFrame(r *reader, maxFrame int32) (p []byte, size int, err error) {
	p, err = r.Peek(4)
	if err != nil {
		return nil, 0, err
	}
	n := int32(binary.BigEndian.Uint32(p))
	if n < 0 || n > maxFrame {
		return nil, 0, fmt.Errorf("%w: frame of %d bytes exceeds the limit of %d", protocol.ErrMalformed, n, maxFrame)
	}
	size = 4 + int(n)
	p, err = r.Peek(min(size, r.Size()))
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, err
	}
	return p, size, nil
}

// framePool holds buffers for frames larger than a read buffer that the
// gateway must decode whole (Fetch v16+ responses, mostly).
var framePool sync.Pool

// getFrameBuf returns a pooled buffer of length size.
func getFrameBuf(size int) *[]byte {
	b, ok := framePool.Get().(*[]byte)
	if !ok {
		b = new([]byte)
	}
	if cap(*b) < size {
		*b = make([]byte, policy.SizeClass(size))
	}
	*b = (*b)[:size]
	return b
}

// putFrameBuf returns a buffer from readFrame to the pool; nil is ignored.
func putFrameBuf(b *[]byte) {
	if b != nil && cap(*b) <= policy.MaxPooledBuffer {
		framePool.Put(b)
	}
}

// readFrame returns a whole frame of size bytes whose start p is buffered
// in r. A frame larger than the buffer is read into a pooled buffer,
// returned as pooled for putFrameBuf once the frame is written; a frame
// that fits stays in r, and the caller discards it after use.
func readFrame(r *reader, p []byte, size int) (frame []byte, pooled *[]byte, err error) {
	if len(p) == size {
		return p, nil, nil
	}
	pooled = getFrameBuf(size)
	buf := *pooled
	n := copy(buf, p)
	if _, err := r.Discard(n); err != nil {
		return nil, pooled, err
	}
	if _, err := io.ReadFull(r, buf[n:]); err != nil {
		return nil, pooled, err
	}
	return buf, pooled, nil
}

// forward writes the frame whose first len(p) bytes are buffered in r and
// moves the rest from src to dst by splicing.
func forward(dst io.Writer, r *reader, src net.Conn, p []byte, size int) error {
	if _, err := dst.Write(p); err != nil {
		return err
	}
	if _, err := r.Discard(len(p)); err != nil {
		return err
	}
	rest := int64(size - len(p))
	if rest <= 0 {
		return nil
	}
	_, dstTCP := dst.(*net.TCPConn)
	_, srcTCP := src.(*net.TCPConn)
	if dstTCP && srcTCP {
		_, err := io.CopyN(dst, src, rest) // splice(2)
		return err
	}
	// TLS on either side: copy through a pooled buffer.
	buf := copyPool.Get().(*[]byte)
	defer copyPool.Put(buf)
	_, err := io.CopyBuffer(writerOnly{dst}, io.LimitReader(src, rest), *buf)
	return err
}

// copyPool holds buffers for copies that cannot be spliced.
var copyPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// writerOnly hides a writer's ReadFrom so io.CopyBuffer uses the buffer.
type writerOnly struct{ io.Writer }

// requests reads client frames and forwards them until an error. It
// waits for each request in this shallow frame, before request's deep
// one is entered: an idle connection's goroutine keeps a small stack.
func (s *session) requests() error {
	for {
		if s.draining.Load() {
			return errDrained
		}
		if !s.started && s.cfg.FirstRequestTimeout > 0 {
			_ = s.client.SetReadDeadline(time.Now().Add(s.cfg.FirstRequestTimeout))
		}
		var err error
		if s.cr.Buffered() == 0 {
			_, err = s.cr.Peek(1)
		}
		if err == nil {
			err = s.request()
		}
		if err != nil {
			if !s.started && errors.Is(err, os.ErrDeadlineExceeded) && !s.draining.Load() {
				return errNoFirstRequest
			}
			return err
		}
	}
}

// request reads one client frame and forwards it, or answers it.
func (s *session) request() error {
	p, size, err := peekFrame(s.cr, s.frameCap())
	if err != nil {
		return err
	}
	if !s.started {
		s.started = true
		if s.cfg.FirstRequestTimeout > 0 {
			_ = s.client.SetReadDeadline(time.Time{})
		}
	}
	h, err := s.versions.ParseRequestHeader(p[4:])
	if err != nil {
		if len(p) < size && errors.Is(err, protocol.ErrShortHeader) {
			err = fmt.Errorf("%w: request header longer than %d bytes", protocol.ErrMalformed, len(p))
		}
		if h.Key >= 0 && h.Key < protocol.MaxKey {
			s.obs.Error(h.Key)
		}
		return err
	}
	adv := s.advertised.Load()
	if adv == nil && s.cfg.BackendVersions != nil {
		adv = s.cfg.BackendVersions()
	}
	if adv != nil && h.Key != kmsg.ApiVersions.Int16() && h.Version > adv[h.Key] {
		s.obs.Error(h.Key)
		return fmt.Errorf("%w %s v%d: not advertised to this client", protocol.ErrUnsupportedVersion, kmsg.NameForKey(h.Key), h.Version)
	}
	s.obs.Request(h.Key, size)
	if !s.bauth.ReauthAt.IsZero() && s.bauth.NeedsReauth(time.Now().Add(reauthLead(s.bauth.Lifetime))) {
		// The broker reads a request only once it has answered
		// the ones before it: a request queued behind a Fetch
		// that waits could reach it after the session ends. Near
		// the end, let what is in flight finish, then log in again.
		if err := s.awaitIdle(); err != nil {
			return err
		}
		if err := s.reauthenticate(); err != nil {
			return err
		}
	}
	e := inflight{key: h.Key, version: h.Version, corr: h.CorrelationID, start: time.Now()}
	if s.cfg.Auth != nil {
		handled, err := s.authenticate(h, e, p, size)
		if err != nil {
			return err
		}
		if handled {
			return nil
		}
	}
	if s.cfg.Chain.Wants(h.Key) {
		if err := s.filterRequest(h, e, p, size); err != nil {
			return err
		}
		return nil
	}
	respond := true
	switch h.Key {
	case int16(kmsg.Produce): // acks=0 has no response
		acks, err := protocol.ProduceAcks(p[4+h.Len:], h.Version)
		if err != nil {
			return err
		}
		respond = acks != 0
	case int16(kmsg.ApiVersions):
		if h.Version > s.versions.Max(h.Key) {
			e.local = s.localResponse(h, s.versions.UnsupportedAPIVersions(nil))
			if _, err := s.cr.Discard(size); err != nil {
				return err
			}
			if err := s.push(e); err != nil {
				return err
			}
			return nil
		}
		if err := s.forwardAPIVersions(h, e, p, size); err != nil {
			return err
		}
		return nil
	}
	if err := s.ensureBackend(); err != nil {
		return err
	}
	if respond {
		if err := s.push(e); err != nil {
			return err
		}
	}
	if err := forward(s.backend, s.cr, s.client, p, size); err != nil {
		return err
	}
	return nil
}

// forwardAPIVersions forwards an ApiVersions request, clearing a v5
// request's cluster and node claim on bootstrap connections.
func (s *session) forwardAPIVersions(h protocol.RequestHeader, e inflight, p []byte, size int) error {
	if err := s.ensureBackend(); err != nil {
		return err
	}
	frame, pooled, err := readFrame(s.cr, p, size)
	defer putFrameBuf(pooled)
	if err != nil {
		return err
	}
	body, changed, err := protocol.RewriteAPIVersionsRequest(nil, h.Version, frame[4+h.Len:], s.cfg.Bootstrap)
	if err != nil {
		return err
	}
	if changed {
		frame = withSize(append(append([]byte(nil), frame[:4+h.Len]...), body...))
	}
	if err := s.push(e); err != nil {
		return err
	}
	if _, err := s.backend.Write(frame); err != nil {
		return err
	}
	if len(p) == size {
		_, err = s.cr.Discard(size)
	}
	return err
}

func (s *session) push(e inflight) error {
	s.pending.Add(1)
	return s.fifo.push(e, s.respDone)
}

// localResponse frames a response body the gateway makes itself.
func (s *session) localResponse(h protocol.RequestHeader, body []byte) []byte {
	frame := make([]byte, 4, 9+len(body))
	frame = protocol.AppendResponseHeader(frame, h.Key, h.Version, h.CorrelationID)
	return withSize(append(frame, body...))
}

// withSize fills in the size prefix of frame.
func withSize(frame []byte) []byte {
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	return frame
}

// responseLoop runs the response loop on a goroutine of its own until the
// loop parks or the session ends, and then ends the connection.
func (s *session) responseLoop() {
	err := s.responses()
	if err == errParked {
		return
	}
	if err != nil && !s.draining.Load() {
		s.logEnd("backend", err)
	}
	// Unblock the request loop if it is still reading.
	s.client.Close()
	s.closeBackend()
	if s.br != nil {
		s.br.Close()
	}
	if s.watcher != nil {
		s.watcher.forget(&s.watch)
	}
	close(s.respDone)
}

// errParked ends the goroutine of a response loop that parked.
var errParked = errors.New("response loop parked")

// responses writes a response for each in-flight request, in order.
func (s *session) responses() error {
	for {
		e, ok, err := s.next()
		if !ok {
			return err
		}
		if e.local != nil {
			if _, err := s.client.Write(e.local); err != nil {
				return err
			}
			s.pending.Add(-1)
			s.obs.Response(e.key, len(e.local), time.Since(e.start))
			if e.closeAfter {
				return errAuthClosed
			}
			continue
		}
		p, size, err := peekFrame(s.br, s.cfg.MaxFrame)
		if err != nil {
			s.obs.Error(e.key)
			return fmt.Errorf("reading %s response: %w", kmsg.NameForKey(e.key), err)
		}
		if len(p) < 8 {
			return fmt.Errorf("%w: response of %d bytes", protocol.ErrMalformed, size)
		}
		if corr := int32(binary.BigEndian.Uint32(p[4:])); corr != e.corr {
			return fmt.Errorf("%w: backend answered correlation id %d, expected %d", protocol.ErrMalformed, corr, e.corr)
		}
		if e.internal != nil {
			err = s.internalResponse(e, p, size)
		} else if e.x != nil {
			err = s.filterResponse(e, p, size)
		} else if e.pass != nil {
			err = s.passthroughResponse(e, p, size)
		} else if protocol.RewritesResponse(e.key, e.version) {
			err = s.rewrite(e, p, size)
		} else {
			err = forward(s.client, s.br, s.backend, p, size)
		}
		if err != nil {
			s.obs.Error(e.key)
			return err
		}
		s.pending.Add(-1)
		s.obs.Response(e.key, size, time.Since(e.start))
	}
}

// parkAfter is how long a response loop with a connected backend waits
// with nothing in flight before it parks. A connection that sends requests
// more often than that keeps its goroutine: parking (an epoll_ctl, a new
// goroutine, the watcher's wake-up) costs it nothing per request.
const parkAfter = 50 * time.Millisecond

// next returns the next in-flight request; ok is false when the session
// is over, or err is errParked when the loop parked.
//
// With nothing in flight the loop waits for the backend, holding no
// buffer, so that a backend that closes the connection (or fails: a TLS
// alert after the handshake, say) closes the client at once rather than at
// its next request; a request answered by the gateway itself, or the end
// of requests, interrupts that wait. After parkAfter of that, the loop
// parks: its goroutine ends, the idle watcher watches the backend for it,
// and the next request, the end of requests or the backend start it
// again. Before the backend is dialed it parks at once. Where the backend
// cannot be watched (TLS, or no epoll), it waits as long as it takes.
func (s *session) next() (e inflight, ok bool, err error) {
	for {
		up := s.backendUp.Load()
		if !up && s.parks {
			e, ok, closed := s.fifo.pop(false)
			switch {
			case ok:
				return e, true, nil
			case closed:
				return e, false, nil
			}
			if s.fifo.park(0) == parkedOK {
				return e, false, errParked
			}
			continue
		}
		e, ok, closed := s.fifo.pop(up)
		switch {
		case ok:
			return e, true, nil
		case closed:
			return e, false, nil
		case !up:
			<-s.fifo.ready
			continue
		}
		watch := s.parks && s.watcher != nil && watchable(s.backend) && s.br.Buffered() == 0 && s.setParkDeadline()
		_, werr := s.br.Peek(1)
		woken := s.fifo.waited()
		if woken || watch {
			s.resetBackendDeadline()
		}
		if woken {
			if werr == nil || errors.Is(werr, os.ErrDeadlineExceeded) {
				continue
			}
		}
		if watch && errors.Is(werr, os.ErrDeadlineExceeded) && !s.draining.Load() {
			if s.park() == parkedOK {
				return e, false, errParked
			}
			continue // a request came, or the backend sent something
		}
		if werr != nil {
			return e, false, fmt.Errorf("backend connection lost: %w", werr)
		}
		// A request is queued before it is written to the backend, so
		// when a response byte arrives its request is in the queue.
		if e, ok, _ = s.fifo.pop(false); ok {
			return e, true, nil
		}
		return e, false, fmt.Errorf("%w: backend sent data with no request in flight", protocol.ErrMalformed)
	}
}

// setParkDeadline bounds the loop's wait for the backend by parkAfter,
// unless the session drains (its deadline stays). A wake-up that came
// before still interrupts the wait.
func (s *session) setParkDeadline() bool {
	s.bmu.Lock()
	defer s.bmu.Unlock()
	if s.draining.Load() {
		return false
	}
	_ = s.backend.SetReadDeadline(time.Now().Add(parkAfter))
	if s.fifo.isWoken() {
		_ = s.backend.SetReadDeadline(time.Now())
	}
	return true
}

// park parks the response loop, having the idle watcher watch the
// backend. It returns parkRead when the backend already has something to
// read (bytes or the end of the connection), parkRetry when a request
// came meanwhile.
func (s *session) park() int {
	if s.fifo.takeReadable() {
		return parkRead
	}
	gen := s.fifo.arm()
	if err := s.watcher.arm(&s.watch, s.backend, gen, s.fifo.backendReady); err != nil {
		// Wait for the backend in the loop from now on.
		s.log.Debug("idle watcher refused the backend connection", "err", err)
		s.parks = false
		return parkRetry
	}
	return s.fifo.park(gen)
}

// resetBackendDeadline undoes the deadline that woke the response loop:
// none, or the drain's.
func (s *session) resetBackendDeadline() {
	s.bmu.Lock()
	defer s.bmu.Unlock()
	var t time.Time
	if s.draining.Load() {
		t = s.drainEnd
	}
	_ = s.backend.SetReadDeadline(t)
}

// rewrite decodes a response that names brokers and writes it rewritten.
func (s *session) rewrite(e inflight, p []byte, size int) error {
	frame, pooled, err := readFrame(s.br, p, size)
	defer putFrameBuf(pooled)
	if err != nil {
		return err
	}
	hl, err := protocol.ResponseHeaderLen(frame[4:], e.key, e.version)
	if err != nil {
		return err
	}
	buf := encodePool.Get().(*[]byte)
	defer putEncodeBuf(buf)
	out := append((*buf)[:0], frame[:4+hl]...)
	out, changed, err := s.versions.RewriteResponse(out, e.key, e.version, frame[4+hl:], s.cfg.Advertiser)
	*buf = out
	if err != nil {
		return err
	}
	if changed {
		frame = withSize(out)
	}
	if e.key == kmsg.ApiVersions.Int16() {
		frame = s.apiVersionsAnswer(e.version, frame, hl)
	}
	if _, err := s.client.Write(frame); err != nil {
		return err
	}
	if len(p) == size {
		_, err = s.br.Discard(size)
	}
	return err
}

// ownsSASL reports whether the gateway itself answers the client's SASL
// requests (terminate), so that their versions are the gateway's, not the
// backend's.
func (s *session) ownsSASL() bool {
	return s.cfg.Auth != nil && s.cfg.BackendMode == backend.Authenticate
}

// apiVersionsAnswer finishes an ApiVersions answer for the client. When
// the gateway answers SASL itself, the answer gives its own versions of
// SaslHandshake and SaslAuthenticate: v0-1 and v0-2, as Kafka advertises
// them (librdkafka starts SASL only when SaslHandshake v0 is in range; the
// gateway then gets v1, and refuses v0 with UNSUPPORTED_VERSION), whatever
// the backend advertises. It also records what the client was told: from
// then on a request outside it closes the connection rather than reach a
// backend that might serve what the gateway does not (a key the backend
// supports without advertising it, say).
func (s *session) apiVersionsAnswer(version int16, frame []byte, hl int) []byte {
	body := frame[4+hl:]
	if protocol.IsUnsupportedVersion(body) {
		return frame // the client retries
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = version
	if err := resp.ReadFrom(body); err != nil || resp.ErrorCode != 0 {
		return frame
	}
	if s.ownsSASL() {
		own := map[int16]int16{
			kmsg.SASLHandshake.Int16():    min(1, s.versions.Max(kmsg.SASLHandshake.Int16())),
			kmsg.SASLAuthenticate.Int16(): min(2, s.versions.Max(kmsg.SASLAuthenticate.Int16())),
		}
		for i := range resp.ApiKeys {
			if max, ok := own[resp.ApiKeys[i].ApiKey]; ok {
				resp.ApiKeys[i].MinVersion, resp.ApiKeys[i].MaxVersion = 0, max
				delete(own, resp.ApiKeys[i].ApiKey)
			}
		}
		for key, max := range own {
			k := kmsg.NewApiVersionsResponseApiKey()
			k.ApiKey, k.MinVersion, k.MaxVersion = key, 0, max
			resp.ApiKeys = append(resp.ApiKeys, k)
		}
		frame = withSize(append(append([]byte(nil), frame[:4+hl]...), resp.AppendTo(nil)...))
	}
	s.advertised.Store(shareAdvertised(protocol.AdvertisedMax(resp)))
	return frame
}

// lastAdvertised is the versions the latest client was told of. Clients of
// one backend are almost all told the same: they share one copy rather
// than keep one each.
var lastAdvertised atomic.Pointer[[protocol.MaxKey]int16]

func shareAdvertised(a *[protocol.MaxKey]int16) *[protocol.MaxKey]int16 {
	if last := lastAdvertised.Load(); last != nil && *last == *a {
		return last
	}
	lastAdvertised.Store(a)
	return a
}

type nopObserver struct{}

func (nopObserver) ConnOpened()                        {}
func (nopObserver) ConnClosed()                        {}
func (nopObserver) Request(int16, int)                 {}
func (nopObserver) Response(int16, int, time.Duration) {}
func (nopObserver) Error(int16)                        {}
