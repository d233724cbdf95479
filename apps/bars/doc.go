// Package bars fits peri-stimulus time histograms (PSTHs) with Bayesian
// adaptive regression splines (BARS; DiMatteo, Genovese and Kass 2001, and
// the C program BarsP): a Poisson regression on a natural cubic spline whose
// interior knots are sampled from their posterior, BIC marginal likelihood,
// uniform knot locations and a prior on their number (Model).
//
// Three samplers draw the same knot posterior:
//   - RJMCMC: BARS's reversible-jump chain (birth, death and relocation
//     moves with BARS's locality proposal).
//   - SampleGFN: a GFlowNet over knot sets (Env), fitted by maximum
//     likelihood to a short RJMCMC run, whose proposals go through a
//     Metropolis-Hastings correction with local RJMCMC moves between them,
//     so its draws are exact whatever the training accuracy.
//   - TrainAmortised and AmortisedGFN: one GFlowNet trained on a population
//     of PSTHs (Population, each PSTH summarised as the policy's input),
//     then corrected the same way for each PSTH, new ones included.
//
// FitPSTH (or AmortisedGFN.Fit) turns a chain of knot sets into posterior
// draws (coefficients around each knot set's fit, rate curves, peak time
// and rate) and their Summary: posterior mean, pointwise and simultaneous
// 95% bands, peak intervals and the posterior of k. ReadInput reads BarsP
// files, binned counts and spike times of many neurons.
package bars
