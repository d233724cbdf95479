package gfn

import (
	"fmt"
	"math/rand/v2"
)

// Trajectory is a complete trajectory s_0 -> ... -> s_T -> stop. The object
// is States[len(States)-1].
type Trajectory[S any] struct {
	States  []S      // s_0 ... s_T
	Actions []Action // forward (non-stop) actions, len T
	Back    []int    // Back[t]: backward candidate of States[t+1] undoing Actions[t]
	Stop    int      // index of the stop candidate among the forward candidates of s_T
	// LogReward is log R(s_T), filled in by the trainer or the caller.
	LogReward float64
}

// Object returns the terminal state s_T.
func (tr *Trajectory[S]) Object() S { return tr.States[len(tr.States)-1] }

// Len is the number of transitions T+1, stop included.
func (tr *Trajectory[S]) Len() int { return len(tr.States) }

// DefaultMaxSteps bounds trajectory length in the samplers; an environment
// that does not terminate within it is a programmer error.
const DefaultMaxSteps = 1 << 20

// Sample draws len(rngs) trajectories from env with the forward policy pf,
// advancing all of them in lockstep so that the policy is evaluated on one
// batch of states per step. Trajectory i uses only rngs[i], so the result
// does not depend on how trajectories are batched. Log-rewards are not
// computed.
func Sample[S any](env Env[S], pf Policy[S], rngs []*rand.Rand) []Trajectory[S] {
	n := len(rngs)
	trajs := make([]Trajectory[S], n)
	active := make([]int, n)
	candBufs := make([][]Candidate, n)
	for i := range trajs {
		trajs[i].States = []S{env.Init()}
		active[i] = i
	}
	var (
		states []S
		cands  [][]Candidate
		rs     []*rand.Rand
		acts   []Action
	)
	for step := 0; len(active) > 0; step++ {
		if step > DefaultMaxSteps {
			panic(fmt.Sprintf("gfn: trajectory longer than %d steps", DefaultMaxSteps))
		}
		states, cands, rs = states[:0], cands[:0], rs[:0]
		for _, i := range active {
			s := trajs[i].Object()
			candBufs[i] = env.Forward(s, candBufs[i])
			if len(candBufs[i]) == 0 {
				panic("gfn: state with no forward candidates")
			}
			states = append(states, s)
			cands = append(cands, candBufs[i])
			rs = append(rs, rngs[i])
		}
		acts = append(acts[:0], make([]Action, len(states))...)
		pf.Sample(states, cands, rs, acts)
		next := active[:0]
		for k, i := range active {
			a := acts[k]
			checkAction(cands[k], a)
			if cands[k][a.Index].Stop {
				trajs[i].Stop = a.Index
				continue
			}
			s, back := env.Step(states[k], a)
			tr := &trajs[i]
			tr.States = append(tr.States, s)
			tr.Actions = append(tr.Actions, a)
			tr.Back = append(tr.Back, back)
			next = append(next, i)
		}
		active = next
	}
	return trajs
}

// SampleBackward builds, for each object xs[i], a trajectory from s_0 to
// xs[i] by sampling backward steps with pb (using rngs[i]) until the
// initial state. The objects must allow stopping. Log-rewards are not
// computed.
func SampleBackward[S any](env Env[S], pb BackwardPolicy[S], xs []S, rngs []*rand.Rand) []Trajectory[S] {
	n := len(xs)
	// Build reversed sequences, then flip.
	rev := make([]Trajectory[S], n)
	active := make([]int, 0, n)
	bufs := make([][]Candidate, n)
	var fc []Candidate
	for i, x := range xs {
		fc = env.Forward(x, fc)
		stop := StopIndex(fc)
		if stop < 0 {
			panic("gfn: SampleBackward from a state that cannot stop")
		}
		rev[i] = Trajectory[S]{States: []S{x}, Stop: stop}
		active = append(active, i)
	}
	var (
		states []S
		bcands [][]Candidate
		rs     []*rand.Rand
		back   []int
	)
	for step := 0; ; step++ {
		if step > DefaultMaxSteps {
			panic(fmt.Sprintf("gfn: backward trajectory longer than %d steps", DefaultMaxSteps))
		}
		states, bcands, rs = states[:0], bcands[:0], rs[:0]
		next := active[:0]
		for _, i := range active {
			s := rev[i].Object()
			bufs[i] = env.Backward(s, bufs[i])
			if len(bufs[i]) == 0 {
				continue // reached s_0
			}
			next = append(next, i)
			states = append(states, s)
			bcands = append(bcands, bufs[i])
			rs = append(rs, rngs[i])
		}
		active = next
		if len(active) == 0 {
			break
		}
		back = append(back[:0], make([]int, len(states))...)
		pb.Sample(states, bcands, rs, back)
		for k, i := range active {
			parent, fwd := env.Undo(states[k], back[k])
			tr := &rev[i]
			tr.States = append(tr.States, parent)
			tr.Actions = append(tr.Actions, fwd)
			tr.Back = append(tr.Back, back[k])
		}
	}
	for i := range rev {
		tr := &rev[i]
		reverse(tr.States)
		reverse(tr.Actions)
		reverse(tr.Back)
	}
	return rev
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// TrajectoryLogProbs returns log P_F(tau) (stop included) and
// log P_B(tau | x) for each trajectory, evaluating each policy once on all
// transitions of the batch.
func TrajectoryLogProbs[S any](env Env[S], pf Policy[S], pb BackwardPolicy[S], trajs []Trajectory[S]) (logPF, logPB []float64) {
	var (
		states  []S
		cands   [][]Candidate
		acts    []Action
		owner   []int
		bstates []S
		bcands  [][]Candidate
		backs   []int
		bowner  []int
	)
	for i := range trajs {
		tr := &trajs[i]
		for t, s := range tr.States {
			states = append(states, s)
			cands = append(cands, env.Forward(s, nil))
			if t < len(tr.Actions) {
				acts = append(acts, tr.Actions[t])
			} else {
				acts = append(acts, Action{Index: tr.Stop})
			}
			owner = append(owner, i)
			if t > 0 {
				bstates = append(bstates, s)
				bcands = append(bcands, env.Backward(s, nil))
				backs = append(backs, tr.Back[t-1])
				bowner = append(bowner, i)
			}
		}
	}
	lp := make([]float64, len(states))
	pf.LogProb(states, cands, acts, lp)
	blp := make([]float64, len(bstates))
	if len(bstates) > 0 {
		pb.LogProb(bstates, bcands, backs, blp)
	}
	logPF = make([]float64, len(trajs))
	logPB = make([]float64, len(trajs))
	for k, v := range lp {
		logPF[owner[k]] += v
	}
	for k, v := range blp {
		logPB[bowner[k]] += v
	}
	return logPF, logPB
}
