package gfn_test

import (
	"testing"

	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/gfn/envs/hypergrid"
)

// BenchmarkHypergridTB is the speed target of the core: HyperGrid 2-D
// height 8, trajectory balance, MLP 256x2, batch 16 (torchgfn: about 9.8 ms
// per iteration on a laptop CPU).
func BenchmarkHypergridTB(b *testing.B) {
	env, err := hypergrid.New(2, 8)
	if err != nil {
		b.Fatal(err)
	}
	cfg := gfn.DefaultConfig()
	cfg.BatchSize = 16
	cfg.Workers = 1
	tr, err := gfn.NewTrainer(env, cfg)
	if err != nil {
		b.Fatal(err)
	}
	// Warm up past the random-policy phase so trajectories have their
	// trained length.
	for range 200 {
		if _, err := tr.Iterate(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.Iterate(); err != nil {
			b.Fatal(err)
		}
	}
}
