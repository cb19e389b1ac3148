// Wire helpers of the isolation suite: a side (a way into the cluster, a
// tenant's gateway listener or the backend directly) with kgo clients
// pinned to one version of one key, coordinator lookups, raw frames for
// keys a gateway does not advertise (kgo refuses to send those), and record
// batches built by hand.

package realkafka

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// side is one way into the cluster.
type side struct {
	t    *testing.T
	name string
	boot string
	// cl is a general client; it routes and shards requests itself.
	cl *kgo.Client
	// adv is what the side answers to ApiVersions.
	adv *kmsg.ApiVersionsResponse

	// onSend, when set, sees every request sent with send.
	onSend func(kmsg.Request)

	mu     sync.Mutex
	pinned map[[2]int16]*kgo.Client
	coords map[string]int32
}

func newSide(t *testing.T, name, boot string) *side {
	t.Helper()
	s := &side{t: t, name: name, boot: boot, pinned: map[[2]int16]*kgo.Client{}, coords: map[string]int32{}}
	s.cl = client(t, boot)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var err error
	for {
		req := kmsg.NewPtrApiVersionsRequest()
		req.ClientSoftwareName, req.ClientSoftwareVersion = "strait-isolation", "1"
		if s.adv, err = req.RequestWith(ctx, s.cl); err == nil {
			if err = kerrFor(s.adv.ErrorCode); err == nil {
				break
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("%s: ApiVersions: %v", name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Cleanup(s.closePinned)
	return s
}

// versions returns the advertised range of key; ok is false when the key
// is not advertised.
func (s *side) versions(key int16) (min, max int16, ok bool) {
	for _, k := range s.adv.ApiKeys {
		if k.ApiKey == key {
			return k.MinVersion, k.MaxVersion, true
		}
	}
	return -1, -1, false
}

// pin returns a client that sends key at version v (kgo otherwise picks the
// highest version both ends know).
func (s *side) pin(key, v int16) *kgo.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cl := s.pinned[[2]int16{key, v}]; cl != nil {
		return cl
	}
	vs := kversion.FromApiVersionsResponse(s.adv)
	vs.SetMaxKeyVersion(key, v)
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.boot), kgo.MaxVersions(vs), kgo.ClientID("strait-isolation"),
		kgo.RequestRetries(0), kgo.MetadataMinAge(250*time.Millisecond))
	if err != nil {
		s.t.Fatal(err)
	}
	s.pinned[[2]int16{key, v}] = cl
	return cl
}

// closePinned closes the pinned clients (they hold a connection per broker).
func (s *side) closePinned() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, cl := range s.pinned {
		cl.Close()
		delete(s.pinned, k)
	}
}

// send sends req at its version to broker, unsharded and without retries.
func (s *side) send(ctx context.Context, broker int32, req kmsg.Request) (kmsg.Response, error) {
	if s.onSend != nil {
		s.onSend(req)
	}
	cl := s.pin(req.Key(), req.GetVersion())
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v := req.GetVersion()
	resp, err := cl.Broker(int(broker)).Request(ctx, req)
	if err == nil && req.GetVersion() != v {
		return resp, fmt.Errorf("harness: kgo sent v%d instead of v%d", req.GetVersion(), v)
	}
	return resp, err
}

// coordinator returns the coordinator of key (type 0 group, 1 transaction)
// as the side names it, or -1.
func (s *side) coordinator(ctx context.Context, typ int8, key string) int32 {
	ck := fmt.Sprintf("%d/%s", typ, key)
	s.mu.Lock()
	id, ok := s.coords[ck]
	s.mu.Unlock()
	if ok {
		return id
	}
	id = -1
	for try := 0; try < 20 && id < 0; try++ {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorType = typ
		req.CoordinatorKey = key
		req.CoordinatorKeys = []string{key}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		resp, err := req.RequestWith(rctx, s.cl)
		cancel()
		if err == nil {
			switch {
			case len(resp.Coordinators) == 1 && resp.Coordinators[0].ErrorCode == 0:
				id = resp.Coordinators[0].NodeID
			case len(resp.Coordinators) == 0 && resp.ErrorCode == 0 && resp.NodeID >= 0:
				id = resp.NodeID
			}
		}
		if id < 0 {
			time.Sleep(150 * time.Millisecond)
		}
	}
	if id >= 0 {
		s.mu.Lock()
		s.coords[ck] = id
		s.mu.Unlock()
	}
	return id
}

