// A benchmark of the enforcer on the produce path.

package acls_test

import (
	"context"
	"testing"
)

// BenchmarkProduceCheck is the enforcer's cost on an allowed produce of
// one topic, with a condition (identity cache) in play.
func BenchmarkProduceCheck(b *testing.B) {
	ch := chain(b, &denials{},
		spec(b, "team", `context.auth.principal.name == "alice"`, allow("topic", "orders-*,audit", "write")),
		spec(b, "all", "", allow("topic", "public-*", "read")))
	c := conn("alice")
	req := produceReq(9, "orders-eu")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		x, err := ch.OnRequest(ctx, c, req)
		if err != nil || x.Local() != nil {
			b.Fatal("refused")
		}
	}
}
