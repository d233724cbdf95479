package gfn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/neurogfn/neurogfn/gfn/nn"
)

// Exploration makes a behaviour policy from the model's forward policy.
// The zero value samples on-policy. Losses always rescore trajectories
// under the current policy, so exploring never biases the target.
type Exploration struct {
	// Epsilon is the probability of choosing a candidate uniformly at random.
	Epsilon float64 `yaml:"epsilon"`
	// Temperature divides the candidate logits (values <= 0 mean 1).
	Temperature float64 `yaml:"temperature"`
	// Widen is the probability of drawing each continuous value uniformly
	// on its interval instead of from the Beta mixture.
	Widen float64 `yaml:"widen"`
}

// Validate reports settings outside their ranges.
func (e Exploration) Validate() error {
	if !(e.Epsilon >= 0 && e.Epsilon <= 1) {
		return fmt.Errorf("epsilon %g must be in [0, 1]", e.Epsilon)
	}
	if !(e.Widen >= 0 && e.Widen <= 1) {
		return fmt.Errorf("widen %g must be in [0, 1]", e.Widen)
	}
	if math.IsNaN(e.Temperature) || e.Temperature < 0 {
		return fmt.Errorf("temperature %g must be positive", e.Temperature)
	}
	return nil
}

// OnPolicy reports whether e changes nothing.
func (e Exploration) OnPolicy() bool {
	return e.Epsilon == 0 && e.Widen == 0 && (e.Temperature == 0 || e.Temperature == 1)
}

// NeuralPolicy is the forward policy of a Model on an environment. Sample
// follows Explore; LogProb always scores under the model itself. It is not
// safe for concurrent use.
type NeuralPolicy[S any] struct {
	Env     Env[S]
	Model   *Model
	Explore Exploration

	tape  *nn.Tape
	b     *batch
	probs []float64
}

// NewPolicy returns the forward policy of m on env.
func NewPolicy[S any](env Env[S], m *Model) *NeuralPolicy[S] {
	return &NeuralPolicy[S]{Env: env, Model: m, tape: nn.NewInferenceTape(), b: newBatch(m.Spec)}
}

func (p *NeuralPolicy[S]) load(states []S, cands [][]Candidate) {
	p.b.reset()
	for i, s := range states {
		addState(p.b, p.Env, s, cands[i])
	}
}

// LogProb implements Policy.
func (p *NeuralPolicy[S]) LogProb(states []S, cands [][]Candidate, acts []Action, logp []float64) {
	p.tape.Reset()
	p.load(states, cands)
	for i, a := range acts {
		p.b.addForward(i, a)
	}
	h := p.Model.encode(p.tape, p.b)
	chosen, _, _ := p.Model.forwardLogProb(p.tape, p.b, h)
	copy(logp, chosen.V.Data)
}

// Sample implements Policy.
func (p *NeuralPolicy[S]) Sample(states []S, cands [][]Candidate, rngs []*rand.Rand, acts []Action) {
	t, b := p.tape, p.b
	t.Reset()
	p.load(states, cands)
	h := p.Model.encode(t, b)
	logits := p.Model.logits(t, b, h).V.Data
	temp := p.Explore.Temperature
	if temp <= 0 {
		temp = 1
	}
	eps := p.Explore.Epsilon
	for i := range states {
		lo, hi := b.cStart[i], b.cStart[i+1]
		n := hi - lo
		k := 0
		if n > 1 {
			k = sampleSoftmax(rngs[i], logits[lo:hi], temp, eps, &p.probs)
		}
		acts[i] = Action{Index: k}
		c := b.cands[lo+k]
		if c.Cont == Interval {
			// Placeholder values; only the head's parameters are needed.
			acts[i].Value = make([]float64, c.Dim)
			for d := range acts[i].Value {
				acts[i].Value[d] = (c.Lo + c.Hi) / 2
			}
		}
		b.addForward(i, acts[i])
	}
	if len(b.qY) == 0 {
		return
	}
	w, alpha, beta := p.Model.contParams(t, b, h)
	kc := p.Model.Config.Components
	for q, ai := range b.qAct {
		i := b.fRow[ai]
		rng := rngs[i]
		var y float64
		if p.Explore.Widen > 0 && rng.Float64() < p.Explore.Widen {
			y = rng.Float64()
		} else {
			comp := sampleSoftmax(rng, w.V.Data[q*kc:(q+1)*kc], 1, 0, &p.probs)
			y = nn.SampleBeta(rng, alpha.V.Data[q*kc+comp], beta.V.Data[q*kc+comp])
		}
		y = clampY(y)
		c := b.cands[b.fFlat[ai]]
		d := b.qBlock[q] % p.Model.Spec.ContDim
		acts[i].Value[d] = c.Lo + (c.Hi-c.Lo)*y
	}
}

// sampleSoftmax draws an index from softmax(logits/temp) mixed with a
// uniform distribution of weight eps.
func sampleSoftmax(rng *rand.Rand, logits []float64, temp, eps float64, buf *[]float64) int {
	n := len(logits)
	p := (*buf)[:0]
	m := math.Inf(-1)
	for _, l := range logits {
		m = max(m, l/temp)
	}
	var s float64
	for _, l := range logits {
		e := math.Exp(l/temp - m)
		p = append(p, e)
		s += e
	}
	*buf = p
	u := rng.Float64()
	var c float64
	for i, e := range p {
		c += (1-eps)*e/s + eps/float64(n)
		if u < c {
			return i
		}
	}
	return n - 1
}

// NeuralBackward is the learned backward policy of a Model. It is not safe
// for concurrent use.
type NeuralBackward[S any] struct {
	Env   Env[S]
	Model *Model

	tape  *nn.Tape
	b     *batch
	probs []float64
}

// NewBackwardPolicy returns the learned backward policy of m, which must
// have been built with LearnedBackward.
func NewBackwardPolicy[S any](env Env[S], m *Model) *NeuralBackward[S] {
	if m.Back == nil {
		panic("gfn: model has no backward head")
	}
	return &NeuralBackward[S]{Env: env, Model: m, tape: nn.NewInferenceTape(), b: newBatch(m.Spec)}
}

func (p *NeuralBackward[S]) logits(states []S, bcands [][]Candidate, back []int) (logits, logp *nn.Node) {
	p.tape.Reset()
	p.b.reset()
	for i, s := range states {
		r := addState(p.b, p.Env, s, nil)
		k := -1
		if back != nil {
			k = back[i]
		}
		p.b.addBackward(r, bcands[i], k)
	}
	h := p.Model.encode(p.tape, p.b)
	v := p.Model.Back.Forward(p.tape, h)
	logits = p.tape.RowDot(v, p.b.bBRow, tensor(len(p.b.bBRow), p.b.spec.BackwardDim, p.b.bFeat))
	return logits, p.tape.SegmentLogSoftmax(logits, p.b.bStart, nil)
}

// LogProb implements BackwardPolicy.
func (p *NeuralBackward[S]) LogProb(states []S, bcands [][]Candidate, back []int, logp []float64) {
	_, lp := p.logits(states, bcands, back)
	for i, k := range back {
		logp[i] = lp.V.Data[p.b.bStart[i]+k]
	}
}

// Sample implements BackwardPolicy.
func (p *NeuralBackward[S]) Sample(states []S, bcands [][]Candidate, rngs []*rand.Rand, back []int) {
	logits, _ := p.logits(states, bcands, nil)
	for i := range states {
		lo, hi := p.b.bStart[i], p.b.bStart[i+1]
		back[i] = sampleSoftmax(rngs[i], logits.V.Data[lo:hi], 1, 0, &p.probs)
	}
}
