// Package pointset provides a continuous environment with an analytic
// target: sets of at most K points in (0, 1) under a truncated Poisson
// process. It has the shape of the BARS knot-set problem (a variable number
// of unordered points, each drawn from a density) with a known answer, so
// it tests the k! bookkeeping of design.md §3 and reference §1.2 and §5.2.
//
// # Target
//
// For a set S = {t_1 < ... < t_k} with k <= K = MaxPoints,
//
//	R(S) = prod_{t in S} Lambda f(t),   f = Beta(Alpha, Beta) density.
//
// R is a density over sorted k-tuples: with respect to ν_k, Lebesgue measure
// on the sorted simplex {t_1 < ... < t_k}, which is Lebesgue measure on
// (0,1)^k divided by k!. Integrating the k iid factors over the simplex
// gives 1/k!, so
//
//	Z = sum_{k=0}^{K} Lambda^k / k!,   p(k) = Lambda^k / (k! Z),
//
// and given k the points are iid f (LogZ, PK and CDF). This is the
// convention in which a proper backward policy (uniform removal,
// P_B = 1/k) is exact: with P_B = 1 instead, the trajectory balance
// residual of every trajectory ending at k points is off by log k!.
//
// # States and actions
//
// A State is the sorted slice of the points. The forward candidates are
// Stop (always allowed, the empty set included; the only candidate, hence
// forced, at K points), then, below K points, one "add" candidate with one
// continuous parameter in the Interval (0, 1): the new point. Step inserts
// it in sorted order and returns its position, which is the index of the
// backward candidate "remove point i" that undoes the step. Backward
// candidates list the points in sorted order, with the point's position as
// their single feature.
//
// The state features are permutation invariant: the one-hot encoding of k
// (K+1 entries), the sorted points padded with zeros (K entries), and k/K.
//
// # Optimal policy
//
// OptimalPolicy is the forward policy whose terminal distribution is R/Z
// with the uniform backward policy: at k points it stops with probability
// pi_k = p(k) / sum_{m>=k} p(m) (forced at K) and otherwise adds a point
// drawn from f. The product of its stop and continue probabilities along a
// trajectory ending at k points is p(k), so the trajectory balance residual
//
//	log Z + sum log P_F - log R - sum log P_B
//
// is 0 for every trajectory when P_B is gfn.Uniform.
package pointset