// rawResult is what a raw request got back.
type rawResult struct {
	resp   kmsg.Response
	closed bool // the connection closed before a response came
	err    error
}

// rawRequest sends req in a frame of its own on a new connection to addr
// and reads one response.
func rawRequest(addr string, req kmsg.Request, timeout time.Duration) rawResult {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return rawResult{err: err}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	flexible := req.IsFlexible()
	var hdr []byte
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(req.Key()))
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(req.GetVersion()))
	hdr = binary.BigEndian.AppendUint32(hdr, 4242)
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(len("strait-isolation")))
	hdr = append(hdr, "strait-isolation"...)
	if flexible && req.Key() != 18 {
		hdr = append(hdr, 0)
	}
	body := req.AppendTo(nil)
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(hdr)+len(body)))
	frame = append(append(frame, hdr...), body...)
	if _, err := conn.Write(frame); err != nil {
		return rawResult{closed: closedErr(err), err: err}
	}
	var size [4]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		if closedErr(err) {
			return rawResult{closed: true}
		}
		return rawResult{err: err}
	}
	buf := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(conn, buf); err != nil {
		return rawResult{err: err}
	}
	off := 4
	if flexible && req.Key() != 18 {
		off++ // an empty tag section
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if len(buf) < off {
		return rawResult{err: errors.New("short response")}
	}
	if err := resp.ReadFrom(buf[off:]); err != nil {
		return rawResult{resp: resp, err: fmt.Errorf("decoding the response: %w", err)}
	}
	return rawResult{resp: resp}
}

func closedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordBatch encodes values as one uncompressed v2 record batch. With
// txn set the batch is transactional.
func recordBatch(pid int64, epoch int16, seq int32, txn bool, values ...string) []byte {
	var recs []byte
	for i, v := range values {
		r := kmsg.Record{OffsetDelta: int32(i), Value: []byte(v)}
		r.Length = int32(len(r.AppendTo(nil)) - 1) // the body after a one-byte varint 0
		recs = r.AppendTo(recs)
	}
	now := time.Now().UnixMilli()
	b := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, LastOffsetDelta: int32(len(values) - 1),
		FirstTimestamp: now, MaxTimestamp: now, ProducerID: pid, ProducerEpoch: epoch,
		FirstSequence: seq, NumRecords: int32(len(values)), Records: recs,
	}
	if txn {
		b.Attributes |= 0x10
	}
	raw := b.AppendTo(nil)
	binary.BigEndian.PutUint32(raw[8:], uint32(len(raw)-12))
	binary.BigEndian.PutUint32(raw[17:], crc32.Checksum(raw[21:], castagnoli))
	return raw
}

// rawExchange writes req (expected to get no answer, like a Produce with
// acks=0) and an ApiVersions request on one new connection and says what
// came back first: "ApiVersions answer", "answer to the first request" or
// "closed".
func rawExchange(addr string, req kmsg.Request, timeout time.Duration) string {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	frame := func(r kmsg.Request, corr uint32) []byte {
		var hdr []byte
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(r.Key()))
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(r.GetVersion()))
		hdr = binary.BigEndian.AppendUint32(hdr, corr)
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(len("strait-isolation")))
		hdr = append(hdr, "strait-isolation"...)
		if r.IsFlexible() && r.Key() != 18 {
			hdr = append(hdr, 0)
		}
		body := r.AppendTo(nil)
		out := binary.BigEndian.AppendUint32(nil, uint32(len(hdr)+len(body)))
		return append(append(out, hdr...), body...)
	}
	av := kmsg.NewPtrApiVersionsRequest() // v0
	if _, err := conn.Write(append(frame(req, 1), frame(av, 2)...)); err != nil {
		return "closed"
	}
	var head [8]byte
	if _, err := io.ReadFull(conn, head[:]); err != nil {
		if closedErr(err) {
			return "closed"
		}
		return "no answer: " + err.Error()
	}
	switch binary.BigEndian.Uint32(head[4:]) {
	case 2:
		return "ApiVersions answer"
	case 1:
		return "answer to the first request"
	}
	return "answer with an unknown correlation id"
}
