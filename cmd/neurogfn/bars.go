package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/neurogfn/neurogfn/apps/bars"
	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/parquetout"
	"github.com/spf13/cobra"
)

// barsExample is the bundled example PSTH, relative to the module root.
const barsExample = "data/psth/bars_example.data"

func newBarsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bars",
		Short: "Bayesian adaptive regression splines (BARS) for PSTHs",
		Long: `BARS fits a peri-stimulus time histogram with a natural cubic spline whose
knots are sampled from their posterior (DiMatteo, Genovese and Kass 2001;
BarsP, Wallstrom, Liebner and Kass 2008), and reports the firing rate with
pointwise and simultaneous 95% bands, the peak time (latency), the peak rate
and the posterior of the number of knots.`,
		Example: `  neurogfn bars fit --sampler rjmcmc --out results/`,
	}
	cmd.AddCommand(newBarsFitCmd())
	return cmd
}

// barsFlags are the options of bars fit.
type barsFlags struct {
	sampler, format, window, prior  string
	samples, trials, burnin, thin   int
	initial                         int
	kmin, kmax, iterations, fine    int
	pretrain, amortiseIterations    int
	workers, shardIndex, shardCount int
	binWidth, lambda                float64
	seed                            uint64
	out, amortiseSave, amortiseLoad string
	json, noSpikeRule, amortise     bool
}

// samplerAmortised is the sampler field of neurons drawn with --amortise.
const samplerAmortised = "gfn-amortised"

// barsNeuronSummary is the contract of summary.json and of the --json
// lines: exactly these fields.
type barsNeuronSummary struct {
	Neuron     string          `json:"neuron"`
	Sampler    string          `json:"sampler"`
	Samples    int             `json:"samples"`
	KPosterior map[int]float64 `json:"k_posterior"`
	KMean      float64         `json:"k_mean"`
	PeakTime   bars.Interval   `json:"peak_time_s"`
	PeakRate   bars.Interval   `json:"peak_rate_hz"`
	Curve      bars.Curve      `json:"curve"`
	Wall       float64         `json:"wall_seconds"`
	// PeakTimeESS is reported on stderr and in the text summary only.
	PeakTimeESS float64 `json:"-"`
}

// lowESS is the peak-time ESS below which a fit's intervals are flagged as
// resting on too few effective draws: with 100, about 2.5 effective draws
// lie beyond each end of a 95% interval (Vehtari et al. 2021, "Rank-
// normalization, folding, and localization", ask for 100 per chain).
const lowESS = 100

// barsRunConfig is the resolved configuration written into the footers.
type barsRunConfig struct {
	Input struct {
		Path     string  `yaml:"path"`
		Format   string  `yaml:"format"`
		Trials   int     `yaml:"trials"`
		BinWidth float64 `yaml:"bin_width_s"`
		Window   string  `yaml:"window_s"`
	} `yaml:"input"`
	Fit bars.FitConfig `yaml:"fit"`
	// Amortised is the amortised sampler's setting, with --amortise or
	// --amortise-load; AmortisedFrom is the file it was loaded from.
	Amortised     *bars.GFNConfig `yaml:"amortised,omitempty"`
	AmortisedFrom string          `yaml:"amortised_from,omitempty"`
}

