// Package connectome simulates networks of leaky integrate-and-fire (LIF)
// neurons and scores candidate connectomes against observed spike trains.
//
// # Units
//
// Inside the simulator and the likelihood, times are in ms and potentials in
// mV; spike times ([Spike].T) are in seconds. Weights are in mV for
// [CurrentExp] and [Delta] synapses and in nS for [Conductance] synapses;
// their sign is the presynaptic neuron's type (Dale's law). Edge delays are
// in ms.
//
// # Simulation
//
// [Sim] integrates a [Network] on a fixed grid: exact integration of the
// linear subthreshold dynamics (Rotter and Diesmann 1999) for current-based
// exponential synapses (with the limit formula when tau_s = tau_m) and delta
// synapses, exponential Euler for conductance synapses, absolute
// refractoriness, integer delays through a ring buffer, external Poisson
// drive, optional white-noise input with Brownian-bridge threshold
// detection, and spike times interpolated within the step. The canonical
// benchmarks are built by [NewCUBA], [NewCOBA] (Brette et al. 2007) and
// [NewBrunel] (Brunel 2000, the four regimes of its figure 8). [Siegert],
// [RateConstant], [EPSPPeak] and [BrunelMeanField] are the analytic values
// the tests compare against. A simulation is single-threaded and
// deterministic for a network, initial state and random stream.
//
// # Tables
//
// [ReadSpikes] and [WriteSpikes] handle tables with columns neuron and time
// (s); [ReadNetwork] and [WriteNetwork] tables with columns pre, post,
// weight and delay_ms (the older header delay is read too). Both accept
// tabs or commas. The Parquet tables [TableSpikes] ([SpikeRow]: neuron,
// time_s) and [TableNetwork] ([EdgeRow]: pre, post, weight, delay_ms) are
// documented in docs/schema.md; [ReadSpikesFile] and [ReadNetworkFile] read
// either kind by extension. Reader errors are [*LineError] values naming the
// file and line (Parquet: row). [RasterPlot] draws a raster of a sample of
// both populations over their rates as PNG.
//
// # Likelihood and prior
//
// [Likelihood] is the escape-noise LIF likelihood of observed spike trains
// given the weights (see [EscapeParams]): a sum of one concave term per
// postsynaptic neuron ([Neuron]), so changing synapse i -> j changes only
// neuron j's term, which [State] updates incrementally. [Neuron.Fit]
// maximises a term by Newton's method. [Prior] puts a Bernoulli sparsity
// prior on edges, enforces Dale's law and gives weight magnitudes a
// log-normal density.
package connectome
