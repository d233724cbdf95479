package gfntest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/neurogfn/neurogfn/gfn"
)

// Options configures Env and Policy. The zero value gives the defaults.
type Options struct {
	// Trajectories is the number of random trajectories walked (default 200).
	Trajectories int
	// MaxSteps bounds the length of a trajectory, forward or backward, to
	// catch environments that never stop (default 10000).
	MaxSteps int
	// Seed seeds the PCG stream that picks candidates and values.
	Seed uint64
	// StopProb is the probability with which Env takes Stop where a state
	// lists it alongside other candidates (default 0.1); lower values walk
	// longer trajectories.
	StopProb float64
	// ValueTol is the tolerance when comparing features and continuous
	// action values after a round trip through Step and Undo: a and b agree
	// when |a-b| <= ValueTol*max(1, |a|, |b|) (default 1e-12).
	ValueTol float64
	// NormTol is the tolerance on |sum of probabilities - 1| in Policy
	// (default 1e-6).
	NormTol float64
	// QuadPoints is the number of Gauss-Legendre nodes used by Policy to
	// integrate the density of an Interval candidate (default 1024, enough
	// for a Beta density with concentrations up to about 2000; sharper
	// peaks need more).
	QuadPoints int
	// MaxErrors stops a check after this many reported errors (default 20).
	MaxErrors int
}

func (o Options) withDefaults() Options {
	if o.Trajectories <= 0 {
		o.Trajectories = 200
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = 10000
	}
	if o.StopProb <= 0 || o.StopProb > 1 {
		o.StopProb = 0.1
	}
	if o.ValueTol <= 0 {
		o.ValueTol = 1e-12
	}
	if o.NormTol <= 0 {
		o.NormTol = 1e-6
	}
	if o.QuadPoints <= 0 {
		o.QuadPoints = 1024
	}
	if o.MaxErrors <= 0 {
		o.MaxErrors = 20
	}
	return o
}

// checker holds what the checks of one Env or Policy call share.
type checker[S any] struct {
	t    testing.TB
	env  gfn.Env[S]
	enum gfn.Enumerable[S] // nil when env is not Enumerable
	spec gfn.Spec
	opts Options
	rng  *rand.Rand
	nerr int
	at   string // where the current check is, for messages
}

func newChecker[S any](t testing.TB, env gfn.Env[S], opts Options) *checker[S] {
	opts = opts.withDefaults()
	c := &checker[S]{
		t:    t,
		env:  env,
		spec: env.Spec(),
		opts: opts,
		rng:  rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15)),
	}
	c.enum, _ = env.(gfn.Enumerable[S])
	return c
}

func (c *checker[S]) errorf(format string, args ...any) {
	c.t.Helper()
	c.nerr++
	switch {
	case c.nerr < c.opts.MaxErrors:
		c.t.Errorf("%s: %s", c.at, fmt.Sprintf(format, args...))
	case c.nerr == c.opts.MaxErrors:
		c.t.Errorf("%s: %s (stopping after %d errors)", c.at, fmt.Sprintf(format, args...), c.nerr)
	}
}

func (c *checker[S]) done() bool { return c.nerr >= c.opts.MaxErrors }

// Env checks that env keeps the contracts of gfn.Env (and of
// gfn.Enumerable when it implements it) on random trajectories; the package
// documentation lists the checks.
func Env[S any](t testing.TB, env gfn.Env[S], opts Options) {
	t.Helper()
	c := newChecker(t, env, opts)
	c.at = "Spec"
	if c.spec.StateDim < 0 || c.spec.CandidateDim < 0 || c.spec.BackwardDim < 0 {
		c.errorf("negative size in %+v", c.spec)
		return
	}
	for n := range c.opts.Trajectories {
		if c.done() {
			return
		}
		c.trajectory(n)
	}
}

// trajectory walks one random trajectory forward from Init and, from its
// final state, one random trajectory backward.
func (c *checker[S]) trajectory(n int) {
	s := c.env.Init()
	for step := 0; ; step++ {
		c.at = fmt.Sprintf("trajectory %d step %d", n, step)
		if step >= c.opts.MaxSteps {
			c.errorf("no stop within MaxSteps = %d steps", c.opts.MaxSteps)
			return
		}
		fc, ok := c.checkState(s, step == 0)
		if !ok || c.done() {
			return
		}
		i := c.choose(fc)
		if fc[i].Stop {
			c.backwardWalk(n, s)
			return
		}
		a := gfn.Action{Index: i, Value: c.draw(fc[i])}
		if s, ok = c.checkStep(s, a); !ok {
			return
		}
	}
}

