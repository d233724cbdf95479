package bars

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// Draw is one posterior draw: a knot set, coefficients drawn around its
// fit, and the rate curve they give.
type Draw struct {
	Knots    []float64 // interior knots on the unit interval, sorted
	LogPost  float64   // log posterior of the knot set
	Rate     []float64 // rate (spikes/s) at the curve times
	PeakTime float64   // s, refined between grid points
	PeakRate float64   // spikes/s
}

// Curves evaluates posterior draws on a time grid.
type Curves struct {
	Model *Model
	// Grid are the times (s) where each draw's rate is evaluated.
	Grid []float64
	// gx are Grid on the unit interval followed by the bin edges, where
	// the rate is evaluated only for the bin averages.
	gx []float64
	// binAvg is the trapezoid rule over each bin on the points of gx that
	// lie in it: bin j's average rate is sum of binAvg.w[i]·rate at
	// gx[binAvg.idx[i]] for i in [binAvg.off[j], binAvg.off[j+1]).
	binAvg struct {
		off []int
		idx []int
		w   []float64
	}
	// noAvgGuard turns the bin-average guard off (tests only; set it
	// before the first Draw).
	noAvgGuard bool
	// cache holds the B-splines on the grid for the last knot set drawn.
	cache struct {
		knots []float64
		rows  splineRows
		q     []float64
		coef  []float64
		fit   *Fit         // the fit whose Cholesky factor u holds
		u     mat.TriDense // upper Cholesky factor of fit's XᵀWX
		eta   []float64    // scratch: the log rate on gx
		mu    []float64    // scratch: the expected counts at the bin centres
		guard []int        // bins the bin-average guard checks (spikeBins)
		beta  []float64    // scratch: the drawn coefficients
	}
}

// NewCurves evaluates rates at the bin centres followed by a fine grid of
// fine points (BARS uses 500) from the first bin centre to the last. The
// grid stops at the outermost centres, where the data still constrain the
// rate: in the half bins beyond them the spline extrapolates, and a draw
// with knots close to the window's end could put a spurious peak there.
func NewCurves(m *Model, fine int) *Curves {
	c := &Curves{Model: m}
	d := m.Data
	c.Grid = append(c.Grid, d.Time...)
	lo, hi := d.Time[0], d.Time[len(d.Time)-1]
	for i := range fine {
		c.Grid = append(c.Grid, lo+(hi-lo)*float64(i)/float64(fine-1))
	}
	for _, t := range c.Grid {
		c.gx = append(c.gx, d.ToUnit(t))
	}
	n := d.Bins()
	for j := range n + 1 {
		c.gx = append(c.gx, float64(j)/float64(n))
	}
	c.initBinAvg()
	return c
}

// initBinAvg sets up the trapezoid rule for each bin's average rate over
// its edges, its centre and the fine grid points inside it.
func (c *Curves) initBinAvg() {
	n := c.Bins()
	edge := len(c.Grid) // index in gx of the first bin edge
	type pt struct {
		x   float64
		idx int
	}
	perBin := make([][]pt, n)
	for j := range n {
		perBin[j] = []pt{{c.gx[edge+j], edge + j}, {c.gx[j], j}, {c.gx[edge+j+1], edge + j + 1}}
	}
	for i := n; i < edge; i++ {
		j := min(int(c.gx[i]*float64(n)), n-1)
		perBin[j] = append(perBin[j], pt{c.gx[i], i})
	}
	a := &c.binAvg
	a.off = append(a.off[:0], 0)
	for j, ps := range perBin {
		sort.SliceStable(ps, func(a, b int) bool { return ps[a].x < ps[b].x })
		lo, hi := c.gx[edge+j], c.gx[edge+j+1]
		w := make([]float64, len(ps))
		for i := 1; i < len(ps); i++ {
			h := (ps[i].x - ps[i-1].x) / (hi - lo) / 2
			w[i-1] += h
			w[i] += h
		}
		for i, p := range ps {
			a.idx = append(a.idx, p.idx)
			a.w = append(a.w, w[i])
		}
		a.off = append(a.off, len(a.idx))
	}
}

