// Command strait is the Strait Kafka gateway.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/devcluster"
	"github.com/strait-gw/strait/internal/gateway"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

const usage = `usage: strait <command> [flags]

commands:
  run -c FILE        serve a config file
  validate -c FILE   check a config file; exit 2 when invalid
  dev                embedded 3-broker cluster with a gateway on localhost:19092
  version            print the version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "dev":
		return cmdDev(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "strait", versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "strait: unknown command %q\n%s", args[0], usage)
	return 2
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}

func configFlag(name string, args []string, stderr io.Writer) (string, bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("c", "strait.yaml", "config file")
	if err := fs.Parse(args); err != nil {
		return "", false
	}
	return *path, true
}

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	path, ok := configFlag("validate", args, stderr)
	if !ok {
		return 2
	}
	cfg, err := config.Load(path)
	if err != nil {
		reportConfigError(stderr, path, err)
		return 2
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "%s: warning: %v\n", path, w)
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	return 0
}

func cmdRun(args []string, stderr io.Writer) int {
	path, ok := configFlag("run", args, stderr)
	if !ok {
		return 2
	}
	cfg, err := config.Load(path)
	if err != nil {
		reportConfigError(stderr, path, err)
		return 2
	}
	return serve(cfg, stderr, nil)
}

// reportConfigError prints why a config file was refused: every error with
// its path, or why the file could not be read.
func reportConfigError(w io.Writer, path string, err error) {
	var errs *config.Errors
	if errors.As(err, &errs) {
		fmt.Fprintf(w, "%s: invalid configuration:\n%v\n", path, err)
		return
	}
	fmt.Fprintf(w, "strait: cannot read config %s: %v\n", path, err)
}

// serve runs cfg until SIGINT or SIGTERM. started, if set, is called once
// the gateway is listening.
func serve(cfg *config.Config, stderr io.Writer, started func(*gateway.Gateway)) int {
	log := newLogger(cfg, stderr)
	for _, w := range cfg.Warnings {
		log.Warn("config: "+w.Msg, "field", w.Path)
	}
	g, err := gateway.New(cfg, log)
	if err != nil {
		log.Error("cannot build gateway", "err", err)
		return 1
	}
	if err := g.Start(); err != nil {
		log.Error("cannot start gateway", "err", err)
		return 1
	}
	log.Info("strait started", "version", versionString(), "bootstrap", g.BootstrapAddrs(), "admin", g.AdminAddr())
	if started != nil {
		started(g)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	log.Info("shutting down", "signal", s.String(), "drain", cfg.Runtime.DrainDuration.D())
	timeout := cfg.Runtime.ShutdownTimeout.D()
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() {
		<-sig
		log.Warn("second signal: exiting now")
		os.Exit(1)
	}()
	g.Stop(ctx)
	log.Info("stopped")
	return 0
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Observability.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Observability.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func cmdDev(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("port", 19092, "bootstrap port; brokers are served on the following ports")
	brokers := fs.Int("brokers", 3, "embedded brokers")
	adminAddr := fs.String("admin", "127.0.0.1:8080", "admin HTTP address")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, err := devcluster.Start(*brokers)
	if err != nil {
		fmt.Fprintf(stderr, "strait dev: embedded cluster: %v\n", err)
		return 1
	}
	defer c.Close()
	// Spare broker ports let brokers added later be served too.
	text := devcluster.Config(c.ListenAddrs(), *port, *brokers+7, *adminAddr)
	cfg, err := config.Parse([]byte(text), ".")
	if err != nil {
		var errs *config.Errors
		if errors.As(err, &errs) {
			fmt.Fprintf(stderr, "strait dev: %v\n", errs)
		} else {
			fmt.Fprintf(stderr, "strait dev: %v\n", err)
		}
		return 1
	}
	fmt.Fprintf(stdout, "# strait dev: embedded %d-broker cluster at %v\n# config in use:\n%s\n", *brokers, c.ListenAddrs(), text)
	return serve(cfg, stderr, func(*gateway.Gateway) {
		fmt.Fprintf(stdout, "Kafka bootstrap server: localhost:%d\nTry: kcat -b localhost:%d -L\nAdmin: http://%s/metrics\nCtrl-C stops.\n", *port, *port, *adminAddr)
	})
}
