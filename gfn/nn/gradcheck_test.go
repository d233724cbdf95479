package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

// reporter is the part of testing.TB that checkGrad uses, so that a test can
// verify that checkGrad rejects a wrong gradient.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// gradStep is the central-difference step: about the cube root of the
// machine epsilon, which balances truncation (O(h²)) against rounding
// (O(eps/h)) errors for functions of order one.
const gradStep = 1e-5

// checkGrad compares the tape gradient of f with respect to every parameter
// in ps against central finite differences (gonum diff/fd). f must build a
// scalar node on the tape from the parameters. Each partial must agree to a
// relative error of 1e-6, measured against max(|analytic|, |numeric|, 1e-3).
func checkGrad(t reporter, name string, ps []*Param, f func(tp *Tape) *Node) {
	t.Helper()
	var n int
	for _, p := range ps {
		n += p.W.Len()
	}
	get := func() []float64 {
		x := make([]float64, 0, n)
		for _, p := range ps {
			x = append(x, p.W.Data...)
		}
		return x
	}
	set := func(x []float64) {
		for _, p := range ps {
			copy(p.W.Data, x[:p.W.Len()])
			x = x[p.W.Len():]
		}
	}
	x0 := get()
	tp := NewTape()
	ZeroGrad(ps)
	loss := f(tp)
	tp.Backward(loss)
	analytic := make([]float64, 0, n)
	for _, p := range ps {
		analytic = append(analytic, p.G.Data...)
	}
	numeric := fd.Gradient(nil, func(x []float64) float64 {
		set(x)
		it := NewInferenceTape()
		return f(it).Scalar()
	}, x0, &fd.Settings{Formula: fd.Central, Step: gradStep})
	set(x0)
	for i := range analytic {
		a, b := analytic[i], numeric[i]
		den := math.Max(math.Max(math.Abs(a), math.Abs(b)), 1e-3)
		if rel := math.Abs(a-b) / den; rel > 1e-6 || math.IsNaN(rel) {
			t.Errorf("%s: d/dx[%d] analytic %.10g numeric %.10g (rel err %.2g)", name, i, a, b, rel)
		}
	}
}

func randParam(rng *rand.Rand, name string, rows, cols int, lo, hi float64) *Param {
	p := NewParam(name, rows, cols)
	for i := range p.W.Data {
		p.W.Data[i] = lo + (hi-lo)*rng.Float64()
	}
	return p
}

// weights returns a fixed random weighting so that a vector output reduces
// to a scalar whose gradient exercises every entry differently.
func weights(rng *rand.Rand, rows, cols int) Tensor {
	w := NewTensor(rows, cols)
	for i := range w.Data {
		w.Data[i] = rng.Float64()*2 - 1
	}
	return w
}

func reduce(tp *Tape, x *Node, w Tensor) *Node {
	return tp.Sum(tp.Mul(x, tp.Const(w)))
}

func TestGradMatMulAddRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a := randParam(rng, "a", 3, 4, -1, 1)
	b := randParam(rng, "b", 4, 5, -1, 1)
	c := randParam(rng, "c", 1, 5, -1, 1)
	w := weights(rng, 3, 5)
	checkGrad(t, "matmul", []*Param{a, b, c}, func(tp *Tape) *Node {
		return reduce(tp, tp.AddRow(tp.MatMul(tp.Param(a), tp.Param(b)), tp.Param(c)), w)
	})
}