const barsFitLong = `Fit one PSTH, or one per neuron of a spike-time file, with BARS.

INPUT (default: the bundled example ` + barsExample + `, found from the
repository root) is one of:
  barsp   BarsP text: "nbins ntrials", then "t count" per bin (t = bin centre, s)
  counts  CSV or TSV with columns time (bin centre, s) and count (summed over
          trials), optional header; needs --trials
  spikes  CSV or TSV with columns neuron, trial, time (s); optional header,
          '#' comments; or a Parquet file with those columns (integer or
          string labels, float or double times; other columns ignored).
          Binned per neuron with --bin-width over --window. Trials per
          neuron = distinct trial labels of its spikes, or --trials
The format is guessed from the extension and content unless --format is given.
Bins must be equally wide. Bad input stops the run before anything is
written, with the file and line (Parquet: row) in the message.

Samplers target the same posterior: --sampler gfn trains a GFlowNet over knot
sets (hybrid actions: pick a gap, then a position in it) on a short RJMCMC
run and draws through a Metropolis correction of its proposals, with two
local RJMCMC moves after each; --sampler rjmcmc is BARS's reversible-jump
chain (birth, death, relocation; tau 50, c 0.4): by default from a greedy
forward selection of knots, 2000 burn-in iterations, then every 5th (--thin)
of 5 x --samples iterations is kept. BarsP's own run, --initial 3 --burnin 0
--thin 1, under-covers (bench/bars_study).

How far to trust the bands: on simulated PSTHs (bench/bars_study, 200 data
sets per condition) the 95% bands and peak intervals cover the truth 95% of
the time when the data suit BARS's model: a smooth or realistic response with
20 or more trials. With about 10 trials, or an onset sharper than a cubic
spline follows, they cover less (pointwise about 0.90-0.94, peak intervals
down to 0.5 for a 5 ms rise with 10 trials), and so do BARS's own. That is
with the default sampler; the RJMCMC's draws are more correlated, and its
peak intervals cover a little less (0.89-0.90 on 1 ms bins).

The posterior is BARS's with one exclusion: knot sets packed between bin
centres, whose fit spikes between them where no count sees it (draws that
put the peak rate orders of magnitude above the data, as BarsP's do). Such
coefficient draws are redrawn too. --no-spike-rule keeps them, as BARS does.

--amortise (with --sampler gfn) trains one GFlowNet for all the neurons of
the input, then draws each neuron's posterior with it through the same
Metropolis correction: short RJMCMC runs on every neuron (1000 states each,
in parallel), then --amortise-iterations maximum-likelihood iterations over
them all, with each neuron's PSTH summarised as the policy's input. The
draws stay exact; what the shared training buys is time. Trained on 300
simulated PSTHs, it fitted new ones a little faster than the RJMCMC with
1.6-2.6 times its effective sample size (bench/bars_study, "Amortised
GFlowNet"); trained on a few dozen, it did no better than the RJMCMC. A
neuron unlike all the others gets about a third of that effective sample
size; its draws are still exact. Every fit reports its peak time's
effective sample size on stderr and warns below 100. Every
shard trains on all the neurons, so sharding never changes a neuron's
result. --amortise-save FILE keeps the trained GFlowNet; --amortise-load
FILE samples with a saved one instead of training (the prior on k must be
the one it was trained with).

Without --out, only the summary is printed. With --out DIR (created if its
parent exists):
  DIR/summary.json                  per-neuron summaries (object, or list for
                                    several neurons)
  DIR/fit.png                       PSTH, posterior mean, bands, peak
  DIR/<table>/part-0.parquet        tables draws, posterior, curves,
                                    curve_grid, psth (docs/schema.md)
With several neurons, each gets DIR/neuron=<id>/{summary.json,fit.png} and a
hive partition DIR/<table>/neuron=<id>/part-0.parquet; DIR/summary.json lists
them when the run is not sharded.

--json prints one line per neuron: neuron, sampler, samples, k_posterior,
k_mean, peak_time_s {mean, lo, hi}, peak_rate_hz {mean, lo, hi}, curve
{time_s, mean, lo, hi, simul_lo, simul_hi} at the bin centres in spikes/s
(lo/hi: pointwise 95% band; simul: simultaneous 95% band, mean +/- c sd of
the drawn rates, cut at 0), wall_seconds. Neuron i is fitted with the seed derived from --seed and i, so
--workers and --shard-index/--shard-count (default SLURM_ARRAY_TASK_ID and
SLURM_ARRAY_TASK_COUNT) never change a neuron's result; with
SOURCE_DATE_EPOCH set, the same command writes byte-identical files
(wall_seconds is then written as 0 in the summary.json files; the --json
lines keep the measured time). Files appear atomically.`

