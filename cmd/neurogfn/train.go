package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/gfn/nn"
	"github.com/neurogfn/neurogfn/parquetout"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// trainFlags are the training options shared by every train command.
type trainFlags struct {
	configFile      string
	loss            string
	backward        string
	activation      string
	iterations      int
	checkpoint      string
	checkpointEvery int
	resume          bool
	json            bool
	progressEvery   int
	cfg             gfn.Config
}

func (f *trainFlags) register(fs *pflag.FlagSet, defaults gfn.Config) {
	f.cfg = defaults
	c := &f.cfg
	fs.StringVar(&f.configFile, "config", "", "YAML training configuration (flags given explicitly override it)")
	fs.StringVar(&f.loss, "loss", string(defaults.Loss), "objective: tb, db, mdb, subtb, fm or zvar")
	fs.StringVar(&f.backward, "backward", string(defaults.Backward), "backward policy: uniform or learned")
	fs.StringVar(&f.activation, "activation", string(defaults.Model.Activation), "encoder activation: relu, leaky_relu, elu or tanh")
	fs.IntVar(&c.BatchSize, "batch-size", defaults.BatchSize, "trajectories per iteration")
	fs.IntVar(&f.iterations, "iterations", 1000, "training iterations")
	fs.Uint64Var(&c.Seed, "seed", defaults.Seed, "random seed (same seed, same result)")
	fs.IntVar(&c.Model.Hidden, "hidden", defaults.Model.Hidden, "width of the state encoder")
	fs.IntVar(&c.Model.Layers, "layers", defaults.Model.Layers, "hidden layers of the state encoder")
	fs.Float64Var(&c.LR, "lr", defaults.LR, "policy learning rate (Adam)")
	fs.Float64Var(&c.LRLogZ, "lr-logz", defaults.LRLogZ, "learning rate of log Z")
	fs.Float64Var(&c.WeightDecay, "weight-decay", defaults.WeightDecay, "decoupled weight decay (AdamW)")
	fs.Float64Var(&c.ClipNorm, "clip-norm", defaults.ClipNorm, "gradient-norm clipping threshold (0: off)")
	fs.Float64Var(&c.Huber, "huber", defaults.Huber, "Huber threshold for residuals (0: squared)")
	fs.Float64Var(&c.SubTBLambda, "subtb-lambda", defaults.SubTBLambda, "sub-trajectory balance weight lambda")
	fs.Float64Var(&c.Explore.Epsilon, "epsilon", 0, "probability of a uniformly random action while sampling")
	fs.Float64Var(&c.Explore.Temperature, "temperature", 0, "logit temperature while sampling (0 or 1: none)")
	fs.Float64Var(&c.Explore.Widen, "widen", 0, "probability of a uniform continuous value while sampling")
	fs.IntVar(&c.ExploreDecay, "explore-decay", 0, "iterations over which exploration anneals to on-policy (0: constant)")
	fs.IntVar(&c.Replay.Capacity, "replay-capacity", 0, "replay buffer size in objects (0: off)")
	fs.Float64Var(&c.Replay.Fraction, "replay-fraction", 0.5, "fraction of each batch replayed once the buffer is full enough")
	fs.BoolVar(&c.Replay.Prioritized, "replay-prioritized", false, "replay objects in proportion to their reward")
	fs.IntVar(&c.Workers, "workers", 0, "goroutines for reward evaluation (0: all cores; results do not depend on it)")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "checkpoint file (written every --checkpoint-every iterations, at the end, and on Ctrl-C)")
	fs.IntVar(&f.checkpointEvery, "checkpoint-every", 0, "iterations between checkpoints (0: only at the end and on interrupt)")
	fs.BoolVar(&f.resume, "resume", false, "resume from --checkpoint")
	fs.BoolVar(&f.json, "json", false, "print a JSON summary as the last line of stdout")
	fs.IntVar(&f.progressEvery, "progress-every", 0, "iterations between progress lines on stderr (0: about 20 lines)")
}

// resolve merges the config file, then explicitly set flags, and validates.
func (f *trainFlags) resolve(fs *pflag.FlagSet) (gfn.Config, error) {
	cfg := f.cfg
	if f.configFile != "" {
		b, err := os.ReadFile(f.configFile)
		if err != nil {
			return cfg, err
		}
		base, err := gfn.ParseConfig(b)
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", f.configFile, err)
		}
		// Explicit flags win over the file.
		flagCfg := cfg
		cfg = base
		fs.Visit(func(fl *pflag.Flag) { applyFlag(&cfg, &flagCfg, fl.Name) })
	}
	if f.configFile == "" || fs.Changed("loss") {
		cfg.Loss = gfn.Loss(f.loss)
	}
	if f.configFile == "" || fs.Changed("backward") {
		cfg.Backward = gfn.BackwardKind(f.backward)
	}
	if f.configFile == "" || fs.Changed("activation") {
		cfg.Model.Activation = nn.Activation(f.activation)
	}
	if f.iterations < 0 {
		return cfg, fmt.Errorf("--iterations %d must be non-negative", f.iterations)
	}
	if f.resume && f.checkpoint == "" {
		return cfg, errors.New("--resume needs --checkpoint")
	}
	if f.checkpointEvery < 0 || f.progressEvery < 0 {
		return cfg, errors.New("--checkpoint-every and --progress-every must be non-negative")
	}
	return cfg, cfg.Validate()
}

