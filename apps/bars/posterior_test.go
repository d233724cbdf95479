package bars

import (
	"bufio"
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neurogfn/neurogfn/gfn"
	"gonum.org/v1/gonum/stat"
)

// referenceMean reads the posterior mean rate of the long BarsP run.
func referenceMean(t *testing.T) []float64 {
	sc := bufio.NewScanner(mustOpen(t, "testdata/bars_example_reference_fit.tsv"))
	var mean []float64
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "time_s") {
			continue
		}
		f := strings.Split(line, "\t")
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		mean = append(mean, v)
	}
	return mean
}

func relISE(got, want []float64) float64 {
	var num, den float64
	for i := range want {
		num += (got[i] - want[i]) * (got[i] - want[i])
		den += want[i] * want[i]
	}
	return num / den
}

// checkAgainstBARS holds a posterior summary against the long BarsP run,
// with the tolerances.
func checkAgainstBARS(t *testing.T, name string, s Summary) {
	t.Helper()
	ise := relISE(s.Curve.Mean, referenceMean(t))
	d := tv(s.KPosterior, refK)
	t.Logf("%s: TV(k) %.3f, peak time %.4f s [%.4f, %.4f], peak rate %.1f [%.1f, %.1f], relISE %.5f",
		name, d, s.PeakTime.Mean, s.PeakTime.Lo, s.PeakTime.Hi, s.PeakRate.Mean, s.PeakRate.Lo, s.PeakRate.Hi, ise)
	if d > 0.1 {
		t.Errorf("%s: posterior of k %.3f from the reference in total variation (max 0.1)", name, d)
	}
	if math.Abs(s.PeakTime.Mean-0.4489) > 0.004 {
		t.Errorf("%s: mean peak time %.4f s, reference 0.4489 s (max 4 ms off)", name, s.PeakTime.Mean)
	}
	if math.Abs(s.PeakRate.Mean/181.2-1) > 0.05 {
		t.Errorf("%s: mean peak rate %.1f, reference 181.2 (max 5%% off)", name, s.PeakRate.Mean)
	}
	if ise > 0.002 {
		t.Errorf("%s: relative ISE of the mean curve %.5f (max 0.002)", name, ise)
	}
}

// pooledChains runs independent RJMCMC chains (seeds 1..n) and pools
// their draws, keeping every thin-th state for the curves.
func pooledChains(t *testing.T, m *Model, chains, samples, thin int) (Summary, *Curves) {
	t.Helper()
	cfg := DefaultRJConfig()
	cfg.Burnin, cfg.Samples, cfg.Thin = 1000, samples, 1
	c := NewCurves(m, 500)
	var draws []Draw
	start := time.Now()
	iters := 0
	for seed := range chains {
		rng := rand.New(rand.NewPCG(uint64(seed+1), 17))
		ch, err := RJMCMC(context.Background(), m, cfg, rng, nil)
		if err != nil {
			t.Fatal(err)
		}
		iters += cfg.Burnin + cfg.Samples
		for i := 0; i < len(ch.Knots); i += thin {
			d, err := c.Draw(ch.Knots[i], ch.LogPost[i], ch.Fits[i], rng)
			if err != nil {
				t.Fatal(err)
			}
			draws = append(draws, d)
		}
	}
	t.Logf("%d chains, %d iterations, %d draws in %v", chains, iters, len(draws), time.Since(start))
	return c.Summarize(draws), c
}

var (
	rjOnce    sync.Once
	rjSummary Summary
)

// rjmcmcReference is the pooled RJMCMC posterior on the example, computed
// once for the tests that compare with it.
func rjmcmcReference(t *testing.T) Summary {
	rjOnce.Do(func() { rjSummary, _ = pooledChains(t, exampleModel(t), 8, 16000, 4) })
	return rjSummary
}

func TestRJMCMCAgainstBARS(t *testing.T) {
	checkAgainstBARS(t, "rjmcmc", rjmcmcReference(t))
}

