package protocol

import (
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// produceNamesBrokers reports whether a Produce v10+ response body carries
// KIP-951 leader endpoints (its top-level tagged field 0), which name
// brokers. They come only after a NOT_LEADER answer, so most responses
// have none and are forwarded without being decoded: the scan reads the
// fixed fields and skips the rest. A body it cannot read is reported as
// naming brokers, so that the full decode reports the error.
func produceNamesBrokers(version int16, body []byte) bool {
	r := kbin.Reader{Src: body}
	for topics := r.Uvarint(); topics > 1 && r.Ok(); topics-- {
		if version >= 13 {
			r.Span(16) // topic id
		} else {
			r.Span(compactLen(&r))
		}
		for parts := r.Uvarint(); parts > 1 && r.Ok(); parts-- {
			r.Span(4 + 2 + 8 + 8 + 8) // index, error, base offset, append time, log start
			for recs := r.Uvarint(); recs > 1 && r.Ok(); recs-- {
				r.Span(4) // batch index
				r.Span(compactLen(&r))
				kmsg.SkipTags(&r)
			}
			r.Span(compactLen(&r)) // error message
			kmsg.SkipTags(&r)      // the current leader is an id only
		}
		kmsg.SkipTags(&r)
	}
	r.Span(4) // throttle
	for tags := r.Uvarint(); tags > 0 && r.Ok(); tags-- {
		if r.Uvarint() == 0 {
			return true
		}
		r.Span(int(r.Uvarint()))
	}
	return !r.Ok()
}

// compactLen reads the length of a compact (nullable) string or bytes:
// stored plus one, zero for null.
func compactLen(r *kbin.Reader) int {
	n := int(r.Uvarint())
	if n == 0 {
		return 0
	}
	return n - 1
}
