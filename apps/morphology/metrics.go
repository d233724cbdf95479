package morphology

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/spatial/r3"
)

// Morphometrics are NeuroM-convention measurements of a set of neurites:
// the link from the soma to a neurite's first sample is not part of any
// length, root sections have branch order 0, path lengths start at a
// neurite's first sample, and bifurcations and tips are counted on neurite
// samples only. Lengths are in um, angles in radians. Per-section slices are
// indexed like the selected sections in Neuron.Sections order; per-fork
// slices list the bifurcations (exactly two children) in that order.
type Morphometrics struct {
	Stems        int // neurites
	Bifurcations int // samples with exactly two children
	ForkPoints   int // samples with two or more children
	Tips         int // samples with no children
	Sections     int

	TotalLength       float64 // sum of the section lengths
	MaxBranchOrder    int
	MaxPathLength     float64 // longest path from a neurite's first sample
	MaxRadialDistance float64 // from the soma centre, over section points
	// Box bounds the selected neurites' samples (the soma excluded).
	Box r3.Box

	SectionLengths     []float64 // per section
	SectionOrders      []int     // branch order per section
	SectionPathLengths []float64 // path length at each section's end
	// SectionRadialDistances is the distance from the soma centre to each
	// section's end (NeuroM's section_radial_distances).
	SectionRadialDistances []float64
	// SectionTortuosity is section length / distance between its ends
	// (>= 1; +Inf for a closed loop section).
	SectionTortuosity []float64
	SectionStrahler   []int // Strahler order per section (tips 1)

	LocalBifurcationAngles  []float64 // per bifurcation
	RemoteBifurcationAngles []float64 // per bifurcation
	// PartitionAsymmetry is |n-m|/(n+m) per bifurcation, n and m the
	// numbers of sections in the two child subtrees (NeuroM's default).
	PartitionAsymmetry []float64

	// Barcodes is the TMD persistence barcode of each selected neurite
	// (radial distance from the neurite's first sample), one bar per tip.
	Barcodes [][]Bar
}

// Bar is one bar of a TMD persistence barcode: Birth is the value of the
// branch that ends there (the farther, larger value), Death the value at the
// fork where it merged into a longer branch (0 for the last bar).
type Bar struct {
	Birth, Death float64 // um
}

func wanted(t Type, types []Type) bool {
	return len(types) == 0 || slices.Contains(types, t)
}

// neuriteSections returns the index range [lo, hi) of neurite k's sections
// (sections are stored neurite by neurite, depth-first).
func (n *Neuron) neuriteSections(k int) (lo, hi int) {
	lo = n.neurites[k].Root
	hi = len(n.sections)
	if k+1 < len(n.neurites) {
		hi = n.neurites[k+1].Root
	}
	return lo, hi
}

