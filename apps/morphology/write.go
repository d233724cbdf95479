package morphology

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/spatial/r3"
)

// DepthFirst returns the sample indices in the order WriteSWC writes them:
// depth-first from the root, soma children before neurite children, other
// children in their original order. Every parent precedes its children.
func (n *Neuron) DepthFirst() []int {
	order := make([]int, 0, len(n.Samples))
	stack := []int{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		order = append(order, i)
		ch := n.children[i]
		// Push in reverse so the first child pops first; soma children go
		// on top.
		for k := len(ch) - 1; k >= 0; k-- {
			if n.Samples[ch[k]].Type != Soma {
				stack = append(stack, ch[k])
			}
		}
		for k := len(ch) - 1; k >= 0; k-- {
			if n.Samples[ch[k]].Type == Soma {
				stack = append(stack, ch[k])
			}
		}
	}
	return order
}

// WriteSWC writes n as SWC that NEURON, NeuroM and Vaa3D load: header lines
// first (each prefixed with "# "; n.Comments are not written, the caller
// chooses what to keep), then one sample per line with IDs 1..N in
// DepthFirst order, single spaces, '.' decimals, "\n" endings. Numbers are
// written in the shortest form that reads back to the same float64, so
// read-write-read returns the same tree.
func WriteSWC(w io.Writer, n *Neuron, header []string) error {
	bw := bufio.NewWriter(w)
	for _, h := range header {
		for _, l := range strings.Split(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(h), "\n") {
			bw.WriteString("#")
			if l != "" {
				bw.WriteString(" ")
				bw.WriteString(l)
			}
			bw.WriteByte('\n')
		}
	}
	order := n.DepthFirst()
	newID := make([]int, len(n.Samples))
	for k, i := range order {
		newID[i] = k + 1
	}
	buf := make([]byte, 0, 96)
	for k, i := range order {
		s := n.Samples[i]
		buf = buf[:0]
		buf = strconv.AppendInt(buf, int64(k+1), 10)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, int64(s.Type), 10)
		for _, v := range [4]float64{s.Pos.X, s.Pos.Y, s.Pos.Z, s.R} {
			buf = append(buf, ' ')
			buf = appendFloat(buf, v)
		}
		buf = append(buf, ' ')
		if s.Parent < 0 {
			buf = append(buf, '-', '1')
		} else {
			buf = strconv.AppendInt(buf, int64(newID[s.Parent]), 10)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func appendFloat(buf []byte, v float64) []byte {
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.AppendFloat(buf, v, 'f', -1, 64)
}

// SomaLayout chooses how Normalize writes the soma.
type SomaLayout int

const (
	// SomaThreePoint is NeuroMorpho's standard (CNG) layout: the centre,
	// then the centre -/+ the radius along y, all with the soma radius and
	// the centre as parent.
	SomaThreePoint SomaLayout = iota
	// SomaSinglePoint is one sphere at the centre.
	SomaSinglePoint
	// SomaKeep keeps the soma samples as they are.
	SomaKeep
)

// Normalize returns a copy of n with the soma rewritten in the given layout
// (from SomaShape's centre and radius) and every stem attached to the soma
// root. A cell without soma is returned unchanged (as a copy). Comments are
// shared with n.
func Normalize(n *Neuron, layout SomaLayout) *Neuron {
	if n.Samples[0].Type != Soma {
		s := append([]Sample(nil), n.Samples...)
		m, _ := New(s, n.Comments)
		return m
	}
	shape := n.SomaShape()
	var out []Sample
	old := make([]int, len(n.Samples)) // old index -> new index
	for i := range old {
		old[i] = -1
	}
	switch layout {
	case SomaThreePoint:
		c, r := shape.Center, shape.Radius
		out = append(out,
			Sample{ID: 1, Type: Soma, Pos: c, R: r, Parent: -1},
			Sample{ID: 2, Type: Soma, Pos: r3.Vec{X: c.X, Y: c.Y - r, Z: c.Z}, R: r, Parent: 0},
			Sample{ID: 3, Type: Soma, Pos: r3.Vec{X: c.X, Y: c.Y + r, Z: c.Z}, R: r, Parent: 0})
	case SomaSinglePoint:
		out = append(out, Sample{ID: 1, Type: Soma, Pos: shape.Center, R: shape.Radius, Parent: -1})
	case SomaKeep:
		for _, i := range n.DepthFirst() {
			if s := n.Samples[i]; s.Type == Soma {
				old[i] = len(out)
				if s.Parent >= 0 {
					s.Parent = old[s.Parent]
				}
				out = append(out, s)
			}
		}
	default:
		panic("morphology: unknown SomaLayout")
	}
	for _, i := range n.DepthFirst() {
		s := n.Samples[i]
		if s.Type == Soma {
			continue
		}
		old[i] = len(out)
		if n.Samples[s.Parent].Type == Soma {
			s.Parent = 0
		} else {
			s.Parent = old[s.Parent]
		}
		out = append(out, s)
	}
	for k := range out {
		out[k].ID = k + 1
	}
	m, err := New(out, n.Comments)
	if err != nil {
		panic("morphology: Normalize built an invalid neuron: " + err.Error())
	}
	return m
}

// SomaShape is the soma as a sphere, with MorphIO's conventions: the centre
// is the mean of the soma samples; the radius is the sample's radius for a
// one-point soma, the first sample's radius for a three-point soma, and
// otherwise the radius of the sphere with the lateral area of the soma's
// cylinders (NeuroM's SomaCylinders). Without soma, Center is the root
// sample's position and Radius 0.
type SomaShape struct {
	Center r3.Vec  // um
	Radius float64 // um
	Points int     // number of soma samples
}

// SomaShape returns the soma as a sphere.
func (n *Neuron) SomaShape() SomaShape {
	if len(n.soma) == 0 {
		return SomaShape{Center: n.Samples[0].Pos}
	}
	var c r3.Vec
	for _, i := range n.soma {
		c = r3.Add(c, n.Samples[i].Pos)
	}
	sh := SomaShape{Center: r3.Scale(1/float64(len(n.soma)), c), Points: len(n.soma)}
	switch len(n.soma) {
	case 1, 3:
		sh.Radius = n.Samples[n.soma[0]].R
	default:
		var area float64
		for _, i := range n.soma[1:] {
			s, p := n.Samples[i], n.Samples[n.Samples[i].Parent]
			h := r3.Norm(r3.Sub(s.Pos, p.Pos))
			area += math.Pi * (s.R + p.R) * math.Hypot(h, s.R-p.R)
		}
		sh.Radius = math.Sqrt(area / (4 * math.Pi))
	}
	return sh
}

// Equal reports whether a and b are the same tree: the same samples (type,
// position, radius) linked the same way, compared in DepthFirst order. IDs
// and comments are ignored.
func Equal(a, b *Neuron) bool {
	if len(a.Samples) != len(b.Samples) {
		return false
	}
	oa, ob := a.DepthFirst(), b.DepthFirst()
	posA := make([]int, len(oa))
	posB := make([]int, len(ob))
	for k := range oa {
		posA[oa[k]], posB[ob[k]] = k, k
	}
	for k := range oa {
		sa, sb := a.Samples[oa[k]], b.Samples[ob[k]]
		if sa.Type != sb.Type || sa.Pos != sb.Pos || sa.R != sb.R {
			return false
		}
		if (sa.Parent < 0) != (sb.Parent < 0) {
			return false
		}
		if sa.Parent >= 0 && posA[sa.Parent] != posB[sb.Parent] {
			return false
		}
	}
	return true
}
