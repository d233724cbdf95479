package bars

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/gfn/nn"
)

// Population is the BARS posteriors of several PSTHs as one GFlowNet
// environment, so that one policy learns them all and can then propose knot
// sets for PSTHs it has never seen (amortised inference). A state is the
// PSTH's index in the population followed by a knot set, built left to
// right as in an Ordered Env. The policy sees that PSTH's knot-set features
// followed by a summary of the PSTH itself (psthContext), never the index.
type Population struct {
	Envs []*Env
	ctx  [][]float64
	spec gfn.Spec
}

// contextDim is the length of psthContext's summary.
const contextDim = 2*contextSegments + 1

// contextSegments is the number of segments of the unit interval on which
// psthContext summarises the rate.
const contextSegments = 32

// NewPopulation wraps the models, which must share their prior on k (so
// that their knot-set features have the same length).
func NewPopulation(models []*Model) (*Population, error) {
	if len(models) == 0 {
		return nil, fmt.Errorf("bars: a population needs at least one PSTH")
	}
	p := &Population{}
	for _, m := range models {
		e, err := NewEnv(m)
		if err != nil {
			return nil, err
		}
		e.Ordered = true
		if len(p.Envs) > 0 && e.Spec() != p.Envs[0].Spec() {
			return nil, fmt.Errorf("bars: %s allows up to %d knots, %s %d; a population needs one prior on k", m.Data.Name, e.maxK, p.Envs[0].Model.Data.Name, p.Envs[0].maxK)
		}
		p.Envs = append(p.Envs, e)
		p.ctx = append(p.ctx, psthContext(m.Data))
	}
	p.spec = p.Envs[0].Spec()
	p.spec.StateDim += contextDim
	return p, nil
}

// psthContext summarises a PSTH for the policy, independently of its bin
// width, number of trials and window: log(1 + rate) averaged over
// contextSegments equal segments of the unit interval, less its mean; the
// differences of neighbouring segments, doubled; and the mean log rate and
// log(1 + total count), scaled to order one.
func psthContext(d *PSTH) []float64 {
	n := d.Bins()
	sum := make([]float64, contextSegments)
	bins := make([]float64, contextSegments)
	total := 0.0
	for i, c := range d.Count {
		j := min(i*contextSegments/n, contextSegments-1)
		sum[j] += c
		bins[j]++
		total += c
	}
	lr := make([]float64, contextSegments)
	mean := 0.0
	for j := range lr {
		if bins[j] == 0 { // fewer bins than segments: the bin under the segment's centre
			sum[j], bins[j] = d.Count[min((2*j+1)*n/(2*contextSegments), n-1)], 1
		}
		rate := sum[j] / bins[j] / (float64(d.Trials) * d.BinWidth)
		lr[j] = math.Log1p(rate)
		mean += lr[j] / contextSegments
	}
	out := make([]float64, 0, contextDim)
	for _, v := range lr {
		out = append(out, v-mean)
	}
	for j := 1; j < contextSegments; j++ {
		out = append(out, 2*(lr[j]-lr[j-1]))
	}
	return append(out, mean/5, math.Log1p(total)/10)
}

func (p *Population) split(s []float64) (*Env, []float64) { return p.Envs[int(s[0])], s[1:] }

// withIndex returns the state of PSTH id with the given knots.
func withIndex(id float64, knots []float64) []float64 {
	return append(append(make([]float64, 0, len(knots)+1), id), knots...)
}

// Spec implements gfn.Env.
func (p *Population) Spec() gfn.Spec { return p.spec }

// Init implements gfn.Env: the first PSTH with no knots. The trainer
// learns from the PSTHs' own chains (maximum likelihood on replayed
// states), so it never starts from Init; a one-PSTH population samples its
// PSTH.
func (p *Population) Init() []float64 { return []float64{0} }

// Features implements gfn.Env: the knot-set features, then the PSTH's
// summary.
func (p *Population) Features(s []float64, dst []float64) {
	e, k := p.split(s)
	d := len(dst) - contextDim
	e.Features(k, dst[:d])
	copy(dst[d:], p.ctx[int(s[0])])
}

// Elements implements gfn.SetEnv.
func (p *Population) Elements(s []float64, dst []float64) []float64 {
	e, k := p.split(s)
	return e.Elements(k, dst)
}

// Forward implements gfn.Env.
func (p *Population) Forward(s []float64, dst []gfn.Candidate) []gfn.Candidate {
	e, k := p.split(s)
	return e.Forward(k, dst)
}

