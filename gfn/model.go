package gfn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/neurogfn/neurogfn/gfn/nn"
)

// ModelConfig sets the shape of the policy network.
type ModelConfig struct {
	// Encoder is "mlp" (state features only) or "deepsets": a
	// permutation-invariant set encoder rho([sum_e phi(e), features]) over
	// the elements of a SetEnv.
	Encoder    string        `yaml:"encoder"`
	Hidden     int           `yaml:"hidden"`     // width of the state encoder
	Layers     int           `yaml:"layers"`     // hidden layers of the state encoder
	Activation nn.Activation `yaml:"activation"` // encoder nonlinearity
	Components int           `yaml:"components"` // Beta mixture components per continuous value
	// ConcMin and ConcMax bound the Beta concentrations (interpolated on the
	// log scale, see contParams).
	ConcMin float64 `yaml:"conc_min"`
	ConcMax float64 `yaml:"conc_max"`
	// Flow adds a log state-flow head log F(s) (detailed and
	// sub-trajectory balance).
	Flow bool `yaml:"flow"`
	// LearnedBackward adds a backward candidate scorer (learned P_B).
	LearnedBackward bool `yaml:"learned_backward"`
}

// DefaultModelConfig is an MLP 256x2 with ReLU and a 2-component Beta
// mixture with concentrations in [1, 100].
func DefaultModelConfig() ModelConfig {
	return ModelConfig{Encoder: EncoderMLP, Hidden: 256, Layers: 2, Activation: nn.ReLU, Components: 2, ConcMin: 1, ConcMax: 100}
}

// State encoders.
const (
	EncoderMLP      = "mlp"
	EncoderDeepSets = "deepsets"
)

// Validate reports an invalid configuration.
func (c ModelConfig) Validate() error {
	var errs []error
	if c.Encoder != EncoderMLP && c.Encoder != EncoderDeepSets {
		errs = append(errs, fmt.Errorf("unknown encoder %q (want mlp or deepsets)", c.Encoder))
	}
	if c.Hidden < 1 {
		errs = append(errs, fmt.Errorf("hidden width %d must be at least 1", c.Hidden))
	}
	if c.Layers < 1 {
		errs = append(errs, fmt.Errorf("layers %d must be at least 1", c.Layers))
	}
	if !c.Activation.Valid() {
		errs = append(errs, fmt.Errorf("unknown activation %q", string(c.Activation)))
	}
	if c.Components < 1 {
		errs = append(errs, fmt.Errorf("mixture components %d must be at least 1", c.Components))
	}
	if !(c.ConcMin > 0 && c.ConcMax > c.ConcMin) {
		errs = append(errs, fmt.Errorf("concentration bounds [%g, %g] must satisfy 0 < min < max", c.ConcMin, c.ConcMax))
	}
	return errors.Join(errs...)
}

// Model is the policy network shared by the forward policy, the backward
// policy and the flow estimators. A state encoder maps state features to
// h(s); each forward candidate c gets the logit c · (W h(s) + b) (a bilinear
// score, so a fixed action space with one-hot features is an ordinary
// linear output layer, and a variable candidate set needs no change of
// network size); the chosen candidate's continuous values come from a Beta
// mixture whose parameters are an affine function of [h(s), c].
type Model struct {
	Config ModelConfig
	Spec   Spec

	Encoder *nn.MLP    // rho: state features (and pooled elements) -> h
	Element *nn.MLP    // phi: element features -> Hidden, nil for the MLP encoder
	Score   *nn.Linear // h -> CandidateDim
	Cont    *nn.Linear // [h, c] -> 3*Components*ContDim, nil without continuous candidates
	Flow    *nn.Linear // h -> 1, nil unless Config.Flow
	Back    *nn.Linear // h -> BackwardDim, nil unless Config.LearnedBackward
	LogZ    *nn.Param  // 1x1, group "logz"
}

// NewModel initialises a model for spec with weights drawn from rng.
func NewModel(spec Spec, cfg ModelConfig, rng *rand.Rand) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if spec.StateDim < 1 || spec.CandidateDim < 1 || spec.ContDim < 0 || spec.BackwardDim < 0 {
		return nil, fmt.Errorf("gfn: invalid environment spec %+v", spec)
	}
	if cfg.LearnedBackward && spec.BackwardDim < 1 {
		return nil, errors.New("gfn: a learned backward policy needs backward candidate features (BackwardDim >= 1)")
	}
	in := spec.StateDim
	m := &Model{Config: cfg, Spec: spec}
	if cfg.Encoder == EncoderDeepSets {
		if spec.ElementDim < 1 {
			return nil, errors.New("gfn: the deepsets encoder needs a set environment (Spec.ElementDim >= 1)")
		}
		m.Element = nn.NewMLP("element", []int{spec.ElementDim, cfg.Hidden, cfg.Hidden}, cfg.Activation, rng)
		in += cfg.Hidden
	}
	sizes := []int{in}
	for range cfg.Layers {
		sizes = append(sizes, cfg.Hidden)
	}
	m.Encoder = nn.NewMLP("encoder", sizes, cfg.Activation, rng)
	m.Score = nn.NewLinear("score", cfg.Hidden, spec.CandidateDim, rng)
	if spec.ContDim > 0 {
		m.Cont = nn.NewLinear("cont", cfg.Hidden+spec.CandidateDim, 3*cfg.Components*spec.ContDim, rng)
	}
	if cfg.Flow {
		m.Flow = nn.NewLinear("flow", cfg.Hidden, 1, rng)
	}
	if cfg.LearnedBackward {
		m.Back = nn.NewLinear("back", cfg.Hidden, spec.BackwardDim, rng)
	}
	m.LogZ = nn.NewParam("logz", 1, 1)
	m.LogZ.Group = "logz"
	return m, nil
}