// Measure computes the morphometrics of the neurites whose type is one of
// types, or of all neurites when types is empty.
func Measure(n *Neuron, types ...Type) Morphometrics {
	var m Morphometrics
	center := n.SomaShape().Center
	m.Box = r3.Box{Min: r3.Vec{X: math.Inf(1), Y: math.Inf(1), Z: math.Inf(1)}, Max: r3.Vec{X: math.Inf(-1), Y: math.Inf(-1), Z: math.Inf(-1)}}
	pathEnd := make([]float64, len(n.sections))
	size := make([]int, len(n.sections))
	strahler := make([]int, len(n.sections))
	for k, nt := range n.neurites {
		if !wanted(nt.Type, types) {
			continue
		}
		m.Stems++
		lo, hi := n.neuriteSections(k)
		for si := lo; si < hi; si++ {
			sec := &n.sections[si]
			var l float64
			for j := 1; j < len(sec.Points); j++ {
				l += dist(n.Samples[sec.Points[j]].Pos, n.Samples[sec.Points[j-1]].Pos)
			}
			for _, p := range sec.Points {
				pos := n.Samples[p].Pos
				m.MaxRadialDistance = math.Max(m.MaxRadialDistance, dist(pos, center))
				m.Box.Min = r3.Vec{X: math.Min(m.Box.Min.X, pos.X), Y: math.Min(m.Box.Min.Y, pos.Y), Z: math.Min(m.Box.Min.Z, pos.Z)}
				m.Box.Max = r3.Vec{X: math.Max(m.Box.Max.X, pos.X), Y: math.Max(m.Box.Max.Y, pos.Y), Z: math.Max(m.Box.Max.Z, pos.Z)}
			}
			pathEnd[si] = l
			if sec.Parent >= 0 {
				pathEnd[si] += pathEnd[sec.Parent]
			}
			m.Sections++
			m.TotalLength += l
			m.MaxBranchOrder = max(m.MaxBranchOrder, sec.Order)
			m.MaxPathLength = math.Max(m.MaxPathLength, pathEnd[si])
			m.SectionLengths = append(m.SectionLengths, l)
			m.SectionOrders = append(m.SectionOrders, sec.Order)
			m.SectionPathLengths = append(m.SectionPathLengths, pathEnd[si])
			m.SectionRadialDistances = append(m.SectionRadialDistances, dist(n.Samples[sec.Points[len(sec.Points)-1]].Pos, center))
			m.SectionTortuosity = append(m.SectionTortuosity, l/dist(n.Samples[sec.Points[0]].Pos, n.Samples[sec.Points[len(sec.Points)-1]].Pos))
			switch c := len(sec.Children); {
			case c == 0:
				m.Tips++
			case c >= 2:
				m.ForkPoints++
				if c == 2 {
					m.Bifurcations++
				}
			}
		}
		// Post-order quantities: subtree sizes and Strahler orders.
		for si := hi - 1; si >= lo; si-- {
			sec := &n.sections[si]
			size[si] = 1
			best, ties := 0, 0
			for _, c := range sec.Children {
				size[si] += size[c]
				switch {
				case strahler[c] > best:
					best, ties = strahler[c], 1
				case strahler[c] == best:
					ties++
				}
			}
			switch {
			case len(sec.Children) == 0:
				strahler[si] = 1
			case ties >= 2:
				strahler[si] = best + 1
			default:
				strahler[si] = best
			}
		}
		for si := lo; si < hi; si++ {
			m.SectionStrahler = append(m.SectionStrahler, strahler[si])
			sec := &n.sections[si]
			if len(sec.Children) != 2 {
				continue
			}
			bif := n.Samples[sec.Points[len(sec.Points)-1]].Pos
			c0, c1 := &n.sections[sec.Children[0]], &n.sections[sec.Children[1]]
			m.LocalBifurcationAngles = append(m.LocalBifurcationAngles,
				angle(bif, n.firstNonCoincident(c0), n.firstNonCoincident(c1)))
			m.RemoteBifurcationAngles = append(m.RemoteBifurcationAngles,
				angle(bif, n.Samples[c0.Points[len(c0.Points)-1]].Pos, n.Samples[c1.Points[len(c1.Points)-1]].Pos))
			a, b := float64(size[sec.Children[0]]), float64(size[sec.Children[1]])
			pa := 0.0
			if a != b {
				pa = math.Abs(a-b) / (a + b)
			}
			m.PartitionAsymmetry = append(m.PartitionAsymmetry, pa)
		}
		m.Barcodes = append(m.Barcodes, n.barcode(k))
	}
	if m.Stems == 0 {
		m.Box = r3.Box{}
	}
	return m
}

// dist is the Euclidean distance, as numpy.linalg.norm computes it.
func dist(a, b r3.Vec) float64 { return math.Sqrt(r3.Norm2(r3.Sub(a, b))) }

// firstNonCoincident returns the first point of a child section that is not
// at the fork's position (NeuroM's local bifurcation angle).
func (n *Neuron) firstNonCoincident(sec *Section) r3.Vec {
	p0 := n.Samples[sec.Points[0]].Pos
	for _, p := range sec.Points[1:] {
		if q := n.Samples[p].Pos; q != p0 {
			return q
		}
	}
	return n.Samples[sec.Points[1]].Pos
}

