package gfn_test

import (
	"bytes"
	"context"
	"math"
	"slices"
	"testing"

	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/gfn/envs/hypergrid"
	"github.com/neurogfn/neurogfn/gfn/envs/pointset"
	"github.com/neurogfn/neurogfn/gfn/gfntest"
)

// pointsetStats draws n sets and returns TV(k) against p(k) and the
// Kolmogorov-Smirnov distance of all points to f.
func pointsetStats(t *testing.T, env *pointset.Env, pf gfn.Policy[pointset.State], n int) (tv, ks float64, b gfn.Bounds) {
	t.Helper()
	b, trajs := gfn.Evaluate[pointset.State](env, pf, gfn.Uniform[pointset.State]{}, n, 500, 99)
	counts := make([]float64, env.MaxPoints+1)
	var pts []float64
	for i := range trajs {
		x := trajs[i].Object()
		counts[len(x)]++
		pts = append(pts, x...)
	}
	pk := env.PK()
	for k := range counts {
		tv += math.Abs(counts[k]/float64(n)-pk[k]) / 2
	}
	slices.Sort(pts)
	for i, x := range pts {
		c := env.CDF(x)
		ks = max(ks, math.Abs(float64(i+1)/float64(len(pts))-c), math.Abs(c-float64(i)/float64(len(pts))))
	}
	return tv, ks, b
}