// choose picks a forward candidate: Stop with probability StopProb where it
// is listed, otherwise a uniformly chosen non-stop candidate.
func (c *checker[S]) choose(fc []gfn.Candidate) int {
	stop := gfn.StopIndex(fc)
	if stop < 0 {
		return c.rng.IntN(len(fc))
	}
	if len(fc) == 1 || c.rng.Float64() < c.opts.StopProb {
		return stop
	}
	i := c.rng.IntN(len(fc) - 1)
	if i >= stop {
		i++
	}
	return i
}

// draw returns values uniform in the open interval (Lo, Hi) for an Interval
// candidate and nil otherwise.
func (c *checker[S]) draw(cand gfn.Candidate) []float64 {
	if cand.Cont != gfn.Interval {
		return nil
	}
	v := make([]float64, cand.Dim)
	for i := range v {
		for {
			v[i] = cand.Lo + (cand.Hi-cand.Lo)*c.rng.Float64()
			if v[i] > cand.Lo && v[i] < cand.Hi {
				break
			}
		}
	}
	return v
}

// backwardWalk undoes random backward candidates from s until none is left
// and checks that the walk ends at Init.
func (c *checker[S]) backwardWalk(n int, s S) {
	for step := 0; ; step++ {
		c.at = fmt.Sprintf("trajectory %d backward step %d", n, step)
		if step >= c.opts.MaxSteps {
			c.errorf("backward walk does not reach Init within MaxSteps = %d steps", c.opts.MaxSteps)
			return
		}
		bc := c.env.Backward(s, nil)
		if len(bc) == 0 {
			if !c.same(s, c.env.Init()) {
				c.errorf("backward walk ends at a state without backward candidates that is not Init")
			}
			return
		}
		s, _ = c.env.Undo(s, c.rng.IntN(len(bc)))
	}
}

// snapshot is what a state looks like from outside: its features and its
// forward and backward candidates, deep-copied.
type snapshot struct {
	features []float64
	forward  []gfn.Candidate
	backward []gfn.Candidate
}

func (c *checker[S]) snap(s S) snapshot {
	f := make([]float64, c.spec.StateDim)
	c.env.Features(s, f)
	return snapshot{
		features: f,
		forward:  cloneCandidates(c.env.Forward(s, nil)),
		backward: cloneCandidates(c.env.Backward(s, nil)),
	}
}

func cloneCandidates(cs []gfn.Candidate) []gfn.Candidate {
	out := make([]gfn.Candidate, len(cs))
	for i, cand := range cs {
		out[i] = cand
		out[i].Features = append([]float64(nil), cand.Features...)
	}
	return out
}

// unchanged reports an error if s no longer looks like before.
func (c *checker[S]) unchanged(s S, before snapshot, what string) bool {
	if !c.snapEqual(c.snap(s), before) {
		c.errorf("%s modified its argument state", what)
		return false
	}
	return true
}

func (c *checker[S]) snapEqual(a, b snapshot) bool {
	return c.floatsEqual(a.features, b.features) &&
		c.candidatesEqual(a.forward, b.forward) &&
		c.candidatesEqual(a.backward, b.backward)
}

// same reports whether a and b are the same state: equal keys for an
// Enumerable environment, equal snapshots otherwise.
func (c *checker[S]) same(a, b S) bool {
	if c.enum != nil {
		if c.enum.Key(a) != c.enum.Key(b) {
			return false
		}
		if !c.snapEqual(c.snap(a), c.snap(b)) {
			c.errorf("two states with equal Key have different features or candidates")
		}
		return true
	}
	return c.snapEqual(c.snap(a), c.snap(b))
}

func (c *checker[S]) near(a, b float64) bool {
	return a == b || math.Abs(a-b) <= c.opts.ValueTol*max(1, math.Abs(a), math.Abs(b))
}

func (c *checker[S]) floatsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !c.near(a[i], b[i]) {
			return false
		}
	}
	return true
}