// Step implements gfn.Env.
func (p *Population) Step(s []float64, a gfn.Action) ([]float64, int) {
	e, k := p.split(s)
	next, back := e.Step(k, a)
	return withIndex(s[0], next), back
}

// Backward implements gfn.Env.
func (p *Population) Backward(s []float64, dst []gfn.Candidate) []gfn.Candidate {
	e, k := p.split(s)
	return e.Backward(k, dst)
}

// Undo implements gfn.Env.
func (p *Population) Undo(s []float64, i int) ([]float64, gfn.Action) {
	e, k := p.split(s)
	parent, a := e.Undo(k, i)
	return withIndex(s[0], parent), a
}

// LogReward implements gfn.Env.
func (p *Population) LogReward(s []float64) float64 {
	e, k := p.split(s)
	return e.LogReward(k)
}

// DefaultAmortisedConfig is the amortised sampler's setting: the single-PSTH
// default (GFNConfig) with shorter warm-start chains (1000 states per
// training PSTH) and 4000 maximum-likelihood iterations over them all.
func DefaultAmortisedConfig() GFNConfig {
	c := DefaultGFNConfig()
	c.WarmStart.Samples = 1000
	c.Pretrain = 4000
	return c
}

// AmortisedGFN is one GFlowNet sampler of the BARS posterior trained on a
// population of PSTHs, for any PSTH with the same prior on k. Its draws
// are exact whatever the PSTH: they are Metropolis-corrected as in
// GFNResult, so how well the policy has learnt a PSTH like it only sets
// the acceptance rate.
type AmortisedGFN struct {
	Trainer *gfn.Trainer[[]float64]
	Prior   KPrior
	// TrainSeconds is the wall time of the warm-start chains and the
	// training.
	TrainSeconds float64
	cfg          GFNConfig
	spec         gfn.Spec
}

// Config is the setting the sampler was trained with.
func (a *AmortisedGFN) Config() GFNConfig { return a.cfg }

// TrainAmortised fits one policy to the posteriors of the given PSTHs:
// a short RJMCMC chain per PSTH (cfg.WarmStart, in parallel, PSTH i with
// the random stream gfn.Stream(seed, 1<<40+i)), then cfg.Pretrain
// maximum-likelihood iterations on all their states. The result depends on
// seed and the PSTHs (in order) alone.
func TrainAmortised(ctx context.Context, psths []*PSTH, prior KPrior, noSpikeRule bool, cfg GFNConfig, seed uint64, progress func(gfn.Stats)) (*AmortisedGFN, error) {
	start := time.Now()
	if cfg.WarmStart.Samples <= 0 || cfg.Pretrain <= 0 {
		return nil, fmt.Errorf("bars: amortised training needs warm-start chains and maximum-likelihood iterations (got %d states, %d iterations)", cfg.WarmStart.Samples, cfg.Pretrain)
	}
	models := make([]*Model, len(psths))
	for i, d := range psths {
		m, err := NewModel(d, prior)
		if err != nil {
			return nil, err
		}
		m.NoSpikeRule = noSpikeRule
		models[i] = m
	}
	pop, err := NewPopulation(models)
	if err != nil {
		return nil, err
	}
	chains := make([]*Chain, len(models))
	errs := make([]error, len(models))
	parallel(len(models), func() func(int) {
		return func(i int) {
			chains[i], errs[i] = warmChain(ctx, models[i], cfg.WarmStart, gfn.Stream(seed, 1<<40+uint64(i)))
		}
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s: warm start: %w", psths[i].Name, err)
		}
	}
	tr, err := gfn.NewTrainer[[]float64](pop, amortisedTrainConfig(cfg, seed, len(models)*cfg.WarmStart.Samples))
	if err != nil {
		return nil, err
	}
	for i, ch := range chains {
		for j, k := range ch.Knots {
			tr.Replay.Add(withIndex(float64(i), k), ch.LogPost[j]-pop.Envs[i].Offset)
		}
	}
	if err := tr.Train(ctx, cfg.Pretrain, progress); err != nil {
		return nil, err
	}
	return &AmortisedGFN{Trainer: tr, Prior: prior, TrainSeconds: time.Since(start).Seconds(), cfg: cfg, spec: pop.spec}, nil
}

