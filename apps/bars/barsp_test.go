package bars

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
)

// TestFitsMatchBarsP holds the model's fits to BarsP 1.0's own (fixture
// testdata/barsp_fits.json, recorded from BarsP's FitPoissonModel on the
// BARS example): for 46 knot sets, among them chain states and rejected
// proposals whose reciprocal condition number is within 0.01% of the
// threshold, the singularity rule must reach BarsP's verdict, and accepted
// fits must match its iterations, log-likelihood and fitted means. The
// verdicts depend on the basis the rule is evaluated on (BarsP's is
// Basis.Design: the first B-spline dropped before the natural-spline QR)
// and on the stopping rule.
func TestFitsMatchBarsP(t *testing.T) {
	b, err := os.ReadFile("testdata/barsp_fits.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Threshold float64   `json:"rcond_threshold"`
		XUnit     []float64 `json:"x_unit"`
		Fits      []struct {
			Label      string    `json:"label"`
			Knots      []float64 `json:"knots"`
			OK         bool      `json:"ok"`
			Iterations int       `json:"iterations"`
			RCond      []float64 `json:"rcond"`
			LogLik     float64   `json:"loglik"`
			Mu         []float64 `json:"mu"`
		} `json:"fits"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	m := exampleModel(t)
	if fx.Threshold != BARSRCond {
		t.Errorf("threshold %v, BARSRCond %v", fx.Threshold, BARSRCond)
	}
	for i, x := range m.Data.Unit() {
		if math.Abs(x-fx.XUnit[i]) > 1e-12 {
			t.Fatalf("bin %d: unit time %v, BarsP %v", i, x, fx.XUnit[i])
		}
	}
	accepted, rejected, near := 0, 0, 0
	for _, f := range fx.Fits {
		if len(f.RCond) > 0 && math.Abs(f.RCond[len(f.RCond)-1]/fx.Threshold-1) < 0.01 {
			near++
		}
		got, err := m.Fit(f.Knots)
		if f.OK != (err == nil) {
			t.Errorf("%s (knots %v): BarsP ok=%v, ours error %v", f.Label, f.Knots, f.OK, err)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrFit) {
				t.Errorf("%s: error %v is not ErrFit", f.Label, err)
			}
			rejected++
			continue
		}
		accepted++
		if got.Iter != f.Iterations {
			t.Errorf("%s: %d iterations, BarsP %d", f.Label, got.Iter, f.Iterations)
		}
		if math.Abs(got.LogLik-f.LogLik) > 1e-8*math.Abs(f.LogLik) {
			t.Errorf("%s: log-likelihood %.12g, BarsP %.12g", f.Label, got.LogLik, f.LogLik)
		}
		for j, mu := range f.Mu {
			if math.Abs(got.Mu[j]-mu) > 1e-7*max(mu, 1) {
				t.Errorf("%s bin %d: mu %.10g, BarsP %.10g", f.Label, j, got.Mu[j], mu)
				break
			}
		}
	}
	t.Logf("%d accepted, %d rejected, as BarsP; %d verdicts within 1%% of the threshold", accepted, rejected, near)
	if accepted < 20 || rejected < 10 {
		t.Errorf("fixture too small: %d accepted, %d rejected", accepted, rejected)
	}
}
