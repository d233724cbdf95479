package bars

import (
	"fmt"
	"sort"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// Basis is the natural cubic spline basis on [0, 1] with given interior
// knots, built exactly as R's splines::ns(x, knots, Boundary.knots = c(0, 1),
// intercept = FALSE): cubic B-splines on the knot vector with 4-fold
// boundary knots, the first dropped, then projected by the QR decomposition
// of their second derivatives at 0 and 1 onto the splines with zero second
// derivative at both ends. It has len(knots)+1 columns; BARS adds an
// intercept column for k+2 in all (Design). BarsP 1.0 builds exactly this
// basis (SetModelBasis drops the first B-spline before its QR and puts
// the intercept in front), and its numerical-singularity rule is defined
// on it.
type Basis struct {
	Knots []float64  // interior knots, strictly increasing in (0, 1)
	t     []float64  // full knot vector: 0,0,0,0, knots..., 1,1,1,1
	d2    *mat.Dense // second derivatives of the B-splines at 0 and 1
	q     *mat.Dense // R's ns(): built on first use
}

// NewBasis builds the basis. Knots must be strictly increasing in (0, 1).
func NewBasis(knots []float64) (*Basis, error) {
	for i, x := range knots {
		if !(x > 0 && x < 1) {
			return nil, fmt.Errorf("bars: knot %d (%v) is outside (0, 1)", i, x)
		}
		if i > 0 && !(x > knots[i-1]) {
			return nil, fmt.Errorf("bars: knots %d and %d are not strictly increasing (%v, %v)", i-1, i, knots[i-1], x)
		}
	}
	k := len(knots)
	b := &Basis{Knots: append([]float64(nil), knots...)}
	b.t = make([]float64, 0, k+8)
	b.t = append(b.t, 0, 0, 0, 0)
	b.t = append(b.t, knots...)
	b.t = append(b.t, 1, 1, 1, 1)
	// Second derivatives of the k+4 B-splines at 0 and 1.
	nb := k + 4
	// Only the four B-splines that are non-zero at a boundary can have a
	// second derivative there (the others vanish on a neighbourhood).
	b.d2 = mat.NewDense(nb, 2, nil)
	for i := range min(4, nb) {
		b.d2.Set(i, 0, b.deriv2(i, 0))
	}
	for i := max(nb-4, 0); i < nb; i++ {
		b.d2.Set(i, 1, b.deriv2(i, 1))
	}
	return b, nil
}

// nullSpace returns the columns of Q after the first two in the QR
// decomposition of c (r x 2): an orthonormal basis of the vectors
// orthogonal to c's columns, as R's ns() and BarsP compute it (LAPACK's
// dgeqrf and dorgqr, called directly with minimal workspace, which for
// these tiny matrices runs the unblocked algorithms without mat.QR's
// overheads).
func nullSpace(c mat.Matrix) *mat.Dense {
	r, _ := c.Dims()
	a := blas64.General{Rows: r, Cols: r, Stride: r, Data: make([]float64, r*r)}
	for i := range r {
		a.Data[i*r], a.Data[i*r+1] = c.At(i, 0), c.At(i, 1)
	}
	tau := make([]float64, 2)
	work := make([]float64, r)
	lapack64.Geqrf(blas64.General{Rows: r, Cols: 2, Stride: r, Data: a.Data}, tau, work, len(work))
	lapack64.Orgqr(a, tau, work, len(work))
	q := mat.NewDense(r, r-2, nil)
	for i := range r {
		copy(q.RawRowView(i), a.Data[i*r+2:(i+1)*r])
	}
	return q
}

// nsQ returns R's ns() projection: the null space of the constraints on
// the B-splines without the first.
func (b *Basis) nsQ() *mat.Dense {
	if b.q == nil {
		nb, _ := b.d2.Dims()
		b.q = nullSpace(b.d2.Slice(1, nb, 0, 2))
	}
	return b.q
}

// Cols is the number of basis columns, len(Knots)+1.
func (b *Basis) Cols() int { return len(b.Knots) + 1 }

// span returns the index j of the knot interval [t_j, t_j+1) holding x,
// with x = 1 in the last non-empty interval.
func (b *Basis) span(x float64) int {
	t := b.t
	last := len(t) - 5 // last interval start for a cubic
	if x >= t[last+1] {
		return last
	}
	// Largest j in [3, last] with t[j] <= x.
	j := sort.Search(last-2, func(i int) bool { return t[3+i+1] > x })
	return 3 + j
}

// bsplines writes the four non-zero cubic B-splines at x into n and
// returns the index of the first (NURBS Book algorithm A2.2).
func (b *Basis) bsplines(x float64, n *[4]float64) int {
	return b.bsplinesIn(x, b.span(x), n)
}

// bsplinesIn is bsplines with the knot interval j of x (from span) given.
func (b *Basis) bsplinesIn(x float64, j int, n *[4]float64) int {
	t := b.t
	var left, right [4]float64
	n[0] = 1
	for d := 1; d <= 3; d++ {
		left[d] = x - t[j+1-d]
		right[d] = t[j+d] - x
		saved := 0.0
		for r := 0; r < d; r++ {
			tmp := n[r] / (right[r+1] + left[d-r])
			n[r] = saved + right[r+1]*tmp
			saved = left[d-r] * tmp
		}
		n[d] = saved
	}
	return j - 3
}

// bspline evaluates B-spline i of order ord at x by the Cox-de Boor
// recursion, left-continuous at x = 1.
func (b *Basis) bspline(i, ord int, x float64) float64 {
	t := b.t
	if ord == 1 {
		j := b.span(x)
		if i == j {
			return 1
		}
		return 0
	}
	var v float64
	if d := t[i+ord-1] - t[i]; d > 0 {
		v += (x - t[i]) / d * b.bspline(i, ord-1, x)
	}
	if d := t[i+ord] - t[i+1]; d > 0 {
		v += (t[i+ord] - x) / d * b.bspline(i+1, ord-1, x)
	}
	return v
}

// deriv2 is the second derivative of cubic B-spline i at x.
func (b *Basis) deriv2(i int, x float64) float64 {
	t := b.t
	d1 := func(i int) float64 { // first derivative of the order-3 B-spline i
		var v float64
		if d := t[i+2] - t[i]; d > 0 {
			v += b.bspline(i, 2, x) / d
		}
		if d := t[i+3] - t[i+1]; d > 0 {
			v -= b.bspline(i+1, 2, x) / d
		}
		return 2 * v
	}
	var v float64
	if d := t[i+3] - t[i]; d > 0 {
		v += d1(i) / d
	}
	if d := t[i+4] - t[i+1]; d > 0 {
		v -= d1(i+1) / d
	}
	return 3 * v
}

// Eval writes the Cols() basis values at x in [0, 1] into dst.
func (b *Basis) Eval(x float64, dst []float64) {
	var n [4]float64
	first := b.bsplines(x, &n)
	clear(dst[:b.Cols()])
	for r, v := range n {
		i := first + r - 1 // dropped first B-spline
		if i < 0 || v == 0 {
			continue
		}
		for c, q := range b.nsQ().RawRowView(i) {
			dst[c] += v * q
		}
	}
}

// Design returns the n x (k+2) design matrix at xs: an intercept column,
// then R's ns basis. This is BarsP 1.0's design matrix.
func (b *Basis) Design(xs []float64) *mat.Dense {
	p := b.Cols() + 1
	x := mat.NewDense(len(xs), p, nil)
	for r, v := range xs {
		row := x.RawRowView(r)
		row[0] = 1
		b.Eval(v, row[1:])
	}
	return x
}

// splineRows is a design matrix in B-spline form. Only four cubic
// B-splines are non-zero at any point, so row i of the design X = B·Q is
// sum_r vals[i][r]·Q[first[i]+r, :] for a map Q (B-splines x columns) from
// the basis columns to the k+4 B-splines. Products with X, XᵀWX and
// XᵀWz then cost O(n) instead of O(n·p) and O(n·p²).
type splineRows struct {
	first []int
	vals  [][4]float64
}

// rows evaluates the B-splines at xs in [0, 1]. Runs of increasing xs
// reuse the previous knot interval instead of searching for it.
func (b *Basis) rows(xs []float64) splineRows {
	r := splineRows{first: make([]int, len(xs)), vals: make([][4]float64, len(xs))}
	t := b.t
	last := len(t) - 5
	j := -1
	for i, x := range xs {
		if j < 0 || !(x >= t[j] && (j == last || x < t[j+1])) {
			j = b.span(x)
		}
		r.first[i] = b.bsplinesIn(x, j, &r.vals[i])
	}
	return r
}

// barsCoef returns the map Q (k+4 x k+2, row-major) from the columns of
// Design to the B-splines: the intercept is all ones (the B-splines sum to
// one), and the ns columns are R's projection nsQ of the B-splines after
// the first.
func (b *Basis) barsCoef() []float64 {
	ns := b.nsQ()
	nb, p := len(b.Knots)+4, b.Cols()+1
	q := make([]float64, nb*p)
	for i := range nb {
		row := q[i*p : (i+1)*p]
		row[0] = 1
		if i > 0 {
			copy(row[1:], ns.RawRowView(i-1))
		}
	}
	return q
}

// eta writes X·beta = B·(Q·beta) at the rows into dst; c is scratch of
// length k+4 and holds Q·beta afterwards.
func (r splineRows) eta(q, beta, c, dst []float64) {
	splineCoefs(q, beta, c)
	r.apply(c, dst)
}

// splineCoefs sets c to the B-spline coefficients Q·beta.
func splineCoefs(q, beta, c []float64) {
	p := len(beta)
	for a := range c {
		var s float64
		for j, v := range q[a*p : (a+1)*p] {
			s += v * beta[j]
		}
		c[a] = s
	}
}

// apply writes B·c at the rows into dst.
func (r splineRows) apply(c, dst []float64) {
	for i, f := range r.first {
		v := &r.vals[i]
		cc := c[f : f+4]
		dst[i] = v[0]*cc[0] + v[1]*cc[1] + v[2]*cc[2] + v[3]*cc[3]
	}
}
