package bars

import (
	"fmt"
	"math"
	"slices"

	"github.com/neurogfn/neurogfn/gfn"
)

// Env is the BARS posterior as a GFlowNet environment over knot sets. A
// state is a sorted set of interior knots on the unit interval. A forward
// step picks a gap between neighbouring knots (or the ends 0 and 1) and a
// position inside it, at least MinGap from both sides, so near-coincident
// knots are impossible by construction; stopping is allowed from
// Prior.Min knots on and forced at MaxKnots. A backward step removes one
// knot (uniform backward policy: 1/k).
//
// The reward is the model's posterior density on sorted k-tuples, exp of
// Model.LogPosterior, divided by exp(Offset) so that log Z is of order one.
// Knot sets that BARS's singularity rule excludes (zero posterior) get
// their relaxed posterior (the same fit without the rule) times
// exp(-Penalty): the reward landscape stays smooth, so training is pushed
// out of the excluded region rather than stranded in it, and the excluded
// sets carry at most e^-Penalty of their unrestricted mass, far below any
// Monte Carlo error.
type Env struct {
	Model *Model
	// Ordered builds knot sets left to right: each new knot lies to the
	// right of all others, so every set has exactly one trajectory, the
	// state graph is a tree and the backward policy is 1 (the only knot
	// that can be removed is the last). The forward policy is then an
	// autoregressive density over sorted knots, which is far easier to
	// learn than the marginals over all k! insertion orders that the
	// unordered construction (a gap, then a position) needs. Both
	// constructions target the same posterior.
	Ordered bool
	// Offset is subtracted from every log posterior.
	Offset float64
	// Penalty is subtracted from the log-reward of excluded knot sets.
	Penalty float64
	// FailLogR is the log-reward (after Offset) of knot sets whose fit
	// fails even without the singularity rule.
	FailLogR float64

	maxK     int
	stopFeat []float64
}

// Fourier frequencies of the positional features.
const fourier = 6

// candidate features: stop, gap, left, right, width*(k+1), log width,
// then sin and cos of 2 pi m mid for m = 1..fourier.
const candDim = 6 + 2*fourier

// element features: position, then sin and cos of 2 pi m x.
const elemDim = 1 + 2*fourier

// NewEnv wraps m. The offset is the log posterior of the best of a few
// equally spaced knot sets; the penalty is 40.
func NewEnv(m *Model) (*Env, error) {
	e := &Env{Model: m, maxK: m.MaxKnots()}
	best := math.Inf(-1)
	for k := max(m.Prior.Min, 1); k <= min(e.maxK, 12); k++ {
		knots := make([]float64, k)
		for i := range knots {
			knots[i] = float64(i+1) / float64(k+1)
		}
		best = max(best, m.LogPosterior(knots))
	}
	if math.IsInf(best, -1) {
		return nil, fmt.Errorf("%s: no equally spaced knot set gives a valid fit", m.Data.Name)
	}
	e.Offset = best
	e.Penalty = 40
	e.FailLogR = -1e4
	e.stopFeat = make([]float64, candDim)
	e.stopFeat[0] = 1
	return e, nil
}

// Spec implements gfn.Env.
func (e *Env) Spec() gfn.Spec {
	return gfn.Spec{StateDim: 2*e.maxK + 2, CandidateDim: candDim, BackwardDim: elemDim, ContDim: 1, ElementDim: elemDim}
}

// Init implements gfn.Env: no knots.
func (e *Env) Init() []float64 { return nil }

// Features implements gfn.Env: one-hot k, the sorted knots padded with
// zeros, and k/MaxKnots.
func (e *Env) Features(s []float64, dst []float64) {
	clear(dst)
	k := len(s)
	dst[k] = 1
	copy(dst[e.maxK+1:], s)
	dst[2*e.maxK+1] = float64(k) / float64(e.maxK)
}

// Elements implements gfn.SetEnv.
func (e *Env) Elements(s []float64, dst []float64) []float64 {
	for _, x := range s {
		dst = append(dst, x)
		dst = appendFourier(dst, x)
	}
	return dst
}

func appendFourier(dst []float64, x float64) []float64 {
	for m := 1; m <= fourier; m++ {
		sin, cos := math.Sincos(2 * math.Pi * float64(m) * x)
		dst = append(dst, sin, cos)
	}
	return dst
}

