// Command bench measures produce and consume throughput and produce
// latency directly against a Kafka cluster and through the gateway, in the
// same run, and prints the ratios. By default the cluster is the embedded
// one; STRAIT_KAFKA_BOOTSTRAP names a real one.
package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/devcluster"
	"github.com/strait-gw/strait/internal/gateway"
	"github.com/strait-gw/strait/internal/testenv"
)

func main() {
	records := flag.Int("records", 500_000, "records per throughput run")
	size := flag.Int("size", 1024, "record value size in bytes")
	rounds := flag.Int("rounds", 5, "rounds over every target, in rotating order; the median is reported")
	rate := flag.Int("rate", 20_000, "records per second in the latency run")
	latencyFor := flag.Duration("latency-duration", 5*time.Second, "length of each latency run")
	partitions := flag.Int("partitions", 6, "partitions of the benchmark topic")
	withTLS := flag.Bool("tls", true, "also measure TLS: direct to a TLS cluster, and through the gateway's SNI listener (TLS 1.3)")
	role := flag.String("role", "", "internal: run as the embedded cluster (kafka), a TLS one (kafka-tls) or the gateway (gateway)")
	backendFlag := flag.String("bootstrap", "", "internal: the gateway process's backend")
	certDir := flag.String("certs", "", "internal: directory of the TLS test certificates")
	idle := flag.Int("idle-conns", 9000, "idle connections in the connections case (0 skips it); each costs the gateway two file descriptors, and this machine allows 20,000 per process")
	busy := flag.Int("busy-conns", 32, "producers of 1 MiB requests in the connections case")
	throughput := flag.Bool("throughput", true, "measure throughput and latency (false: only the connections case)")
	only := flag.String("only", "", "measure only these targets (comma-separated names, e.g. gateway,gateway-headers), with direct")
	var others targetFlags
	flag.Var(&others, "target", "also measure a Kafka bootstrap address in the same run, as name=host:port (another proxy in front of the same cluster, say); repeatable")
	baseline := flag.String("baseline", "", "also measure the gateway built from this git revision (e.g. a commit before a change), in the same run")
	flag.Parse()

	// The clusters, the gateway and the clients run in separate processes,
	// so that neither's garbage collector taxes the others' figures.
	switch *role {
	case "kafka", "kafka-tls":
		var opts []kfake.Opt
		if *role == "kafka-tls" {
			cert, err := tls.LoadX509KeyPair(filepath.Join(*certDir, "server.pem"), filepath.Join(*certDir, "server.key"))
			check(err)
			opts = append(opts, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}))
		}
		c, err := devcluster.Start(3, opts...)
		check(err)
		fmt.Println(strings.Join(c.ListenAddrs(), ","))
		select {}
	case "gateway":
		if addr := os.Getenv("STRAIT_BENCH_PPROF"); addr != "" {
			// Profiles of a gateway process (heap, goroutines) while the
			// benchmark runs; each gateway takes the next port.
			host, port, err := net.SplitHostPort(addr)
			check(err)
			p, err := strconv.Atoi(port)
			check(err)
			for i := range 10 {
				if ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p+i))); err == nil {
					go func() { _ = http.Serve(ln, nil) }()
					break
				}
			}
		}
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
		fmt.Println(strings.Join(startGateway(strings.Split(*backendFlag, ","), *certDir), " "))
		select {}
	}

	dir, err := os.MkdirTemp("", "strait-bench")
	check(err)
	defer os.RemoveAll(dir)
	pool := writeCerts(dir)
	var bootstrap []string
	if v := os.Getenv("STRAIT_KAFKA_BOOTSTRAP"); v != "" {
		bootstrap = strings.Split(v, ",")
		*withTLS = false
	} else {
		bootstrap = strings.Split(child("-role=kafka"), ",")
	}
	gw := strings.Fields(child("-role=gateway", "-bootstrap="+strings.Join(bootstrap, ","), "-certs="+dir))
	gwProc := children[len(children)-1].Process.Pid
	tlsDial := testenv.LoopbackTLSDialer(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13})
	targets := []target{{name: "direct", addr: bootstrap[0]}, {name: "gateway", addr: gw[0], viaGateway: true},
		{name: "gateway-namespace", addr: gw[2], viaGateway: true}, {name: "gateway-acls", addr: gw[3], viaGateway: true},
		{name: "gateway-scram", addr: gw[4], viaGateway: true, opts: []kgo.Opt{kgo.SASL(scram.Auth{User: "bench", Pass: "bench-secret"}.AsSha256Mechanism())}},
		{name: "gateway-headers", addr: gw[5], viaGateway: true}, {name: "gateway-encrypt", addr: gw[6], viaGateway: true},
		{name: "gateway-validate", addr: gw[7], viaGateway: true}}
	for _, o := range others {
		targets = append(targets, o)
	}
	if *baseline != "" {
		bin := buildBaseline(dir, *baseline)
		old := strings.Fields(childOf(bin, "-role=gateway", "-bootstrap="+strings.Join(bootstrap, ",")))
		targets = append(targets, target{name: "gateway-baseline", addr: old[0], viaGateway: true, pid: children[len(children)-1].Process.Pid})
	}
	if *withTLS {
		tlsBoot := strings.Split(child("-role=kafka-tls", "-certs="+dir), ",")
		targets = append(targets,
			target{name: "direct-tls", addr: tlsBoot[0], opts: []kgo.Opt{tlsDial}},
			target{name: "gateway-sni-tls", addr: gw[1], opts: []kgo.Opt{tlsDial}, viaGateway: true})
	}

	if *only != "" {
		keep := strings.Split(*only, ",")
		targets = slices.DeleteFunc(targets, func(tg target) bool {
			return tg.name != "direct" && tg.name != "gateway" && !slices.Contains(keep, tg.name)
		})
	}
	value := make([]byte, *size)
	_, _ = rand.Read(value) // incompressible

	fmt.Printf("strait bench: %d records of %d bytes, %d partitions, %d rounds, GOMAXPROCS cores=%d\n",
		*records, *size, *partitions, *rounds, numCPU())
	if *idle > 0 {
		fresh := func() (target, int) {
			gw := strings.Fields(child("-role=gateway", "-bootstrap="+strings.Join(bootstrap, ",")))
			return target{name: "gateway", addr: gw[0], viaGateway: true}, children[len(children)-1].Process.Pid
		}
		connectionsCase(fresh, *idle, *busy, value, *records/5)
	}
	if !*throughput {
		killChildren()
		return
	}
	prod := map[string][]float64{}
	cons := map[string][]float64{}
	cpu := map[string][2]time.Duration{}
	for r := range *rounds {
		for i := range targets {
			tg := targets[(i+r)%len(targets)]
			topic := fmt.Sprintf("bench-%s-%d", tg.name, r)
			createTopic(tg, topic, *partitions)
			pid := cmp.Or(tg.pid, gwProc)
			cpu0 := procCPU(pid)
			prod[tg.name] = append(prod[tg.name], produceThroughput(tg, topic, value, *records))
			cpu1 := procCPU(pid)
			cons[tg.name] = append(cons[tg.name], consumeThroughput(tg, topic, *records, *size))
			if tg.viaGateway {
				c := cpu[tg.name]
				cpu[tg.name] = [2]time.Duration{c[0] + cpu1 - cpu0, c[1] + procCPU(pid) - cpu1}
			}
			deleteTopic(tg, topic)
		}
	}
	lat := map[string][2]time.Duration{}
	type cost struct {
		name     string
		per      time.Duration
		requests int64
	}
	var costs []cost
	for _, tg := range targets[:2] {
		topic := "bench-latency-" + tg.name
		createTopic(tg, topic, *partitions)
		p50, p99 := produceLatency(tg, topic, value, *rate, *latencyFor)
		lat[tg.name] = [2]time.Duration{p50, p99}
	}
	for _, tg := range targets {
		if tg.name != "gateway" && tg.name != "gateway-baseline" {
			continue
		}
		topic := "bench-requests-" + tg.name
		createTopic(tg, topic, *partitions)
		pid := cmp.Or(tg.pid, gwProc)
		cpu0 := procCPU(pid)
		n := smallRequests(tg, topic, value, *rate, *latencyFor)
		costs = append(costs, cost{tg.name, (procCPU(pid) - cpu0) / time.Duration(max(n, 1)), n})
	}

	fmt.Println()
	fmt.Printf("%-30s %14s %14s %8s\n", "", "direct", "gateway", "ratio")
	row := func(label, d, g string, m map[string][]float64) {
		if len(m[d]) == 0 || len(m[g]) == 0 {
			return // a target left out by -only
		}
		a, b := median(m[d]), median(m[g])
		fmt.Printf("%-30s %9.1f MB/s %9.1f MB/s %7.2fx\n", label, a, b, b/a)
	}
	row("produce throughput", "direct", "gateway", prod)
	row("consume throughput", "direct", "gateway", cons)
	d, g := lat["direct"], lat["gateway"]
	fmt.Printf("%-30s %14s %14s %+8.3fms\n", fmt.Sprintf("produce p50 @ %d rec/s", *rate), ms(d[0]), ms(g[0]), float64(g[0]-d[0])/1e6)
	fmt.Printf("%-30s %14s %14s %+8.3fms\n", fmt.Sprintf("produce p99 @ %d rec/s", *rate), ms(d[1]), ms(g[1]), float64(g[1]-d[1])/1e6)
	for _, c := range costs {
		fmt.Printf("%-30s %14s %14s %d requests of 1 record, %.0f/s\n", "CPU per request ("+c.name+")", "", fmt.Sprintf("%.1fus", float64(c.per)/1e3),
			c.requests, float64(c.requests)/latencyFor.Seconds())
	}
	row("namespace produce", "direct", "gateway-namespace", prod)
	row("namespace consume (topic ids)", "direct", "gateway-namespace", cons)
	row("acls produce", "direct", "gateway-acls", prod)
	row("acls consume", "direct", "gateway-acls", cons)
	row("SCRAM terminate produce", "direct", "gateway-scram", prod)
	row("SCRAM terminate consume", "direct", "gateway-scram", cons)
	row("SCRAM produce vs anonymous", "gateway", "gateway-scram", prod)
	row("SCRAM consume vs anonymous", "gateway", "gateway-scram", cons)
	row("modify_headers produce", "direct", "gateway-headers", prod)
	row("modify_headers consume", "direct", "gateway-headers", cons)
	row("encrypt produce", "direct", "gateway-encrypt", prod)
	row("decrypt consume", "direct", "gateway-encrypt", cons)
	row("schema_validation json produce", "direct", "gateway-validate", prod)
	row("skip_record consume", "direct", "gateway-validate", cons)
	row("modify_headers produce vs no policy", "gateway", "gateway-headers", prod)
	row("encrypt produce vs no policy", "gateway", "gateway-encrypt", prod)
	row("decrypt consume vs no policy", "gateway", "gateway-encrypt", cons)
	row("schema_validation vs no policy", "gateway", "gateway-validate", prod)
	row("skip_record vs no policy", "gateway", "gateway-validate", cons)
	row("namespace produce vs no policy", "gateway", "gateway-namespace", prod)
	row("acls produce vs no policy", "gateway", "gateway-acls", prod)
	if *baseline != "" {
		row("baseline "+*baseline+" produce", "direct", "gateway-baseline", prod)
		row("baseline "+*baseline+" consume", "direct", "gateway-baseline", cons)
		row("no policy produce vs baseline", "gateway-baseline", "gateway", prod)
		row("no policy consume vs baseline", "gateway-baseline", "gateway", cons)
	}
	for _, o := range others {
		row(o.name+" produce", "direct", o.name, prod)
		row(o.name+" consume", "direct", o.name, cons)
	}
	if *withTLS {
		row("TLS 1.3 SNI produce vs plain", "direct", "gateway-sni-tls", prod)
		row("TLS 1.3 SNI consume vs plain", "direct", "gateway-sni-tls", cons)
		row("TLS 1.3 SNI produce vs TLS", "direct-tls", "gateway-sni-tls", prod)
		row("TLS 1.3 SNI consume vs TLS", "direct-tls", "gateway-sni-tls", cons)
	}
	mb := float64(*rounds) * float64(*records**size) / 1e6
	for _, tg := range targets {
		if c, ok := cpu[tg.name]; ok {
			fmt.Printf("%-30s produce %.3f ms/MB, consume %.3f ms/MB\n", "gateway CPU ("+tg.name+")",
				float64(c[0])/1e6/mb, float64(c[1])/1e6/mb)
		}
	}
	fmt.Println("\nrounds (MB/s):")
	for _, tg := range targets {
		fmt.Printf("  %-16s produce %v consume %v\n", tg.name, round(prod[tg.name]), round(cons[tg.name]))
	}
	killChildren()
}

