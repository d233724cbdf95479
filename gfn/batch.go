package gfn

import (
	"fmt"
	"math"
	"slices"

	"github.com/neurogfn/neurogfn/gfn/nn"
)

// yClamp keeps relative continuous values away from 0 and 1, identically
// when sampling and scoring, so Beta log-densities stay finite.
const yClamp = 1e-10

// batch is a set of states prepared for one evaluation of the model: their
// features, their forward candidates, and optionally a chosen forward
// action and a chosen backward candidate per state. It owns its slices and
// is reused across iterations.
type batch struct {
	spec Spec
	n    int
	x    []float64 // scratch: the features of the state being added

	// Rows with identical features are encoded once: row r uses unique
	// feature row uniq[r] of ux (nu rows).
	nu   int
	ux   []float64
	uniq []int
	// seen maps a key hash to the last unique state with it; nextSeen[u]
	// is the one before u with the same hash (-1: none).
	seen     map[uint64]int
	nextSeen []int
	// keys[keyOff[u]:keyOff[u+1]] identifies unique state u.
	keys   []float64
	keyOff []int
	// Element features of set-valued states (Spec.ElementDim > 0): element
	// i belongs to unique row eRow[i].
	eFeat []float64
	eRow  []int

	cStart []int       // n+1 segment starts into the flat candidate list
	cRow   []int       // state row of each candidate
	cFeat  []float64   // candidates x CandidateDim
	cands  []Candidate // flat candidates (Features alias env memory)
	stop   []int       // per row: flat index of the stop candidate or -1

	// Forward actions: fRow[i] has chosen candidate fFlat[i].
	fRow, fFlat []int
	fJac        []float64 // per action: sum of -log(Hi-Lo) over its continuous coordinates
	// Continuous coordinates of chosen actions: kAct lists the actions (index
	// into fRow) that carry continuous values; coordinate q belongs to action
	// qAct[q], uses block qBlock[q] of the head output and has value qY[q]
	// in (0,1).
	kAct   []int
	kFeat  []float64
	qAct   []int
	qBlock []int
	qY     []float64

	// Backward actions: bRow[i] chose backward candidate bFlat[i].
	bStart []int
	bBRow  []int // state row of each backward candidate
	bFeat  []float64
	bRow   []int
	bFlat  []int
}

func newBatch(spec Spec) *batch { return &batch{spec: spec} }

func (b *batch) reset() {
	b.n = 0
	b.x = b.x[:0]
	b.nu, b.ux, b.uniq = 0, b.ux[:0], b.uniq[:0]
	if b.seen == nil {
		b.seen = map[uint64]int{}
	}
	clear(b.seen)
	b.nextSeen = b.nextSeen[:0]
	b.eFeat, b.eRow = b.eFeat[:0], b.eRow[:0]
	b.keys, b.keyOff = b.keys[:0], append(b.keyOff[:0], 0)
	b.cStart = append(b.cStart[:0], 0)
	b.cRow, b.cFeat, b.cands, b.stop = b.cRow[:0], b.cFeat[:0], b.cands[:0], b.stop[:0]
	b.fRow, b.fFlat, b.fJac = b.fRow[:0], b.fFlat[:0], b.fJac[:0]
	b.kAct, b.kFeat = b.kAct[:0], b.kFeat[:0]
	b.qAct, b.qBlock, b.qY = b.qAct[:0], b.qBlock[:0], b.qY[:0]
	b.bStart = append(b.bStart[:0], 0)
	b.bBRow, b.bFeat, b.bRow, b.bFlat = b.bBRow[:0], b.bFeat[:0], b.bRow[:0], b.bFlat[:0]
}

// addState appends state s of env with its forward candidates cs and
// returns its row. The state's features (and, for a SetEnv, its elements)
// identify it: states seen before in the batch reuse their encoding.
func addState[S any](b *batch, env Env[S], s S, cs []Candidate) int {
	d := b.spec.StateDim
	b.x = growZero(b.x[:0], d)
	env.Features(s, b.x)
	if b.spec.ElementDim > 0 {
		se, ok := env.(SetEnv[S])
		if !ok {
			panic("gfn: Spec.ElementDim > 0 but the environment does not implement SetEnv")
		}
		b.x = se.Elements(s, b.x)
		if (len(b.x)-d)%b.spec.ElementDim != 0 {
			panic("gfn: Elements wrote a partial element")
		}
	}
	return b.addRow(b.unique(b.x), cs)
}

