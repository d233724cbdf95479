package bars

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

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
	gx   []float64
}

// NewCurves evaluates rates at the bin centres followed by a fine grid of
// fine points spanning the outer bin edges (BARS uses 500).
func NewCurves(m *Model, fine int) *Curves {
	c := &Curves{Model: m}
	d := m.Data
	c.Grid = append(c.Grid, d.Time...)
	for i := range fine {
		c.Grid = append(c.Grid, d.Start()+(d.End()-d.Start())*float64(i)/float64(fine-1))
	}
	for _, t := range c.Grid {
		c.gx = append(c.gx, d.ToUnit(t))
	}
	return c
}

// Bins is the number of leading grid points that are bin centres.
func (c *Curves) Bins() int { return c.Model.Data.Bins() }

// Draw turns a knot set and its fit into a posterior draw: coefficients
// beta ~ N(beta_hat, (XᵀWX)⁻¹) (the Gaussian around the fit, as BARS
// draws them, with BARS's guard against implausible draws), the rate curve
// on the grid, and its peak.
func (c *Curves) Draw(knots []float64, logPost float64, fit *Fit, rng *rand.Rand) (Draw, error) {
	b, err := NewBasis(knots)
	if err != nil {
		return Draw{}, err
	}
	p := len(fit.Beta)
	var u mat.TriDense
	fit.Info.UTo(&u)
	x := b.BARSDesign(c.gx)
	nb := c.Bins()
	y := c.Model.Data.Count
	z := mat.NewVecDense(p, nil)
	beta := mat.NewVecDense(p, nil)
	eta := make([]float64, len(c.gx))
	// beta = beta_hat + U⁻¹ z with XᵀWX = UᵀU. Like BarsP, keep a draw only
	// if the log Metropolis ratio of the Poisson likelihood (flat prior)
	// against the Gaussian proposal, relative to the fit,
	// l(beta) - l(beta_hat) + |z|²/2, is at least -10: this rejects the rare
	// draws that explode where few data constrain the spline (near the ends,
	// between close knots). After maxDraws failures the fit itself is used.
	const maxDraws = 20
	for attempt := 0; ; attempt++ {
		var zz float64
		for i := range p {
			v := rng.NormFloat64()
			z.SetVec(i, v)
			zz += v * v
		}
		if err := beta.SolveVec(&u, z); err != nil {
			return Draw{}, fmt.Errorf("bars: coefficient draw: %w", err)
		}
		if attempt == maxDraws {
			beta.Zero()
		}
		beta.AddVec(beta, mat.NewVecDense(p, fit.Beta))
		for i := range c.gx {
			eta[i] = mat.Dot(x.RowView(i), beta)
		}
		var ll float64
		for j := range nb {
			ll += y[j]*eta[j] - math.Exp(eta[j])
		}
		if attempt == maxDraws || ll-fit.LogLik+zz/2 >= -10 {
			break
		}
	}
	scale := c.Model.Data.RateScale()
	dr := Draw{Knots: knots, LogPost: logPost, Rate: make([]float64, len(c.gx))}
	for i, e := range eta {
		dr.Rate[i] = math.Exp(e) * scale
	}
	dr.PeakTime, dr.PeakRate = c.peak(dr.Rate)
	return dr, nil
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
	// Curve is at the bin centres; Fine on the fine grid.
	Curve Curve `json:"curve"`
	Fine  Curve `json:"-"`
}

// Summarize computes posterior summaries of draws at level 0.95: the mean
// rate, pointwise quantile bands, a simultaneous band on the log scale
// (mean ± c·sd of log rate, c the 95th percentile over draws of the largest
// standardised deviation), peak time and rate intervals, and p(k).
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
func (c *Curves) curve(draws []Draw, lo, hi int) Curve {
	n := len(draws)
	m := hi - lo
	cv := Curve{Time: c.Grid[lo:hi], Mean: make([]float64, m), Lo: make([]float64, m), Hi: make([]float64, m), SimulLo: make([]float64, m), SimulHi: make([]float64, m)}
	col := make([]float64, n)
	lmean := make([]float64, m)
	lsd := make([]float64, m)
	for j := range m {
		for i, d := range draws {
			col[i] = d.Rate[lo+j]
		}
		cv.Mean[j] = stat.Mean(col, nil)
		sort.Float64s(col)
		cv.Lo[j] = stat.Quantile(0.025, stat.Empirical, col, nil)
		cv.Hi[j] = stat.Quantile(0.975, stat.Empirical, col, nil)
		for i, d := range draws {
			col[i] = math.Log(d.Rate[lo+j])
		}
		lmean[j], lsd[j] = stat.MeanStdDev(col, nil)
	}
	nb := c.Bins()
	for _, fam := range [][2]int{{0, nb}, {nb, len(c.Grid)}} {
		a, b := max(fam[0]-lo, 0), min(fam[1]-lo, m)
		if a >= b {
			continue
		}
		dev := make([]float64, n)
		for i, d := range draws {
			for j := a; j < b; j++ {
				if lsd[j] > 0 {
					dev[i] = max(dev[i], math.Abs(math.Log(d.Rate[lo+j])-lmean[j])/lsd[j])
				}
			}
		}
		sort.Float64s(dev)
		crit := stat.Quantile(0.95, stat.Empirical, dev, nil)
		for j := a; j < b; j++ {
			cv.SimulLo[j] = math.Exp(lmean[j] - crit*lsd[j])
			cv.SimulHi[j] = math.Exp(lmean[j] + crit*lsd[j])
		}
	}
	return cv
}
