package gfn

import "fmt"

// ContKind says which continuous parameters a candidate action carries and
// how the policy draws them.
type ContKind uint8

const (
	// Discrete candidates carry no continuous parameter.
	Discrete ContKind = iota
	// Interval candidates carry Dim values, each in the open interval
	// (Lo, Hi). The policy draws y in (0,1) from a Beta mixture and the
	// environment receives Lo + (Hi-Lo)*y; the step's log-density includes
	// the Jacobian -Dim*log(Hi-Lo), so it is a density with respect to
	// Lebesgue measure in the environment's coordinates.
	Interval
)

// Candidate is one action allowed at a state: stop, or a discrete choice
// (which element, gap, node or edge) with optional continuous parameters.
// Features is read-only and may alias memory the environment owns.
type Candidate struct {
	// Stop marks the terminating action: the current state becomes the
	// sampled object. Its backward probability is 1.
	Stop bool
	// Features describe the candidate to the policy's scorer; the length is
	// the environment's Spec().CandidateDim (BackwardDim for backward
	// candidates).
	Features []float64
	// Cont, Dim, Lo and Hi describe the continuous parameters.
	Cont   ContKind
	Dim    int
	Lo, Hi float64
}

// Action is a forward action: the index of the chosen candidate among the
// state's forward candidates and, for continuous candidates, its parameters
// in the environment's coordinates (nil otherwise).
type Action struct {
	Index int
	Value []float64
}

// Spec gives the sizes of an environment's feature encodings.
type Spec struct {
	StateDim     int // length of the state feature vector
	CandidateDim int // length of a forward candidate's features
	BackwardDim  int // length of a backward candidate's features
	ContDim      int // largest Dim of any Interval candidate (0: discrete only)
	// ElementDim > 0 says the environment implements SetEnv with elements
	// of this many features, for permutation-invariant set encoders.
	ElementDim int
}

// SetEnv is implemented by environments whose states are sets (of knots,
// points, synapses): the elements are listed for a permutation-invariant
// encoder (DeepSets), so the policy sees the set, never an insertion order.
type SetEnv[S any] interface {
	Env[S]
	// Elements appends Spec().ElementDim features per element of s to dst
	// and returns it.
	Elements(s S, dst []float64) []float64
}

// Env is what the core asks of an environment over states of type S.
// States are values: Step and Undo return new states and never modify their
// argument, so trajectories may keep every state they visit.
//
// The forward candidates of a state are the actions allowed there; a state
// that may be the final object lists a Stop candidate. The backward
// candidates of a state are its parents' edges (which element, node or edge
// can be removed): one per distinct (parent, forward action) pair. The
// initial state has none and every other reachable state has at least one.
type Env[S any] interface {
	Spec() Spec
	// Init returns the initial state s0.
	Init() S
	// Features writes the state's Spec().StateDim features into dst.
	Features(s S, dst []float64)
	// Forward appends the forward candidates of s to dst[:0] and returns it.
	Forward(s S, dst []Candidate) []Candidate
	// Step applies a non-stop forward action to s. It returns the next state
	// and the index, among the next state's backward candidates, of the one
	// that undoes this step.
	Step(s S, a Action) (next S, back int)
	// Backward appends the backward candidates of s to dst[:0].
	Backward(s S, dst []Candidate) []Candidate
	// Undo applies backward candidate i of s. It returns the parent and the
	// forward action, in the parent's candidate terms, that leads back to s.
	Undo(s S, i int) (parent S, fwd Action)
	// LogReward is log R(s) for a state that may stop, a density with
	// respect to the same reference measure as the policies. It must be
	// deterministic and safe for concurrent use.
	LogReward(s S) float64
}

// Enumerable is implemented by environments with finitely many states whose
// states have a comparable key, so that the terminal distribution of a
// policy can be computed exactly.
type Enumerable[S any] interface {
	Env[S]
	Key(s S) string
}

// StopIndex returns the index of the stop candidate in cs, or -1.
func StopIndex(cs []Candidate) int {
	for i, c := range cs {
		if c.Stop {
			return i
		}
	}
	return -1
}

// checkAction panics if a does not fit the candidates cs: a programmer error
// in an environment or a policy.
func checkAction(cs []Candidate, a Action) {
	if a.Index < 0 || a.Index >= len(cs) {
		panic(fmt.Sprintf("gfn: action index %d of %d candidates", a.Index, len(cs)))
	}
	c := cs[a.Index]
	if c.Cont == Interval && len(a.Value) != c.Dim {
		panic(fmt.Sprintf("gfn: action has %d continuous values, candidate wants %d", len(a.Value), c.Dim))
	}
}