// targetFlags are the -target flags.
type targetFlags []target

func (f *targetFlags) String() string { return fmt.Sprint(len(*f)) }

func (f *targetFlags) Set(v string) error {
	name, addr, ok := strings.Cut(v, "=")
	if !ok || name == "" || addr == "" {
		return fmt.Errorf("want name=host:port, got %q", v)
	}
	*f = append(*f, target{name: name, addr: addr})
	return nil
}

// target is one way of reaching the cluster.
type target struct {
	name, addr string
	opts       []kgo.Opt
	viaGateway bool
	// pid is the gateway process when it is not this run's own gateway.
	pid int
}

// writeCerts writes a server certificate for 127.0.0.1 and
// *.bench.kafka.bench into dir and returns a pool with its CA.
func writeCerts(dir string) *x509.CertPool {
	ca := testenv.NewCA(fatal{}, "bench CA")
	c := ca.Issue(fatal{}, testenv.CertOptions{
		Subject:  pkix.Name{CommonName: "kafka.bench"},
		DNSNames: []string{"*.bench.kafka.bench", "localhost"},
		IPs:      []net.IP{net.IPv4(127, 0, 0, 1)},
	})
	check(os.WriteFile(filepath.Join(dir, "server.pem"), []byte(c.CertPEM), 0o600))
	check(os.WriteFile(filepath.Join(dir, "server.key"), []byte(c.KeyPEM), 0o600))
	return ca.Pool
}

