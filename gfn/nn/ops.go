package nn

import (
	"fmt"
	"math"
)

// MatMul returns a*b for a (n x k) and b (k x m).
func (t *Tape) MatMul(a, b *Node) *Node {
	if a.V.Cols != b.V.Rows {
		panic(fmt.Sprintf("nn: MatMul shapes %dx%d * %dx%d", a.V.Rows, a.V.Cols, b.V.Rows, b.V.Cols))
	}
	var out *Node
	if a.V.Cols > 0 {
		out = t.newNodeDirty(a.V.Rows, b.V.Cols) // gemm with beta 0 overwrites it
	} else {
		out = t.newNode(a.V.Rows, b.V.Cols)
	}
	if out.V.Len() > 0 && a.V.Cols > 0 {
		gemmWith(&t.gemmBuf, false, false, a.V.Rows, b.V.Cols, a.V.Cols, 1, a.V.Data, a.V.Cols, b.V.Data, b.V.Cols, 0, out.V.Data, b.V.Cols)
	}
	t.record(out, func() {
		if a.V.Cols == 0 || out.V.Len() == 0 {
			return
		}
		n, k, m := a.V.Rows, a.V.Cols, b.V.Cols
		if a.needsGrad {
			// dA += dOut * Bᵀ
			gemmWith(&t.gemmBuf, false, true, n, k, m, 1, out.G.Data, m, b.V.Data, m, 1, t.grad(a), k)
		}
		if b.needsGrad {
			// dB += Aᵀ * dOut
			gemmWith(&t.gemmBuf, true, false, k, m, n, 1, a.V.Data, k, out.G.Data, m, 1, t.grad(b), m)
		}
	}, a, b)
	return out
}

// AddRow returns a + bias with the 1 x m row bias added to every row of a.
func (t *Tape) AddRow(a, bias *Node) *Node {
	if bias.V.Rows != 1 || bias.V.Cols != a.V.Cols {
		panic(fmt.Sprintf("nn: AddRow bias %dx%d for %dx%d", bias.V.Rows, bias.V.Cols, a.V.Rows, a.V.Cols))
	}
	out := t.newNodeDirty(a.V.Rows, a.V.Cols)
	m := a.V.Cols
	for i := 0; i < a.V.Rows; i++ {
		o, x := out.V.Data[i*m:(i+1)*m], a.V.Data[i*m:(i+1)*m]
		for j, b := range bias.V.Data {
			o[j] = x[j] + b
		}
	}
	t.record(out, func() {
		if a.needsGrad {
			ga := t.grad(a)
			for i, g := range out.G.Data {
				ga[i] += g
			}
		}
		if bias.needsGrad {
			gb := t.grad(bias)
			for i := 0; i < a.V.Rows; i++ {
				for j, g := range out.G.Data[i*m : (i+1)*m] {
					gb[j] += g
				}
			}
		}
	}, a, bias)
	return out
}

// Add returns a + b (same shape).
func (t *Tape) Add(a, b *Node) *Node {
	sameShape("Add", a, b)
	out := t.newNode(a.V.Rows, a.V.Cols)
	for i := range out.V.Data {
		out.V.Data[i] = a.V.Data[i] + b.V.Data[i]
	}
	t.record(out, func() {
		for _, in := range [2]*Node{a, b} {
			if in.needsGrad {
				g := t.grad(in)
				for i, v := range out.G.Data {
					g[i] += v
				}
			}
		}
	}, a, b)
	return out
}

// Sub returns a - b (same shape).
func (t *Tape) Sub(a, b *Node) *Node {
	sameShape("Sub", a, b)
	out := t.newNode(a.V.Rows, a.V.Cols)
	for i := range out.V.Data {
		out.V.Data[i] = a.V.Data[i] - b.V.Data[i]
	}
	t.record(out, func() {
		if a.needsGrad {
			g := t.grad(a)
			for i, v := range out.G.Data {
				g[i] += v
			}
		}
		if b.needsGrad {
			g := t.grad(b)
			for i, v := range out.G.Data {
				g[i] -= v
			}
		}
	}, a, b)
	return out
}

// Mul returns the elementwise product a ⊙ b (same shape).
func (t *Tape) Mul(a, b *Node) *Node {
	sameShape("Mul", a, b)
	out := t.newNode(a.V.Rows, a.V.Cols)
	for i := range out.V.Data {
		out.V.Data[i] = a.V.Data[i] * b.V.Data[i]
	}
	t.record(out, func() {
		if a.needsGrad {
			g := t.grad(a)
			for i, v := range out.G.Data {
				g[i] += v * b.V.Data[i]
			}
		}
		if b.needsGrad {
			g := t.grad(b)
			for i, v := range out.G.Data {
				g[i] += v * a.V.Data[i]
			}
		}
	}, a, b)
	return out
}

