package bars

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

type rFixture struct {
	Fits []struct {
		Knots    []float64 `json:"knots"`
		K        int       `json:"k"`
		Loglik   float64   `json:"loglik_no_const"`
		BIC      float64   `json:"bic_marginal"`
		FittedMu []float64 `json:"fitted_mu"`
	} `json:"fits"`
	NS struct {
		Knots []float64 `json:"knots"`
		Rows  []struct {
			X     float64   `json:"x"`
			Basis []float64 `json:"basis"`
		} `json:"rows"`
	} `json:"ns_basis_example"`
}

func loadFixture(t *testing.T) rFixture {
	t.Helper()
	b, err := os.ReadFile("testdata/bars_glm_r.json")
	if err != nil {
		t.Fatal(err)
	}
	var f rFixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBasisMatchesR compares the basis with R's splines::ns column by
// column (fixture computed with R 4.2.2).
func TestBasisMatchesR(t *testing.T) {
	f := loadFixture(t)
	b, err := NewBasis(f.NS.Knots)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float64, b.Cols())
	for _, row := range f.NS.Rows {
		b.Eval(row.X, got)
		for c, want := range row.Basis {
			if math.Abs(got[c]-want) > 1e-12 {
				t.Errorf("ns at x=%v column %d: got %.15g, R %.15g", row.X, c, got[c], want)
			}
		}
	}
}

// TestGLMMatchesR compares fitted means and maximised log-likelihoods with
// R's glm(family = poisson) on the BARS example for six knot sets.
func TestGLMMatchesR(t *testing.T) {
	f := loadFixture(t)
	d, err := ReadBarsP(mustOpen(t, "testdata/bars_example.data"), "bars_example.data")
	if err != nil {
		t.Fatal(err)
	}
	xs := d.Unit()
	for _, fit := range f.Fits {
		b, err := NewBasis(fit.Knots)
		if err != nil {
			t.Fatal(err)
		}
		got, err := FitPoisson(b.Design(xs), d.Count, 1e-10, 100, 0)
		if err != nil {
			t.Fatalf("k=%d: %v", fit.K, err)
		}
		if math.Abs(got.LogLik-fit.Loglik) > 1e-6 {
			t.Errorf("k=%d: log-likelihood %.10f, R %.10f", fit.K, got.LogLik, fit.Loglik)
		}
		for i, want := range fit.FittedMu {
			if math.Abs(got.Mu[i]-want) > 1e-6*max(1, want) {
				t.Errorf("k=%d bin %d: mu %.10g, R %.10g", fit.K, i, got.Mu[i], want)
				break
			}
		}
		bars, err := FitPoisson(b.Design(xs), d.Count, 1e-10, 100, 0)
		if err != nil || math.Abs(bars.LogLik-fit.Loglik) > 1e-6 {
			t.Errorf("k=%d: BARS basis gives log-likelihood %v (%v), R %.10f", fit.K, bars.LogLik, err, fit.Loglik)
		}
		m := &Model{Data: d}
		if bic := m.LogMarginal(got, fit.K); math.Abs(bic-fit.BIC) > 1e-6 {
			t.Errorf("k=%d: BIC marginal %.10f, R %.10f", fit.K, bic, fit.BIC)
		}
	}
}

