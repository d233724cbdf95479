// Command bars_agreement holds the two samplers of apps/bars against each
// other on one PSTH with long runs (issue 3: "GFlowNet against RJMCMC on
// the same data: total variation of k at most 0.05, KS distance of peak
// time at most 0.05"). It runs independent RJMCMC chains, trains the
// GFlowNet once and draws from it through the Metropolis correction,
// turns every kept knot set into a posterior draw (coefficients, rate
// curve, peak), and reports the total variation between the posteriors of
// k, the two-sample Kolmogorov-Smirnov distance between the peak-time
// posteriors and the relative ISE between the posterior mean curves. The
// same statistics between the two halves of each sampler's own draws show
// how much of a difference Monte Carlo noise alone makes. See README.md.
//
//	go run ./bench/bars_agreement -chains 8 -iterations 50000 -gfn-draws 40000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/neurogfn/neurogfn/apps/bars"
	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/parquetout"
	"gonum.org/v1/gonum/stat"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bars_agreement:", err)
		os.Exit(1)
	}
}

// Posterior is one sampler's pooled draws, reduced to what is compared.
type Posterior struct {
	Name      string          `json:"name"`
	Draws     int             `json:"draws"`
	K         map[int]float64 `json:"k_posterior"`
	PeakMean  float64         `json:"peak_time_mean_s"`
	PeakLo    float64         `json:"peak_time_lo_s"`
	PeakHi    float64         `json:"peak_time_hi_s"`
	RateMean  float64         `json:"peak_rate_mean_hz"`
	WallS     float64         `json:"wall_s"`
	peaks     []float64
	meanCurve []float64
	halves    [2][]bars.Draw
}

// Comparison is the distance between two posteriors.
type Comparison struct {
	A      string  `json:"a,omitempty"`
	B      string  `json:"b,omitempty"`
	TVK    float64 `json:"tv_k"`
	KSPeak float64 `json:"ks_peak_time"`
	RelISE float64 `json:"-"`
}

// MarshalJSON writes an undefined relative ISE as null.
func (c Comparison) MarshalJSON() ([]byte, error) {
	type plain Comparison
	var rel *float64
	if !math.IsNaN(c.RelISE) {
		rel = &c.RelISE
	}
	return json.Marshal(struct {
		plain
		RelISE *float64 `json:"rel_ise_mean_curve"`
	}{plain(c), rel})
}

// Output is the JSON file's content.
type Output struct {
	Command     []string `json:"command"`
	Date        string   `json:"date"`
	GoVersion   string   `json:"go_version"`
	CPUs        int      `json:"cpus"`
	Data        string   `json:"data"`
	Seed        uint64   `json:"seed"`
	Chains      int      `json:"rjmcmc_chains"`
	Burnin      int      `json:"rjmcmc_burnin"`
	Iterations  int      `json:"rjmcmc_iterations_per_chain"`
	Thin        int      `json:"thin"`
	GFNDraws    int      `json:"gfn_draws"`
	GFNTrainS   float64  `json:"gfn_training_s"`
	GFNPer1000S float64  `json:"gfn_s_per_1000_draws"`
	GFNAccept   float64  `json:"gfn_metropolis_acceptance"`
	GFNESS      float64  `json:"gfn_importance_ess"`
	// SpikeRule is whether the model excluded knot sets whose fit spikes
	// between bin centres (bars.Model); BarsP's target is without it.
	SpikeRule    bool       `json:"spike_rule"`
	RJMCMC       Posterior  `json:"rjmcmc"`
	GFN          Posterior  `json:"gfn"`
	Between      Comparison `json:"gfn_vs_rjmcmc"`
	WithinRJMCMC Comparison `json:"rjmcmc_half_vs_half"`
	WithinGFN    Comparison `json:"gfn_half_vs_half"`
	// TVBarsP is each sampler's TV(k) to BarsP's pooled long runs (BARS
	// example only).
	TVBarsP map[string]float64 `json:"tv_k_vs_barsp,omitempty"`
	// BarsP is the pooled posterior of BarsP's runs given with -barsp, and
	// VsBarsP each sampler's distance to it.
	BarsPRuns []string              `json:"barsp_runs,omitempty"`
	BarsP     *Posterior            `json:"barsp,omitempty"`
	VsBarsP   map[string]Comparison `json:"vs_barsp,omitempty"`
	// WithinBarsP compares the first half of the BarsP runs with the
	// second (its Monte Carlo noise).
	WithinBarsP *Comparison `json:"barsp_half_vs_half,omitempty"`
}