// fatal lets the bench use testenv's certificate helpers outside a test:
// a failure ends the run.
type fatal struct{ testing.TB }

func (fatal) Helper() {}

func (fatal) Fatalf(format string, args ...any) { check(fmt.Errorf(format, args...)) }

// children are the helper processes this run started.
var children []*exec.Cmd

// child starts this program again with args and returns the first line it
// prints. It is killed when the run ends.
func child(args ...string) string {
	self, err := os.Executable()
	check(err)
	return childOf(self, args...)
}

// childOf starts program bin with args and returns the first line it
// prints. It is killed when the run ends.
func childOf(bin string, args ...string) string {
	cmd := exec.Command(bin, args...)
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

// buildBaseline builds this program at git revision rev in a temporary
// worktree under dir and returns the binary's path.
func buildBaseline(dir, rev string) string {
	wt := filepath.Join(dir, "baseline")
	out, err := exec.Command("git", "worktree", "add", "--detach", wt, rev).CombinedOutput()
	if err != nil {
		check(fmt.Errorf("git worktree add %s: %v: %s", rev, err, out))
	}
	defer func() { _ = exec.Command("git", "worktree", "remove", "--force", wt).Run() }()
	bin := filepath.Join(dir, "bench-baseline")
	cmd := exec.Command("go", "build", "-o", bin, "./test/bench")
	cmd.Dir = wt
	if out, err := cmd.CombinedOutput(); err != nil {
		check(fmt.Errorf("building %s: %v: %s", rev, err, out))
	}
	return bin
}

// startGateway serves a gateway in front of bootstrap on free ports: a
// port-mapping listener for a virtual cluster without policies, when
// certDir is set an SNI listener (TLS 1.3) on one port for the same
// virtual cluster, and port-mapping listeners for a virtual cluster with a
// namespace, one with ACLs enforced on the gateway and one whose clients
// log in with SCRAM-SHA-256 checked by the gateway. It returns their
// bootstrap addresses in that order ("-" for no SNI listener).
func startGateway(bootstrap []string, certDir string) []string {
	base, err := testenv.FindFreePorts(78)
	check(err)
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
  - {name: vc, destination: kafka, dns_label: bench}
  - name: ns
    destination: kafka
    namespace: {mode: hide_prefix, prefix: bench-ns.}
  - name: acl
    destination: kafka
    acl_mode: enforce_on_gateway
    cluster_policies:
      - type: acls
        config:
          rules:
            - {resource_type: topic, action: allow, operations: [{name: all}], resource_names: [{match: "*"}]}
            - {resource_type: group, action: allow, operations: [{name: all}], resource_names: [{match: "*"}]}
            - {resource_type: cluster, action: allow, operations: [{name: idempotent_write}]}
            - {resource_type: topic, action: deny, operations: [{name: all}], resource_names: [{match: "secret-*"}]}
  - name: headers
    destination: kafka
    produce_policies:
      - type: modify_headers
        config: {actions: [{op: set, key: team, value: payments}, {op: remove, key: secret}]}
    consume_policies:
      - type: modify_headers
        config: {actions: [{op: set, key: read-by, value: gateway}]}
  - name: crypt
    destination: kafka
    produce_policies:
      - {type: encrypt, config: {encryption_key: {type: static, key: bench}}}
    consume_policies:
      - {type: decrypt, config: {key_sources: [{type: static, key: bench}]}}
  - name: validate
    destination: kafka
    produce_policies:
      - {type: schema_validation, config: {type: json, validate_value: true, failure_mode: passthrough}}
    consume_policies:
      - {type: skip_record, condition: "'drop' in record.headers"}
  - name: scram
    destination: kafka
    authentication:
      - {type: sasl_scram, algorithm: sha256, mediation: terminate, principals: [{username: bench, password: bench-secret}]}
static_keys:
  - {name: bench, value: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
listeners:
  - name: plain
    ports: ["%[2]d-%[3]d"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: vc, advertised_host: 127.0.0.1}
  - name: ns
    ports: ["%[4]d-%[5]d"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: ns, advertised_host: 127.0.0.1}
  - name: acl
    ports: ["%[6]d-%[7]d"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: acl, advertised_host: 127.0.0.1}
  - name: scram
    ports: ["%[8]d-%[9]d"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: scram, advertised_host: 127.0.0.1}
  - name: headers
    ports: ["%[10]d-%[11]d"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: headers, advertised_host: 127.0.0.1}
  - name: crypt
    ports: ["%[12]d-%[13]d"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: crypt, advertised_host: 127.0.0.1}
  - name: validate
    ports: ["%[14]d-%[15]d"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: validate, advertised_host: 127.0.0.1}
`, strings.Join(quoted, ", "), base, base+10, base+12, base+22, base+23, base+33, base+34, base+44, base+45, base+55, base+56, base+66, base+67, base+77)
	sni := "-"
	if certDir != "" {
		text += fmt.Sprintf(`  - name: sni
    ports: [%d]
    policies:
      - type: tls_server
        config:
          certificates: [{certificate: "${file:%s}", key: "${file:%s}"}]
          versions: {min: TLSv1.3, max: TLSv1.3}
      - type: forward_to_virtual_cluster
        config: {type: sni, destination: vc, sni_suffix: .kafka.bench, advertised_port: %d}
`, base+11, filepath.Join(certDir, "server.pem"), filepath.Join(certDir, "server.key"), base+11)
		sni = net.JoinHostPort("bootstrap.bench.kafka.bench", strconv.Itoa(base+11))
	}
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
	addr := func(p int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)) }
	return []string{addr(base), sni, addr(base + 12), addr(base + 23), addr(base + 34), addr(base + 45), addr(base + 56), addr(base + 67)}
}

func client(tg target, opts ...kgo.Opt) *kgo.Client {
	all := append([]kgo.Opt{kgo.SeedBrokers(tg.addr)}, tg.opts...)
	cl, err := kgo.NewClient(append(all, opts...)...)
	check(err)
	return cl
}

func createTopic(tg target, topic string, partitions int) {
	cl := client(tg)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, int32(partitions), -1, nil, topic)
	check(err)
	check(resp.Err)
}

func deleteTopic(tg target, topic string) {
	cl := client(tg)
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

// warmup is the share of a throughput run left out of the figure: while
// it runs the client connects, learns metadata and fills its pipeline,
// which measures connection setup rather than throughput.
const warmup = 10

// produceThroughput produces n records as fast as the client can and
// returns MB/s of record values, in steady state: from the moment the
// first n/warmup records are acknowledged to the last.
func produceThroughput(tg target, topic string, value []byte, n int) float64 {
	cl := client(tg, kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.MaxBufferedRecords(50_000), kgo.ProducerBatchMaxBytes(768<<10)) // headroom for policies that grow records
	defer cl.Close()
	ctx := context.Background()
	var failed, acked atomic.Int64
	var firstErr atomic.Value
	var steady atomic.Int64 // UnixNano when n/warmup records were acknowledged
	var wg sync.WaitGroup
	wg.Add(n)
	for range n {
		cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
			}
			if acked.Add(1) == int64(n/warmup) {
				steady.Store(time.Now().UnixNano())
			}
			wg.Done()
		})
	}
	wg.Wait()
	end := time.Now()
	if f := failed.Load(); f > 0 {
		check(fmt.Errorf("%s: %d records failed: %v", tg.name, f, firstErr.Load()))
	}
	return float64((n-n/warmup)*len(value)) / end.Sub(time.Unix(0, steady.Load())).Seconds() / 1e6
}

// consumeThroughput reads n records from the start of topic and returns
// MB/s of record values, in steady state: from the fetch that brings the
// count to n/warmup to the last.
func consumeThroughput(tg target, topic string, n, size int) float64 {
	cl := client(tg, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(50<<20), kgo.FetchMaxPartitionBytes(10<<20))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	got, from := 0, 0
	var start time.Time
	for got < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			check(fmt.Errorf("consumed %d of %d", got, n))
		}
		got += fs.NumRecords()
		if start.IsZero() && got >= n/warmup {
			start, from = time.Now(), got
		}
	}
	return float64((got-from)*size) / time.Since(start).Seconds() / 1e6
}

// produceLatency produces at a steady rate with acks=all and returns the
// p50 and p99 of the time from Produce to acknowledgement.
func produceLatency(tg target, topic string, value []byte, rate int, d time.Duration) (time.Duration, time.Duration) {
	cl := client(tg, kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0), kgo.ProducerBatchCompression(kgo.NoCompression()))
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

// smallRequests sends produce requests of one record each (acks=all) at
// up to rate requests per second for d, from clients that each wait for
// one answer before the next, and returns how many requests were sent:
// the small requests most real clients send.
func smallRequests(tg target, topic string, value []byte, rate int, d time.Duration) int64 {
	const clients = 16
	var count produceCounter
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := client(tg, kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0),
				kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.WithHooks(&count))
			defer cl.Close()
			check(cl.ProduceSync(context.Background(), &kgo.Record{Value: value}).FirstErr())
			interval := time.Second * clients / time.Duration(rate)
			next := time.Now()
			for time.Now().Before(end) {
				check(cl.ProduceSync(context.Background(), &kgo.Record{Value: value}).FirstErr())
				next = next.Add(interval)
				if wait := time.Until(next); wait > 0 {
					time.Sleep(wait)
				}
			}
		}()
	}
	wg.Wait()
	return count.n.Load()
}

// produceCounter counts the produce requests a client writes.
type produceCounter struct{ n atomic.Int64 }

func (c *produceCounter) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key == 0 && err == nil {
		c.n.Add(1)
	}
}
