package gfn

import (
	"errors"
	"math"

	"github.com/neurogfn/neurogfn/gfn/nn"
)

// ErrNoStop reports that modified detailed balance met a state that cannot
// stop.
var ErrNoStop = errors.New("gfn: modified detailed balance needs every state to be able to stop")

// lossBuilder turns trajectories into the scalar loss of one objective.
type lossBuilder[S any] struct {
	env   Env[S]
	model *Model
	cfg   *Config
	b     *batch
	csr   nn.CSR
	konst []float64
	wts   []float64

	rowTraj []int // trajectory of each row
	rowOff  []int // first row of each trajectory
	bTraj   []int // trajectory of each backward action
	upb     []float64
	fc, bc  []Candidate
}

// fill adds every state of every trajectory as a row with its forward
// action (stop for the last) and, from t = 1, its backward candidates. With
// a uniform backward policy, upb[r] = -log(#backward candidates) of row r.
func (l *lossBuilder[S]) fill(trajs []Trajectory[S]) {
	b := l.b
	b.reset()
	l.rowTraj, l.rowOff, l.bTraj, l.upb = l.rowTraj[:0], l.rowOff[:0], l.bTraj[:0], l.upb[:0]
	learned := l.cfg.Backward == BackwardLearned
	for i := range trajs {
		tr := &trajs[i]
		l.rowOff = append(l.rowOff, b.n)
		for t, s := range tr.States {
			l.fc = l.env.Forward(s, l.fc)
			r := addState(b, l.env, s, l.fc)
			a := Action{Index: tr.Stop}
			if t < len(tr.Actions) {
				a = tr.Actions[t]
			}
			b.addForward(r, a)
			l.rowTraj = append(l.rowTraj, i)
			u := 0.0
			if t > 0 {
				l.bc = l.env.Backward(s, l.bc)
				if learned {
					b.addBackward(r, l.bc, tr.Back[t-1])
					l.bTraj = append(l.bTraj, i)
				} else if l.cfg.Backward == BackwardUniform {
					u = -math.Log(float64(len(l.bc)))
				}
			}
			l.upb = append(l.upb, u)
		}
	}
	l.rowOff = append(l.rowOff, b.n)
}

// rho applies the residual penalty elementwise.
func (l *lossBuilder[S]) rho(t *nn.Tape, r *nn.Node) *nn.Node {
	if l.cfg.Huber > 0 {
		return t.Huber(r, l.cfg.Huber)
	}
	return t.Square(r)
}

// build returns the loss and the current estimate of log Z. logR[i] is the
// log-reward of trajectory i's object; stateLogR (MDB only) has the
// log-reward of every state, indexed like the rows.
func (l *lossBuilder[S]) build(t *nn.Tape, trajs []Trajectory[S], stateLogR []float64) (*nn.Node, float64, error) {
	if l.cfg.Loss == FM {
		return l.flowMatching(t, trajs)
	}
	l.fill(trajs)
	b := l.b
	h := l.model.encode(t, b)
	fwd, logp, _ := l.model.forwardLogProb(t, b, h)
	var bwd *nn.Node
	if l.cfg.Backward == BackwardLearned && len(b.bRow) > 0 {
		bwd = l.model.backwardLogProb(t, b, h)
	}
	nt := len(trajs)
	switch l.cfg.Loss {
	case MLE:
		sum := t.SegmentSum(fwd, l.rowTraj, nt)
		if bwd != nil {
			sum = t.Sub(sum, t.SegmentSum(bwd, l.bTraj, nt))
		}
		return t.Scale(-1, t.Mean(sum)), l.model.LogZ.W.Data[0], nil
	case TB, ZVar:
		sum := t.SegmentSum(fwd, l.rowTraj, nt)
		if bwd != nil {
			sum = t.Sub(sum, t.SegmentSum(bwd, l.bTraj, nt))
		}
		k := l.konst[:0]
		for i := range trajs {
			v := trajs[i].LogReward
			for r := l.rowOff[i]; r < l.rowOff[i+1]; r++ {
				v += l.upb[r]
			}
			k = append(k, v)
		}
		l.konst = k
		if l.cfg.Loss == TB {
			logZ := t.Param(l.model.LogZ)
			resid := t.Sub(t.AddBroadcast(sum, logZ), t.Const(tensor(nt, 1, k)))
			return t.Mean(l.rho(t, resid)), logZ.Scalar(), nil
		}
		// zeta = log R + log P_B - log P_F; penalise its spread.
		zeta := t.Sub(t.Const(tensor(nt, 1, k)), sum)
		mean := t.Mean(zeta)
		return t.Mean(l.rho(t, t.AddBroadcast(zeta, t.Scale(-1, mean)))), mean.Scalar(), nil
	case DB, SubTB:
		logF := l.model.logFlow(t, h)
		v := t.ConcatRows(logF, fwd)
		if bwd != nil {
			v = t.ConcatRows(v, bwd)
		}
		var loss *nn.Node
		if l.cfg.Loss == DB {
			loss = l.detailedBalance(t, trajs, v)
		} else {
			loss = l.subTrajectory(t, trajs, v)
		}
		return loss, logF.V.Data[0], nil
	case MDB:
		stops := make([]int, b.n)
		for r, s := range b.stop {
			if s < 0 {
				return nil, 0, ErrNoStop
			}
			stops[r] = s
		}
		stop := t.Gather(logp, stops)
		v := t.ConcatRows(fwd, stop)
		if bwd != nil {
			v = t.ConcatRows(v, bwd)
		}
		loss := l.modifiedDB(t, trajs, v, stateLogR)
		// F(s) = R(s) / P_F(stop | s), so log Z = log R(s0) - log P_F(stop | s0).
		return loss, stateLogR[0] - stop.V.Data[0], nil
	}
	panic("gfn: unknown loss " + string(l.cfg.Loss))
}