// Scale returns c*a.
func (t *Tape) Scale(c float64, a *Node) *Node {
	out := t.newNode(a.V.Rows, a.V.Cols)
	for i, v := range a.V.Data {
		out.V.Data[i] = c * v
	}
	t.record(out, func() {
		g := t.grad(a)
		for i, v := range out.G.Data {
			g[i] += c * v
		}
	}, a)
	return out
}

// AddScalar returns a + c elementwise.
func (t *Tape) AddScalar(a *Node, c float64) *Node {
	out := t.newNode(a.V.Rows, a.V.Cols)
	for i, v := range a.V.Data {
		out.V.Data[i] = v + c
	}
	t.record(out, func() {
		g := t.grad(a)
		for i, v := range out.G.Data {
			g[i] += v
		}
	}, a)
	return out
}

// AddBroadcast returns a + s where s is a 1x1 node added to every element.
func (t *Tape) AddBroadcast(a, s *Node) *Node {
	if s.V.Len() != 1 {
		panic("nn: AddBroadcast wants a 1x1 node")
	}
	out := t.newNode(a.V.Rows, a.V.Cols)
	c := s.V.Data[0]
	for i, v := range a.V.Data {
		out.V.Data[i] = v + c
	}
	t.record(out, func() {
		if a.needsGrad {
			g := t.grad(a)
			for i, v := range out.G.Data {
				g[i] += v
			}
		}
		if s.needsGrad {
			var sum float64
			for _, v := range out.G.Data {
				sum += v
			}
			t.grad(s)[0] += sum
		}
	}, a, s)
	return out
}

// unary applies f elementwise; df returns the derivative given input x and
// output y.
func (t *Tape) unary(a *Node, f func(x float64) float64, df func(x, y float64) float64) *Node {
	out := t.newNode(a.V.Rows, a.V.Cols)
	for i, v := range a.V.Data {
		out.V.Data[i] = f(v)
	}
	t.record(out, func() {
		g := t.grad(a)
		for i, v := range out.G.Data {
			if v != 0 {
				g[i] += v * df(a.V.Data[i], out.V.Data[i])
			}
		}
	}, a)
	return out
}

// ReLU returns max(a, 0).
func (t *Tape) ReLU(a *Node) *Node {
	out := t.newNodeDirty(a.V.Rows, a.V.Cols)
	x := a.V.Data
	y := out.V.Data[:len(x)]
	// Branch-free: signs are data-dependent, so branches mispredict.
	for i, v := range x {
		b := math.Float64bits(v)
		y[i] = math.Float64frombits(b & positiveMask(b))
	}
	t.record(out, func() {
		g := t.grad(a)[:len(x)]
		for i, d := range out.G.Data[:len(x)] {
			g[i] += math.Float64frombits(math.Float64bits(d) & positiveMask(math.Float64bits(x[i])))
		}
	}, a)
	return out
}

// positiveMask returns all ones if the float64 with bits b is > 0 (sign
// bit clear and not +0; NaNs with a clear sign bit count as positive),
// and zero otherwise.
func positiveMask(b uint64) uint64 {
	nonneg := uint64(int64(^b) >> 63)         // sign bit clear
	nonzero := uint64(-int64((b | -b) >> 63)) // b != 0
	return nonneg & nonzero
}

// LeakyReLU returns a for a > 0 and slope*a otherwise.
func (t *Tape) LeakyReLU(a *Node, slope float64) *Node {
	return t.unary(a, func(x float64) float64 {
		if x > 0 {
			return x
		}
		return slope * x
	}, func(x, _ float64) float64 {
		if x > 0 {
			return 1
		}
		return slope
	})
}

// ELU returns a for a > 0 and alpha*(exp(a)-1) otherwise.
func (t *Tape) ELU(a *Node, alpha float64) *Node {
	return t.unary(a, func(x float64) float64 {
		if x > 0 {
			return x
		}
		return alpha * math.Expm1(x)
	}, func(x, y float64) float64 {
		if x > 0 {
			return 1
		}
		return y + alpha
	})
}

