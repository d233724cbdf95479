package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/neurogfn/neurogfn/apps/bars"
	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/parquetout"
	"gonum.org/v1/gonum/stat"
)

// Cell is one condition of the study: a truth, a number of trials and a
// bin width.
type Cell struct {
	Truth  string  `json:"truth"`
	Trials int     `json:"trials"`
	BinMs  float64 `json:"bin_ms"`
}

func (c Cell) String() string { return fmt.Sprintf("%s:%d:%g", c.Truth, c.Trials, c.BinMs) }

// Seed is the seed of replicate rep of cell c: the base seed hashed with
// the truth, the condition and the replicate. It does not depend on the
// sampler, so every sampler sees the same data sets.
func (c Cell) Seed(base uint64, rep int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d/%g", c.Truth, c.Trials, c.BinMs)
	return parquetout.ItemSeed(parquetout.ItemSeed(base, h.Sum64()), uint64(rep))
}

// Rep is the outcome of one simulated data set and its fit.
type Rep struct {
	Cell
	Rep    int    `json:"rep"`
	Seed   uint64 `json:"seed"`
	Spikes int    `json:"spikes"`
	Err    string `json:"error,omitempty"`
	// WallS is the wall time of the fit (FitPSTH) in seconds.
	WallS  float64 `json:"wall_s"`
	MSE    float64 `json:"mse"`
	RelISE float64 `json:"rel_ise"`
	// PwCover is the fraction of bins whose bin-averaged truth lies in the
	// pointwise 95% band; PwAll whether all do.
	PwCover  float64 `json:"pw_cover"`
	PwAll    bool    `json:"pw_all"`
	PwWidth  float64 `json:"pw_width"`
	SimCover bool    `json:"sim_cover"`
	SimWidth float64 `json:"sim_width"`
	// SimCover is for the app's simultaneous band (BARS C's coverage
	// simulation's: mean ± c·sd of the rate); SimCoverLog for the same
	// construction on the log rate, exp(mean ± c·sd of log rate).
	SimCoverLog bool `json:"sim_cover_log"`
	// Peak time (s) and rate (spikes/s): posterior mean minus truth, and
	// whether the 95% interval covers the truth.
	PeakTimeErr   float64 `json:"peak_time_err_s"`
	PeakTimeCover bool    `json:"peak_time_cover"`
	PeakTimeWidth float64 `json:"peak_time_width_s"`
	PeakRateRel   float64 `json:"peak_rate_rel_err"`
	PeakRateCover bool    `json:"peak_rate_cover"`
	PeakRateWidth float64 `json:"peak_rate_width"`
	KMean         float64 `json:"k_mean"`
	// PeakTimeESS is the effective sample size of the draws' peak times
	// (in sampling order; bars.ESS, Geyer's initial monotone sequence).
	PeakTimeESS float64 `json:"peak_time_ess"`
}

// cellTruth is what a cell's replicates share: the truth on the bins.
type cellTruth struct {
	truth    *Truth
	centres  []float64
	avg      []float64
	peakT    float64
	peakRate float64
	w        float64
}

func newCellTruth(tr *Truth, c Cell) (*cellTruth, error) {
	w := c.BinMs / 1000
	ct := &cellTruth{truth: tr, w: w}
	var err error
	if ct.centres, ct.avg, err = tr.Bins(w); err != nil {
		return nil, err
	}
	ct.peakT, ct.peakRate = tr.Peak(w)
	return ct, nil
}

