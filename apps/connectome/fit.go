package connectome

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Fit maximises l_j - Ridge/2 |w|^2 over the weights from every other
// neuron and the bias of neuron nr.J by Newton's method with backtracking
// (the objective is concave). It returns the weights (length N, zero at J)
// and their standard errors from the curvature at the optimum (Laplace
// approximation; se[J] = 0), and sets L.Bias[J].
func (nr *Neuron) Fit(ridge float64, maxIter int) (w, se []float64, err error) {
	n := nr.L.N
	active := make([]int, 0, n-1)
	for i := range n {
		if i != nr.J {
			active = append(active, i)
		}
	}
	m := len(active) + 1
	w = make([]float64, n)
	se = make([]float64, n)
	hess := make([]float64, m*m)
	obj := func(w []float64) float64 {
		var r float64
		for _, v := range w {
			r += v * v
		}
		return nr.LogLik(w) - ridge/2*r
	}
	f := obj(w)
	for it := 0; it < maxIter; it++ {
		_, g := nr.Gradient(w, active, hess)
		gv := make([]float64, m)
		for a, i := range active {
			gv[a] = g[i] - ridge*w[i]
			hess[a*m+a] -= ridge
		}
		gv[m-1] = g[n]
		// Solve (-H) d = g.
		neg := mat.NewSymDense(m, nil)
		for a := range m {
			for b := a; b < m; b++ {
				neg.SetSym(a, b, -hess[a*m+b])
			}
			neg.SetSym(a, a, neg.At(a, a)+1e-9)
		}
		var ch mat.Cholesky
		if !ch.Factorize(neg) {
			return w, se, fmt.Errorf("fit neuron %d: %w: Hessian not negative definite", nr.J, ErrNotConverged)
		}
		var d mat.VecDense
		if err := ch.SolveVecTo(&d, mat.NewVecDense(m, gv)); err != nil {
			return w, se, fmt.Errorf("fit neuron %d: %w", nr.J, err)
		}
		var inv mat.SymDense
		if err := ch.InverseTo(&inv); err == nil {
			for a, i := range active {
				se[i] = math.Sqrt(inv.At(a, a))
			}
		}
		dec := mat.Dot(&d, mat.NewVecDense(m, gv)) // Newton decrement squared
		step := 1.0
		bias0 := nr.L.Bias[nr.J]
		trial := make([]float64, n)
		for {
			for a, i := range active {
				trial[i] = w[i] + step*d.AtVec(a)
			}
			nr.L.Bias[nr.J] = bias0 + step*d.AtVec(m-1)
			ft := obj(trial)
			if ft >= f+0.25*step*dec || step < 1e-10 {
				copy(w, trial)
				f = ft
				break
			}
			step /= 2
		}
		if dec/2 < 1e-8 {
			return w, se, nil
		}
		if math.IsNaN(f) {
			return w, se, fmt.Errorf("fit neuron %d: %w: objective is NaN", nr.J, ErrNotConverged)
		}
	}
	return w, se, fmt.Errorf("fit neuron %d: %w after %d iterations", nr.J, ErrNotConverged, maxIter)
}

// AUROC is the area under the ROC curve of scores against labels (the
// probability that a random positive outscores a random negative, ties
// counting one half). NaN if either class is empty.
func AUROC(scores []float64, labels []bool) float64 {
	var pos, neg []float64
	for k, s := range scores {
		if labels[k] {
			pos = append(pos, s)
		} else {
			neg = append(neg, s)
		}
	}
	if len(pos) == 0 || len(neg) == 0 {
		return math.NaN()
	}
	var c float64
	for _, p := range pos {
		for _, q := range neg {
			switch {
			case p > q:
				c++
			case p == q:
				c += 0.5
			}
		}
	}
	return c / float64(len(pos)*len(neg))
}
