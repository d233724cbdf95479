package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// benchNet is the MLP of the benchmark: 16 -> 256 -> 256 -> 3, batch 128.
type benchNet struct {
	mlp    *MLP
	params []*Param
	x      Tensor
	y      Tensor
}

func newBenchNet(act Activation) *benchNet {
	rng := rand.New(rand.NewPCG(41, 42))
	n := &benchNet{mlp: NewMLP("m", []int{16, 256, 256, 3}, act, rng), x: NewTensor(128, 16), y: NewTensor(128, 3)}
	for i := range n.x.Data {
		n.x.Data[i] = rng.NormFloat64()
	}
	for i := range n.y.Data {
		n.y.Data[i] = rng.NormFloat64()
	}
	n.params = n.mlp.Params()
	return n
}

// step runs one forward and backward pass on tp after resetting it, and
// returns the loss.
func (n *benchNet) step(tp *Tape) float64 {
	tp.Reset()
	ZeroGrad(n.params)
	out := n.mlp.Forward(tp, tp.Const(n.x))
	loss := tp.Mean(tp.Huber(tp.Sub(out, tp.Const(n.y)), 1))
	tp.Backward(loss)
	return loss.Scalar()
}

func TestTapeResetReuse(t *testing.T) {
	n := newBenchNet(Tanh)
	tp := NewTape()
	grads := func() []float64 {
		var g []float64
		for _, p := range n.mlp.Params() {
			g = append(g, p.G.Data...)
		}
		return g
	}
	l1 := n.step(tp)
	g1 := grads()
	chunks := len(tp.chunks)
	for range 3 {
		l2 := n.step(tp)
		if math.Float64bits(l1) != math.Float64bits(l2) {
			t.Fatalf("loss after Reset %v, first run %v", l2, l1)
		}
		if g2 := grads(); !slices.Equal(g1, g2) {
			t.Fatal("gradients after Reset differ from the first run")
		}
	}
	if len(tp.chunks) != chunks {
		t.Errorf("tape grew from %d to %d chunks on reuse", chunks, len(tp.chunks))
	}
	// A fresh tape gives the same numbers.
	if l := n.step(NewTape()); math.Float64bits(l) != math.Float64bits(l1) {
		t.Errorf("fresh tape loss %v, reused %v", l, l1)
	}

	// Reset drops the references held by the previous iteration's nodes.
	tp.Reset()
	for _, chunk := range tp.nodePool {
		for i := range chunk {
			if chunk[i].back != nil || chunk[i].V.Data != nil {
				t.Fatal("Reset left a used node behind")
			}
		}
	}

	// In the steady state the tape itself allocates nothing: what remains is
	// the backward closure of each op (13 here: 3 MatMul, 3 AddRow, 2 Tanh,
	// Sub, Huber (2), Sum, Scale).
	if !raceEnabled {
		allocs := testing.AllocsPerRun(5, func() { n.step(tp) })
		if allocs > 16 {
			t.Errorf("%v allocations per iteration in the steady state", allocs)
		}
		t.Logf("%v allocations per iteration", allocs)
	}
}

func TestTapeBasics(t *testing.T) {
	tp := NewTape()
	p := &Param{Name: "bare", W: NewTensor(1, 2)} // no gradient accumulator
	p.W.Data[0], p.W.Data[1] = 2, 3
	tp.Backward(tp.Sum(tp.Square(tp.Param(p))))
	if p.G.Data[0] != 4 || p.G.Data[1] != 6 {
		t.Errorf("gradient of a bare Param: %v", p.G.Data)
	}
	mustPanic(t, "backward from a vector", func() { tp.Backward(tp.Param(p)) })
	it := NewInferenceTape()
	if it.Recording() || it.Param(p).NeedsGrad() {
		t.Error("inference tape records gradients")
	}
	mustPanic(t, "backward on an inference tape", func() { it.Backward(it.Scalar(1)) })
	// A loss that does not depend on any parameter has nothing to do.
	c := tp.Sum(tp.Const(NewTensor(2, 2)))
	tp.Backward(c)
	if c.NeedsGrad() {
		t.Error("constant loss needs a gradient")
	}
}

func BenchmarkMLPForwardBackward(b *testing.B) {
	n := newBenchNet(ReLU)
	tp := NewTape()
	n.step(tp) // size the tape
	b.ReportAllocs()
	for b.Loop() {
		n.step(tp)
	}
}

func BenchmarkMLPInference(b *testing.B) {
	n := newBenchNet(ReLU)
	tp := NewInferenceTape()
	n.mlp.Forward(tp, tp.Const(n.x))
	b.ReportAllocs()
	for b.Loop() {
		tp.Reset()
		n.mlp.Forward(tp, tp.Const(n.x))
	}
}

// TestTapeDirtyMemory: ops that skip zeroing their outputs (MatMul, AddRow,
// ReLU, GatherRows, ConcatCols) must write every value. The tape's memory
// is poisoned with NaN before they run on it; their values and gradients
// must equal a fresh tape's.
func TestTapeDirtyMemory(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	mlp := NewMLP("d", []int{7, 9, 5}, ReLU, rng)
	x := NewTensor(6, 7)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	run := func(tp *Tape) (vals, grads []float64) {
		ZeroGrad(mlp.Params())
		h := mlp.Forward(tp, tp.Const(x))                                    // MatMul, AddRow, ReLU
		g := tp.GatherRows(h, []int{5, 0, 0, 3})                             // 4 x 5
		c := tp.ConcatCols(g, tp.GatherRows(h, []int{1, 2, 3, 4}))           // 4 x 10
		e := tp.MatMul(tp.Const(NewTensor(2, 0)), tp.Const(NewTensor(0, 3))) // k = 0: zeros
		loss := tp.Add(tp.Mean(tp.Mul(c, c)), tp.Mean(e))
		tp.Backward(loss)
		vals = append(vals, c.V.Data...)
		vals = append(vals, e.V.Data...)
		for _, p := range mlp.Params() {
			grads = append(grads, p.G.Data...)
		}
		return vals, grads
	}
	v0, g0 := run(NewTape())
	tp := NewTape()
	junk := tp.Alloc(1, chunkSize)
	for i := range junk.Data {
		junk.Data[i] = math.NaN()
	}
	tp.Reset()
	v1, g1 := run(tp)
	if !slices.Equal(v0, v1) || !slices.Equal(g0, g1) {
		t.Fatalf("on a poisoned tape: values %v, gradients %v; fresh tape: %v, %v", v1, g1, v0, g0)
	}
}
