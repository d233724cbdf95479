package gfn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/neurogfn/neurogfn/gfn/nn"
	"gonum.org/v1/gonum/diff/fd"
)

// chain is a tiny discrete environment for internal tests: states 0..n-1 on
// a line with a skip move (+1 or +2), stop allowed everywhere; state s has
// parents s-1 and s-2, so backward policies matter.
type chain struct{ n int }

var (
	chainFeat = [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	chainBack = [][]float64{{1, 0}, {0, 1}}
)

func (c chain) Spec() Spec { return Spec{StateDim: c.n, CandidateDim: 3, BackwardDim: 2} }
func (c chain) Init() int  { return 0 }
func (c chain) Features(s int, dst []float64) {
	clear(dst)
	dst[s] = 1
}
func (c chain) Forward(s int, dst []Candidate) []Candidate {
	dst = dst[:0]
	if s+1 < c.n {
		dst = append(dst, Candidate{Features: chainFeat[0]})
	}
	if s+2 < c.n {
		dst = append(dst, Candidate{Features: chainFeat[1]})
	}
	return append(dst, Candidate{Stop: true, Features: chainFeat[2]})
}
func (c chain) Step(s int, a Action) (int, int) {
	step := a.Index + 1
	ns := s + step
	// Backward candidates of ns: [-1 if ns>=1] [-2 if ns>=2].
	return ns, step - 1
}
func (c chain) Backward(s int, dst []Candidate) []Candidate {
	dst = dst[:0]
	if s >= 1 {
		dst = append(dst, Candidate{Features: chainBack[0]})
	}
	if s >= 2 {
		dst = append(dst, Candidate{Features: chainBack[1]})
	}
	return dst
}
func (c chain) Undo(s int, i int) (int, Action) { return s - (i + 1), Action{Index: i} }
func (c chain) LogReward(s int) float64         { return math.Sin(float64(s)) }
func (c chain) Key(s int) string                { return string(rune('a' + s)) }

// TestLossGradients checks the gradient of every objective with respect to
// every model parameter against central finite differences.
func TestLossGradients(t *testing.T) {
	env := chain{n: 5}
	for _, loss := range Losses {
		for _, back := range []BackwardKind{BackwardUniform, BackwardLearned} {
			cfg := DefaultConfig()
			cfg.Loss, cfg.Backward = loss, back
			cfg.Model.Hidden, cfg.Model.Layers, cfg.Model.Activation = 6, 2, nn.Tanh
			cfg.Huber = 0
			if loss == MLE {
				cfg.Replay = Replay{Capacity: 10, Fraction: 1}
			}
			if loss == DB {
				cfg.Huber = 0.7 // exercise the Huber branch too
			}
			tr, err := NewTrainer[int](env, cfg)
			if err != nil {
				t.Fatal(err)
			}
			rngs := make([]*rand.Rand, 6)
			for i := range rngs {
				rngs[i] = rand.New(rand.NewPCG(uint64(i), 7))
			}
			trajs := Sample[int](env, tr.Policy(), rngs)
			var all []int
			for i := range trajs {
				trajs[i].LogReward = env.LogReward(trajs[i].Object())
				all = append(all, trajs[i].States...)
			}
			stateLogR := make([]float64, len(all))
			for i, s := range all {
				stateLogR[i] = env.LogReward(s)
			}
			ps := tr.Model.Params()
			lossAt := func(tp *nn.Tape) float64 {
				l, _, err := tr.lb.build(tp, trajs, stateLogR)
				if err != nil {
					t.Fatal(err)
				}
				if tp.Recording() {
					tp.Backward(l)
				}
				return l.Scalar()
			}
			nn.ZeroGrad(ps)
			lossAt(nn.NewTape())
			var x0, analytic []float64
			for _, p := range ps {
				x0 = append(x0, p.W.Data...)
				analytic = append(analytic, p.G.Data...)
			}
			set := func(x []float64) {
				for _, p := range ps {
					copy(p.W.Data, x[:p.W.Len()])
					x = x[p.W.Len():]
				}
			}
			numeric := fd.Gradient(nil, func(x []float64) float64 {
				set(x)
				return lossAt(nn.NewInferenceTape())
			}, x0, &fd.Settings{Formula: fd.Central, Step: 1e-6})
			set(x0)
			bad := 0
			for i := range analytic {
				den := math.Max(math.Max(math.Abs(analytic[i]), math.Abs(numeric[i])), 1e-3)
				if rel := math.Abs(analytic[i]-numeric[i]) / den; rel > 1e-6 && bad < 5 {
					bad++
					t.Errorf("%s/%s: d/dθ[%d] analytic %.10g numeric %.10g", loss, back, i, analytic[i], numeric[i])
				}
			}
		}
	}
}
