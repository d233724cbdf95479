package morphology

import (
	"math"
	"testing"
)

func TestSectionRowsYTree(t *testing.T) {
	n := mustRead(t, ytree)
	rows := SectionRows(nil, "y.swc", n)
	want := []SectionRow{
		{Neuron: "y.swc", Section: 0, ParentSection: -1, Neurite: 0, NeuriteType: "basal", BranchOrder: 0, StrahlerOrder: 2, Children: 2, Points: 2,
			LengthUm: 10, PathLengthUm: 10, RadialDistanceUm: 11, Tortuosity: 1},
		{Neuron: "y.swc", Section: 1, ParentSection: 0, Neurite: 0, NeuriteType: "basal", BranchOrder: 1, StrahlerOrder: 1, Children: 0, Points: 3,
			LengthUm: math.Sqrt(50) + 5, PathLengthUm: 10 + math.Sqrt(50) + 5, RadialDistanceUm: math.Sqrt(356), Tortuosity: (math.Sqrt(50) + 5) / math.Sqrt(125)},
		{Neuron: "y.swc", Section: 2, ParentSection: 0, Neurite: 0, NeuriteType: "basal", BranchOrder: 1, StrahlerOrder: 1, Children: 0, Points: 2,
			LengthUm: math.Sqrt(50), PathLengthUm: 10 + math.Sqrt(50), RadialDistanceUm: math.Sqrt(281), Tortuosity: 1},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		w := want[i]
		f, g := r, w
		f.LengthUm, f.PathLengthUm, f.RadialDistanceUm, f.Tortuosity = 0, 0, 0, 0
		g.LengthUm, g.PathLengthUm, g.RadialDistanceUm, g.Tortuosity = 0, 0, 0, 0
		if f != g || !near(r.LengthUm, w.LengthUm) || !near(r.PathLengthUm, w.PathLengthUm) || !near(r.RadialDistanceUm, w.RadialDistanceUm) || !near(r.Tortuosity, w.Tortuosity) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, r, w)
		}
	}
}

func TestMorphometricRows(t *testing.T) {
	n := mustRead(t, ytree)
	rows := MorphometricRows(nil, "y.swc", n)
	got := map[[2]string]MorphometricRow{}
	for _, r := range rows {
		k := [2]string{r.NeuriteType, r.Metric}
		if _, dup := got[k]; dup || r.Neuron != "y.swc" {
			t.Errorf("duplicate or misnamed row %+v", r)
		}
		got[k] = r
	}
	// 3 whole-cell rows, then 12 metrics for "all" and for "basal".
	if len(rows) != 3+2*12 || rows[0].Metric != "samples" || rows[len(rows)-1].NeuriteType != "basal" {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	m := Measure(n)
	for _, c := range []struct {
		typ, metric string
		v           float64
		unit        string
	}{
		{"all", "samples", 6, UnitCount}, {"all", "soma_samples", 1, UnitCount}, {"all", "soma_radius", 1, UnitUm},
		{"all", "stems", 1, UnitCount}, {"basal", "tips", 2, UnitCount}, {"basal", "bifurcations", 1, UnitCount},
		{"all", "sections", 3, UnitCount}, {"basal", "max_branch_order", 1, UnitCount},
		{"all", "total_length", m.TotalLength, UnitUm}, {"basal", "total_length", m.TotalLength, UnitUm},
		{"basal", "max_path_length", m.MaxPathLength, UnitUm}, {"all", "max_radial_distance", math.Sqrt(356), UnitUm},
		{"all", "extent_x", 15, UnitUm}, {"basal", "extent_y", 15, UnitUm}, {"basal", "extent_z", 0, UnitUm},
	} {
		r, ok := got[[2]string{c.typ, c.metric}]
		if !ok || !near(r.Value, c.v) || r.Unit != c.unit {
			t.Errorf("%s %s: %+v (present %v), want %g %s", c.typ, c.metric, r, ok, c.v, c.unit)
		}
	}
	if _, ok := got[[2]string{"basal", "samples"}]; ok {
		t.Error("whole-cell metric repeated per type")
	}
}
