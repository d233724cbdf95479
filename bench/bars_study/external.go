package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/neurogfn/neurogfn/apps/bars"
	"github.com/neurogfn/neurogfn/bench/internal/barspout"
)

// External fits: the study can score fits made by another program on the
// data sets that -write-data wrote, so that BARS's own C code (BarsP) and
// neurogfn are compared on identical files with identical metrics. For data
// set NAME (e.g. A_m60_w10ms_r000) the directory holds BarsP's per-draw
// output files NAME.samp_mu and NAME.samp_params (see package barspout)
// and optionally manifest.tsv (columns file, seed, exit, wall_s, samples)
// from which each fit's wall time is taken.

// externalFit reads the draws of data set name from dir and summarises them
// like a neurogfn fit at the bin centres (the peak comes from the external
// program's own peak search).
func externalFit(dir, name string, p *bars.PSTH) (*bars.FitResult, error) {
	muPath := filepath.Join(dir, name+".samp_mu")
	mu, err := barspout.ReadMu(muPath, p.Bins())
	if err != nil {
		return nil, err
	}
	parPath := filepath.Join(dir, name+".samp_params")
	par, err := barspout.ReadParams(parPath)
	if err != nil {
		return nil, err
	}
	if len(mu) != len(par) {
		return nil, fmt.Errorf("%s has %d draws but %s has %d", muPath, len(mu), parPath, len(par))
	}
	if len(mu) < 2 {
		return nil, fmt.Errorf("%s: %d draws; need at least 2", muPath, len(mu))
	}
	m, err := bars.NewModel(p, bars.DefaultPrior())
	if err != nil {
		return nil, err
	}
	cv := bars.NewCurves(m, 0) // the bin centres only
	scale := p.RateScale()
	draws := make([]bars.Draw, len(mu))
	for i, row := range mu {
		rate := make([]float64, len(row))
		for j, v := range row {
			rate[j] = v * scale
		}
		draws[i] = bars.Draw{Knots: make([]float64, par[i].K), Rate: rate, PeakTime: par[i].PeakTime, PeakRate: par[i].PeakRate, LogPost: math.NaN()}
	}
	return &bars.FitResult{Draws: draws, Summary: cv.Summarize(draws)}, nil
}

// externalWallTimes reads dir/manifest.tsv (file, seed, exit, wall_s,
// samples) into a map from data-set name (the file name without its
// extension) to wall seconds; a missing manifest gives an empty map.
func externalWallTimes(dir string) (map[string]float64, error) {
	path := filepath.Join(dir, "manifest.tsv")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]float64{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "\t")
		if i == 0 || len(f) < 4 {
			continue
		}
		w, err := strconv.ParseFloat(f[3], 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: wall time %q: %v", path, i+1, f[3], err)
		}
		out[strings.TrimSuffix(f[0], filepath.Ext(f[0]))] = w
	}
	return out, nil
}
