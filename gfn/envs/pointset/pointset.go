package pointset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/neurogfn/neurogfn/gfn"
)

// Indices of the forward candidates of a state with fewer than MaxPoints
// points; at MaxPoints only StopIndex is listed.
const (
	StopIndex = 0
	AddIndex  = 1
)

// State is a set of points in (0, 1), sorted in increasing order. States are
// values: Step and Undo return new slices and never modify their argument,
// and callers must not modify a State they did not create.
type State []float64

// Env is the point-set environment. It implements gfn.Env[State].
//
// Create it with New, which validates the parameters and builds the
// candidate feature vectors; the zero value is not usable and the fields
// must not change afterwards. An Env is safe for concurrent use.
type Env struct {
	Lambda      float64 // Poisson intensity, > 0
	MaxPoints   int     // K, the largest number of points, >= 1
	Alpha, Beta float64 // shape parameters of the point density f, > 0

	stop, add gfn.Candidate
}

var _ gfn.Env[State] = (*Env)(nil)

// New returns the environment of sets of at most maxPoints points in (0, 1)
// with reward prod_t lambda f(t), f the Beta(alpha, beta) density.
func New(lambda float64, maxPoints int, alpha, beta float64) (*Env, error) {
	switch {
	case !(lambda > 0) || math.IsInf(lambda, 1):
		return nil, fmt.Errorf("pointset: lambda = %v, want a finite number > 0", lambda)
	case maxPoints < 1:
		return nil, fmt.Errorf("pointset: maxPoints = %d, want at least 1", maxPoints)
	case !(alpha > 0) || math.IsInf(alpha, 1):
		return nil, fmt.Errorf("pointset: alpha = %v, want a finite number > 0", alpha)
	case !(beta > 0) || math.IsInf(beta, 1):
		return nil, fmt.Errorf("pointset: beta = %v, want a finite number > 0", beta)
	}
	return &Env{
		Lambda: lambda, MaxPoints: maxPoints, Alpha: alpha, Beta: beta,
		stop: gfn.Candidate{Stop: true, Features: []float64{1, 0}},
		add:  gfn.Candidate{Features: []float64{0, 1}, Cont: gfn.Interval, Dim: 1, Lo: 0, Hi: 1},
	}, nil
}

func (e *Env) density() distuv.Beta { return distuv.Beta{Alpha: e.Alpha, Beta: e.Beta} }

// Spec implements gfn.Env.
func (e *Env) Spec() gfn.Spec {
	return gfn.Spec{StateDim: 2*e.MaxPoints + 2, CandidateDim: 2, BackwardDim: 1, ContDim: 1, ElementDim: 1}
}

// Init implements gfn.Env: the empty set.
func (e *Env) Init() State { return State{} }

// Features implements gfn.Env: the one-hot encoding of k = len(s) in
// dst[0:K+1], the sorted points padded with zeros in dst[K+1:2K+1] and k/K
// in dst[2K+1].
func (e *Env) Features(s State, dst []float64) {
	k, kmax := len(s), e.MaxPoints
	e.check(s)
	dst = dst[:2*kmax+2]
	clear(dst)
	dst[k] = 1
	copy(dst[kmax+1:], s)
	dst[2*kmax+1] = float64(k) / float64(kmax)
}

// Forward implements gfn.Env: Stop, then "add a point in (0, 1)" when s
// has fewer than MaxPoints points. The features are owned by e.
func (e *Env) Forward(s State, dst []gfn.Candidate) []gfn.Candidate {
	e.check(s)
	dst = append(dst[:0], e.stop)
	if len(s) < e.MaxPoints {
		dst = append(dst, e.add)
	}
	return dst
}

// Step implements gfn.Env: it inserts the point a.Value[0] and returns its
// position in the new state. It panics unless a is the add action with one
// value in (0, 1).
func (e *Env) Step(s State, a gfn.Action) (next State, back int) {
	e.check(s)
	if a.Index != AddIndex || len(s) >= e.MaxPoints {
		panic(fmt.Sprintf("pointset: Step with action index %d at %d of %d points", a.Index, len(s), e.MaxPoints))
	}
	if len(a.Value) != 1 || !(a.Value[0] > 0 && a.Value[0] < 1) {
		panic(fmt.Sprintf("pointset: Step with values %v, want one value in (0, 1)", a.Value))
	}
	u := a.Value[0]
	back = sort.SearchFloat64s(s, u)
	next = make(State, len(s)+1)
	copy(next, s[:back])
	next[back] = u
	copy(next[back+1:], s[back:])
	return next, back
}

// Backward implements gfn.Env: "remove point i" for each point in sorted
// order. Candidate i's feature is the point itself: its Features slice
// aliases s (capacity-limited, read-only like s).
func (e *Env) Backward(s State, dst []gfn.Candidate) []gfn.Candidate {
	e.check(s)
	dst = dst[:0]
	for i := range s {
		dst = append(dst, gfn.Candidate{Features: s[i : i+1 : i+1]})
	}
	return dst
}

