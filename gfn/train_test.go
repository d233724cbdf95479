package gfn_test

import (
	"context"
	"math"
	"testing"

	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/gfn/envs/hypergrid"
)

// smallConfig is a configuration small enough for unit tests that still
// fails when an objective is wrong.
func smallConfig(loss gfn.Loss) gfn.Config {
	cfg := gfn.DefaultConfig()
	cfg.Loss = loss
	cfg.Model.Hidden = 64
	cfg.BatchSize = 64
	return cfg
}

func train[S any](t *testing.T, env gfn.Env[S], cfg gfn.Config, iters int) *gfn.Trainer[S] {
	t.Helper()
	tr, err := gfn.NewTrainer(env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Train(context.Background(), iters, nil); err != nil {
		t.Fatal(err)
	}
	return tr
}

func hypergridL1[S any](t *testing.T, env gfn.Enumerable[S], tr *gfn.Trainer[S]) float64 {
	t.Helper()
	ex, err := gfn.ExactDistribution(env, tr.Policy())
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, p := range ex.P {
		sum += p
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("exact terminal distribution sums to %v", sum)
	}
	return ex.L1
}

// TestHypergridObjectives trains every objective on HyperGrid 2-D height 8
// and checks the exact L1 distance between the learned terminal
// distribution and R/Z. An untrained policy scores about 0.9 here.
func TestHypergridObjectives(t *testing.T) {
	env, err := hypergrid.New(2, 8)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		loss    gfn.Loss
		back    gfn.BackwardKind
		iters   int
		max     float64
		explore gfn.Exploration
		replay  gfn.Replay
	}{
		// Off-policy: exploration and replay change the behaviour policy,
		// not the target, because losses rescore under the current policy.
		{gfn.TB, gfn.BackwardUniform, 1000, 0.05, gfn.Exploration{Epsilon: 0.3, Temperature: 2}, gfn.Replay{}},
		{gfn.TB, gfn.BackwardUniform, 1000, 0.05, gfn.Exploration{}, gfn.Replay{Capacity: 1000, Fraction: 0.5, Prioritized: true}},
		{gfn.TB, gfn.BackwardUniform, 1000, 0.05, gfn.Exploration{}, gfn.Replay{}},
		{gfn.TB, gfn.BackwardLearned, 1000, 0.05, gfn.Exploration{}, gfn.Replay{}},
		{gfn.DB, gfn.BackwardUniform, 1000, 0.05, gfn.Exploration{}, gfn.Replay{}},
		{gfn.DB, gfn.BackwardLearned, 1000, 0.05, gfn.Exploration{}, gfn.Replay{}},
		{gfn.MDB, gfn.BackwardUniform, 1000, 0.05, gfn.Exploration{}, gfn.Replay{}},
		{gfn.SubTB, gfn.BackwardUniform, 1000, 0.05, gfn.Exploration{}, gfn.Replay{}},
		{gfn.FM, gfn.BackwardUniform, 1000, 0.05, gfn.Exploration{}, gfn.Replay{}},
		{gfn.ZVar, gfn.BackwardUniform, 1000, 0.05, gfn.Exploration{}, gfn.Replay{}},
	}
	for _, c := range cases {
		name := string(c.loss) + "/" + string(c.back)
		if !c.explore.OnPolicy() {
			name += "/explore"
		}
		if c.replay.Capacity > 0 {
			name += "/replay"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := smallConfig(c.loss)
			cfg.Backward = c.back
			cfg.Explore, cfg.Replay = c.explore, c.replay
			tr := train(t, env, cfg, c.iters)
			l1 := hypergridL1(t, env, tr)
			t.Logf("%s: exact L1 %.4f after %d iterations", name, l1, c.iters)
			if l1 > c.max {
				t.Errorf("exact L1 %.4f, want at most %.2f", l1, c.max)
			}
		})
	}
}

// TestExactMatchesSampling checks ExactDistribution against the empirical
// distribution of sampled objects for a partly trained (non-uniform)
// policy on a 3-D grid.
func TestExactMatchesSampling(t *testing.T) {
	env, _ := hypergrid.New(3, 4)
	tr := train(t, env, smallConfig(gfn.TB), 20)
	ex, err := gfn.ExactDistribution(env, tr.Policy())
	if err != nil {
		t.Fatal(err)
	}
	const n = 40000
	_, trajs := gfn.Evaluate(env, tr.Policy(), gfn.Uniform[hypergrid.State]{}, n, 1000, 5)
	freq := map[string]float64{}
	for i := range trajs {
		freq[env.Key(trajs[i].Object())] += 1.0 / n
	}
	// Chi-square statistic over the 64 states.
	var chi2, l1 float64
	for i, k := range ex.Keys {
		d := freq[k] - ex.P[i]
		chi2 += n * d * d / ex.P[i]
		l1 += math.Abs(d)
	}
	t.Logf("exact vs sampled: L1 %.4f, chi2 %.1f on %d cells (policy L1 to target %.3f)", l1, chi2, len(ex.Keys)-1, ex.L1)
	// 63 degrees of freedom: the 0.999 quantile is about 103.
	if chi2 > 103 {
		t.Errorf("sampled objects disagree with the exact terminal distribution: chi2 %.1f", chi2)
	}
}
