package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/neurogfn/neurogfn/apps/bars"
)

// External fits: the study can score fits made by another program on the
// data sets that -write-data wrote, so that BARS's own C code (BarsP) and
// neurogfn are compared on identical files with identical metrics. For data
// set NAME (e.g. A_m60_w10ms_r000) the directory holds BarsP's per-draw
// output files:
//
//	NAME.samp_mu      one line per draw: mu at each bin centre, the
//	                  expected count per bin pooled over trials (BarsP's
//	                  scale; the rate is mu / (trials · bin width))
//	NAME.samp_params  one line per draw: iteration, full BIC,
//	                  log-likelihood, peak time (s), peak rate
//	                  (spikes/s), number of knots k
//
// and optionally manifest.tsv (columns file, seed, exit, wall_s, samples)
// from which each fit's wall time is taken.

// externalFit reads the draws of data set name from dir and summarises them
// like a neurogfn fit at the bin centres (the peak comes from the external
// program's own peak search).
func externalFit(dir, name string, p *bars.PSTH) (*bars.FitResult, error) {
	muPath := filepath.Join(dir, name+".samp_mu")
	mu, err := readTable(muPath, p.Bins())
	if err != nil {
		return nil, err
	}
	parPath := filepath.Join(dir, name+".samp_params")
	par, err := readTable(parPath, 6)
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
	scale := 1 / (float64(p.Trials) * p.BinWidth)
	draws := make([]bars.Draw, len(mu))
	for i, row := range mu {
		k := par[i][5]
		if k != math.Trunc(k) || k < 0 {
			return nil, fmt.Errorf("%s:%d: number of knots %v is not a non-negative integer", parPath, i+1, k)
		}
		rate := make([]float64, len(row))
		for j, v := range row {
			if !(v > 0) {
				return nil, fmt.Errorf("%s:%d: mu %v at bin %d is not positive", muPath, i+1, v, j+1)
			}
			rate[j] = v * scale
		}
		draws[i] = bars.Draw{Knots: make([]float64, int(k)), Rate: rate, PeakTime: par[i][3], PeakRate: par[i][4], LogPost: math.NaN()}
	}
	return &bars.FitResult{Draws: draws, Summary: cv.Summarize(draws)}, nil
}

// readTable reads whitespace-separated numbers, cols per line.
func readTable(path string, cols int) ([][]float64, error) {
	f, err := os.Open(path)
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
		if len(fields) != cols {
			return nil, fmt.Errorf("%s:%d: %d values, want %d", path, line, len(fields), cols)
		}
		row := make([]float64, cols)
		for j, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s:%d: value %d %q is not a finite number", path, line, j+1, s)
			}
			row[j] = v
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
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
