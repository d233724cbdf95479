package bars

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// Reference posterior of k on the BARS example from a long BarsP run
// (testdata/README.md): 5 -> 54%, 6 -> 34%, 7 -> 9.5%, 8 -> 2.4%, 9 -> 0.4%.
var refK = map[int]float64{5: 0.54, 6: 0.34, 7: 0.095, 8: 0.024, 9: 0.004}

func exampleModel(t testing.TB) *Model {
	d, err := ReadBarsP(mustOpen(t, "testdata/bars_example.data"), "bars_example.data")
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