// Undo implements gfn.Env: it removes point i and returns the add action
// that puts it back.
func (e *Env) Undo(s State, i int) (parent State, fwd gfn.Action) {
	e.check(s)
	if i < 0 || i >= len(s) {
		panic(fmt.Sprintf("pointset: backward index %d of %d points", i, len(s)))
	}
	parent = make(State, 0, len(s)-1)
	parent = append(append(parent, s[:i]...), s[i+1:]...)
	return parent, gfn.Action{Index: AddIndex, Value: []float64{s[i]}}
}

// LogReward implements gfn.Env: sum_{t in s} (log Lambda + log f(t)), a log
// density with respect to Lebesgue measure on sorted tuples.
func (e *Env) LogReward(s State) float64 {
	e.check(s)
	f := e.density()
	r := float64(len(s)) * math.Log(e.Lambda)
	for _, t := range s {
		r += f.LogProb(t)
	}
	return r
}

// logWeights returns log(Lambda^k / k!) for k = 0..K.
func (e *Env) logWeights() []float64 {
	w := make([]float64, e.MaxPoints+1)
	for k := range w {
		lf, _ := math.Lgamma(float64(k + 1))
		w[k] = float64(k)*math.Log(e.Lambda) - lf
	}
	return w
}

// LogZ returns log Z = log sum_{k=0}^{K} Lambda^k / k!.
func (e *Env) LogZ() float64 { return logSumExp(e.logWeights()) }

// PK returns the target distribution of the number of points,
// p(k) = Lambda^k / (k! Z) for k = 0..K, in a new slice.
func (e *Env) PK() []float64 {
	w := e.logWeights()
	lz := logSumExp(w)
	for k := range w {
		w[k] = math.Exp(w[k] - lz)
	}
	return w
}

// CDF returns the cumulative distribution function of f, the distribution
// of each point given their number.
func (e *Env) CDF(x float64) float64 { return e.density().CDF(x) }

func (e *Env) check(s State) {
	if len(s) > e.MaxPoints {
		panic(fmt.Sprintf("pointset: state has %d points, MaxPoints is %d", len(s), e.MaxPoints))
	}
}

func logSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// OptimalPolicy is the exact forward policy of an Env (see the package
// documentation). It is safe for concurrent use.
type OptimalPolicy struct {
	env     *Env
	logStop []float64 // log pi_k, k = 0..K (0 at K)
	logAdd  []float64 // log(1 - pi_k), -Inf at K
}

var _ gfn.Policy[State] = (*OptimalPolicy)(nil)

// NewOptimalPolicy returns the optimal policy of e.
func NewOptimalPolicy(e *Env) *OptimalPolicy {
	w := e.logWeights()
	kmax := e.MaxPoints
	// tail[k] = log sum_{m>=k} Lambda^m/m!
	tail := make([]float64, kmax+2)
	tail[kmax+1] = math.Inf(-1)
	for k := kmax; k >= 0; k-- {
		tail[k] = logSumExp([]float64{w[k], tail[k+1]})
	}
	p := &OptimalPolicy{env: e, logStop: make([]float64, kmax+1), logAdd: make([]float64, kmax+1)}
	for k := range kmax + 1 {
		p.logStop[k] = w[k] - tail[k]
		p.logAdd[k] = tail[k+1] - tail[k]
	}
	p.logStop[kmax] = 0
	return p
}

// LogProb implements gfn.Policy: log pi_k for Stop (0 when forced) and
// log(1 - pi_k) + log f(u) for adding the point u.
func (p *OptimalPolicy) LogProb(states []State, cands [][]gfn.Candidate, acts []gfn.Action, logp []float64) {
	f := p.env.density()
	for i, s := range states {
		cs, a := cands[i], acts[i]
		switch {
		case len(cs) == 1:
			logp[i] = 0
		case cs[a.Index].Stop:
			logp[i] = p.logStop[len(s)]
		default:
			logp[i] = p.logAdd[len(s)] + f.LogProb(a.Value[0])
		}
	}
}

// Sample implements gfn.Policy.
func (p *OptimalPolicy) Sample(states []State, cands [][]gfn.Candidate, rngs []*rand.Rand, acts []gfn.Action) {
	for i, s := range states {
		cs, rng := cands[i], rngs[i]
		stop := gfn.StopIndex(cs)
		if len(cs) == 1 || rng.Float64() < math.Exp(p.logStop[len(s)]) {
			acts[i] = gfn.Action{Index: stop}
			continue
		}
		f := distuv.Beta{Alpha: p.env.Alpha, Beta: p.env.Beta, Src: rng}
		u := f.Rand()
		for !(u > 0 && u < 1) { // underflow for tiny shape parameters
			u = f.Rand()
		}
		acts[i] = gfn.Action{Index: slices.IndexFunc(cs, func(c gfn.Candidate) bool { return !c.Stop }), Value: []float64{u}}
	}
}

// Elements implements gfn.SetEnv: one feature per point, its position.
func (e *Env) Elements(s State, dst []float64) []float64 {
	return append(dst, s...)
}
