package bars

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// Reference posterior of k on the BARS example: 8 pooled BarsP 1.0 runs of
// 1000 + 20,000 iterations (testdata/README.md).
var refK = map[int]float64{5: 0.5012, 6: 0.3701, 7: 0.1090, 8: 0.0172, 9: 0.0021, 10: 0.0004}

func exampleModel(t testing.TB) *Model { return readModel(t, "bars_example.data") }

// readModel reads testdata/name (BarsP format) into a model with the
// default prior.
func readModel(t testing.TB, name string) *Model {
	t.Helper()
	d, err := ReadBarsP(mustOpen(t, "testdata/"+name), name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(d, DefaultPrior())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func kPosterior(knots [][]float64) map[int]float64 {
	p := map[int]float64{}
	for _, k := range knots {
		p[len(k)] += 1 / float64(len(knots))
	}
	return p
}

func tv(a, b map[int]float64) float64 {
	var s float64
	for k, v := range a {
		s += math.Abs(v - b[k])
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			s += v
		}
	}
	return s / 2
}

// TestRJMCMCPriorOnly runs the chain with a flat likelihood: the knot
// locations are then uniform on the allowed sorted tuples, whose volume is
// (1-(k+1)·gap)^k / k!, so the chain must return p(k) ∝ pi(k)·(1-(k+1)·gap)^k.
// This checks the move probabilities, the proposal densities and the k!
// bookkeeping.
func TestRJMCMCPriorOnly(t *testing.T) {
	for _, gap := range []float64{0, 0.02} {
		m := exampleModel(t)
		m.Prior = KPrior{Kind: "poisson", Min: 1, Max: 10, Lambda: 3}
		m.MinGap = gap
		m.logLik = func([]float64) float64 { return 0 }
		cfg := DefaultRJConfig()
		cfg.Burnin, cfg.Samples, cfg.Thin = 1000, 200000, 1
		ch, err := RJMCMC(context.Background(), m, cfg, rand.New(rand.NewPCG(3, 4)), nil)
		if err != nil {
			t.Fatal(err)
		}
		pk := kPosterior(ch.Knots)
		want := map[int]float64{}
		var z float64
		for k := 1; k <= 10; k++ {
			want[k] = math.Exp(m.Prior.LogProb(k)) * math.Pow(1-float64(k+1)*gap, float64(k))
			z += want[k]
		}
		for k := range want {
			want[k] /= z
		}
		d := tv(pk, want)
		t.Logf("gap %v: TV between chain and prior on k %.4f", gap, d)
		if d > 0.02 {
			t.Errorf("gap %v: prior-only chain has p(k) %v, want %v (TV %.3f)", gap, pk, want, d)
		}
	}
}

// TestRJMCMCRepairsStart: on sparse data the equally spaced start can fail
// BARS's singularity rule (this data set: 10 trials, 5 ms bins, 89 of 220
// bins empty); the chain must then start from a repaired knot set.
func TestRJMCMCRepairsStart(t *testing.T) {
	d, err := ReadBarsP(mustOpen(t, "testdata/sparse_start.data"), "sparse_start.data")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(d, DefaultPrior())
	if err != nil {
		t.Fatal(err)
	}
	if lp := m.LogPosterior([]float64{0.25, 0.5, 0.75}); !math.IsInf(lp, -1) {
		t.Fatalf("the test data no longer make the default start fail (log posterior %v)", lp)
	}
	cfg := BARSRJConfig()
	cfg.Samples = 200
	ch, err := RJMCMC(context.Background(), m, cfg, rand.New(rand.NewPCG(1, 2)), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, lp := range ch.LogPost {
		if math.IsInf(lp, -1) || len(ch.Knots[i]) == 0 {
			t.Fatalf("state %d: knots %v, log posterior %v", i, ch.Knots[i], lp)
		}
	}
}

// TestRJMCMCJitterTarget checks the fine relocation move (Jitter) on a
// target with a closed form: each knot contributes a factor
// c·N(x; 0.3, 0.01) to the likelihood, so the knots are independent draws
// of that normal and p(k) ∝ pi(k)·c^k. The target is narrower than BARS's
// Beta(50 s, 50(1-s)) proposal, the situation the move is for; with only
// fine relocations (Jitter 1) any asymmetry in the move would show in the
// knot positions.
func TestRJMCMCJitterTarget(t *testing.T) {
	const mu, sd, c = 0.3, 0.01, 1.5
	norm := distuv.Normal{Mu: mu, Sigma: sd}
	for _, jitter := range []float64{0.5, 1} {
		m := exampleModel(t)
		m.Prior = KPrior{Kind: "poisson", Min: 1, Max: 4, Lambda: 2}
		m.MinGap = 0
		m.logLik = func(knots []float64) float64 {
			var s float64
			for _, x := range knots {
				s += math.Log(c) + norm.LogProb(x)
			}
			return s
		}
		cfg := DefaultRJConfig()
		cfg.Jitter = jitter
		cfg.Burnin, cfg.Samples, cfg.Thin = 2000, 40000, 5
		ch, err := RJMCMC(context.Background(), m, cfg, rand.New(rand.NewPCG(7, 8)), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]float64{}
		var z float64
		for k := 1; k <= 4; k++ {
			want[k] = math.Exp(m.Prior.LogProb(k)) * math.Pow(c, float64(k))
			z += want[k]
		}
		for k := range want {
			want[k] /= z
		}
		var xs []float64
		for _, ks := range ch.Knots {
			xs = append(xs, ks...)
		}
		slices.Sort(xs)
		var ks float64
		for i, x := range xs {
			f := norm.CDF(x)
			ks = max(ks, math.Abs(f-float64(i)/float64(len(xs))), math.Abs(f-float64(i+1)/float64(len(xs))))
		}
		d := tv(kPosterior(ch.Knots), want)
		t.Logf("jitter %v: TV(k) %.4f, KS(knot positions) %.4f; fine moves accepted %d/%d, BARS relocations %d/%d",
			jitter, d, ks, ch.Accepted[3], ch.Proposed[3], ch.Accepted[2], ch.Proposed[2])
		if d > 0.02 || ks > 0.02 {
			t.Errorf("jitter %v: TV(k) %.4f, KS %.4f; want both <= 0.02", jitter, d, ks)
		}
		if ch.Proposed[3] == 0 || (jitter == 1 && ch.Proposed[2] != 0) {
			t.Errorf("jitter %v: %d fine and %d BARS relocations proposed", jitter, ch.Proposed[3], ch.Proposed[2])
		}
	}
}