// angle returns the angle at p0 between p1-p0 and p2-p0, in [0, pi].
func angle(p0, p1, p2 r3.Vec) float64 {
	a, b := r3.Sub(p1, p0), r3.Sub(p2, p0)
	na, nb := r3.Norm(a), r3.Norm(b)
	if na == 0 || nb == 0 {
		return math.NaN()
	}
	c := r3.Dot(a, b) / (na * nb)
	return math.Acos(math.Max(-1, math.Min(1, c)))
}

// barcode computes the TMD barcode of neurite k with the radial distance
// from its first sample as filtration (TMD's tree_to_property_barcode):
// at each fork the child branch with the largest value survives and every
// other child emits [its value, the fork's value]; the last survivor emits
// [its value, 0]. Bars come in post-order.
func (n *Neuron) barcode(k int) []Bar {
	lo, hi := n.neuriteSections(k)
	origin := n.Samples[n.neurites[k].Stem].Pos
	f := func(si int) float64 {
		pts := n.sections[si].Points
		return dist(n.Samples[pts[len(pts)-1]].Pos, origin)
	}
	surv := make([]float64, hi-lo)
	var bars []Bar
	for si := hi - 1; si >= lo; si-- {
		sec := &n.sections[si]
		if len(sec.Children) == 0 {
			surv[si-lo] = f(si)
			continue
		}
		best := -1
		for j, c := range sec.Children {
			if best < 0 || math.Abs(surv[c-lo]) > math.Abs(surv[sec.Children[best]-lo]) {
				best = j
			}
		}
		fp := f(si)
		for j, c := range sec.Children {
			if j != best {
				bars = append(bars, Bar{Birth: surv[c-lo], Death: fp})
			}
		}
		surv[si-lo] = surv[sec.Children[best]-lo]
	}
	return append(bars, Bar{Birth: surv[0], Death: 0})
}

// ShollPoint is the number of neurite segments crossing a sphere around the
// soma centre.
type ShollPoint struct {
	Radius    float64 // um
	Crossings int
}

// Sholl returns NeuroM's sholl_frequency: spheres from the soma radius
// outwards in steps of step um (while below soma radius + the largest
// radial distance), counting segments of the selected neurites with one end
// inside and one outside, ends on the sphere included (re-entrant branches
// count again). step must be positive.
func Sholl(n *Neuron, step float64, types ...Type) []ShollPoint {
	if !(step > 0) {
		panic("morphology: Sholl step must be positive")
	}
	shape := n.SomaShape()
	c := shape.Center
	var maxR float64
	for k, nt := range n.neurites {
		if !wanted(nt.Type, types) {
			continue
		}
		lo, hi := n.neuriteSections(k)
		for si := lo; si < hi; si++ {
			for _, p := range n.sections[si].Points {
				maxR = math.Max(maxR, dist(n.Samples[p].Pos, c))
			}
		}
	}
	r0 := shape.Radius
	count := int(math.Ceil(maxR / step)) // numpy.arange(r0, r0+maxR, step)
	if count <= 0 {
		return nil
	}
	out := make([]ShollPoint, count)
	for i := range out {
		out[i].Radius = r0 + float64(i)*step
	}
	for k, nt := range n.neurites {
		if !wanted(nt.Type, types) {
			continue
		}
		lo, hi := n.neuriteSections(k)
		for si := lo; si < hi; si++ {
			pts := n.sections[si].Points
			for j := 1; j < len(pts); j++ {
				d0 := r3.Norm2(r3.Sub(n.Samples[pts[j-1]].Pos, c))
				d1 := r3.Norm2(r3.Sub(n.Samples[pts[j]].Pos, c))
				if d0 > d1 {
					d0, d1 = d1, d0
				}
				first := int(math.Floor((math.Sqrt(d0)-r0)/step)) - 1
				last := int(math.Ceil((math.Sqrt(d1)-r0)/step)) + 1
				for i := max(first, 0); i <= min(last, count-1); i++ {
					r2 := out[i].Radius * out[i].Radius
					if d0 <= r2 && r2 <= d1 {
						out[i].Crossings++
					}
				}
			}
		}
	}
	return out
}
