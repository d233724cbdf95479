package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Stat is a mean over replicates with its standard error.
type Stat struct {
	Mean float64 `json:"mean"`
	SE   float64 `json:"se"`
}

// MarshalJSON writes an undefined mean or SE (no replicates, or one) as
// null: JSON has no NaN.
func (s Stat) MarshalJSON() ([]byte, error) {
	num := func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "null"
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return []byte(`{"mean":` + num(s.Mean) + `,"se":` + num(s.SE) + `}`), nil
}

func meanSE(x []float64) Stat {
	n := float64(len(x))
	if n == 0 {
		return Stat{Mean: math.NaN(), SE: math.NaN()}
	}
	var m float64
	for _, v := range x {
		m += v
	}
	m /= n
	if n < 2 {
		return Stat{Mean: m, SE: math.NaN()}
	}
	var ss float64
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return Stat{Mean: m, SE: math.Sqrt(ss / (n - 1) / n)}
}

// prop is a proportion with its binomial standard error sqrt(p(1-p)/n).
func prop(x []bool) Stat {
	n := float64(len(x))
	if n == 0 {
		return Stat{Mean: math.NaN(), SE: math.NaN()}
	}
	var k float64
	for _, v := range x {
		if v {
			k++
		}
	}
	p := k / n
	return Stat{Mean: p, SE: math.Sqrt(p * (1 - p) / n)}
}

// CellSummary aggregates the replicates of one cell. Errors and widths of
// the peak time are in ms.
type CellSummary struct {
	Cell
	Bins      int     `json:"bins"`
	Reps      int     `json:"reps"`
	Failed    int     `json:"failed"`
	TruePeakS float64 `json:"true_peak_time_s"`
	TruePeak  float64 `json:"true_peak_rate"`
	MeanSpike float64 `json:"mean_spikes"`
	WallS     Stat    `json:"wall_s_per_fit"`
	MSE       Stat    `json:"mse"`
	RelISE    Stat    `json:"rel_ise"`
	// PwCover is the mean over data sets of the fraction of bins covered;
	// its SE is over data sets, so it allows for correlation across bins.
	PwCover       Stat    `json:"pw_cover"`
	PwWidth       Stat    `json:"pw_width"`
	PwAll         Stat    `json:"pw_all_inside"`
	SimCover      Stat    `json:"sim_cover"`
	SimWidth      Stat    `json:"sim_width"`
	SimCoverLog   Stat    `json:"sim_cover_log"`
	PeakBiasMs    Stat    `json:"peak_time_bias_ms"`
	PeakMAEMs     Stat    `json:"peak_time_mae_ms"`
	PeakCover     Stat    `json:"peak_time_cover"`
	PeakWidthMs   Stat    `json:"peak_time_width_ms"`
	PeakRateRel   Stat    `json:"peak_rate_rel_err"`
	PeakRateAbs   Stat    `json:"peak_rate_abs_rel_err"`
	PeakRateCover Stat    `json:"peak_rate_cover"`
	PeakRateWidth Stat    `json:"peak_rate_width"`
	KMean         Stat    `json:"k_mean"`
	PeakESS       Stat    `json:"peak_time_ess"`
	PeakESSPerS   float64 `json:"peak_time_ess_per_s"`
}

// Summarise aggregates replicates by cell (in the order of cts).
func Summarise(cells []Cell, cts []*cellTruth, reps []Rep, perCell int) []CellSummary {
	out := make([]CellSummary, len(cells))
	for ci, c := range cells {
		ct := cts[ci]
		cs := CellSummary{Cell: c, Bins: len(ct.avg), TruePeakS: ct.peakT, TruePeak: ct.peakRate}
		var wall, mse, rel, pwc, pww, simw, pb, pmae, pww2, prr, pra, prw, km, pess, spikes []float64
		var pwall, simc, siml, pc, prc []bool
		for _, r := range reps[ci*perCell : (ci+1)*perCell] {
			if r.Cell != c {
				continue // not run (interrupted)
			}
			spikes = append(spikes, float64(r.Spikes))
			if r.Err != "" {
				cs.Failed++
				continue
			}
			cs.Reps++
			wall = append(wall, r.WallS)
			mse = append(mse, r.MSE)
			rel = append(rel, r.RelISE)
			pwc = append(pwc, r.PwCover)
			pww = append(pww, r.PwWidth)
			pwall = append(pwall, r.PwAll)
			simc = append(simc, r.SimCover)
			siml = append(siml, r.SimCoverLog)
			simw = append(simw, r.SimWidth)
			pb = append(pb, 1000*r.PeakTimeErr)
			pmae = append(pmae, 1000*math.Abs(r.PeakTimeErr))
			pc = append(pc, r.PeakTimeCover)
			pww2 = append(pww2, 1000*r.PeakTimeWidth)
			prr = append(prr, r.PeakRateRel)
			pra = append(pra, math.Abs(r.PeakRateRel))
			prc = append(prc, r.PeakRateCover)
			prw = append(prw, r.PeakRateWidth)
			km = append(km, r.KMean)
			pess = append(pess, r.PeakTimeESS)
		}
		cs.MeanSpike = meanSE(spikes).Mean
		cs.WallS, cs.MSE, cs.RelISE = meanSE(wall), meanSE(mse), meanSE(rel)
		cs.PwCover, cs.PwWidth, cs.PwAll = meanSE(pwc), meanSE(pww), prop(pwall)
		cs.SimCover, cs.SimWidth, cs.SimCoverLog = prop(simc), meanSE(simw), prop(siml)
		cs.PeakBiasMs, cs.PeakMAEMs, cs.PeakCover, cs.PeakWidthMs = meanSE(pb), meanSE(pmae), prop(pc), meanSE(pww2)
		cs.PeakRateRel, cs.PeakRateAbs, cs.PeakRateCover, cs.PeakRateWidth = meanSE(prr), meanSE(pra), prop(prc), meanSE(prw)
		cs.KMean, cs.PeakESS = meanSE(km), meanSE(pess)
		if cs.WallS.Mean > 0 {
			cs.PeakESSPerS = cs.PeakESS.Mean / cs.WallS.Mean
		}
		out[ci] = cs
	}
	return out
}

