package gfn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/neurogfn/neurogfn/gfn/nn"
)

// Trainer trains a Model on an environment. All randomness comes from
// streams derived from (Config.Seed, step, trajectory), so a run is
// reproducible whatever the number of workers, and a run resumed from a
// checkpoint equals the uninterrupted run bit for bit.
type Trainer[S any] struct {
	Env    Env[S]
	Config Config
	Model  *Model
	Opt    *nn.Adam
	// Step counts completed iterations.
	Step int
	// Replay holds terminal objects when Config.Replay.Capacity > 0.
	Replay *ReplayBuffer[S]

	policy *NeuralPolicy[S]
	back   BackwardPolicy[S]
	tape   *nn.Tape
	lb     *lossBuilder[S]
}

// Stats describes one training iteration.
type Stats struct {
	Step          int     `json:"step"`
	Loss          float64 `json:"loss"`
	LogZ          float64 `json:"log_z"`
	MeanLogReward float64 `json:"mean_log_reward"`
	MeanLength    float64 `json:"mean_length"`
	GradNorm      float64 `json:"grad_norm"`
}

// NewTrainer validates cfg against env and initialises the model from
// cfg.Seed.
func NewTrainer[S any](env Env[S], cfg Config) (*Trainer[S], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	spec := env.Spec()
	if cfg.Loss == FM && spec.ContDim > 0 {
		return nil, errors.New("gfn: flow matching needs a discrete environment")
	}
	mc := cfg.Model
	mc.Flow = cfg.Loss == DB || cfg.Loss == SubTB
	mc.LearnedBackward = cfg.Backward == BackwardLearned
	cfg.Model = mc
	m, err := NewModel(spec, mc, stream(cfg.Seed, 0, 0, purposeInit))
	if err != nil {
		return nil, err
	}
	groups := []nn.Group{{Name: "", LR: cfg.LR, WeightDecay: cfg.WeightDecay}, {Name: "logz", LR: cfg.LRLogZ}}
	tr := &Trainer[S]{
		Env: env, Config: cfg, Model: m,
		Opt:    nn.NewAdam(m.Params(), groups...),
		policy: NewPolicy(env, m),
		tape:   nn.NewTape(),
		lb:     &lossBuilder[S]{env: env, model: m, b: newBatch(spec)},
	}
	tr.lb.cfg = &tr.Config
	if cfg.Backward == BackwardLearned {
		tr.back = NewBackwardPolicy(env, m)
	} else {
		tr.back = Uniform[S]{}
	}
	if cfg.Replay.Capacity > 0 {
		tr.Replay = NewReplayBuffer[S](cfg.Replay.Capacity)
	}
	return tr, nil
}

// Policy returns the model's forward policy (on-policy, no exploration).
func (tr *Trainer[S]) Policy() *NeuralPolicy[S] { return NewPolicy(tr.Env, tr.Model) }

// BackwardPolicy returns the backward policy used in training (uniform for
// BackwardTree, whose zero log-probabilities are not a distribution).
func (tr *Trainer[S]) BackwardPolicy() BackwardPolicy[S] {
	if tr.Config.Backward == BackwardLearned {
		return NewBackwardPolicy(tr.Env, tr.Model)
	}
	return Uniform[S]{}
}

// exploration returns the exploration settings at the current step.
func (tr *Trainer[S]) exploration() Exploration {
	e := tr.Config.Explore
	if d := tr.Config.ExploreDecay; d > 0 {
		f := max(0, 1-float64(tr.Step)/float64(d))
		e.Epsilon *= f
		e.Widen *= f
		if e.Temperature > 0 {
			e.Temperature = 1 + (e.Temperature-1)*f
		}
	}
	return e
}