func newBarsFitCmd() *cobra.Command {
	var f barsFlags
	def := bars.DefaultFitConfig()
	cmd := &cobra.Command{
		Use:   "fit [INPUT]",
		Short: "Fit PSTHs with BARS and write rate curves, bands, peak time and knot posteriors",
		Long:  barsFitLong,
		Example: `  neurogfn bars fit --sampler rjmcmc                         # the bundled example
  neurogfn bars fit --sampler rjmcmc --out results/ --json
  neurogfn bars fit psth.csv --trials 20 --out results/
  neurogfn bars fit spikes.tsv --bin-width 0.05 --window 5,9 --workers 4 --out results/
  # one neuron per SLURM array task (sbatch --array=0-3)
  neurogfn bars fit spikes.tsv --bin-width 0.05 --window 5,9 --out results/`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBarsFit(cmd, &f, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.sampler, "sampler", def.Sampler, "posterior sampler: gfn or rjmcmc")
	fs.IntVar(&f.samples, "samples", def.Samples, "posterior draws per neuron")
	fs.Uint64Var(&f.seed, "seed", 1, "base seed; neuron i uses a seed derived from it and i")
	fs.StringVar(&f.out, "out", "", "output folder (created if its parent exists); none: print the summary only")
	fs.BoolVar(&f.json, "json", false, "print one JSON summary line per neuron on stdout")
	fs.StringVar(&f.format, "format", "", "input format: barsp, counts or spikes (default: from the extension and content)")
	fs.IntVar(&f.trials, "trials", 0, "number of trials (required for counts; overrides the file's for barsp and spikes)")
	fs.Float64Var(&f.binWidth, "bin-width", 0.01, "bin width for spike times (s)")
	fs.StringVar(&f.window, "window", "", "window START,END for spike times (s), bins cover [START, END) (default: 0 to the last spike)")
	fs.StringVar(&f.prior, "prior", def.Prior.Kind, "prior on the number of knots k: uniform or poisson")
	fs.IntVar(&f.kmin, "kmin", def.Prior.Min, "smallest k")
	fs.IntVar(&f.kmax, "kmax", def.Prior.Max, "largest k")
	fs.Float64Var(&f.lambda, "lambda", 6, "Poisson prior mean of k (with --prior poisson)")
	fs.IntVar(&f.burnin, "burnin", def.RJMCMC.Burnin, "RJMCMC burn-in iterations")
	fs.IntVar(&f.thin, "thin", def.RJMCMC.Thin, "RJMCMC iterations per kept draw (BarsP: 1)")
	fs.IntVar(&f.initial, "initial", def.RJMCMC.Initial, "RJMCMC start: that many equally spaced knots (BarsP's fallback: 3), or 0 for a greedy forward selection")
	fs.IntVar(&f.pretrain, "pretrain", def.GFN.Pretrain, "GFlowNet maximum-likelihood iterations on a short RJMCMC run")
	fs.IntVar(&f.iterations, "iterations", def.GFN.Iterations, "GFlowNet trajectory-balance iterations after that")
	fs.BoolVar(&f.amortise, "amortise", false, "with --sampler gfn: train one GFlowNet on all the input's neurons, then sample each with it")
	fs.StringVar(&f.amortiseSave, "amortise-save", "", "with --amortise: write the trained GFlowNet to this file")
	fs.StringVar(&f.amortiseLoad, "amortise-load", "", "sample with the amortised GFlowNet saved in this file (implies --amortise; no training)")
	fs.IntVar(&f.amortiseIterations, "amortise-iterations", bars.DefaultAmortisedConfig().Pretrain, "maximum-likelihood iterations of the amortised GFlowNet")
	fs.IntVar(&f.fine, "fine", def.Fine, "points of the fine time grid for curves and peaks")
	fs.BoolVar(&f.noSpikeRule, "no-spike-rule", false, "sample BARS's own knot posterior, keeping knot sets whose fit spikes between bin centres (their draws can put the peak rate orders of magnitude above the data)")
	fs.IntVar(&f.workers, "workers", 0, "neurons fitted in parallel (0: number of CPUs)")
	fs.IntVar(&f.shardIndex, "shard-index", 0, "this task's shard of the neurons, 0-based (default $SLURM_ARRAY_TASK_ID, else 0)")
	fs.IntVar(&f.shardCount, "shard-count", 1, "number of shards (default $SLURM_ARRAY_TASK_COUNT, else 1)")
	return cmd
}

// resolve turns the flags into the fit and input configuration.
func (f *barsFlags) resolve() (bars.FitConfig, bars.InputOptions, error) {
	cfg := bars.DefaultFitConfig()
	cfg.Sampler, cfg.Samples, cfg.Fine = f.sampler, f.samples, f.fine
	cfg.NoSpikeRule = f.noSpikeRule
	cfg.Prior = bars.KPrior{Kind: f.prior, Min: f.kmin, Max: f.kmax}
	if f.prior == "poisson" {
		cfg.Prior.Lambda = f.lambda
	}
	cfg.RJMCMC.Burnin = f.burnin
	cfg.RJMCMC.Thin = f.thin
	cfg.RJMCMC.Initial = f.initial
	cfg.RJMCMC.Samples = f.samples
	cfg.GFN.Iterations = f.iterations
	cfg.GFN.Pretrain = f.pretrain
	var in bars.InputOptions
	if err := cfg.Validate(); err != nil {
		return cfg, in, err
	}
	if f.pretrain < 0 {
		return cfg, in, fmt.Errorf("--pretrain %d must be non-negative", f.pretrain)
	}
	if f.iterations < 0 {
		return cfg, in, fmt.Errorf("--iterations %d must be non-negative", f.iterations)
	}
	if f.amortiseLoad != "" {
		f.amortise = true
	}
	if f.amortiseSave != "" && (!f.amortise || f.amortiseLoad != "") {
		return cfg, in, errors.New("--amortise-save needs --amortise (and no --amortise-load)")
	}
	if f.amortise && cfg.Sampler != bars.SamplerGFN {
		return cfg, in, fmt.Errorf("--amortise needs --sampler gfn, not %s", cfg.Sampler)
	}
	if f.amortiseIterations < 1 {
		return cfg, in, fmt.Errorf("--amortise-iterations %d must be positive", f.amortiseIterations)
	}
	if f.workers < 0 {
		return cfg, in, fmt.Errorf("--workers %d must be non-negative", f.workers)
	}
	if f.trials < 0 {
		return cfg, in, fmt.Errorf("--trials %d must be positive", f.trials)
	}
	if f.format != "" {
		fm, err := bars.ParseFormat(f.format)
		if err != nil {
			return cfg, in, err
		}
		in.Format = fm
	}
	in.Trials = f.trials
	in.Binning.Width = f.binWidth
	if f.window != "" {
		lo, hi, ok := strings.Cut(f.window, ",")
		a, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
		b, err2 := strconv.ParseFloat(strings.TrimSpace(hi), 64)
		if !ok || err1 != nil || err2 != nil || !(b > a) {
			return cfg, in, fmt.Errorf("--window %q: want START,END in seconds with END > START", f.window)
		}
		in.Binning.Start, in.Binning.End = a, b
	}
	if err := in.Binning.Validate(); err != nil {
		return cfg, in, fmt.Errorf("--bin-width/--window: %w", err)
	}
	return cfg, in, nil
}

// findExample looks for the bundled example from the working folder up to
// the module root.
func findExample() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, barsExample)
			if _, err := os.Stat(p); err != nil {
				break
			}
			if rel, err := filepath.Rel(wd, p); err == nil {
				return rel, nil
			}
			return p, nil
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	return "", fmt.Errorf("no INPUT given and the bundled example %s was not found above %s; run from the neurogfn repository or pass INPUT (a BarsP, counts or spikes file, see --help)", barsExample, wd)
}

