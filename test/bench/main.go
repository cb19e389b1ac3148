// Command bench measures produce and consume throughput and produce
// latency directly against a Kafka cluster and through the gateway, in the
// same run, and prints the ratios. By default the cluster is the embedded
// one; STRAIT_KAFKA_BOOTSTRAP names a real one.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/devcluster"
	"github.com/strait-gw/strait/internal/gateway"
)

func main() {
	records := flag.Int("records", 100_000, "records per throughput run")
	size := flag.Int("size", 1024, "record value size in bytes")
	rounds := flag.Int("rounds", 3, "alternating direct/gateway rounds; the median is reported")
	rate := flag.Int("rate", 20_000, "records per second in the latency run")
	latencyFor := flag.Duration("latency-duration", 5*time.Second, "length of each latency run")
	partitions := flag.Int("partitions", 6, "partitions of the benchmark topic")
	role := flag.String("role", "", "internal: run as the embedded cluster (kafka) or the gateway (gateway) process")
	backendFlag := flag.String("bootstrap", "", "internal: the gateway process's backend")
	flag.Parse()

	// The cluster, the gateway and the clients run in separate processes,
	// so that neither's garbage collector taxes the others' figures.
	switch *role {
	case "kafka":
		c, err := devcluster.Start(3)
		check(err)
		fmt.Println(strings.Join(c.ListenAddrs(), ","))
		select {}
	case "gateway":
		if path := os.Getenv("STRAIT_BENCH_CPUPROFILE"); path != "" {
			f, err := os.Create(path)
			check(err)
			check(pprof.StartCPUProfile(f))
			go func() {
				sig := make(chan os.Signal, 1)
				signal.Notify(sig, syscall.SIGTERM)
				<-sig
				pprof.StopCPUProfile()
				f.Close()
				os.Exit(0)
			}()
		}
		addr, _ := startGateway(strings.Split(*backendFlag, ","))
		fmt.Println(addr)
		select {}
	}

	var bootstrap []string
	if v := os.Getenv("STRAIT_KAFKA_BOOTSTRAP"); v != "" {
		bootstrap = strings.Split(v, ",")
	} else {
		bootstrap = strings.Split(child("-role=kafka"), ",")
	}
	gwAddr := child("-role=gateway", "-bootstrap="+strings.Join(bootstrap, ","))
	gwProc := children[len(children)-1].Process.Pid

	value := make([]byte, *size)
	_, _ = rand.Read(value) // incompressible

	fmt.Printf("strait bench: %d records of %d bytes, %d partitions, %d rounds, GOMAXPROCS cores=%d\n",
		*records, *size, *partitions, *rounds, numCPU())
	targets := []struct{ name, addr string }{{"direct", bootstrap[0]}, {"gateway", gwAddr}}
	prod := map[string][]float64{}
	cons := map[string][]float64{}
	var gwProdCPU, gwConsCPU time.Duration
	var gwBytes float64
	for r := range *rounds {
		order := targets
		if r%2 == 1 {
			order = []struct{ name, addr string }{targets[1], targets[0]}
		}
		for _, tg := range order {
			topic := fmt.Sprintf("bench-%s-%d", tg.name, r)
			createTopic(tg.addr, topic, *partitions)
			cpu0 := procCPU(gwProc)
			prod[tg.name] = append(prod[tg.name], produceThroughput(tg.addr, topic, value, *records))
			cpu1 := procCPU(gwProc)
			cons[tg.name] = append(cons[tg.name], consumeThroughput(tg.addr, topic, *records, *size))
			if tg.name == "gateway" {
				gwProdCPU += cpu1 - cpu0
				gwConsCPU += procCPU(gwProc) - cpu1
				gwBytes += float64(*records * *size)
			}
			deleteTopic(tg.addr, topic)
		}
	}
	lat := map[string][2]time.Duration{}
	for _, tg := range targets {
		topic := "bench-latency-" + tg.name
		createTopic(tg.addr, topic, *partitions)
		p50, p99 := produceLatency(tg.addr, topic, value, *rate, *latencyFor)
		lat[tg.name] = [2]time.Duration{p50, p99}
	}

	pd, pg := median(prod["direct"]), median(prod["gateway"])
	cd, cg := median(cons["direct"]), median(cons["gateway"])
	fmt.Println()
	fmt.Printf("%-28s %12s %12s %8s\n", "", "direct", "gateway", "ratio")
	fmt.Printf("%-28s %9.1f MB/s %9.1f MB/s %7.2fx\n", "produce throughput", pd, pg, pg/pd)
	fmt.Printf("%-28s %9.1f MB/s %9.1f MB/s %7.2fx\n", "consume throughput", cd, cg, cg/cd)
	d, g := lat["direct"], lat["gateway"]
	fmt.Printf("%-28s %12s %12s %+8.3fms\n", fmt.Sprintf("produce p50 @ %d rec/s", *rate), ms(d[0]), ms(g[0]), float64(g[0]-d[0])/1e6)
	fmt.Printf("%-28s %12s %12s %+8.3fms\n", fmt.Sprintf("produce p99 @ %d rec/s", *rate), ms(d[1]), ms(g[1]), float64(g[1]-d[1])/1e6)
	fmt.Printf("%-28s %12s %12.3f ms/MB\n", "gateway CPU, produce", "", float64(gwProdCPU)/1e6/(gwBytes/1e6))
	fmt.Printf("%-28s %12s %12.3f ms/MB\n", "gateway CPU, consume", "", float64(gwConsCPU)/1e6/(gwBytes/1e6))
	fmt.Printf("\nrounds (MB/s): produce direct %v gateway %v; consume direct %v gateway %v\n",
		round(prod["direct"]), round(prod["gateway"]), round(cons["direct"]), round(cons["gateway"]))
	killChildren()
}

