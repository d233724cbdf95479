// Command bars_study is the simulation study of the BARS app (issue 3):
// it simulates inhomogeneous Poisson trials from known rate functions by
// thinning, bins and pools them into PSTHs, fits each with apps/bars
// (RJMCMC by default, or the GFlowNet), and compares the fits with the
// truth: relISE, MSE, pointwise and simultaneous band coverage, peak-time
// and peak-height error and interval coverage, mean k and wall time per
// fit. See README.md.
//
//	go run ./bench/bars_study -cells barsc -reps 50
//	go run ./bench/bars_study -truths A,B,C -trials 10,20,60 -bin-ms 1,5,10 -reps 200
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/neurogfn/neurogfn/apps/bars"
)

// barsCCells are the conditions of BARS C's coverage simulation
// (shared/reference/bars-model.md §4).
const barsCCells = "A:60:10,B:20:10,C:30:5"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bars_study:", err)
		os.Exit(1)
	}
}

// Output is the JSON file's content.
type Output struct {
	Command   []string `json:"command"`
	Date      string   `json:"date"`
	GoVersion string   `json:"go_version"`
	CPUs      int      `json:"cpus"`
	Workers   int      `json:"workers"`
	Seed      uint64   `json:"seed"`
	Sampler   string   `json:"sampler"`
	// The fit settings below are neurogfn's; they are left out when the
	// study scores external fits (-external), whose settings are the
	// external program's.
	Burnin  int          `json:"burnin,omitempty"`
	Thin    int          `json:"thin,omitempty"`
	Initial int          `json:"initial,omitempty"`
	Jitter  float64      `json:"jitter,omitempty"`
	Samples int          `json:"samples,omitempty"`
	GFN     *GFNSettings `json:"gfn,omitempty"`
	// Amortise is set when one amortised GFlowNet fitted every data set
	// (its settings are GFN's; Pretrain is its training iterations).
	Amortise *AmortiseSettings `json:"amortise,omitempty"`
	Fine     int               `json:"fine,omitempty"`
	Prior    *bars.KPrior      `json:"prior,omitempty"`
	// SpikeRule is whether the model excluded knot sets whose fit spikes
	// between bin centres (bars.Model); files written before the rule
	// existed lack it.
	SpikeRule *bool         `json:"spike_rule,omitempty"`
	RepsCell  int           `json:"reps_per_cell"`
	Truths    []TruthInfo   `json:"truths"`
	WallS     float64       `json:"wall_s"`
	Cells     []CellSummary `json:"cells"`
	Reps      []Rep         `json:"replicates,omitempty"`
}

// GFNSettings are the GFlowNet sampler's settings in the JSON output.
type GFNSettings struct {
	Iterations  int `json:"iterations"`
	Pretrain    int `json:"pretrain"`
	Hidden      int `json:"hidden"`
	LocalMoves  int `json:"local_moves"`
	WarmSamples int `json:"warm_samples"`
}

// AmortiseSettings describe the amortised GFlowNet's training in the JSON
// output.
type AmortiseSettings struct {
	TrainingSetsPerCell int `json:"training_sets_per_cell"`
	// TrainingCells are the cells the training sets came from, when they
	// are not the fitted ones.
	TrainingCells []Cell  `json:"training_cells,omitempty"`
	TrainS        float64 `json:"train_s"`
}

