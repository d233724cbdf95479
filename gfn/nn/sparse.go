package nn

import (
	"fmt"
	"math"
)

// CSR is a constant sparse matrix in compressed-row form: row r has the
// entries Coef[k] at columns Col[k] for k in [Start[r], Start[r+1]).
type CSR struct {
	Cols  int
	Start []int
	Col   []int
	Coef  []float64
}

// Rows is the number of rows of m.
func (m *CSR) Rows() int { return len(m.Start) - 1 }

// Reset empties m for reuse with the given number of columns.
func (m *CSR) Reset(cols int) {
	m.Cols = cols
	m.Start = append(m.Start[:0], 0)
	m.Col = m.Col[:0]
	m.Coef = m.Coef[:0]
}

// Add appends entry (current row, col) with coefficient c.
func (m *CSR) Add(col int, c float64) {
	m.Col = append(m.Col, col)
	m.Coef = append(m.Coef, c)
}

// EndRow closes the current row.
func (m *CSR) EndRow() { m.Start = append(m.Start, len(m.Col)) }

// Sparse returns m*a for a constant sparse m (r x k) and a (k x c).
func (t *Tape) Sparse(m *CSR, a *Node) *Node {
	if m.Cols != a.V.Rows {
		panic(fmt.Sprintf("nn: Sparse %d columns times %d rows", m.Cols, a.V.Rows))
	}
	c := a.V.Cols
	out := t.newNode(m.Rows(), c)
	for r := 0; r < m.Rows(); r++ {
		dst := out.V.Data[r*c : (r+1)*c]
		for k := m.Start[r]; k < m.Start[r+1]; k++ {
			w, src := m.Coef[k], a.V.Data[m.Col[k]*c:(m.Col[k]+1)*c]
			for j, v := range src {
				dst[j] += w * v
			}
		}
	}
	t.record(out, func() {
		g := t.grad(a)
		for r := 0; r < m.Rows(); r++ {
			src := out.G.Data[r*c : (r+1)*c]
			for k := m.Start[r]; k < m.Start[r+1]; k++ {
				w, dst := m.Coef[k], g[m.Col[k]*c:(m.Col[k]+1)*c]
				for j, v := range src {
					dst[j] += w * v
				}
			}
		}
	}, a)
	return out
}

// SegmentLogSumExp returns the (len(start)-1) x 1 column whose entry k is
// log(sum(exp(a[i]))) for i in [start[k], start[k+1]) of the flat vector a;
// an empty segment gives -Inf.
func (t *Tape) SegmentLogSumExp(a *Node, start []int) *Node {
	if len(start) == 0 || start[len(start)-1] > a.V.Len() {
		panic("nn: SegmentLogSumExp segments out of range")
	}
	out := t.newNode(len(start)-1, 1)
	for k := range out.V.Data {
		out.V.Data[k] = logSumExp(a.V.Data[start[k]:start[k+1]])
	}
	t.record(out, func() {
		g := t.grad(a)
		for k, d := range out.G.Data {
			l := out.V.Data[k]
			if d == 0 || math.IsInf(l, -1) {
				continue
			}
			for i := start[k]; i < start[k+1]; i++ {
				g[i] += d * math.Exp(a.V.Data[i]-l)
			}
		}
	}, a)
	return out
}