// Bins is the number of leading grid points that are bin centres.
func (c *Curves) Bins() int { return c.Model.Data.Bins() }

// Draw turns a knot set and its fit into a posterior draw: coefficients
// beta ~ N(beta_hat, (XᵀWX)⁻¹) (the Gaussian around the fit, as BARS
// draws them, with BARS's guard against implausible draws and a second
// guard against spikes between bin centres, below), the rate curve on the
// grid, and its peak. Consecutive draws with the same knots reuse
// the B-splines on the grid, so a Curves must not be shared by goroutines
// that draw at the same time.
func (c *Curves) Draw(knots []float64, logPost float64, fit *Fit, rng *rand.Rand) (Draw, error) {
	if c.cache.q == nil || !slices.Equal(knots, c.cache.knots) {
		b, err := NewBasis(knots)
		if err != nil {
			return Draw{}, err
		}
		c.cache.knots = slices.Clone(knots)
		c.cache.rows = b.rows(c.gx)
		c.cache.q = b.barsCoef()
		c.cache.coef = make([]float64, len(c.cache.q)/(len(knots)+2))
		c.cache.guard = nil
		if !c.noAvgGuard {
			c.cache.guard = spikeBins(knots, c.Bins())
		}
	}
	rows, q, coef := c.cache.rows, c.cache.q, c.cache.coef
	p := len(fit.Beta)
	if len(q) != p*len(coef) {
		return Draw{}, fmt.Errorf("bars: fit has %d coefficients for %d knots", p, len(knots))
	}
	if c.cache.fit != fit {
		info, err := fit.Info()
		if err != nil {
			return Draw{}, err
		}
		c.cache.fit = fit
		c.cache.u.Reset()
		info.UTo(&c.cache.u)
		c.cache.beta = make([]float64, p)
	}
	u, bd := c.cache.u.RawTriangular(), c.cache.beta
	nb := c.Bins()
	binRows := splineRows{first: rows.first[:nb], vals: rows.vals[:nb]}
	y := c.Model.Data.Count
	if len(c.cache.eta) != len(c.gx) {
		c.cache.eta = make([]float64, len(c.gx))
		c.cache.mu = make([]float64, nb)
	}
	eta, mu := c.cache.eta, c.cache.mu
	scale := c.Model.Data.RateScale()
	dr := Draw{Knots: knots, LogPost: logPost, Rate: make([]float64, len(c.Grid))}
	// The fine grid, then the bin edges (evaluated for the guard only).
	ng := len(c.Grid)
	fineRows := splineRows{first: rows.first[nb:ng], vals: rows.vals[nb:ng]}
	edgeRows := splineRows{first: rows.first[ng:], vals: rows.vals[ng:]}
	// beta = beta_hat + U⁻¹ z with XᵀWX = UᵀU. Like BarsP, keep a draw only
	// if the log Metropolis ratio of the Poisson likelihood (flat prior)
	// against the Gaussian proposal, relative to the fit,
	// l(beta) - l(beta_hat) + |z|²/2, is at least -10: this rejects the rare
	// draws that explode where few data constrain the spline (near the ends,
	// between close knots).
	//
	// BARS's likelihood reads the rate at the bin centres only, so a draw
	// can pass with a spike between them where knots are close (the same
	// weakness as the fit's, see Model). A draw of a knot set with close
	// knots is also rejected if its log-likelihood on the bins around them
	// (spikeBins), with each bin's expected count its average rate
	// (trapezoid rule on the bin's edges, centre and fine grid points), is
	// more than SpikeTol below that with the centre rates. Knot sets
	// without close knots are drawn as BARS draws them.
	//
	// After maxDraws failures the fit itself is used.
	const maxDraws = 20
	fineDone := false
	for attempt := 0; ; attempt++ {
		var zz float64
		for i := range p {
			v := rng.NormFloat64()
			bd[i] = v
			zz += v * v
		}
		blas64.Trsv(blas.NoTrans, u, blas64.Vector{N: p, Inc: 1, Data: bd}) // U⁻¹ z
		if attempt == maxDraws {
			clear(bd)
		}
		for i, v := range fit.Beta {
			bd[i] += v
		}
		binRows.eta(q, bd, coef, eta[:nb])
		var ll float64
		for j := range nb {
			mu[j] = math.Exp(eta[j])
			ll += y[j]*eta[j] - mu[j]
		}
		if attempt == maxDraws {
			break
		}
		if !(ll-fit.LogLik+zz/2 >= -10) { // NaN fails too
			continue
		}
		if c.cache.guard == nil {
			break
		}
		fineRows.apply(coef, eta[nb:ng]) // coef is Q·beta of this draw
		edgeRows.apply(coef, eta[ng:])
		fineDone = true
		if c.binAvgLogLikDiff(eta, mu, c.cache.guard) >= -SpikeTol {
			break
		}
		fineDone = false
	}
	if !fineDone {
		fineRows.apply(coef, eta[nb:ng]) // coef is Q·beta of the kept draw
	}
	for i := range nb {
		dr.Rate[i] = mu[i] * scale // exp(eta) of the kept draw, from its check
	}
	for i, e := range eta[nb:ng] {
		dr.Rate[nb+i] = math.Exp(e) * scale
	}
	dr.PeakTime, dr.PeakRate = c.peak(dr.Rate)
	return dr, nil
}

