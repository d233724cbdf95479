package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurogfn/neurogfn/apps/bars"
)

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readAndPool(files []string, d *bars.PSTH) (*Posterior, error) {
	runs, err := readBarsPRuns(files, d)
	if err != nil {
		return nil, err
	}
	return poolBarsP(runs, d), nil
}

// TestReadBarsP pools two runs' draws: k proportions, peak summaries and
// the mean curve rescaled from pooled expected counts to spikes/s.
func TestReadBarsP(t *testing.T) {
	dir := t.TempDir()
	// 3 bins of 10 ms, 20 trials: 1 expected count per bin is 5 spikes/s.
	d := &bars.PSTH{Name: "x", Time: []float64{0.005, 0.015, 0.025}, Count: []float64{1, 2, 3}, Trials: 20, BinWidth: 0.01}
	writeFile(t, filepath.Join(dir, "r1.samp_params"), "0 1 2 0.010 50 3\n1 1 2 0.012 60 4\n")
	writeFile(t, filepath.Join(dir, "r1.samp_mu"), "1 2 3\n3 2 1\n")
	writeFile(t, filepath.Join(dir, "r2.samp_params"), "0 1 2 0.014 70 4\n\n1 1 2 0.016 80 4\n")
	writeFile(t, filepath.Join(dir, "r2.samp_mu"), "2 2 2\n2 2 2\n")
	files, _ := filepath.Glob(filepath.Join(dir, "*.samp_params"))
	p, err := readAndPool(files, d)
	if err != nil {
		t.Fatal(err)
	}
	if p.Draws != 4 || p.K[3] != 0.25 || p.K[4] != 0.75 || len(p.K) != 2 {
		t.Errorf("draws %d, p(k) %v; want 4 draws, 3: 0.25, 4: 0.75", p.Draws, p.K)
	}
	if math.Abs(p.PeakMean-0.013) > 1e-12 || math.Abs(p.RateMean-65) > 1e-12 {
		t.Errorf("peak mean %g, rate mean %g; want 0.013, 65", p.PeakMean, p.RateMean)
	}
	if p.PeakLo != 0.010 || p.PeakHi != 0.016 {
		t.Errorf("peak interval [%g, %g]; want [0.010, 0.016]", p.PeakLo, p.PeakHi)
	}
	for i, v := range p.meanCurve {
		if math.Abs(v-10) > 1e-12 {
			t.Errorf("mean curve[%d] = %g spikes/s, want 10 (2 counts per bin)", i, v)
		}
	}

	// Without samp_mu there is no curve, and the relative ISE is null.
	os.Remove(filepath.Join(dir, "r2.samp_mu"))
	p, err = readAndPool(files, d)
	if err != nil {
		t.Fatal(err)
	}
	if p.meanCurve != nil {
		t.Errorf("mean curve %v from runs without samp_mu", p.meanCurve)
	}
	b, err := json.Marshal(compare(*p, *p))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"rel_ise_mean_curve":null`) || !strings.Contains(string(b), `"tv_k":0`) {
		t.Errorf("comparison JSON %s", b)
	}

	// samp_mu and samp_params must hold the same draws.
	writeFile(t, filepath.Join(dir, "r2.samp_mu"), "2 2 2\n")
	if _, err := readBarsPRuns(files, d); err == nil || !strings.Contains(err.Error(), "r2.samp_mu has 1 draws but") {
		t.Errorf("draw counts differ: error %v", err)
	}
	os.Remove(filepath.Join(dir, "r2.samp_mu"))

	// A short row is named by file and line.
	writeFile(t, filepath.Join(dir, "r2.samp_params"), "0 1 2 0.014 70 4\n1 1 2 0.016 80\n")
	if _, err := readBarsPRuns(files, d); err == nil || !strings.Contains(err.Error(), "r2.samp_params:2:") {
		t.Errorf("short row: error %v, want one naming r2.samp_params:2", err)
	}
	writeFile(t, filepath.Join(dir, "r2.samp_params"), "0 1 2 x 70 4\n")
	if _, err := readBarsPRuns(files, d); err == nil || !strings.Contains(err.Error(), "r2.samp_params:1: value 4") {
		t.Errorf("bad number: error %v, want one naming r2.samp_params:1 value 4", err)
	}
}

// TestBarsPFailsFast: a -barsp pattern that matches nothing stops the
// program before the long runs.
func TestBarsPFailsFast(t *testing.T) {
	var out, errw strings.Builder
	err := run(context.Background(), []string{"-data", "../../data/psth/bars_example.data", "-barsp", filepath.Join(t.TempDir(), "*.samp_params"), "-json", ""}, &out, &errw)
	if err == nil || !strings.Contains(err.Error(), "matches no file") {
		t.Fatalf("error %v, want one saying the pattern matches no file", err)
	}
	if strings.Contains(errw.String(), "RJMCMC") {
		t.Errorf("started the runs before failing: %s", errw.String())
	}
}