// addRow appends a row for unique state u with forward candidates cs.
func (b *batch) addRow(u int, cs []Candidate) int {
	r := b.n
	b.n++
	b.uniq = append(b.uniq, u)
	stop := -1
	base := len(b.cands)
	for i, c := range cs {
		if len(c.Features) != b.spec.CandidateDim {
			panic(fmt.Sprintf("gfn: candidate has %d features, spec says %d", len(c.Features), b.spec.CandidateDim))
		}
		b.cRow = append(b.cRow, r)
		b.cFeat = append(b.cFeat, c.Features...)
		b.cands = append(b.cands, c)
		if c.Stop {
			stop = base + i
		}
	}
	b.cStart = append(b.cStart, len(b.cands))
	b.stop = append(b.stop, stop)
	b.bStart = append(b.bStart, b.bStart[len(b.bStart)-1])
	return r
}

// addForward records forward action a at row r (the row's candidates must
// be the ones the action refers to).
func (b *batch) addForward(r int, a Action) {
	lo, hi := b.cStart[r], b.cStart[r+1]
	cs := b.cands[lo:hi]
	checkAction(cs, a)
	flat := lo + a.Index
	b.fRow = append(b.fRow, r)
	b.fFlat = append(b.fFlat, flat)
	c := cs[a.Index]
	jac := 0.0
	if c.Cont == Interval {
		if c.Dim > b.spec.ContDim {
			panic(fmt.Sprintf("gfn: candidate with %d continuous values, spec ContDim %d", c.Dim, b.spec.ContDim))
		}
		act := len(b.fRow) - 1
		k := len(b.kAct)
		b.kAct = append(b.kAct, act)
		b.kFeat = append(b.kFeat, c.Features...)
		w := c.Hi - c.Lo
		for d, v := range a.Value {
			y := clampY((v - c.Lo) / w)
			b.qAct = append(b.qAct, act)
			b.qBlock = append(b.qBlock, k*b.spec.ContDim+d)
			b.qY = append(b.qY, y)
			jac -= math.Log(w)
		}
	}
	b.fJac = append(b.fJac, jac)
}

// addBackward lists the backward candidates bcs of row r (which must be the
// last row added) and, if back >= 0, records the chosen one.
func (b *batch) addBackward(r int, bcs []Candidate, back int) {
	if r != b.n-1 {
		panic("gfn: addBackward must follow addState of the same row")
	}
	for _, c := range bcs {
		if len(c.Features) != b.spec.BackwardDim {
			panic(fmt.Sprintf("gfn: backward candidate has %d features, spec says %d", len(c.Features), b.spec.BackwardDim))
		}
		b.bBRow = append(b.bBRow, r)
		b.bFeat = append(b.bFeat, c.Features...)
	}
	b.bStart[r+1] = b.bStart[r] + len(bcs)
	if back >= 0 {
		if back >= len(bcs) {
			panic(fmt.Sprintf("gfn: backward index %d of %d candidates", back, len(bcs)))
		}
		b.bRow = append(b.bRow, r)
		b.bFlat = append(b.bFlat, b.bStart[r]+back)
	}
}

// unique returns the index among the batch's distinct states of the state
// whose key (features, then element features) is x, adding it if new.
func (b *batch) unique(x []float64) int {
	h := keyHash(x)
	head, ok := b.seen[h]
	for u := head; ok && u >= 0; u = b.nextSeen[u] {
		if slices.Equal(b.keys[b.keyOff[u]:b.keyOff[u+1]], x) {
			return u
		}
	}
	u := b.nu
	b.nu++
	if !ok {
		head = -1
	}
	b.seen[h] = u
	b.nextSeen = append(b.nextSeen, head)
	b.keys = append(b.keys, x...)
	b.keyOff = append(b.keyOff, len(b.keys))
	d := b.spec.StateDim
	b.ux = append(b.ux, x[:d]...)
	if ed := b.spec.ElementDim; ed > 0 {
		b.eFeat = append(b.eFeat, x[d:]...)
		for range (len(x) - d) / ed {
			b.eRow = append(b.eRow, u)
		}
	}
	return u
}

func clampY(y float64) float64 {
	return min(max(y, yClamp), 1-yClamp)
}

// growZero extends s by n zeroed elements.
func growZero(s []float64, n int) []float64 {
	l := len(s)
	if cap(s)-l < n {
		ns := make([]float64, l, 2*(l+n))
		copy(ns, s)
		s = ns
	}
	s = s[:l+n]
	clear(s[l:])
	return s
}

func tensor(rows, cols int, data []float64) nn.Tensor {
	return nn.Tensor{Rows: rows, Cols: cols, Data: data}
}

// keyHash is the FNV-1a hash of the bits of x.
func keyHash(x []float64) uint64 {
	h := uint64(14695981039346656037)
	for _, v := range x {
		h ^= math.Float64bits(v)
		h *= 1099511628211
	}
	return h
}