// barspK is the posterior of k of 8 pooled long BarsP runs on the BARS
// example (apps/bars/testdata/README.md).
var barspK = map[int]float64{5: 0.5012, 6: 0.3701, 7: 0.1090, 8: 0.0172, 9: 0.0021, 10: 0.0004}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bars_agreement", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "data/psth/bars_example.data", "PSTH in BarsP format")
	seed := fs.Uint64("seed", 1, "base seed")
	chains := fs.Int("chains", 8, "independent RJMCMC chains (run in parallel)")
	burnin := fs.Int("burnin", 5000, "RJMCMC burn-in per chain")
	iters := fs.Int("iterations", 50000, "RJMCMC iterations kept per chain (before thinning)")
	thin := fs.Int("thin", 5, "keep every thin-th RJMCMC and GFlowNet state as a draw")
	initial := fs.Int("initial", bars.DefaultRJConfig().Initial, "RJMCMC start: that many equally spaced knots, or 0 for the greedy start")
	gfnDraws := fs.Int("gfn-draws", 100000, "GFlowNet Metropolis-corrected states (before thinning)")
	jsonOut := fs.String("json", "bars_agreement.json", "JSON output file (\"\" for none)")
	noSpikeRule := fs.Bool("no-spike-rule", false, "sample BARS's own target (as BarsP does), without the rule excluding knot sets whose fit spikes between bin centres")
	barspGlob := fs.String("barsp", "", "pattern of BarsP samp_params files from runs on the same data (bench/bars_vs_barsp/run_barsp.sh): their pooled draws are a third posterior to compare with; NAME.samp_mu beside each gives the mean curve")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *chains < 2 || *iters < *thin || *gfnDraws < 2**thin || *thin < 1 {
		return fmt.Errorf("need at least 2 chains, iterations >= thin, gfn-draws >= 2*thin and thin >= 1")
	}
	f, err := os.Open(*data)
	if err != nil {
		return err
	}
	d, err := bars.ReadBarsP(f, *data)
	f.Close()
	if err != nil {
		return err
	}
	m, err := bars.NewModel(d, bars.DefaultPrior())
	if err != nil {
		return err
	}
	m.NoSpikeRule = *noSpikeRule
	// BarsP's runs are read before the long runs, so that a bad file stops
	// the program at once.
	var bp *Posterior
	var bpFiles []string
	var bpHalves *Comparison
	if *barspGlob != "" {
		if bpFiles, err = filepath.Glob(*barspGlob); err != nil {
			return fmt.Errorf("-barsp %q: %v", *barspGlob, err)
		}
		if len(bpFiles) == 0 {
			return fmt.Errorf("-barsp %q matches no file", *barspGlob)
		}
		runs, err := readBarsPRuns(bpFiles, d)
		if err != nil {
			return err
		}
		bp = poolBarsP(runs, d)
		if len(runs) >= 2 {
			c := compare(*poolBarsP(runs[:len(runs)/2], d), *poolBarsP(runs[len(runs)/2:], d))
			c.A, c.B = "barsp[0]", "barsp[1]"
			bpHalves = &c
		}
	}
	const fine = 500
	out := Output{
		Command: append([]string{"bars_agreement"}, args...), Date: time.Now().UTC().Format(time.RFC3339),
		GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Data: *data, Seed: *seed,
		Chains: *chains, Burnin: *burnin, Iterations: *iters, Thin: *thin, GFNDraws: *gfnDraws, SpikeRule: !*noSpikeRule,
		BarsPRuns: bpFiles, BarsP: bp, WithinBarsP: bpHalves,
	}

	// RJMCMC: independent chains in parallel, each turned into draws with
	// its own coefficient stream.
	fmt.Fprintf(stderr, "bars_agreement: %d RJMCMC chains of %d + %d iterations\n", *chains, *burnin, *iters)
	start := time.Now()
	perChain := make([][]bars.Draw, *chains)
	errs := make([]error, *chains)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for c := range *chains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cs := parquetout.ItemSeed(*seed, uint64(c))
			cfg := bars.DefaultRJConfig()
			cfg.Burnin, cfg.Samples, cfg.Thin, cfg.Initial = *burnin, *iters / *thin, *thin, *initial
			ch, err := bars.RJMCMC(ctx, m, cfg, gfn.Stream(cs, 0), nil)
			if err != nil {
				errs[c] = err
				return
			}
			perChain[c], errs[c] = bars.DrawChain(ctx, m, fine, ch, cs)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	var rjHalves [2][]bars.Draw
	for c, ds := range perChain {
		rjHalves[c*2 / *chains] = append(rjHalves[c*2 / *chains], ds...)
	}
	out.RJMCMC = summarise("rjmcmc", m, fine, rjHalves)
	out.RJMCMC.WallS = time.Since(start).Seconds()
	fmt.Fprintf(stderr, "bars_agreement: RJMCMC done in %.1f s\n", out.RJMCMC.WallS)

	// GFlowNet: train once, then two independent corrected chains.
	start = time.Now()
	gcfg := bars.DefaultGFNConfig()
	res, err := bars.TrainGFN(ctx, m, gcfg, *seed, func(s gfn.Stats) {
		if s.Step%500 == 0 {
			fmt.Fprintf(stderr, "bars_agreement: GFlowNet training iteration %d of %d\n", s.Step, gcfg.Pretrain+gcfg.Iterations)
		}
	})
	if err != nil {
		return err
	}
	out.GFNTrainS = time.Since(start).Seconds()
	fmt.Fprintf(stderr, "bars_agreement: GFlowNet trained in %.1f s\n", out.GFNTrainS)
	start = time.Now()
	var gHalves [2][]bars.Draw
	var sampleS float64
	var proposed, accepted int
	for h := range 2 {
		hs := parquetout.ItemSeed(*seed, 1<<20+uint64(h))
		t0 := time.Now()
		if err := res.Sample(ctx, m, *gfnDraws/2, hs, true); err != nil {
			return err
		}
		sampleS += time.Since(t0).Seconds()
		proposed += res.Proposed
		accepted += res.Accepted
		ch := res.Chain
		thinned := &bars.Chain{}
		for i := 0; i < len(ch.Knots); i += *thin {
			thinned.Knots = append(thinned.Knots, ch.Knots[i])
			thinned.LogPost = append(thinned.LogPost, ch.LogPost[i])
			thinned.Fits = append(thinned.Fits, ch.Fits[i])
		}
		if gHalves[h], err = bars.DrawChain(ctx, m, fine, thinned, hs); err != nil {
			return err
		}
	}
	out.GFN = summarise("gfn", m, fine, gHalves)
	out.GFN.WallS = out.GFNTrainS + time.Since(start).Seconds()
	out.GFNPer1000S = sampleS / float64(*gfnDraws) * 1000
	out.GFNAccept = float64(accepted) / float64(proposed)
	out.GFNESS = res.Bounds.ESS

	out.Between = compare(out.RJMCMC, out.GFN)
	out.WithinRJMCMC = compareHalves("rjmcmc", m, fine, rjHalves)
	out.WithinGFN = compareHalves("gfn", m, fine, gHalves)
	if bp != nil {
		out.VsBarsP = map[string]Comparison{"rjmcmc": compare(*bp, out.RJMCMC), "gfn": compare(*bp, out.GFN)}
	}
	if filepath.Base(*data) == "bars_example.data" {
		out.TVBarsP = map[string]float64{"rjmcmc": tv(out.RJMCMC.K, barspK), "gfn": tv(out.GFN.K, barspK)}
	}
	report(stdout, &out)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func summarise(name string, m *bars.Model, fine int, halves [2][]bars.Draw) Posterior {
	all := append(slices.Clone(halves[0]), halves[1]...)
	s := bars.NewCurves(m, fine).Summarize(all)
	p := Posterior{Name: name, Draws: len(all), K: s.KPosterior, PeakMean: s.PeakTime.Mean, PeakLo: s.PeakTime.Lo, PeakHi: s.PeakTime.Hi, RateMean: s.PeakRate.Mean, halves: halves, meanCurve: s.Curve.Mean}
	for _, d := range all {
		p.peaks = append(p.peaks, d.PeakTime)
	}
	slices.Sort(p.peaks)
	return p
}