func runBarsFit(cmd *cobra.Command, f *barsFlags, args []string) error {
	cfg, inOpt, err := f.resolve()
	if err != nil {
		return err
	}
	fl := cmd.Flags()
	shard, err := parquetout.ResolveShard(f.shardIndex, f.shardCount, fl.Changed("shard-index"), fl.Changed("shard-count"), os.Getenv)
	if err != nil {
		return err
	}
	reproducible := os.Getenv("SOURCE_DATE_EPOCH") != ""
	created, err := creationTime(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return err
	}
	stderr, stdout := cmd.ErrOrStderr(), cmd.OutOrStdout()
	input := ""
	if len(args) == 1 {
		input = args[0]
	} else if input, err = findExample(); err != nil {
		return err
	}
	data, err := os.ReadFile(input)
	if err != nil {
		return err
	}
	psths, err := bars.ReadInput(bytes.NewReader(data), input, inOpt)
	if err != nil {
		return err
	}
	multi := len(psths) > 1
	fmt.Fprintf(stderr, "bars: %s: %d neuron(s), %d bins of %.4g ms\n", input, len(psths), psths[0].Bins(), 1000*psths[0].BinWidth)

	var rc barsRunConfig
	rc.Fit = cfg
	var amortised *bars.AmortisedGFN
	switch {
	case f.amortiseLoad != "":
		fh, err := os.Open(f.amortiseLoad)
		if err != nil {
			return err
		}
		amortised, err = bars.LoadAmortised(fh)
		fh.Close()
		if err != nil {
			return fmt.Errorf("--amortise-load %s: %w", f.amortiseLoad, err)
		}
		if amortised.Prior != cfg.Prior {
			return fmt.Errorf("--amortise-load %s: trained with the prior %+v on k, this run has %+v", f.amortiseLoad, amortised.Prior, cfg.Prior)
		}
		ac := amortised.Config()
		rc.Amortised, rc.AmortisedFrom = &ac, filepath.ToSlash(f.amortiseLoad)
	case f.amortise:
		ac := bars.DefaultAmortisedConfig()
		ac.Pretrain = f.amortiseIterations
		rc.Amortised = &ac
	}
	rc.Input.Path, rc.Input.Trials, rc.Input.Window = filepath.ToSlash(input), f.trials, f.window
	rc.Input.Format = string(inOpt.Format)
	if rc.Input.Format == "" {
		if fm, err := bars.SniffFormat(input, data); err == nil {
			rc.Input.Format = string(fm)
		}
	}
	if rc.Input.Format == string(bars.FormatSpikes) {
		rc.Input.BinWidth = f.binWidth
	}
	confYAML, err := yaml.Marshal(rc)
	if err != nil {
		return err
	}
	// --workers, like the shard flags, never changes what is written.
	cl := strings.Replace(commandLine(cmd), " --workers="+strconv.Itoa(f.workers), "", 1)
	if len(args) == 1 {
		cl += " " + shellQuote(args[0])
	}
	meta := parquetout.Meta{
		Tool: "neurogfn", Version: versionString(), Commit: buildCommit(),
		CommandLine: cl, Seed: f.seed, ConfigYAML: string(confYAML), Created: created,
	}

	if f.out != "" {
		if err := prepareOut(f.out); err != nil {
			return exitError{exitCantCreate, err}
		}
	}
	if ac := rc.Amortised; ac != nil && amortised == nil {
		// Every shard trains on all the neurons, so that a neuron's draws
		// do not depend on the sharding.
		fmt.Fprintf(stderr, "bars: training one GFlowNet on all %d neuron(s)\n", len(psths))
		amortised, err = bars.TrainAmortised(cmd.Context(), psths, cfg.Prior, cfg.NoSpikeRule, *ac, f.seed, func(s gfn.Stats) {
			if s.Step%500 == 0 || s.Step == ac.Pretrain {
				fmt.Fprintf(stderr, "bars: amortised training iteration %d of %d, loss %.4g\n", s.Step, ac.Pretrain, s.Loss)
			}
		})
		if err != nil {
			if cmd.Context().Err() != nil {
				return exitError{130, errors.New("interrupted")}
			}
			return err
		}
		fmt.Fprintf(stderr, "bars: trained in %.1f s\n", amortised.TrainSeconds)
		if f.amortiseSave != "" {
			if err := writeAtomic(f.amortiseSave, amortised.Save); err != nil {
				return exitError{exitIOErr, err}
			}
			fmt.Fprintf(stderr, "bars: wrote %s\n", f.amortiseSave)
		}
	}
	lo, hi := shard.Range(len(psths))
	if shard.Count > 1 {
		fmt.Fprintf(stderr, "bars: shard %d of %d: neurons %d to %d of %d\n", shard.Index, shard.Count, lo, hi-1, len(psths))
	}
	workers := f.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, hi-lo))

	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	type result struct {
		sum  barsNeuronSummary
		done chan struct{}
		err  error
	}
	results := make([]*result, hi-lo)
	for i := range results {
		results[i] = &result{done: make(chan struct{})}
	}
	var mu sync.Mutex // serialises stderr progress lines
	logf := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stderr, format+"\n", a...)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				r := results[i-lo]
				r.sum, r.err = fitNeuron(ctx, psths[i], i, cfg, amortised, f, meta, multi, reproducible, logf)
				if r.err != nil {
					cancel()
				}
				close(r.done)
			}
		})
	}
	go func() {
		defer close(jobs)
		for i := lo; i < hi; i++ {
			select {
			case jobs <- i:
			case <-ctx.Done():
				for j := i; j < hi; j++ {
					results[j-lo].err = ctx.Err()
					close(results[j-lo].done)
				}
				return
			}
		}
	}()
	var sums []barsNeuronSummary
	var firstErr error
	for _, r := range results {
		<-r.done
		if r.err != nil {
			if firstErr == nil || errors.Is(firstErr, context.Canceled) && !errors.Is(r.err, context.Canceled) {
				firstErr = r.err
			}
			continue
		}
		if firstErr != nil {
			continue
		}
		sums = append(sums, r.sum)
		if f.json {
			b, err := json.Marshal(r.sum)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, string(b))
		} else {
			printBarsSummary(stdout, r.sum)
		}
	}
	wg.Wait()
	warnLowESS(stderr, sums)
	if firstErr != nil {
		if errors.Is(firstErr, context.Canceled) && cmd.Context().Err() != nil {
			return exitError{130, errors.New("interrupted")}
		}
		return firstErr
	}
	if f.out != "" && (!multi || shard.Count == 1) {
		if reproducible {
			for i := range sums {
				sums[i].Wall = 0
			}
		}
		var v any = sums
		if !multi {
			v = sums[0]
		}
		if err := writeJSONFile(filepath.Join(f.out, "summary.json"), v); err != nil {
			return exitError{exitIOErr, err}
		}
	}
	if f.out != "" {
		fmt.Fprintf(stderr, "bars: wrote %s\n", f.out)
	}
	return nil
}

