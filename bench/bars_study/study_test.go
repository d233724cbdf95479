package main

import (
	"bytes"
	"context"
	"encoding/json"
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
		js := filepath.Join(dir, "s"+w+".json")
		var stdout, stderr bytes.Buffer
		args := []string{"-cells", "A:60:10,B:20:10,C:30:5", "-reps", "2", "-burnin", "100", "-samples", "200", "-fine", "200", "-workers", w, "-json", js, "-quiet"}
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		if !strings.Contains(stdout.String(), "| C | 30 × 5 ms | 2 |") {
			t.Errorf("table:\n%s", stdout.String())
		}
		b, err := os.ReadFile(js)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &outs[i]); err != nil {
			t.Fatal(err)
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
