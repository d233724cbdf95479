package gfn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
)

// Exact is the terminal distribution of a forward policy on an enumerable
// environment, computed by pushing probability mass through the DAG, next
// to the target R/Z.
type Exact[S any] struct {
	States []S       // every reachable state that may stop
	Keys   []string  // their keys
	P      []float64 // probability that the policy samples each state
	Target []float64 // R(s)/Z
	LogZ   float64   // log sum of R over States
	// L1 is sum |P - Target| (the sum convention of torchgfn >= 2.4, in
	// [0, 2]).
	L1 float64
}

// ExactDistribution enumerates the states of env reachable from Init and
// returns the exact terminal distribution of pf. The environment must be
// discrete. Cost: one policy evaluation per (state, candidate) pair.
func ExactDistribution[S any](env Enumerable[S], pf Policy[S]) (*Exact[S], error) {
	type node struct {
		s     S
		cands []Candidate
		next  []int // child index per candidate (-1 for stop)
	}
	index := map[string]int{}
	var nodes []node
	add := func(s S) int {
		k := env.Key(s)
		if i, ok := index[k]; ok {
			return i
		}
		index[k] = len(nodes)
		nodes = append(nodes, node{s: s})
		return len(nodes) - 1
	}
	add(env.Init())
	for i := 0; i < len(nodes); i++ {
		s := nodes[i].s
		cs := env.Forward(s, nil)
		next := make([]int, len(cs))
		for j, c := range cs {
			if c.Cont != Discrete {
				return nil, fmt.Errorf("gfn: exact distribution needs a discrete environment (state %s has a continuous candidate)", env.Key(s))
			}
			next[j] = -1
			if !c.Stop {
				ns, _ := env.Step(s, Action{Index: j})
				next[j] = add(ns)
			}
		}
		nodes[i].cands, nodes[i].next = cs, next
	}
	// One batch of all (state, candidate) pairs.
	var (
		states []S
		cands  [][]Candidate
		acts   []Action
	)
	for _, nd := range nodes {
		for j := range nd.cands {
			states = append(states, nd.s)
			cands = append(cands, nd.cands)
			acts = append(acts, Action{Index: j})
		}
	}
	lp := make([]float64, len(states))
	const chunk = 4096
	for lo := 0; lo < len(states); lo += chunk {
		hi := min(lo+chunk, len(states))
		pf.LogProb(states[lo:hi], cands[lo:hi], acts[lo:hi], lp[lo:hi])
	}
	// Kahn's algorithm: in-degrees, then push mass in topological order.
	indeg := make([]int, len(nodes))
	for _, nd := range nodes {
		for _, c := range nd.next {
			if c >= 0 {
				indeg[c]++
			}
		}
	}
	reach := make([]float64, len(nodes))
	stopP := make([]float64, len(nodes))
	reach[0] = 1
	queue := []int{0}
	if indeg[0] != 0 {
		return nil, fmt.Errorf("gfn: the initial state has a parent")
	}
	off := make([]int, len(nodes)+1)
	for i, nd := range nodes {
		off[i+1] = off[i] + len(nd.cands)
	}
	done := 0
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		done++
		for j, c := range nodes[i].next {
			p := math.Exp(lp[off[i]+j])
			if c < 0 {
				stopP[i] += reach[i] * p
				continue
			}
			reach[c] += reach[i] * p
			if indeg[c]--; indeg[c] == 0 {
				queue = append(queue, c)
			}
		}
	}
	if done != len(nodes) {
		return nil, fmt.Errorf("gfn: the state graph has a cycle")
	}
	ex := &Exact[S]{}
	var logR []float64
	for i, nd := range nodes {
		if StopIndex(nd.cands) < 0 {
			continue
		}
		ex.States = append(ex.States, nd.s)
		ex.Keys = append(ex.Keys, env.Key(nd.s))
		ex.P = append(ex.P, stopP[i])
		logR = append(logR, env.LogReward(nd.s))
	}
	ex.LogZ = floats.LogSumExp(logR)
	for i, l := range logR {
		t := math.Exp(l - ex.LogZ)
		ex.Target = append(ex.Target, t)
		ex.L1 += math.Abs(ex.P[i] - t)
	}
	return ex, nil
}

// Bounds summarises importance weights log w = log R(x) + log P_B(tau|x) -
// log P_F(tau) of trajectories.
type Bounds struct {
	N int `json:"n"`
	// LogZ is the importance-sampled estimate log mean w; its expectation
	// is at most log Z and it tightens as N grows.
	LogZ float64 `json:"log_z_is"`
	// ELBO is mean log w, a lower bound on log Z (with tau ~ P_F) or, as
	// EUBO, an upper bound (with x from the target and tau ~ P_B).
	ELBO float64 `json:"elbo"`
	// ESS is the effective sample size divided by N, (sum w)^2/(N sum w^2).
	ESS float64 `json:"ess"`
}

// WeightBounds computes Bounds from log-weights.
func WeightBounds(logW []float64) Bounds {
	n := len(logW)
	if n == 0 {
		return Bounds{}
	}
	b := Bounds{N: n}
	b.LogZ = floats.LogSumExp(logW) - math.Log(float64(n))
	b.ELBO = floats.Sum(logW) / float64(n)
	sq := make([]float64, n)
	for i, l := range logW {
		sq[i] = 2 * l
	}
	b.ESS = math.Exp(2*floats.LogSumExp(logW)-floats.LogSumExp(sq)) / float64(n)
	return b
}

// LogWeights returns log R + log P_B - log P_F for each trajectory (whose
// LogReward must be set).
func LogWeights[S any](env Env[S], pf Policy[S], pb BackwardPolicy[S], trajs []Trajectory[S]) []float64 {
	lf, lb := TrajectoryLogProbs(env, pf, pb, trajs)
	w := make([]float64, len(trajs))
	for i := range trajs {
		w[i] = trajs[i].LogReward + lb[i] - lf[i]
	}
	return w
}

// Evaluate samples n trajectories from pf (seeded by seed) in batches of
// batch and returns the importance-sampling estimate of log Z, the ELBO and
// the ESS, with the sampled trajectories (log-rewards filled in).
func Evaluate[S any](env Env[S], pf Policy[S], pb BackwardPolicy[S], n, batch int, seed uint64) (Bounds, []Trajectory[S]) {
	all := make([]Trajectory[S], 0, n)
	var logW []float64
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		rngs := make([]*rand.Rand, hi-lo)
		for i := range rngs {
			rngs[i] = Stream(seed, uint64(lo+i))
		}
		trajs := Sample(env, pf, rngs)
		for i := range trajs {
			trajs[i].LogReward = env.LogReward(trajs[i].Object())
		}
		logW = append(logW, LogWeights(env, pf, pb, trajs)...)
		all = append(all, trajs...)
	}
	return WeightBounds(logW), all
}

// EUBO returns mean log w over backward trajectories (tau ~ P_B(.|x)) of
// target samples xs, an upper bound on log Z in expectation.
func EUBO[S any](env Env[S], pf Policy[S], pb BackwardPolicy[S], xs []S, seed uint64) float64 {
	rngs := make([]*rand.Rand, len(xs))
	for i := range rngs {
		rngs[i] = Stream(seed, uint64(i))
	}
	trajs := SampleBackward(env, pb, xs, rngs)
	for i := range trajs {
		trajs[i].LogReward = env.LogReward(xs[i])
	}
	return floats.Sum(LogWeights(env, pf, pb, trajs)) / float64(len(xs))
}