// children are the helper processes this run started.
var children []*exec.Cmd

// child starts this program again with args and returns the first line it
// prints. It is killed when the run ends.
func child(args ...string) string {
	self, err := os.Executable()
	check(err)
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	check(err)
	check(cmd.Start())
	children = append(children, cmd)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		killChildren()
		check(fmt.Errorf("%v: %w", args, err))
	}
	return strings.TrimSpace(line)
}

func killChildren() {
	for _, c := range children {
		_ = c.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
	}
	children = nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/1e6) }

func round(v []float64) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = strconv.FormatFloat(x, 'f', 1, 64)
	}
	return out
}

func numCPU() int { return runtimeNumCPU() }

func check(err error) {
	if err != nil {
		killChildren()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// startGateway serves a gateway in front of bootstrap on free ports.
func startGateway(bootstrap []string) (string, func()) {
	base := freePorts(11)
	quoted := make([]string, len(bootstrap))
	for i, s := range bootstrap {
		quoted[i] = strconv.Quote(s)
	}
	text := fmt.Sprintf(`admin: {address: ""}
observability: {log_level: warn}
backend_clusters:
  - name: kafka
    bootstrap_servers: [%s]
virtual_clusters:
  - name: vc
    destination: kafka
listeners:
  - name: plain
    ports: ["%d-%d"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: vc, advertised_host: 127.0.0.1}
`, strings.Join(quoted, ", "), base, base+10)
	cfg, err := config.Parse([]byte(text), ".")
	check(err)
	g, err := gateway.New(cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	check(err)
	check(g.Start())
	deadline := time.Now().Add(20 * time.Second)
	for ok, why := g.Ready(); !ok; ok, why = g.Ready() {
		if time.Now().After(deadline) {
			check(fmt.Errorf("gateway not ready: %s", why))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(base)), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		g.Stop(ctx)
	}
}

func freePorts(n int) int {
	for base := 31000; base < 60000; base += n {
		var ls []net.Listener
		ok := true
		for p := base; p < base+n; p++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return base
		}
	}
	check(fmt.Errorf("no free ports"))
	return 0
}

func client(addr string, opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	check(err)
	return cl
}

func createTopic(addr, topic string, partitions int) {
	cl := client(addr)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, int32(partitions), -1, nil, topic)
	check(err)
	check(resp.Err)
}

func deleteTopic(addr, topic string) {
	cl := client(addr)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := kadm.NewClient(cl).DeleteTopics(ctx, topic)
	check(err)
}

// procCPU is the user+system CPU time a process has used, from /proc.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// produceThroughput produces n records as fast as the client can and
// returns MB/s of record values.
func produceThroughput(addr, topic string, value []byte, n int) float64 {
	cl := client(addr, kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.MaxBufferedRecords(50_000), kgo.ProducerBatchMaxBytes(1<<20))
	defer cl.Close()
	ctx := context.Background()
	var failed atomic.Int64
	var wg sync.WaitGroup
	wg.Add(n)
	start := time.Now()
	for range n {
		cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Add(1)
			}
			wg.Done()
		})
	}
	wg.Wait()
	el := time.Since(start)
	if f := failed.Load(); f > 0 {
		check(fmt.Errorf("%d records failed", f))
	}
	return float64(n*len(value)) / el.Seconds() / 1e6
}

// consumeThroughput reads n records from the start of topic.
func consumeThroughput(addr, topic string, n, size int) float64 {
	cl := client(addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(50<<20), kgo.FetchMaxPartitionBytes(10<<20))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	got := 0
	start := time.Now()
	for got < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			check(fmt.Errorf("consumed %d of %d", got, n))
		}
		got += fs.NumRecords()
	}
	return float64(got*size) / time.Since(start).Seconds() / 1e6
}

// produceLatency produces at a steady rate with acks=all and returns the
// p50 and p99 of the time from Produce to acknowledgement.
func produceLatency(addr, topic string, value []byte, rate int, d time.Duration) (time.Duration, time.Duration) {
	cl := client(addr, kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0), kgo.ProducerBatchCompression(kgo.NoCompression()))
	defer cl.Close()
	ctx := context.Background()
	// Warm up connections.
	check(cl.ProduceSync(ctx, &kgo.Record{Value: value}).FirstErr())
	var mu sync.Mutex
	var lats []time.Duration
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	const tick = time.Millisecond
	perTick := max(1, int(tick/interval))
	t := time.NewTicker(tick)
	defer t.Stop()
	end := time.Now().Add(d)
	for now := range t.C {
		if now.After(end) {
			break
		}
		for range perTick {
			wg.Add(1)
			start := time.Now()
			cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
				l := time.Since(start)
				mu.Lock()
				if err == nil {
					lats = append(lats, l)
				}
				mu.Unlock()
				wg.Done()
			})
		}
	}
	wg.Wait()
	slices.Sort(lats)
	return lats[len(lats)/2], lats[len(lats)*99/100]
}
