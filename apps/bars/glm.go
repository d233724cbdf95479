package bars

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// ErrFit reports a Poisson regression that cannot be fitted: XᵀWX is not
// positive definite or is numerically singular. BARS gives such knot sets
// probability zero.
var ErrFit = errors.New("bars: Poisson fit failed")

// BARSRCond is BarsP's threshold on the reciprocal condition number (LAPACK
// dpocon estimate) of XᵀWX on its basis: 500·sqrt(machine epsilon).
const BARSRCond = 500 * 1.4901161193847656e-08

// Fit is a maximum-likelihood Poisson regression log mu = X beta.
type Fit struct {
	Beta   []float64
	Mu     []float64 // fitted mean counts
	LogLik float64   // sum(y log mu - mu), without the log y! constant
	Iter   int

	x       design // for Info, until it is computed
	once    sync.Once
	info    *mat.Cholesky
	infoErr error
}

// Info returns the Cholesky factor of the Fisher information XᵀWX at the
// optimum (W = diag(Mu)); the coefficients are drawn from N(Beta, Info⁻¹).
// It is computed on first use, because most fits of a chain are of
// proposals that are rejected and never drawn from; it is safe to call
// from several goroutines. (Until the lazy computation, a fit whose final
// information was not positive definite failed as a whole; with BARS's
// singularity rule applied in every iteration, XᵀWX at the last weights
// has a reciprocal condition number above 7.5e-6, and the final weights
// differ from those by less than the stopping tolerance, so that failure
// does not arise where the rule is on.)
func (f *Fit) Info() (*mat.Cholesky, error) {
	f.once.Do(func() {
		p := len(f.Beta)
		a := make([]float64, p*p)
		f.x.weigh(a, make([]float64, p), f.Mu, make([]float64, len(f.Mu)))
		var c mat.Cholesky
		if c.Factorize(mat.NewSymDense(p, a)) {
			f.info = &c
		} else {
			f.infoErr = fmt.Errorf("%w: information matrix is not positive definite", ErrFit)
		}
		f.x = nil
	})
	return f.info, f.infoErr
}

// FitPoisson fits log mu = X beta to counts y by iteratively reweighted
// least squares, starting from mu = max(y, 0.1) as BARS does, until the
// log-likelihood changes by less than tol (at most maxIter iterations).
// Like BARS, it fails when the reciprocal condition number of XᵀWX falls
// below minRCond in any iteration (0 disables the check).
func FitPoisson(x *mat.Dense, y []float64, tol float64, maxIter int, minRCond float64) (*Fit, error) {
	n, p := x.Dims()
	if len(y) != n {
		panic(fmt.Sprintf("bars: %d counts for %d design rows", len(y), n))
	}
	return irls(denseDesign{x: x.RawMatrix(), p: p}, p, y, tol, maxIter, minRCond)
}

// fitSpline is FitPoisson for a spline design X = B·Q given in B-spline
// form: r holds the B-splines at the data points and q (k+4 x p,
// row-major) maps the p basis columns to them. It builds XᵀWX as
// Qᵀ(BᵀWB)Q with BᵀWB banded, several times cheaper than the dense
// products; fits agree with FitPoisson on the dense design to rounding.
func fitSpline(r splineRows, q []float64, p int, y []float64, tol float64, maxIter int, minRCond float64) (*Fit, error) {
	if len(r.first) != len(y) {
		panic(fmt.Sprintf("bars: %d counts for %d design rows", len(y), len(r.first)))
	}
	nb := len(q) / p
	d := &splineDesign{r: r, q: q, p: p, g: make([]float64, 4*nb), gz: make([]float64, nb), h: make([]float64, nb*p), c: make([]float64, nb)}
	return irls(d, p, y, tol, maxIter, minRCond)
}