// TestGFNAgainstBARS runs the GFlowNet sampler (maximum-likelihood fit to a
// short chain, then the Metropolis correction) and holds it against the
// BarsP reference and against the pooled RJMCMC posterior.
func TestGFNAgainstBARS(t *testing.T) {
	m := exampleModel(t)
	start := time.Now()
	res, err := SampleGFN(context.Background(), m, DefaultGFNConfig(), 4000, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := everyOther(t, m, res.Chain)
	t.Logf("gfn: %v; importance ESS %.3f, Metropolis acceptance %d/%d, local moves %d/%d, excluded %d", time.Since(start), res.Bounds.ESS, res.Accepted, res.Proposed, res.LocalAccepted, res.LocalProposed, res.Excluded)
	checkAgainstBARS(t, "gfn", s)
	checkAgainstRJMCMC(t, "gfn", s)
}

// everyOther summarises every other state of a GFlowNet chain of the
// example, with coefficient draws from a fixed stream.
func everyOther(t *testing.T, m *Model, ch *Chain) Summary {
	t.Helper()
	c := NewCurves(m, 500)
	rng := rand.New(rand.NewPCG(3, 4))
	var draws []Draw
	for i := 0; i < len(ch.Knots); i += 2 {
		d, err := c.Draw(ch.Knots[i], ch.LogPost[i], ch.Fits[i], rng)
		if err != nil {
			t.Fatal(err)
		}
		draws = append(draws, d)
	}
	return c.Summarize(draws)
}

// checkAgainstRJMCMC holds a summary of the example against the pooled
// RJMCMC posterior.
func checkAgainstRJMCMC(t *testing.T, name string, s Summary) {
	t.Helper()
	rj := rjmcmcReference(t)
	d := tv(s.KPosterior, rj.KPosterior)
	t.Logf("%s vs rjmcmc: TV(k) %.3f, mean peak time %.4f vs %.4f s", name, d, s.PeakTime.Mean, rj.PeakTime.Mean)
	if d > 0.08 || math.Abs(s.PeakTime.Mean-rj.PeakTime.Mean) > 0.003 {
		t.Errorf("%s and rjmcmc disagree: TV(k) %.3f (max 0.08), peak time %.4f vs %.4f s (max 3 ms)", name, d, s.PeakTime.Mean, rj.PeakTime.Mean)
	}
}

// TestSelectKth checks selection against sorting, ties included, and the
// quantile index against gonum's Empirical quantile.
func TestSelectKth(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 300 {
		n := 1 + rng.IntN(300)
		if trial%3 == 0 {
			n = 600 + rng.IntN(5000) // the sampling step of SELECT
		}
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Round(rng.NormFloat64() * float64(1+trial%4*10))
		}
		sorted := slices.Clone(x)
		slices.Sort(sorted)
		for _, q := range []float64{0, 0.025, 0.5, 0.95, 0.975, 1} {
			k := empiricalIndex(q, n)
			if want := stat.Quantile(q, stat.Empirical, sorted, nil); sorted[k] != want {
				t.Fatalf("n=%d q=%v: index %d gives %v, gonum %v", n, q, k, sorted[k], want)
			}
			y := slices.Clone(x)
			if got := selectKth(y, k); got != sorted[k] {
				t.Fatalf("n=%d k=%d: selected %v, sorted %v", n, k, got, sorted[k])
			}
			for i := range y {
				if (i < k && y[i] > y[k]) || (i > k && y[i] < y[k]) {
					t.Fatalf("n=%d k=%d: not partitioned at %d", n, k, i)
				}
			}
		}
	}
}

// TestSimultaneousBand: the simultaneous band holds at least 95% of the
// draws entirely (bin centres and fine grid each), but not all of them,
// is never negative, and contains the posterior mean.
func TestSimultaneousBand(t *testing.T) {
	m := exampleModel(t)
	c := NewCurves(m, 50)
	rng := rand.New(rand.NewPCG(9, 10))
	draws := make([]Draw, 1000)
	for i := range draws {
		a, b, ph := rng.NormFloat64(), 0.3*rng.NormFloat64(), rng.Float64()
		r := make([]float64, len(c.Grid))
		for j, tm := range c.Grid {
			r[j] = math.Max(0, 20+5*a+8*b*math.Sin(6*tm+ph)+2*rng.NormFloat64())
		}
		draws[i] = Draw{Knots: []float64{0.5}, Rate: r}
	}
	s := c.Summarize(draws)
	for _, cv := range []Curve{s.Curve, s.Fine} {
		off := 0
		if &cv.Time[0] == &s.Fine.Time[0] {
			off = c.Bins()
		}
		inside := 0
		for _, d := range draws {
			ok := true
			for j := range cv.Time {
				if v := d.Rate[off+j]; v < cv.SimulLo[j] || v > cv.SimulHi[j] {
					ok = false
				}
			}
			if ok {
				inside++
			}
		}
		if frac := float64(inside) / float64(len(draws)); frac < 0.95 || frac > 0.96 {
			t.Errorf("%.3f of the draws lie entirely inside the simultaneous band, want 0.95 (up to ties)", frac)
		}
		// Rate scale: the half-width is the same multiple of the draws' sd
		// at every point.
		col := make([]float64, len(draws))
		crit := math.NaN()
		for j := range cv.Time {
			if cv.SimulLo[j] < 0 || !(cv.SimulLo[j] <= cv.Mean[j] && cv.Mean[j] <= cv.SimulHi[j]) {
				t.Fatalf("point %d: band [%v, %v] around mean %v", j, cv.SimulLo[j], cv.SimulHi[j], cv.Mean[j])
			}
			for i, d := range draws {
				col[i] = d.Rate[off+j]
			}
			_, sd := stat.MeanStdDev(col, nil)
			if c := (cv.SimulHi[j] - cv.Mean[j]) / sd; math.IsNaN(crit) {
				crit = c
			} else if math.Abs(c-crit) > 1e-9*crit {
				t.Fatalf("point %d: half-width %.6g sd, at the first point %.6g sd", j, c, crit)
			}
		}
	}
}

// TestDrawChainWorkers: the draws and their summary do not depend on how
// many goroutines make them, and the first block keeps the stream
// gfn.Stream(seed, 1) of a plain sequential loop.
func TestDrawChainWorkers(t *testing.T) {
	m := exampleModel(t)
	cfg := DefaultRJConfig()
	cfg.Burnin, cfg.Samples, cfg.Thin = 200, 600, 1
	ch, err := RJMCMC(context.Background(), m, cfg, rand.New(rand.NewPCG(1, 2)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var runs [2][]Draw
	var sums [2]Summary
	for i, procs := range []int{1, 3} {
		old := runtime.GOMAXPROCS(procs)
		runs[i], err = DrawChain(context.Background(), m, 100, ch, 9)
		sums[i] = NewCurves(m, 100).Summarize(runs[i])
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(runs[0], runs[1]) || !reflect.DeepEqual(sums[0], sums[1]) {
		t.Error("draws or summaries differ between GOMAXPROCS 1 and 3")
	}
	cv := NewCurves(m, 100)
	rng := gfn.Stream(9, 1)
	for i := range drawBlock {
		d, err := cv.Draw(ch.Knots[i], ch.LogPost[i], ch.Fits[i], rng)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(d, runs[0][i]) {
			t.Fatalf("draw %d differs from the sequential stream", i)
		}
	}
}
