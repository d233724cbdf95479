// Package gfntest checks that an environment or a forward policy keeps the
// contracts of package gfn. Like testing/slogtest and gonum's testblas, it
// is run from the tests of the package that implements them:
//
//	func TestConformance(t *testing.T) {
//		env, err := hypergrid.New(2, 8)
//		if err != nil {
//			t.Fatal(err)
//		}
//		gfntest.Env(t, env, gfntest.Options{})
//	}
//
// Failures are reported with t.Errorf, each prefixed by where it was found
// (trajectory and step), at most Options.MaxErrors of them per call; the
// suite never calls t.Fatal, so it can run against a recording testing.TB.
//
// # Environments
//
// Env walks Options.Trajectories random trajectories from Init. At each step
// it takes Stop with probability Options.StopProb when the state lists it and
// otherwise a uniformly chosen non-stop candidate; Interval candidates get
// values drawn uniformly in (Lo, Hi). It checks:
//
//   - Init has no backward candidates and every other visited state has at
//     least one; every visited state has at least one forward candidate.
//   - Feature vectors have the lengths of Spec (state, forward, backward),
//     are finite, and Features writes every entry and is deterministic.
//   - Forward and Backward append to dst[:0]: a reused dst gives the same
//     list as a nil one.
//   - At most one Stop candidate; Stop carries no continuous parameters;
//     Interval candidates have Dim >= 1 and finite Lo < Hi; Discrete ones
//     have Dim 0. Backward candidates are Discrete and not Stop.
//   - Step's returned backward index is in range, and Undo(next, back)
//     returns a parent equal to the state and the forward action taken (same
//     index, continuous values equal to Options.ValueTol).
//   - Every backward candidate j of a visited state s undoes to a parent
//     whose forward candidates include the returned action (a non-stop
//     candidate, values inside the interval), and Step(parent, action) gives
//     back s with backward index j.
//   - LogReward is deterministic and neither NaN nor +Inf wherever Stop is
//     allowed. A log-reward of -Inf (reward 0) is accepted.
//   - Step, Undo, Features, Forward, Backward and LogReward leave their
//     state unchanged (features and candidates compared before and after).
//   - Trajectories stop within Options.MaxSteps, and a random backward walk
//     from each final state reaches Init within Options.MaxSteps.
//
// States are compared with Key when the environment implements
// gfn.Enumerable (states with equal keys must also have equal features and
// candidates, and Step must change the key); otherwise two states are equal
// when their features and their forward and backward candidate lists agree
// to Options.ValueTol.
//
// # Policies
//
// Policy walks trajectories drawn from the policy itself and checks at each
// visited state that P_F is normalised: the probabilities of the discrete
// candidates plus the integrals of the densities of the Interval candidates
// with Dim 1 sum to 1 within Options.NormTol. The integrals use
// Gauss-Legendre quadrature (gonum's integrate/quad) with Options.QuadPoints
// nodes after the double-exponential change of variables
// x = Lo + (Hi-Lo)(1 + tanh(pi/2 sinh t))/2, which crowds the nodes towards
// the interval's ends so that densities with integrable end-point
// singularities, such as Beta densities with a concentration below 1, are
// integrated accurately. What no quadrature can recover is the mass that
// lies closer to an end than floating point resolves: a density that
// behaves like |x-E|^(a-1) near an end E != 0 puts a mass of about
// (2.2e-16 |E|/(Hi-Lo))^a within an ulp of E, 7e-9 for a = 1/2 on (0, 1)
// but 1e-5 for a = 0.3 on (-1, 3) (and a sampler returns E itself with that
// probability), so such policies need a larger NormTol. States with an Interval candidate of Dim > 1 are
// not checked for normalisation (the test log says how many). It also
// checks that every sampled action is a valid candidate (index in range,
// values inside the interval) with a finite log-probability.
package gfntest