// binAvgLogLikDiff is the Poisson log-likelihood of the counts in bins
// with each bin's expected count the trapezoid average of exp(eta) over the
// bin, minus that with exp(eta) at the centres; NaN if the average
// overflows. mu holds exp(eta) at the bin centres.
func (c *Curves) binAvgLogLikDiff(eta, mu []float64, bins []int) float64 {
	nb := c.Bins()
	y := c.Model.Data.Count
	a := &c.binAvg
	var d float64
	for _, j := range bins {
		var m float64
		for i := a.off[j]; i < a.off[j+1]; i++ {
			k := a.idx[i]
			if k < nb {
				m += a.w[i] * mu[k]
			} else {
				m += a.w[i] * math.Exp(eta[k])
			}
		}
		d += avgLogLikDiff(y[j], m, eta[j], mu[j])
	}
	return d
}

// peak finds the maximum of the fine-grid part of a rate curve and refines
// it by the parabola through the maximum and its neighbours (on the log
// rate, which is a cubic spline and locally close to quadratic).
func (c *Curves) peak(rate []float64) (t, r float64) {
	fine := rate[c.Bins():]
	ts := c.Grid[c.Bins():]
	j := 0
	for i, v := range fine {
		if v > fine[j] {
			j = i
		}
	}
	if j == 0 || j == len(fine)-1 {
		return ts[j], fine[j]
	}
	y0, y1, y2 := math.Log(fine[j-1]), math.Log(fine[j]), math.Log(fine[j+1])
	den := y0 - 2*y1 + y2
	if den >= 0 {
		return ts[j], fine[j]
	}
	h := ts[j+1] - ts[j]
	off := 0.5 * (y0 - y2) / den
	return ts[j] + off*h, math.Exp(y1 - 0.25*(y0-y2)*off)
}

