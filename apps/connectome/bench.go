package connectome

import (
	"fmt"
	"math/rand/v2"
)

// NewCUBA builds benchmark 2 of Brette et al. (2007) with n neurons (4000 in
// the benchmark; 80% excitatory, p = 0.02, no delay) and the initial state
// v ~ U(Vr, Vt), ge = gi = 0 of the Brian script.
func NewCUBA(n int, rng *rand.Rand) (*Sim, error) {
	ne := n * 4 / 5
	net, err := RandomNetwork(RandomSpec{NE: ne, NI: n - ne, P: CUBAProb, WeightE: CUBAWeightE, WeightI: CUBAWeightI}, rng)
	if err != nil {
		return nil, err
	}
	s, err := NewSim(CUBAParams(), net)
	if err != nil {
		return nil, err
	}
	s.InitUniform(rng)
	return s, nil
}

// InitUniform sets v ~ U(VReset, VThresh) and zero synaptic variables.
func (s *Sim) InitUniform(rng *rand.Rand) {
	for i := range s.V {
		s.V[i] = s.P.VReset + rng.Float64()*(s.P.VThresh-s.P.VReset)
		s.GE[i], s.GI[i] = 0, 0
	}
}

// NewCOBA builds benchmark 1 of Brette et al. (2007), Brian variant, with n
// neurons (4000 in the benchmark; 80% excitatory, p = 0.02, delay 0.1 ms) and
// Brian's initial state v ~ N(-65, 5) mV, ge ~ N(4, 1.5), gi ~ N(20, 12) in
// units of gL.
func NewCOBA(n int, rng *rand.Rand) (*Sim, error) {
	ne := n * 4 / 5
	net, err := RandomNetwork(RandomSpec{NE: ne, NI: n - ne, P: COBAProb, WeightE: COBAWeightE, WeightI: COBAWeightI, Delay: COBADelay}, rng)
	if err != nil {
		return nil, err
	}
	s, err := NewSim(COBAParams(), net)
	if err != nil {
		return nil, err
	}
	s.InitCOBA(rng)
	return s, nil
}

// InitCOBA sets Brian's COBA initial state: v ~ N(-65, 5) mV, ge ~ N(4, 1.5),
// gi ~ N(20, 12) in units of gL.
func (s *Sim) InitCOBA(rng *rand.Rand) {
	for i := range s.V {
		s.V[i] = -65 + 5*rng.NormFloat64()
		s.GE[i] = 4 + 1.5*rng.NormFloat64()
		s.GI[i] = 20 + 12*rng.NormFloat64()
	}
}

// NewBrunel builds the Brunel (2000) network in a regime with n neurons
// (12500 in the paper; 80% excitatory) and fixed in-degrees cE = min(1000,
// NE/2), cI = min(250, NI/2), J = 0.1 mV, inhibitory weight -g J, delay 1.5 ms, external
// Poisson drive eta nu_thr from cE sources. Initial v ~ U(VReset, VThresh).
func NewBrunel(r BrunelRegime, n int, rng *rand.Rand) (*Sim, error) {
	ne := n * 4 / 5
	ni := n - ne
	// The paper's in-degrees (epsilon = 0.1 of 10000 and 2500) are kept for
	// scaled-down networks as long as they fit, so that the mean-field
	// operating point does not move; smaller networks connect half of each
	// population.
	ce, ci := min(1000, ne/2), min(250, ni/2)
	if ce < 1 {
		return nil, fmt.Errorf("%w: %d neurons are too few for Brunel's network", ErrNetwork, n)
	}
	net, err := RandomNetwork(RandomSpec{NE: ne, NI: ni, InDegreeE: ce, InDegreeI: ci,
		WeightE: BrunelJ, WeightI: -r.G * BrunelJ, Delay: BrunelDelay}, rng)
	if err != nil {
		return nil, err
	}
	s, err := NewSim(BrunelParams(r, ce), net)
	if err != nil {
		return nil, err
	}
	s.InitUniform(rng)
	return s, nil
}
