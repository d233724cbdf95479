package connectome

import (
	"errors"
	"fmt"
	"math"
)

// Synapse selects how a presynaptic spike acts on its target.
type Synapse int

const (
	// CurrentExp: exponentially decaying synaptic currents (CUBA). A weight
	// is the jump of ge or gi in mV; tau_m dv/dt = (El - v) + ge + gi.
	CurrentExp Synapse = iota
	// Conductance: exponentially decaying conductances (COBA), integrated
	// with exponential Euler. A weight is a conductance jump in nS;
	// tau_m dv/dt = (El - v) + ge (Ee - v) + gi (Ei - v), g in units of GL.
	Conductance
	// Delta: a spike makes the membrane potential jump by the weight in mV
	// (Brunel 2000).
	Delta
)

func (s Synapse) String() string {
	switch s {
	case CurrentExp:
		return "current-exp"
	case Conductance:
		return "conductance"
	case Delta:
		return "delta"
	}
	return fmt.Sprintf("Synapse(%d)", int(s))
}

// Params are the neuron and integration parameters shared by all neurons of
// a network. Times are in ms, potentials in mV, conductances in nS, rates in
// Hz.
type Params struct {
	Synapse Synapse
	Dt      float64 // integration step, ms
	TauM    float64 // membrane time constant, ms
	TRef    float64 // absolute refractory period, ms (rounded to whole steps)
	VRest   float64 // resting (leak reversal) potential El, mV
	VThresh float64 // threshold, mV
	VReset  float64 // reset potential, mV
	TauE    float64 // excitatory synaptic time constant, ms (CurrentExp, Conductance)
	TauI    float64 // inhibitory synaptic time constant, ms (CurrentExp, Conductance)
	EE, EI  float64 // reversal potentials, mV (Conductance)
	GL      float64 // leak conductance, nS (Conductance): weights are divided by it

	// Sigma is the amplitude of white-noise membrane input in mV, in the
	// convention of Brunel (2000) and the Siegert formula:
	// tau_m dv = (mu - v) dt + Sigma sqrt(tau_m) dW. Threshold crossings
	// between grid points are caught with the Brownian-bridge probability.
	// Not available with Conductance synapses.
	Sigma float64

	// ExtRate is the total rate (Hz) of independent Poisson spikes each
	// neuron receives from outside the network; each has weight ExtWeight
	// (same units as network weights, excitatory channel).
	ExtRate   float64
	ExtWeight float64
}

// ErrParams is wrapped by every parameter validation error.
var ErrParams = errors.New("invalid parameters")

// Validate reports the first parameter that is out of range.
func (p *Params) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrParams, fmt.Sprintf(format, a...))
	}
	finite := func(xs ...float64) bool {
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
		return true
	}
	if !finite(p.Dt, p.TauM, p.TRef, p.VRest, p.VThresh, p.VReset, p.TauE, p.TauI, p.EE, p.EI, p.GL, p.Sigma, p.ExtRate, p.ExtWeight) {
		return bad("non-finite value in %+v", *p)
	}
	switch {
	case p.Dt <= 0:
		return bad("dt %g ms must be > 0", p.Dt)
	case p.TauM <= 0:
		return bad("tau_m %g ms must be > 0", p.TauM)
	case p.TRef < 0:
		return bad("t_ref %g ms must be >= 0", p.TRef)
	case p.VReset >= p.VThresh:
		return bad("reset %g mV must be below threshold %g mV", p.VReset, p.VThresh)
	case p.Sigma < 0 || p.ExtRate < 0:
		return bad("sigma and external rate must be >= 0")
	}
	switch p.Synapse {
	case CurrentExp, Conductance:
		if p.TauE <= 0 || p.TauI <= 0 {
			return bad("synaptic time constants %g, %g ms must be > 0", p.TauE, p.TauI)
		}
		if p.Synapse == Conductance {
			if p.GL <= 0 {
				return bad("g_L %g nS must be > 0", p.GL)
			}
			if p.Sigma != 0 {
				return bad("white noise is not available with conductance synapses")
			}
			if p.ExtWeight < 0 {
				return bad("external conductance weight must be >= 0")
			}
		}
	case Delta:
	default:
		return bad("unknown synapse %d", p.Synapse)
	}
	return nil
}

