// Buffers a hook encodes into: a produce request or a fetch response of a
// megabyte is rewritten many times a second, and a fresh buffer for each
// would be zeroed, then left to the garbage collector.

package policy

import (
	"math/bits"
	"sync"
)

// MaxPooledBuffer is the largest buffer kept for reuse; a larger one is
// left to the garbage collector. Fetch responses of 30 MiB are common
// (fetch.max.bytes is 50 MiB by default), and a pool keeps a buffer only
// until the second garbage collection that finds it unused.
const MaxPooledBuffer = 64 << 20

var bufferPool = sync.Pool{New: func() any { return new([]byte) }}

// Buffers are the buffers an exchange handed out and not yet released.
type Buffers []*[]byte

// Buffer returns an empty buffer with room for at least n bytes. It stays
// valid until the session has written what the exchange leads to (the
// request, or the response the hook ran on), then goes back to a pool: a
// hook must not keep it, nor anything that aliases it, beyond that.
func (x *Exchange) Buffer(n int) []byte {
	b := bufferPool.Get().(*[]byte)
	if cap(*b) < n {
		*b = make([]byte, 0, SizeClass(n))
	}
	x.bufs = append(x.bufs, b)
	return (*b)[:0]
}

// TakeBuffers hands the buffers given out so far to the caller, who
// releases them once it has written what they hold; later calls to Buffer
// start a new list. A nil exchange has none.
func (x *Exchange) TakeBuffers() Buffers {
	if x == nil {
		return nil
	}
	bs := x.bufs
	x.bufs = nil
	return bs
}

// Release returns the buffers to the pool.
func (bs Buffers) Release() {
	for _, b := range bs {
		if cap(*b) > MaxPooledBuffer {
			continue
		}
		*b = (*b)[:0]
		bufferPool.Put(b)
	}
}

// SizeClass is the capacity to allocate for a pooled buffer that must hold
// n bytes: the next power of two, so that a buffer made for one frame is
// large enough for the next frames of about its size.
func SizeClass(n int) int {
	if n <= 4096 {
		return 4096
	}
	return 1 << bits.Len(uint(n-1))
}