// gaps calls f for every gap (left, right) of s, index i = 0..k.
func gaps(s []float64, f func(i int, left, right float64)) {
	left := 0.0
	for i, x := range s {
		f(i, left, x)
		left = x
	}
	f(len(s), left, 1)
}

// Forward implements gfn.Env: Stop (when k >= Prior.Min), then each gap
// wide enough for a knot MinGap from both sides (when k < MaxKnots).
// Candidate features are allocated per call.
func (e *Env) Forward(s []float64, dst []gfn.Candidate) []gfn.Candidate {
	dst = dst[:0]
	k := len(s)
	if k >= e.Model.Prior.Min {
		dst = append(dst, gfn.Candidate{Stop: true, Features: e.stopFeat})
	}
	if k >= e.maxK {
		return dst
	}
	d := e.Model.MinGap
	if e.Ordered {
		left := 0.0
		if k > 0 {
			left = s[k-1]
		}
		if lo, hi := left+d, 1-d; hi > lo {
			f := make([]float64, 0, candDim)
			f = append(f, 0, 1, left, 1, (1-left)*float64(k+1), math.Log(1-left))
			f = appendFourier(f, left)
			dst = append(dst, gfn.Candidate{Features: f, Cont: gfn.Interval, Dim: 1, Lo: lo, Hi: hi})
		}
		if len(dst) == 0 {
			dst = append(dst, gfn.Candidate{Stop: true, Features: e.stopFeat})
		}
		return dst
	}
	gaps(s, func(i int, left, right float64) {
		lo, hi := left+d, right-d
		if !(hi > lo) {
			return
		}
		f := make([]float64, 0, candDim)
		w := right - left
		f = append(f, 0, 1, left, right, w*float64(k+1), math.Log(w))
		f = appendFourier(f, (left+right)/2)
		dst = append(dst, gfn.Candidate{Features: f, Cont: gfn.Interval, Dim: 1, Lo: lo, Hi: hi})
	})
	if len(dst) == 0 {
		// No room for another knot: stopping is the only way on.
		dst = append(dst, gfn.Candidate{Stop: true, Features: e.stopFeat})
	}
	return dst
}

// Step implements gfn.Env: insert the knot a.Value[0]. The backward index
// is its rank (0 when Ordered: the last knot is the only one removable).
func (e *Env) Step(s []float64, a gfn.Action) ([]float64, int) {
	x := a.Value[0]
	i, found := slices.BinarySearch(s, x)
	if found {
		panic(fmt.Sprintf("bars: knot %v already present", x))
	}
	next := make([]float64, 0, len(s)+1)
	next = append(next, s[:i]...)
	next = append(next, x)
	next = append(next, s[i:]...)
	if e.Ordered {
		if i != len(s) {
			panic(fmt.Sprintf("bars: knot %v is not to the right of %v", x, s))
		}
		return next, 0
	}
	return next, i
}

// Backward implements gfn.Env: remove any one knot (only the last when
// Ordered).
func (e *Env) Backward(s []float64, dst []gfn.Candidate) []gfn.Candidate {
	dst = dst[:0]
	if e.Ordered && len(s) > 0 {
		s = s[len(s)-1:]
	}
	for _, x := range s {
		f := make([]float64, 0, elemDim)
		f = append(f, x)
		f = appendFourier(f, x)
		dst = append(dst, gfn.Candidate{Features: f})
	}
	return dst
}

// Undo implements gfn.Env: remove knot i; the forward action is the gap of
// the parent that held it, with the knot as its value.
func (e *Env) Undo(s []float64, i int) ([]float64, gfn.Action) {
	if e.Ordered {
		i = len(s) - 1
	}
	x := s[i]
	parent := slices.Delete(slices.Clone(s), i, i+1)
	idx := -1
	for j, c := range e.Forward(parent, nil) {
		if !c.Stop && x > c.Lo && x < c.Hi {
			idx = j
			break
		}
	}
	if idx < 0 {
		panic(fmt.Sprintf("bars: knot %v of %v is closer than the minimum gap to a neighbour", x, s))
	}
	return parent, gfn.Action{Index: idx, Value: []float64{x}}
}

// LogReward implements gfn.Env.
func (e *Env) LogReward(s []float64) float64 {
	lp, excluded := e.Model.RelaxedLogPosterior(s)
	switch {
	case math.IsInf(lp, -1):
		return e.FailLogR
	case excluded:
		return lp - e.Offset - e.Penalty
	}
	return lp - e.Offset
}
