package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/neurogfn/neurogfn/apps/bars"
	"gonum.org/v1/gonum/stat"
)

// readBarsP pools the draws of BarsP runs on d: from each NAME.samp_params
// (per draw: iteration, BIC, log-likelihood, peak time, peak rate, k) the
// posterior of k and the peak times and rates, and from NAME.samp_mu beside
// it, if every run has one, the posterior mean curve at the bin centres in
// spikes/s (samp_mu holds the expected count per bin pooled over trials).
func readBarsP(files []string, d *bars.PSTH) (*Posterior, error) {
	p := &Posterior{Name: "barsp", K: map[int]float64{}}
	var rates []float64
	mu := make([]float64, d.Bins())
	muRows := 0
	haveMu := true
	for _, f := range files {
		rows, err := readColumns(f, 6)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			p.K[int(r[5])]++
			p.peaks = append(p.peaks, r[3])
			rates = append(rates, r[4])
		}
		muFile := strings.TrimSuffix(f, ".samp_params") + ".samp_mu"
		if _, err := os.Stat(muFile); err != nil || !haveMu {
			haveMu = false
			continue
		}
		mrows, err := readColumns(muFile, d.Bins())
		if err != nil {
			return nil, err
		}
		for _, r := range mrows {
			for i, v := range r {
				mu[i] += v
			}
		}
		muRows += len(mrows)
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
	if haveMu && muRows > 0 {
		scale := d.RateScale()
		for i := range mu {
			mu[i] = mu[i] / float64(muRows) * scale
		}
		p.meanCurve = mu
	}
	return p, nil
}

// readColumns reads a whitespace-separated numeric table whose rows have
// at least want columns, naming the file and line of any problem.
func readColumns(name string, want int) ([][]float64, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows [][]float64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) < want {
			return nil, fmt.Errorf("%s:%d: %d columns, want at least %d", name, line, len(fields), want)
		}
		r := make([]float64, want)
		for i := range r {
			if r[i], err = strconv.ParseFloat(fields[i], 64); err != nil {
				return nil, fmt.Errorf("%s:%d: column %d: %v", name, line, i+1, err)
			}
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no draws", name)
	}
	return rows, nil
}
