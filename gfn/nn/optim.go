package nn

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// Group holds the hyper-parameters of one optimizer parameter group.
// Parameters whose Param.Group equals Name use them; WeightDecay is
// decoupled (AdamW) when positive.
type Group struct {
	Name        string
	LR          float64
	WeightDecay float64
}

// Adam is the Adam optimizer (Kingma and Ba 2015) with decoupled weight decay
// (AdamW, Loshchilov and Hutter 2019) and per-group learning rates.
type Adam struct {
	Beta1, Beta2, Eps float64
	Groups            []Group
	Step              int

	params []*Param
	m, v   [][]float64
	group  []int
}

// NewAdam returns Adam with PyTorch's defaults (betas 0.9, 0.999, eps 1e-8)
// over ps. Each parameter's Group must name one of groups; an empty
// Param.Group selects the first group.
func NewAdam(ps []*Param, groups ...Group) *Adam {
	if len(groups) == 0 {
		panic("nn: NewAdam needs at least one group")
	}
	a := &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Groups: groups, params: ps}
	for _, p := range ps {
		gi := -1
		if p.Group == "" {
			gi = 0
		}
		for i, g := range groups {
			if g.Name == p.Group {
				gi = i
			}
		}
		if gi < 0 {
			panic(fmt.Sprintf("nn: parameter %s in unknown group %q", p.Name, p.Group))
		}
		a.group = append(a.group, gi)
		a.m = append(a.m, make([]float64, p.W.Len()))
		a.v = append(a.v, make([]float64, p.W.Len()))
	}
	return a
}

// Update applies one Adam step using the accumulated gradients. It does not
// clear them.
func (a *Adam) Update() {
	a.Step++
	bc1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	bc2 := 1 - math.Pow(a.Beta2, float64(a.Step))
	b1, b2, eps := a.Beta1, a.Beta2, a.Eps
	c1, c2 := 1-b1, 1-b2
	sq := 1 / math.Sqrt(bc2)
	for k, p := range a.params {
		g := a.Groups[a.group[k]]
		step := g.LR / bc1
		w := p.W.Data
		// Equal lengths let the compiler drop the bounds checks.
		gr, m, v := p.G.Data[:len(w)], a.m[k][:len(w)], a.v[k][:len(w)]
		if g.WeightDecay > 0 {
			decay := 1 - g.LR*g.WeightDecay
			for i := range w {
				w[i] *= decay
			}
		}
		for i := range w {
			gi := gr[i]
			mi := b1*m[i] + c1*gi
			vi := b2*v[i] + c2*gi*gi
			m[i], v[i] = mi, vi
			w[i] -= step * mi / (math.Sqrt(vi)*sq + eps)
		}
	}
}

// ClipGradNorm scales the gradients of ps so that their joint L2 norm is at
// most maxNorm, and returns the norm before clipping. A maxNorm <= 0 only
// measures.
func ClipGradNorm(ps []*Param, maxNorm float64) float64 {
	var s float64
	for _, p := range ps {
		for _, g := range p.G.Data {
			s += g * g
		}
	}
	norm := math.Sqrt(s)
	if maxNorm > 0 && norm > maxNorm {
		c := maxNorm / (norm + 1e-12)
		for _, p := range ps {
			for i := range p.G.Data {
				p.G.Data[i] *= c
			}
		}
	}
	return norm
}

const (
	paramsMagic = "NGFNPAR1"
	adamMagic   = "NGFNADM1"
)

// ErrFormat reports a parameter or optimizer stream that does not match.
var ErrFormat = errors.New("nn: stream does not match")

// SaveParams writes the names, shapes and values of ps to w.
func SaveParams(w io.Writer, ps []*Param) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(paramsMagic)
	writeU64(bw, uint64(len(ps)))
	for _, p := range ps {
		writeU64(bw, uint64(len(p.Name)))
		bw.WriteString(p.Name)
		writeU64(bw, uint64(p.W.Rows))
		writeU64(bw, uint64(p.W.Cols))
		for _, v := range p.W.Data {
			writeU64(bw, math.Float64bits(v))
		}
	}
	return bw.Flush()
}

