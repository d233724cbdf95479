package main

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/neurogfn/neurogfn/apps/bars"
)

// Truth is a known rate function (spikes/s) on the window [Start, End) s.
type Truth struct {
	Name  string
	Desc  string
	Start float64
	End   float64
	Rate  func(t float64) float64
	// Breaks are times where Rate or its derivative is not smooth; the
	// integrals are split there.
	Breaks []float64
	// Max bounds Rate on the window (for thinning).
	Max float64
}

// truthB is the smooth bump of the BARS C coverage simulation.
func truthB() *Truth {
	return &Truth{
		Name: "B", Desc: "smooth bump 10 + 40 exp(-(t-0.5)^2 / (2 0.1^2)) on [0, 1) s",
		Start: 0, End: 1, Max: 50,
		Rate: func(t float64) float64 {
			d := (t - 0.5) / 0.1
			return 10 + 40*math.Exp(-d*d/2)
		},
	}
}

// truthC is the sharp transient: 5 spikes/s, then from 0.3 s an onset with
// a 5 ms rise and an 80 ms decay.
func truthC() *Truth {
	r := func(t float64) float64 {
		if t <= 0.3 {
			return 5
		}
		d := t - 0.3
		return 5 + 95*(1-math.Exp(-d/0.005))*math.Exp(-d/0.080)
	}
	// Maximum at d* = 5 ms · ln(1 + 80/5).
	ds := 0.005 * math.Log(1+0.080/0.005)
	return &Truth{
		Name: "C", Desc: "sharp transient 5 + 95 (1-exp(-d/5ms)) exp(-d/80ms), d = t-0.3 s > 0, on [0, 1) s",
		Start: 0, End: 1, Rate: r, Breaks: []float64{0.3}, Max: r(0.3+ds) * (1 + 1e-9),
	}
}

// truthA is the realistic PSTH: the mean_rate column of BarsP's long fit
// to the BARS example, linearly interpolated between its bin centres and
// constant beyond the first and last, on the example's window (110 bins of
// 10 ms, outer edges -0.005 and 1.095 s).
func truthA(path string) (*Truth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("truth A: %w (set -truth-a)", err)
	}
	defer f.Close()
	var ts, rs []float64
	sc := bufio.NewScanner(f)
	col, line := -1, 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if strings.HasPrefix(s, "#") || strings.TrimSpace(s) == "" {
			continue
		}
		fs := strings.Split(s, "\t")
		if col < 0 {
			col = slices.Index(fs, "mean_rate")
			if col < 0 || fs[0] != "time_s" {
				return nil, fmt.Errorf("truth A: %s:%d: want a header with time_s and mean_rate", path, line)
			}
			continue
		}
		t, err1 := strconv.ParseFloat(fs[0], 64)
		r, err2 := strconv.ParseFloat(fs[col], 64)
		if err1 != nil || err2 != nil || !(r > 0) {
			return nil, fmt.Errorf("truth A: %s:%d: bad row %q", path, line, s)
		}
		if n := len(ts); n > 0 && !(t > ts[n-1]) {
			return nil, fmt.Errorf("truth A: %s:%d: times do not increase", path, line)
		}
		ts, rs = append(ts, t), append(rs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("truth A: %s: %w", path, err)
	}
	if len(ts) < 4 {
		return nil, fmt.Errorf("truth A: %s: %d rows", path, len(ts))
	}
	n := len(ts)
	w := (ts[n-1] - ts[0]) / float64(n-1)
	rate := func(t float64) float64 {
		if t <= ts[0] {
			return rs[0]
		}
		if t >= ts[n-1] {
			return rs[n-1]
		}
		j := sort.SearchFloat64s(ts, t) // ts[j-1] < t <= ts[j]
		u := (t - ts[j-1]) / (ts[j] - ts[j-1])
		return rs[j-1] + u*(rs[j]-rs[j-1])
	}
	return &Truth{
		Name: "A", Desc: "BarsP's posterior mean on the BARS example (apps/bars/testdata/bars_example_reference_fit.tsv), linearly interpolated",
		Start: round9(ts[0] - w/2), End: round9(ts[n-1] + w/2), Rate: rate,
		Breaks: slices.Clone(ts), Max: slices.Max(rs),
	}, nil
}

func round9(x float64) float64 { return math.Round(x*1e9) / 1e9 }

// findFile looks for rel in the working directory and its parents.
func findFile(rel string) string {
	if filepath.IsAbs(rel) {
		return rel
	}
	dir, err := os.Getwd()
	if err != nil {
		return rel
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		up := filepath.Dir(dir)
		if up == dir {
			return rel
		}
		dir = up
	}
}

