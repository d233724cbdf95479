package morphology

import (
	"math"

	"gonum.org/v1/gonum/spatial/r3"
)

// MorphoPySummary holds whole-cell numbers under MorphoPy's convention, which
// differs from NeuroM's: the soma samples collapse into one root node at their
// mean (MorphoPy uses the convex-hull centroid for more than three soma
// points; this uses the mean throughout), the root-to-stem links count
// towards lengths, and the root counts as a branch point (when it has two or
// more stems) and raises the branch order by one.
type MorphoPySummary struct {
	TotalLength     float64 // um, root-to-stem links included
	Tips            int
	BranchPoints    int // fork points, the soma root included
	Stems           int
	MaxBranchOrder  int
	MaxPathDistance float64 // um, from the soma node
	// Width, Depth and Height are the x, y and z extents of the nodes
	// (the soma node and all neurite samples), in um.
	Width, Depth, Height float64
}

// MeasureMorphoPy computes whole-cell numbers with MorphoPy's convention.
func MeasureMorphoPy(n *Neuron) MorphoPySummary {
	m := Measure(n)
	s := MorphoPySummary{TotalLength: m.TotalLength, Tips: m.Tips, BranchPoints: m.ForkPoints, Stems: m.Stems, MaxBranchOrder: m.MaxBranchOrder}
	root := n.SomaShape().Center
	somaFork := len(n.soma) > 0 && m.Stems >= 2
	if somaFork {
		s.BranchPoints++
		s.MaxBranchOrder++
	}
	lo, hi := root, root
	for i, smp := range n.Samples {
		if smp.Type == Soma {
			continue
		}
		lo = r3.Vec{X: math.Min(lo.X, smp.Pos.X), Y: math.Min(lo.Y, smp.Pos.Y), Z: math.Min(lo.Z, smp.Pos.Z)}
		hi = r3.Vec{X: math.Max(hi.X, smp.Pos.X), Y: math.Max(hi.Y, smp.Pos.Y), Z: math.Max(hi.Z, smp.Pos.Z)}
		_ = i
	}
	s.Width, s.Depth, s.Height = hi.X-lo.X, hi.Y-lo.Y, hi.Z-lo.Z
	if len(n.soma) == 0 {
		s.MaxPathDistance = m.MaxPathLength
		return s
	}
	// Path lengths per section end, plus each neurite's soma link.
	pathEnd := make([]float64, len(n.sections))
	for k, nt := range n.neurites {
		link := dist(n.Samples[nt.Stem].Pos, root)
		s.TotalLength += link
		lo, hi := n.neuriteSections(k)
		for si := lo; si < hi; si++ {
			sec := &n.sections[si]
			var l float64
			for j := 1; j < len(sec.Points); j++ {
				l += dist(n.Samples[sec.Points[j]].Pos, n.Samples[sec.Points[j-1]].Pos)
			}
			if sec.Parent >= 0 {
				pathEnd[si] = pathEnd[sec.Parent] + l
			} else {
				pathEnd[si] = link + l
			}
			s.MaxPathDistance = math.Max(s.MaxPathDistance, pathEnd[si])
		}
	}
	return s
}
