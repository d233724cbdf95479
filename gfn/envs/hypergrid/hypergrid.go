package hypergrid

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"

	"github.com/neurogfn/neurogfn/gfn"
)

// MaxHeight is the largest supported Height: coordinates are stored as
// uint16.
const MaxHeight = 1 << 16

// State is a grid point: coordinate i is in [0, Height-1]. States are
// values: Step and Undo return new slices and never modify their argument,
// and callers must not modify a State they did not create.
type State []uint16

// Env is the HyperGrid environment. It implements gfn.Enumerable[State].
//
// Create it with New, which also builds the candidate feature vectors; the
// zero value is not usable. NDim and Height must not change afterwards; the
// reward parameters R0, R1 and R2 may be set before the Env is used (R0 > 0
// keeps every log-reward finite). An Env is safe for concurrent use.
type Env struct {
	NDim, Height int
	R0, R1, R2   float64

	fwd []gfn.Candidate // fwd[i] adds 1 to dimension i; fwd[NDim] is Stop
	bwd []gfn.Candidate // bwd[i] subtracts 1 from dimension i
}

var _ gfn.Enumerable[State] = (*Env)(nil)

// New returns the ndim-dimensional grid of side height with torchgfn's
// default rewards R0 = 0.1, R1 = 0.5, R2 = 2.
func New(ndim, height int) (*Env, error) {
	switch {
	case ndim < 1:
		return nil, fmt.Errorf("hypergrid: ndim %d, want at least 1", ndim)
	case height < 2:
		return nil, fmt.Errorf("hypergrid: height %d, want at least 2", height)
	case height > MaxHeight:
		return nil, fmt.Errorf("hypergrid: height %d, want at most %d", height, MaxHeight)
	case ndim > math.MaxInt/height:
		return nil, errors.New("hypergrid: ndim*height overflows int")
	}
	e := &Env{NDim: ndim, Height: height, R0: 0.1, R1: 0.5, R2: 2.0}
	e.fwd = make([]gfn.Candidate, ndim+1)
	for i := range e.fwd {
		f := make([]float64, ndim+1)
		f[i] = 1
		e.fwd[i] = gfn.Candidate{Features: f, Stop: i == ndim}
	}
	e.bwd = make([]gfn.Candidate, ndim)
	for i := range e.bwd {
		f := make([]float64, ndim)
		f[i] = 1
		e.bwd[i] = gfn.Candidate{Features: f}
	}
	return e, nil
}

// Spec implements gfn.Env.
func (e *Env) Spec() gfn.Spec {
	return gfn.Spec{StateDim: e.NDim * e.Height, CandidateDim: e.NDim + 1, BackwardDim: e.NDim}
}

// Init implements gfn.Env: the origin.
func (e *Env) Init() State { return make(State, e.NDim) }

// Features implements gfn.Env with the K-hot encoding: dst[i*Height+x_i] = 1
// for each dimension i, all other entries 0.
func (e *Env) Features(s State, dst []float64) {
	e.check(s)
	dst = dst[:e.NDim*e.Height]
	clear(dst)
	for i, x := range s {
		dst[i*e.Height+int(x)] = 1
	}
}

// Forward implements gfn.Env: "+1 on dimension i" for each i with
// x_i < Height-1, in dimension order, then Stop. The candidates' features
// are owned by e.
func (e *Env) Forward(s State, dst []gfn.Candidate) []gfn.Candidate {
	e.check(s)
	dst = dst[:0]
	for i, x := range s {
		if int(x) < e.Height-1 {
			dst = append(dst, e.fwd[i])
		}
	}
	return append(dst, e.fwd[e.NDim])
}

// Backward implements gfn.Env: "-1 on dimension i" for each i with x_i > 0,
// in dimension order. The candidates' features are owned by e.
func (e *Env) Backward(s State, dst []gfn.Candidate) []gfn.Candidate {
	e.check(s)
	dst = dst[:0]
	for i, x := range s {
		if x > 0 {
			dst = append(dst, e.bwd[i])
		}
	}
	return dst
}

// Step implements gfn.Env. It panics if a is the stop action or out of range.
func (e *Env) Step(s State, a gfn.Action) (next State, back int) {
	e.check(s)
	d, n := -1, 0
	for i, x := range s {
		if int(x) < e.Height-1 {
			if n == a.Index {
				d = i
				break
			}
			n++
		}
	}
	if d < 0 {
		if a.Index == n {
			panic("hypergrid: Step with the stop action")
		}
		panic(fmt.Sprintf("hypergrid: action index %d of %d candidates", a.Index, n+1))
	}
	next = slices.Clone(s)
	next[d]++
	for _, x := range next[:d] {
		if x > 0 {
			back++
		}
	}
	return next, back
}