// compare measures b against a. The relative ISE is NaN when a posterior
// has no mean curve (BarsP runs without samp_mu).
func compare(a, b Posterior) Comparison {
	c := Comparison{A: a.Name, B: b.Name, TVK: tv(a.K, b.K), KSPeak: stat.KolmogorovSmirnov(a.peaks, nil, b.peaks, nil), RelISE: math.NaN()}
	if a.meanCurve != nil && b.meanCurve != nil {
		c.RelISE = relISE(b.meanCurve, a.meanCurve)
	}
	return c
}

func compareHalves(name string, m *bars.Model, fine int, halves [2][]bars.Draw) Comparison {
	a := summarise(name+"[0]", m, fine, [2][]bars.Draw{halves[0], nil})
	b := summarise(name+"[1]", m, fine, [2][]bars.Draw{halves[1], nil})
	return compare(a, b)
}

func tv(p, q map[int]float64) float64 {
	var s float64
	for k, v := range p {
		s += math.Abs(v - q[k])
	}
	for k, v := range q {
		if _, ok := p[k]; !ok {
			s += v
		}
	}
	return s / 2
}

func relISE(got, want []float64) float64 {
	var num, den float64
	for i := range want {
		num += (got[i] - want[i]) * (got[i] - want[i])
		den += want[i] * want[i]
	}
	return num / den
}

