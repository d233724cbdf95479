package bars

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkRJMCMC is BARS's default run on the example (500 burn-in +
// 2000 kept iterations); BarsP 1.0 takes about 0.17 s for it.
func BenchmarkRJMCMC(b *testing.B) {
	m := exampleModel(b)
	cfg := DefaultRJConfig()
	for b.Loop() {
		if _, err := RJMCMC(context.Background(), m, cfg, rand.New(rand.NewPCG(1, 2)), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFit is one knot-set evaluation: basis, IRLS fit, BIC.
func BenchmarkFit(b *testing.B) {
	m := exampleModel(b)
	knots := []float64{0.2, 0.38, 0.41, 0.47, 0.7}
	b.ReportAllocs()
	for b.Loop() {
		m.LogPosterior(knots)
	}
}

// BenchmarkFitPSTH is a whole default RJMCMC fit of the example: the
// chain, 2000 coefficient draws with their curves on the bin centres and
// a 500-point grid, and the summaries.
func BenchmarkFitPSTH(b *testing.B) {
	m := exampleModel(b)
	cfg := DefaultFitConfig()
	cfg.Sampler = SamplerRJMCMC
	for b.Loop() {
		if _, err := FitPSTH(context.Background(), m.Data, cfg, 1, nil); err != nil {
			b.Fatal(err)
		}
	}
}
