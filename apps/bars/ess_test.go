package bars

import (
	"math"
	"testing"

	"github.com/neurogfn/neurogfn/gfn"
)

// TestESS checks the estimator on AR(1) chains, whose integrated
// autocorrelation time (1+rho)/(1-rho) is known, and its edge cases.
func TestESS(t *testing.T) {
	const n = 200000
	for _, rho := range []float64{0, 0.5, 0.9, -0.5} {
		rng := gfn.Stream(7, uint64(100*(rho+1)))
		x := make([]float64, n)
		for i := 1; i < n; i++ {
			x[i] = rho*x[i-1] + rng.NormFloat64()
		}
		want := n * (1 - rho) / (1 + rho)
		if rho < 0 {
			want = n // antithetic chains are capped at n
		}
		if got := ESS(x); math.Abs(got/want-1) > 0.08 {
			t.Errorf("AR(1) rho %v: ESS %.0f, want %.0f", rho, got, want)
		}
	}
	if got := ESS([]float64{1, 1, 1, 1, 1}); got != 5 {
		t.Errorf("constant chain: ESS %v, want 5", got)
	}
	if got := ESS([]float64{1, 2}); got != 2 {
		t.Errorf("two values: ESS %v, want 2", got)
	}
}
