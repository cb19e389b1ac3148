// Tests of following the cluster's brokers.

package backend

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/strait-gw/strait/internal/config"
)

// TestRefreshSoon checks that a caller who has seen a broker the cluster
// does not know yet gets fresh metadata long before the next interval.
func TestRefreshSoon(t *testing.T) {
	fake, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	c := newTestCluster(t, fake.ListenAddrs(), config.BackendAuth{Type: "anonymous"}, nil) // interval 1m
	lists := make(chan []Broker, 8)
	c.Watch(func(b []Broker) { lists <- b })
	deadline := time.After(10 * time.Second)
	for n := 0; n != 1; {
		select {
		case b := <-lists:
			n = len(b)
		case <-deadline:
			t.Fatal("no metadata")
		}
	}
	if _, _, err := fake.AddNode(1, 0); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.RefreshSoon()
	c.RefreshSoon() // collapses into the first
	select {
	case b := <-lists:
		if len(b) != 2 {
			t.Fatalf("brokers after RefreshSoon: %v", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the new broker not seen 5s after RefreshSoon (the interval is 1m)")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("refresh took %v", d)
	}
}