// Tanh returns tanh(a).
func (t *Tape) Tanh(a *Node) *Node {
	out := t.newNode(a.V.Rows, a.V.Cols)
	for i, v := range a.V.Data {
		out.V.Data[i] = math.Tanh(v)
	}
	t.record(out, func() {
		g := t.grad(a)
		for i, v := range out.G.Data {
			y := out.V.Data[i]
			g[i] += v * (1 - y*y)
		}
	}, a)
	return out
}

// Softplus returns log(1+exp(a)), computed stably.
func (t *Tape) Softplus(a *Node) *Node {
	return t.unary(a, Softplus, func(x, _ float64) float64 { return Sigmoid(x) })
}

// Sigmoid returns 1/(1+exp(-a)).
func (t *Tape) Sigmoid(a *Node) *Node {
	return t.unary(a, Sigmoid, func(_, y float64) float64 { return y * (1 - y) })
}

// LogSigmoid returns log(sigmoid(a)) = -softplus(-a), stably.
func (t *Tape) LogSigmoid(a *Node) *Node {
	return t.unary(a, func(x float64) float64 { return -Softplus(-x) },
		func(x, _ float64) float64 { return Sigmoid(-x) })
}

// Exp returns exp(a).
func (t *Tape) Exp(a *Node) *Node {
	return t.unary(a, math.Exp, func(_, y float64) float64 { return y })
}

// Log returns log(a).
func (t *Tape) Log(a *Node) *Node {
	return t.unary(a, math.Log, func(x, _ float64) float64 { return 1 / x })
}

// Square returns a*a elementwise.
func (t *Tape) Square(a *Node) *Node {
	return t.unary(a, func(x float64) float64 { return x * x }, func(x, _ float64) float64 { return 2 * x })
}

// Huber returns the Huber function of a with threshold delta elementwise:
// x^2/2 for |x| <= delta, delta*(|x| - delta/2) otherwise.
func (t *Tape) Huber(a *Node, delta float64) *Node {
	return t.unary(a, func(x float64) float64 {
		if ax := math.Abs(x); ax > delta {
			return delta * (ax - delta/2)
		}
		return x * x / 2
	}, func(x, _ float64) float64 {
		switch {
		case x > delta:
			return delta
		case x < -delta:
			return -delta
		}
		return x
	})
}

// Sum returns the sum of all elements as a 1x1 node.
func (t *Tape) Sum(a *Node) *Node {
	out := t.newNode(1, 1)
	var s float64
	for _, v := range a.V.Data {
		s += v
	}
	out.V.Data[0] = s
	t.record(out, func() {
		g := t.grad(a)
		d := out.G.Data[0]
		for i := range g {
			g[i] += d
		}
	}, a)
	return out
}

// Mean returns the mean of all elements as a 1x1 node.
func (t *Tape) Mean(a *Node) *Node {
	n := a.V.Len()
	if n == 0 {
		panic("nn: Mean of an empty node")
	}
	return t.Scale(1/float64(n), t.Sum(a))
}

// SumRows returns the n x 1 column of row sums of a (n x m).
func (t *Tape) SumRows(a *Node) *Node {
	out := t.newNode(a.V.Rows, 1)
	m := a.V.Cols
	for i := range out.V.Data {
		var s float64
		for _, v := range a.V.Data[i*m : (i+1)*m] {
			s += v
		}
		out.V.Data[i] = s
	}
	t.record(out, func() {
		g := t.grad(a)
		for i, d := range out.G.Data {
			for j := i * m; j < (i+1)*m; j++ {
				g[j] += d
			}
		}
	}, a)
	return out
}

// LogSumExp returns log(sum(exp(a))) over all elements as a 1x1 node.
func (t *Tape) LogSumExp(a *Node) *Node {
	out := t.newNode(1, 1)
	out.V.Data[0] = logSumExp(a.V.Data)
	t.record(out, func() {
		g := t.grad(a)
		d, l := out.G.Data[0], out.V.Data[0]
		for i, v := range a.V.Data {
			g[i] += d * math.Exp(v-l)
		}
	}, a)
	return out
}

// RowLogSumExp returns the n x 1 column of log(sum_j exp(a_ij)).
func (t *Tape) RowLogSumExp(a *Node) *Node {
	out := t.newNode(a.V.Rows, 1)
	m := a.V.Cols
	for i := range out.V.Data {
		out.V.Data[i] = logSumExp(a.V.Data[i*m : (i+1)*m])
	}
	t.record(out, func() {
		g := t.grad(a)
		for i, d := range out.G.Data {
			l := out.V.Data[i]
			for j := i * m; j < (i+1)*m; j++ {
				g[j] += d * math.Exp(a.V.Data[j]-l)
			}
		}
	}, a)
	return out
}