// Iterate runs one training iteration: sample a batch (fresh trajectories
// and, with replay, backward trajectories of stored objects), compute the
// loss under the current policy, and take one optimizer step.
func (tr *Trainer[S]) Iterate() (Stats, error) {
	cfg := &tr.Config
	bs := cfg.BatchSize
	nReplay := 0
	if tr.Replay != nil && tr.Replay.Len() >= bs {
		nReplay = int(math.Round(cfg.Replay.Fraction * float64(bs)))
	}
	if cfg.Loss == MLE && nReplay < bs {
		return Stats{}, fmt.Errorf("gfn: the mle loss needs at least a batch (%d) of stored objects, the buffer has %d", bs, tr.Replay.Len())
	}
	nFresh := bs - nReplay
	rngs := make([]*rand.Rand, bs)
	for i := range rngs {
		rngs[i] = stream(cfg.Seed, uint64(tr.Step)+1, uint64(i), purposeSample)
	}
	tr.tape.Reset()
	ps := tr.Opt.Params()
	nn.ZeroGrad(ps)
	tr.policy.Explore = tr.exploration()
	trajs := Sample(tr.Env, tr.policy, rngs[:nFresh])
	objects := make([]S, nFresh)
	for i := range trajs[:nFresh] {
		objects[i] = trajs[i].Object()
	}
	logR := tr.rewards(objects)
	for i := range trajs {
		trajs[i].LogReward = logR[i]
	}
	if nReplay > 0 {
		pick := tr.Replay.Draw(stream(cfg.Seed, uint64(tr.Step)+1, 0, purposeReplay), nReplay, cfg.Replay.Prioritized)
		xs := make([]S, nReplay)
		logRs := make([]float64, nReplay)
		for k, j := range pick {
			xs[k], logRs[k] = tr.Replay.At(j)
		}
		back := SampleBackward(tr.Env, tr.back, xs, rngs[nFresh:])
		for k := range back {
			back[k].LogReward = logRs[k]
		}
		trajs = append(trajs, back...)
	}
	if tr.Replay != nil {
		for i := range nFresh {
			tr.Replay.Add(objects[i], logR[i])
		}
	}
	var stateLogR []float64
	if cfg.Loss == MDB {
		var all []S
		for i := range trajs {
			all = append(all, trajs[i].States...)
		}
		stateLogR = tr.rewards(all)
	}

	loss, logZ, err := tr.lb.build(tr.tape, trajs, stateLogR)
	if err != nil {
		return Stats{}, err
	}
	lv := loss.Scalar()
	if math.IsNaN(lv) || math.IsInf(lv, 0) {
		return Stats{}, fmt.Errorf("gfn: loss is %v at step %d", lv, tr.Step+1)
	}
	tr.tape.Backward(loss)
	// Clip the policy's gradients; log Z has its own learning rate.
	norm := nn.ClipGradNorm(ps[:len(ps)-1], cfg.ClipNorm)
	tr.Opt.Update()
	tr.Step++

	st := Stats{Step: tr.Step, Loss: lv, LogZ: logZ, GradNorm: norm}
	for i := range trajs {
		st.MeanLogReward += trajs[i].LogReward
		st.MeanLength += float64(trajs[i].Len() - 1)
	}
	st.MeanLogReward /= float64(len(trajs))
	st.MeanLength /= float64(len(trajs))
	return st, nil
}

// Train runs iterations until Step reaches steps or ctx is cancelled, calling
// progress (if non-nil) after each. On cancellation it returns ctx's error
// with the trainer in a consistent state between iterations, ready to be
// checkpointed.
func (tr *Trainer[S]) Train(ctx context.Context, steps int, progress func(Stats)) error {
	for tr.Step < steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		st, err := tr.Iterate()
		if err != nil {
			return err
		}
		if progress != nil {
			progress(st)
		}
	}
	return nil
}

// rewards evaluates log R on xs in parallel over Config.Workers goroutines.
func (tr *Trainer[S]) rewards(xs []S) []float64 {
	out := make([]float64, len(xs))
	ParallelFor(len(xs), tr.Config.workers(), func(i int) { out[i] = tr.Env.LogReward(xs[i]) })
	return out
}

// ParallelFor calls f(i) for i in [0, n) on up to workers goroutines. Each
// index is processed exactly once; f must only write to index-owned memory.
func ParallelFor(n, workers int, f func(i int)) {
	if workers <= 1 || n < 2 {
		for i := range n {
			f(i)
		}
		return
	}
	workers = min(workers, n)
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		if lo >= hi {
			break
		}
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				f(i)
			}
		})
	}
	wg.Wait()
}

// Stream purposes keep random streams for different uses independent.
const (
	purposeInit uint64 = iota + 1
	purposeSample
	purposeReplay
	purposeEval
)

// stream returns the random stream for (seed, step, index, purpose). Seeds
// are mixed with SplitMix64 so that neighbouring inputs give unrelated
// streams.
func stream(seed, step, index, purpose uint64) *rand.Rand {
	a := splitmix(seed ^ splitmix(step^splitmix(purpose)))
	b := splitmix(a ^ splitmix(index+0x9e3779b97f4a7c15))
	return rand.New(rand.NewPCG(a, b))
}

// Stream returns an independent random stream for (seed, index), for
// callers that need per-item streams (evaluation, per-neuron fits).
func Stream(seed, index uint64) *rand.Rand { return stream(seed, 0, index, purposeEval) }

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
