package bars

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/neurogfn/neurogfn/gfn"
)

// GFNConfig configures the GFlowNet sampler of the BARS posterior.
type GFNConfig struct {
	Train      gfn.Config `yaml:"train" json:"-"`
	Iterations int        `yaml:"iterations" json:"iterations"`
	// Ordered selects the left-to-right construction (see Env.Ordered).
	Ordered bool `yaml:"ordered" json:"ordered"`
	// Pretrain iterations fit the forward policy to the warm-start chain's
	// states by maximum likelihood (gfn.MLE) before the balance loss.
	Pretrain int `yaml:"pretrain" json:"pretrain"`
	// Correct runs the draws through an independence Metropolis-Hastings
	// correction (exact posterior whatever the training accuracy).
	Correct bool `yaml:"correct" json:"correct"`
	// WarmStart runs a short RJMCMC chain first: its best knot set sets the
	// reward offset (so log Z starts near zero) and its states seed the
	// replay buffer when replay is on.
	WarmStart RJConfig `yaml:"warm_start" json:"-"`
	// LocalMoves is the number of BARS birth/death/relocation moves (with
	// WarmStart's tau and c) after each Metropolis-corrected GFlowNet
	// proposal. The independence proposals jump between modes; the local
	// moves leave a state the GFlowNet under-weights, where a pure
	// independence chain can stick for hundreds of proposals.
	LocalMoves int `yaml:"local_moves" json:"local_moves"`
}

// DefaultGFNConfig is the sampler setting validated on the BARS example: the
// left-to-right construction with hidden width 64, fitted by maximum
// likelihood (500 iterations) to a short RJMCMC run (5000 states), no
// balance-loss fine-tuning, and the Metropolis correction with two local
// moves per proposal. (Trajectory balance from scratch, or after the
// maximum-likelihood fit, concentrated on one k with importance ESS ≈ 0.001
// in 1500-5000 iterations. Without the local moves, 1000 maximum-likelihood
// iterations left 2000-draw chains stuck for most of their length in one
// state with 7 knots. Width 128 with 1000 iterations, the earlier default,
// takes twice the time; this setting gives 3-29% less peak-time ESS per
// draw: bench/bars_study, "GFlowNet settings".)
func DefaultGFNConfig() GFNConfig {
	t := gfn.DefaultConfig()
	t.Model.Hidden = 64
	t.Model.Components = 6
	t.Model.ConcMax = 3000
	t.BatchSize = 64
	t.Replay = gfn.Replay{Capacity: 5000, Fraction: 0.5}
	w := DefaultRJConfig()
	// The warm start as measured in bench/bars_study and bars_agreement.
	w.Burnin, w.Samples, w.Thin, w.Initial = 1000, 5000, 4, 3
	return GFNConfig{Train: t, Ordered: true, Pretrain: 500, Correct: true, WarmStart: w, LocalMoves: 2}
}

// GFNResult is a trained sampler with its draws.
type GFNResult struct {
	Chain   *Chain
	Trainer *gfn.Trainer[[]float64]
	Env     *Env
	// Bounds are the importance-sampling diagnostics of the draws (log Z
	// relative to the environment's offset).
	Bounds gfn.Bounds
	// Excluded counts draws in the region BARS excludes (discarded, or
	// rejected by the Metropolis correction).
	Excluded int
	// Proposed and Accepted count the Metropolis correction's proposals.
	Proposed, Accepted int
	// LocalProposed and LocalAccepted count the local moves.
	LocalProposed, LocalAccepted int

	local int      // local moves per proposal
	rj    RJConfig // their settings
}

// SampleGFN trains a GFlowNet on the model's posterior and draws n knot
// sets from it (TrainGFN, then Sample). progress, if non-nil, gets the
// training statistics after each iteration.
func SampleGFN(ctx context.Context, m *Model, cfg GFNConfig, n int, seed uint64, progress func(gfn.Stats)) (*GFNResult, error) {
	res, err := TrainGFN(ctx, m, cfg, seed, progress)
	if err != nil {
		return nil, err
	}
	if err := res.Sample(ctx, m, n, seed, cfg.Correct); err != nil {
		return nil, err
	}
	return res, nil
}

