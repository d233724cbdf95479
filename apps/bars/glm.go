package bars

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas64"
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
	// Info is the Cholesky factor of the Fisher information XᵀWX at the
	// optimum; the coefficients are drawn from N(beta, Info⁻¹).
	Info mat.Cholesky
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
	xd := x.RawMatrix()
	eta := make([]float64, n)
	mu := make([]float64, n)
	for i, v := range y {
		mu[i] = max(v, 0.1)
		eta[i] = math.Log(mu[i])
	}
	a := make([]float64, p*p) // XᵀWX, upper triangle, row-major
	z := make([]float64, n)   // W times the working response
	rhs := make([]float64, p)
	xtwx := mat.NewSymDense(p, a)
	beta := mat.NewVecDense(p, nil)
	bd := beta.RawVector().Data
	f := &Fit{Mu: mu}
	prev := math.Inf(-1)
	for it := 1; it <= maxIter; it++ {
		f.Iter = it
		// XᵀWX and XᵀWz with W = mu, z = eta + (y - mu)/mu.
		for i := range z {
			z[i] = mu[i]*eta[i] + (y[i] - mu[i])
		}
		weigh(a, rhs, xd, mu, z)
		if ok := f.Info.Factorize(xtwx); !ok {
			return nil, fmt.Errorf("%w: information matrix is not positive definite", ErrFit)
		}
		if minRCond > 0 {
			if rc := 1 / f.Info.Cond(); rc < minRCond {
				return nil, fmt.Errorf("%w: reciprocal condition number %.3g below %.3g", ErrFit, rc, minRCond)
			}
		}
		if err := f.Info.SolveVecTo(beta, mat.NewVecDense(p, rhs)); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFit, err)
		}
		var ll float64
		for i := 0; i < n; i++ {
			row := xd.Data[i*xd.Stride : i*xd.Stride+p]
			var e float64
			for j, v := range row {
				e += v * bd[j]
			}
			eta[i] = e
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
	// Information at the final coefficients, for the coefficient draws.
	clear(z)
	weigh(a, rhs, xd, mu, z)
	if ok := f.Info.Factorize(xtwx); !ok {
		return nil, fmt.Errorf("%w: information matrix is not positive definite", ErrFit)
	}
	f.Beta = bd
	return f, nil
}

// weigh sets a (p x p, upper triangle) to XᵀWX and rhs to Xᵀz with
// W = diag(w).
func weigh(a, rhs []float64, x blas64.General, w, z []float64) {
	p := len(rhs)
	clear(a)
	clear(rhs)
	z = z[:len(w)]
	for i, wi := range w {
		row := x.Data[i*x.Stride : i*x.Stride+p]
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