// TruthInfo describes a truth in the JSON output.
type TruthInfo struct {
	Name  string  `json:"name"`
	Desc  string  `json:"description"`
	Start float64 `json:"start_s"`
	End   float64 `json:"end_s"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bars_study", flag.ContinueOnError)
	fs.SetOutput(stderr)
	truths := fs.String("truths", "A,B,C", "truths to simulate (A realistic PSTH, B smooth bump, C sharp transient)")
	trials := fs.String("trials", "10,20,30,60", "numbers of trials per data set (30 is BARS C's condition for truth C)")
	binMs := fs.String("bin-ms", "1,5,10", "bin widths in ms")
	cells := fs.String("cells", "", `explicit cells "TRUTH:TRIALS:BINMS,..." instead of the grid truths × trials × bin-ms; "barsc" = `+barsCCells+` (BARS C's conditions)`)
	reps := fs.Int("reps", 200, "replicate data sets per cell")
	seed := fs.Uint64("seed", 1, "base seed (data set seeds hash it with truth, condition and replicate)")
	workers := fs.Int("workers", runtime.NumCPU(), "parallel fits")
	sampler := fs.String("sampler", bars.SamplerRJMCMC, "sampler: rjmcmc or gfn")
	def := bars.DefaultFitConfig()
	burnin := fs.Int("burnin", def.RJMCMC.Burnin, "RJMCMC burn-in iterations")
	thin := fs.Int("thin", def.RJMCMC.Thin, "RJMCMC iterations per kept draw")
	initial := fs.Int("initial", def.RJMCMC.Initial, "RJMCMC start: that many equally spaced knots, or 0 for the greedy start")
	jitter := fs.Float64("jitter", def.RJMCMC.Jitter, "fraction of RJMCMC relocations that are fine random-walk moves (0: BarsP's moves only)")
	samples := fs.Int("samples", def.Samples, "posterior draws per fit")
	prior := fs.String("prior", "uniform", `prior on k over 1..60: "uniform" (BARS's default) or "poisson:LAMBDA"`)
	gfnIters := fs.Int("gfn-iterations", 0, "GFlowNet training iterations (0: the app's default)")
	gfnPretrain := fs.Int("gfn-pretrain", def.GFN.Pretrain, "GFlowNet maximum-likelihood iterations on the warm-start chain")
	gfnHidden := fs.Int("gfn-hidden", def.GFN.Train.Model.Hidden, "GFlowNet hidden width")
	gfnLocal := fs.Int("gfn-local", def.GFN.LocalMoves, "RJMCMC moves after each corrected GFlowNet proposal")
	gfnWarm := fs.Int("gfn-warm", def.GFN.WarmStart.Samples, "states of the GFlowNet's warm-start chain")
	amortise := fs.Int("gfn-amortise", 0, "fit with one amortised GFlowNet trained first on this many extra data sets per cell (seeds disjoint from the fitted ones), pooled over the cells of the run; 0: per-data-set samplers")
	amDef := bars.DefaultAmortisedConfig()
	amIters := fs.Int("amortise-iterations", amDef.Pretrain, "with -gfn-amortise: maximum-likelihood iterations")
	amCells := fs.String("amortise-cells", "", `with -gfn-amortise: cells "TRUTH:TRIALS:BINMS,..." to simulate the training data sets from (default: the fitted cells)`)
	amWarm := fs.Int("amortise-warm", amDef.WarmStart.Samples, "with -gfn-amortise: warm-start chain states per training data set")
	noSpikeRule := fs.Bool("no-spike-rule", false, "sample BARS's own target, without the rule excluding knot sets whose fit spikes between bin centres")
	fine := fs.Int("fine", 500, "points of the fine grid for the peak (BARS: 500)")
	truthAPath := fs.String("truth-a", "apps/bars/testdata/bars_example_reference_fit.tsv", "reference fit whose mean_rate is truth A (searched for in the working directory and its parents)")
	jsonOut := fs.String("json", "bars_study.json", "JSON output file (\"\" for none)")
	perRep := fs.Bool("per-rep", true, "include every replicate in the JSON")
	tsv := fs.Bool("tsv", false, "print the table as TSV instead of markdown")
	dataDir := fs.String("write-data", "", "directory to write every simulated data set to, in BarsP format")
	onlyData := fs.Bool("only-data", false, "with -write-data: write the data sets and stop, fitting nothing")
	external := fs.String("external", "", "score another program's fits instead of fitting: a directory with NAME.samp_mu and NAME.samp_params (BarsP's output files) for every data set NAME that -write-data writes, and optionally manifest.tsv with their wall times")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *reps < 1 {
		return fmt.Errorf("-reps %d: need at least 1", *reps)
	}
	cfg := bars.DefaultFitConfig()
	cfg.Sampler = *sampler
	cfg.Samples = *samples
	cfg.Fine = *fine
	cfg.NoSpikeRule = *noSpikeRule
	cfg.RJMCMC.Burnin = *burnin
	cfg.RJMCMC.Thin = *thin
	cfg.RJMCMC.Initial = *initial
	cfg.RJMCMC.Jitter = *jitter
	if kind, lam, ok := strings.Cut(*prior, ":"); kind == "poisson" && ok {
		l, err := strconv.ParseFloat(lam, 64)
		if err != nil {
			return fmt.Errorf("-prior %q: %v", *prior, err)
		}
		cfg.Prior.Kind, cfg.Prior.Lambda = "poisson", l
	} else if *prior != "uniform" {
		return fmt.Errorf(`-prior %q: want "uniform" or "poisson:LAMBDA"`, *prior)
	}
	if *gfnIters > 0 {
		cfg.GFN.Iterations = *gfnIters
	}
	cfg.GFN.Pretrain, cfg.GFN.Train.Model.Hidden, cfg.GFN.LocalMoves = *gfnPretrain, *gfnHidden, *gfnLocal
	cfg.GFN.WarmStart.Samples = *gfnWarm
	if err := cfg.Validate(); err != nil {
		return err
	}
	cl, err := parseCells(*cells, *truths, *trials, *binMs)
	if err != nil {
		return err
	}
	tm := map[string]*Truth{"B": truthB(), "C": truthC()}
	for _, c := range cl {
		if c.Truth == "A" && tm["A"] == nil {
			if tm["A"], err = truthA(findFile(*truthAPath)); err != nil {
				return err
			}
		}
	}
	if *dataDir != "" {
		if err := os.MkdirAll(*dataDir, 0o755); err != nil {
			return err
		}
	}
	st := &Study{Truths: tm, Cells: cl, Reps: *reps, Seed: *seed, Workers: *workers, Fit: cfg, DataDir: *dataDir, External: *external}
	if *amortise > 0 {
		if cfg.Sampler != bars.SamplerGFN {
			return errors.New("-gfn-amortise needs -sampler gfn")
		}
		st.Amortise, st.AmortiseCfg = *amortise, amDef
		st.AmortiseCfg.Pretrain, st.AmortiseCfg.WarmStart.Samples = *amIters, *amWarm
		st.AmortiseCfg.Train.Model.Hidden, st.AmortiseCfg.LocalMoves = *gfnHidden, *gfnLocal
		if *amCells != "" {
			if st.AmortiseCells, err = parseCells(*amCells, "", "", ""); err != nil {
				return fmt.Errorf("-amortise-cells: %w", err)
			}
			for _, c := range st.AmortiseCells {
				if c.Truth == "A" && tm["A"] == nil {
					if tm["A"], err = truthA(findFile(*truthAPath)); err != nil {
						return err
					}
				}
			}
		}
	} else if *amCells != "" {
		return errors.New("-amortise-cells needs -gfn-amortise")
	}
	if *onlyData {
		if *dataDir == "" {
			return errors.New("-only-data needs -write-data DIR")
		}
		st.OnlyData = true
		_, rs, err := st.Run(ctx)
		for _, r := range rs {
			if r.Err != "" {
				return fmt.Errorf("%s replicate %d: %s", r.Cell, r.Rep, r.Err)
			}
		}
		if err == nil && !*quiet {
			fmt.Fprintf(stderr, "bars_study: wrote %d data sets to %s\n", len(rs), *dataDir)
		}
		return err
	}
	samplerName := cfg.Sampler
	if st.Amortise > 0 {
		samplerName = "gfn-amortised"
	}
	if *external != "" {
		samplerName = "external fits in " + *external
		if st.ExternalWall, err = externalWallTimes(*external); err != nil {
			return err
		}
	}
	start := time.Now()
	last := time.Time{}
	if !*quiet {
		fmt.Fprintf(stderr, "bars_study: %d cells × %d replicates, sampler %s, %d workers\n", len(cl), *reps, samplerName, *workers)
		st.Progress = func(done, total int, r *Rep) {
			if r.Err != "" {
				fmt.Fprintf(stderr, "bars_study: %s replicate %d failed: %s\n", r.Cell, r.Rep, r.Err)
			}
			if now := time.Now(); done == total || now.Sub(last) > 10*time.Second {
				last = now
				el := now.Sub(start)
				eta := time.Duration(float64(el) * float64(total-done) / float64(done))
				fmt.Fprintf(stderr, "bars_study: %d/%d fits (%s), elapsed %s, about %s left\n", done, total, r.Cell, el.Round(time.Second), eta.Round(time.Second))
			}
		}
	}
	if st.Amortise > 0 && !*quiet {
		fmt.Fprintf(stderr, "bars_study: training the amortised GFlowNet on %d data sets per cell\n", st.Amortise)
	}
	cts, rs, runErr := st.Run(ctx)
	if st.Amortise > 0 && !*quiet {
		fmt.Fprintf(stderr, "bars_study: amortised training took %.1f s\n", st.AmortiseTrainS)
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	sums := Summarise(cl, cts, rs, *reps)
	if *tsv {
		WriteTSV(stdout, sums)
	} else {
		WriteMarkdown(stdout, sums)
	}
	if *jsonOut != "" {
		out := Output{
			Command: append([]string{"bars_study"}, args...), Date: time.Now().UTC().Format(time.RFC3339),
			GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Workers: *workers, Seed: *seed,
			Sampler: samplerName, Burnin: cfg.RJMCMC.Burnin, Thin: cfg.RJMCMC.Thin, Initial: cfg.RJMCMC.Initial, Jitter: cfg.RJMCMC.Jitter, Samples: cfg.Samples, Fine: cfg.Fine, Prior: &cfg.Prior,
			RepsCell: *reps, WallS: time.Since(start).Seconds(), Cells: sums,
		}
		spikeRule := !cfg.NoSpikeRule
		out.SpikeRule = &spikeRule
		if cfg.Sampler == bars.SamplerGFN {
			g := cfg.GFN
			if st.Amortise > 0 {
				g = st.AmortiseCfg
				out.Amortise = &AmortiseSettings{TrainingSetsPerCell: st.Amortise, TrainingCells: st.AmortiseCells, TrainS: st.AmortiseTrainS}
			}
			out.GFN = &GFNSettings{Iterations: g.Iterations, Pretrain: g.Pretrain, Hidden: g.Train.Model.Hidden, LocalMoves: g.LocalMoves, WarmSamples: g.WarmStart.Samples}
		}
		if *external != "" {
			out.Burnin, out.Thin, out.Initial, out.Jitter, out.Samples, out.Fine, out.Prior = 0, 0, 0, 0, 0, 0, nil
			out.SpikeRule = nil
		}
		for _, name := range []string{"A", "B", "C"} {
			if tr := tm[name]; tr != nil {
				out.Truths = append(out.Truths, TruthInfo{Name: tr.Name, Desc: tr.Desc, Start: tr.Start, End: tr.End})
			}
		}
		if *perRep {
			for _, r := range rs {
				if r.Truth != "" {
					out.Reps = append(out.Reps, r)
				}
			}
		}
		b, err := json.MarshalIndent(out, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if runErr != nil {
		return fmt.Errorf("interrupted; the table and JSON hold the finished replicates: %w", runErr)
	}
	return nil
}

// parseCells returns the explicit cells, or the grid truths × trials ×
// bin widths.
func parseCells(cells, truths, trials, binMs string) ([]Cell, error) {
	if cells == "barsc" {
		cells = barsCCells
	}
	var out []Cell
	add := func(t string, m int, w float64) error {
		if t != "A" && t != "B" && t != "C" {
			return fmt.Errorf("unknown truth %q (want A, B or C)", t)
		}
		if m < 1 || !(w > 0) {
			return fmt.Errorf("cell %s:%d:%g: trials and bin width must be positive", t, m, w)
		}
		out = append(out, Cell{Truth: t, Trials: m, BinMs: w})
		return nil
	}
	if cells != "" {
		for _, s := range strings.Split(cells, ",") {
			f := strings.Split(strings.TrimSpace(s), ":")
			if len(f) != 3 {
				return nil, fmt.Errorf("cell %q: want TRUTH:TRIALS:BINMS", s)
			}
			m, err1 := strconv.Atoi(f[1])
			w, err2 := strconv.ParseFloat(f[2], 64)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("cell %q: want TRUTH:TRIALS:BINMS", s)
			}
			if err := add(f[0], m, w); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	ms, err := ints(trials)
	if err != nil {
		return nil, fmt.Errorf("-trials: %w", err)
	}
	ws, err := floats(binMs)
	if err != nil {
		return nil, fmt.Errorf("-bin-ms: %w", err)
	}
	for _, t := range strings.Split(truths, ",") {
		for _, m := range ms {
			for _, w := range ws {
				if err := add(strings.TrimSpace(t), m, w); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func floats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
