package gfntest_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/neurogfn/neurogfn/gfn"
)

// recorder is a testing.TB that records errors instead of failing, so that
// tests can check that the suite catches a broken environment.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Error(args ...any) { r.errs = append(r.errs, fmt.Sprint(args...)) }

func (r *recorder) Fatalf(format string, args ...any) {
	panic("gfntest called Fatalf: " + fmt.Sprintf(format, args...))
}

func (r *recorder) Logf(format string, args ...any) {}

// line is a tiny enumerable environment: states 0..n, "+1" below n, Stop
// everywhere. bug selects a deliberate defect.
type line struct {
	n   int
	bug string
}

var _ gfn.Enumerable[int] = line{}

func (e line) Spec() gfn.Spec { return gfn.Spec{StateDim: e.n + 1, CandidateDim: 2, BackwardDim: 1} }
func (e line) Init() int      { return 0 }

func (e line) Features(s int, dst []float64) {
	if e.bug == "features-unwritten" {
		dst = dst[:e.n]
		clear(dst)
		if s < e.n {
			dst[s] = 1
		}
		return
	}
	clear(dst[:e.n+1])
	dst[min(s, e.n)] = 1
}

func (e line) Forward(s int, dst []gfn.Candidate) []gfn.Candidate {
	dst = dst[:0]
	if s < e.n || e.bug == "never-stop" {
		f := []float64{1, 0}
		if e.bug == "features-len" {
			f = append(f, 0)
		}
		dst = append(dst, gfn.Candidate{Features: f})
	}
	if e.bug != "never-stop" {
		dst = append(dst, gfn.Candidate{Stop: true, Features: []float64{0, 1}})
	}
	if e.bug == "two-stops" {
		dst = append(dst, gfn.Candidate{Stop: true, Features: []float64{0, 1}})
	}
	return dst
}

func (e line) Step(s int, a gfn.Action) (int, int) {
	if a.Index != 0 {
		panic("line: bad action")
	}
	if e.bug == "back" {
		return s + 1, 1
	}
	return s + 1, 0
}

func (e line) Backward(s int, dst []gfn.Candidate) []gfn.Candidate {
	dst = dst[:0]
	if s > 0 || e.bug == "init-backward" {
		dst = append(dst, gfn.Candidate{Features: []float64{1}})
	}
	if s > 0 && e.bug == "dup-backward" {
		dst = append(dst, gfn.Candidate{Features: []float64{1}})
	}
	return dst
}

func (e line) Undo(s, i int) (int, gfn.Action) {
	if e.bug == "undo-action" && s == 3 {
		return s - 1, gfn.Action{Index: 1}
	}
	return s - 1, gfn.Action{}
}

func (e line) LogReward(s int) float64 {
	if e.bug == "nan-reward" && s == 2 {
		return math.NaN()
	}
	return math.Log(1 + float64(s))
}

func (e line) Key(s int) string {
	if e.bug == "key" {
		return "x"
	}
	return strconv.Itoa(s)
}

// seq is a tiny continuous environment: up to 3 values appended one by one,
// each in (lo, hi); only the last value can be removed. It is not
// Enumerable, so the suite compares its states by features.
type seq struct {
	lo, hi float64
	bug    string
}

const seqMax = 3

func (e seq) Spec() gfn.Spec  { return gfn.Spec{StateDim: seqMax + 1, CandidateDim: 2, BackwardDim: 1} }
func (e seq) Init() []float64 { return nil }

func (e seq) Features(s []float64, dst []float64) {
	dst = dst[:seqMax+1]
	clear(dst)
	copy(dst, s)
	dst[seqMax] = float64(len(s))
}