// TrainGFN trains a GFlowNet on the model's posterior; Sample then draws
// from it as often as wanted.
func TrainGFN(ctx context.Context, m *Model, cfg GFNConfig, seed uint64, progress func(gfn.Stats)) (*GFNResult, error) {
	env, err := NewEnv(m)
	if err != nil {
		return nil, err
	}
	env.Ordered = cfg.Ordered
	var warm *Chain
	if cfg.WarmStart.Samples > 0 {
		warm, err = warmChain(ctx, m, cfg.WarmStart, gfn.Stream(seed, 1<<40))
		if err != nil {
			return nil, fmt.Errorf("warm start: %w", err)
		}
		best := math.Inf(-1)
		for _, lp := range warm.LogPost {
			best = max(best, lp)
		}
		env.Offset = best
	}
	tc := cfg.Train
	tc.Seed = seed
	if cfg.Pretrain > 0 {
		if warm == nil {
			return nil, fmt.Errorf("pretraining needs a warm-start chain")
		}
		tc.Replay.Capacity = max(tc.Replay.Capacity, len(warm.Knots))
	}
	tr, err := gfn.NewTrainer[[]float64](env, tc)
	if err != nil {
		return nil, err
	}
	if tr.Replay != nil && warm != nil {
		for i, k := range warm.Knots {
			tr.Replay.Add(k, warm.LogPost[i]-env.Offset)
		}
	}
	if cfg.Pretrain > 0 {
		// Maximum likelihood on the chain's states, then the balance loss
		// from there (the trainer reads its Config at every iteration).
		loss, frac := tr.Config.Loss, tr.Config.Replay.Fraction
		tr.Config.Loss, tr.Config.Replay.Fraction = gfn.MLE, 1
		if err := tr.Train(ctx, cfg.Pretrain, progress); err != nil {
			return nil, err
		}
		tr.Config.Loss, tr.Config.Replay.Fraction = loss, frac
	}
	if err := tr.Train(ctx, cfg.Pretrain+cfg.Iterations, progress); err != nil {
		return nil, err
	}
	return &GFNResult{Trainer: tr, Env: env, local: cfg.LocalMoves, rj: cfg.WarmStart}, nil
}

// Sample draws n knot sets from the trained sampler into res.Chain
// (replacing earlier draws and counts): with correct, as a Metropolis-
// Hastings chain with the GFlowNet as independence proposal and the
// configured local moves between proposals (exact posterior); without, the
// sampler's own draws in the posterior's support.
// The draws depend on seed alone.
func (res *GFNResult) Sample(ctx context.Context, m *Model, n int, seed uint64, correct bool) error {
	res.Excluded, res.Proposed, res.Accepted, res.LocalProposed, res.LocalAccepted = 0, 0, 0, 0, 0
	if correct {
		return res.metropolis(ctx, m, n, seed)
	}
	return res.draw(m, n, seed)
}

// draw keeps the sampler's own draws, discarding those in the region the
// posterior excludes (they follow the sampler conditioned on the support).
func (res *GFNResult) draw(m *Model, n int, seed uint64) error {
	res.Chain = &Chain{}
	ch := res.Chain
	for round := uint64(0); len(ch.Knots) < n; round++ {
		if round > 0 && res.Excluded > 10*n {
			return fmt.Errorf("%s: %d of the GFlowNet's draws fall where BARS's posterior is zero; train longer", m.Data.Name, res.Excluded)
		}
		b, trajs := gfn.Evaluate[[]float64](res.Env, res.Trainer.Policy(), gfn.Uniform[[]float64]{}, n-len(ch.Knots), 500, seed^0xba25+round)
		if round == 0 {
			res.Bounds = b
		}
		for i := range trajs {
			k := trajs[i].Object()
			lp, f := m.logTarget(k)
			if f == nil {
				res.Excluded++
				continue
			}
			ch.Knots = append(ch.Knots, k)
			ch.LogPost = append(ch.LogPost, lp)
			ch.Fits = append(ch.Fits, f)
		}
	}
	return nil
}

// proposer is what the corrected chain needs of a trained sampler: an
// environment whose states are a fixed prefix followed by the knots, the
// forward policy on it, and the log-reward offset.
type proposer struct {
	env    gfn.Env[[]float64]
	pol    *gfn.NeuralPolicy[[]float64]
	prefix []float64
	offset float64
}