// Params lists every parameter, log Z last.
func (m *Model) Params() []*nn.Param {
	ps := m.Encoder.Params()
	if m.Element != nil {
		ps = append(ps, m.Element.Params()...)
	}
	ps = append(ps, m.Score.Params()...)
	for _, l := range []*nn.Linear{m.Cont, m.Flow, m.Back} {
		if l != nil {
			ps = append(ps, l.Params()...)
		}
	}
	return append(ps, m.LogZ)
}

// encode returns h(s) for the batch's states. States with identical
// features (every trajectory's s0, revisited grid cells) are encoded once.
func (m *Model) encode(t *nn.Tape, b *batch) *nn.Node {
	x := t.Const(tensor(b.nu, b.spec.StateDim, b.ux))
	if m.Element != nil {
		// DeepSets: phi on every element, summed per state (empty sets
		// give zeros), then rho on [pooled, state features].
		e := t.Const(tensor(len(b.eRow), b.spec.ElementDim, b.eFeat))
		phi := m.Config.Activation.Apply(t, m.Element.Forward(t, e))
		x = t.ConcatCols(t.SegmentSum(phi, b.eRow, b.nu), x)
	}
	h := m.Config.Activation.Apply(t, m.Encoder.Forward(t, x))
	if b.nu == b.n {
		return h
	}
	return t.GatherRows(h, b.uniq)
}

// logits returns the raw score of every forward candidate (flat, one per
// candidate).
func (m *Model) logits(t *nn.Tape, b *batch, h *nn.Node) *nn.Node {
	u := m.Score.Forward(t, h)
	return t.RowDot(u, b.cRow, tensor(len(b.cands), b.spec.CandidateDim, b.cFeat))
}

// contParams returns, for the continuous coordinates of the batch's chosen
// actions, the mixture logits, alpha and beta (each q x Components).
func (m *Model) contParams(t *nn.Tape, b *batch, h *nn.Node) (w, alpha, beta *nn.Node) {
	k := m.Config.Components
	rows := make([]int, len(b.kAct))
	for i, a := range b.kAct {
		rows[i] = b.fRow[a]
	}
	in := t.ConcatCols(t.GatherRows(h, rows), t.Const(tensor(len(rows), b.spec.CandidateDim, b.kFeat)))
	out := m.Cont.Forward(t, in)
	out = t.Reshape(out, len(rows)*m.Spec.ContDim, 3*k)
	out = t.GatherRows(out, b.qBlock)
	// Concentrations are interpolated on the log scale,
	// alpha = ConcMin·(ConcMax/ConcMin)^sigmoid(raw - shift), with the shift
	// putting an untrained head (raw ≈ 0) near alpha = 2: a broad initial
	// density whatever ConcMax allows later, so that high ConcMax (sharp
	// posteriors) does not start the policy as a spike at the interval's
	// middle.
	lo, hi := math.Log(m.Config.ConcMin), math.Log(m.Config.ConcMax)
	s0 := min(max((math.Log(2)-lo)/(hi-lo), 0.01), 0.99)
	shift := math.Log(s0 / (1 - s0))
	conc := func(raw *nn.Node) *nn.Node {
		return t.Exp(t.AddScalar(t.Scale(hi-lo, t.Sigmoid(t.AddScalar(raw, -shift))), lo))
	}
	return t.SliceCols(out, 0, k), conc(t.SliceCols(out, k, 2*k)), conc(t.SliceCols(out, 2*k, 3*k))
}

// forwardLogProb returns log P_F of each chosen forward action of the batch
// (len(b.fRow) x 1), and the per-candidate log-probabilities.
func (m *Model) forwardLogProb(t *nn.Tape, b *batch, h *nn.Node) (chosen, logp, logits *nn.Node) {
	logits = m.logits(t, b, h)
	logp = t.SegmentLogSoftmax(logits, b.cStart, nil)
	chosen = t.Gather(logp, b.fFlat)
	if len(b.qY) > 0 {
		w, alpha, beta := m.contParams(t, b, h)
		cont := t.BetaMixtureLogProb(w, alpha, beta, b.qY)
		chosen = t.Add(chosen, t.SegmentSum(cont, b.qAct, len(b.fRow)))
	}
	jac := false
	for _, j := range b.fJac {
		if j != 0 {
			jac = true
			break
		}
	}
	if jac {
		chosen = t.Add(chosen, t.Const(tensor(len(b.fJac), 1, b.fJac)))
	}
	return chosen, logp, logits
}

// backwardLogProb returns log P_B of each chosen backward candidate
// (len(b.bRow) x 1) under the learned backward scorer.
func (m *Model) backwardLogProb(t *nn.Tape, b *batch, h *nn.Node) *nn.Node {
	v := m.Back.Forward(t, h)
	nb := len(b.bBRow)
	logits := t.RowDot(v, b.bBRow, tensor(nb, b.spec.BackwardDim, b.bFeat))
	// Rows without backward candidates form empty segments.
	logp := t.SegmentLogSoftmax(logits, b.bStart, nil)
	return t.Gather(logp, b.bFlat)
}

// logFlow returns log F(s) for every state of the batch (n x 1).
func (m *Model) logFlow(t *nn.Tape, h *nn.Node) *nn.Node {
	return m.Flow.Forward(t, h)
}