// Study is a configured simulation study.
type Study struct {
	Truths  map[string]*Truth
	Cells   []Cell
	Reps    int
	Seed    uint64
	Workers int
	Fit     bars.FitConfig
	// DataDir, if set, receives each data set in BarsP format.
	DataDir string
	// External, if set, is a directory of another program's fits of the
	// data sets (see externalFit), scored instead of fitting with
	// neurogfn; ExternalWall holds their wall times by data-set name.
	External     string
	ExternalWall map[string]float64
	// OnlyData writes the data sets to DataDir without fitting them.
	OnlyData bool
	// Amortise > 0 fits every data set with one amortised GFlowNet
	// (bars.TrainAmortised with AmortiseCfg), trained first on Amortise
	// further data sets per cell, simulated from seeds disjoint from the
	// fitted ones (Cell.Seed with the base seed xor amortiseSalt).
	// AmortiseTrainS receives the training's wall time. AmortiseCells, if
	// set, are the cells the training data sets are simulated from
	// instead of Cells (a policy trained on other truths, trial counts or
	// bin widths than it samples).
	Amortise       int
	AmortiseCells  []Cell
	AmortiseCfg    bars.GFNConfig
	AmortiseTrainS float64
	amortised      *bars.AmortisedGFN
	// Progress, if non-nil, is called after each fit.
	Progress func(done, total int, r *Rep)
}

