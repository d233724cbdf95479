package hypergrid_test

import (
	"math"
	"slices"
	"testing"

	"github.com/neurogfn/neurogfn/gfn"
	"github.com/neurogfn/neurogfn/gfn/envs/hypergrid"
	"github.com/neurogfn/neurogfn/gfn/gfntest"
)

func newEnv(t testing.TB, ndim, height int) *hypergrid.Env {
	t.Helper()
	e, err := hypergrid.New(ndim, height)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestNewValidates(t *testing.T) {
	for _, c := range [][2]int{{0, 8}, {-1, 8}, {2, 1}, {2, 0}, {1, hypergrid.MaxHeight + 1}} {
		if _, err := hypergrid.New(c[0], c[1]); err == nil {
			t.Errorf("New(%d, %d) succeeds, want an error", c[0], c[1])
		}
	}
}

// TestReward checks hand-computed rewards on the 2-D grid with H = 8, where
// a = |x/7 - 1/2| is 1/2, 5/14, 3/14, 1/14 for x = 0, 1, 2, 3 (and
// symmetrically for 7, 6, 5, 4): the R1 band (a > 1/4) is {0, 1, 6, 7} and
// the R2 band (3/10 < a < 2/5) is {1, 6}.
func TestReward(t *testing.T) {
	e := newEnv(t, 2, 8)
	for _, tc := range []struct {
		x    hypergrid.State
		want float64
	}{
		{hypergrid.State{1, 1}, 2.6}, // the four modes
		{hypergrid.State{1, 6}, 2.6},
		{hypergrid.State{6, 1}, 2.6},
		{hypergrid.State{6, 6}, 2.6},
		{hypergrid.State{0, 0}, 0.6}, // corners: R1 band only
		{hypergrid.State{7, 0}, 0.6},
		{hypergrid.State{0, 1}, 0.6}, // one coordinate in the R2 band is not enough
		{hypergrid.State{7, 6}, 0.6},
		{hypergrid.State{2, 2}, 0.1},
		{hypergrid.State{1, 2}, 0.1},
		{hypergrid.State{3, 4}, 0.1},
		{hypergrid.State{0, 3}, 0.1},
	} {
		if got := e.Reward(tc.x); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("R(%v) = %v, want %v", tc.x, got, tc.want)
		}
		if got := e.LogReward(tc.x); math.Abs(got-math.Log(tc.want)) > 1e-15 {
			t.Errorf("log R(%v) = %v, want %v", tc.x, got, math.Log(tc.want))
		}
	}
	var modes []hypergrid.State
	for x := range e.States() {
		if e.Reward(x) > 2 {
			modes = append(modes, x)
		}
	}
	want := []hypergrid.State{{1, 1}, {1, 6}, {6, 1}, {6, 6}}
	if !slices.EqualFunc(modes, want, slices.Equal) {
		t.Errorf("modes %v, want %v", modes, want)
	}
}

// TestBandEdges checks grid points exactly on a band edge, which torchgfn's
// epsilon comparisons (0.25+eps < a, 0.3+eps < a < 0.4-eps) put outside the
// band. One-dimensional grids make R depend on one coordinate.
func TestBandEdges(t *testing.T) {
	for _, tc := range []struct {
		height int
		x      uint16
		want   float64
	}{
		{16, 3, 0.6}, // a = |3/15 - 1/2| = 3/10: R1 band only
		{16, 2, 2.6}, // a = 11/30: both bands
		{11, 1, 0.6}, // a = 2/5: R1 band only
		{11, 2, 0.6}, // a = 3/10: R1 band only
		{5, 1, 0.1},  // a = 1/4: outside the R1 band
		{5, 0, 0.6},  // a = 1/2: inside the R1 band
	} {
		e := newEnv(t, 1, tc.height)
		if got := e.Reward(hypergrid.State{tc.x}); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("H = %d: R(%d) = %v, want %v", tc.height, tc.x, got, tc.want)
		}
	}
}

