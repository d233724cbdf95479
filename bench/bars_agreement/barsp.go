package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/neurogfn/neurogfn/apps/bars"
	"github.com/neurogfn/neurogfn/bench/internal/barspout"
	"gonum.org/v1/gonum/stat"
)

// barspRun is one BarsP run's draws: NAME.samp_params and, if present,
// NAME.samp_mu beside it.
type barspRun struct {
	params []barspout.Params
	mu     [][]float64 // nil without samp_mu
}

// readBarsPRuns reads each run once.
func readBarsPRuns(files []string, d *bars.PSTH) ([]barspRun, error) {
	runs := make([]barspRun, len(files))
	for i, f := range files {
		par, err := barspout.ReadParams(f)
		if err != nil {
			return nil, err
		}
		runs[i].params = par
		muFile := strings.TrimSuffix(f, ".samp_params") + ".samp_mu"
		if _, err := os.Stat(muFile); err != nil {
			continue
		}
		rows, err := barspout.ReadMu(muFile, d.Bins())
		if err != nil {
			return nil, err
		}
		if len(rows) != len(par) {
			return nil, fmt.Errorf("%s has %d draws but %s has %d", muFile, len(rows), f, len(par))
		}
		runs[i].mu = rows
	}
	return runs, nil
}

// poolBarsP pools the draws of BarsP runs on d: the posterior of k, the
// peak times and rates, and, if every run has samp_mu, the posterior mean
// curve at the bin centres in spikes/s.
func poolBarsP(runs []barspRun, d *bars.PSTH) *Posterior {
	p := &Posterior{Name: "barsp", K: map[int]float64{}}
	var rates []float64
	mu := make([]float64, d.Bins())
	haveMu := true
	for _, r := range runs {
		for _, pr := range r.params {
			p.K[pr.K]++
			p.peaks = append(p.peaks, pr.PeakTime)
			rates = append(rates, pr.PeakRate)
		}
		haveMu = haveMu && r.mu != nil
		for _, row := range r.mu {
			for i, v := range row {
				mu[i] += v
			}
		}
	}
	n := float64(len(p.peaks))
	for k := range p.K {
		p.K[k] /= n
	}
	p.Draws = len(p.peaks)
	p.PeakMean, p.RateMean = stat.Mean(p.peaks, nil), stat.Mean(rates, nil)
	slices.Sort(p.peaks)
	p.PeakLo = stat.Quantile(0.025, stat.Empirical, p.peaks, nil)
	p.PeakHi = stat.Quantile(0.975, stat.Empirical, p.peaks, nil)
	if haveMu {
		scale := d.RateScale()
		for i := range mu {
			mu[i] = mu[i] / n * scale // every run has as many mu rows as draws
		}
		p.meanCurve = mu
	}
	return p
}