// Run simulates and fits every replicate of every cell, in parallel, and
// returns the replicates in (cell, replicate) order. The results do not
// depend on Workers (apart from the wall times).
func (s *Study) Run(ctx context.Context) ([]*cellTruth, []Rep, error) {
	cts, err := s.cellTruths(s.Cells)
	if err != nil {
		return nil, nil, err
	}
	if s.Amortise > 0 && !s.OnlyData && s.External == "" {
		var train []*bars.PSTH
		tcells, tcts := s.Cells, cts
		if len(s.AmortiseCells) > 0 {
			tcells = s.AmortiseCells
			if tcts, err = s.cellTruths(tcells); err != nil {
				return nil, nil, err
			}
		}
		for i, c := range tcells {
			ct := tcts[i]
			for r := range s.Amortise {
				seed := c.Seed(s.Seed^amortiseSalt, r)
				name := fmt.Sprintf("train_%s_m%d_w%gms_r%03d", c.Truth, c.Trials, c.BinMs, r)
				train = append(train, ct.truth.Simulate(gfn.Stream(seed, 0), c.Trials, ct.w, ct.centres, name))
			}
		}
		start := time.Now()
		a, err := bars.TrainAmortised(ctx, train, s.Fit.Prior, s.Fit.NoSpikeRule, s.AmortiseCfg, s.Seed, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("amortised training: %w", err)
		}
		s.amortised, s.AmortiseTrainS = a, time.Since(start).Seconds()
	}
	total := len(s.Cells) * s.Reps
	reps := make([]Rep, total)
	jobs := make(chan int)
	workers := s.Workers
	if workers < 1 {
		workers = runtime.NumCPU()
	}
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				ci, r := j/s.Reps, j%s.Reps
				reps[j] = s.one(ctx, s.Cells[ci], cts[ci], r)
				mu.Lock()
				done++
				if s.Progress != nil {
					s.Progress(done, total, &reps[j])
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for j := range total {
		select {
		case jobs <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return cts, reps, ctx.Err()
}

// cellTruths returns the truth of each cell on its bins.
func (s *Study) cellTruths(cells []Cell) ([]*cellTruth, error) {
	cts := make([]*cellTruth, len(cells))
	for i, c := range cells {
		tr, ok := s.Truths[c.Truth]
		if !ok {
			return nil, fmt.Errorf("unknown truth %q", c.Truth)
		}
		var err error
		if cts[i], err = newCellTruth(tr, c); err != nil {
			return nil, err
		}
	}
	return cts, nil
}

// amortiseSalt separates the seeds of the amortised sampler's training
// data sets from those of the fitted ones.
const amortiseSalt = 0xa3021e

// one simulates and fits replicate r of cell c.
func (s *Study) one(ctx context.Context, c Cell, ct *cellTruth, r int) Rep {
	seed := c.Seed(s.Seed, r)
	out := Rep{Cell: c, Rep: r, Seed: seed}
	name := fmt.Sprintf("%s_m%d_w%gms_r%03d", c.Truth, c.Trials, c.BinMs, r)
	p := ct.truth.Simulate(gfn.Stream(seed, 0), c.Trials, ct.w, ct.centres, name)
	for _, v := range p.Count {
		out.Spikes += int(v)
	}
	if s.DataDir != "" {
		if err := WriteBarsP(fmt.Sprintf("%s/%s.data", s.DataDir, name), p); err != nil {
			out.Err = err.Error()
			return out
		}
	}
	if s.OnlyData {
		return out
	}
	var res *bars.FitResult
	var err error
	if s.External != "" {
		res, err = externalFit(s.External, name, p)
		out.WallS = s.ExternalWall[name]
	} else {
		start := time.Now()
		if s.amortised != nil {
			res, err = s.amortised.Fit(ctx, p, s.Fit, parquetout.ItemSeed(seed, 1))
		} else {
			res, err = bars.FitPSTH(ctx, p, s.Fit, parquetout.ItemSeed(seed, 1), nil)
		}
		out.WallS = time.Since(start).Seconds()
	}
	if err != nil {
		out.Err = err.Error()
		return out
	}
	score(&out, ct, res)
	return out
}

// score compares a fit with the truth.
func score(out *Rep, ct *cellTruth, res *bars.FitResult) {
	sm := res.Summary
	cv := sm.Curve
	n := len(ct.avg)
	var se, ss, cover, pw, sw float64
	out.PwAll, out.SimCover = true, true
	for i, y := range ct.avg {
		d := cv.Mean[i] - y
		se += d * d
		ss += y * y
		if cv.Lo[i] <= y && y <= cv.Hi[i] {
			cover++
		} else {
			out.PwAll = false
		}
		if !(cv.SimulLo[i] <= y && y <= cv.SimulHi[i]) {
			out.SimCover = false
		}
		pw += cv.Hi[i] - cv.Lo[i]
		sw += cv.SimulHi[i] - cv.SimulLo[i]
	}
	out.MSE = se / float64(n)
	out.RelISE = se / ss
	out.PwCover = cover / float64(n)
	out.PwWidth = pw / float64(n)
	out.SimWidth = sw / float64(n)
	pt, pr := sm.PeakTime, sm.PeakRate
	out.PeakTimeErr = pt.Mean - ct.peakT
	out.PeakTimeCover = pt.Lo <= ct.peakT && ct.peakT <= pt.Hi
	out.PeakTimeWidth = pt.Hi - pt.Lo
	out.PeakRateRel = (pr.Mean - ct.peakRate) / ct.peakRate
	out.PeakRateCover = pr.Lo <= ct.peakRate && ct.peakRate <= pr.Hi
	out.PeakRateWidth = pr.Hi - pr.Lo
	out.KMean = sm.KMean
	out.SimCoverLog = logBandCovers(res.Draws, ct.avg)
	out.PeakTimeESS = sm.PeakTimeESS
}

// logBandCovers reports whether the log-scale simultaneous band of the
// draws at the bin centres, exp(m ± c·s) with m, s the mean and sd of the
// log rate and c the 95th percentile over draws of the largest
// standardised deviation, covers truth at every bin.
func logBandCovers(draws []bars.Draw, truth []float64) bool {
	n, nb := len(draws), len(truth)
	mean := make([]float64, nb)
	sd := make([]float64, nb)
	col := make([]float64, n)
	for j := range nb {
		for i := range draws {
			col[i] = math.Log(draws[i].Rate[j])
		}
		mean[j], sd[j] = stat.MeanStdDev(col, nil)
	}
	dev := make([]float64, n)
	for i := range draws {
		for j := range nb {
			if sd[j] > 0 {
				dev[i] = max(dev[i], math.Abs(math.Log(draws[i].Rate[j])-mean[j])/sd[j])
			}
		}
	}
	slices.Sort(dev)
	c := stat.Quantile(0.95, stat.Empirical, dev, nil)
	for j, y := range truth {
		if math.Abs(math.Log(y)-mean[j]) > c*sd[j] {
			return false
		}
	}
	return true
}