// CUBAParams are the parameters of benchmark 2 of Brette et al. (2007):
// El = -49 mV (above threshold), Vt = -50, Vr = -60 mV, tau_m = 20,
// tau_e = 5, tau_i = 10, t_ref = 5 ms, dt = 0.1 ms. Weights: +1.62 mV
// (excitatory), -9 mV (inhibitory), see CUBAWeights.
func CUBAParams() Params {
	return Params{Synapse: CurrentExp, Dt: 0.1, TauM: 20, TRef: 5, VRest: -49, VThresh: -50, VReset: -60, TauE: 5, TauI: 10}
}

// CUBA weights (mV) and connection probability.
const (
	CUBAWeightE = 1.62
	CUBAWeightI = -9.0
	CUBAProb    = 0.02
)

// COBAParams are the parameters of benchmark 1 of Brette et al. (2007), the
// Brian variant: El = Vr = -60, Vt = -50, Ee = 0, Ei = -80 mV, gL = 10 nS,
// C = 200 pF (tau_m = 20 ms), tau_e = 5, tau_i = 10, t_ref = 5 ms,
// weights +6 nS and -67 nS (the sign selects the channel), delay 0.1 ms,
// no background current.
func COBAParams() Params {
	return Params{Synapse: Conductance, Dt: 0.1, TauM: 20, TRef: 5, VRest: -60, VThresh: -50, VReset: -60,
		TauE: 5, TauI: 10, EE: 0, EI: -80, GL: 10}
}

// COBA weights (nS, signed by channel), delay (ms) and connection probability.
const (
	COBAWeightE = 6.0
	COBAWeightI = -67.0
	COBADelay   = 0.1
	COBAProb    = 0.02
)

// BrunelRegime is one panel of figure 8 of Brunel (2000).
type BrunelRegime struct {
	Name string
	G    float64 // relative strength of inhibition
	Eta  float64 // external rate in units of nu_thr
}

// The four regimes of Brunel (2000), figure 8.
var (
	BrunelA = BrunelRegime{"A", 3, 2}     // synchronous regular
	BrunelB = BrunelRegime{"B", 6, 4}     // synchronous irregular, fast oscillation
	BrunelC = BrunelRegime{"C", 5, 2}     // asynchronous irregular
	BrunelD = BrunelRegime{"D", 4.5, 0.9} // synchronous irregular, slow oscillation
)

// Brunel (2000) constants: tau = 20 ms, theta = 20 mV, Vr = 10 mV,
// t_ref = 2 ms, J = 0.1 mV, D = 1.5 ms, epsilon = 0.1, NE:NI = 4:1.
const (
	BrunelJ       = 0.1
	BrunelDelay   = 1.5
	BrunelEpsilon = 0.1
)

// BrunelParams returns the neuron parameters of Brunel (2000) with the
// external Poisson drive of a regime for in-degree cE excitatory inputs:
// nu_ext = eta nu_thr, nu_thr = theta / (J cE tau), delivered as cE
// independent sources of weight J (total rate cE nu_ext).
func BrunelParams(r BrunelRegime, cE int) Params {
	p := Params{Synapse: Delta, Dt: 0.1, TauM: 20, TRef: 2, VRest: 0, VThresh: 20, VReset: 10}
	nuThr := p.VThresh / (BrunelJ * float64(cE) * p.TauM) * 1000 // Hz
	p.ExtRate = r.Eta * nuThr * float64(cE)
	p.ExtWeight = BrunelJ
	return p
}
