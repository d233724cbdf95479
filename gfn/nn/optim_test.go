package nn

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// quadraticLoss is 0.5 Σ c_i (w_i - t_i)² for w (1 x 3).
func quadraticLoss(tp *Tape, w *Param) *Node {
	c := Tensor{Rows: 1, Cols: 3, Data: []float64{1, 4, 0.5}}
	target := Tensor{Rows: 1, Cols: 3, Data: []float64{3, -1, 0.25}}
	d := tp.Sub(tp.Param(w), tp.Const(target))
	return tp.Scale(0.5, tp.Sum(tp.Mul(tp.Const(c), tp.Square(d))))
}

func adamSteps(t *testing.T, opt *Adam, w *Param, want [][]float64) {
	t.Helper()
	for step, ws := range want {
		tp := NewTape()
		ZeroGrad([]*Param{w})
		tp.Backward(quadraticLoss(tp, w))
		opt.Update()
		for i, v := range ws {
			if math.Abs(w.W.Data[i]-v) > 1e-15*math.Max(1, math.Abs(v)) {
				t.Errorf("step %d: w[%d] = %.17g, want %.17g", step+1, i, w.W.Data[i], v)
			}
		}
	}
}

// The expected values follow PyTorch's torch.optim.Adam and AdamW update
// rules (single-tensor implementation), evaluated in float64 by hand (a few
// lines of Python):
//
//	m = m + (g - m)(1 - β1);  v = β2 v + (1 - β2) g²
//	w = w(1 - lr·wd)  (AdamW only, before the Adam step)
//	w = w - lr/(1 - β1^t) · m / (sqrt(v)/sqrt(1 - β2^t) + eps)
func TestAdamQuadratic(t *testing.T) {
	w := NewParam("w", 1, 3)
	copy(w.W.Data, []float64{1, 2, 0.25})
	opt := NewAdam([]*Param{w}, Group{LR: 0.1})
	adamSteps(t, opt, w, [][]float64{
		{1.0999999995, 1.9000000000833333, 0.25},
		{1.1998335133789073, 1.8001027072469076, 0.25},
		{1.2993766071878863, 1.7003815231972088, 0.25},
	})
}

func TestAdamWDecay(t *testing.T) {
	w := NewParam("w", 1, 3)
	copy(w.W.Data, []float64{1, 2, 0.25})
	opt := NewAdam([]*Param{w}, Group{LR: 0.1, WeightDecay: 0.5})
	adamSteps(t, opt, w, [][]float64{
		{1.0499999995, 1.8000000000833332, 0.2375},
		{1.0974260041910164, 1.6102390617811593, 0.30003851402023696},
		{1.142360634441395, 1.430369612353496, 0.23699243526845662},
	})
	// With a zero gradient, AdamW only decays.
	p := NewParam("p", 1, 1)
	p.W.Data[0] = 2
	opt = NewAdam([]*Param{p}, Group{LR: 0.1, WeightDecay: 0.5})
	opt.Update()
	if p.W.Data[0] != 2*(1-0.1*0.5) {
		t.Errorf("decayed weight %v, want %v", p.W.Data[0], 2*(1-0.1*0.5))
	}
}

