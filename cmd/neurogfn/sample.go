package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/gfn/envs/hypergrid"
	"github.com/neurogfn/neurogfn/gfn/envs/pointset"
	"github.com/neurogfn/neurogfn/parquetout"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commit is the git commit of the build, set with
// -ldflags "-X main.commit=$(git rev-parse HEAD)" where the build info
// carries none.
var commit = ""

// Exit statuses of output failures (sysexits.h).
const (
	exitCantCreate = 73 // output folder missing or not writable
	exitIOErr      = 74 // a write failed (disk full, I/O error)
)

// sampleFlags are the options shared by every sample command.
type sampleFlags struct {
	out        string
	samples    int
	chains     int
	shardIndex int
	shardCount int
	batch      int
}

func (s *sampleFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.out, "out", "", "output folder (must exist); tables go to OUT/posterior and OUT/sample_stats")
	fs.IntVar(&s.samples, "samples", 1000, "draws per chain")
	fs.IntVar(&s.chains, "chains", 1, "independent training runs (chains), each with a seed derived from --seed and its index")
	fs.IntVar(&s.shardIndex, "shard-index", 0, "this task's shard of the chains, 0-based (default $SLURM_ARRAY_TASK_ID, else 0)")
	fs.IntVar(&s.shardCount, "shard-count", 1, "number of shards (default $SLURM_ARRAY_TASK_COUNT, else 1)")
	fs.IntVar(&s.batch, "sample-batch", 1000, "trajectories sampled per policy batch (results do not depend on it)")
}

// sampleApp is what runSample needs from an environment.
type sampleApp[S any] struct {
	name   string
	env    gfn.Env[S]
	params any // environment parameters, for the config in the footer
	// posterior appends the posterior rows of object x to dst.
	posterior func(dst []parquetout.PosteriorRow, chain int32, draw int64, x S) []parquetout.PosteriorRow
}

// sampleConfig is the resolved configuration written into the footers.
type sampleConfig struct {
	Env    any `yaml:"env"`
	Sample struct {
		Iterations int `yaml:"iterations"`
		Samples    int `yaml:"samples"`
		Chains     int `yaml:"chains"`
	} `yaml:"sample"`
	Train gfn.Config `yaml:"train"`
}

type chainSummary struct {
	Env            string  `json:"env"`
	Chain          int     `json:"chain"`
	Seed           uint64  `json:"seed"`
	ChainSeed      uint64  `json:"chain_seed"`
	Iterations     int     `json:"iterations"`
	Draws          int     `json:"draws"`
	LogZ           float64 `json:"log_z"`
	LogZIS         float64 `json:"log_z_is"`
	ESS            float64 `json:"ess"`
	Posterior      string  `json:"posterior"`
	PosteriorRows  int     `json:"posterior_rows"`
	SampleStats    string  `json:"sample_stats"`
	WallSeconds    float64 `json:"wall_seconds"`
	MsPerIteration float64 `json:"ms_per_iteration"`
}

const sampleLong = `Train a GFlowNet for --iterations iterations (the same training flags as
train), then draw --samples objects and write them as Parquet tables:

  OUT/posterior/part-<chain>.parquet     chain, draw, param, dim, value
  OUT/sample_stats/part-<chain>.parquet  chain, draw, log_reward, log_pf,
                                         log_pb, log_weight, traj_len

docs/schema.md documents every column and footer key. With --chains C, chain
c trains with its own seed derived from --seed and c. --shard-index and
--shard-count (default: SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT) split
the chains over the tasks of a job array; the union of the shards' files is
the single-machine run. With SOURCE_DATE_EPOCH set, it is the creation time
in the footers and the same command writes byte-identical files.

Files appear atomically (hidden temporary file, then rename). Exit status 73:
the output folder is missing or not writable (checked before training);
74: a write failed; 130: interrupted (a checkpoint is written).`