// RowLogSoftmax returns the row-wise log-softmax of a (n x m):
// out_ij = a_ij - log(sum_k exp(a_ik)).
func (t *Tape) RowLogSoftmax(a *Node) *Node {
	out := t.newNode(a.V.Rows, a.V.Cols)
	m := a.V.Cols
	for i := 0; i < a.V.Rows; i++ {
		x, y := a.V.Data[i*m:(i+1)*m], out.V.Data[i*m:(i+1)*m]
		l := logSumExp(x)
		for j, v := range x {
			y[j] = v - l
		}
	}
	t.record(out, func() {
		g := t.grad(a)
		for i := 0; i < a.V.Rows; i++ {
			gy, y := out.G.Data[i*m:(i+1)*m], out.V.Data[i*m:(i+1)*m]
			var s float64
			for _, v := range gy {
				s += v
			}
			gx := g[i*m : (i+1)*m]
			for j, v := range gy {
				gx[j] += v - math.Exp(y[j])*s
			}
		}
	}, a)
	return out
}

// logSumExp of x; -Inf for an empty or all -Inf slice.
func logSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	if math.IsInf(m, -1) {
		return m
	}
	if math.IsInf(m, 1) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// SegmentLogSoftmax computes a log-softmax of the flat vector a (N x 1)
// within each segment [start[k], start[k+1]), where start has one entry per
// segment plus a final entry equal to N. Entries with mask[i] == false (if
// mask is non-nil) are excluded: their output is -Inf and they get no
// gradient. A segment whose entries are all masked panics.
func (t *Tape) SegmentLogSoftmax(a *Node, start []int, mask []bool) *Node {
	n := a.V.Len()
	if len(start) == 0 || start[len(start)-1] != n {
		panic(fmt.Sprintf("nn: SegmentLogSoftmax segments end at %v, want %d", start, n))
	}
	if mask != nil && len(mask) != n {
		panic("nn: SegmentLogSoftmax mask length")
	}
	out := t.newNode(a.V.Rows, a.V.Cols)
	x, y := a.V.Data, out.V.Data
	for k := 0; k+1 < len(start); k++ {
		lo, hi := start[k], start[k+1]
		m := math.Inf(-1)
		for i := lo; i < hi; i++ {
			if (mask == nil || mask[i]) && x[i] > m {
				m = x[i]
			}
		}
		if math.IsInf(m, -1) && hi > lo {
			panic(fmt.Sprintf("nn: SegmentLogSoftmax segment %d has no allowed entry", k))
		}
		var s float64
		for i := lo; i < hi; i++ {
			if mask == nil || mask[i] {
				s += math.Exp(x[i] - m)
			}
		}
		l := m + math.Log(s)
		for i := lo; i < hi; i++ {
			if mask == nil || mask[i] {
				y[i] = x[i] - l
			} else {
				y[i] = math.Inf(-1)
			}
		}
	}
	t.record(out, func() {
		g := t.grad(a)
		gy := out.G.Data
		for k := 0; k+1 < len(start); k++ {
			lo, hi := start[k], start[k+1]
			var s float64
			for i := lo; i < hi; i++ {
				if mask == nil || mask[i] {
					s += gy[i]
				}
			}
			for i := lo; i < hi; i++ {
				if mask == nil || mask[i] {
					g[i] += gy[i] - math.Exp(y[i])*s
				}
			}
		}
	}, a)
	return out
}

// Gather returns the len(idx) x 1 column of flat elements a.Data[idx[i]].
func (t *Tape) Gather(a *Node, idx []int) *Node {
	out := t.newNode(len(idx), 1)
	for i, j := range idx {
		out.V.Data[i] = a.V.Data[j]
	}
	t.record(out, func() {
		g := t.grad(a)
		for i, j := range idx {
			g[j] += out.G.Data[i]
		}
	}, a)
	return out
}

// GatherRows returns the len(idx) x m matrix whose row i is row idx[i] of a.
func (t *Tape) GatherRows(a *Node, idx []int) *Node {
	m := a.V.Cols
	out := t.newNodeDirty(len(idx), m)
	for i, j := range idx {
		copy(out.V.Data[i*m:(i+1)*m], a.V.Data[j*m:(j+1)*m])
	}
	t.record(out, func() {
		g := t.grad(a)
		for i, j := range idx {
			dst, src := g[j*m:(j+1)*m], out.G.Data[i*m:(i+1)*m]
			for c, v := range src {
				dst[c] += v
			}
		}
	}, a)
	return out
}