// prepareOut creates the output folder if its parent exists and checks it
// is writable, before any fitting.
func prepareOut(out string) error {
	if err := os.Mkdir(out, 0o777); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create output folder %s: %w", out, err)
	}
	probe, err := parquetout.Create(filepath.Join(out, "probe"))
	if err != nil {
		return err
	}
	probe.Abort()
	return nil
}

// fitNeuron fits neuron i (seed derived from the base seed and i), with
// the amortised sampler when there is one, and writes its outputs.
func fitNeuron(ctx context.Context, p *bars.PSTH, i int, cfg bars.FitConfig, amortised *bars.AmortisedGFN, f *barsFlags, meta parquetout.Meta, multi, reproducible bool, logf func(string, ...any)) (barsNeuronSummary, error) {
	seed := parquetout.ItemSeed(f.seed, uint64(i))
	sampler := cfg.Sampler
	if amortised != nil {
		sampler = samplerAmortised
	}
	logf("bars: neuron %s: fitting %d bins, %d trials (%s, %d draws)", p.Name, p.Bins(), p.Trials, sampler, cfg.Samples)
	start := time.Now()
	var res *bars.FitResult
	var err error
	if amortised != nil {
		res, err = amortised.Fit(ctx, p, cfg, seed)
	} else {
		res, err = bars.FitPSTH(ctx, p, cfg, seed, func(msg string) { logf("bars: neuron %s: %s", p.Name, msg) })
	}
	if err != nil {
		return barsNeuronSummary{}, fmt.Errorf("fit neuron %s: %w", p.Name, err)
	}
	s := res.Summary
	// p(k) and E[k] from counts, so they print as k/n (Summary adds 1/n).
	s.KPosterior, s.KMean = map[int]float64{}, 0
	counts := map[int]int{}
	for _, d := range res.Draws {
		counts[len(d.Knots)]++
		s.KMean += float64(len(d.Knots))
	}
	for k, c := range counts {
		s.KPosterior[k] = float64(c) / float64(len(res.Draws))
	}
	s.KMean /= float64(len(res.Draws))
	sum := barsNeuronSummary{
		Neuron: p.Name, Sampler: sampler, Samples: s.Samples, KPosterior: s.KPosterior, KMean: s.KMean,
		PeakTime: s.PeakTime, PeakRate: s.PeakRate, Curve: s.Curve, Wall: time.Since(start).Seconds(),
		PeakTimeESS: s.PeakTimeESS,
	}
	logf("bars: neuron %s: done in %.2f s; peak-time ESS %.0f of %d draws", p.Name, sum.Wall, sum.PeakTimeESS, sum.Samples)
	if f.out == "" {
		return sum, nil
	}
	fileSum := sum
	if reproducible {
		fileSum.Wall = 0 // the one clock-dependent value, zeroed for byte-identical files
	}
	if err := writeNeuron(f.out, res, i, seed, meta, multi, fileSum); err != nil {
		return sum, exitError{exitIOErr, err}
	}
	return sum, nil
}