func (c *checker[S]) candidatesEqual(a, b []gfn.Candidate) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Stop != y.Stop || x.Cont != y.Cont || x.Dim != y.Dim ||
			!c.near(x.Lo, y.Lo) || !c.near(x.Hi, y.Hi) || !c.floatsEqual(x.Features, y.Features) {
			return false
		}
	}
	return true
}

// features returns the state features, checking that Features writes every
// entry with a finite value and is deterministic.
func (c *checker[S]) features(s S) ([]float64, bool) {
	f := make([]float64, c.spec.StateDim)
	for i := range f {
		f[i] = math.NaN()
	}
	c.env.Features(s, f)
	for i, v := range f {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			c.errorf("state feature %d of %d is %v (not written, or not finite)", i, len(f), v)
			return f, false
		}
	}
	g := make([]float64, c.spec.StateDim)
	c.env.Features(s, g)
	for i := range f {
		if f[i] != g[i] {
			c.errorf("Features is not deterministic: entry %d is %v, then %v", i, f[i], g[i])
			return f, false
		}
	}
	return f, true
}

// checkState runs the per-state checks and returns the state's forward
// candidates; ok is false when the walk cannot go on from s.
func (c *checker[S]) checkState(s S, isInit bool) (fc []gfn.Candidate, ok bool) {
	before := c.snap(s)
	if _, ok := c.features(s); !ok {
		return nil, false
	}

	fc = c.env.Forward(s, nil)
	if len(fc) == 0 {
		c.errorf("state has no forward candidates")
		return nil, false
	}
	if !c.checkForward(fc) {
		return nil, false
	}
	junk := make([]gfn.Candidate, 2, len(fc)+4)
	junk[0] = gfn.Candidate{Stop: true, Features: []float64{math.NaN()}}
	junk[1] = gfn.Candidate{Cont: gfn.Interval, Dim: 7}
	if !c.candidatesEqual(c.env.Forward(s, junk), fc) {
		c.errorf("Forward with a reused dst returns a different list than with a nil dst")
	}
	if gfn.StopIndex(fc) >= 0 {
		lr := c.env.LogReward(s)
		switch {
		case math.IsNaN(lr) || math.IsInf(lr, 1):
			c.errorf("LogReward = %v at a state that may stop", lr)
		case c.env.LogReward(s) != lr:
			c.errorf("LogReward is not deterministic")
		}
	}

	bc := c.env.Backward(s, nil)
	switch {
	case isInit && len(bc) > 0:
		c.errorf("Init has %d backward candidates, want 0", len(bc))
		return fc, true
	case !isInit && len(bc) == 0:
		c.errorf("non-initial state has no backward candidates")
		return fc, true
	}
	c.checkCandidates("backward", bc, c.spec.BackwardDim)
	if !c.candidatesEqual(c.env.Backward(s, junk), bc) {
		c.errorf("Backward with a reused dst returns a different list than with a nil dst")
	}
	for j := range bc {
		c.checkUndo(s, j)
	}
	if !c.unchanged(s, before, "Features, Forward, Backward or LogReward") {
		return fc, false
	}
	return fc, true
}

// checkForward checks a state's forward candidates.
func (c *checker[S]) checkForward(fc []gfn.Candidate) bool {
	ok := c.checkCandidates("forward", fc, c.spec.CandidateDim)
	nstop := 0
	for _, cand := range fc {
		if cand.Stop {
			nstop++
		}
	}
	if nstop > 1 {
		c.errorf("%d Stop candidates, want at most 1", nstop)
		ok = false
	}
	return ok
}