var tableHead = []string{
	"truth", "trials", "bin_ms", "bins", "reps", "failed", "s_per_fit", "mse", "rel_ise",
	"pw_cover", "pw_cover_se", "pw_width", "sim_cover", "sim_cover_se", "sim_cover_log", "sim_cover_log_se", "all_in_pw",
	"peak_bias_ms", "peak_mae_ms", "peak_cover", "peak_cover_se", "peak_width_ms",
	"height_rel_err", "height_abs_rel_err", "height_cover", "height_cover_se", "mean_k", "peak_ess_per_s",
}

func (cs CellSummary) row() []string {
	f := func(format string, v float64) string { return fmt.Sprintf(format, v) }
	return []string{
		cs.Truth, fmt.Sprint(cs.Trials), f("%g", cs.BinMs), fmt.Sprint(cs.Bins), fmt.Sprint(cs.Reps), fmt.Sprint(cs.Failed),
		f("%.3f", cs.WallS.Mean), f("%.2f", cs.MSE.Mean), f("%.4f", cs.RelISE.Mean),
		f("%.3f", cs.PwCover.Mean), f("%.3f", cs.PwCover.SE), f("%.2f", cs.PwWidth.Mean),
		f("%.3f", cs.SimCover.Mean), f("%.3f", cs.SimCover.SE), f("%.3f", cs.SimCoverLog.Mean), f("%.3f", cs.SimCoverLog.SE), f("%.3f", cs.PwAll.Mean),
		f("%+.2f", cs.PeakBiasMs.Mean), f("%.2f", cs.PeakMAEMs.Mean), f("%.3f", cs.PeakCover.Mean), f("%.3f", cs.PeakCover.SE), f("%.2f", cs.PeakWidthMs.Mean),
		f("%+.4f", cs.PeakRateRel.Mean), f("%.4f", cs.PeakRateAbs.Mean), f("%.3f", cs.PeakRateCover.Mean), f("%.3f", cs.PeakRateCover.SE),
		f("%.2f", cs.KMean.Mean), f("%.0f", cs.PeakESSPerS),
	}
}

// WriteTSV writes one row per cell.
func WriteTSV(w io.Writer, sums []CellSummary) {
	fmt.Fprintln(w, strings.Join(tableHead, "\t"))
	for _, cs := range sums {
		fmt.Fprintln(w, strings.Join(cs.row(), "\t"))
	}
}

// WriteMarkdown writes a compact markdown table, coverages as "p (SE)".
func WriteMarkdown(w io.Writer, sums []CellSummary) {
	fmt.Fprintln(w, "| truth | trials × bin | reps | s/fit | MSE (spikes/s)² | relISE | pointwise 95% coverage | mean band width | simultaneous coverage | simultaneous coverage, log-scale band | all bins in pointwise band | peak-time bias | peak-time MAE | peak CI coverage | peak CI width | peak-height rel. error | peak-height CI coverage | mean k |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, cs := range sums {
		reps := fmt.Sprint(cs.Reps)
		if cs.Failed > 0 {
			reps += fmt.Sprintf(" (+%d failed)", cs.Failed)
		}
		fmt.Fprintf(w, "| %s | %d × %g ms | %s | %.3f | %.2f | %.4f | %.3f (%.3f) | %.2f | %.3f (%.3f) | %.3f (%.3f) | %.2f | %+.2f ms | %.2f ms | %.3f (%.3f) | %.1f ms | %+.3f (abs %.3f) | %.3f (%.3f) | %.2f |\n",
			cs.Truth, cs.Trials, cs.BinMs, reps, cs.WallS.Mean, cs.MSE.Mean, cs.RelISE.Mean,
			cs.PwCover.Mean, cs.PwCover.SE, cs.PwWidth.Mean, cs.SimCover.Mean, cs.SimCover.SE, cs.SimCoverLog.Mean, cs.SimCoverLog.SE, cs.PwAll.Mean,
			cs.PeakBiasMs.Mean, cs.PeakMAEMs.Mean, cs.PeakCover.Mean, cs.PeakCover.SE, cs.PeakWidthMs.Mean,
			cs.PeakRateRel.Mean, cs.PeakRateAbs.Mean, cs.PeakRateCover.Mean, cs.PeakRateCover.SE, cs.KMean.Mean)
	}
}
