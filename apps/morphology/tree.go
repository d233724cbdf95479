package morphology

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/spatial/r3"
)

// Type is an SWC structure identifier (the second column of a sample line).
type Type int

// The standard SWC types. Codes 5 and above are custom (6 is "unspecified
// neurite" and 7 "glia" in some conventions); 0 (undefined) is rejected by the
// reader, as MorphIO rejects it.
const (
	Undefined Type = 0
	Soma      Type = 1
	Axon      Type = 2
	Basal     Type = 3
	Apical    Type = 4
	Custom    Type = 5
)

// String returns the lower-case name used in JSON keys and legends: soma,
// axon, basal, apical, or custom<N>.
func (t Type) String() string {
	switch t {
	case Undefined:
		return "undefined"
	case Soma:
		return "soma"
	case Axon:
		return "axon"
	case Basal:
		return "basal"
	case Apical:
		return "apical"
	}
	return fmt.Sprintf("custom%d", int(t))
}

// Sample is one SWC point.
type Sample struct {
	// ID is the sample's index in the file it was read from (informational:
	// the tree is linked by Parent, not by ID).
	ID int
	// Type is the structure identifier.
	Type Type
	// Pos is the position in um.
	Pos r3.Vec
	// R is the radius in um (half the thickness).
	R float64
	// Parent is the index of the parent in Neuron.Samples, -1 for the root.
	// It is always smaller than the sample's own index.
	Parent int
}

// Section is an unbranched run of samples between a neurite's first sample,
// a fork point and a tip (MorphIO's definition). A child section starts with
// its parent's last sample; a root section starts at the neurite's first
// sample and does not include the soma.
type Section struct {
	// Points are indices into Neuron.Samples, in order from the soma outwards.
	Points []int
	// Parent is the index of the parent section in Neuron.Sections, -1 for a
	// root section.
	Parent int
	// Children are indices of the child sections.
	Children []int
	// Neurite is the index into Neuron.Neurites.
	Neurite int
	// Order is the branch order: 0 for root sections, +1 at every fork.
	Order int
	// Type is the type of the section's last sample.
	Type Type
}

// Neurite is a tree rooted at the soma (an axon, a dendrite).
type Neurite struct {
	// Type is the type of its first sample.
	Type Type
	// Root is the index of its root section in Neuron.Sections.
	Root int
	// Stem is the index of its first sample in Neuron.Samples.
	Stem int
}

// Neuron is a reconstructed cell: the samples, linked parent before child,
// and the sections and neurites derived from them. Build one with New or
// ReadSWC; the derived fields are computed once and the Neuron must not be
// modified afterwards. Slices returned by its methods are owned by the Neuron.
type Neuron struct {
	// Samples are the points, each parent before its children; Samples[0]
	// is the only root.
	Samples []Sample
	// Comments are the header lines of the file, without the leading '#'.
	Comments []string

	children [][]int
	sections []Section
	neurites []Neurite
	soma     []int
}

// New checks the samples (a single root at index 0, every parent before its
// child, finite positions, non-negative radii, no type 0, no soma sample
// below a neurite sample) and derives sections and neurites. It takes
// ownership of samples and comments.
func New(samples []Sample, comments []string) (*Neuron, error) {
	if len(samples) == 0 {
		return nil, fmt.Errorf("no samples")
	}
	for i, s := range samples {
		switch {
		case i == 0 && s.Parent != -1:
			return nil, fmt.Errorf("sample %d: the first sample must be the root (parent -1)", s.ID)
		case i > 0 && (s.Parent < 0 || s.Parent >= i):
			return nil, fmt.Errorf("sample %d: parent index %d must lie in [0, %d)", s.ID, s.Parent, i)
		case s.Type <= Undefined:
			return nil, fmt.Errorf("sample %d: type %d is not allowed", s.ID, s.Type)
		case !finite(s.Pos.X) || !finite(s.Pos.Y) || !finite(s.Pos.Z) || !finite(s.R):
			return nil, fmt.Errorf("sample %d: non-finite position or radius", s.ID)
		case s.R < 0:
			return nil, fmt.Errorf("sample %d: negative radius %g", s.ID, s.R)
		case i > 0 && s.Type == Soma && samples[s.Parent].Type != Soma:
			return nil, fmt.Errorf("sample %d: soma sample whose parent %d is a neurite sample", s.ID, samples[s.Parent].ID)
		}
	}
	n := &Neuron{Samples: samples, Comments: comments}
	n.derive()
	return n, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func (n *Neuron) derive() {
	ns := len(n.Samples)
	counts := make([]int, ns)
	for _, s := range n.Samples[1:] {
		counts[s.Parent]++
	}
	flat := make([]int, ns)
	n.children = make([][]int, ns)
	off := 0
	for i, c := range counts {
		n.children[i] = flat[off : off : off+c]
		off += c
	}
	for i, s := range n.Samples {
		if i > 0 {
			p := s.Parent
			n.children[p] = append(n.children[p], i)
		}
	}
	for i, s := range n.Samples {
		if s.Type == Soma {
			n.soma = append(n.soma, i)
		}
	}
	// Neurite stems: non-soma samples whose parent is soma, or the root
	// itself when it is not soma.
	var stems []int
	if n.Samples[0].Type != Soma {
		stems = append(stems, 0)
	} else {
		for i, s := range n.Samples {
			if i > 0 && s.Type != Soma && n.Samples[s.Parent].Type == Soma {
				stems = append(stems, i)
			}
		}
	}
	for _, st := range stems {
		ni := len(n.neurites)
		n.neurites = append(n.neurites, Neurite{Type: n.Samples[st].Type, Root: len(n.sections), Stem: st})
		n.growNeurite(st, ni)
	}
}

// growNeurite appends the sections of the neurite starting at sample stem,
// depth-first (pre-order, children in sample order), so that every section
// comes after its parent and a neurite's sections are contiguous.
func (n *Neuron) growNeurite(stem, neurite int) {
	type pending struct {
		pts           []int
		parent, order int
	}
	stack := []pending{{pts: []int{stem}, parent: -1}}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		pts := p.pts
		cur := pts[len(pts)-1]
		for len(n.children[cur]) == 1 {
			cur = n.children[cur][0]
			pts = append(pts, cur)
		}
		idx := len(n.sections)
		n.sections = append(n.sections, Section{Points: pts, Parent: p.parent, Neurite: neurite, Order: p.order, Type: n.Samples[cur].Type})
		if p.parent >= 0 {
			n.sections[p.parent].Children = append(n.sections[p.parent].Children, idx)
		}
		ch := n.children[cur]
		for k := len(ch) - 1; k >= 0; k-- {
			stack = append(stack, pending{pts: []int{cur, ch[k]}, parent: idx, order: p.order + 1})
		}
	}
}

// Children returns the indices of the children of sample i.
func (n *Neuron) Children(i int) []int { return n.children[i] }

// Sections returns the sections, each neurite's in depth-first order.
func (n *Neuron) Sections() []Section { return n.sections }

// Neurites returns the neurites in the order their first samples appear.
func (n *Neuron) Neurites() []Neurite { return n.neurites }

// SomaSamples returns the indices of the soma samples (empty when the cell has
// no soma).
func (n *Neuron) SomaSamples() []int { return n.soma }
