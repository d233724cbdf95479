// Package gfn is the GFlowNet core of neurogfn: environments with hybrid
// discrete and continuous actions, a shared policy network, balance losses,
// training, and exact or importance-sampled evaluation.
//
// # Environments and candidates
//
// An Env lists, at each state, the actions allowed there as candidates:
// Stop (the state becomes the sampled object), or a discrete choice (which
// element, gap, node or edge) that may carry continuous parameters on an
// interval. A fixed action space (HyperGrid's D+1 moves) is the special case
// of candidates with one-hot features. The environment also lists backward
// candidates (what can be removed) and, for each, the parent and the forward
// action that leads back, so trajectories can be built backwards (replay,
// EUBO). The core never looks inside a state.
//
// # Policies and the model
//
// A Model encodes a state (an MLP on its features, or DeepSets over the
// elements of a SetEnv), scores every candidate with one shared bilinear
// head and a masked softmax, and draws the chosen candidate's continuous
// values from a Beta mixture. A step's log-probability is
//
//	log P(choice) + log density(values | choice) - Dim*log(Hi-Lo),
//
// a density with respect to Lebesgue measure in the environment's
// coordinates; a forced action (one candidate) has log-probability 0.
// Rewards must be densities with respect to the same measure: for sets,
// over sorted tuples, with the uniform backward policy's 1/k factors.
//
// # Training
//
// Trainer implements trajectory balance (TB), detailed balance (DB),
// modified detailed balance (MDB), sub-trajectory balance (SubTB), flow
// matching (FM) and log-partition variance (ZVar), with a uniform, learned
// or tree backward policy, exploration (epsilon, temperature, widened
// continuous draws), a replay buffer of terminal objects re-traced with the
// backward policy, and checkpoints. Trajectories advance in lockstep so that
// the policy runs once per step on a batch; losses always rescore
// trajectories under the current policy, so exploration and replay never
// bias the target. Randomness comes from streams derived from (seed, step,
// trajectory): results do not depend on the number of workers, and a
// resumed run equals an uninterrupted one bit for bit.
//
// # Evaluation
//
// ExactDistribution pushes probability through the state graph of an
// Enumerable environment and returns the exact terminal distribution and its
// L1 distance to R/Z. Evaluate returns importance-sampled log Z, the ELBO
// and the effective sample size; EUBO gives the upper bound from target
// samples. Package gfntest checks any environment and policy for the
// invariants the core relies on.
package gfn
