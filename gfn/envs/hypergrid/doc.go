// Package hypergrid provides HyperGrid, the reference environment with an
// exactly computable target, matching torchgfn's gym/hypergrid.py with its
// "original" reward.
//
// # States and actions
//
// A state is a point x of the grid {0, ..., H-1}^D (H = Height, D = NDim),
// starting from the origin. A forward action adds 1 to one coordinate that is
// still below H-1, or stops; stopping is allowed everywhere, the origin
// included, so every state is a possible final object and there are H^D of
// them. A backward action subtracts 1 from a positive coordinate.
//
// Forward candidates are listed in dimension order, then Stop last (torchgfn's
// exit action is also last). Their features are the one-hot vectors of
// torchgfn's fixed action space: dimension i is position i of NDim+1 and Stop
// is position NDim. Backward candidates are one-hot of length NDim. The state
// features are the K-hot encoding of torchgfn's KHot preprocessor: NDim blocks
// of Height entries, with a single 1 in block i at position x_i.
//
// # Reward
//
// With a_i = |x_i/(H-1) - 1/2|,
//
//	R(x) = R0 + R1 * prod_i 1[1/4 < a_i <= 1/2] + R2 * prod_i 1[3/10 < a_i < 2/5]
//
// The band conditions are decided in exact integer arithmetic. torchgfn
// compares floating-point values with an epsilon of 1e-12 that makes every
// comparison strict (0.25+eps < a, 0.3+eps < a, a < 0.4-eps), which gives
// the same answer: a grid point exactly on a band edge is outside the band.
// For the default R0 = 0.1, R1 = 0.5, R2 = 2 on the 2-D grid with H = 8 the
// 4 cells with both coordinates in {1, 6} have R = 2.6, the other cells with
// both coordinates in {0, 1, 6, 7} have R = 0.6 and all others 0.1.
//
// Because R is a sum of products over dimensions, the partition function has
// the closed form
//
//	Z = R0 H^D + R1 n1^D + R2 n2^D
//
// with n1, n2 the number of coordinate values in each band; TrueLogZ returns
// log Z without enumerating the grid.
package hypergrid