func mustOpen(t testing.TB, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestSplineFitMatchesDense checks the banded fit used by the model
// against FitPoisson on BarsP's dense design for random knot sets, close
// knots included: the same log-likelihood, coefficients, information
// matrix and reciprocal condition number, and the same verdict of BARS's
// singularity rule.
func TestSplineFitMatchesDense(t *testing.T) {
	d, err := ReadBarsP(mustOpen(t, "testdata/bars_example.data"), "bars_example.data")
	if err != nil {
		t.Fatal(err)
	}
	xs := d.Unit()
	rng := rand.New(rand.NewPCG(3, 4))
	rejected := 0
	for trial := range 300 {
		k := 1 + rng.IntN(12)
		knots := make([]float64, k)
		for i := range knots {
			knots[i] = rng.Float64()
			if trial%3 == 0 && i > 0 {
				knots[i] = knots[i-1] + 0.004*rng.Float64() // nearly coincident
			}
		}
		slices.Sort(knots)
		b, err := NewBasis(knots)
		if err != nil || knots[0] <= 0 || knots[k-1] >= 1 {
			continue
		}
		dense, derr := FitPoisson(b.Design(xs), d.Count, 1e-8, 100, 0)
		band, berr := fitSpline(b.rows(xs), b.barsCoef(), k+2, d.Count, 1e-8, 100, 0)
		if (derr == nil) != (berr == nil) {
			ok := dense
			if derr != nil {
				ok = band
			}
			if info, err := ok.Info(); err != nil || 1/info.Cond() < 1e-12 || ok.Iter == 100 {
				continue // numerically singular, or no finite maximum: rounding decides
			}
			t.Fatalf("knots %v: dense error %v, banded %v", knots, derr, berr)
		}
		if derr != nil {
			continue
		}
		if dense.Iter == 100 || band.Iter == 100 {
			t.Logf("knots %v: no convergence in 100 iterations (dense %d, banded %d): the likelihood has no finite maximum", knots, dense.Iter, band.Iter)
			continue
		}
		if math.Abs(dense.LogLik-band.LogLik) > 1e-8*max(1, math.Abs(dense.LogLik)) {
			t.Errorf("knots %v: log-likelihood dense %.12g, banded %.12g", knots, dense.LogLik, band.LogLik)
		}
		rc := 1 / mustInfo(t, dense).Cond()
		if got := 1 / mustInfo(t, band).Cond(); rc > 1e-10 && math.Abs(got-rc) > 1e-6*rc {
			t.Errorf("knots %v: rcond dense %.6g, banded %.6g", knots, rc, got)
		}
		for i := range dense.Mu {
			if math.Abs(dense.Mu[i]-band.Mu[i]) > 1e-6*max(1, dense.Mu[i]) {
				t.Errorf("knots %v bin %d: mu dense %v, banded %v", knots, i, dense.Mu[i], band.Mu[i])
				break
			}
		}
		// The rule decides alike away from its threshold.
		_, derr = FitPoisson(b.Design(xs), d.Count, 1e-8, 100, BARSRCond)
		_, berr = fitSpline(b.rows(xs), b.barsCoef(), k+2, d.Count, 1e-8, 100, BARSRCond)
		if derr != nil {
			rejected++
		}
		if (derr == nil) != (berr == nil) && math.Abs(rc/BARSRCond-1) > 0.01 {
			t.Errorf("knots %v (rcond %.3g): dense rule %v, banded %v", knots, rc, derr, berr)
		}
	}
	if rejected == 0 {
		t.Error("no knot set was rejected by the singularity rule; the test does not exercise it")
	}
	t.Logf("%d knot sets rejected by the rule", rejected)
}

// TestRCondBound checks that the cheap bound never exceeds the exact
// reciprocal 1-norm condition number or LAPACK's estimate of it, so that
// skipping dpocon when the bound clears BARS's threshold cannot change a
// verdict.
func TestRCondBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 500 {
		p := 2 + rng.IntN(9)
		x := mat.NewDense(p+3, p, nil)
		for i := range p + 3 {
			for j := range p {
				x.Set(i, j, rng.NormFloat64()*math.Pow(10, -float64(trial%7)*float64(j)/float64(p)))
			}
		}
		var a mat.SymDense
		a.SymOuterK(1, x.T())
		var inv mat.Dense
		if err := inv.Inverse(&a); err != nil {
			continue
		}
		exact := 1 / (mat.Norm(&a, 1) * mat.Norm(&inv, 1))
		var ch mat.Cholesky
		if !ch.Factorize(&a) {
			continue
		}
		var u mat.TriDense
		ch.UTo(&u)
		bound := rcondBound(u.RawTriangular(), mat.Norm(&a, 1), make([]float64, p*p))
		if bound > exact*(1+1e-8) || bound > 1/ch.Cond()*(1+1e-8) {
			t.Fatalf("p=%d: bound %.6g above exact %.6g or dpocon %.6g", p, bound, exact, 1/ch.Cond())
		}
	}
}

// TestNullSpace holds nullSpace (LAPACK called directly) to gonum's
// QR (Q's columns after the first two) on the constraint matrices of
// random knot sets and on a matrix whose first column needs no reflection.
func TestNullSpace(t *testing.T) {
	ref := func(c *mat.Dense) *mat.Dense {
		r, _ := c.Dims()
		var qr mat.QR
		qr.Factorize(c)
		q := mat.NewDense(r, r, nil)
		qr.QTo(q)
		return mat.DenseCopyOf(q.Slice(0, r, 2, r))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var cases []*mat.Dense
	for range 200 {
		knots := make([]float64, 1+rng.IntN(12))
		for i := range knots {
			knots[i] = rng.Float64()
		}
		slices.Sort(knots)
		b, err := NewBasis(knots)
		if err != nil {
			continue
		}
		for i := range len(knots) + 4 { // NewBasis skips the B-splines that vanish at a boundary
			if b.deriv2(i, 0) != b.d2.At(i, 0) || b.deriv2(i, 1) != b.d2.At(i, 1) {
				t.Fatalf("knots %v: B-spline %d's second derivatives %v, %v; NewBasis has %v, %v", knots, i, b.deriv2(i, 0), b.deriv2(i, 1), b.d2.At(i, 0), b.d2.At(i, 1))
			}
		}
		cases = append(cases, b.d2)
	}
	cases = append(cases, mat.NewDense(4, 2, []float64{3, 1, 0, 2, 0, 5, 0, -1}))
	var worst float64
	for _, c := range cases {
		got, want := nullSpace(c), ref(c)
		r, k := want.Dims()
		scale := mat.Norm(c, math.Inf(1))
		for i := range r {
			for j := range k {
				worst = max(worst, math.Abs(got.At(i, j)-want.At(i, j)))
			}
		}
		var ct mat.Dense
		ct.Mul(c.T(), got)
		if n := mat.Norm(&ct, math.Inf(1)); n > 1e-12*scale {
			t.Errorf("constraints times null space: %v (scale %v)", n, scale)
		}
	}
	t.Logf("%d matrices, largest difference from gonum's QR %.2g", len(cases), worst)
	if worst > 1e-13 {
		t.Errorf("null space differs from gonum's QR by %v", worst)
	}
}

func mustInfo(t *testing.T, f *Fit) *mat.Cholesky {
	t.Helper()
	c, err := f.Info()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
