package nn

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// randAway is randParam with every entry at least gap away from each kink,
// so that finite differences do not straddle a point where the op is not
// differentiable.
func randAway(rng *rand.Rand, name string, rows, cols int, lo, hi float64, gap float64, kinks ...float64) *Param {
	p := NewParam(name, rows, cols)
	for i := range p.W.Data {
	draw:
		for {
			v := lo + (hi-lo)*rng.Float64()
			for _, k := range kinks {
				if math.Abs(v-k) < gap {
					continue draw
				}
			}
			p.W.Data[i] = v
			break
		}
	}
	return p
}

type gradCase struct {
	name string
	ps   []*Param
	f    func(tp *Tape) *Node
}

func runGradCases(t *testing.T, cases []gradCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkGrad(t, c.name, c.ps, c.f)
		})
	}
}

func TestGradOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const r, c = 3, 4
	a := randParam(rng, "a", r, c, -2, 2)
	b := randParam(rng, "b", r, c, -2, 2)
	s := randParam(rng, "s", 1, 1, -1, 1)
	pos := randParam(rng, "pos", r, c, 0.2, 3)
	kinked := randAway(rng, "kinked", r, c, -2, 2, 0.05, 0)
	w := weights(rng, r, c)
	wr := weights(rng, r, 1)
	w1 := weights(rng, 1, 1)
	unary := func(name string, p *Param, op func(tp *Tape, x *Node) *Node) gradCase {
		return gradCase{name, []*Param{p}, func(tp *Tape) *Node { return reduce(tp, op(tp, tp.Param(p)), w) }}
	}
	cases := []gradCase{
		{"Add", []*Param{a, b}, func(tp *Tape) *Node { return reduce(tp, tp.Add(tp.Param(a), tp.Param(b)), w) }},
		{"AddSelf", []*Param{a}, func(tp *Tape) *Node { return reduce(tp, tp.Add(tp.Param(a), tp.Param(a)), w) }},
		{"Sub", []*Param{a, b}, func(tp *Tape) *Node { return reduce(tp, tp.Sub(tp.Param(a), tp.Param(b)), w) }},
		{"Mul", []*Param{a, b}, func(tp *Tape) *Node { return reduce(tp, tp.Mul(tp.Param(a), tp.Param(b)), w) }},
		{"MulSelf", []*Param{a}, func(tp *Tape) *Node { return reduce(tp, tp.Mul(tp.Param(a), tp.Param(a)), w) }},
		unary("Scale", a, func(tp *Tape, x *Node) *Node { return tp.Scale(-1.7, x) }),
		unary("AddScalar", a, func(tp *Tape, x *Node) *Node { return tp.AddScalar(x, 0.3) }),
		{"AddBroadcast", []*Param{a, s}, func(tp *Tape) *Node { return reduce(tp, tp.AddBroadcast(tp.Param(a), tp.Param(s)), w) }},
		unary("ReLU", kinked, (*Tape).ReLU),
		unary("LeakyReLU", kinked, func(tp *Tape, x *Node) *Node { return tp.LeakyReLU(x, 0.1) }),
		unary("ELU", kinked, func(tp *Tape, x *Node) *Node { return tp.ELU(x, 0.7) }),
		unary("Tanh", a, (*Tape).Tanh),
		unary("Softplus", a, (*Tape).Softplus),
		unary("Sigmoid", a, (*Tape).Sigmoid),
		unary("LogSigmoid", a, (*Tape).LogSigmoid),
		unary("Exp", a, (*Tape).Exp),
		unary("Log", pos, (*Tape).Log),
		unary("Square", a, (*Tape).Square),
		unary("HuberQuadratic", randAway(rng, "hq", r, c, -0.9, 0.9, 0.05, -1, 1),
			func(tp *Tape, x *Node) *Node { return tp.Huber(x, 1) }),
		unary("HuberLinear", randAway(rng, "hl", r, c, -3, 3, 1.1, 0),
			func(tp *Tape, x *Node) *Node { return tp.Huber(x, 1) }),
		{"Sum", []*Param{a}, func(tp *Tape) *Node { return tp.Scale(0.3, tp.Sum(tp.Param(a))) }},
		{"Mean", []*Param{a}, func(tp *Tape) *Node { return tp.Mean(tp.Square(tp.Param(a))) }},
		{"SumRows", []*Param{a}, func(tp *Tape) *Node { return reduce(tp, tp.SumRows(tp.Param(a)), wr) }},
		{"LogSumExp", []*Param{a}, func(tp *Tape) *Node { return reduce(tp, tp.LogSumExp(tp.Param(a)), w1) }},
		{"RowLogSumExp", []*Param{a}, func(tp *Tape) *Node { return reduce(tp, tp.RowLogSumExp(tp.Param(a)), wr) }},
		unary("RowLogSoftmax", a, (*Tape).RowLogSoftmax),
	}
	runGradCases(t, cases)
}

func TestGradIndexingOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	flat := randParam(rng, "flat", 9, 1, -2, 2)
	start := []int{0, 3, 4, 9}
	mask := []bool{true, false, true, true, true, false, true, true, false}
	var allowed []int
	for i, ok := range mask {
		if ok {
			allowed = append(allowed, i)
		}
	}
	a := randParam(rng, "a", 4, 3, -2, 2)
	b := randParam(rng, "b", 4, 2, -2, 2)
	c := randParam(rng, "c", 2, 3, -2, 2)
	sq := randParam(rng, "sq", 3, 3, -2, 2)
	idx := []int{2, 0, 2, 3, 1}
	seg := []int{1, 0, 1, 2}
	row := []int{3, 0, 0, 2, 1, 3}
	feat := weights(rng, len(row), 3)
	feat.Data[4] = 0 // RowDot skips zero features
	cases := []gradCase{
		{"SegmentLogSoftmax", []*Param{flat}, func(tp *Tape) *Node {
			return reduce(tp, tp.SegmentLogSoftmax(tp.Param(flat), start, nil), weights(rand.New(rand.NewPCG(1, 1)), 9, 1))
		}},
		{"SegmentLogSoftmaxMask", []*Param{flat}, func(tp *Tape) *Node {
			y := tp.Gather(tp.SegmentLogSoftmax(tp.Param(flat), start, mask), allowed)
			return reduce(tp, y, weights(rand.New(rand.NewPCG(1, 2)), len(allowed), 1))
		}},
		{"Gather", []*Param{a}, func(tp *Tape) *Node {
			return reduce(tp, tp.Gather(tp.Param(a), []int{11, 0, 5, 5, 7}), weights(rand.New(rand.NewPCG(1, 3)), 5, 1))
		}},
		{"GatherRows", []*Param{a}, func(tp *Tape) *Node {
			return reduce(tp, tp.GatherRows(tp.Param(a), idx), weights(rand.New(rand.NewPCG(1, 4)), len(idx), 3))
		}},
		{"ConcatCols", []*Param{a, b}, func(tp *Tape) *Node {
			return reduce(tp, tp.ConcatCols(tp.Param(a), tp.Param(b)), weights(rand.New(rand.NewPCG(1, 5)), 4, 5))
		}},
		{"ConcatRows", []*Param{a, c}, func(tp *Tape) *Node {
			return reduce(tp, tp.ConcatRows(tp.Param(a), tp.Param(c)), weights(rand.New(rand.NewPCG(1, 6)), 6, 3))
		}},
		{"SegmentSum", []*Param{a}, func(tp *Tape) *Node {
			return reduce(tp, tp.SegmentSum(tp.Param(a), seg, 4), weights(rand.New(rand.NewPCG(1, 7)), 4, 3))
		}},
		{"RowDot", []*Param{a}, func(tp *Tape) *Node {
			return reduce(tp, tp.RowDot(tp.Param(a), row, feat), weights(rand.New(rand.NewPCG(1, 8)), len(row), 1))
		}},
		{"MatMulSquare", []*Param{sq}, func(tp *Tape) *Node {
			// Both MatMul inputs are the same node.
			x := tp.Param(sq)
			return reduce(tp, tp.MatMul(x, x), weights(rand.New(rand.NewPCG(1, 9)), 3, 3))
		}},
	}
	runGradCases(t, cases)
}