// Gauss–Legendre nodes and weights on [-1, 1], 8 points.
var glX = [8]float64{-0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498, 0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363}
var glW = [8]float64{0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620, 0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763}

// Integral is ∫_a^b Rate, split at the breaks and into pieces of at most
// 1 ms, each by 8-point Gauss–Legendre.
func (tr *Truth) Integral(a, b float64) float64 {
	pts := []float64{a}
	for _, x := range tr.Breaks {
		if x > a && x < b {
			pts = append(pts, x)
		}
	}
	pts = append(pts, b)
	var s float64
	for i := 1; i < len(pts); i++ {
		lo, hi := pts[i-1], pts[i]
		m := max(1, int(math.Ceil((hi-lo)/0.001)))
		h := (hi - lo) / float64(m)
		for j := range m {
			c, r := lo+(float64(j)+0.5)*h, h/2
			for q := range glX {
				s += glW[q] * r * tr.Rate(c+r*glX[q])
			}
		}
	}
	return s
}

// Smoothed is the truth averaged over a box of width w centred on t.
func (tr *Truth) Smoothed(t, w float64) float64 {
	return tr.Integral(t-w/2, t+w/2) / w
}

// Peak is the maximum of the box-smoothed truth (box width w) over
// [Start + w/2, End - w/2]: a grid search then golden-section refinement.
func (tr *Truth) Peak(w float64) (t, rate float64) {
	lo, hi := tr.Start+w/2, tr.End-w/2
	h := min(w/10, 0.0005)
	n := int(math.Ceil((hi - lo) / h))
	best, bi := math.Inf(-1), 0
	for i := 0; i <= n; i++ {
		if v := tr.Smoothed(min(lo+float64(i)*h, hi), w); v > best {
			best, bi = v, i
		}
	}
	a, b := max(lo, lo+float64(bi-1)*h), min(hi, lo+float64(bi+1)*h)
	g := (math.Sqrt(5) - 1) / 2
	x1, x2 := b-g*(b-a), a+g*(b-a)
	f1, f2 := tr.Smoothed(x1, w), tr.Smoothed(x2, w)
	for b-a > 1e-8 {
		if f1 >= f2 {
			b, x2, f2 = x2, x1, f1
			x1 = b - g*(b-a)
			f1 = tr.Smoothed(x1, w)
		} else {
			a, x1, f1 = x1, x2, f2
			x2 = a + g*(b-a)
			f2 = tr.Smoothed(x2, w)
		}
	}
	t = (a + b) / 2
	if v := tr.Smoothed(t, w); v >= best {
		return t, v
	}
	return lo + float64(bi)*h, best
}

// Bins returns the bin centres and the bin-averaged truth for width w.
func (tr *Truth) Bins(w float64) (centres, avg []float64, err error) {
	nf := (tr.End - tr.Start) / w
	n := int(math.Round(nf))
	if n < 4 || math.Abs(nf-float64(n)) > 1e-6 {
		return nil, nil, fmt.Errorf("truth %s: window [%g, %g) s is not a whole number (>= 4) of %g s bins", tr.Name, tr.Start, tr.End, w)
	}
	centres = make([]float64, n)
	avg = make([]float64, n)
	for i := range n {
		a := tr.Start + float64(i)*w
		centres[i] = round9(a + w/2)
		avg[i] = tr.Integral(a, a+w) / w
	}
	return centres, avg, nil
}

// Simulate draws trials inhomogeneous Poisson spike trains by thinning a
// homogeneous process of rate Max, bins them in width-w bins and pools
// them into a PSTH.
func (tr *Truth) Simulate(rng *rand.Rand, trials int, w float64, centres []float64, name string) *bars.PSTH {
	n := len(centres)
	counts := make([]float64, n)
	for range trials {
		t := tr.Start
		for {
			t += rng.ExpFloat64() / tr.Max
			if t >= tr.End {
				break
			}
			if rng.Float64()*tr.Max < tr.Rate(t) {
				j := min(n-1, max(0, int((t-tr.Start)/w)))
				counts[j]++
			}
		}
	}
	return &bars.PSTH{Name: name, Time: slices.Clone(centres), Count: counts, Trials: trials, BinWidth: w}
}

// WriteBarsP writes p in BarsP's text format ("nbins ntrials", then
// "t count" per bin).
func WriteBarsP(path string, p *bars.PSTH) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %d\n", p.Bins(), p.Trials)
	for i, t := range p.Time {
		fmt.Fprintf(&b, "%.6f %d\n", t, int(p.Count[i]))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
