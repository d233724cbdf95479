package gfn

import (
	"math"
	"math/rand/v2"
)

// Policy is a forward policy P_F evaluated on a batch of states. cands[i]
// are the forward candidates of states[i] (from Env.Forward). Log
// probabilities of actions with continuous parameters are densities with
// respect to Lebesgue measure in the environment's coordinates. A state
// with a single discrete candidate has that action forced, with log
// probability 0.
type Policy[S any] interface {
	// LogProb sets logp[i] = log P_F(acts[i] | states[i]).
	LogProb(states []S, cands [][]Candidate, acts []Action, logp []float64)
	// Sample draws acts[i] ~ P_F(. | states[i]) with rngs[i], so that each
	// state's draw depends only on its own stream.
	Sample(states []S, cands [][]Candidate, rngs []*rand.Rand, acts []Action)
}

// BackwardPolicy is a backward policy P_B over the backward candidates of
// each state (from Env.Backward), which must be non-empty.
type BackwardPolicy[S any] interface {
	// LogProb sets logp[i] = log P_B(back[i] | states[i]).
	LogProb(states []S, bcands [][]Candidate, back []int, logp []float64)
	// Sample sets back[i] to a backward candidate index drawn with rngs[i].
	Sample(states []S, bcands [][]Candidate, rngs []*rand.Rand, back []int)
}

// Uniform is the uniform backward policy: each of the k backward candidates
// of a state has probability 1/k. It is exact and has no parameters.
type Uniform[S any] struct{}

// LogProb implements BackwardPolicy.
func (Uniform[S]) LogProb(_ []S, bcands [][]Candidate, _ []int, logp []float64) {
	for i, bc := range bcands {
		logp[i] = -math.Log(float64(len(bc)))
	}
}

// Sample implements BackwardPolicy.
func (Uniform[S]) Sample(_ []S, bcands [][]Candidate, rngs []*rand.Rand, back []int) {
	for i, bc := range bcands {
		back[i] = rngs[i].IntN(len(bc))
	}
}