// LoadParams reads values written by SaveParams into ps, which must have the
// same names and shapes in the same order. It reads exactly the bytes that
// SaveParams wrote, so that more data may follow in the same stream, and it
// changes no parameter unless the whole stream matches.
func LoadParams(r io.Reader, ps []*Param) error {
	if err := expectMagic(r, paramsMagic); err != nil {
		return err
	}
	n, err := readU64(r)
	if err != nil {
		return err
	}
	if n != uint64(len(ps)) {
		return fmt.Errorf("%w: %d parameters stored, model has %d", ErrFormat, n, len(ps))
	}
	values := make([][]float64, len(ps))
	var raw []byte
	for k, p := range ps {
		ln, err := readU64(r)
		if err != nil {
			return err
		}
		if ln > 1<<16 {
			return fmt.Errorf("%w: parameter name too long", ErrFormat)
		}
		name := make([]byte, ln)
		if _, err := io.ReadFull(r, name); err != nil {
			return fmt.Errorf("%w: truncated: %v", ErrFormat, err)
		}
		rows, err := readU64(r)
		if err != nil {
			return err
		}
		cols, err := readU64(r)
		if err != nil {
			return err
		}
		if string(name) != p.Name || rows != uint64(p.W.Rows) || cols != uint64(p.W.Cols) {
			return fmt.Errorf("%w: stored %s %dx%d, model has %s %dx%d", ErrFormat, name, rows, cols, p.Name, p.W.Rows, p.W.Cols)
		}
		raw = slices.Grow(raw[:0], 8*p.W.Len())[:8*p.W.Len()]
		if _, err := io.ReadFull(r, raw); err != nil {
			return fmt.Errorf("%w: truncated: %v", ErrFormat, err)
		}
		v := make([]float64, p.W.Len())
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
		values[k] = v
	}
	for k, p := range ps {
		copy(p.W.Data, values[k])
	}
	return nil
}

// MarshalBinary encodes the optimizer's step count and first and second
// moments. The hyper-parameters (betas, eps, groups) are not included: they
// come from the configuration that builds the optimizer.
func (a *Adam) MarshalBinary() ([]byte, error) {
	var b []byte
	b = append(b, adamMagic...)
	b = binary.LittleEndian.AppendUint64(b, uint64(a.Step))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(a.params)))
	for k, p := range a.params {
		b = binary.LittleEndian.AppendUint64(b, uint64(p.W.Len()))
		for i := range a.m[k] {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(a.m[k][i]))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(a.v[k][i]))
		}
	}
	return b, nil
}

// UnmarshalBinary restores a state written by MarshalBinary for the same
// parameter list. The whole state is validated first: on error the optimizer
// is unchanged.
func (a *Adam) UnmarshalBinary(b []byte) error {
	if len(b) < len(adamMagic)+16 || string(b[:len(adamMagic)]) != adamMagic {
		return fmt.Errorf("%w: not an optimizer state", ErrFormat)
	}
	b = b[len(adamMagic):]
	step := binary.LittleEndian.Uint64(b)
	n := binary.LittleEndian.Uint64(b[8:])
	b = b[16:]
	if n != uint64(len(a.params)) {
		return fmt.Errorf("%w: optimizer state for %d parameters, model has %d", ErrFormat, n, len(a.params))
	}
	if step > uint64(math.MaxInt) {
		return fmt.Errorf("%w: optimizer step %d", ErrFormat, step)
	}
	// Validate the layout before touching the moments.
	rest := b
	for _, p := range a.params {
		if len(rest) < 8 {
			return fmt.Errorf("%w: optimizer state truncated", ErrFormat)
		}
		ln := binary.LittleEndian.Uint64(rest)
		rest = rest[8:]
		if ln != uint64(p.W.Len()) {
			return fmt.Errorf("%w: optimizer state for %s has %d values, want %d", ErrFormat, p.Name, ln, p.W.Len())
		}
		if uint64(len(rest)) < 16*ln {
			return fmt.Errorf("%w: optimizer state truncated", ErrFormat)
		}
		rest = rest[16*ln:]
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d trailing bytes after the optimizer state", ErrFormat, len(rest))
	}
	for k := range a.params {
		b = b[8:]
		for i := range a.m[k] {
			a.m[k][i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
			a.v[k][i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8:]))
			b = b[16:]
		}
	}
	a.Step = int(step)
	return nil
}

func writeU64(w *bufio.Writer, v uint64) {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], v)
	w.Write(buf[:])
}

func readU64(r io.Reader) (uint64, error) {
	var buf [8]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return 0, fmt.Errorf("%w: truncated: %v", ErrFormat, err)
	}
	return binary.LittleEndian.Uint64(buf[:]), nil
}

func expectMagic(r io.Reader, magic string) error {
	buf := make([]byte, len(magic))
	if _, err := io.ReadFull(r, buf); err != nil || string(buf) != magic {
		return fmt.Errorf("%w: bad header", ErrFormat)
	}
	return nil
}

// Params returns the parameters the optimizer updates, in order.
func (a *Adam) Params() []*Param { return a.params }
