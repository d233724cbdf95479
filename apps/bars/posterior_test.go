package bars

import (
	"bufio"
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
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
	cfg.Burnin, cfg.Samples = 1000, samples
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

func TestRJMCMCAgainstBARS(t *testing.T) {
	m := exampleModel(t)
	s, _ := pooledChains(t, m, 4, 8000, 4)
	checkAgainstBARS(t, "rjmcmc", s)
}