// ConcatCols returns [a b], the n x (ma+mb) matrix of a's columns then b's.
func (t *Tape) ConcatCols(a, b *Node) *Node {
	if a.V.Rows != b.V.Rows {
		panic(fmt.Sprintf("nn: ConcatCols rows %d vs %d", a.V.Rows, b.V.Rows))
	}
	ma, mb := a.V.Cols, b.V.Cols
	m := ma + mb
	out := t.newNodeDirty(a.V.Rows, m)
	for i := 0; i < a.V.Rows; i++ {
		copy(out.V.Data[i*m:i*m+ma], a.V.Data[i*ma:(i+1)*ma])
		copy(out.V.Data[i*m+ma:(i+1)*m], b.V.Data[i*mb:(i+1)*mb])
	}
	t.record(out, func() {
		for i := 0; i < a.V.Rows; i++ {
			if a.needsGrad {
				g := t.grad(a)[i*ma : (i+1)*ma]
				for c, v := range out.G.Data[i*m : i*m+ma] {
					g[c] += v
				}
			}
			if b.needsGrad {
				g := t.grad(b)[i*mb : (i+1)*mb]
				for c, v := range out.G.Data[i*m+ma : (i+1)*m] {
					g[c] += v
				}
			}
		}
	}, a, b)
	return out
}

// ConcatRows returns the rows of a followed by the rows of b.
func (t *Tape) ConcatRows(a, b *Node) *Node {
	if a.V.Cols != b.V.Cols {
		panic(fmt.Sprintf("nn: ConcatRows cols %d vs %d", a.V.Cols, b.V.Cols))
	}
	out := t.newNode(a.V.Rows+b.V.Rows, a.V.Cols)
	na := a.V.Len()
	copy(out.V.Data[:na], a.V.Data)
	copy(out.V.Data[na:], b.V.Data)
	t.record(out, func() {
		if a.needsGrad {
			g := t.grad(a)
			for i, v := range out.G.Data[:na] {
				g[i] += v
			}
		}
		if b.needsGrad {
			g := t.grad(b)
			for i, v := range out.G.Data[na:] {
				g[i] += v
			}
		}
	}, a, b)
	return out
}

// SegmentSum returns the nseg x m matrix whose row k is the sum of the rows i
// of a (n x m) with seg[i] == k.
func (t *Tape) SegmentSum(a *Node, seg []int, nseg int) *Node {
	if len(seg) != a.V.Rows {
		panic("nn: SegmentSum segment ids length")
	}
	m := a.V.Cols
	out := t.newNode(nseg, m)
	for i, k := range seg {
		dst := out.V.Data[k*m : (k+1)*m]
		for c, v := range a.V.Data[i*m : (i+1)*m] {
			dst[c] += v
		}
	}
	t.record(out, func() {
		g := t.grad(a)
		for i, k := range seg {
			dst := g[i*m : (i+1)*m]
			for c, v := range out.G.Data[k*m : (k+1)*m] {
				dst[c] += v
			}
		}
	}, a)
	return out
}

// RowDot returns the len(row) x 1 column out[i] = a[row[i], :] · c[i, :],
// where c is a constant len(row) x m matrix (candidate features). It scores
// a variable number of candidates per state against one projected state
// vector without materialising the gathered rows.
func (t *Tape) RowDot(a *Node, row []int, c Tensor) *Node {
	m := a.V.Cols
	if c.Cols != m || c.Rows != len(row) {
		panic(fmt.Sprintf("nn: RowDot features %dx%d for %d rows of width %d", c.Rows, c.Cols, len(row), m))
	}
	out := t.newNode(len(row), 1)
	for i, r := range row {
		av, cv := a.V.Data[r*m:(r+1)*m], c.Data[i*m:(i+1)*m]
		var s float64
		for j, v := range cv {
			if v != 0 {
				s += v * av[j]
			}
		}
		out.V.Data[i] = s
	}
	t.record(out, func() {
		g := t.grad(a)
		for i, r := range row {
			d := out.G.Data[i]
			if d == 0 {
				continue
			}
			gv, cv := g[r*m:(r+1)*m], c.Data[i*m:(i+1)*m]
			for j, v := range cv {
				if v != 0 {
					gv[j] += d * v
				}
			}
		}
	}, a)
	return out
}

// Softplus returns log(1+exp(x)) without overflow.
func Softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// Sigmoid returns 1/(1+exp(-x)) without overflow.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