// applyFlag copies the field behind flag name from src to dst.
func applyFlag(dst, src *gfn.Config, name string) {
	switch name {
	case "batch-size":
		dst.BatchSize = src.BatchSize
	case "seed":
		dst.Seed = src.Seed
	case "hidden":
		dst.Model.Hidden = src.Model.Hidden
	case "layers":
		dst.Model.Layers = src.Model.Layers
	case "lr":
		dst.LR = src.LR
	case "lr-logz":
		dst.LRLogZ = src.LRLogZ
	case "weight-decay":
		dst.WeightDecay = src.WeightDecay
	case "clip-norm":
		dst.ClipNorm = src.ClipNorm
	case "huber":
		dst.Huber = src.Huber
	case "subtb-lambda":
		dst.SubTBLambda = src.SubTBLambda
	case "epsilon":
		dst.Explore.Epsilon = src.Explore.Epsilon
	case "temperature":
		dst.Explore.Temperature = src.Explore.Temperature
	case "widen":
		dst.Explore.Widen = src.Explore.Widen
	case "explore-decay":
		dst.ExploreDecay = src.ExploreDecay
	case "replay-capacity":
		dst.Replay.Capacity = src.Replay.Capacity
	case "replay-fraction":
		dst.Replay.Fraction = src.Replay.Fraction
	case "replay-prioritized":
		dst.Replay.Prioritized = src.Replay.Prioritized
	case "workers":
		dst.Workers = src.Workers
	}
}

// trainResult is what runTraining reports back.
type trainResult struct {
	iterations int     // iterations run in this process
	wall       float64 // seconds spent in those iterations
	last       gfn.Stats
}

// runTraining drives tr to f.iterations with progress on stderr,
// checkpoints, and a checkpoint on interrupt.
func runTraining[S any](ctx context.Context, cmd *cobra.Command, name string, tr *gfn.Trainer[S], f *trainFlags) (trainResult, error) {
	stderr := cmd.ErrOrStderr()
	if f.resume {
		if err := loadCheckpoint(tr, f.checkpoint); err != nil {
			return trainResult{}, err
		}
		fmt.Fprintf(stderr, "%s: resumed from %s at iteration %d\n", name, f.checkpoint, tr.Step)
	}
	every := f.progressEvery
	if every == 0 {
		every = max(1, f.iterations/20)
	}
	start := time.Now()
	first := tr.Step
	var res trainResult
	err := tr.Train(ctx, f.iterations, func(st gfn.Stats) {
		res.last = st
		if st.Step%every == 0 || st.Step == f.iterations {
			fmt.Fprintf(stderr, "%s: iter %d/%d loss %.4g log Z %.4f mean log R %.3f mean length %.2f\n",
				name, st.Step, f.iterations, st.Loss, st.LogZ, st.MeanLogReward, st.MeanLength)
		}
		if f.checkpoint != "" && f.checkpointEvery > 0 && st.Step%f.checkpointEvery == 0 {
			if err := saveCheckpoint(tr, f.checkpoint); err != nil {
				fmt.Fprintf(stderr, "%s: checkpoint: %v\n", name, err)
			}
		}
	})
	res.iterations = tr.Step - first
	res.wall = time.Since(start).Seconds()
	if err != nil && ctx.Err() != nil {
		path := f.checkpoint
		if path == "" {
			path = "neurogfn-" + name + ".ckpt"
		}
		if cerr := saveCheckpoint(tr, path); cerr != nil {
			return res, exitError{130, fmt.Errorf("interrupted at iteration %d; writing checkpoint failed: %w", tr.Step, cerr)}
		}
		return res, exitError{130, fmt.Errorf("interrupted at iteration %d; checkpoint written to %s (continue with --checkpoint %s --resume)", tr.Step, path, path)}
	}
	if err != nil {
		return res, err
	}
	if f.checkpoint != "" {
		if err := saveCheckpoint(tr, f.checkpoint); err != nil {
			return res, err
		}
	}
	return res, nil
}

func loadCheckpoint[S any](tr *gfn.Trainer[S], path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	if err := tr.LoadCheckpoint(fh); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func saveCheckpoint[S any](tr *gfn.Trainer[S], path string) error {
	return writeAtomic(path, func(w io.Writer) error { return tr.SaveCheckpoint(w) })
}

// writeAtomic writes a file through parquetout's atomic file (a hidden
// temporary file in the same folder, synced and renamed into place), so
// readers never see a partial file.
func writeAtomic(path string, write func(io.Writer) error) error {
	f, err := parquetout.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}