// state is the environment's state holding knots.
func (p proposer) state(knots []float64) []float64 {
	if len(p.prefix) == 0 {
		return knots
	}
	return append(slices.Clip(p.prefix), knots...)
}

// metropolis turns the sampler's draws into an exact Markov chain: an
// independence Metropolis-Hastings chain on (object, trajectory) with the
// GFlowNet as proposal, accepting a proposal with probability
// min(1, w'/w), w = R(x) P_B(tau | x) / P_F(tau), where R is the exact
// posterior (zero where BARS excludes the knot set), each step followed by
// res.local RJMCMC moves on x and a fresh tau ~ P_B(.|x). Its stationary
// distribution has the posterior as its marginal whatever the sampler's
// accuracy; the sampler's quality only sets the acceptance rate.
func (res *GFNResult) metropolis(ctx context.Context, m *Model, n int, seed uint64) error {
	return res.correct(ctx, m, proposer{env: res.Env, pol: res.Trainer.Policy(), offset: res.Env.Offset}, n, seed)
}

// correct is metropolis with the proposals of p.
func (res *GFNResult) correct(ctx context.Context, m *Model, p proposer, n int, seed uint64) error {
	env, pol := p.env, p.pol
	res.Chain = &Chain{}
	ch := res.Chain
	rng := gfn.Stream(seed, 1<<41)
	var (
		curW   = math.Inf(-1)
		cur    []float64
		curLP  float64
		curFit *Fit
	)
	const batch = 500
	for round := uint64(0); len(ch.Knots) < n; round++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		// The first round's importance weights are the sampler's
		// diagnostics (res.Bounds); later rounds only need the trajectories,
		// drawn from the same streams as Evaluate's.
		var trajs []gfn.Trajectory[[]float64]
		if round == 0 {
			res.Bounds, trajs = gfn.Evaluate[[]float64](env, pol, gfn.Uniform[[]float64]{}, batch, batch, seed^0xba25+round)
		} else {
			rngs := make([]*rand.Rand, batch)
			for i := range rngs {
				rngs[i] = gfn.Stream(seed^0xba25+round, uint64(i))
			}
			trajs = gfn.Sample[[]float64](env, pol, rngs)
		}
		lpf, lpb := gfn.TrajectoryLogProbs[[]float64](env, pol, gfn.Uniform[[]float64]{}, trajs)
		for i := range trajs {
			if len(ch.Knots) == n {
				break
			}
			res.Proposed++
			k := trajs[i].Object()[len(p.prefix):]
			lp, f := m.logTarget(k)
			w := math.Inf(-1)
			if f != nil {
				w = lp - p.offset + lpb[i] - lpf[i]
			} else {
				res.Excluded++
			}
			if !math.IsInf(w, -1) && (math.IsInf(curW, -1) || w >= curW || math.Log(rng.Float64()) < w-curW) {
				cur, curW, curLP, curFit = k, w, lp, f
				res.Accepted++
			}
			if cur == nil {
				continue // no valid state yet
			}
			if res.local > 0 {
				// Local moves on x, then a fresh trajectory tau ~ P_B(.|x):
				// both leave pi(x) P_B(tau|x) invariant.
				st := rjState{knots: cur, lp: curLP, fit: curFit}
				moved := false
				for range res.local {
					_, acc := m.rjStep(res.rj, rng, &st)
					res.LocalProposed++
					if acc {
						res.LocalAccepted++
						moved = true
					}
				}
				if moved {
					cur, curLP, curFit = st.knots, st.lp, st.fit
					tj := gfn.SampleBackward[[]float64](env, gfn.Uniform[[]float64]{}, [][]float64{p.state(cur)}, []*rand.Rand{rng})
					f, b := gfn.TrajectoryLogProbs[[]float64](env, pol, gfn.Uniform[[]float64]{}, tj)
					curW = curLP - p.offset + b[0] - f[0]
				}
			}
			ch.Knots = append(ch.Knots, cur)
			ch.LogPost = append(ch.LogPost, curLP)
			ch.Fits = append(ch.Fits, curFit)
		}
		if round > 0 && res.Accepted == 0 && res.Proposed > 20*n {
			return fmt.Errorf("%s: no GFlowNet proposal in the posterior's support after %d; train longer", m.Data.Name, res.Proposed)
		}
	}
	return nil
}