func TestOpValues(t *testing.T) {
	xs := []float64{-40, -3, -0.5, 0, 0.25, 2, 40}
	refs := []struct {
		name string
		op   func(tp *Tape, x *Node) *Node
		f    func(x float64) float64
	}{
		{"ReLU", (*Tape).ReLU, func(x float64) float64 { return math.Max(x, 0) }},
		{"LeakyReLU", func(tp *Tape, x *Node) *Node { return tp.LeakyReLU(x, 0.1) }, func(x float64) float64 {
			if x > 0 {
				return x
			}
			return 0.1 * x
		}},
		{"ELU", func(tp *Tape, x *Node) *Node { return tp.ELU(x, 2) }, func(x float64) float64 {
			if x > 0 {
				return x
			}
			return 2 * (math.Exp(x) - 1)
		}},
		{"Tanh", (*Tape).Tanh, math.Tanh},
		{"Softplus", (*Tape).Softplus, func(x float64) float64 { return math.Log(1 + math.Exp(x)) }},
		{"Sigmoid", (*Tape).Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
		{"LogSigmoid", (*Tape).LogSigmoid, func(x float64) float64 { return -math.Log(1 + math.Exp(-x)) }},
		{"Exp", (*Tape).Exp, math.Exp},
		{"Square", (*Tape).Square, func(x float64) float64 { return x * x }},
		{"Huber", func(tp *Tape, x *Node) *Node { return tp.Huber(x, 1.5) }, func(x float64) float64 {
			if math.Abs(x) <= 1.5 {
				return x * x / 2
			}
			return 1.5 * (math.Abs(x) - 0.75)
		}},
	}
	tp := NewInferenceTape()
	for _, r := range refs {
		x := NewTensor(len(xs), 1)
		copy(x.Data, xs)
		y := r.op(tp, tp.Const(x))
		for i, v := range xs {
			want := r.f(v)
			if got := y.V.Data[i]; math.Abs(got-want) > 1e-14*math.Max(1, math.Abs(want)) {
				t.Errorf("%s(%g) = %.17g, want %.17g", r.name, v, got, want)
			}
		}
	}
	// Reductions and softmaxes on a small matrix.
	a := Tensor{Rows: 2, Cols: 3, Data: []float64{1, 2, 3, -1, 0, 1000}}
	ls := tp.RowLogSoftmax(tp.Const(a))
	lse := tp.RowLogSumExp(tp.Const(a))
	for i := range 2 {
		var z float64
		for j := range 3 {
			z += math.Exp(ls.V.At(i, j))
		}
		if math.Abs(z-1) > 1e-15 {
			t.Errorf("RowLogSoftmax row %d sums to %v", i, z)
		}
	}
	if want := 3 + math.Log(1+math.Exp(-1)+math.Exp(-2)); math.Abs(lse.V.Data[0]-want) > 1e-15 {
		t.Errorf("RowLogSumExp = %v, want %v", lse.V.Data[0], want)
	}
	if lse.V.Data[1] != 1000 {
		t.Errorf("RowLogSumExp overflowed: %v", lse.V.Data[1])
	}
	seg := tp.SegmentLogSoftmax(tp.Const(Tensor{Rows: 4, Cols: 1, Data: []float64{0, 5, 1, 1}}), []int{0, 1, 4}, []bool{true, false, true, true})
	if seg.V.Data[0] != 0 || !math.IsInf(seg.V.Data[1], -1) || math.Abs(seg.V.Data[2]-math.Log(0.5)) > 1e-15 {
		t.Errorf("SegmentLogSoftmax = %v", seg.V.Data)
	}
}

func TestGradLinearMLP(t *testing.T) {
	for _, act := range []Activation{ReLU, LeakyReLU, ELU, Tanh} {
		t.Run(string(act), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			m := NewMLP("m", []int{3, 5, 4, 2}, act, rng)
			x := randParam(rng, "x", 6, 3, -2, 2)
			w := weights(rng, 6, 2)
			checkGrad(t, "mlp "+string(act), append([]*Param{x}, m.Params()...), func(tp *Tape) *Node {
				return reduce(tp, m.Forward(tp, tp.Param(x)), w)
			})
			// Forward value against a direct computation.
			tp := NewInferenceTape()
			got := m.Forward(tp, tp.Const(x.W))
			for i := range 6 {
				h := x.W.Row(i)
				for l, lin := range m.Layers {
					nh := make([]float64, lin.W.W.Cols)
					for o := range nh {
						v := lin.B.W.Data[o]
						for k, hv := range h {
							v += hv * lin.W.W.At(k, o)
						}
						if l+1 < len(m.Layers) {
							v = activate(act, v)
						}
						nh[o] = v
					}
					h = nh
				}
				for o, v := range h {
					if d := math.Abs(got.V.At(i, o) - v); d > 1e-14 {
						t.Errorf("%s forward (%d,%d) = %v, want %v", act, i, o, got.V.At(i, o), v)
					}
				}
			}
		})
	}
	t.Run("Linear", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		l := NewLinear("l", 4, 3, rng)
		x := randParam(rng, "x", 5, 4, -1, 1)
		w := weights(rng, 5, 3)
		checkGrad(t, "linear", append([]*Param{x}, l.Params()...), func(tp *Tape) *Node {
			return reduce(tp, l.Forward(tp, tp.Param(x)), w)
		})
	})
}

