// Response rewriting: every response that names a broker is given the
// gateway's address for that broker instead of the backend's.

package protocol

import (
	"encoding/binary"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Advertiser maps a backend broker id to the address clients must use for
// it. ok is false when the gateway cannot serve that broker; the broker is
// then left out of the response.
type Advertiser interface {
	Advertise(nodeID int32) (host string, port int32, ok bool)
}

// rewriter rewrites one decoded response in place and reports whether it
// changed anything.
type rewriter func(resp kmsg.Response, adv Advertiser) bool

// rewriters holds, per API key, the rewrite and the first version that needs
// it.
var rewriters = map[int16]struct {
	since int16
	fn    rewriter
}{
	int16(kmsg.Produce):          {10, rewriteProduce},
	int16(kmsg.Fetch):            {16, rewriteFetch},
	int16(kmsg.Metadata):         {0, rewriteMetadata},
	int16(kmsg.FindCoordinator):  {0, rewriteFindCoordinator},
	int16(kmsg.ApiVersions):      {0, nil}, // ApiVersions: see RewriteResponse
	int16(kmsg.DescribeCluster):  {0, rewriteDescribeCluster},
	int16(kmsg.ShareFetch):       {0, rewriteShareFetch},
	int16(kmsg.ShareAcknowledge): {0, rewriteShareAcknowledge},
}

// RewritesResponse reports whether responses to key at version must be
// decoded by the gateway. All other responses are forwarded as raw bytes.
func RewritesResponse(key, version int16) bool {
	r, ok := rewriters[key]
	return ok && version >= r.since
}

// RewriteResponse decodes body, a response body without its header, and
// rewrites it for clients. If anything changed it appends the new body to
// dst and returns it with changed true; otherwise dst is returned as is and
// the caller forwards body unchanged. body may be aliased by the decoded
// response only during the call.
func (v *Versions) RewriteResponse(dst []byte, key, version int16, body []byte, adv Advertiser) (out []byte, changed bool, err error) {
	if key == int16(kmsg.ApiVersions) {
		return v.rewriteAPIVersions(dst, version, body)
	}
	r, ok := rewriters[key]
	if !ok || version < r.since {
		return dst, false, nil
	}
	if key == int16(kmsg.Produce) && !produceNamesBrokers(version, body) {
		return dst, false, nil
	}
	resp := kmsg.ResponseForKey(key)
	resp.SetVersion(version)
	if err := resp.(kmsg.UnsafeReadFrom).UnsafeReadFrom(body); err != nil {
		return dst, false, fmt.Errorf("%w: decoding %s v%d response: %v", ErrMalformed, kmsg.NameForKey(key), version, err)
	}
	if !r.fn(resp, adv) {
		return dst, false, nil
	}
	return resp.AppendTo(dst), true, nil
}

// RewriteDecoded rewrites the brokers named in a decoded response, for
// callers that decode it anyway. It reports whether anything changed.
func RewriteDecoded(resp kmsg.Response, adv Advertiser) bool {
	r, ok := rewriters[resp.Key()]
	if !ok || r.fn == nil || resp.GetVersion() < r.since {
		return false
	}
	return r.fn(resp, adv)
}

// IsUnsupportedVersion reports whether an ApiVersions response body
// starts with UNSUPPORTED_VERSION: the body is then v0, whatever the
// request's version, and the client retries.
func IsUnsupportedVersion(body []byte) bool {
	return len(body) >= 2 && int16(binary.BigEndian.Uint16(body)) == kerr.UnsupportedVersion.Code
}

// rewriteAPIVersions narrows the backend's versions to the gateway's. A
// backend that did not support the request's version answers with a v0 body
// and UNSUPPORTED_VERSION, whatever the request's version was.
func (v *Versions) rewriteAPIVersions(dst []byte, version int16, body []byte) ([]byte, bool, error) {
	if IsUnsupportedVersion(body) {
		version = 0
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = version
	if err := resp.ReadFrom(body); err != nil {
		return dst, false, fmt.Errorf("%w: decoding ApiVersions v%d response: %v", ErrMalformed, version, err)
	}
	v.IntersectAPIVersions(resp)
	return resp.AppendTo(dst), true, nil
}

// UnsupportedAPIVersions builds the body the gateway answers an ApiVersions
// request with when the request's version is above what it serves: a v0
// body with UNSUPPORTED_VERSION that tells the client which ApiVersions
// versions to retry with, as a broker does.
func (v *Versions) UnsupportedAPIVersions(dst []byte) []byte {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 0
	resp.ErrorCode = kerr.UnsupportedVersion.Code
	k := kmsg.NewApiVersionsResponseApiKey()
	k.ApiKey = int16(kmsg.ApiVersions)
	k.MaxVersion = v.Max(k.ApiKey)
	resp.ApiKeys = append(resp.ApiKeys, k)
	return resp.AppendTo(dst)
}

// RewriteAPIVersionsRequest prepares an ApiVersions v5 request for the
// backend. KIP-1242 lets the client name the cluster and node it believes
// it reached; on a bootstrap connection the gateway picks the backend
// broker, so the claim is cleared rather than answered with
// REBOOTSTRAP_REQUIRED. It returns the new body and whether it changed.
func RewriteAPIVersionsRequest(dst []byte, version int16, body []byte, bootstrap bool) ([]byte, bool, error) {
	if version < 5 || !bootstrap {
		return dst, false, nil
	}
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = version
	if err := req.ReadFrom(body); err != nil {
		return dst, false, fmt.Errorf("%w: decoding ApiVersions v%d request: %v", ErrMalformed, version, err)
	}
	if req.ClusterID == nil && req.NodeID == -1 {
		return dst, false, nil
	}
	req.ClusterID = nil
	req.NodeID = -1
	return req.AppendTo(dst), true, nil
}