// Interval is a posterior mean with an equal-tailed interval.
type Interval struct {
	Mean float64 `json:"mean"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
}

// Curve is the posterior rate (spikes/s) at a set of times with pointwise
// and simultaneous 95% bands.
type Curve struct {
	Time    []float64 `json:"time_s"`
	Mean    []float64 `json:"mean"`
	Lo      []float64 `json:"lo"`
	Hi      []float64 `json:"hi"`
	SimulLo []float64 `json:"simul_lo"`
	SimulHi []float64 `json:"simul_hi"`
}

// Summary is what users report from a BARS fit.
type Summary struct {
	Samples    int             `json:"samples"`
	KPosterior map[int]float64 `json:"k_posterior"`
	KMean      float64         `json:"k_mean"`
	PeakTime   Interval        `json:"peak_time_s"`
	PeakRate   Interval        `json:"peak_rate_hz"`
	// PeakTimeESS is the effective sample size of the draws' peak times
	// (ESS, draws in sampling order): how many independent draws the
	// peak-time summaries are worth.
	PeakTimeESS float64 `json:"peak_time_ess"`
	// Curve is at the bin centres; Fine on the fine grid.
	Curve Curve `json:"curve"`
	Fine  Curve `json:"-"`
}

// Summarize computes posterior summaries of draws (in sampling order) at
// level 0.95: the mean rate, pointwise quantile bands, a simultaneous band,
// peak time and rate intervals, p(k) and the peak time's ESS. The
// simultaneous band is the one of BARS's coverage
// simulation: mean ± c·sd of the rate, c the 95th percentile over draws of
// the largest standardised deviation |rate - mean|/sd over the points,
// cut at zero below. (The same construction on the log rate is narrow
// exactly where the spline cannot follow a sharp onset: on
// bench/bars_study's truth C it covered 25-85% of 200 data sets per
// condition against 69-96% for this band; on the realistic PSTH A with 30
// or more trials, 0.91-0.935 (log) against 0.90-0.94.)
func (c *Curves) Summarize(draws []Draw) Summary {
	n := len(draws)
	s := Summary{Samples: n, KPosterior: map[int]float64{}}
	pt := make([]float64, n)
	pr := make([]float64, n)
	for i, d := range draws {
		s.KPosterior[len(d.Knots)] += 1 / float64(n)
		s.KMean += float64(len(d.Knots)) / float64(n)
		pt[i], pr[i] = d.PeakTime, d.PeakRate
	}
	s.PeakTime = interval(pt)
	s.PeakRate = interval(pr)
	s.PeakTimeESS = ESS(pt)
	full := c.curve(draws, 0, len(c.Grid))
	nb := c.Bins()
	cut := func(cv Curve, lo, hi int) Curve {
		return Curve{Time: cv.Time[lo:hi], Mean: cv.Mean[lo:hi], Lo: cv.Lo[lo:hi], Hi: cv.Hi[lo:hi], SimulLo: cv.SimulLo[lo:hi], SimulHi: cv.SimulHi[lo:hi]}
	}
	s.Curve = cut(full, 0, nb)
	s.Fine = cut(full, nb, len(c.Grid))
	return s
}

func interval(x []float64) Interval {
	s := slices.Clone(x)
	sort.Float64s(s)
	return Interval{Mean: stat.Mean(s, nil), Lo: stat.Quantile(0.025, stat.Empirical, s, nil), Hi: stat.Quantile(0.975, stat.Empirical, s, nil)}
}

// curve summarises grid points [lo, hi). The simultaneous band is computed
// over the bin centres and the fine grid separately (each its own family).
// Quantiles are gonum's Empirical ones (the order statistic
// ceil(q·n)), found by selection rather than by sorting every column.
// Blocks of columns are summarised on up to GOMAXPROCS goroutines; the
// result does not depend on how many.
func (c *Curves) curve(draws []Draw, lo, hi int) Curve {
	n := len(draws)
	m := hi - lo
	cv := Curve{Time: c.Grid[lo:hi], Mean: make([]float64, m), Lo: make([]float64, m), Hi: make([]float64, m), SimulLo: make([]float64, m), SimulHi: make([]float64, m)}
	sd := make([]float64, m)
	iLo, iHi := empiricalIndex(0.025, n), empiricalIndex(0.975, n)
	// Transpose blocks of columns at a time: reading one column across all
	// draws would touch a new cache line per value.
	const block = 32
	blocks := (m + block - 1) / block
	parallel(blocks, func() func(int) {
		cols := make([]float64, block*n)
		return func(b int) {
			j0 := b * block
			w := min(block, m-j0)
			for i := range draws {
				for jj, v := range draws[i].Rate[lo+j0 : lo+j0+w] {
					cols[jj*n+i] = v
				}
			}
			for jj := range w {
				j := j0 + jj
				col := cols[jj*n : (jj+1)*n]
				cv.Mean[j], sd[j] = stat.MeanStdDev(col, nil)
				cv.Hi[j] = selectKth(col, iHi)
				cv.Lo[j] = selectKth(col[:iHi+1], iLo)
			}
		}
	})
	nb := c.Bins()
	for _, fam := range [][2]int{{0, nb}, {nb, len(c.Grid)}} {
		a, b := max(fam[0]-lo, 0), min(fam[1]-lo, m)
		if a >= b {
			continue
		}
		// The largest standardised deviation of each draw, over blocks of
		// points, then over the blocks.
		fb := (b - a + block - 1) / block
		devs := make([][]float64, fb)
		parallel(fb, func() func(int) {
			return func(q int) {
				dev := make([]float64, n)
				for i := range draws {
					r := draws[i].Rate[lo:hi]
					for j := a + q*block; j < min(b, a+(q+1)*block); j++ {
						if sd[j] > 0 {
							dev[i] = max(dev[i], math.Abs(r[j]-cv.Mean[j])/sd[j])
						}
					}
				}
				devs[q] = dev
			}
		})
		dev := devs[0]
		for _, d := range devs[1:] {
			for i, v := range d {
				dev[i] = max(dev[i], v)
			}
		}
		crit := selectKth(dev, empiricalIndex(0.95, n))
		for j := a; j < b; j++ {
			cv.SimulLo[j] = max(cv.Mean[j]-crit*sd[j], 0)
			cv.SimulHi[j] = cv.Mean[j] + crit*sd[j]
		}
	}
	return cv
}

// parallel runs work(i) for i in [0, n) on up to GOMAXPROCS goroutines;
// newWorker is called once per goroutine and returns its work function
// (so that each goroutine can own scratch space).
func parallel(n int, newWorker func() func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			work := newWorker()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				work(i)
			}
		})
	}
	wg.Wait()
}

// empiricalIndex is the index of gonum's Empirical q-quantile in n sorted
// values: the first i with i+1 >= q·n.
func empiricalIndex(q float64, n int) int {
	return min(max(int(math.Ceil(q*float64(n)))-1, 0), n-1)
}

// selectKth partially reorders x so that x[k] is the value sorted order
// would put there, everything before it is no larger and everything after
// no smaller, and returns x[k]. It is Floyd and Rivest's SELECT (1975):
// on long ranges it first selects within a small sample-sized window
// around where the k-th value should fall, so that the partition that
// follows has a pivot close to it; that takes about n + min(k, n-k)
// comparisons, against 2n-3n for quickselect, and the bands' quantiles
// (k near 2.5% and 97.5% of the draws) are where the difference is largest.
func selectKth(x []float64, k int) float64 {
	floydRivest(x, 0, len(x)-1, k)
	return x[k]
}

func floydRivest(x []float64, left, right, k int) {
	for right > left {
		if right-left > 600 {
			n := float64(right - left + 1)
			i := float64(k - left + 1)
			z := math.Log(n)
			s := 0.5 * math.Exp(2*z/3)
			sd := 0.5 * math.Sqrt(z*s*(n-s)/n)
			if i < n/2 {
				sd = -sd
			}
			newLeft := max(left, int(math.Floor(float64(k)-i*s/n+sd)))
			newRight := min(right, int(math.Floor(float64(k)+(n-i)*s/n+sd)))
			floydRivest(x, newLeft, newRight, k)
		}
		t := x[k]
		i, j := left, right
		x[left], x[k] = x[k], x[left]
		if x[right] > t {
			x[right], x[left] = x[left], x[right]
		}
		for i < j {
			x[i], x[j] = x[j], x[i]
			i++
			j--
			for x[i] < t {
				i++
			}
			for x[j] > t {
				j--
			}
		}
		if x[left] == t {
			x[left], x[j] = x[j], x[left]
		} else {
			j++
			x[j], x[right] = x[right], x[j]
		}
		if j <= k {
			left = j + 1
		}
		if k <= j {
			right = j - 1
		}
	}
}
