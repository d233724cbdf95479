package nn

import "fmt"

// Tensor is a dense row-major float64 matrix. A column vector has Cols == 1,
// a scalar is 1x1. Data has length Rows*Cols.
type Tensor struct {
	Rows, Cols int
	Data       []float64
}

// NewTensor allocates a zeroed rows x cols tensor.
func NewTensor(rows, cols int) Tensor {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("nn: negative tensor shape %dx%d", rows, cols))
	}
	return Tensor{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
}

// At returns element (i, j).
func (t Tensor) At(i, j int) float64 { return t.Data[i*t.Cols+j] }

// Row returns row i as a slice aliasing t.Data.
func (t Tensor) Row(i int) []float64 { return t.Data[i*t.Cols : (i+1)*t.Cols] }

// Len is Rows*Cols.
func (t Tensor) Len() int { return t.Rows * t.Cols }

// Node is a value recorded on a Tape. V is the value; G, when the node
// needs a gradient, accumulates d loss / d V during Tape.Backward.
// Both are owned by the tape and are valid until the next Tape.Reset.
type Node struct {
	V         Tensor
	G         Tensor
	needsGrad bool
	back      func()
	param     *Param
}

// NeedsGrad reports whether a gradient flows into this node.
func (n *Node) NeedsGrad() bool { return n.needsGrad }

// Scalar returns the value of a 1x1 node.
func (n *Node) Scalar() float64 {
	if n.V.Rows != 1 || n.V.Cols != 1 {
		panic(fmt.Sprintf("nn: Scalar on %dx%d node", n.V.Rows, n.V.Cols))
	}
	return n.V.Data[0]
}

// Tape records operations for reverse-mode differentiation. A tape is
// reused across iterations with Reset, which recycles all of its memory, so
// the steady state allocates nothing. A Tape is not safe for concurrent use.
type Tape struct {
	nodes  []*Node
	noGrad bool

	chunks   [][]float64
	chunk    int
	off      int
	nodePool [][]Node
	nodeChk  int
	nodeOff  int

	gemmBuf []float64 // packing buffers of MatMul's products, see gemmWith
}

// NewTape returns an empty tape that records gradients.
func NewTape() *Tape { return &Tape{} }

// NewInferenceTape returns a tape that computes values only: no node needs
// a gradient and Backward panics.
func NewInferenceTape() *Tape { return &Tape{noGrad: true} }

// Recording reports whether the tape records gradients.
func (t *Tape) Recording() bool { return !t.noGrad }

// Reset forgets all nodes and recycles their memory. Nodes and tensors
// returned before Reset must not be used afterwards.
func (t *Tape) Reset() {
	clear(t.nodes)
	t.nodes = t.nodes[:0]
	// Zero the used nodes so that their closures and constant tensors do not
	// keep the previous iteration's data alive.
	for i := 0; i < t.nodeChk; i++ {
		clear(t.nodePool[i])
	}
	if t.nodeChk < len(t.nodePool) {
		clear(t.nodePool[t.nodeChk][:t.nodeOff])
	}
	t.chunk, t.off = 0, 0
	t.nodeChk, t.nodeOff = 0, 0
}

const chunkSize = 1 << 16

// alloc returns a zeroed slice of n floats owned by the tape.
func (t *Tape) alloc(n int) []float64 {
	s := t.allocDirty(n)
	clear(s)
	return s
}

// allocDirty returns a slice of n floats owned by the tape, holding
// whatever an earlier use of the memory left there: for outputs that the
// caller overwrites in full.
func (t *Tape) allocDirty(n int) []float64 {
	if n == 0 {
		return nil
	}
	for {
		if t.chunk == len(t.chunks) {
			size := chunkSize
			if n > size {
				size = n
			}
			t.chunks = append(t.chunks, make([]float64, size))
		}
		c := t.chunks[t.chunk]
		if t.off+n <= len(c) {
			s := c[t.off : t.off+n : t.off+n]
			t.off += n
			return s
		}
		if n > len(c) {
			// Replace a too-small chunk that we have not started using.
			if t.off == 0 {
				t.chunks[t.chunk] = make([]float64, n)
				continue
			}
		}
		t.chunk++
		t.off = 0
	}
}

