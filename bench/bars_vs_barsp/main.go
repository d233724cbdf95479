// Command bars_vs_barsp times neurogfn's BARS fit against BARS's own C
// program (BarsP 1.0) side by side: on one machine, on the same data file,
// with the same run length, alternating the two programs run by run so
// that both see the same machine load. It reports each program's wall
// times and the ratio of their medians (issue 3: "the BARS C code fits the
// 110-bin example with 2000 draws in about 0.2 s. Our RJMCMC should be at
// least as fast").
//
// BarsP is not part of neurogfn (GPL-2+, not distributed here); -barsp
// names a command-line build of it, called as
//
//	BARSP DATAFILE PARAMSFILE OUTPREFIX SEED
//
// (see README.md for how the comparison build was made). BarsP's params
// file sets the run length and the Uniform(1, 60) prior on k; its output
// files are switched off unless -barsp-outputs, so both sides time the
// computation: the chain, the coefficient draws, the curves on the
// 500-point grid, the peaks and the summaries.
//
//	go run ./bench/bars_vs_barsp -barsp /path/to/barsp -runs 20
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/neurogfn/neurogfn/apps/bars"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bars_vs_barsp:", err)
		os.Exit(1)
	}
}

// Timing is one program's wall times over the runs.
type Timing struct {
	Name    string    `json:"name"`
	Seconds []float64 `json:"seconds"`
	Min     float64   `json:"min_s"`
	Median  float64   `json:"median_s"`
	Max     float64   `json:"max_s"`
}

func newTiming(name string, s []float64) Timing {
	x := slices.Clone(s)
	slices.Sort(x)
	med := x[len(x)/2]
	if len(x)%2 == 0 {
		med = (x[len(x)/2-1] + x[len(x)/2]) / 2
	}
	return Timing{Name: name, Seconds: s, Min: x[0], Median: med, Max: x[len(x)-1]}
}

