package pointset_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/gfn/envs/pointset"
	"github.com/neurogfn/neurogfn/gfn/gfntest"
)

func newEnv(t testing.TB, lambda float64, k int, a, b float64) *pointset.Env {
	t.Helper()
	e, err := pointset.New(lambda, k, a, b)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		lambda float64
		k      int
		a, b   float64
		want   string
	}{
		{0, 3, 1, 1, "lambda"},
		{math.NaN(), 3, 1, 1, "lambda"},
		{math.Inf(1), 3, 1, 1, "lambda"},
		{1, 0, 1, 1, "maxPoints"},
		{1, 3, -1, 1, "alpha"},
		{1, 3, 1, 0, "beta"},
	} {
		_, err := pointset.New(tc.lambda, tc.k, tc.a, tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v, %d, %v, %v) = %v, want an error about %s", tc.lambda, tc.k, tc.a, tc.b, err, tc.want)
		}
	}
}

func TestLogZAndPK(t *testing.T) {
	e := newEnv(t, 3, 8, 2, 5)
	var z, fact float64 = 0, 1
	for k := range 9 {
		if k > 0 {
			fact *= float64(k)
		}
		z += math.Pow(3, float64(k)) / fact
	}
	if got := e.LogZ(); math.Abs(got-math.Log(z)) > 1e-13 {
		t.Errorf("LogZ = %v, want %v", got, math.Log(z))
	}
	pk := e.PK()
	var sum float64
	for _, p := range pk {
		sum += p
	}
	if math.Abs(sum-1) > 1e-14 || math.Abs(pk[2]-4.5/z) > 1e-15 {
		t.Errorf("PK = %v (sum %v), want p(2) = %v", pk, sum, 4.5/z)
	}
}

// trajectory samples a trajectory with p and returns its final state and
// the sums of log P_F (stop included) and of log P_B under gfn.Uniform.
func trajectory(e *pointset.Env, p gfn.Policy[pointset.State], rng *rand.Rand) (s pointset.State, logPF, logPB float64) {
	s = e.Init()
	rngs := []*rand.Rand{rng}
	acts := make([]gfn.Action, 1)
	lp := make([]float64, 1)
	for {
		fc := e.Forward(s, nil)
		p.Sample([]pointset.State{s}, [][]gfn.Candidate{fc}, rngs, acts)
		p.LogProb([]pointset.State{s}, [][]gfn.Candidate{fc}, acts, lp)
		logPF += lp[0]
		if fc[acts[0].Index].Stop {
			return s, logPF, logPB
		}
		next, back := e.Step(s, acts[0])
		bc := e.Backward(next, nil)
		gfn.Uniform[pointset.State]{}.LogProb([]pointset.State{next}, [][]gfn.Candidate{bc}, []int{back}, lp)
		logPB += lp[0]
		s = next
	}
}

// TestTrajectoryBalance checks that the optimal policy with the uniform
// backward policy has a zero trajectory-balance residual, and that leaving
// out P_B (the "tree" assumption) is off by log k!.
func TestTrajectoryBalance(t *testing.T) {
	for _, par := range [][4]float64{{3, 8, 2, 5}, {0.7, 3, 0.5, 0.5}, {12, 20, 1, 1}} {
		e := newEnv(t, par[0], int(par[1]), par[2], par[3])
		p := pointset.NewOptimalPolicy(e)
		rng := rand.New(rand.NewPCG(1, 2))
		logZ := e.LogZ()
		var biased int
		for range 2000 {
			s, logPF, logPB := trajectory(e, p, rng)
			k := len(s)
			res := logZ + logPF - e.LogReward(s) - logPB
			if math.Abs(res) > 1e-10 {
				t.Fatalf("params %v: TB residual %g at k = %d", par, res, k)
			}
			// With log P_B = 0 the residual is -log k!.
			noPB := logZ + logPF - e.LogReward(s)
			lf, _ := math.Lgamma(float64(k + 1))
			if math.Abs(noPB+lf) > 1e-10 {
				t.Fatalf("params %v: residual without P_B is %g at k = %d, want -log k! = %g", par, noPB, k, -lf)
			}
			if k >= 2 && math.Abs(noPB) > 0.5 {
				biased++
			}
		}
		if biased == 0 {
			t.Errorf("params %v: no trajectory with k >= 2 shows the log k! bias", par)
		}
	}
}