// bIndex returns, for each row, the position of its backward log-prob in
// the learned-P_B vector, or -1.
func (l *lossBuilder[S]) bIndex() []int {
	idx := make([]int, l.b.n)
	for r := range idx {
		idx[r] = -1
	}
	for k, r := range l.b.bRow {
		idx[r] = k
	}
	return idx
}

// residuals returns Sparse(csr, v) + konst.
func (l *lossBuilder[S]) residuals(t *nn.Tape, v *nn.Node) *nn.Node {
	return t.Add(t.Sparse(&l.csr, v), t.Const(tensor(len(l.konst), 1, l.konst)))
}

// detailedBalance: v = [log F (rows); log P_F (rows); log P_B (learned)].
// For t < T: log F(s_t) + log P_F(a_t) - log F(s_t+1) - log P_B(s_t | s_t+1);
// at the end: log F(s_T) + log P_F(stop | s_T) - log R(s_T).
func (l *lossBuilder[S]) detailedBalance(t *nn.Tape, trajs []Trajectory[S], v *nn.Node) *nn.Node {
	n := l.b.n
	bi := l.bIndex()
	l.csr.Reset(v.V.Rows)
	l.konst = l.konst[:0]
	for i := range trajs {
		lo, hi := l.rowOff[i], l.rowOff[i+1]
		for r := lo; r < hi; r++ {
			l.csr.Add(r, 1)
			l.csr.Add(n+r, 1)
			c := 0.0
			if r+1 < hi {
				l.csr.Add(r+1, -1)
				if k := bi[r+1]; k >= 0 {
					l.csr.Add(2*n+k, -1)
				}
				c = -l.upb[r+1]
			} else {
				c = -trajs[i].LogReward
			}
			l.csr.EndRow()
			l.konst = append(l.konst, c)
		}
	}
	return t.Mean(l.rho(t, l.residuals(t, v)))
}

// subTrajectory: sub-trajectory balance over all pairs of nodes i < j of the
// augmented trajectory s_0..s_T, x (node T+1 has log-flow log R), weighted
// by lambda^(j-i) normalised within each trajectory; the loss is the mean
// over trajectories.
func (l *lossBuilder[S]) subTrajectory(t *nn.Tape, trajs []Trajectory[S], v *nn.Node) *nn.Node {
	n := l.b.n
	bi := l.bIndex()
	lam := l.cfg.SubTBLambda
	l.csr.Reset(v.V.Rows)
	l.konst, l.wts = l.konst[:0], l.wts[:0]
	for i := range trajs {
		lo, hi := l.rowOff[i], l.rowOff[i+1]
		nodes := hi - lo + 1
		first := len(l.wts)
		var wsum float64
		for a := 0; a < nodes; a++ {
			for z := a + 1; z < nodes; z++ {
				l.csr.Add(lo+a, 1)
				c := 0.0
				if z < nodes-1 {
					l.csr.Add(lo+z, -1)
				} else {
					c -= trajs[i].LogReward
				}
				for s := a; s < z; s++ {
					l.csr.Add(n+lo+s, 1)
					if lo+s+1 < hi {
						if k := bi[lo+s+1]; k >= 0 {
							l.csr.Add(2*n+k, -1)
						}
						c -= l.upb[lo+s+1]
					}
				}
				l.csr.EndRow()
				l.konst = append(l.konst, c)
				w := math.Pow(lam, float64(z-a))
				l.wts = append(l.wts, w)
				wsum += w
			}
		}
		for k := first; k < len(l.wts); k++ {
			l.wts[k] /= wsum * float64(len(trajs))
		}
	}
	pen := l.rho(t, l.residuals(t, v))
	return t.Sum(t.Mul(pen, t.Const(tensor(len(l.wts), 1, l.wts))))
}

