// This file holds listener ports: parsing port ranges and the port mapping
// between broker ids and listener ports.

package config

import (
	"fmt"
	"strconv"
	"strings"
)

// parsePortRange parses "19092" or the inclusive range "19092-19095".
func parsePortRange(s string) (PortRange, error) {
	firstText, lastText, isRange := strings.Cut(strings.TrimSpace(s), "-")
	first, err := parsePort(firstText, s)
	if err != nil {
		return PortRange{}, err
	}
	if !isRange {
		return PortRange{First: first, Last: first}, nil
	}
	last, err := parsePort(lastText, s)
	if err != nil {
		return PortRange{}, err
	}
	if first > last {
		return PortRange{}, fmt.Errorf("invalid port range %q: %d is greater than %d", s, first, last)
	}
	return PortRange{First: first, Last: last}, nil
}

func parsePort(text, whole string) (int, error) {
	text = strings.TrimSpace(text)
	p, err := strconv.Atoi(text)
	if err != nil || text[0] == '+' {
		return 0, fmt.Errorf("invalid port %q (expected a port or a \"first-last\" range)", whole)
	}
	if p < 1 || p > 65535 {
		return 0, fmt.Errorf("invalid port %q: %d out of range 1-65535", whole, p)
	}
	return p, nil
}

// String formats r as "19092" or "19092-19095".
func (r PortRange) String() string {
	if r.First == r.Last {
		return strconv.Itoa(r.First)
	}
	return strconv.Itoa(r.First) + "-" + strconv.Itoa(r.Last)
}

// Len is the number of ports in r.
func (r PortRange) Len() int { return r.Last - r.First + 1 }

func (r PortRange) overlaps(o PortRange) bool {
	return r.First <= o.Last && o.First <= r.Last
}

// PortList returns the listener's ports in the order written, ranges
// expanded. The result is fresh on each call.
func (l *Listener) PortList() []int {
	n := 0
	for _, r := range l.Ports {
		n += max(r.Len(), 0)
	}
	ports := make([]int, 0, n)
	for _, r := range l.Ports {
		for p := r.First; p <= r.Last; p++ {
			ports = append(ports, p)
		}
	}
	return ports
}

// bootstrapAtStart reports whether the first port of the listener is the
// bootstrap port; an empty BootstrapPort means the default, at_start.
func (f *ForwardConfig) bootstrapAtStart() bool {
	return f.BootstrapPort == "" || f.BootstrapPort == bootstrapAtStart
}

// BrokerPorts splits the listener's ports for port mapping. bootstrap is the
// bootstrap port, the first port, or 0 when BootstrapPort is none. brokers
// are the remaining ports in order: broker id MinBrokerID+i is served on
// brokers[i]. Ports may be several ranges, so brokers need not be
// contiguous.
func (f *ForwardConfig) BrokerPorts(l *Listener) (bootstrap int, brokers []int) {
	ports := l.PortList()
	if f.bootstrapAtStart() && len(ports) > 0 {
		return ports[0], ports[1:]
	}
	return 0, ports
}

// PortForBroker returns the listener port serving broker id; ok is false
// when id is outside the ids the listener's ports cover.
func (f *ForwardConfig) PortForBroker(l *Listener, id int32) (port int, ok bool) {
	_, brokers := f.BrokerPorts(l)
	i := int64(id) - int64(f.MinBrokerID)
	if i < 0 || i >= int64(len(brokers)) {
		return 0, false
	}
	return brokers[i], true
}

// BrokerForPort returns the broker id served on port; ok is false for the
// bootstrap port and for ports the listener does not have.
func (f *ForwardConfig) BrokerForPort(l *Listener, port int) (id int32, ok bool) {
	_, brokers := f.BrokerPorts(l)
	for i, p := range brokers {
		if p == port {
			return f.MinBrokerID + int32(i), true
		}
	}
	return 0, false
}

// CheckBrokerIDs returns one message for each broker id (in the order
// given, each once) that the listener has no port for. The gateway calls it
// with the broker ids of the backend's metadata, which cannot be known when
// the configuration is loaded.
func (f *ForwardConfig) CheckBrokerIDs(l *Listener, ids []int32) []string {
	_, brokers := f.BrokerPorts(l)
	var msgs []string
	seen := map[int32]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if _, ok := f.PortForBroker(l, id); ok {
			continue
		}
		msgs = append(msgs, fmt.Sprintf("broker id %d has no port: listener %q %s", id, l.Name, f.describeMapping(brokers)))
	}
	return msgs
}

// describeMapping says which broker ids a listener maps to which ports:
// "maps broker ids 0-2 to ports 19093-19095 (min_broker_id 0)".
func (f *ForwardConfig) describeMapping(brokers []int) string {
	switch len(brokers) {
	case 0:
		return "has no broker ports"
	case 1:
		return fmt.Sprintf("maps broker id %d to port %d (min_broker_id %d)", f.MinBrokerID, brokers[0], f.MinBrokerID)
	}
	last := int64(f.MinBrokerID) + int64(len(brokers)) - 1
	return fmt.Sprintf("maps broker ids %d-%d to ports %s (min_broker_id %d)", f.MinBrokerID, last, compactPorts(brokers), f.MinBrokerID)
}

// compactPorts formats ascending runs of ports as ranges:
// [1 2 3 7] -> "1-3, 7".
func compactPorts(ports []int) string {
	var parts []string
	for i := 0; i < len(ports); {
		j := i
		for j+1 < len(ports) && ports[j+1] == ports[j]+1 {
			j++
		}
		parts = append(parts, PortRange{First: ports[i], Last: ports[j]}.String())
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
