package bars

import (
	"context"
	"fmt"

	"github.com/neurogfn/neurogfn/gfn"
)

// Samplers of the knot posterior.
const (
	SamplerGFN    = "gfn"
	SamplerRJMCMC = "rjmcmc"
)

// FitConfig is everything a fit of one PSTH needs besides the data and
// the seed.
type FitConfig struct {
	Sampler string    `yaml:"sampler"` // SamplerGFN or SamplerRJMCMC
	Samples int       `yaml:"samples"` // posterior draws kept
	Fine    int       `yaml:"fine"`    // points of the fine time grid (BARS: 500)
	Prior   KPrior    `yaml:"prior"`
	RJMCMC  RJConfig  `yaml:"rjmcmc"` // its Samples is replaced by Samples
	GFN     GFNConfig `yaml:"gfn"`
	// NoSpikeRule samples BARS's own target, without the rule that
	// excludes knot sets whose fit spikes between bin centres (see Model).
	NoSpikeRule bool `yaml:"no_spike_rule"`
}

// DefaultFitConfig is BARS's default run (2000 draws, uniform prior on
// 1..60 knots, 500 grid points) with the GFlowNet sampler (see
// DefaultGFNConfig).
func DefaultFitConfig() FitConfig {
	return FitConfig{
		Sampler: SamplerGFN, Samples: 2000, Fine: 500, Prior: DefaultPrior(),
		RJMCMC: DefaultRJConfig(), GFN: DefaultGFNConfig(),
	}
}

// Validate reports invalid settings.
func (c FitConfig) Validate() error {
	switch {
	case c.Sampler != SamplerGFN && c.Sampler != SamplerRJMCMC:
		return fmt.Errorf("unknown sampler %q (want gfn or rjmcmc)", c.Sampler)
	case c.Samples < 2:
		return fmt.Errorf("%d samples; need at least 2 for intervals", c.Samples)
	case c.Fine < 3:
		return fmt.Errorf("fine grid of %d points; need at least 3", c.Fine)
	}
	if err := c.Prior.Validate(); err != nil {
		return err
	}
	rj := c.RJMCMC
	rj.Samples = c.Samples
	return rj.Validate()
}

// FitResult is a fitted PSTH: the model, the posterior draws (knots,
// coefficients drawn around each knot set's fit, rate curves and peaks)
// and their summary.
type FitResult struct {
	Model  *Model
	Curves *Curves
	// Draws are in sampling order; Draws[i].Rate holds the rate at the bin
	// centres followed by the fine grid (Curves.Grid).
	Draws   []Draw
	Summary Summary
	Chain   *Chain
	GFN     *GFNResult // nil for RJMCMC
}

// FitPSTH samples the BARS posterior of p with the configured sampler and
// summarises it. The draws depend on seed alone: the sampler uses seed,
// and the coefficient draws those of DrawChain. progress, if
// non-nil, gets short progress messages.
func FitPSTH(ctx context.Context, p *PSTH, cfg FitConfig, seed uint64, progress func(string)) (*FitResult, error) {
	if progress == nil {
		progress = func(string) {}
	}
	res, err := newFit(p, cfg)
	if err != nil {
		return nil, err
	}
	m := res.Model
	switch cfg.Sampler {
	case SamplerRJMCMC:
		rj := cfg.RJMCMC
		rj.Samples = cfg.Samples
		res.Chain, err = RJMCMC(ctx, m, rj, gfn.Stream(seed, 0), func(done, total int) {
			if done%10000 == 0 {
				progress(fmt.Sprintf("rjmcmc: %d of %d iterations", done, total))
			}
		})
	case SamplerGFN:
		iters := cfg.GFN.Pretrain + cfg.GFN.Iterations
		res.GFN, err = SampleGFN(ctx, m, cfg.GFN, cfg.Samples, seed, func(s gfn.Stats) {
			if s.Step%100 == 0 || s.Step == iters {
				progress(fmt.Sprintf("gfn: training iteration %d of %d, loss %.4g", s.Step, iters, s.Loss))
			}
		})
		if err == nil {
			res.Chain = res.GFN.Chain
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Name, err)
	}
	if err := res.summarize(ctx, cfg.Fine, seed); err != nil {
		return nil, err
	}
	return res, nil
}

// newFit checks cfg and returns the fit's model of p (with cfg's prior and
// spike rule) and curves, before sampling.
func newFit(p *PSTH, cfg FitConfig) (*FitResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := NewModel(p, cfg.Prior)
	if err != nil {
		return nil, err
	}
	m.NoSpikeRule = cfg.NoSpikeRule
	return &FitResult{Model: m, Curves: NewCurves(m, cfg.Fine)}, nil
}

// summarize draws the coefficients of the chain's states and summarises
// the draws.
func (res *FitResult) summarize(ctx context.Context, fine int, seed uint64) error {
	var err error
	if res.Draws, err = DrawChain(ctx, res.Model, fine, res.Chain, seed); err != nil {
		return fmt.Errorf("%s: %w", res.Model.Data.Name, err)
	}
	res.Summary = res.Curves.Summarize(res.Draws)
	return nil
}

// Fit is FitPSTH with the amortised sampler in place of cfg's: cfg gives
// the number of draws, the fine grid and the spike rule, and its prior
// must be the one a was trained with.
func (a *AmortisedGFN) Fit(ctx context.Context, p *PSTH, cfg FitConfig, seed uint64) (*FitResult, error) {
	res, err := newFit(p, cfg)
	if err != nil {
		return nil, err
	}
	if res.GFN, err = a.Sample(ctx, res.Model, cfg.Samples, seed); err != nil {
		return nil, fmt.Errorf("%s: %w", p.Name, err)
	}
	res.Chain = res.GFN.Chain
	if err := res.summarize(ctx, cfg.Fine, seed); err != nil {
		return nil, err
	}
	return res, nil
}

// drawBlock is the number of consecutive chain states whose coefficient
// draws share one random stream in DrawChain.
const drawBlock = 250

// DrawChain turns a chain's kept states into posterior draws (coefficients
// around each state's fit, rate curves on the bin centres and a grid of
// fine points, peaks). States are drawn in blocks of 250, block b with the
// random stream gfn.Stream(seed, 1+b·2²⁰), on up to GOMAXPROCS goroutines;
// the draws do not depend on how many run.
func DrawChain(ctx context.Context, m *Model, fine int, ch *Chain, seed uint64) ([]Draw, error) {
	n := len(ch.Knots)
	draws := make([]Draw, n)
	blocks := (n + drawBlock - 1) / drawBlock
	errs := make([]error, blocks)
	parallel(blocks, func() func(int) {
		cv := NewCurves(m, fine)
		return func(b int) {
			if errs[b] = ctx.Err(); errs[b] != nil {
				return
			}
			rng := gfn.Stream(seed, 1+uint64(b)<<20)
			for i := b * drawBlock; i < min(n, (b+1)*drawBlock); i++ {
				if draws[i], errs[b] = cv.Draw(ch.Knots[i], ch.LogPost[i], ch.Fits[i], rng); errs[b] != nil {
					errs[b] = fmt.Errorf("draw %d: %w", i, errs[b])
					return
				}
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return draws, nil
}
