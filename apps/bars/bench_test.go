package bars

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkRJMCMC is BarsP's default run on the example (2000 iterations,
// no burn-in); BarsP 1.0 takes about 0.17 s for it with its coefficient
// draws and output (bars-model.md).
func BenchmarkRJMCMC(b *testing.B) {
	m := exampleModel(b)
	cfg := BARSRJConfig()
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

// BenchmarkFitPSTH is a whole RJMCMC fit of the example (the chain, 2000
// coefficient draws with their curves on the bin centres and a 500-point
// grid, and the summaries): "barsp" at BarsP's default run length, the
// equivalent of its 0.17 s, and "default" at ours.
func BenchmarkFitPSTH(b *testing.B) {
	m := exampleModel(b)
	for _, run := range []struct {
		name string
		rj   RJConfig
	}{{"barsp", BARSRJConfig()}, {"default", DefaultRJConfig()}} {
		b.Run(run.name, func(b *testing.B) {
			cfg := DefaultFitConfig()
			cfg.Sampler, cfg.RJMCMC = SamplerRJMCMC, run.rj
			for b.Loop() {
				if _, err := FitPSTH(context.Background(), m.Data, cfg, 1, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFitGFN is a whole GFlowNet fit of the example (warm-start chain,
// maximum-likelihood training, 2000 corrected draws with two local moves
// each, curves and summaries): "default" with the app's settings and
// "wide" with the earlier default (hidden width 128, 1000 iterations), so
// that one run times the two side by side.
func BenchmarkFitGFN(b *testing.B) {
	m := exampleModel(b)
	wide := DefaultFitConfig()
	wide.GFN.Train.Model.Hidden, wide.GFN.Pretrain = 128, 1000
	for _, run := range []struct {
		name string
		cfg  FitConfig
	}{{"default", DefaultFitConfig()}, {"wide", wide}} {
		b.Run(run.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := FitPSTH(context.Background(), m.Data, run.cfg, 1, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
