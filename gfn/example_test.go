package gfn_test

import (
	"context"
	"fmt"

	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/gfn/envs/hypergrid"
)

// Train trajectory balance on a small HyperGrid and compare the learned
// sampler with the target exactly.
func Example() {
	env, err := hypergrid.New(2, 4)
	if err != nil {
		panic(err)
	}
	cfg := gfn.DefaultConfig()
	cfg.Model.Hidden = 32
	cfg.BatchSize = 32
	tr, err := gfn.NewTrainer(env, cfg)
	if err != nil {
		panic(err)
	}
	if err := tr.Train(context.Background(), 300, nil); err != nil {
		panic(err)
	}
	ex, err := gfn.ExactDistribution(env, tr.Policy())
	if err != nil {
		panic(err)
	}
	fmt.Printf("states: %d\n", len(ex.P))
	fmt.Printf("L1 below 0.05: %v\n", ex.L1 < 0.05)
	// Output:
	// states: 16
	// L1 below 0.05: true
}
