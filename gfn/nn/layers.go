package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Param is a trainable tensor W with its gradient accumulator G (same
// shape). Group names the optimizer parameter group it belongs to.
type Param struct {
	Name  string
	Group string
	W     Tensor
	G     Tensor
}

// NewParam returns a zeroed rows x cols parameter.
func NewParam(name string, rows, cols int) *Param {
	return &Param{Name: name, W: NewTensor(rows, cols), G: NewTensor(rows, cols)}
}

// ZeroGrad clears the gradients of ps.
func ZeroGrad(ps []*Param) {
	for _, p := range ps {
		clear(p.G.Data)
	}
}

// Activation names an elementwise nonlinearity.
type Activation string

// Activations understood by MLP.
const (
	ReLU      Activation = "relu"
	LeakyReLU Activation = "leaky_relu"
	ELU       Activation = "elu"
	Tanh      Activation = "tanh"
)

// Apply applies the activation on tape t.
func (a Activation) Apply(t *Tape, x *Node) *Node {
	switch a {
	case ReLU:
		return t.ReLU(x)
	case LeakyReLU:
		return t.LeakyReLU(x, 0.01)
	case ELU:
		return t.ELU(x, 1)
	case Tanh:
		return t.Tanh(x)
	}
	panic(fmt.Sprintf("nn: unknown activation %q", string(a)))
}

// Valid reports whether a names a known activation.
func (a Activation) Valid() bool {
	switch a {
	case ReLU, LeakyReLU, ELU, Tanh:
		return true
	}
	return false
}

// Linear is an affine layer y = x W + b with W (in x out) and b (1 x out).
type Linear struct {
	W, B *Param
}

// NewLinear returns a layer with PyTorch's default initialisation:
// W and b uniform on ±1/sqrt(in).
func NewLinear(name string, in, out int, rng *rand.Rand) *Linear {
	l := &Linear{W: NewParam(name+".w", in, out), B: NewParam(name+".b", 1, out)}
	bound := 1 / math.Sqrt(float64(max(in, 1)))
	for i := range l.W.W.Data {
		l.W.W.Data[i] = bound * (2*rng.Float64() - 1)
	}
	for i := range l.B.W.Data {
		l.B.W.Data[i] = bound * (2*rng.Float64() - 1)
	}
	return l
}

// Forward applies the layer to x (n x in).
func (l *Linear) Forward(t *Tape, x *Node) *Node {
	return t.AddRow(t.MatMul(x, t.Param(l.W)), t.Param(l.B))
}

// Params returns the layer's parameters.
func (l *Linear) Params() []*Param { return []*Param{l.W, l.B} }

// MLP is a stack of Linear layers with an activation between them (none
// after the last).
type MLP struct {
	Layers []*Linear
	Act    Activation
}

// NewMLP builds an MLP with the given layer widths: sizes[0] inputs,
// sizes[len-1] outputs.
func NewMLP(name string, sizes []int, act Activation, rng *rand.Rand) *MLP {
	if len(sizes) < 2 {
		panic("nn: NewMLP needs at least input and output sizes")
	}
	if !act.Valid() {
		panic(fmt.Sprintf("nn: unknown activation %q", string(act)))
	}
	m := &MLP{Act: act}
	for i := 0; i+1 < len(sizes); i++ {
		m.Layers = append(m.Layers, NewLinear(fmt.Sprintf("%s.%d", name, i), sizes[i], sizes[i+1], rng))
	}
	return m
}

// Forward applies the MLP to x (n x in).
func (m *MLP) Forward(t *Tape, x *Node) *Node {
	for i, l := range m.Layers {
		x = l.Forward(t, x)
		if i+1 < len(m.Layers) {
			x = m.Act.Apply(t, x)
		}
	}
	return x
}

// Params returns all parameters in layer order.
func (m *MLP) Params() []*Param {
	var ps []*Param
	for _, l := range m.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Out is the output width.
func (m *MLP) Out() int { return m.Layers[len(m.Layers)-1].W.W.Cols }
