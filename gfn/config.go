package gfn

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/goccy/go-yaml"
)

// Loss names a training objective.
type Loss string

// Training objectives.
const (
	// TB is trajectory balance (Malkin et al. 2022) with a learned log Z.
	TB Loss = "tb"
	// DB is detailed balance with a learned state flow (Bengio et al. 2023).
	DB Loss = "db"
	// MDB is modified detailed balance, for environments where every state
	// may stop (Deleu et al. 2022).
	MDB Loss = "mdb"
	// SubTB is sub-trajectory balance with geometric weights lambda^(j-i)
	// normalised within each trajectory (Madan et al. 2023).
	SubTB Loss = "subtb"
	// FM is flow matching on edge flows, for discrete environments.
	FM Loss = "fm"
	// ZVar is the log-partition variance loss (no learned log Z).
	ZVar Loss = "zvar"
	// MLE maximises log P_F(tau) - log P_B(tau | x) of trajectories traced
	// back from given objects (replay only, Replay.Fraction = 1): it fits the
	// forward policy to samples of the target, e.g. from MCMC, as a warm
	// start before a balance loss (Zhang et al. 2022, MLE-GFN with fixed or
	// learned P_B). It does not use rewards or train log Z.
	MLE Loss = "mle"
)

// Losses lists every objective.
var Losses = []Loss{TB, DB, MDB, SubTB, FM, ZVar, MLE}

// BackwardKind selects the backward policy used in training.
type BackwardKind string

// Backward policies.
const (
	// BackwardUniform removes each of a state's k backward candidates with
	// probability 1/k. Exact, no parameters.
	BackwardUniform BackwardKind = "uniform"
	// BackwardLearned scores backward candidates with the model.
	BackwardLearned BackwardKind = "learned"
	// BackwardTree sets log P_B = 0. It is correct only when every state has
	// exactly one parent (the DAG is a tree); on other environments it biases
	// the sampler, which tests use to show that the P_B factors matter.
	BackwardTree BackwardKind = "tree"
)

// Replay configures the replay buffer of terminal objects.
type Replay struct {
	// Capacity is the number of objects kept (0 disables replay).
	Capacity int `yaml:"capacity"`
	// Fraction of each batch drawn from the buffer once it holds a batch.
	Fraction float64 `yaml:"fraction"`
	// Prioritized draws objects with probability proportional to their
	// reward instead of uniformly.
	Prioritized bool `yaml:"prioritized"`
}

// Config is the full training configuration. Its YAML form goes into
// checkpoints, logs and output metadata.
type Config struct {
	Model       ModelConfig  `yaml:"model"`
	Loss        Loss         `yaml:"loss"`
	Backward    BackwardKind `yaml:"backward"`
	BatchSize   int          `yaml:"batch_size"`
	LR          float64      `yaml:"lr"`
	LRLogZ      float64      `yaml:"lr_logz"`
	WeightDecay float64      `yaml:"weight_decay"`
	ClipNorm    float64      `yaml:"clip_norm"` // <= 0: no clipping
	// Huber > 0 replaces squared residuals by the Huber function with this
	// threshold.
	Huber       float64     `yaml:"huber"`
	SubTBLambda float64     `yaml:"subtb_lambda"`
	Explore     Exploration `yaml:"explore"`
	// ExploreDecay > 0 anneals exploration linearly to on-policy over that
	// many iterations.
	ExploreDecay int    `yaml:"explore_decay"`
	Replay       Replay `yaml:"replay"`
	Seed         uint64 `yaml:"seed"`
	// Workers evaluates rewards in parallel (0: GOMAXPROCS). Results do not
	// depend on it.
	Workers int `yaml:"workers"`
}

// DefaultConfig is trajectory balance with an MLP 256x2, batch 128, Adam at
// 1e-3 and 0.1 for log Z, uniform backward policy: torchgfn's HyperGrid
// settings.
func DefaultConfig() Config {
	return Config{
		Model:       DefaultModelConfig(),
		Loss:        TB,
		Backward:    BackwardUniform,
		BatchSize:   128,
		LR:          1e-3,
		LRLogZ:      0.1,
		ClipNorm:    10,
		SubTBLambda: 0.9,
		Seed:        1,
	}
}

// Validate reports every invalid setting.
func (c Config) Validate() error {
	var errs []error
	if err := c.Model.Validate(); err != nil {
		errs = append(errs, err)
	}
	switch c.Loss {
	case TB, DB, MDB, SubTB, FM, ZVar:
	case MLE:
		if c.Replay.Capacity < 1 || c.Replay.Fraction != 1 {
			errs = append(errs, errors.New("the mle loss learns from stored objects only: it needs a replay buffer and replay fraction 1"))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown loss %q (want one of tb, db, mdb, subtb, fm, zvar, mle)", string(c.Loss)))
	}
	switch c.Backward {
	case BackwardUniform, BackwardLearned, BackwardTree:
	default:
		errs = append(errs, fmt.Errorf("unknown backward policy %q (want uniform, learned or tree)", string(c.Backward)))
	}
	if c.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("batch size %d must be at least 1", c.BatchSize))
	}
	if !(c.LR > 0) || !(c.LRLogZ >= 0) {
		errs = append(errs, fmt.Errorf("learning rates (%g, log Z %g) must be positive", c.LR, c.LRLogZ))
	}
	if c.WeightDecay < 0 {
		errs = append(errs, fmt.Errorf("weight decay %g must be non-negative", c.WeightDecay))
	}
	if c.Huber < 0 {
		errs = append(errs, fmt.Errorf("huber threshold %g must be non-negative", c.Huber))
	}
	if c.Loss == SubTB && !(c.SubTBLambda > 0) {
		errs = append(errs, fmt.Errorf("subtb lambda %g must be positive", c.SubTBLambda))
	}
	if err := c.Explore.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.ExploreDecay < 0 {
		errs = append(errs, fmt.Errorf("explore decay %d must be non-negative", c.ExploreDecay))
	}
	if c.Replay.Capacity < 0 || c.Replay.Fraction < 0 || c.Replay.Fraction > 1 {
		errs = append(errs, fmt.Errorf("replay capacity %d and fraction %g must be non-negative, fraction at most 1", c.Replay.Capacity, c.Replay.Fraction))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("workers %d must be non-negative", c.Workers))
	}
	return errors.Join(errs...)
}

// YAML returns the configuration as YAML.
func (c Config) YAML() string {
	b, err := yaml.Marshal(c)
	if err != nil {
		panic(err) // plain struct: cannot fail
	}
	return string(b)
}

// ParseConfig decodes a YAML configuration strictly (unknown fields are
// errors) over the defaults, and validates it.
func ParseConfig(b []byte) (Config, error) {
	c := DefaultConfig()
	if err := yaml.UnmarshalWithOptions(b, &c, yaml.Strict()); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

func (c Config) workers() int {
	if c.Workers > 0 {
		return c.Workers
	}
	return runtime.GOMAXPROCS(0)
}