// TestTrueLogZ compares the closed form with brute-force enumeration.
func TestTrueLogZ(t *testing.T) {
	for _, c := range [][2]int{{1, 2}, {2, 8}, {2, 16}, {3, 5}, {4, 8}, {2, 11}, {3, 12}} {
		e := newEnv(t, c[0], c[1])
		var z float64
		n := 0
		for x := range e.States() {
			if e.Index(x) != n {
				t.Fatalf("%v: Index(%v) = %d, want %d", c, x, e.Index(x), n)
			}
			z += e.Reward(x)
			n++
		}
		if n != e.NumStates() {
			t.Errorf("%v: States yields %d states, NumStates = %d", c, n, e.NumStates())
		}
		if got := e.TrueLogZ(); math.Abs(got-math.Log(z)) > 1e-12 {
			t.Errorf("%v: TrueLogZ = %v, brute force %v", c, got, math.Log(z))
		}
	}
	// 2-D, H = 8: 64 R0 + 16 R1 + 4 R2.
	if got, want := newEnv(t, 2, 8).TrueLogZ(), math.Log(64*0.1+16*0.5+4*2.0); math.Abs(got-want) > 1e-14 {
		t.Errorf("TrueLogZ(2, 8) = %v, want %v", got, want)
	}
}

func TestStepUndo(t *testing.T) {
	e := newEnv(t, 3, 4)
	s := hypergrid.State{3, 0, 2}
	// Forward candidates: +1 on dims 1 and 2, then Stop.
	fc := e.Forward(s, nil)
	if len(fc) != 3 || !fc[2].Stop || fc[0].Features[1] != 1 || fc[1].Features[2] != 1 {
		t.Fatalf("Forward(%v) = %+v", s, fc)
	}
	next, back := e.Step(s, gfn.Action{Index: 1}) // +1 on dim 2
	if !slices.Equal(next, hypergrid.State{3, 0, 3}) || back != 1 || !slices.Equal(s, hypergrid.State{3, 0, 2}) {
		t.Fatalf("Step = %v, %d (s now %v)", next, back, s)
	}
	parent, a := e.Undo(next, 1)
	if !slices.Equal(parent, s) || a.Index != 1 {
		t.Fatalf("Undo = %v, %+v", parent, a)
	}
	parent, a = e.Undo(next, 0) // -1 on dim 0
	if !slices.Equal(parent, hypergrid.State{2, 0, 3}) || a.Index != 0 {
		t.Fatalf("Undo = %v, %+v", parent, a)
	}
	f := make([]float64, e.Spec().StateDim)
	e.Features(s, f)
	want := []float64{0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0}
	if !slices.Equal(f, want) {
		t.Errorf("Features(%v) = %v, want %v", s, f, want)
	}
}

func TestNoAllocs(t *testing.T) {
	e := newEnv(t, 4, 8)
	s := hypergrid.State{1, 7, 0, 3}
	fc := make([]gfn.Candidate, 0, 5)
	bc := make([]gfn.Candidate, 0, 4)
	f := make([]float64, e.Spec().StateDim)
	allocs := testing.AllocsPerRun(100, func() {
		fc = e.Forward(s, fc)
		bc = e.Backward(s, bc)
		e.Features(s, f)
		_ = e.LogReward(s)
	})
	if allocs != 0 {
		t.Errorf("Forward, Backward, Features and LogReward allocate %v times", allocs)
	}
}

func TestConformance(t *testing.T) {
	for _, c := range [][2]int{{2, 8}, {1, 2}, {3, 5}, {4, 8}} {
		gfntest.Env(t, newEnv(t, c[0], c[1]), gfntest.Options{Seed: uint64(c[0])})
	}
}

func BenchmarkForward(b *testing.B) {
	e := newEnv(b, 4, 8)
	s := hypergrid.State{1, 7, 0, 3}
	dst := make([]gfn.Candidate, 0, 5)
	for b.Loop() {
		dst = e.Forward(s, dst)
	}
}
