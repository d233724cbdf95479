package bars

import "math"

// ESS is the effective sample size of a chain's values x (in sampling
// order) by Geyer's initial monotone sequence estimator: the
// autocorrelations summed in adjacent pairs, stopped at the first
// non-positive pair, each pair capped by the one before. It is len(x) for
// a constant chain and at most len(x).
func ESS(x []float64) float64 {
	n := len(x)
	if n < 4 {
		return float64(n)
	}
	var m float64
	for _, v := range x {
		m += v
	}
	m /= float64(n)
	acov := func(lag int) float64 {
		var s float64
		for i := 0; i+lag < n; i++ {
			s += (x[i] - m) * (x[i+lag] - m)
		}
		return s / float64(n)
	}
	g0 := acov(0)
	if g0 == 0 {
		return float64(n)
	}
	sum := 0.0 // sum of Gamma_k = rho(2k) + rho(2k+1), k >= 0
	prev := math.Inf(1)
	for k := 0; 2*k+1 < n; k++ {
		g := (acov(2*k) + acov(2*k+1)) / g0
		if g <= 0 {
			break
		}
		g = min(g, prev)
		sum += g
		prev = g
	}
	tau := max(-1+2*sum, 1/float64(n))
	return min(float64(n), float64(n)/tau)
}