// design is a Poisson regression design matrix X as IRLS uses it.
type design interface {
	// weigh sets a (p x p, upper triangle, row-major) to XᵀWX with
	// W = diag(w), and rhs to Xᵀz.
	weigh(a, rhs, w, z []float64)
	// eta sets dst to X·beta.
	eta(beta, dst []float64)
}

// irls is the IRLS loop of FitPoisson. The reciprocal condition number is
// LAPACK's dpocon estimate (as mat.Cholesky's and BarsP's), computed only
// when a cheap lower bound does not already clear minRCond.
func irls(x design, p int, y []float64, tol float64, maxIter int, minRCond float64) (*Fit, error) {
	n := len(y)
	eta := make([]float64, n)
	mu := make([]float64, n)
	z := make([]float64, n)
	for i, v := range y {
		mu[i] = max(v, 0.1)
		eta[i] = math.Log(mu[i])
	}
	a := make([]float64, p*p)
	rhs := make([]float64, p)
	work := make([]float64, 3*p)
	iwork := make([]int, p)
	uinv := make([]float64, p*p)
	beta := make([]float64, p)
	f := &Fit{Mu: mu}
	prev := math.Inf(-1)
	for it := 1; it <= maxIter; it++ {
		f.Iter = it
		// XᵀWX and XᵀWz with W = mu, z = eta + (y - mu)/mu.
		for i := range z {
			z[i] = mu[i]*eta[i] + (y[i] - mu[i])
		}
		x.weigh(a, rhs, mu, z)
		sym := blas64.Symmetric{Uplo: blas.Upper, N: p, Stride: p, Data: a}
		anorm := lapack64.Lansy(lapack.MaxColumnSum, sym, work)
		tri, ok := lapack64.Potrf(sym)
		if !ok {
			return nil, fmt.Errorf("%w: information matrix is not positive definite", ErrFit)
		}
		// The estimate dpocon returns is at least the true reciprocal
		// condition number, which is at least 1/(|A|·|U⁻¹|₁·|U⁻¹|∞): when
		// that cheap bound clears the threshold, so does dpocon.
		if minRCond > 0 && rcondBound(tri, anorm, uinv) < minRCond {
			if rc := lapack64.Pocon(sym, anorm, work, iwork); rc < minRCond {
				return nil, fmt.Errorf("%w: reciprocal condition number %.3g below %.3g", ErrFit, rc, minRCond)
			}
		}
		copy(beta, rhs)
		lapack64.Potrs(tri, blas64.General{Rows: p, Cols: 1, Stride: 1, Data: beta})
		x.eta(beta, eta)
		var ll float64
		for i, e := range eta {
			mu[i] = math.Exp(e)
			ll += y[i]*e - mu[i]
		}
		if math.IsNaN(ll) || math.IsInf(ll, 0) {
			return nil, fmt.Errorf("%w: log-likelihood %v", ErrFit, ll)
		}
		f.LogLik = ll
		if math.Abs(ll-prev) < tol {
			break
		}
		prev = ll
	}
	f.Beta = beta
	f.x = x // the information at the final coefficients comes from Info
	return f, nil
}

// denseDesign is a design matrix stored densely.
type denseDesign struct {
	x blas64.General
	p int
}

func (d denseDesign) weigh(a, rhs, w, z []float64) {
	p := d.p
	clear(a)
	clear(rhs)
	z = z[:len(w)]
	for i, wi := range w {
		row := d.x.Data[i*d.x.Stride : i*d.x.Stride+p]
		zi := z[i]
		for j, xj := range row {
			rhs[j] += xj * zi
			wx := wi * xj
			aj := a[j*p+j : j*p+p]
			rj := row[j:]
			rj = rj[:len(aj)]
			for k, v := range rj {
				aj[k] += wx * v
			}
		}
	}
}

func (d denseDesign) eta(beta, dst []float64) {
	for i := range dst {
		row := d.x.Data[i*d.x.Stride : i*d.x.Stride+d.p]
		var e float64
		for j, v := range row {
			e += v * beta[j]
		}
		dst[i] = e
	}
}

