// Request and response headers, read from the front of a frame.

package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Errors returned by the header parsers. All of them are protocol
// violations: the connection that sent the frame is closed.
var (
	ErrShortHeader        = errors.New("request header truncated")
	ErrUnknownKey         = errors.New("unknown api key")
	ErrUnsupportedVersion = errors.New("unsupported api version")
	ErrMalformed          = errors.New("malformed request")
)

// RequestHeader is the part of a request the gateway reads for every frame.
type RequestHeader struct {
	Key           int16
	Version       int16
	CorrelationID int32
	// ClientID aliases the parsed bytes; copy it to keep it.
	ClientID string
	// Len is the header's length in bytes; the body starts there.
	Len int
}

// Flexible reports whether the request uses the flexible header.
func (h *RequestHeader) Flexible() bool { return Flexible(h.Key, h.Version) }

// ParseRequestHeader parses a request header from the start of frame, which
// is a frame without its size prefix, or a prefix of one at least as long as
// the header. Unknown keys, broker-internal keys and versions above what the
// gateway serves are errors, except that ApiVersions at any version parses:
// the gateway answers a too new ApiVersions with UNSUPPORTED_VERSION.
func (v *Versions) ParseRequestHeader(frame []byte) (RequestHeader, error) {
	var h RequestHeader
	if len(frame) < 10 {
		return h, ErrShortHeader
	}
	h.Key = int16(binary.BigEndian.Uint16(frame))
	h.Version = int16(binary.BigEndian.Uint16(frame[2:]))
	h.CorrelationID = int32(binary.BigEndian.Uint32(frame[4:]))
	if h.Key < 0 || h.Key >= MaxKey || flexible[h.Key] == nil {
		return h, fmt.Errorf("%w %d", ErrUnknownKey, h.Key)
	}
	if h.Version < 0 {
		return h, fmt.Errorf("%w %s v%d", ErrUnsupportedVersion, kmsg.NameForKey(h.Key), h.Version)
	}
	if !v.Supported(h.Key, h.Version) && h.Key != int16(kmsg.ApiVersions) {
		return h, fmt.Errorf("%w %s v%d", ErrUnsupportedVersion, kmsg.NameForKey(h.Key), h.Version)
	}
	r := kbin.Reader{Src: frame[8:]}
	if id := r.UnsafeNullableString(); id != nil {
		h.ClientID = *id
	}
	// An ApiVersions above the gateway's maximum may use a header the
	// gateway cannot know; only its key, version and correlation id matter.
	if h.Key == int16(kmsg.ApiVersions) && h.Version > v.Max(h.Key) {
		h.Len = 8 + len(frame[8:]) - len(r.Src)
		return h, nil
	}
	if Flexible(h.Key, h.Version) {
		kmsg.SkipTags(&r)
	}
	if !r.Ok() {
		return h, ErrShortHeader
	}
	h.Len = len(frame) - len(r.Src)
	return h, nil
}

// ProduceAcks reads the acks field from the start of a Produce request
// body. Produce v3+ begins with the transactional id.
func ProduceAcks(body []byte, version int16) (int16, error) {
	r := kbin.Reader{Src: body}
	if version >= 3 {
		if Flexible(0, version) {
			r.UnsafeCompactNullableString()
		} else {
			r.UnsafeNullableString()
		}
	}
	acks := r.Int16()
	if !r.Ok() {
		return 0, fmt.Errorf("%w: produce body too short for acks", ErrMalformed)
	}
	return acks, nil
}

// ResponseHeaderLen is the length of a response header: the correlation id
// and, for flexible responses, the tag section. It reports an error if the
// tag section is malformed.
func ResponseHeaderLen(frame []byte, key, version int16) (int, error) {
	if len(frame) < 4 {
		return 0, fmt.Errorf("%w: response shorter than its header", ErrMalformed)
	}
	if !ResponseFlexible(key, version) {
		return 4, nil
	}
	r := kbin.Reader{Src: frame[4:]}
	kmsg.SkipTags(&r)
	if !r.Ok() {
		return 0, fmt.Errorf("%w: response header tags", ErrMalformed)
	}
	return len(frame) - len(r.Src), nil
}

// AppendResponseHeader appends a response header with no tags.
func AppendResponseHeader(dst []byte, key, version int16, correlationID int32) []byte {
	dst = kbin.AppendInt32(dst, correlationID)
	if ResponseFlexible(key, version) {
		dst = append(dst, 0)
	}
	return dst
}

// AppendRequestHeader appends a request header for a request the gateway
// sends itself: key, version, correlation id, client id and, for flexible
// versions, an empty tag section.
func AppendRequestHeader(dst []byte, key, version int16, correlationID int32, clientID string) []byte {
	dst = kbin.AppendInt16(dst, key)
	dst = kbin.AppendInt16(dst, version)
	dst = kbin.AppendInt32(dst, correlationID)
	dst = kbin.AppendNullableString(dst, &clientID)
	if Flexible(key, version) {
		dst = append(dst, 0)
	}
	return dst
}