func report(w io.Writer, o *Output) {
	fmt.Fprintf(w, "data %s; RJMCMC %d chains × (%d + %d) iterations, GFlowNet %d corrected states; every %d-th state kept\n\n",
		o.Data, o.Chains, o.Burnin, o.Iterations, o.GFNDraws, o.Thin)
	fmt.Fprintf(w, "| sampler | draws | wall s | p(k) | peak time mean [95%%] s | peak rate mean Hz |\n|---|---|---|---|---|---|\n")
	ps := []Posterior{o.RJMCMC, o.GFN}
	if o.BarsP != nil {
		ps = append(ps, *o.BarsP)
	}
	for _, p := range ps {
		fmt.Fprintf(w, "| %s | %d | %.1f | %s | %.4f [%.4f, %.4f] | %.1f |\n", p.Name, p.Draws, p.WallS, kString(p.K), p.PeakMean, p.PeakLo, p.PeakHi, p.RateMean)
	}
	fmt.Fprintf(w, "\n| comparison | TV(k) | KS(peak time) | relISE(mean curve) |\n|---|---|---|---|\n")
	for _, c := range []struct {
		name string
		c    Comparison
	}{{"GFlowNet vs RJMCMC", o.Between}, {"RJMCMC half vs half", o.WithinRJMCMC}, {"GFlowNet half vs half", o.WithinGFN}} {
		fmt.Fprintf(w, "| %s | %.4f | %.4f | %.2g |\n", c.name, c.c.TVK, c.c.KSPeak, c.c.RelISE)
	}
	if c := o.WithinBarsP; c != nil {
		fmt.Fprintf(w, "| BarsP runs half vs half | %.4f | %.4f | %.2g |\n", c.TVK, c.KSPeak, c.RelISE)
	}
	for _, name := range []string{"rjmcmc", "gfn"} {
		if c, ok := o.VsBarsP[name]; ok {
			fmt.Fprintf(w, "| %s vs BarsP (%d runs, %d draws) | %.4f | %.4f | %.2g |\n", name, len(o.BarsPRuns), o.BarsP.Draws, c.TVK, c.KSPeak, c.RelISE)
		}
	}
	for _, name := range []string{"rjmcmc", "gfn"} {
		if v, ok := o.TVBarsP[name]; ok {
			fmt.Fprintf(w, "| %s vs BarsP's pooled long runs (k only) | %.4f | | |\n", name, v)
		}
	}
	fmt.Fprintf(w, "\nGFlowNet: training %.1f s, %.3f s per 1000 corrected states after training, Metropolis acceptance %.3f, importance ESS %.3f\n",
		o.GFNTrainS, o.GFNPer1000S, o.GFNAccept, o.GFNESS)
}

func kString(p map[int]float64) string {
	var ks []int
	for k := range p {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	s := ""
	for _, k := range ks {
		if p[k] >= 0.005 {
			s += fmt.Sprintf("%d:%.3f ", k, p[k])
		}
	}
	return s
}
