package gfntest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/neurogfn/neurogfn/gfn"
)

// deHalfWidth is the half-width T of the interval [-T, T] that the
// double-exponential substitution integrates over. At t = ±T the outermost
// node lies within 1e-37 of the interval's end (relative to its width), so
// that a Beta(a, b) density misses a mass of order 1e-37^min(a, b) there.
const deHalfWidth = 4

// rule holds quadrature nodes on (0, 1) after the double-exponential
// substitution u = (1 + tanh(pi/2 sinh t))/2: u and 1-u, each computed
// without cancellation, and the weight including du/dt.
type rule struct {
	u, v, w []float64 // v = 1-u
}

func newRule(n int) rule {
	t := make([]float64, n)
	wt := make([]float64, n)
	quad.Legendre{}.FixedLocations(t, wt, -deHalfWidth, deHalfWidth)
	r := rule{u: make([]float64, n), v: make([]float64, n), w: make([]float64, n)}
	for i, ti := range t {
		// u = logistic(2s), s = pi/2 sinh t; du/dt = pi cosh t u (1-u).
		s := math.Pi / 2 * math.Sinh(ti)
		r.u[i] = 1 / (1 + math.Exp(-2*s))
		r.v[i] = 1 / (1 + math.Exp(2*s))
		r.w[i] = wt[i] * math.Pi * math.Cosh(ti) * r.u[i] * r.v[i]
	}
	return r
}

// nodes returns the nodes in (lo, hi) and their weights, dropping nodes that
// round to an end of the interval.
func (r rule) nodes(lo, hi float64) (x, w []float64) {
	width := hi - lo
	for i := range r.u {
		var xi float64
		if r.u[i] <= 0.5 {
			xi = lo + width*r.u[i]
		} else {
			xi = hi - width*r.v[i]
		}
		if xi <= lo || xi >= hi {
			continue
		}
		x = append(x, xi)
		w = append(w, width*r.w[i])
	}
	return x, w
}

// Policy checks that p is a normalised forward policy for env whose samples
// are valid actions, at the states of trajectories drawn from p itself; the
// package documentation describes the checks.
func Policy[S any](t testing.TB, env gfn.Env[S], p gfn.Policy[S], opts Options) {
	t.Helper()
	c := newChecker(t, env, opts)
	r := newRule(c.opts.QuadPoints)
	skipped := 0
	rngs := []*rand.Rand{c.rng}
	acts := make([]gfn.Action, 1)
	logp := make([]float64, 1)
	for n := range c.opts.Trajectories {
		s := env.Init()
		for step := 0; ; step++ {
			if c.done() {
				return
			}
			c.at = fmt.Sprintf("trajectory %d step %d", n, step)
			if step >= c.opts.MaxSteps {
				c.errorf("policy does not stop within MaxSteps = %d steps", c.opts.MaxSteps)
				break
			}
			fc := env.Forward(s, nil)
			if len(fc) == 0 {
				c.errorf("state has no forward candidates")
				break
			}
			if !c.normalised(p, s, fc, r) {
				skipped++
			}
			acts[0] = gfn.Action{}
			p.Sample([]S{s}, [][]gfn.Candidate{fc}, rngs, acts)
			a := acts[0]
			if a.Index < 0 || a.Index >= len(fc) {
				c.errorf("Sample returns action index %d of %d candidates", a.Index, len(fc))
				break
			}
			if !c.validValues(fc[a.Index], a, "Sample") {
				break
			}
			p.LogProb([]S{s}, [][]gfn.Candidate{fc}, acts, logp)
			if math.IsNaN(logp[0]) || math.IsInf(logp[0], 0) {
				c.errorf("sampled action %+v has log-probability %v", a, logp[0])
			}
			if fc[a.Index].Stop {
				break
			}
			s, _ = env.Step(s, a)
		}
	}
	if skipped > 0 {
		t.Logf("gfntest.Policy: normalisation not checked at %d states with Interval candidates of Dim > 1", skipped)
	}
}

// normalised checks that the probabilities of fc's discrete candidates
// and the integrals of its Interval densities sum to 1. It returns false
// when it cannot check because a candidate has Dim > 1.
func (c *checker[S]) normalised(p gfn.Policy[S], s S, fc []gfn.Candidate, r rule) bool {
	var acts []gfn.Action
	var w []float64 // weight of each action: 1 for discrete, quadrature weight otherwise
	for i, cand := range fc {
		switch {
		case cand.Cont != gfn.Interval:
			acts = append(acts, gfn.Action{Index: i})
			w = append(w, 1)
		case cand.Dim == 1:
			x, wx := r.nodes(cand.Lo, cand.Hi)
			vals := make([]float64, len(x))
			copy(vals, x)
			for k := range x {
				acts = append(acts, gfn.Action{Index: i, Value: vals[k : k+1 : k+1]})
			}
			w = append(w, wx...)
		default:
			return false
		}
	}
	states := make([]S, len(acts))
	cands := make([][]gfn.Candidate, len(acts))
	for i := range states {
		states[i] = s
		cands[i] = fc
	}
	logp := make([]float64, len(acts))
	p.LogProb(states, cands, acts, logp)
	var total float64
	for i, lp := range logp {
		if math.IsNaN(lp) || math.IsInf(lp, 1) {
			c.errorf("log-probability %v for action %+v", lp, acts[i])
			return true
		}
		total += w[i] * math.Exp(lp)
	}
	if len(fc) == 1 && fc[0].Cont != gfn.Interval && logp[0] != 0 {
		c.errorf("forced action has log-probability %v, want 0", logp[0])
	}
	if math.Abs(total-1) > c.opts.NormTol {
		c.errorf("forward probabilities sum to %.10g over %d candidates, want 1 within %g", total, len(fc), c.opts.NormTol)
	}
	return true
}
