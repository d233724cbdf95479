// Package nn is a small reverse-mode automatic differentiation library over
// dense float64 matrices, with the layers, policy-head distributions and
// optimizer that neurogfn trains with.
//
// # Tensors and tapes
//
// A [Tensor] is a row-major Rows x Cols matrix; column vectors have Cols 1
// and scalars are 1 x 1. Computations are recorded on a [Tape]: every op is
// a method that computes its value at once and returns a [Node] holding it
// (Node.V). [Tape.Param] records a trainable [Param], [Tape.Const] a constant
// and [Tape.Scalar] a constant number. [Tape.Backward] then runs the recorded
// backward closures in reverse order from a scalar loss and accumulates
// d loss/d W into each parameter's Param.G (gradients accumulate across
// calls until [ZeroGrad]).
//
// A tape owns the memory of its nodes. [Tape.Reset] recycles all of it, so a
// training loop that reuses one tape allocates almost nothing in the steady
// state (one closure per op); nodes from before a Reset must not be used
// after it. [NewInferenceTape] returns a tape that records no gradients, for
// acting and evaluation. Tapes are not safe for concurrent use; use one per
// goroutine.
//
// # Ops
//
// Elementwise arithmetic ([Tape.Add], [Tape.Sub], [Tape.Mul], [Tape.Scale],
// [Tape.AddScalar], [Tape.AddBroadcast]), nonlinearities ([Tape.ReLU],
// [Tape.LeakyReLU], [Tape.ELU], [Tape.Tanh], [Tape.Softplus],
// [Tape.Sigmoid], [Tape.LogSigmoid], [Tape.Exp], [Tape.Log],
// [Tape.Square], [Tape.Huber]), matrix products ([Tape.MatMul],
// [Tape.AddRow]), reductions ([Tape.Sum], [Tape.Mean], [Tape.SumRows],
// [Tape.LogSumExp], [Tape.RowLogSumExp]), normalisations
// ([Tape.RowLogSoftmax], and [Tape.SegmentLogSoftmax] over variable-length,
// optionally masked segments of a flat vector), and indexing
// ([Tape.Gather], [Tape.GatherRows], [Tape.ConcatCols], [Tape.ConcatRows],
// [Tape.SegmentSum], [Tape.RowDot]). Log-domain ops are computed stably;
// matrix products use gonum's BLAS in cache-sized tiles that large products
// share with a fixed set of worker goroutines.
//
// # Distributions
//
// Continuous policy heads get log-density ops whose parameters are nodes
// and whose observations are constants, with gradients to the parameters:
// [Tape.BetaLogProb], [Tape.BetaMixtureLogProb], [Tape.LogitNormalLogProb]
// (the density of sigmoid(z), evaluated at the stored logit z),
// [Tape.TruncNormalLogProb], [Tape.LogNormalLogProb] and
// [Tape.VonMisesFisherLogProb] (directions on the sphere S²). Scale
// parameters enter as logarithms. Observations are given either per element
// (n*K values for n x K parameters) or per row (n values shared by the K
// columns, as a mixture's components share one observation). Each op has a plain counterpart
// ([BetaLogPDF], [BetaMixtureLogPDF], [LogitNormalLogPDF],
// [TruncNormalLogPDF], [LogNormalLogPDF], [VonMisesFisherLogPDF]) that
// returns exactly the same numbers, and a sampler taking a *rand.Rand from
// math/rand/v2 ([SampleBeta], [SampleBetaMixture], [SampleLogitNormal],
// [SampleTruncNormal], [SampleLogNormal], [SampleVonMisesFisher]).
//
// # Layers and optimizers
//
// [Linear] is an affine layer with PyTorch's default initialisation and
// [MLP] a stack of them with an [Activation] in between. [Adam] implements
// Adam and AdamW (decoupled weight decay) with parameter groups
// ([Group], selected by Param.Group) that have their own learning rate and
// decay; its state round-trips through MarshalBinary and UnmarshalBinary.
// [ClipGradNorm] clips the joint gradient norm, and [SaveParams] and
// [LoadParams] store and restore parameter values, checking names and
// shapes.
package nn
