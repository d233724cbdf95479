package bars

import (
	"context"
	"fmt"
	"math"

	"github.com/neurogfn/neurogfn/gfn"
)

// GFNConfig configures the GFlowNet sampler of the BARS posterior.
type GFNConfig struct {
	Train      gfn.Config `yaml:"train" json:"-"`
	Iterations int        `yaml:"iterations" json:"iterations"`
	// WarmStart runs a short RJMCMC chain first: its best knot set sets the
	// reward offset (so log Z starts near zero) and its states seed the
	// replay buffer when replay is on.
	WarmStart RJConfig `yaml:"warm_start" json:"-"`
}

// DefaultGFNConfig is the sampler setting validated on the BARS example.
func DefaultGFNConfig() GFNConfig {
	t := gfn.DefaultConfig()
	t.Model.Hidden = 128
	t.Model.Components = 6
	t.Model.ConcMax = 3000
	t.BatchSize = 64
	t.Replay = gfn.Replay{Capacity: 5000, Fraction: 0.25}
	w := DefaultRJConfig()
	w.Burnin, w.Samples = 500, 3000
	return GFNConfig{Train: t, Iterations: 1500, WarmStart: w}
}

// GFNResult is a trained sampler with its draws.
type GFNResult struct {
	Chain   *Chain
	Trainer *gfn.Trainer[[]float64]
	Env     *Env
	// Bounds are the importance-sampling diagnostics of the draws (log Z
	// relative to the environment's offset).
	Bounds gfn.Bounds
	// Excluded counts draws in the region BARS excludes, which were
	// discarded (the kept draws follow the sampler conditioned on the
	// posterior's support).
	Excluded int
}

// SampleGFN trains a GFlowNet on the model's posterior and draws n knot
// sets from it. progress, if non-nil, gets the training statistics after
// each iteration.
func SampleGFN(ctx context.Context, m *Model, cfg GFNConfig, n int, seed uint64, progress func(gfn.Stats)) (*GFNResult, error) {
	return SampleGFNOrdered(ctx, m, cfg, n, seed, false, progress)
}

// SampleGFNOrdered is SampleGFN with a choice of construction (see
// Env.Ordered).
func SampleGFNOrdered(ctx context.Context, m *Model, cfg GFNConfig, n int, seed uint64, ordered bool, progress func(gfn.Stats)) (*GFNResult, error) {
	env, err := NewEnv(m)
	if err != nil {
		return nil, err
	}
	env.Ordered = ordered
	var warm *Chain
	if cfg.WarmStart.Samples > 0 {
		warm, err = RJMCMC(ctx, m, cfg.WarmStart, gfn.Stream(seed, 1<<40), nil)
		if err != nil {
			return nil, fmt.Errorf("warm start: %w", err)
		}
		best := math.Inf(-1)
		for _, lp := range warm.LogPost {
			best = max(best, lp)
		}
		env.Offset = best
	}
	tc := cfg.Train
	tc.Seed = seed
	tr, err := gfn.NewTrainer[[]float64](env, tc)
	if err != nil {
		return nil, err
	}
	if tr.Replay != nil && warm != nil {
		for i, k := range warm.Knots {
			tr.Replay.Add(k, warm.LogPost[i]-env.Offset)
		}
	}
	if err := tr.Train(ctx, cfg.Iterations, progress); err != nil {
		return nil, err
	}
	res := &GFNResult{Chain: &Chain{}, Trainer: tr, Env: env}
	ch := res.Chain
	for round := uint64(0); len(ch.Knots) < n; round++ {
		if round > 0 && res.Excluded > 10*n {
			return nil, fmt.Errorf("%s: %d of the GFlowNet's draws fall where BARS's posterior is zero; train longer", m.Data.Name, res.Excluded)
		}
		b, trajs := gfn.Evaluate[[]float64](env, tr.Policy(), gfn.Uniform[[]float64]{}, n-len(ch.Knots), 500, seed^0xba25+round)
		if round == 0 {
			res.Bounds = b
		}
		for i := range trajs {
			k := trajs[i].Object()
			lp, f := m.logTarget(k)
			if f == nil {
				res.Excluded++
				continue
			}
			ch.Knots = append(ch.Knots, k)
			ch.LogPost = append(ch.LogPost, lp)
			ch.Fits = append(ch.Fits, f)
		}
	}
	return res, nil
}