// Sample draws n knot sets from the posterior of m by the Metropolis-
// corrected chain of GFNResult.Sample, with the amortised policy as
// proposal. The draws depend on seed alone; Sample may run concurrently
// for different PSTHs.
func (a *AmortisedGFN) Sample(ctx context.Context, m *Model, n int, seed uint64) (*GFNResult, error) {
	if m.Prior != a.Prior {
		return nil, fmt.Errorf("%s: the amortised sampler was trained with the prior %v on k, not %v", m.Data.Name, a.Prior, m.Prior)
	}
	pop, err := NewPopulation([]*Model{m})
	if err != nil {
		return nil, err
	}
	if pop.spec != a.spec {
		return nil, fmt.Errorf("%s: the amortised sampler was trained for states of %d features, not %d", m.Data.Name, a.spec.StateDim, pop.spec.StateDim)
	}
	env := pop.Envs[0]
	res := &GFNResult{Trainer: a.Trainer, Env: env, local: a.cfg.LocalMoves, rj: a.cfg.WarmStart}
	p := proposer{env: pop, pol: gfn.NewPolicy[[]float64](pop, a.Trainer.Model), prefix: []float64{0}, offset: env.Offset}
	if err := res.correct(ctx, m, p, n, seed); err != nil {
		return nil, err
	}
	return res, nil
}

// amortisedMagic starts a saved amortised sampler.
const amortisedMagic = "NGFN-BARS-AMORTISED-1\n"

// amortisedHeader is the JSON line after the magic: what a loaded sampler
// must be rebuilt with.
type amortisedHeader struct {
	Config       string   `json:"config"` // GFNConfig as YAML
	Prior        KPrior   `json:"prior"`
	Spec         gfn.Spec `json:"spec"`
	TrainSeconds float64  `json:"train_seconds"`
}

// Save writes the sampler (its settings, prior and network parameters,
// then a CRC-32 of all of it) for LoadAmortised, so that a policy trained on
// one population can sample others.
func (a *AmortisedGFN) Save(w io.Writer) error {
	cfg, err := yaml.Marshal(a.cfg)
	if err != nil {
		return err
	}
	h, err := json.Marshal(amortisedHeader{Config: string(cfg), Prior: a.Prior, Spec: a.spec, TrainSeconds: a.TrainSeconds})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(amortisedMagic)
	buf.Write(h)
	buf.WriteByte('\n')
	if err := nn.SaveParams(&buf, a.Trainer.Model.Params()); err != nil {
		return err
	}
	buf.Write(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(buf.Bytes())))
	_, err = w.Write(buf.Bytes())
	return err
}

// ErrAmortisedFile reports a file that is not a saved amortised sampler, or
// a damaged one.
var ErrAmortisedFile = errors.New("not a saved amortised BARS sampler")

// LoadAmortised reads a sampler written by AmortisedGFN.Save.
func LoadAmortised(r io.Reader) (*AmortisedGFN, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(data) < len(amortisedMagic)+4 || string(data[:len(amortisedMagic)]) != amortisedMagic {
		return nil, fmt.Errorf("%w: wrong magic", ErrAmortisedFile)
	}
	body := data[:len(data)-4]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, fmt.Errorf("%w: checksum mismatch (truncated or corrupted)", ErrAmortisedFile)
	}
	rest := body[len(amortisedMagic):]
	line, params, ok := bytes.Cut(rest, []byte{'\n'})
	if !ok {
		return nil, fmt.Errorf("%w: no header", ErrAmortisedFile)
	}
	var h amortisedHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrAmortisedFile, err)
	}
	var cfg GFNConfig
	if err := yaml.Unmarshal([]byte(h.Config), &cfg); err != nil {
		return nil, fmt.Errorf("%w: settings: %v", ErrAmortisedFile, err)
	}
	if err := h.Prior.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAmortisedFile, err)
	}
	// The trainer only sizes the network from the environment's spec; the
	// population it is built on holds no PSTH.
	tr, err := gfn.NewTrainer[[]float64](&Population{spec: h.Spec}, amortisedTrainConfig(cfg, 1, 1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAmortisedFile, err)
	}
	if err := nn.LoadParams(bytes.NewReader(params), tr.Model.Params()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAmortisedFile, err)
	}
	return &AmortisedGFN{Trainer: tr, Prior: h.Prior, TrainSeconds: h.TrainSeconds, cfg: cfg, spec: h.Spec}, nil
}

// amortisedTrainConfig is the trainer setting of TrainAmortised: maximum
// likelihood on replayed states only.
func amortisedTrainConfig(cfg GFNConfig, seed uint64, states int) gfn.Config {
	tc := cfg.Train
	tc.Seed = seed
	tc.Loss, tc.Replay.Fraction = gfn.MLE, 1
	tc.Replay.Capacity = states
	return tc
}
