package morphology

import (
	"slices"
)

// Table names of the morphometric tables (Parquet footer key "table";
// docs/schema.md documents their columns).
const (
	TableMorphometrics = "morphometrics"
	TableSections      = "sections"
)

// AllTypes is the neurite_type of morphometric rows over all neurites.
const AllTypes = "all"

// Units of MorphometricRow.Unit.
const (
	UnitCount = "count" // a number of things (samples, sections, bifurcations) or a branch order
	UnitUm    = "um"    // micrometres
)

// MorphometricRow is one morphometric of one neuron, over the neurites of
// one type or all of them: the tidy, long-format table "morphometrics". The
// values are those of Measure (NeuroM's conventions); the metric names are
// the keys of `neurogfn morphology stats --json` without their unit suffix.
type MorphometricRow struct {
	// Neuron names the cell (the command line uses the SWC file's base
	// name).
	Neuron string `parquet:"neuron,dict"`
	// NeuriteType is "all" or a neurite type (Type.String: axon, basal,
	// apical, customN).
	NeuriteType string `parquet:"neurite_type,dict"`
	// Metric is the name of the morphometric (see MorphometricRows).
	Metric string `parquet:"metric,dict"`
	// Value is the value in Unit.
	Value float64 `parquet:"value"`
	// Unit is UnitCount or UnitUm.
	Unit string `parquet:"unit,dict"`
}

// SectionRow is one section of one neuron: the table "sections". Values are
// those of Measure over all neurites (NeuroM's conventions: the soma link is
// in no length, root sections have branch order 0).
type SectionRow struct {
	Neuron string `parquet:"neuron,dict"`
	// Section is the index in Neuron.Sections: neurite by neurite, each
	// neurite depth-first, parents before children, 0-based.
	Section int32 `parquet:"section"`
	// ParentSection is the parent's Section, -1 for a root section.
	ParentSection int32 `parquet:"parent_section"`
	// Neurite is the index in Neuron.Neurites, 0-based.
	Neurite int32 `parquet:"neurite"`
	// NeuriteType is the type of the section's neurite (Type.String), as
	// Measure selects sections by type.
	NeuriteType string `parquet:"neurite_type,dict"`
	// BranchOrder is 0 for a root section, +1 at every fork.
	BranchOrder int32 `parquet:"branch_order"`
	// StrahlerOrder is 1 for a terminal section.
	StrahlerOrder int32 `parquet:"strahler_order"`
	// Children is the number of child sections (0 for a terminal section).
	Children int32 `parquet:"children"`
	// Points is the number of samples of the section, the fork point it
	// starts from included.
	Points int32 `parquet:"points"`
	// LengthUm is the section length.
	LengthUm float64 `parquet:"length_um"`
	// PathLengthUm is the path length from the neurite's first sample to
	// the section's end.
	PathLengthUm float64 `parquet:"path_length_um"`
	// RadialDistanceUm is the distance from the soma centre to the
	// section's end.
	RadialDistanceUm float64 `parquet:"radial_distance_um"`
	// Tortuosity is the length over the distance between the section's
	// ends (>= 1; +Inf for a closed loop, NaN for a section of length 0,
	// the one-point root section of a neurite that forks at its first
	// sample).
	Tortuosity float64 `parquet:"tortuosity"`
}

// NeuriteTypes returns the types of n's neurites, each once, in increasing
// order of their SWC code (axon, basal, apical, custom).
func NeuriteTypes(n *Neuron) []Type {
	var ts []Type
	for _, nt := range n.neurites {
		if !slices.Contains(ts, nt.Type) {
			ts = append(ts, nt.Type)
		}
	}
	slices.Sort(ts)
	return ts
}

// MorphometricRows appends the morphometric rows of n, named neuron, to
// dst: first over all neurites (neurite_type "all"), then over the neurites
// of each type of NeuriteTypes. Every selection has the metrics stems,
// bifurcations, fork_points, tips, sections, max_branch_order (UnitCount),
// total_length, max_path_length, max_radial_distance, extent_x, extent_y,
// extent_z (UnitUm; extents of the bounding box of the selected neurites'
// samples); "all" adds samples, soma_samples (UnitCount) and soma_radius
// (UnitUm).
func MorphometricRows(dst []MorphometricRow, neuron string, n *Neuron) []MorphometricRow {
	add := func(typ, metric string, v float64, unit string) {
		dst = append(dst, MorphometricRow{Neuron: neuron, NeuriteType: typ, Metric: metric, Value: v, Unit: unit})
	}
	sel := func(typ string, m Morphometrics) {
		add(typ, "stems", float64(m.Stems), UnitCount)
		add(typ, "bifurcations", float64(m.Bifurcations), UnitCount)
		add(typ, "fork_points", float64(m.ForkPoints), UnitCount)
		add(typ, "tips", float64(m.Tips), UnitCount)
		add(typ, "sections", float64(m.Sections), UnitCount)
		add(typ, "total_length", m.TotalLength, UnitUm)
		add(typ, "max_branch_order", float64(m.MaxBranchOrder), UnitCount)
		add(typ, "max_path_length", m.MaxPathLength, UnitUm)
		add(typ, "max_radial_distance", m.MaxRadialDistance, UnitUm)
		add(typ, "extent_x", m.Box.Max.X-m.Box.Min.X, UnitUm)
		add(typ, "extent_y", m.Box.Max.Y-m.Box.Min.Y, UnitUm)
		add(typ, "extent_z", m.Box.Max.Z-m.Box.Min.Z, UnitUm)
	}
	add(AllTypes, "samples", float64(len(n.Samples)), UnitCount)
	add(AllTypes, "soma_samples", float64(len(n.soma)), UnitCount)
	add(AllTypes, "soma_radius", n.SomaShape().Radius, UnitUm)
	sel(AllTypes, Measure(n))
	for _, t := range NeuriteTypes(n) {
		sel(t.String(), Measure(n, t))
	}
	return dst
}

// SectionRows appends one row per section of n, named neuron, to dst, in
// Neuron.Sections order.
func SectionRows(dst []SectionRow, neuron string, n *Neuron) []SectionRow {
	m := Measure(n)
	for i, sec := range n.sections {
		dst = append(dst, SectionRow{
			Neuron:           neuron,
			Section:          int32(i),
			ParentSection:    int32(sec.Parent),
			Neurite:          int32(sec.Neurite),
			NeuriteType:      n.neurites[sec.Neurite].Type.String(),
			BranchOrder:      int32(m.SectionOrders[i]),
			StrahlerOrder:    int32(m.SectionStrahler[i]),
			Children:         int32(len(sec.Children)),
			Points:           int32(len(sec.Points)),
			LengthUm:         m.SectionLengths[i],
			PathLengthUm:     m.SectionPathLengths[i],
			RadialDistanceUm: m.SectionRadialDistances[i],
			Tortuosity:       m.SectionTortuosity[i],
		})
	}
	return dst
}