func activate(a Activation, x float64) float64 {
	switch a {
	case ReLU:
		return math.Max(x, 0)
	case LeakyReLU:
		if x > 0 {
			return x
		}
		return 0.01 * x
	case ELU:
		if x > 0 {
			return x
		}
		return math.Expm1(x)
	case Tanh:
		return math.Tanh(x)
	}
	panic(a)
}

// wrongScale is Scale(c) whose backward uses c*(1+1e-4): checkGrad must
// reject it.
func wrongScale(tp *Tape, c float64, a *Node) *Node {
	out := tp.newNode(a.V.Rows, a.V.Cols)
	for i, v := range a.V.Data {
		out.V.Data[i] = c * v
	}
	tp.record(out, func() {
		g := tp.grad(a)
		for i, v := range out.G.Data {
			g[i] += c * (1 + 1e-4) * v
		}
	}, a)
	return out
}

type recordingReporter struct{ errors int }

func (r *recordingReporter) Helper()               {}
func (r *recordingReporter) Errorf(string, ...any) { r.errors++ }

func TestCheckGradRejectsWrongGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	a := randParam(rng, "a", 2, 2, -1, 1)
	w := weights(rng, 2, 2)
	var rep recordingReporter
	checkGrad(&rep, "wrong", []*Param{a}, func(tp *Tape) *Node { return reduce(tp, wrongScale(tp, 2, tp.Param(a)), w) })
	if rep.errors != 4 {
		t.Errorf("checkGrad flagged %d of 4 entries of a gradient that is 1e-4 off", rep.errors)
	}
	rep = recordingReporter{}
	checkGrad(&rep, "right", []*Param{a}, func(tp *Tape) *Node { return reduce(tp, tp.Scale(2, tp.Param(a)), w) })
	if rep.errors != 0 {
		t.Errorf("checkGrad flagged %d entries of a correct gradient", rep.errors)
	}
}

// naiveGemm computes C = alpha*op(A)*op(B) + beta*C directly.
func naiveGemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	for i := range m {
		for j := range n {
			var s float64
			for l := range k {
				var av, bv float64
				if tA {
					av = a[l*lda+i]
				} else {
					av = a[i*lda+l]
				}
				if tB {
					bv = b[j*ldb+l]
				} else {
					bv = b[l*ldb+j]
				}
				s += av * bv
			}
			c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
		}
	}
}

func TestGemmTiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	fill := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.Float64()*2 - 1
		}
		return x
	}
	shapes := [][3]int{{1, 1, 1}, {3, 5, 2}, {64, 192, 7}, {65, 193, 9}, {130, 200, 70}, {257, 70, 33}, {70, 400, 20}}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				lda, ldb := k, n
				if tA {
					lda = m
				}
				if tB {
					ldb = k
				}
				a, b, c := fill(m*k), fill(k*n), fill(m*n)
				want := append([]float64(nil), c...)
				naiveGemm(tA, tB, m, n, k, 0.7, a, lda, b, ldb, 0.3, want, n)
				// Several goroutines at once exercise the path where the
				// workers are busy and callers multiply on their own.
				var wg sync.WaitGroup
				got := make([][]float64, 4)
				for g := range got {
					got[g] = append([]float64(nil), c...)
					wg.Go(func() { gemm(tA, tB, m, n, k, 0.7, a, lda, b, ldb, 0.3, got[g], n) })
				}
				wg.Wait()
				for g := range got {
					for i := range want {
						if math.Abs(got[g][i]-want[i]) > 1e-12 {
							t.Fatalf("gemm %v tA=%v tB=%v goroutine %d: c[%d] = %v, want %v", sh, tA, tB, g, i, got[g][i], want[i])
						}
					}
				}
			}
		}
	}
}

func TestRowLogSoftmaxShape(t *testing.T) {
	tp := NewTape()
	p := NewParam("p", 2, 3)
	y := tp.RowLogSoftmax(tp.Param(p))
	if y.V.Rows != 2 || y.V.Cols != 3 {
		t.Fatalf("shape %dx%d", y.V.Rows, y.V.Cols)
	}
	for _, v := range y.V.Data {
		if math.Abs(v+math.Log(3)) > 1e-15 {
			t.Errorf("uniform log-softmax %v, want %v", v, -math.Log(3))
		}
	}
}
