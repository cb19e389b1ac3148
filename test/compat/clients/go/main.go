// Command compat-go is the Go client suite of Strait's compatibility matrix
// (test/compat/run.sh). It runs every operation of the matrix with three Go
// Kafka clients, franz-go, IBM/sarama and segmentio/kafka-go, against one
// target (a Kafka cluster directly, or Strait in front of it) and appends one
// JSON line per cell to --out.
//
//	compat-go --bootstrap HOST:PORT --target direct|gateway --kafka-version V \
//	          --expect-brokers HOST:PORT,... --out FILE.jsonl [--clients a,b] [--ops x,y]
//
// A failing cell is a result, not an error: the program exits 0 unless it
// cannot write its output.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ops is the matrix's column order (test/compat/report).
var ops = []string{
	"metadata", "produce-none", "produce-gzip", "produce-snappy", "produce-lz4", "produce-zstd", "headers",
	"group-classic", "group-consumer", "idempotent", "transactions",
	"admin-topics", "admin-configs", "admin-groups", "admin-offsets", "admin-partitions", "share-group",
}

// Time limits. The clients run in parallel; a cell gets its own limit and
// every cell stops at the suite's budget, so one target takes well under
// three minutes even when everything hangs.
const (
	cellTimeout  = 45 * time.Second
	groupTimeout = 60 * time.Second
	suiteBudget  = 140 * time.Second
	hangGrace    = 5 * time.Second
)

func timeoutFor(op string) time.Duration {
	switch op {
	case "group-classic", "group-consumer", "share-group", "admin-groups":
		return groupTimeout
	}
	return cellTimeout
}

// cellFunc runs one cell; a nil error is a pass.
type cellFunc func(ctx context.Context) error

type client struct {
	name    string
	module  string // Go module path, for the version
	version string
	cells   map[string]cellFunc
	na      map[string]string // ops the client or the Kafka line does not support, with the reason
}

type result struct {
	Suite         string `json:"suite"`
	Client        string `json:"client"`
	ClientVersion string `json:"client_version"`
	Op            string `json:"op"`
	Status        string `json:"status"`
	Detail        string `json:"detail"`
}

func main() {
	var e env
	var out, clients, only string
	flag.StringVar(&e.bootstrap, "bootstrap", "", "bootstrap HOST:PORT")
	flag.StringVar(&e.target, "target", "", "direct or gateway")
	flag.StringVar(&e.kafkaVersion, "kafka-version", "", "Kafka version of the cluster, e.g. 4.4.0")
	expect := flag.String("expect-brokers", "", "HOST:PORT,... the brokers metadata must list")
	flag.StringVar(&out, "out", "", "JSON lines file to append to")
	flag.StringVar(&clients, "clients", "", "comma-separated clients to run (default all)")
	flag.StringVar(&only, "ops", "", "comma-separated ops to run (default all)")
	flag.Parse()
	if e.bootstrap == "" || e.target == "" || e.kafkaVersion == "" || *expect == "" || out == "" {
		flag.Usage()
		os.Exit(2)
	}
	e.expect = strings.Split(*expect, ",")
	e.major, _ = strconv.Atoi(strings.SplitN(e.kafkaVersion, ".", 2)[0])
	e.run = randSuffix()

	f, err := os.OpenFile(out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat-go:", err)
		os.Exit(1)
	}
	defer f.Close()

	all := []*client{franzClient(&e), saramaClient(&e), kafkaGoClient(&e)}
	versions := moduleVersions()
	deadline := time.Now().Add(suiteBudget)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var writeErr error
	for _, c := range all {
		if clients != "" && !slices.Contains(strings.Split(clients, ","), c.name) {
			continue
		}
		c.version = versions[c.module]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, op := range ops {
				if only != "" && !slices.Contains(strings.Split(only, ","), op) {
					continue
				}
				start := time.Now()
				status, detail := runCell(c, op, deadline)
				line, _ := json.Marshal(result{"go", c.name, c.version, op, status, detail})
				mu.Lock()
				if _, err := f.Write(append(line, '\n')); err != nil && writeErr == nil {
					writeErr = err
				}
				fmt.Printf("%-8s %-16s %-4s %5.1fs %s\n", c.name, op, status, time.Since(start).Seconds(), detail)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	e.cleanup()
	if writeErr != nil {
		fmt.Fprintln(os.Stderr, "compat-go:", writeErr)
		os.Exit(1)
	}
}

// runCell runs one cell with its time limit. A cell that does not return
// within the limit (plus a grace period) is abandoned and fails.
func runCell(c *client, op string, deadline time.Time) (status, detail string) {
	if reason, ok := c.na[op]; ok {
		return "n/a", reason
	}
	fn, ok := c.cells[op]
	if !ok {
		return "n/a", "not supported by " + c.name
	}
	limit := time.Now().Add(timeoutFor(op))
	if deadline.Before(limit) {
		limit = deadline
	}
	if time.Until(limit) < 5*time.Second {
		return "fail", "not run: the suite's time budget is used up"
	}
	budget := time.Until(limit).Round(time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), limit)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("panic: %v", r)
			}
		}()
		done <- fn(ctx)
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Until(limit) + hangGrace):
		return "fail", fmt.Sprintf("hung: no result %s after its %s time limit", hangGrace, budget)
	}
	switch {
	case err == nil:
		return "pass", ""
	case ctx.Err() != nil && !strings.Contains(err.Error(), "deadline") && !strings.Contains(err.Error(), "context"):
		return "fail", fmt.Sprintf("timed out after %s: %s", budget, clip(err.Error()))
	}
	return "fail", clip(err.Error())
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 600 {
		s = s[:600] + "..."
	}
	return s
}

func moduleVersions() map[string]string {
	m := map[string]string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			v := d.Version
			if d.Replace != nil {
				v = d.Replace.Version
			}
			m[d.Path] = strings.TrimPrefix(v, "v")
		}
	}
	return m
}