// Undo implements gfn.Env. It panics if i is out of range.
func (e *Env) Undo(s State, i int) (parent State, fwd gfn.Action) {
	e.check(s)
	d, n := -1, 0
	for j, x := range s {
		if x > 0 {
			if n == i {
				d = j
				break
			}
			n++
		}
	}
	if d < 0 {
		panic(fmt.Sprintf("hypergrid: backward index %d of %d candidates", i, n))
	}
	parent = slices.Clone(s)
	parent[d]--
	for _, x := range parent[:d] {
		if int(x) < e.Height-1 {
			fwd.Index++
		}
	}
	return parent, fwd
}

// Reward returns R(s).
func (e *Env) Reward(s State) float64 {
	e.check(s)
	in1, in2 := true, true
	for _, x := range s {
		b1, b2 := e.bands(int(x))
		in1 = in1 && b1
		in2 = in2 && b2
	}
	r := e.R0
	if in1 {
		r += e.R1
	}
	if in2 {
		r += e.R2
	}
	return r
}

// LogReward implements gfn.Env: log R(s).
func (e *Env) LogReward(s State) float64 { return math.Log(e.Reward(s)) }

// bands reports whether coordinate value x is in the R1 band
// (1/4 < a <= 1/2) and in the R2 band (3/10 < a < 2/5), where
// a = |x/(H-1) - 1/2| = d/(2m) with d = |2x-m| and m = H-1.
func (e *Env) bands(x int) (in1, in2 bool) {
	m := e.Height - 1
	d := 2*x - m
	if d < 0 {
		d = -d
	}
	return 2*d > m, 5*d > 3*m && 5*d < 4*m
}

// Key implements gfn.Enumerable: two bytes per coordinate.
func (e *Env) Key(s State) string {
	b := make([]byte, 0, 2*len(s))
	for _, x := range s {
		b = append(b, byte(x>>8), byte(x))
	}
	return string(b)
}

// NumStates returns Height^NDim, the number of states (all of them
// terminal). It panics if the count overflows int.
func (e *Env) NumStates() int {
	n := 1
	for range e.NDim {
		if n > math.MaxInt/e.Height {
			panic(fmt.Sprintf("hypergrid: %d^%d states overflow int", e.Height, e.NDim))
		}
		n *= e.Height
	}
	return n
}

// Index returns the position of s in the order of States, torchgfn's
// canonical index sum_j s[j] Height^(NDim-1-j).
func (e *Env) Index(s State) int {
	e.check(s)
	n := 0
	for _, x := range s {
		n = n*e.Height + int(x)
	}
	return n
}

// States yields all NumStates states in canonical index order (the last
// coordinate varies fastest). Each yielded State is a new slice that the
// caller may keep. It is meant for small grids.
func (e *Env) States() iter.Seq[State] {
	return func(yield func(State) bool) {
		e.NumStates() // panics on overflow
		x := make(State, e.NDim)
		for {
			if !yield(slices.Clone(x)) {
				return
			}
			i := e.NDim - 1
			for i >= 0 && int(x[i]) == e.Height-1 {
				x[i] = 0
				i--
			}
			if i < 0 {
				return
			}
			x[i]++
		}
	}
}

// TrueLogZ returns log sum_x R(x) over all states, from the closed form
// R0 H^D + R1 n1^D + R2 n2^D, without enumerating them.
func (e *Env) TrueLogZ() float64 {
	var n1, n2 int
	for x := range e.Height {
		b1, b2 := e.bands(x)
		if b1 {
			n1++
		}
		if b2 {
			n2++
		}
	}
	d := float64(e.NDim)
	terms := [...]float64{
		logTerm(e.R0, e.Height, d),
		logTerm(e.R1, n1, d),
		logTerm(e.R2, n2, d),
	}
	m := math.Inf(-1)
	for _, t := range terms {
		m = max(m, t)
	}
	if math.IsInf(m, -1) {
		return m
	}
	var sum float64
	for _, t := range terms {
		sum += math.Exp(t - m)
	}
	return m + math.Log(sum)
}

// logTerm returns log(r n^d), -Inf when r or n is 0.
func logTerm(r float64, n int, d float64) float64 {
	if r == 0 || n == 0 {
		return math.Inf(-1)
	}
	return math.Log(r) + d*math.Log(float64(n))
}

func (e *Env) check(s State) {
	if len(s) != e.NDim {
		panic(fmt.Sprintf("hypergrid: state has %d coordinates, env has %d dimensions", len(s), e.NDim))
	}
}