func newHypergridSampleCmd() *cobra.Command {
	var (
		f  trainFlags
		sf sampleFlags
		hf hypergridFlags
	)
	cmd := &cobra.Command{
		Use:   "sample",
		Short: "Train on HyperGrid, then write posterior draws and sample stats to Parquet",
		Long:  sampleLong + "\n\nHyperGrid posterior: param x, dim = axis, value = grid coordinate.",
		Example: `  neurogfn hypergrid sample --ndim 2 --height 8 --iterations 250 --samples 10000 --seed 1 --out results/
  # 8 chains over a SLURM array of 4 tasks (sbatch --array=0-3)
  neurogfn hypergrid sample --chains 8 --iterations 250 --samples 10000 --out results/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := hf.env()
			if err != nil {
				return err
			}
			app := sampleApp[hypergrid.State]{
				name: "hypergrid", env: env,
				params: map[string]any{"name": "hypergrid", "ndim": env.NDim, "height": env.Height, "r0": env.R0, "r1": env.R1, "r2": env.R2},
				posterior: func(dst []parquetout.PosteriorRow, chain int32, draw int64, x hypergrid.State) []parquetout.PosteriorRow {
					for d, v := range x {
						dst = append(dst, parquetout.PosteriorRow{Chain: chain, Draw: draw, Param: "x", Dim: int32(d), Value: float64(v)})
					}
					return dst
				},
			}
			return runSample(cmd, &f, &sf, app)
		},
	}
	fs := cmd.Flags()
	hf.register(fs)
	f.register(fs, hypergridDefaults())
	sf.register(fs)
	return cmd
}

func newPointsetSampleCmd() *cobra.Command {
	var (
		f  trainFlags
		sf sampleFlags
		pf pointsetFlags
	)
	def := pointsetDefaults()
	cmd := &cobra.Command{
		Use:   "sample",
		Short: "Train on point sets, then write posterior draws and sample stats to Parquet",
		Long: sampleLong + `

Point-set posterior: param k (dim -1, value = number of points) and param t
(dim = rank of the point in the sorted set, value = position in (0, 1)).`,
		Example: `  neurogfn pointset sample --lambda 3 --max-points 8 --alpha 2 --beta 5 --iterations 2000 --samples 10000 --seed 1 --out results/`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := pf.env()
			if err != nil {
				return err
			}
			app := sampleApp[pointset.State]{
				name: "pointset", env: env,
				params: map[string]any{"name": "pointset", "lambda": env.Lambda, "max_points": env.MaxPoints, "alpha": env.Alpha, "beta": env.Beta},
				posterior: func(dst []parquetout.PosteriorRow, chain int32, draw int64, x pointset.State) []parquetout.PosteriorRow {
					dst = append(dst, parquetout.PosteriorRow{Chain: chain, Draw: draw, Param: "k", Dim: -1, Value: float64(len(x))})
					ts := slices.Sorted(slices.Values(x))
					for i, t := range ts {
						dst = append(dst, parquetout.PosteriorRow{Chain: chain, Draw: draw, Param: "t", Dim: int32(i), Value: t})
					}
					return dst
				},
			}
			return runSample(cmd, &f, &sf, app)
		},
	}
	fs := cmd.Flags()
	pf.register(fs)
	f.register(fs, def)
	sf.register(fs)
	return cmd
}

// runSample trains and samples the chains of this shard and writes their
// tables.
func runSample[S any](cmd *cobra.Command, f *trainFlags, sf *sampleFlags, app sampleApp[S]) error {
	fs := cmd.Flags()
	cfg, err := f.resolve(fs)
	if err != nil {
		return err
	}
	switch {
	case sf.out == "":
		return errors.New("--out is required")
	case sf.samples < 1:
		return fmt.Errorf("--samples %d must be at least 1", sf.samples)
	case sf.chains < 1:
		return fmt.Errorf("--chains %d must be at least 1", sf.chains)
	case sf.batch < 1:
		return fmt.Errorf("--sample-batch %d must be at least 1", sf.batch)
	}
	shard, err := parquetout.ResolveShard(sf.shardIndex, sf.shardCount, fs.Changed("shard-index"), fs.Changed("shard-count"), os.Getenv)
	if err != nil {
		return err
	}
	created, err := creationTime(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return err
	}
	// Fail on the output folder now, not after training.
	dirs := map[string]string{}
	for _, table := range []string{parquetout.TablePosterior, parquetout.TableSampleStats} {
		dir, err := parquetout.MkdirParts(sf.out)
		if err == nil {
			dir = filepath.Join(dir, table)
			err = os.MkdirAll(dir, 0o777)
		}
		if err == nil {
			var probe *parquetout.File
			if probe, err = parquetout.Create(filepath.Join(dir, "probe")); err == nil {
				probe.Abort()
			}
		}
		if err != nil {
			return exitError{exitCantCreate, err}
		}
		dirs[table] = dir
	}
	var sc sampleConfig
	sc.Env, sc.Train = app.params, cfg
	sc.Sample.Iterations, sc.Sample.Samples, sc.Sample.Chains = f.iterations, sf.samples, sf.chains
	confYAML, err := yaml.Marshal(sc)
	if err != nil {
		return err
	}
	meta := parquetout.Meta{
		Tool: "neurogfn", Version: versionString(), Commit: buildCommit(),
		CommandLine: commandLine(cmd), Seed: cfg.Seed, ConfigYAML: string(confYAML), Created: created,
	}
	stderr, out := cmd.ErrOrStderr(), cmd.OutOrStdout()
	lo, hi := shard.Range(sf.chains)
	if shard.Count > 1 {
		fmt.Fprintf(stderr, "%s: shard %d of %d: chains %d to %d of %d\n", app.name, shard.Index, shard.Count, lo, hi-1, sf.chains)
	}
	for c := lo; c < hi; c++ {
		ccfg := cfg
		ccfg.Seed = parquetout.ItemSeed(cfg.Seed, uint64(c))
		tr, err := gfn.NewTrainer(app.env, ccfg)
		if err != nil {
			return err
		}
		cf := *f
		if cf.checkpoint != "" && sf.chains > 1 {
			cf.checkpoint += ".chain-" + strconv.Itoa(c)
		}
		name := app.name
		if sf.chains > 1 {
			name += " chain " + strconv.Itoa(c)
		}
		res, err := runTraining(cmd.Context(), cmd, name, tr, &cf)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s: drawing %d samples\n", name, sf.samples)
		post, stats, logW := drawSamples(app, tr, int32(c), sf.samples, sf.batch, ccfg.Seed)
		bounds := gfn.WeightBounds(logW)
		m := meta
		m.Extra = map[string]string{"chain": strconv.Itoa(c), "chain_seed": strconv.FormatUint(ccfg.Seed, 10), "env": app.name}
		part := "part-" + strconv.Itoa(c) + ".parquet"
		sum := chainSummary{
			Env: app.name, Chain: c, Seed: cfg.Seed, ChainSeed: ccfg.Seed, Iterations: tr.Step, Draws: sf.samples,
			LogZ: res.last.LogZ, LogZIS: bounds.LogZ, ESS: bounds.ESS,
			Posterior: filepath.Join(dirs[parquetout.TablePosterior], part), PosteriorRows: len(post),
			SampleStats: filepath.Join(dirs[parquetout.TableSampleStats], part), WallSeconds: res.wall,
		}
		if cfg.Loss == gfn.TB {
			sum.LogZ = tr.Model.LogZ.W.Data[0]
		}
		if res.iterations > 0 {
			sum.MsPerIteration = 1000 * res.wall / float64(res.iterations)
		}
		m.Table = parquetout.TablePosterior
		if err := parquetout.WriteFile(sum.Posterior, post, m, parquetout.Options{}); err != nil {
			return exitError{exitIOErr, err}
		}
		m.Table = parquetout.TableSampleStats
		if err := parquetout.WriteFile(sum.SampleStats, stats, m, parquetout.Options{}); err != nil {
			return exitError{exitIOErr, err}
		}
		if f.json {
			b, _ := json.Marshal(sum)
			fmt.Fprintln(out, string(b))
			continue
		}
		fmt.Fprintf(out, "%s chain %d: %d draws after %d iterations; log Z learned %.4f, importance-sampled %.4f (ESS %.3f)\n",
			app.name, c, sf.samples, tr.Step, sum.LogZ, sum.LogZIS, sum.ESS)
		fmt.Fprintf(out, "  %s (%d rows)\n  %s (%d rows)\n", sum.Posterior, len(post), sum.SampleStats, len(stats))
	}
	return nil
}

// drawSamples draws n objects from the trained policy, draw d with the
// stream gfn.Stream(seed, d), so the rows do not depend on the batch size
// or the number of workers.
func drawSamples[S any](app sampleApp[S], tr *gfn.Trainer[S], chain int32, n, batch int, seed uint64) ([]parquetout.PosteriorRow, []parquetout.SampleStatsRow, []float64) {
	pf, pb := tr.Policy(), tr.BackwardPolicy()
	var (
		post  []parquetout.PosteriorRow
		stats = make([]parquetout.SampleStatsRow, 0, n)
		logW  = make([]float64, 0, n)
	)
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		rngs := make([]*rand.Rand, hi-lo)
		for i := range rngs {
			rngs[i] = gfn.Stream(seed, uint64(lo+i))
		}
		trajs := gfn.Sample(app.env, pf, rngs)
		workers := tr.Config.Workers
		if workers == 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		gfn.ParallelFor(len(trajs), workers, func(i int) {
			trajs[i].LogReward = app.env.LogReward(trajs[i].Object())
		})
		lf, lb := gfn.TrajectoryLogProbs(app.env, pf, pb, trajs)
		for i := range trajs {
			d := int64(lo + i)
			w := trajs[i].LogReward + lb[i] - lf[i]
			post = app.posterior(post, chain, d, trajs[i].Object())
			stats = append(stats, parquetout.SampleStatsRow{
				Chain: chain, Draw: d, LogReward: trajs[i].LogReward, LogPF: lf[i], LogPB: lb[i],
				LogWeight: w, TrajLen: int32(trajs[i].Len()),
			})
			logW = append(logW, w)
		}
	}
	return post, stats, logW
}

// creationTime is SOURCE_DATE_EPOCH (seconds since 1970, the
// reproducible-builds convention) when set, else now.
func creationTime(epoch string) (time.Time, error) {
	if epoch == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	n, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not an integer number of seconds", epoch)
	}
	return time.Unix(n, 0).UTC(), nil
}

// buildCommit is the VCS revision from the build info ("-dirty" when the
// tree was modified), else the -ldflags value, else "".
func buildCommit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if rev != "" {
			return rev + dirty
		}
	}
	return commit
}

// commandLine is the command path and the flags set explicitly, sorted by
// name, in --name=value form. The shard flags are left out: they choose
// which files a task writes, never their content, so every shard writes the
// bytes the single-machine run writes.
func commandLine(cmd *cobra.Command) string {
	var b strings.Builder
	b.WriteString(cmd.CommandPath())
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if fl.Name == "shard-index" || fl.Name == "shard-count" {
			return
		}
		b.WriteString(" --" + fl.Name + "=" + shellQuote(fl.Value.String()))
	})
	return b.String()
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,+=@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