func TestAdamGroups(t *testing.T) {
	a, b, c := NewParam("a", 1, 2), NewParam("b", 2, 1), NewParam("c", 1, 1)
	a.Group, b.Group = "fast", "slow"
	// c has no group and falls into the first one.
	opt := NewAdam([]*Param{a, b, c}, Group{Name: "fast", LR: 0.1}, Group{Name: "slow", LR: 0.001, WeightDecay: 0.1})
	b.W.Data[0] = 1
	a.G.Data[0], a.G.Data[1] = 3, -0.5
	b.G.Data[0], b.G.Data[1] = -2, 7
	c.G.Data[0] = 1e-3
	opt.Update()
	// First step: m̂ = g and v̂ = g², so each weight moves by lr·g/(|g|+eps).
	step := func(lr, g float64) float64 { return -lr * g / (math.Abs(g) + 1e-8) }
	want := []struct {
		got, want float64
	}{
		{a.W.Data[0], step(0.1, 3)},
		{a.W.Data[1], step(0.1, -0.5)},
		{b.W.Data[0], 1*(1-0.001*0.1) + step(0.001, -2)},
		{b.W.Data[1], step(0.001, 7)},
		{c.W.Data[0], step(0.1, 1e-3)},
	}
	for i, w := range want {
		if math.Abs(w.got-w.want) > 1e-15 {
			t.Errorf("parameter %d: %.17g, want %.17g", i, w.got, w.want)
		}
	}
	mustPanic(t, "unknown group", func() {
		p := NewParam("p", 1, 1)
		p.Group = "nope"
		NewAdam([]*Param{p}, Group{Name: "fast", LR: 0.1})
	})
	mustPanic(t, "no group", func() { NewAdam([]*Param{a}) })
}

func TestClipGradNorm(t *testing.T) {
	a, b := NewParam("a", 1, 2), NewParam("b", 1, 1)
	set := func() {
		a.G.Data[0], a.G.Data[1], b.G.Data[0] = 3, 4, 12
	}
	set()
	if n := ClipGradNorm([]*Param{a, b}, 0); n != 13 || a.G.Data[0] != 3 {
		t.Errorf("measure only: norm %v, grads %v %v", n, a.G.Data, b.G.Data)
	}
	if n := ClipGradNorm([]*Param{a, b}, 20); n != 13 || a.G.Data[1] != 4 || b.G.Data[0] != 12 {
		t.Errorf("below the limit: norm %v, grads %v %v", n, a.G.Data, b.G.Data)
	}
	if n := ClipGradNorm([]*Param{a, b}, 6.5); n != 13 {
		t.Errorf("norm before clipping %v, want 13", n)
	}
	for i, want := range []float64{1.5, 2, 6} {
		got := append(append([]float64(nil), a.G.Data...), b.G.Data...)[i]
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("clipped grad[%d] = %v, want %v", i, got, want)
		}
	}
	if n := ClipGradNorm([]*Param{a, b}, 0); math.Abs(n-6.5) > 1e-12 {
		t.Errorf("norm after clipping %v, want 6.5", n)
	}
}

func TestSaveLoadParams(t *testing.T) {
	m1 := NewMLP("m", []int{3, 4, 2}, Tanh, rand.New(rand.NewPCG(1, 1)))
	m2 := NewMLP("m", []int{3, 4, 2}, Tanh, rand.New(rand.NewPCG(2, 2)))
	var buf bytes.Buffer
	if err := SaveParams(&buf, m1.Params()); err != nil {
		t.Fatal(err)
	}
	saved := buf.Bytes()
	if err := LoadParams(bytes.NewReader(saved), m2.Params()); err != nil {
		t.Fatal(err)
	}
	for i, p := range m1.Params() {
		q := m2.Params()[i]
		for j := range p.W.Data {
			if math.Float64bits(p.W.Data[j]) != math.Float64bits(q.W.Data[j]) {
				t.Fatalf("%s[%d]: loaded %v, saved %v", p.Name, j, q.W.Data[j], p.W.Data[j])
			}
		}
	}
	mismatch := map[string][]*Param{
		"shape":  NewMLP("m", []int{3, 5, 2}, Tanh, rand.New(rand.NewPCG(1, 1))).Params(),
		"name":   NewMLP("x", []int{3, 4, 2}, Tanh, rand.New(rand.NewPCG(1, 1))).Params(),
		"count":  NewMLP("m", []int{3, 4, 4, 2}, Tanh, rand.New(rand.NewPCG(1, 1))).Params(),
		"subset": m2.Params()[:2],
	}
	for name, ps := range mismatch {
		if err := LoadParams(bytes.NewReader(saved), ps); !errors.Is(err, ErrFormat) {
			t.Errorf("%s mismatch: error %v, want ErrFormat", name, err)
		}
	}
	// A mismatch in a later parameter leaves the earlier ones untouched.
	m3 := NewMLP("m", []int{3, 4, 3}, Tanh, rand.New(rand.NewPCG(4, 4)))
	w0 := m3.Params()[0].W.Data[0]
	if err := LoadParams(bytes.NewReader(saved), m3.Params()); !errors.Is(err, ErrFormat) {
		t.Errorf("last layer mismatch: error %v, want ErrFormat", err)
	}
	if m3.Params()[0].W.Data[0] != w0 {
		t.Errorf("failed load changed the first parameter")
	}
	// LoadParams reads no further than the parameters.
	var two bytes.Buffer
	SaveParams(&two, m1.Params())
	two.WriteString("TAIL")
	if err := LoadParams(&two, m2.Params()); err != nil {
		t.Fatal(err)
	}
	if rest := two.String(); rest != "TAIL" {
		t.Errorf("after LoadParams the stream holds %q, want %q", rest, "TAIL")
	}
	if err := LoadParams(bytes.NewReader(saved[:len(saved)-3]), m2.Params()); !errors.Is(err, ErrFormat) {
		t.Errorf("truncated stream: error %v, want ErrFormat", err)
	}
	if err := LoadParams(bytes.NewReader([]byte("NOTMAGIC")), m2.Params()); !errors.Is(err, ErrFormat) {
		t.Errorf("bad header: error %v, want ErrFormat", err)
	}
}

func TestAdamMarshalRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	m := NewMLP("m", []int{2, 6, 1}, ELU, rng)
	x := weights(rng, 8, 2)
	y := weights(rng, 8, 1)
	groups := []Group{{LR: 0.01, WeightDecay: 0.1}}
	opt := NewAdam(m.Params(), groups...)
	step := func(m *MLP, opt *Adam) {
		tp := NewTape()
		ZeroGrad(m.Params())
		d := tp.Sub(m.Forward(tp, tp.Const(x)), tp.Const(y))
		tp.Backward(tp.Mean(tp.Square(d)))
		opt.Update()
	}
	for range 3 {
		step(m, opt)
	}
	state, err := opt.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// A copy of the model with a fresh optimizer restored from the state.
	m2 := NewMLP("m", []int{2, 6, 1}, ELU, rand.New(rand.NewPCG(9, 9)))
	for i, p := range m.Params() {
		copy(m2.Params()[i].W.Data, p.W.Data)
	}
	opt2 := NewAdam(m2.Params(), groups...)
	if err := opt2.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	if opt2.Step != 3 {
		t.Errorf("restored step %d, want 3", opt2.Step)
	}
	for range 4 {
		step(m, opt)
		step(m2, opt2)
	}
	for i, p := range m.Params() {
		for j, v := range p.W.Data {
			if w := m2.Params()[i].W.Data[j]; math.Float64bits(v) != math.Float64bits(w) {
				t.Fatalf("%s[%d] after restore: %v vs %v", p.Name, j, w, v)
			}
		}
	}
	// Mismatched or damaged states are rejected and leave the optimizer
	// untouched.
	before, _ := opt2.MarshalBinary()
	other := NewAdam(NewMLP("m", []int{2, 5, 1}, ELU, rng).Params(), groups...)
	otherState, _ := other.MarshalBinary()
	for name, b := range map[string][]byte{
		"garbage":         []byte("hello"),
		"truncated":       state[:len(state)-8],
		"other model":     otherState,
		"trailing":        append(append([]byte(nil), state...), 0),
		"wrong magic":     append([]byte("XXXXXXXX"), state[8:]...),
		"too short count": state[:len(adamMagic)+16],
	} {
		if err := opt2.UnmarshalBinary(b); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v, want ErrFormat", name, err)
		}
		if after, _ := opt2.MarshalBinary(); !bytes.Equal(after, before) {
			t.Errorf("%s: failed restore changed the optimizer", name)
		}
	}
}