// checkCandidates checks feature lengths and continuous specifications.
func (c *checker[S]) checkCandidates(kind string, cs []gfn.Candidate, dim int) bool {
	ok := true
	for i, cand := range cs {
		if len(cand.Features) != dim {
			c.errorf("%s candidate %d has %d features, Spec says %d", kind, i, len(cand.Features), dim)
			ok = false
		}
		for k, v := range cand.Features {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				c.errorf("%s candidate %d feature %d is %v", kind, i, k, v)
				ok = false
				break
			}
		}
		if kind == "backward" {
			if cand.Stop || cand.Cont != gfn.Discrete || cand.Dim != 0 {
				c.errorf("backward candidate %d is not a plain discrete candidate: %+v", i, cand)
				ok = false
			}
			continue
		}
		switch cand.Cont {
		case gfn.Discrete:
			if cand.Dim != 0 {
				c.errorf("%s candidate %d is Discrete with Dim %d, want 0", kind, i, cand.Dim)
				ok = false
			}
		case gfn.Interval:
			if cand.Stop {
				c.errorf("%s candidate %d is Stop with continuous parameters", kind, i)
				ok = false
			}
			if cand.Dim < 1 {
				c.errorf("%s candidate %d is Interval with Dim %d, want >= 1", kind, i, cand.Dim)
				ok = false
			}
			if math.IsNaN(cand.Lo) || math.IsNaN(cand.Hi) || math.IsInf(cand.Lo, 0) || math.IsInf(cand.Hi, 0) || !(cand.Lo < cand.Hi) {
				c.errorf("%s candidate %d has interval (%v, %v), want finite Lo < Hi", kind, i, cand.Lo, cand.Hi)
				ok = false
			}
		default:
			c.errorf("%s candidate %d has unknown ContKind %d", kind, i, cand.Cont)
			ok = false
		}
	}
	return ok
}

// validAction reports whether a is a non-stop forward action of fc.
func (c *checker[S]) validAction(fc []gfn.Candidate, a gfn.Action, what string) bool {
	if a.Index < 0 || a.Index >= len(fc) {
		c.errorf("%s: action index %d of %d candidates", what, a.Index, len(fc))
		return false
	}
	cand := fc[a.Index]
	if cand.Stop {
		c.errorf("%s: action is the Stop candidate", what)
		return false
	}
	return c.validValues(cand, a, what)
}

func (c *checker[S]) validValues(cand gfn.Candidate, a gfn.Action, what string) bool {
	if cand.Cont != gfn.Interval {
		if len(a.Value) != 0 {
			c.errorf("%s: %d values for a discrete candidate", what, len(a.Value))
			return false
		}
		return true
	}
	if len(a.Value) != cand.Dim {
		c.errorf("%s: %d values for a candidate of Dim %d", what, len(a.Value), cand.Dim)
		return false
	}
	for _, v := range a.Value {
		if !(v > cand.Lo && v < cand.Hi) {
			c.errorf("%s: value %v outside (%v, %v)", what, v, cand.Lo, cand.Hi)
			return false
		}
	}
	return true
}

// checkStep steps s with a and checks that Undo inverts it.
func (c *checker[S]) checkStep(s S, a gfn.Action) (next S, ok bool) {
	before := c.snap(s)
	next, back := c.env.Step(s, a)
	if !c.unchanged(s, before, "Step") {
		return next, false
	}
	if c.enum != nil && c.enum.Key(next) == c.enum.Key(s) {
		c.errorf("Step returns a state with a Key equal to its argument's")
	}
	bc := c.env.Backward(next, nil)
	if back < 0 || back >= len(bc) {
		c.errorf("Step returns backward index %d, next state has %d backward candidates", back, len(bc))
		return next, true // the next state's own checks still apply
	}
	nextBefore := c.snap(next)
	parent, fwd := c.env.Undo(next, back)
	if !c.unchanged(next, nextBefore, "Undo") {
		return next, false
	}
	if !c.same(parent, s) {
		c.errorf("Undo(Step(s, a)) returns a parent different from s")
	}
	if fwd.Index != a.Index || !c.sameValues(fwd.Value, a.Value) {
		c.errorf("Undo(Step(s, a)) returns the forward action %+v, Step took %+v", fwd, a)
	}
	return next, true
}

func (c *checker[S]) sameValues(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !c.near(a[i], b[i]) {
			return false
		}
	}
	return true
}

// checkUndo checks that backward candidate j of s leads to a parent whose
// forward action steps back to s with backward index j.
func (c *checker[S]) checkUndo(s S, j int) {
	parent, fwd := c.env.Undo(s, j)
	what := fmt.Sprintf("Undo(s, %d)", j)
	if !c.validAction(c.env.Forward(parent, nil), fwd, what+" forward action") {
		return
	}
	before := c.snap(parent)
	next, back := c.env.Step(parent, fwd)
	c.unchanged(parent, before, "Step")
	if back != j {
		c.errorf("%s then Step returns backward index %d, want %d", what, back, j)
	}
	if !c.same(next, s) {
		c.errorf("%s then Step does not return to s", what)
	}
}
