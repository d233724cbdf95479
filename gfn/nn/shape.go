package nn

import "fmt"

// Reshape returns a rows x cols view of a's row-major data (same number of
// elements). The value shares a's memory; gradients pass through unchanged.
func (t *Tape) Reshape(a *Node, rows, cols int) *Node {
	if rows*cols != a.V.Len() {
		panic(fmt.Sprintf("nn: Reshape %dx%d to %dx%d", a.V.Rows, a.V.Cols, rows, cols))
	}
	out := t.newNode(0, 0)
	out.V = Tensor{Rows: rows, Cols: cols, Data: a.V.Data}
	t.record(out, func() {
		g := t.grad(a)
		for i, v := range out.G.Data {
			g[i] += v
		}
	}, a)
	return out
}

// SliceCols returns columns [lo, hi) of a.
func (t *Tape) SliceCols(a *Node, lo, hi int) *Node {
	if lo < 0 || hi > a.V.Cols || lo > hi {
		panic(fmt.Sprintf("nn: SliceCols [%d,%d) of %d columns", lo, hi, a.V.Cols))
	}
	m, w := a.V.Cols, hi-lo
	out := t.newNode(a.V.Rows, w)
	for i := 0; i < a.V.Rows; i++ {
		copy(out.V.Data[i*w:(i+1)*w], a.V.Data[i*m+lo:i*m+hi])
	}
	t.record(out, func() {
		g := t.grad(a)
		for i := 0; i < a.V.Rows; i++ {
			dst := g[i*m+lo : i*m+hi]
			for c, v := range out.G.Data[i*w : (i+1)*w] {
				dst[c] += v
			}
		}
	}, a)
	return out
}
