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

// readBarsP pools the draws of BarsP runs on d: from each NAME.samp_params
// the posterior of k and the peak times and rates, and from NAME.samp_mu
// beside it, if every run has one, the posterior mean curve at the bin
// centres in spikes/s.
func readBarsP(files []string, d *bars.PSTH) (*Posterior, error) {
	p := &Posterior{Name: "barsp", K: map[int]float64{}}
	var rates []float64
	mu := make([]float64, d.Bins())
	muRows := 0
	haveMu := true
	for _, f := range files {
		par, err := barspout.ReadParams(f)
		if err != nil {
			return nil, err
		}
		for _, r := range par {
			p.K[r.K]++
			p.peaks = append(p.peaks, r.PeakTime)
			rates = append(rates, r.PeakRate)
		}
		muFile := strings.TrimSuffix(f, ".samp_params") + ".samp_mu"
		if _, err := os.Stat(muFile); err != nil || !haveMu {
			haveMu = false
			continue
		}
		rows, err := barspout.ReadMu(muFile, d.Bins())
		if err != nil {
			return nil, err
		}
		if len(rows) != len(par) {
			return nil, fmt.Errorf("%s has %d draws but %s has %d", muFile, len(rows), f, len(par))
		}
		for _, r := range rows {
			for i, v := range r {
				mu[i] += v
			}
		}
		muRows += len(rows)
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
			mu[i] = mu[i] / float64(muRows) * scale
		}
		p.meanCurve = mu
	}
	return p, nil
}