// writeNeuron writes the tables, plot and (for multi-neuron input) summary
// of one neuron, each file atomically.
func writeNeuron(out string, res *bars.FitResult, i int, seed uint64, meta parquetout.Meta, multi bool, sum barsNeuronSummary) error {
	p := res.Model.Data
	var parts []parquetout.Partition
	dir := out
	if multi {
		part := parquetout.StringPartition("neuron", p.Name)
		if _, err := strconv.ParseInt(p.Name, 10, 64); err == nil {
			part = parquetout.IntPartition("neuron", mustInt(p.Name))
		}
		parts = append(parts, part)
		var err error
		if dir, err = parquetout.MkdirParts(out, parts...); err != nil {
			return err
		}
	}
	meta.Extra = map[string]string{
		"neuron": p.Name, "neuron_index": strconv.Itoa(i), "neuron_seed": strconv.FormatUint(seed, 10),
		"sampler": sum.Sampler, "trials": strconv.Itoa(p.Trials), "bin_width_s": strconv.FormatFloat(p.BinWidth, 'g', -1, 64),
	}
	t := res.Rows(0)
	write := func(table string, fn func(path string, m parquetout.Meta) error) error {
		root := filepath.Join(out, table)
		if err := os.MkdirAll(root, 0o777); err != nil {
			return err
		}
		if _, err := parquetout.MkdirParts(root, parts...); err != nil {
			return err
		}
		m := meta
		m.Table = table
		return fn(parquetout.PartPath(root, 0, parts...), m)
	}
	opt := parquetout.Options{}
	if err := write(bars.TableDraws, func(path string, m parquetout.Meta) error { return parquetout.WriteFile(path, t.Draws, m, opt) }); err != nil {
		return err
	}
	if err := write(bars.TablePosterior, func(path string, m parquetout.Meta) error { return parquetout.WriteFile(path, t.Posterior, m, opt) }); err != nil {
		return err
	}
	if err := write(bars.TableCurves, func(path string, m parquetout.Meta) error { return parquetout.WriteFile(path, t.Curves, m, opt) }); err != nil {
		return err
	}
	if err := write(bars.TableGrid, func(path string, m parquetout.Meta) error { return parquetout.WriteFile(path, t.Grid, m, opt) }); err != nil {
		return err
	}
	if err := write(bars.TablePSTH, func(path string, m parquetout.Meta) error { return parquetout.WriteFile(path, t.PSTH, m, opt) }); err != nil {
		return err
	}
	name := p.Name
	if multi {
		name = "neuron " + name
	}
	title := fmt.Sprintf("BARS fit: %s (%s, %d draws, mean k %.2f)", name, sum.Sampler, sum.Samples, sum.KMean)
	if err := writeFileAtomic(filepath.Join(dir, "fit.png"), func(w io.Writer) error {
		return bars.FitPlot{Title: title}.WritePNG(w, res)
	}); err != nil {
		return err
	}
	if multi {
		return writeJSONFile(filepath.Join(dir, "summary.json"), sum)
	}
	return nil
}