// Alloc returns a zeroed rows x cols tensor whose memory the tape owns until
// the next Reset. Use it for scratch inputs (features, masks) of one
// iteration.
func (t *Tape) Alloc(rows, cols int) Tensor {
	return Tensor{Rows: rows, Cols: cols, Data: t.alloc(rows * cols)}
}

func (t *Tape) newNode(rows, cols int) *Node {
	n := t.newNodeDirty(rows, cols)
	clear(n.V.Data)
	return n
}

// newNodeDirty is newNode for ops that write every value of the output:
// its values are not zeroed.
func (t *Tape) newNodeDirty(rows, cols int) *Node {
	if t.nodeChk == len(t.nodePool) {
		t.nodePool = append(t.nodePool, make([]Node, 256))
	}
	p := t.nodePool[t.nodeChk]
	n := &p[t.nodeOff]
	*n = Node{V: Tensor{Rows: rows, Cols: cols, Data: t.allocDirty(rows * cols)}}
	t.nodeOff++
	if t.nodeOff == len(p) {
		t.nodeChk++
		t.nodeOff = 0
	}
	return n
}

// record makes out depend on ins: it needs a gradient if any input does,
// and then back is run during Backward.
func (t *Tape) record(out *Node, back func(), ins ...*Node) {
	if t.noGrad {
		return
	}
	for _, in := range ins {
		if in.needsGrad {
			out.needsGrad = true
			break
		}
	}
	if out.needsGrad {
		out.back = back
		t.nodes = append(t.nodes, out)
	}
}

// grad returns n's gradient tensor, allocating it zeroed on first use.
func (t *Tape) grad(n *Node) []float64 {
	if n.G.Data == nil {
		n.G = Tensor{Rows: n.V.Rows, Cols: n.V.Cols, Data: t.alloc(n.V.Len())}
	}
	return n.G.Data
}

// Const records a constant (no gradient). The tensor is used as is, not
// copied; the caller must not modify it before the tape is reset.
func (t *Tape) Const(x Tensor) *Node {
	n := t.newNode(0, 0)
	n.V = x
	return n
}

// Scalar records a constant 1x1 node.
func (t *Tape) Scalar(v float64) *Node {
	n := t.newNode(1, 1)
	n.V.Data[0] = v
	return n
}

// Param records a trainable parameter. Its gradient accumulates into p.G
// during Backward.
func (t *Tape) Param(p *Param) *Node {
	n := t.newNode(0, 0)
	n.V = p.W
	n.param = p
	if !t.noGrad {
		if p.G.Rows != p.W.Rows || p.G.Cols != p.W.Cols || len(p.G.Data) != p.W.Len() {
			if p.G.Data != nil {
				panic(fmt.Sprintf("nn: parameter %s gradient %dx%d for a %dx%d value", p.Name, p.G.Rows, p.G.Cols, p.W.Rows, p.W.Cols))
			}
			// A Param built without its gradient accumulator gets one here
			// rather than gradients that vanish into tape memory.
			p.G = NewTensor(p.W.Rows, p.W.Cols)
		}
		n.needsGrad = true
		n.G = p.G
	}
	return n
}

// Backward propagates gradients from the scalar node loss to every node that
// needs one, and accumulates parameter gradients into their Param.G.
func (t *Tape) Backward(loss *Node) {
	if t.noGrad {
		panic("nn: Backward on an inference tape")
	}
	if loss.V.Len() != 1 {
		panic(fmt.Sprintf("nn: Backward from a %dx%d node; want a scalar", loss.V.Rows, loss.V.Cols))
	}
	if !loss.needsGrad {
		return
	}
	t.grad(loss)[0] += 1
	for i := len(t.nodes) - 1; i >= 0; i-- {
		n := t.nodes[i]
		if n.G.Data == nil || n.back == nil {
			continue
		}
		n.back()
	}
}

func sameShape(op string, a, b *Node) {
	if a.V.Rows != b.V.Rows || a.V.Cols != b.V.Cols {
		panic(fmt.Sprintf("nn: %s shape mismatch %dx%d vs %dx%d", op, a.V.Rows, a.V.Cols, b.V.Rows, b.V.Cols))
	}
}