func newPointset(t *testing.T) *pointset.Env {
	env, err := pointset.New(3, 8, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestPointsetTB trains trajectory balance on the Poisson-process target
// and checks p(k), the point marginal and log Z; then shows that dropping
// the 1/k backward factors (log P_B = 0) biases p(k) towards lambda^k.
func TestPointsetTB(t *testing.T) {
	env := newPointset(t)
	cfg := smallConfig(gfn.TB)
	tr := train(t, env, cfg, 600)
	tv, ks, b := pointsetStats(t, env, tr.Policy(), 20000)
	logZ := tr.Model.LogZ.W.Data[0]
	t.Logf("TB: TV(k) %.4f KS %.4f log Z %.4f (IS %.4f, ELBO %.4f, ESS %.3f) true %.4f", tv, ks, logZ, b.LogZ, b.ELBO, b.ESS, env.LogZ())
	// Sampling noise at 20000 draws: TV about 0.006, KS about 0.005.
	if tv > 0.025 || ks > 0.02 || math.Abs(logZ-env.LogZ()) > 0.05 || math.Abs(b.LogZ-env.LogZ()) > 0.05 {
		t.Errorf("TB on point sets: TV(k) %.4f (max 0.025), KS %.4f (max 0.02), log Z %.4f and IS %.4f vs %.4f (max error 0.05)", tv, ks, logZ, b.LogZ, env.LogZ())
	}
	if b.ELBO > env.LogZ()+0.01 {
		t.Errorf("ELBO %.4f above log Z %.4f", b.ELBO, env.LogZ())
	}

	// The permutation-invariant set encoder learns the same target.
	ds := smallConfig(gfn.TB)
	ds.Model.Encoder = gfn.EncoderDeepSets
	ds.Model.Hidden = 32
	dtr := train(t, env, ds, 600)
	tv, ks, b = pointsetStats(t, env, dtr.Policy(), 20000)
	t.Logf("TB with DeepSets: TV(k) %.4f KS %.4f IS log Z %.4f", tv, ks, b.LogZ)
	if tv > 0.025 || ks > 0.02 || math.Abs(b.LogZ-env.LogZ()) > 0.05 {
		t.Errorf("DeepSets encoder: TV(k) %.4f, KS %.4f, IS log Z %.4f vs %.4f", tv, ks, b.LogZ, env.LogZ())
	}

	cfg.Backward = gfn.BackwardTree
	bad := train(t, env, cfg, 600)
	tv, _, _ = pointsetStats(t, env, bad.Policy(), 5000)
	t.Logf("TB without the 1/k backward factors: TV(k) %.4f", tv)
	if tv < 0.2 {
		t.Errorf("training with log P_B = 0 gave TV(k) %.4f; the k! bias should make it large", tv)
	}
}

// TestOptimalPolicyBounds checks the importance-sampling bounds on the
// hand-written optimal policy, where every log weight equals log Z, and
// EUBO >= log Z >= ELBO for a trained policy with target samples.
func TestOptimalPolicyBounds(t *testing.T) {
	env := newPointset(t)
	opt := pointset.NewOptimalPolicy(env)
	b, trajs := gfn.Evaluate[pointset.State](env, opt, gfn.Uniform[pointset.State]{}, 2000, 500, 1)
	if math.Abs(b.ELBO-env.LogZ()) > 1e-9 || math.Abs(b.LogZ-env.LogZ()) > 1e-9 || math.Abs(b.ESS-1) > 1e-9 {
		t.Errorf("optimal policy: ELBO %v, IS log Z %v, ESS %v; want log Z %v and ESS 1", b.ELBO, b.LogZ, b.ESS, env.LogZ())
	}
	cfg := smallConfig(gfn.TB)
	tr := train(t, env, cfg, 100)
	xs := make([]pointset.State, len(trajs))
	for i := range trajs {
		xs[i] = trajs[i].Object()
	}
	eubo := gfn.EUBO[pointset.State](env, tr.Policy(), gfn.Uniform[pointset.State]{}, xs, 3)
	pb, _ := gfn.Evaluate[pointset.State](env, tr.Policy(), gfn.Uniform[pointset.State]{}, 2000, 500, 2)
	t.Logf("partly trained: ELBO %.4f IS %.4f EUBO %.4f true %.4f", pb.ELBO, pb.LogZ, eubo, env.LogZ())
	if !(pb.ELBO <= env.LogZ() && env.LogZ() <= eubo) {
		t.Errorf("want ELBO %.4f <= log Z %.4f <= EUBO %.4f", pb.ELBO, env.LogZ(), eubo)
	}
}

// TestPolicyConformance runs the conformance suite on the neural policies:
// probabilities (with continuous densities integrated) sum to one and
// forced actions have log-probability 0.
func TestPolicyConformance(t *testing.T) {
	ps := newPointset(t)
	trp, err := gfn.NewTrainer(ps, smallConfig(gfn.TB))
	if err != nil {
		t.Fatal(err)
	}
	gfntest.Policy(t, ps, trp.Policy(), gfntest.Options{Trajectories: 30})
	hg, _ := hypergrid.New(3, 4)
	trh, err := gfn.NewTrainer(hg, smallConfig(gfn.TB))
	if err != nil {
		t.Fatal(err)
	}
	gfntest.Policy(t, hg, trh.Policy(), gfntest.Options{Trajectories: 30})
}

// TestResume checks that a run checkpointed and resumed equals the
// uninterrupted run bit for bit, and that the number of reward workers
// changes nothing.
func TestResume(t *testing.T) {
	env, _ := hypergrid.New(2, 6)
	cfg := smallConfig(gfn.DB)
	cfg.Backward = gfn.BackwardLearned
	cfg.Replay = gfn.Replay{Capacity: 200, Fraction: 0.25, Prioritized: true}
	cfg.Explore.Epsilon = 0.1
	cfg.Workers = 1
	full := train(t, env, cfg, 30)

	half := train(t, env, cfg, 15)
	var buf bytes.Buffer
	if err := half.SaveCheckpoint(&buf); err != nil {
		t.Fatal(err)
	}
	cfg4 := cfg
	resumed, err := gfn.NewTrainer(env, cfg4)
	if err != nil {
		t.Fatal(err)
	}
	if err := resumed.LoadCheckpoint(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if resumed.Step != 15 {
		t.Fatalf("resumed at step %d, want 15", resumed.Step)
	}
	for resumed.Step < 30 {
		if _, err := resumed.Iterate(); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Workers = 4
	parallel := train(t, env, cfg, 30)
	for name, other := range map[string]*gfn.Trainer[hypergrid.State]{"resumed": resumed, "4 workers": parallel} {
		a, b := full.Model.Params(), other.Model.Params()
		for i := range a {
			if !slices.Equal(a[i].W.Data, b[i].W.Data) {
				t.Errorf("%s run differs from the uninterrupted one in %s", name, a[i].Name)
				break
			}
		}
	}

	// A checkpoint from another configuration is refused.
	other := cfg
	other.Loss = gfn.TB
	tr, _ := gfn.NewTrainer(env, other)
	if err := tr.LoadCheckpoint(bytes.NewReader(buf.Bytes())); err == nil {
		t.Error("loaded a checkpoint written for another configuration")
	}
	// A corrupted checkpoint is refused.
	bad := slices.Clone(buf.Bytes())
	bad[len(bad)/2] ^= 1
	if err := resumed.LoadCheckpoint(bytes.NewReader(bad)); err == nil {
		t.Error("loaded a corrupted checkpoint")
	}
}

// TestPointsetMLE fits the forward policy to samples of the target (drawn
// with the optimal policy) by maximum likelihood on their backward
// trajectories, and checks that the fitted sampler reproduces p(k) and f.
func TestPointsetMLE(t *testing.T) {
	env := newPointset(t)
	_, trajs := gfn.Evaluate[pointset.State](env, pointset.NewOptimalPolicy(env), gfn.Uniform[pointset.State]{}, 20000, 1000, 11)
	cfg := smallConfig(gfn.MLE)
	cfg.Replay = gfn.Replay{Capacity: len(trajs), Fraction: 1}
	tr, err := gfn.NewTrainer(env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range trajs {
		tr.Replay.Add(trajs[i].Object(), trajs[i].LogReward)
	}
	if err := tr.Train(context.Background(), 600, nil); err != nil {
		t.Fatal(err)
	}
	tv, ks, b := pointsetStats(t, env, tr.Policy(), 20000)
	t.Logf("MLE: TV(k) %.4f KS %.4f IS log Z %.4f (true %.4f) ESS %.3f", tv, ks, b.LogZ, env.LogZ(), b.ESS)
	if tv > 0.03 || ks > 0.025 || math.Abs(b.LogZ-env.LogZ()) > 0.05 {
		t.Errorf("MLE on target samples: TV(k) %.4f, KS %.4f, IS log Z %.4f vs %.4f", tv, ks, b.LogZ, env.LogZ())
	}
}