func mustInt(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(err)
	}
	return n
}

func writeFileAtomic(path string, fn func(io.Writer) error) error {
	af, err := parquetout.Create(path)
	if err != nil {
		return err
	}
	defer af.Abort()
	if err := fn(af); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return af.Commit()
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// warnLowESS names the neurons whose peak-time ESS is below lowESS (the
// first ten of them) on stderr.
func warnLowESS(stderr io.Writer, sums []barsNeuronSummary) {
	var low []string
	for _, s := range sums {
		if s.PeakTimeESS < lowESS {
			low = append(low, fmt.Sprintf("%s (%.0f)", s.Neuron, s.PeakTimeESS))
		}
	}
	if len(low) == 0 {
		return
	}
	n, more := len(low), ""
	if n > 10 {
		more = fmt.Sprintf(" and %d more", n-10)
		low = low[:10]
	}
	fmt.Fprintf(stderr, "bars: warning: peak-time ESS below %d in %d of %d neurons: %s%s; their intervals rest on few effective draws, and more --samples steadies them\n",
		lowESS, n, len(sums), strings.Join(low, ", "), more)
}

// printBarsSummary prints a human-readable summary of one neuron.
func printBarsSummary(w io.Writer, s barsNeuronSummary) {
	ks := slices.Sorted(func(yield func(int) bool) {
		for k := range s.KPosterior {
			if !yield(k) {
				return
			}
		}
	})
	var kp []string
	for _, k := range ks {
		if p := s.KPosterior[k]; p >= 0.005 {
			kp = append(kp, fmt.Sprintf("%d: %.2f", k, p))
		}
	}
	fmt.Fprintf(w, "%s: %s, %d draws in %.2f s\n", s.Neuron, s.Sampler, s.Samples, s.Wall)
	fmt.Fprintf(w, "  peak time  %.4f s, 95%% interval [%.4f, %.4f]\n", s.PeakTime.Mean, s.PeakTime.Lo, s.PeakTime.Hi)
	fmt.Fprintf(w, "  peak rate  %.1f spikes/s, 95%% interval [%.1f, %.1f]\n", s.PeakRate.Mean, s.PeakRate.Lo, s.PeakRate.Hi)
	fmt.Fprintf(w, "  knots k    mean %.2f; posterior %s\n", s.KMean, strings.Join(kp, ", "))
	fmt.Fprintf(w, "  mixing     peak-time ESS %.0f of %d draws\n", s.PeakTimeESS, s.Samples)
}