// Output is the JSON report.
type Output struct {
	Command   []string `json:"command"`
	Date      string   `json:"date"`
	GoVersion string   `json:"go_version"`
	CPUs      int      `json:"cpus"`
	Procs     int      `json:"gomaxprocs"`
	Data      string   `json:"data"`
	Burnin    int      `json:"burnin"`
	Samples   int      `json:"samples"`
	Initial   int      `json:"initial"`
	Fine      int      `json:"fine"`
	Outputs   bool     `json:"barsp_outputs"`
	BarsP     Timing   `json:"barsp"`
	Ours      Timing   `json:"neurogfn"`
	// Ratio is BarsP's median over ours: above 1, neurogfn is faster.
	Ratio float64 `json:"ratio_barsp_over_neurogfn"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bars_vs_barsp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	barsp := fs.String("barsp", "", "BarsP command-line binary (required)")
	data := fs.String("data", "apps/bars/testdata/bars_example.data", "BarsP-format data file")
	runs := fs.Int("runs", 20, "runs of each program")
	burnin := fs.Int("burnin", 0, "burn-in iterations (BarsP's default 0)")
	samples := fs.Int("samples", 2000, "kept iterations = posterior draws (BarsP's default 2000)")
	initial := fs.Int("initial", 3, "neurogfn's start: that many equally spaced knots (BarsP's fallback start), or 0 for the greedy start")
	outputs := fs.Bool("barsp-outputs", false, "let BarsP write its default output files (samp_mu, samp_params, summ_mu, summ_params)")
	procs := fs.Int("procs", 1, "GOMAXPROCS for neurogfn (BarsP is single-threaded)")
	seed := fs.Uint64("seed", 1, "base seed; run i uses seed+i in both programs")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *barsp == "" {
		return errors.New("-barsp is required: a command-line build of BarsP 1.0 (see bench/bars_vs_barsp/README.md)")
	}
	if *runs < 1 || *samples < 1 || *burnin < 0 {
		return fmt.Errorf("-runs %d, -samples %d, -burnin %d: need at least 1, 1 and 0", *runs, *samples, *burnin)
	}
	f, err := os.Open(*data)
	if err != nil {
		return err
	}
	p, err := bars.ReadBarsP(f, *data)
	f.Close()
	if err != nil {
		return err
	}
	runtime.GOMAXPROCS(*procs)
	dir, err := os.MkdirTemp("", "bars_vs_barsp")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	params := filepath.Join(dir, "params")
	if err := os.WriteFile(params, []byte(barsPParams(*burnin, *samples, *outputs)), 0o644); err != nil {
		return err
	}
	cfg := bars.DefaultFitConfig()
	cfg.Sampler = bars.SamplerRJMCMC
	cfg.Samples = *samples
	cfg.RJMCMC = bars.BARSRJConfig()
	cfg.RJMCMC.Burnin, cfg.RJMCMC.Initial = *burnin, *initial
	if err := cfg.Validate(); err != nil {
		return err
	}
	var tb, to []float64
	for i := range *runs {
		s := *seed + uint64(i)
		barsPRun := func() error {
			start := time.Now()
			cmd := exec.CommandContext(ctx, *barsp, *data, params, filepath.Join(dir, fmt.Sprintf("run%d_", i)), fmt.Sprint(s))
			cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("%s: %v\n%s", *barsp, err, out)
			}
			tb = append(tb, time.Since(start).Seconds())
			return nil
		}
		oursRun := func() error {
			start := time.Now()
			res, err := bars.FitPSTH(ctx, p, cfg, s, nil)
			if err != nil {
				return err
			}
			to = append(to, time.Since(start).Seconds())
			if len(res.Draws) != *samples {
				return fmt.Errorf("neurogfn returned %d draws, want %d", len(res.Draws), *samples)
			}
			return nil
		}
		first, second := barsPRun, oursRun
		if i%2 == 1 {
			first, second = oursRun, barsPRun
		}
		if err := first(); err != nil {
			return err
		}
		if err := second(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "bars_vs_barsp: run %d/%d: BarsP %.3f s, neurogfn %.3f s\n", i+1, *runs, tb[i], to[i])
	}
	out := Output{
		Command: append([]string{"bars_vs_barsp"}, args...), Date: time.Now().UTC().Format(time.RFC3339),
		GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Procs: *procs, Data: *data,
		Burnin: *burnin, Samples: *samples, Initial: *initial, Fine: cfg.Fine, Outputs: *outputs,
		BarsP: newTiming("BarsP 1.0", tb), Ours: newTiming("neurogfn bars.FitPSTH (rjmcmc)", to),
	}
	out.Ratio = out.BarsP.Median / out.Ours.Median
	fmt.Fprintf(stdout, "%d bins, %d trials; %d burn-in + %d draws; %d runs each, alternating\n", p.Bins(), p.Trials, *burnin, *samples, *runs)
	fmt.Fprintf(stdout, "| program | min (s) | median (s) | max (s) |\n|---|---|---|---|\n")
	for _, t := range []Timing{out.BarsP, out.Ours} {
		fmt.Fprintf(stdout, "| %s | %.3f | %.3f | %.3f |\n", t.Name, t.Min, t.Median, t.Max)
	}
	fmt.Fprintf(stdout, "median BarsP / median neurogfn = %.2f\n", out.Ratio)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(out, "", " ")
		if err != nil {
			return err
		}
		return os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}

// barsPParams is a BarsP params file: the run length, the Uniform(1, 60)
// prior on k and, unless outputs, no output files.
func barsPParams(burnin, samples int, outputs bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "SET burn-in_iterations = %d\nSET sample_iterations = %d\n", burnin, samples)
	b.WriteString("SET prior_form = Uniform\nSET Uniform_parameter_L = 1\nSET Uniform_parameter_U = 60\n")
	files := map[string]string{
		"sampled_knots_file": "none", "sampled_mu_file": "none", "sampled_mu-grid_file": "none",
		"sampled_params_file": "none", "summary_mu_file": "none", "summary_mu-grid_file": "none",
		"summary_params_file": "none",
	}
	if outputs {
		files["sampled_mu_file"], files["sampled_params_file"] = "samp_mu", "samp_params"
		files["summary_mu_file"], files["summary_params_file"] = "summ_mu", "summ_params"
	}
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "SET %s = %s\n", k, files[k])
	}
	return b.String()
}
