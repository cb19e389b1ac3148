// Benchmarks of the per-record cost: sealing and opening 1 KiB values with
// a data key in use (the Encrypter's) or cached (the Decrypter's).

package crypt

import (
	"context"
	"testing"
)

func BenchmarkSeal(b *testing.B) {
	src := newStatic(b, "bench-key")
	e := newEncrypter(b, src, EncrypterOptions{})
	plain := make([]byte, 1024)
	aad := []byte("value")
	ctx := context.Background()
	buf := make([]byte, 0, 2048)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = e.Seal(ctx, buf[:0], plain, aad); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(buf)-len(plain)), "overhead-bytes")
}

func BenchmarkOpen(b *testing.B) {
	src := newStatic(b, "bench-key")
	e := newEncrypter(b, src, EncrypterOptions{})
	d := newDecrypter(b, DecrypterOptions{}, src)
	plain := make([]byte, 1024)
	aad := []byte("value")
	ctx := context.Background()
	rec, err := e.Seal(ctx, nil, plain, aad)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 2048)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = d.Open(ctx, buf[:0], rec, aad); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealParallel seals from every core at once: connections each
// with their own Encrypter, as in the gateway.
func BenchmarkSealParallel(b *testing.B) {
	src := newStatic(b, "bench-key")
	plain := make([]byte, 1024)
	aad := []byte("value")
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		e := newEncrypter(b, src, EncrypterOptions{})
		buf := make([]byte, 0, 2048)
		for pb.Next() {
			var err error
			if buf, err = e.Seal(context.Background(), buf[:0], plain, aad); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkOpenParallel opens from every core at once through one shared
// Decrypter, whose cache lock they contend for.
func BenchmarkOpenParallel(b *testing.B) {
	src := newStatic(b, "bench-key")
	d := newDecrypter(b, DecrypterOptions{}, src)
	plain := make([]byte, 1024)
	aad := []byte("value")
	rec, err := newEncrypter(b, src, EncrypterOptions{}).Seal(context.Background(), nil, plain, aad)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 0, 2048)
		for pb.Next() {
			var err error
			if buf, err = d.Open(context.Background(), buf[:0], rec, aad); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