// modifiedDB: v = [log P_F(a_t) (rows); log P_F(stop) (rows); log P_B].
// For each transition s -> s': log R(s') + log P_B(s | s') + log P_F(stop | s)
// - log R(s) - log P_F(s' | s) - log P_F(stop | s').
func (l *lossBuilder[S]) modifiedDB(t *nn.Tape, trajs []Trajectory[S], v *nn.Node, logR []float64) *nn.Node {
	n := l.b.n
	bi := l.bIndex()
	l.csr.Reset(v.V.Rows)
	l.konst = l.konst[:0]
	for i := range trajs {
		lo, hi := l.rowOff[i], l.rowOff[i+1]
		for r := lo; r+1 < hi; r++ {
			l.csr.Add(n+r, 1)
			l.csr.Add(r, -1)
			l.csr.Add(n+r+1, -1)
			if k := bi[r+1]; k >= 0 {
				l.csr.Add(2*n+k, 1)
			}
			l.csr.EndRow()
			l.konst = append(l.konst, logR[r+1]-logR[r]+l.upb[r+1])
		}
	}
	if len(l.konst) == 0 {
		return t.Scalar(0)
	}
	return t.Mean(l.rho(t, l.residuals(t, v)))
}

// flowMatching: the forward logits are log edge flows (the stop logit is
// the flow into the object). For each non-initial visited state, the log of
// the inflow (over all parents) must equal the log of the outflow; for each
// object, the stop edge's log-flow must equal log R. Loss = mean interior
// penalty + mean terminal penalty.
func (l *lossBuilder[S]) flowMatching(t *nn.Tape, trajs []Trajectory[S]) (*nn.Node, float64, error) {
	b := l.b
	b.reset()
	var stateRow []int // rows of trajectory states
	var stopFlat []int
	var logR []float64
	var childOf []int // for each non-initial state: its row
	for i := range trajs {
		tr := &trajs[i]
		for _, s := range tr.States {
			l.fc = l.env.Forward(s, l.fc)
			r := addState(b, l.env, s, l.fc)
			stateRow = append(stateRow, r)
		}
		last := stateRow[len(stateRow)-1]
		stopFlat = append(stopFlat, b.cStart[last]+tr.Stop)
		logR = append(logR, tr.LogReward)
	}
	nStates := b.n
	// Parent edges of every non-initial state, grouped by child.
	childStart := []int{0}
	for i := range trajs {
		tr := &trajs[i]
		for ti := 1; ti < len(tr.States); ti++ {
			s := tr.States[ti]
			l.bc = l.env.Backward(s, l.bc)
			for j := range l.bc {
				p, a := l.env.Undo(s, j)
				l.fc = l.env.Forward(p, l.fc)
				r := addState(b, l.env, p, l.fc)
				b.addForward(r, a)
			}
			childStart = append(childStart, len(b.fRow))
		}
	}
	// Rows of the non-initial states, in the same order as childStart.
	row := 0
	for i := range trajs {
		for ti := range trajs[i].States {
			if ti > 0 {
				childOf = append(childOf, row)
			}
			row++
		}
	}
	h := l.model.encode(t, b)
	logits := l.model.logits(t, b, h)
	out := t.SegmentLogSumExp(logits, b.cStart[:nStates+1])
	stop := t.Gather(logits, stopFlat)
	rm := t.Mean(l.rho(t, t.Sub(stop, t.Const(tensor(len(logR), 1, logR)))))
	logZ := out.V.Data[0]
	if len(childOf) == 0 {
		return rm, logZ, nil
	}
	in := t.SegmentLogSumExp(t.Gather(logits, b.fFlat), childStart)
	fm := t.Mean(l.rho(t, t.Sub(in, t.Gather(out, childOf))))
	return t.Add(fm, rm), logZ, nil
}