// TestTrajectoryBalanceBackward scores trajectories built backwards from
// random sets, as replay and EUBO do: the forward actions come from Undo.
func TestTrajectoryBalanceBackward(t *testing.T) {
	e := newEnv(t, 3, 8, 2, 5)
	p := pointset.NewOptimalPolicy(e)
	rng := rand.New(rand.NewPCG(3, 4))
	lp := make([]float64, 1)
	for range 500 {
		k := rng.IntN(e.MaxPoints + 1)
		x := make(pointset.State, k)
		for i := range x {
			x[i] = rng.Float64()
		}
		slices.Sort(x)
		// log P_F(stop | x) + sum over backward steps.
		fc := e.Forward(x, nil)
		p.LogProb([]pointset.State{x}, [][]gfn.Candidate{fc}, []gfn.Action{{Index: gfn.StopIndex(fc)}}, lp)
		logPF, logPB := lp[0], 0.0
		for s := x; len(s) > 0; {
			bc := e.Backward(s, nil)
			j := rng.IntN(len(bc))
			gfn.Uniform[pointset.State]{}.LogProb([]pointset.State{s}, [][]gfn.Candidate{bc}, []int{j}, lp)
			logPB += lp[0]
			parent, a := e.Undo(s, j)
			pfc := e.Forward(parent, nil)
			p.LogProb([]pointset.State{parent}, [][]gfn.Candidate{pfc}, []gfn.Action{a}, lp)
			logPF += lp[0]
			s = parent
		}
		if res := e.LogZ() + logPF - e.LogReward(x) - logPB; math.Abs(res) > 1e-10 {
			t.Fatalf("TB residual %g for backward trajectory from %v", res, x)
		}
	}
}

// TestOptimalPolicySamples checks that 1e5 draws of the optimal policy
// follow p(k) (chi-square) and that their points follow f (KS).
func TestOptimalPolicySamples(t *testing.T) {
	const n = 100000
	e := newEnv(t, 3, 8, 2, 5)
	p := pointset.NewOptimalPolicy(e)
	rng := rand.New(rand.NewPCG(5, 6))
	counts := make([]float64, e.MaxPoints+1)
	var points []float64
	for range n {
		s, _, _ := trajectory(e, p, rng)
		counts[len(s)]++
		points = append(points, s...)
	}

	pk := e.PK()
	var chi2, tv float64
	for k, c := range counts {
		exp := n * pk[k]
		chi2 += (c - exp) * (c - exp) / exp
		tv += math.Abs(c/n-pk[k]) / 2
	}
	pval := distuv.ChiSquared{K: float64(len(pk) - 1)}.Survival(chi2)
	t.Logf("k: chi2 = %.2f (p = %.3f), TV = %.4f", chi2, pval, tv)
	if pval < 1e-3 || tv > 0.01 {
		t.Errorf("k distribution %v does not match p(k) %v: chi2 = %.2f, p = %.2g, TV = %.4f", counts, pk, chi2, pval, tv)
	}

	slices.Sort(points)
	m := float64(len(points))
	var d float64
	for i, x := range points {
		f := e.CDF(x)
		d = max(d, math.Abs(float64(i+1)/m-f), math.Abs(f-float64(i)/m))
	}
	t.Logf("points: n = %d, KS sqrt(n) D = %.3f", len(points), math.Sqrt(m)*d)
	if math.Sqrt(m)*d > 1.95 { // Kolmogorov p < 0.001
		t.Errorf("points fail the KS test against Beta(2, 5): sqrt(n) D = %.3f", math.Sqrt(m)*d)
	}
}

func TestForcedStop(t *testing.T) {
	e := newEnv(t, 3, 2, 2, 5)
	p := pointset.NewOptimalPolicy(e)
	s, _ := e.Step(e.Init(), gfn.Action{Index: pointset.AddIndex, Value: []float64{0.7}})
	s, back := e.Step(s, gfn.Action{Index: pointset.AddIndex, Value: []float64{0.2}})
	if !slices.Equal(s, pointset.State{0.2, 0.7}) || back != 0 {
		t.Fatalf("Step gives %v with backward index %d, want [0.2 0.7] and 0", s, back)
	}
	fc := e.Forward(s, nil)
	if len(fc) != 1 || !fc[0].Stop {
		t.Fatalf("at MaxPoints Forward = %+v, want only Stop", fc)
	}
	lp := []float64{math.NaN()}
	p.LogProb([]pointset.State{s}, [][]gfn.Candidate{fc}, []gfn.Action{{Index: 0}}, lp)
	if lp[0] != 0 {
		t.Errorf("forced stop has log-probability %v, want 0", lp[0])
	}
}

func TestStepPanics(t *testing.T) {
	e := newEnv(t, 1, 3, 1, 1)
	for _, a := range []gfn.Action{
		{Index: pointset.StopIndex},
		{Index: pointset.AddIndex, Value: []float64{0}},
		{Index: pointset.AddIndex, Value: []float64{1.5}},
		{Index: pointset.AddIndex, Value: []float64{math.NaN()}},
		{Index: pointset.AddIndex},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Step(%+v) does not panic", a)
				}
			}()
			e.Step(e.Init(), a)
		}()
	}
}

func TestConformance(t *testing.T) {
	for _, par := range [][4]float64{{3, 8, 2, 5}, {0.5, 1, 1, 1}, {5, 4, 0.5, 0.5}} {
		e := newEnv(t, par[0], int(par[1]), par[2], par[3])
		gfntest.Env(t, e, gfntest.Options{Seed: 1})
		gfntest.Policy(t, e, pointset.NewOptimalPolicy(e), gfntest.Options{Seed: 2, Trajectories: 50})
	}
}

func BenchmarkForward(b *testing.B) {
	e := newEnv(b, 3, 8, 2, 5)
	s := pointset.State{0.1, 0.5}
	dst := make([]gfn.Candidate, 0, 2)
	for b.Loop() {
		dst = e.Forward(s, dst)
	}
}