// splineDesign is X = B·Q in B-spline form with its scratch: g = BᵀWB in
// band storage (g[4a+d] = G[a][a+d], d = 0..3), gz = Bᵀz, h = G·Q, and c
// for Q·beta.
type splineDesign struct {
	r           splineRows
	q           []float64
	p           int
	g, gz, h, c []float64
}

func (d *splineDesign) eta(beta, dst []float64) { d.r.eta(d.q, beta, d.c, dst) }

func (d *splineDesign) weigh(a, rhs, w, z []float64) {
	nb, p, q := len(d.gz), d.p, d.q
	g, gz, h := d.g[:4*nb], d.gz, d.h
	clear(g)
	clear(gz)
	for i, f := range d.r.first {
		v := &d.r.vals[i]
		v0, v1, v2, v3 := v[0], v[1], v[2], v[3]
		wi, zi := w[i], z[i]
		bz := gz[f : f+4 : f+4]
		bz[0] += v0 * zi
		bz[1] += v1 * zi
		bz[2] += v2 * zi
		bz[3] += v3 * zi
		w0, w1, w2, w3 := wi*v0, wi*v1, wi*v2, wi*v3
		b := g[4*f : 4*f+16 : 4*f+16]
		b[0] += w0 * v0
		b[1] += w0 * v1
		b[2] += w0 * v2
		b[3] += w0 * v3
		b[4] += w1 * v1
		b[5] += w1 * v2
		b[6] += w1 * v3
		b[8] += w2 * v2
		b[9] += w2 * v3
		b[12] += w3 * v3
	}
	// h = G·Q with G symmetric and banded (|a-b| <= 3).
	for r := range nb {
		hr := h[r*p : (r+1)*p]
		clear(hr)
		for c := max(0, r-3); c < min(nb, r+4); c++ {
			var grc float64
			if c >= r {
				grc = g[4*r+c-r]
			} else {
				grc = g[4*c+r-c]
			}
			qc := q[c*p : (c+1)*p]
			qc = qc[:len(hr)]
			for j, v := range qc {
				hr[j] += grc * v
			}
		}
	}
	// a = Qᵀh (upper triangle), rhs = Qᵀgz.
	clear(a)
	clear(rhs)
	for b := range nb {
		qb := q[b*p : (b+1)*p]
		hb := h[b*p : (b+1)*p]
		for j, qj := range qb {
			rhs[j] += qj * gz[b]
			aj := a[j*p+j : j*p+p]
			hj := hb[j:]
			hj = hj[:len(aj)]
			for l, v := range hj {
				aj[l] += qj * v
			}
		}
	}
}

// rcondBound returns 1/(anorm·|U⁻¹|₁·|U⁻¹|∞), a lower bound on the
// reciprocal 1-norm condition number of A = UᵀU, since
// |A⁻¹|₁ <= |U⁻¹|₁·|U⁻ᵀ|₁ = |U⁻¹|₁·|U⁻¹|∞. inv is p x p scratch.
func rcondBound(u blas64.Triangular, anorm float64, inv []float64) float64 {
	p := u.N
	clear(inv)
	// Columns of U⁻¹ by back substitution: U x = e_j.
	for j := range p {
		inv[j*p+j] = 1 / u.Data[j*u.Stride+j]
		for i := j - 1; i >= 0; i-- {
			var s float64
			for l := i + 1; l <= j; l++ {
				s += u.Data[i*u.Stride+l] * inv[l*p+j]
			}
			inv[i*p+j] = -s / u.Data[i*u.Stride+i]
		}
	}
	var n1, ninf float64
	for j := range p {
		var col, row float64
		for i := range p {
			col += math.Abs(inv[i*p+j])
			row += math.Abs(inv[j*p+i])
		}
		n1, ninf = max(n1, col), max(ninf, row)
	}
	return 1 / (anorm * n1 * ninf)
}
