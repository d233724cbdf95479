package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStudySmall runs two short replicates of each truth twice, with one
// and with two workers, and checks that the results agree (apart from the
// wall times) and look sane.
func TestStudySmall(t *testing.T) {
	dir := t.TempDir()
	var outs [2]Output
	for i, w := range []string{"1", "2"} {
		var table string
		outs[i], table = runStudy(t, filepath.Join(dir, "s"+w+".json"), "-cells", "A:60:10,B:20:10,C:30:5", "-reps", "2", "-burnin", "100", "-samples", "200", "-fine", "200", "-workers", w)
		if !strings.Contains(table, "| C | 30 × 5 ms | 2 |") {
			t.Errorf("table:\n%s", table)
		}
	}
	a, b := outs[0].Reps, outs[1].Reps
	if len(a) != 6 || len(b) != 6 {
		t.Fatalf("%d and %d replicates, want 6", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		x.WallS, y.WallS = 0, 0
		if x != y {
			t.Errorf("replicate %d differs between 1 and 2 workers:\n%+v\n%+v", i, x, y)
		}
		if x.Err != "" || !(x.RelISE > 0 && x.RelISE < 0.5) || x.Spikes == 0 {
			t.Errorf("replicate %+v", x)
		}
	}
}

// TestStudyAmortised runs the amortised GFlowNet on a small cell: the
// replicates must not depend on the number of workers, and the JSON must
// record the training.
func TestStudyAmortised(t *testing.T) {
	dir := t.TempDir()
	var outs [2]Output
	for i, w := range []string{"1", "2"} {
		outs[i], _ = runStudy(t, filepath.Join(dir, "a"+w+".json"), "-sampler", "gfn", "-gfn-amortise", "3", "-amortise-iterations", "30", "-amortise-warm", "200",
			"-cells", "B:20:10", "-reps", "2", "-samples", "200", "-fine", "200", "-workers", w)
	}
	o := outs[0]
	if o.Sampler != "gfn-amortised" || o.Amortise == nil || o.Amortise.TrainingSetsPerCell != 3 || !(o.Amortise.TrainS > 0) || o.GFN == nil || o.GFN.Pretrain != 30 {
		t.Errorf("settings: sampler %q, amortise %+v, gfn %+v", o.Sampler, o.Amortise, o.GFN)
	}
	for i := range o.Reps {
		x, y := o.Reps[i], outs[1].Reps[i]
		x.WallS, y.WallS = 0, 0
		if x != y || x.Err != "" || !(x.RelISE > 0 && x.RelISE < 0.5) {
			t.Errorf("replicate %d: %+v with 1 worker, %+v with 2", i, x, y)
		}
	}
	// Trained on another truth at another bin width: the training data
	// change, so the chains do, and the JSON says where they came from.
	other, _ := runStudy(t, filepath.Join(dir, "other.json"), "-sampler", "gfn", "-gfn-amortise", "3", "-amortise-iterations", "30", "-amortise-warm", "200",
		"-amortise-cells", "C:20:5", "-cells", "B:20:10", "-reps", "2", "-samples", "200", "-fine", "200", "-workers", "1")
	if tc := other.Amortise.TrainingCells; len(tc) != 1 || tc[0] != (Cell{Truth: "C", Trials: 20, BinMs: 5}) {
		t.Errorf("training cells %+v", tc)
	}
	for i, r := range other.Reps {
		if r.Err != "" || !(r.RelISE > 0 && r.RelISE < 0.5) || r.PeakTimeErr == o.Reps[i].PeakTimeErr {
			t.Errorf("replicate %d trained on C: %+v (trained on B: %+v)", i, r, o.Reps[i])
		}
	}
	for _, c := range []struct{ args, want string }{
		{"-gfn-amortise 3 -cells B:20:10", "-sampler gfn"},
		{"-sampler gfn -amortise-cells A:20:10 -cells B:20:10", "needs -gfn-amortise"},
		{"-sampler gfn -gfn-amortise 3 -amortise-cells D:20:10 -cells B:20:10", "unknown truth"},
	} {
		var stderr bytes.Buffer
		args := append(strings.Fields(c.args), "-reps", "1", "-json", "", "-quiet")
		if err := run(context.Background(), args, io.Discard, &stderr); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error saying %q", c.args, err, c.want)
		}
	}
}

// runStudy runs the study quietly with args, writing its JSON to js, and
// returns the JSON output and the table.
func runStudy(t *testing.T, js string, args ...string) (Output, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), append(args, "-json", js, "-quiet"), &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var out Output
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out, stdout.String()
}

// TestTruths checks the truths' bin averages and peaks.
func TestTruths(t *testing.T) {
	c := truthC()
	_, avg, err := c.Bins(0.005)
	if err != nil || len(avg) != 200 {
		t.Fatal(err, len(avg))
	}
	if abs(avg[0]-5) > 1e-12 {
		t.Errorf("C baseline %v", avg[0])
	}
	b := truthB()
	if got := b.Integral(0, 1); got < 10+40*0.1*2.5066-0.01 || got > 10+40*0.1*2.5067 {
		t.Errorf("B integral %v", got)
	}
	if pt, pr := b.Peak(0.01); abs(pt-0.5) > 1e-6 || pr > 50 || pr < 49.9 {
		t.Errorf("B peak %v %v", pt, pr)
	}
	if pt, _ := c.Peak(0.001); pt < 0.3 || pt > 0.33 {
		t.Errorf("C peak %v", pt)
	}
	a, err := truthA(findFile("apps/bars/testdata/bars_example_reference_fit.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Start != -0.005 || a.End != 1.095 {
		t.Errorf("A window [%v, %v)", a.Start, a.End)
	}
	if pt, pr := a.Peak(0.01); abs(pt-0.45) > 0.01 || pr < 150 || pr > 200 {
		t.Errorf("A peak %v %v", pt, pr)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
