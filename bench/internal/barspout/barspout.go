// Package barspout reads the per-draw output files of BarsP, the BARS C
// program (bench/bars_vs_barsp/run_barsp.sh runs it), so that the
// benchmarks can score its draws with the same code as neurogfn's:
//
//	NAME.samp_params  one line per draw: iteration, full BIC,
//	                  log-likelihood, peak time (s), peak rate
//	                  (spikes/s), number of knots k
//	NAME.samp_mu      one line per draw: mu at each bin centre, the
//	                  expected count per bin pooled over trials (the rate
//	                  is mu / (trials · bin width))
package barspout

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// Params is one line of samp_params.
type Params struct {
	Iteration int
	BIC       float64 // full BIC: log-likelihood − (k + 1.5) ln n
	LogLik    float64
	PeakTime  float64 // s
	PeakRate  float64 // spikes/s
	K         int
}

// ReadParams reads a samp_params file.
func ReadParams(path string) ([]Params, error) {
	rows, err := readTable(path, 6)
	if err != nil {
		return nil, err
	}
	out := make([]Params, len(rows))
	for i, r := range rows {
		for _, c := range []int{0, 5} {
			if r.v[c] != math.Trunc(r.v[c]) || r.v[c] < 0 {
				return nil, fmt.Errorf("%s:%d: value %d, %v, is not a non-negative integer", path, r.line, c+1, r.v[c])
			}
		}
		out[i] = Params{Iteration: int(r.v[0]), BIC: r.v[1], LogLik: r.v[2], PeakTime: r.v[3], PeakRate: r.v[4], K: int(r.v[5])}
	}
	return out, nil
}

// ReadMu reads a samp_mu file of a data set with bins bins; every mu must
// be positive.
func ReadMu(path string, bins int) ([][]float64, error) {
	rows, err := readTable(path, bins)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(rows))
	for i, r := range rows {
		for j, v := range r.v {
			if !(v > 0) {
				return nil, fmt.Errorf("%s:%d: mu %v at bin %d is not positive", path, r.line, v, j+1)
			}
		}
		out[i] = r.v
	}
	return out, nil
}

type row struct {
	line int
	v    []float64
}

// readTable reads whitespace-separated finite numbers, cols per non-blank
// line, and needs at least one line.
func readTable(path string, cols int) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []row
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
		r := row{line: line, v: make([]float64, cols)}
		for j, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s:%d: value %d %q is not a finite number", path, line, j+1, s)
			}
			r.v[j] = v
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no draws", path)
	}
	return rows, nil
}
