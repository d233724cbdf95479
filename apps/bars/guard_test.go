package bars

import (
	"math"
	"reflect"
	"testing"

	"github.com/neurogfn/neurogfn/gfn"
)

// TestBinAverageWeights checks the trapezoid rule of each bin: it
// integrates constants and linear functions exactly, so a bin's average of
// a linear function is its value at the centre.
func TestBinAverageWeights(t *testing.T) {
	for _, fine := range []int{3, 100, 500, 2000} {
		cv := NewCurves(exampleModel(t), fine)
		a := &cv.binAvg
		if len(a.off) != cv.Bins()+1 {
			t.Fatalf("fine %d: %d offsets for %d bins", fine, len(a.off), cv.Bins())
		}
		for j := range cv.Bins() {
			var w, wx float64
			for i := a.off[j]; i < a.off[j+1]; i++ {
				w += a.w[i]
				wx += a.w[i] * cv.gx[a.idx[i]]
			}
			if math.Abs(w-1) > 1e-12 || math.Abs(wx-cv.gx[j]) > 1e-12 {
				t.Fatalf("fine %d, bin %d: weights sum to %v and average x to %v (centre %v)", fine, j, w, wx, cv.gx[j])
			}
		}
	}
}

// TestSpikeRule checks the rule against the knot set of a draw whose fit
// spikes to 1.7e6 spikes/s between two bin centres (bench/bars_study, C
// 20 x 5 ms, replicate 28, GFlowNet draw 1459): the rule excludes it, BARS's
// target (NoSpikeRule) does not; a knot set with the same close pair
// moved onto two bin centres is allowed.
func TestSpikeRule(t *testing.T) {
	m := readModel(t, "C_m20_w5ms_r028.data")
	spiky := []float64{0.29083626050102035, 0.2975424202712597, 0.3025794193604299, 0.3055030505111537, 0.30610162960371246, 0.30890020799413176}
	if lp := m.LogPosterior(spiky); !math.IsInf(lp, -1) {
		t.Errorf("spiking knot set has log posterior %v, want -Inf", lp)
	}
	if _, excluded := m.RelaxedLogPosterior(spiky); !excluded {
		t.Error("RelaxedLogPosterior does not report the spiking knot set as excluded")
	}
	m.NoSpikeRule = true
	if lp := m.LogPosterior(spiky); math.IsInf(lp, -1) {
		t.Error("BARS's target (NoSpikeRule) excludes the spiking knot set")
	}
	m.NoSpikeRule = false
	f, b, q, err := m.fitBasis(spiky, BARSRCond)
	if err != nil {
		t.Fatal(err)
	}
	// The rule reads the fit as BarsP does, at the centres, and between.
	if m.noSpikes(b, q, f) {
		t.Error("noSpikes passes the spiking fit")
	}
	calm := []float64{0.29083626050102035, 0.2975424202712597, 0.3025, 0.3075, 0.31, 0.35}
	if spikeBins(calm, 200) == nil {
		t.Fatal("test knot set is not close enough to trigger the rule")
	}
	if lp := m.LogPosterior(calm); math.IsInf(lp, -1) {
		t.Error("the rule excludes a knot set without a spike")
	}
}

// TestBinAverageGuard checks the guard on coefficient draws. On smooth
// fits of the BARS example it never bites, with knots 1.1 bins apart or
// 1.65 bins from the ends: the draws are identical with and without it. Near the window's start of a C 20 x 10 ms data set of
// bench/bars_study (replicate 2), knots 1.7 and 2.6 bins from the start let
// some draws (7%) shoot up towards the start, to 16-56 spikes/s at the
// first centre against 0.1-0.5 at the second, where the first bin holds
// one spike; the guard redraws those.
func TestBinAverageGuard(t *testing.T) {
	draws := func(m *Model, knots []float64, guard bool, n int) []Draw {
		f, err := m.Fit(knots)
		if err != nil {
			t.Fatal(err)
		}
		cv := NewCurves(m, 500)
		cv.noAvgGuard = !guard
		out := make([]Draw, n)
		for i := range out {
			if out[i], err = cv.Draw(knots, 0, f, gfn.Stream(5, uint64(i))); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	ex := exampleModel(t)
	for _, knots := range [][]float64{{0.2, 0.38, 0.41, 0.47, 0.7}, {0.33, 0.39, 0.4, 0.45, 0.5, 0.62}, {0.015, 0.3, 0.45, 0.6, 0.985}} {
		if knots[0] != 0.2 && spikeBins(knots, 110) == nil {
			t.Fatalf("knots %v: no close knots, the guard is not exercised", knots)
		}
		if !reflect.DeepEqual(draws(ex, knots, true, 2000), draws(ex, knots, false, 2000)) {
			t.Errorf("knots %v: the guard changes draws of a smooth fit", knots)
		}
	}
	m := readModel(t, "C_m20_w10ms_r002.data")
	knots := []float64{0.01744717393884436, 0.026404602109456863, 0.27027288666902805, 0.29749250977556113, 0.38625145339309597}
	const n = 20000
	on, off := draws(m, knots, true, n), draws(m, knots, false, n)
	var changed int
	for i := range on {
		if !reflect.DeepEqual(on[i], off[i]) {
			changed++
		}
	}
	t.Logf("the guard redrew %d of %d draws", changed, n)
	if changed == 0 || changed > n/10 {
		t.Errorf("the guard redrew %d of %d draws, want some but at most 10%%", changed, n)
	}
}

// TestSpikeBins checks which bins the spike rule reads, for 10 bins (close
// means less than 0.2 apart).
func TestSpikeBins(t *testing.T) {
	for _, c := range []struct {
		knots []float64
		want  []int
	}{
		{[]float64{0.3, 0.6}, nil},
		{[]float64{0.3, 0.45, 0.75}, []int{2, 3, 4, 5}},
		{[]float64{0.1, 0.45, 0.5, 0.95}, []int{0, 1, 2, 3, 4, 5, 6, 8, 9}},
		{[]float64{0.3, 0.35, 0.42}, []int{2, 3, 4, 5}},
	} {
		if got := spikeBins(c.knots, 10); !reflect.DeepEqual(got, c.want) {
			t.Errorf("spikeBins(%v) = %v, want %v", c.knots, got, c.want)
		}
	}
}
