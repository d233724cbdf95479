package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFakeFits writes BarsP-style output files for the data sets of cell
// B:20:10 (replicates 0 and 1): draws scattered around the truth times
// muScale on BarsP's count scale (mu = rate · trials · bin width), peaks
// around the true peak, k = 3, and a manifest.
func writeFakeFits(t *testing.T, dir string, muScale float64) {
	t.Helper()
	b := truthB()
	centres, avg, err := b.Bins(0.01)
	if err != nil {
		t.Fatal(err)
	}
	pt, pr := b.Peak(0.01)
	rng := rand.New(rand.NewPCG(1, 2))
	man := "file\tseed\texit\twall_s\tsamples\n"
	for r := range 2 {
		name := fmt.Sprintf("B_m20_w10ms_r%03d", r)
		var mu, par strings.Builder
		for i := range 400 {
			for j := range centres {
				fmt.Fprintf(&mu, "%.12e ", muScale*avg[j]*20*0.01*math.Exp(0.03*rng.NormFloat64()))
			}
			mu.WriteString("\n")
			fmt.Fprintf(&par, "%d %f %f %.12e %.12e %.12e \n", 500+i, -100.0, -90.0, pt+0.005*rng.NormFloat64(), pr*(1+0.03*rng.NormFloat64()), 3.0)
		}
		for ext, s := range map[string]string{".samp_mu": mu.String(), ".samp_params": par.String()} {
			if err := os.WriteFile(filepath.Join(dir, name+ext), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		man += fmt.Sprintf("%s.data\t%d\t0\t0.250\t400\n", name, r)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.tsv"), []byte(man), 0o644); err != nil {
		t.Fatal(err)
	}
}

func runExternal(t *testing.T, dir string) (Output, error) {
	t.Helper()
	js := filepath.Join(t.TempDir(), "ext.json")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-cells", "B:20:10", "-reps", "2", "-external", dir, "-json", js, "-quiet"}, &stdout, &stderr)
	var out Output
	if err == nil {
		b, rerr := os.ReadFile(js)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if rerr := json.Unmarshal(b, &out); rerr != nil {
			t.Fatal(rerr)
		}
	}
	return out, err
}

// TestExternalFits scores fake external fits: draws close to the truth on
// BarsP's count scale must cover it, the same draws at half the scale must
// not (the count-to-rate conversion), and the wall times, k and the
// sampler's name must come through. A malformed file must be named with
// its line.
func TestExternalFits(t *testing.T) {
	dir := t.TempDir()
	writeFakeFits(t, dir, 1)
	out, err := runExternal(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.Sampler, "external") || len(out.Reps) != 2 {
		t.Fatalf("sampler %q, %d replicates", out.Sampler, len(out.Reps))
	}
	for _, r := range out.Reps {
		if r.Err != "" || r.PwCover < 0.9 || !r.PeakTimeCover || !r.PeakRateCover || math.Abs(r.KMean-3) > 1e-9 || r.WallS != 0.25 || r.RelISE > 0.01 {
			t.Errorf("replicate %d: err %q pointwise %v peak covers %v %v k %v wall %v relISE %v", r.Rep, r.Err, r.PwCover, r.PeakTimeCover, r.PeakRateCover, r.KMean, r.WallS, r.RelISE)
		}
	}
	writeFakeFits(t, dir, 0.5)
	if out, err = runExternal(t, dir); err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Reps {
		if r.PwCover > 0.05 || math.Abs(r.RelISE-0.25) > 0.02 {
			t.Errorf("half-scale draws: pointwise coverage %v, relISE %v (want 0, 0.25)", r.PwCover, r.RelISE)
		}
	}
	bad := filepath.Join(dir, "B_m20_w10ms_r001.samp_params")
	if err := os.WriteFile(bad, []byte("500 -1 -1 0.5 50 3\n501 -1 -1 0.5 50\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runExternal(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if e := out.Reps[1].Err; !strings.Contains(e, "B_m20_w10ms_r001.samp_params:2: 5 values, want 6") {
		t.Errorf("error %q", e)
	}
}
