package protocol

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// FuzzRequestHeader feeds arbitrary frames to the parsers every frame goes
// through; none may panic, and a parsed header must lie within the frame.
func FuzzRequestHeader(f *testing.F) {
	meta := kmsg.NewPtrMetadataRequest()
	meta.Version = 12
	f.Add(requestFrame(meta, "client"))
	p := kmsg.NewPtrProduceRequest()
	p.Version = 11
	f.Add(requestFrame(p, ""))
	f.Add([]byte{0, 18, 0, 3, 0, 0, 0, 1, 0xff, 0xff, 3, 1, 2, 3})
	f.Add([]byte{0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0x80})
	f.Fuzz(func(t *testing.T, frame []byte) {
		h, err := Default.ParseRequestHeader(frame)
		if err != nil {
			return
		}
		if h.Len < 8 || h.Len > len(frame) {
			t.Fatalf("header length %d outside frame of %d", h.Len, len(frame))
		}
		if h.Key == 0 {
			_, _ = ProduceAcks(frame[h.Len:], h.Version)
		}
		if h.Version <= Default.Max(h.Key) {
			_, _ = ResponseHeaderLen(frame, h.Key, h.Version)
			if RewritesResponse(h.Key, h.Version) {
				_, _, _ = Default.RewriteResponse(nil, h.Key, h.Version, frame[h.Len:], fakeAdv{})
			}
		}
	})
}
