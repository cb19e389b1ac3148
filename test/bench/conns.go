package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// procRSS is a process's resident memory in bytes, from /proc.
func procRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			check(err)
			return kb << 10
		}
	}
	check(fmt.Errorf("no VmRSS for process %d", pid))
	return 0
}

// procFDs is the number of a process's open file descriptors.
func procFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	check(err)
	return len(ents)
}

// settledRSS waits for a process's resident memory to stop moving (the
// gateway's garbage collector returns what it freed) and returns it.
func settledRSS(pid int) int64 {
	last := procRSS(pid)
	for range 20 {
		time.Sleep(250 * time.Millisecond)
		now := procRSS(pid)
		if d := now - last; d < 64<<10 && d > -(64<<10) {
			return now
		}
		last = now
	}
	return last
}

// openIdle opens n connections to addr, makes one ApiVersions round trip
// on each, and returns them open and idle.
func openIdle(addr string, n int) []net.Conn {
	conns := make([]net.Conn, n)
	var wg sync.WaitGroup
	var failed atomic.Value
	sem := make(chan struct{}, 64)
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("strait-bench"))
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := apiVersionsConn(addr, f)
			if err != nil {
				failed.CompareAndSwap(nil, err.Error())
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		check(fmt.Errorf("idle connections: %s", err))
	}
	return conns
}

// apiVersionsConn dials addr and makes one ApiVersions v3 round trip.
func apiVersionsConn(addr string, f *kmsg.RequestFormatter) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName, req.ClientSoftwareVersion = "strait-bench", "1"
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(f.AppendRequest(nil, req, 1)); err != nil {
		c.Close()
		return nil, err
	}
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint32(size[:]))); err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// connectionsCase measures what idle and busy connections cost the
// gateway: resident memory per idle connection (one ApiVersions round
// trip each), a saturated producer's throughput with and without them,
// and resident memory per connection while each moves 1 MiB produce
// requests.
// Each part runs on a gateway process of its own, started by fresh, so
// that memory one part freed does not hide what the next one takes.
func connectionsCase(fresh func() (target, int), idle, busy int, value []byte, records int) {
	tg, pid := fresh()
	fmt.Printf("\nconnections (fresh gateway per part):\n")
	topic := "bench-conns"
	createTopic(tg, topic, 6)
	defer deleteTopic(tg, topic)
	alone := produceThroughput(tg, topic, value, records)

	runtime.GC()
	before := settledRSS(pid)
	conns := openIdle(tg.addr, idle)
	after := settledRSS(pid)
	if d, err := time.ParseDuration(os.Getenv("STRAIT_BENCH_HOLD")); err == nil {
		time.Sleep(d) // time to take profiles of the gateway
	}
	withIdle := produceThroughput(tg, topic, value, records)
	// The producer's garbage collections also shrink the stacks of the
	// idle connections' goroutines, as traffic does in a running gateway.
	later := settledRSS(pid)
	fmt.Printf("  %-44s %8.1f KiB (RSS %.1f -> %.1f MiB)\n", fmt.Sprintf("RSS per idle connection (%d)", idle),
		float64(after-before)/float64(idle)/1024, float64(before)/(1<<20), float64(after)/(1<<20))
	fmt.Printf("  %-44s %8.1f KiB (RSS %.1f MiB)\n", "  the same after the producer ran", float64(later-before)/float64(idle)/1024, float64(later)/(1<<20))
	fmt.Printf("  %-44s %8.1f MB/s alone, %.1f MB/s beside them: %.2fx\n", "saturated producer", alone, withIdle, withIdle/alone)
	for _, c := range conns {
		c.Close()
	}

	// Busy: each client produces 1 MiB requests on its own connection.
	tg, pid = fresh()
	base := settledRSS(pid)
	big := make([]byte, 1<<20-200)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var peak atomic.Int64
	fds0 := procFDs(pid)
	fds := 0
	var sent atomic.Int64
	for range busy {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := client(tg, kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.NoCompression()),
				kgo.ProducerBatchMaxBytes(2<<20), kgo.MaxProduceRequestsInflightPerBroker(1), kgo.ProducerLinger(0))
			defer cl.Close()
			for ctx.Err() == nil {
				if err := cl.ProduceSync(ctx, &kgo.Record{Value: big}).FirstErr(); err != nil && ctx.Err() == nil {
					check(err)
				}
				sent.Add(1)
			}
		}()
	}
	for range 20 {
		time.Sleep(250 * time.Millisecond)
		if r := procRSS(pid); r > peak.Load() {
			peak.Store(r)
		}
		fds = max(fds, procFDs(pid))
	}
	cancel()
	wg.Wait()
	// Each client connection has a backend connection: two descriptors.
	nconns := max(1, (fds-fds0)/2)
	fmt.Printf("  %-44s %8.1f KiB (%d producers, %d client connections, peak RSS %.1f MiB, %d MiB produced)\n",
		"RSS per busy connection (1 MiB requests)", float64(peak.Load()-base)/float64(nconns)/1024, busy, nconns,
		float64(peak.Load())/(1<<20), sent.Load())
}
