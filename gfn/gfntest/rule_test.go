package gfntest

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestRuleIntegratesBeta checks the quadrature behind Policy on Beta
// densities mapped to intervals, including end-point singularities and
// sharp peaks.
func TestRuleIntegratesBeta(t *testing.T) {
	r := newRule(Options{}.withDefaults().QuadPoints)
	for _, tc := range []struct {
		a, b, lo, hi, tol float64
	}{
		{1, 1, 0, 1, 1e-13},
		{2, 5, -1, 3, 1e-13},
		{2, 5, 0.999, 1, 1e-12},
		{0.3, 4, 0, 1, 1e-10},
		{0.5, 0.5, 0, 1, 1e-8}, // mass within an ulp of 1 is ~7e-9
		{200, 100, -1, 3, 1e-12},
		{1000, 1000, 0, 1, 1e-9},
	} {
		x, w := r.nodes(tc.lo, tc.hi)
		width := tc.hi - tc.lo
		b := distuv.Beta{Alpha: tc.a, Beta: tc.b}
		var sum float64
		for i := range x {
			if !(x[i] > tc.lo && x[i] < tc.hi) {
				t.Fatalf("node %v outside (%v, %v)", x[i], tc.lo, tc.hi)
			}
			sum += w[i] * math.Exp(b.LogProb((x[i]-tc.lo)/width)) / width
		}
		if math.Abs(sum-1) > tc.tol {
			t.Errorf("Beta(%v, %v) on (%v, %v) integrates to 1%+.3g, want within %g", tc.a, tc.b, tc.lo, tc.hi, sum-1, tc.tol)
		}
	}
}
