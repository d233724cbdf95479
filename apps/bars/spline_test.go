package bars

import (
	"encoding/json"
	"math"
	"os"
	"testing"
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
		bars, err := FitPoisson(b.BARSDesign(xs), d.Count, 1e-10, 100, 0)
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