func (e seq) Forward(s []float64, dst []gfn.Candidate) []gfn.Candidate {
	dst = append(dst[:0], gfn.Candidate{Stop: true, Features: []float64{1, 0}})
	if e.bug == "stop-cont" {
		dst[0].Cont, dst[0].Dim, dst[0].Lo, dst[0].Hi = gfn.Interval, 1, e.lo, e.hi
	}
	if len(s) < seqMax {
		c := gfn.Candidate{Features: []float64{0, 1}, Cont: gfn.Interval, Dim: 1, Lo: e.lo, Hi: e.hi}
		if e.bug == "bad-interval" {
			c.Hi = c.Lo
		}
		dst = append(dst, c)
	}
	return dst
}

func (e seq) Step(s []float64, a gfn.Action) ([]float64, int) {
	if e.bug == "mutate" && len(s) > 0 {
		s[0] = a.Value[0]
	}
	next := append(s[:len(s):len(s)], a.Value[0])
	return next, 0
}

func (e seq) Backward(s []float64, dst []gfn.Candidate) []gfn.Candidate {
	dst = dst[:0]
	if len(s) > 0 {
		dst = append(dst, gfn.Candidate{Features: []float64{s[len(s)-1]}})
	}
	return dst
}

func (e seq) Undo(s []float64, i int) ([]float64, gfn.Action) {
	v := s[len(s)-1]
	if e.bug == "undo-value" {
		v += 1e-6
	}
	return s[: len(s)-1 : len(s)-1], gfn.Action{Index: 1, Value: []float64{v}}
}

func (e seq) LogReward(s []float64) float64 { return 0 }

// uniformLine is the policy of line that picks each candidate with equal
// probability; bug "unnormalised" gives each probability 0.6 and bug
// "forced" gives a forced stop log-probability 1e-9 instead of 0.
type uniformLine struct{ bug string }

func (p uniformLine) LogProb(_ []int, cands [][]gfn.Candidate, _ []gfn.Action, logp []float64) {
	for i, cs := range cands {
		logp[i] = -math.Log(float64(len(cs)))
		switch {
		case p.bug == "unnormalised":
			logp[i] = math.Log(0.6)
		case p.bug == "forced" && len(cs) == 1:
			logp[i] = 1e-9
		}
	}
}

func (p uniformLine) Sample(_ []int, cands [][]gfn.Candidate, rngs []*rand.Rand, acts []gfn.Action) {
	for i, cs := range cands {
		acts[i] = gfn.Action{Index: rngs[i].IntN(len(cs))}
	}
}

// betaSeq is a policy for seq: stop with probability 1/2 (forced at the
// end), otherwise a value lo + (hi-lo) y with y ~ Beta(a, b). Bug
// "no-jacobian" leaves out -log(hi-lo); bug "out-of-range" samples hi.
type betaSeq struct {
	a, b float64
	bug  string
}

func (p betaSeq) LogProb(_ [][]float64, cands [][]gfn.Candidate, acts []gfn.Action, logp []float64) {
	for i, cs := range cands {
		if len(cs) == 1 {
			logp[i] = 0
			continue
		}
		c := cs[acts[i].Index]
		if c.Stop {
			logp[i] = math.Log(0.5)
			continue
		}
		w := c.Hi - c.Lo
		logp[i] = math.Log(0.5) + distuv.Beta{Alpha: p.a, Beta: p.b}.LogProb((acts[i].Value[0]-c.Lo)/w)
		if p.bug != "no-jacobian" {
			logp[i] -= math.Log(w)
		}
	}
}

func (p betaSeq) Sample(_ [][]float64, cands [][]gfn.Candidate, rngs []*rand.Rand, acts []gfn.Action) {
	for i, cs := range cands {
		stop := gfn.StopIndex(cs)
		if len(cs) == 1 || rngs[i].Float64() < 0.5 {
			acts[i] = gfn.Action{Index: stop}
			continue
		}
		add := 1 - stop
		c := cs[add]
		y := distuv.Beta{Alpha: p.a, Beta: p.b, Src: rngs[i]}.Rand()
		v := c.Lo + (c.Hi-c.Lo)*y
		if p.bug == "out-of-range" {
			v = c.Hi
		}
		acts[i] = gfn.Action{Index: add, Value: []float64{v}}
	}
}
