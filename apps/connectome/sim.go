package connectome

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Spike is one action potential: the neuron's id and the threshold-crossing
// time in seconds, linearly interpolated within the integration step.
type Spike struct {
	Neuron int
	T      float64 // s
}

// Sim integrates a network of leaky integrate-and-fire neurons on a fixed
// grid of step Params.Dt.
//
// Step m advances the state from t_m to t_{m+1} = (m+1) dt. Subthreshold
// dynamics are integrated exactly (CurrentExp, Delta) or by exponential
// Euler (Conductance). A neuron spikes when v reaches VThresh at t_{m+1};
// it is then clamped at VReset for round(TRef/dt) steps while its synaptic
// variables keep decaying, and input arriving at v during that time (Delta
// synapses) is discarded. A spike emitted at t_{m+1} over an edge with delay
// d (rounded to whole steps D) changes its target's synaptic variable at
// t_{m+1} + D dt; Delta synapses need D >= 1. This is Brian2's schedule for a
// delay of D dt, with Brian2's refractory period one step longer (see
// bench/connectome).
//
// The simulation is single-threaded and deterministic for a given network,
// initial state and random stream.
type Sim struct {
	P   Params
	Net *Network

	// State, one entry per neuron. V in mV; GE and GI in mV (CurrentExp) or
	// in units of GL (Conductance); unused for Delta. Set them before Run.
	V, GE, GI []float64

	refr []int32 // remaining refractory steps
	step int64

	// Outgoing synapses in CSR form by presynaptic neuron.
	off    []int32
	target []int32 // post (E channel or Delta) or N+post (I channel)
	weight []float64
	delay  []int32
	nslot  int
	buf    []float64 // nslot rows of 2N inputs, indexed by arrival step

	// Propagators.
	p22, pe, pi, p21e, p21i, noiseSD, bridge float64
	refSteps                                 int32
	useKernel, useCOBAKernel                 bool
	ext                                      []float64 // cumulative Poisson(ExtRate dt) probabilities
}

// NewSim compiles a network for simulation. State starts at VRest with zero
// synaptic variables.
func NewSim(p Params, net *Network) (*Sim, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := net.Validate(); err != nil {
		return nil, err
	}
	n := net.N
	s := &Sim{P: p, Net: net, V: make([]float64, n), GE: make([]float64, n), GI: make([]float64, n), refr: make([]int32, n)}
	for i := range s.V {
		s.V[i] = p.VRest
	}
	s.off = make([]int32, n+1)
	for _, e := range net.Edges {
		s.off[e.Pre+1]++
	}
	for i := range n {
		s.off[i+1] += s.off[i]
	}
	ne := len(net.Edges)
	s.target, s.weight, s.delay = make([]int32, ne), make([]float64, ne), make([]int32, ne)
	fill := slices.Clone(s.off[:n])
	maxD := int32(0)
	scale := 1.0
	if p.Synapse == Conductance {
		scale = 1 / p.GL
	}
	for k, e := range net.Edges {
		d := int32(math.Round(e.Delay / p.Dt))
		if p.Synapse == Delta && d < 1 {
			return nil, fmt.Errorf("%w: edge %d (%d->%d): delta synapses need a delay of at least one step (%g ms), got %g ms",
				ErrNetwork, k, e.Pre, e.Post, p.Dt, e.Delay)
		}
		j := fill[e.Pre]
		fill[e.Pre]++
		t := int32(e.Post)
		w := e.Weight * scale
		if p.Synapse != Delta && e.Weight < 0 {
			t += int32(n)
			if p.Synapse == Conductance {
				w = -w
			}
		}
		s.target[j], s.weight[j], s.delay[j] = t, w, d
		maxD = max(maxD, d)
	}
	s.nslot = int(maxD) + 2
	s.buf = make([]float64, s.nslot*2*n)

	h := p.Dt
	s.p22 = math.Exp(-h / p.TauM)
	if p.Synapse != Delta {
		s.pe, s.pi = math.Exp(-h/p.TauE), math.Exp(-h/p.TauI)
		s.p21e, s.p21i = psp(h, p.TauM, p.TauE), psp(h, p.TauM, p.TauI)
	}
	s.refSteps = int32(math.Round(p.TRef / h))
	s.useKernel = haveCUBAKernel
	s.useCOBAKernel = haveCOBAKernel
	if p.Sigma > 0 {
		s.noiseSD = p.Sigma / math.Sqrt2 * math.Sqrt(-math.Expm1(-2*h/p.TauM))
		s.bridge = 2 * p.TauM / (p.Sigma * p.Sigma * h)
	}
	if lam := p.ExtRate * h / 1000; lam > 0 {
		// Inverse-CDF table up to a tail mass below 1e-16.
		pk, c := math.Exp(-lam), 0.0
		for k := 0; k < 10000; k++ {
			c += pk
			s.ext = append(s.ext, c)
			if 1-c < 1e-16 && float64(k) > lam {
				break
			}
			pk *= lam / float64(k+1)
		}
	}
	return s, nil
}

// cubaConsts are the constants of the CurrentExp step, in the order the
// assembly kernel reads them.
type cubaConsts struct{ el, vt, p22, p21e, p21i, pe, pi float64 }

// cobaConsts are the constants of the Conductance step followed by those
// of math.Exp's amd64 algorithm, in the order (offsets) the assembly kernel
// reads them. The exp constants are the literals of GOROOT/src/math/exp_amd64.s.
type cobaConsts struct {
	el, vt, ee, ei, pe, pi, hm   float64
	one, two                     float64
	log2e, ln2u, ln2l, sixteenth float64
	series                       [6]float64
	half                         float64
	lo, hi                       float64 // range of exponents the kernel takes
	bias                         int64
}

func newCOBAConsts(el, vt, ee, ei, pe, pi, hm float64) cobaConsts {
	return cobaConsts{
		el: el, vt: vt, ee: ee, ei: ei, pe: pe, pi: pi, hm: hm,
		one: 1, two: 2,
		log2e:     1.4426950408889634073599246810018920,
		ln2u:      0.69314718055966295651160180568695068359375,
		ln2l:      0.28235290563031577122588448175013436025525412068e-12,
		sixteenth: 0.0625,
		series: [6]float64{2.4801587301587301587e-5, 1.9841269841269841270e-4, 1.3888888888888888889e-3,
			8.3333333333333333333e-3, 4.1666666666666666667e-2, 1.6666666666666666667e-1},
		half: 0.5,
		lo:   -700, hi: 700,
		bias: 1023,
	}
}

// psp is the voltage at time h after a unit jump of an exponential synaptic
// variable with time constant ts, for a membrane with time constant tm:
// ts/(ts-tm) (exp(-h/ts) - exp(-h/tm)), or its limit (h/tm) exp(-h/tm) at
// ts = tm. Written with expm1 so that it stays accurate as ts approaches tm.
func psp(h, tm, ts float64) float64 {
	if ts == tm {
		return h / tm * math.Exp(-h/tm)
	}
	x := h * (ts - tm) / (ts * tm)
	if math.Abs(x) < 1e-300 {
		return h / tm * math.Exp(-h/tm)
	}
	return math.Exp(-h/tm) * math.Expm1(x) * ts / (ts - tm)
}

// PSP returns the postsynaptic potential (mV) at t ms after an input of
// weight w (mV) through an exponential synapse of time constant tauS to a
// membrane of time constant tauM: w tauS/(tauS-tauM) (e^{-t/tauS} - e^{-t/tauM}).
func PSP(t, w, tauM, tauS float64) float64 {
	if t <= 0 {
		return 0
	}
	return w * psp(t, tauM, tauS)
}

// Time is the simulated time in ms.
func (s *Sim) Time() float64 { return float64(s.step) * s.P.Dt }

// Steps is the number of steps taken.
func (s *Sim) Steps() int64 { return s.step }

// poisson draws from the external Poisson table with one uniform.
func (s *Sim) poisson(rng *rand.Rand) float64 {
	u := rng.Float64()
	for k, c := range s.ext {
		if u < c {
			return float64(k)
		}
	}
	return float64(len(s.ext))
}

// Run advances the simulation by steps steps and appends the spikes to dst,
// in order of time (ties by neuron). rng drives the external Poisson input
// and the white noise; it may be nil when neither is used.
func (s *Sim) Run(steps int64, rng *rand.Rand, dst []Spike) []Spike {
	if (s.ext != nil || s.P.Sigma > 0) && rng == nil {
		panic("connectome: Sim.Run needs a random stream for external input or noise")
	}
	p := &s.P
	n := s.Net.N
	h := p.Dt
	var fired []int32
	var times []float64
	for range steps {
		m := s.step
		t0 := float64(m) * h
		fired, times = fired[:0], times[:0]
		cleared := false
		rowIn := s.buf[int(m%int64(s.nslot))*2*n:][: 2*n : 2*n]      // arrivals at t_m
		rowOut := s.buf[int((m+1)%int64(s.nslot))*2*n:][: 2*n : 2*n] // arrivals at t_{m+1} (Delta)
		switch p.Synapse {
		case CurrentExp:
			cleared = s.stepCurrent(rowIn, rng, t0, &fired, &times)
		case Conductance:
			cleared = s.stepConductance(rowIn, rng, t0, &fired, &times)
		case Delta:
			s.stepDelta(rowOut, rng, t0, &fired, &times)
		}
		if p.Synapse != Delta && !cleared {
			clear(rowIn)
		}
		// Deliver: a spike at t_{m+1} with delay D arrives at step m+1+D.
		base := int((m+1)%int64(s.nslot)) * 2 * n
		wrap := s.nslot * 2 * n
		buf := s.buf
		for _, i := range fired {
			lo, hi := s.off[i], s.off[i+1]
			tg, wt, dl := s.target[lo:hi], s.weight[lo:hi], s.delay[lo:hi]
			for k, t := range tg {
				idx := base + int(dl[k])*2*n
				if idx >= wrap {
					idx -= wrap
				}
				buf[idx+int(t)] += wt[k]
			}
		}
		if p.Synapse == Delta {
			// rowOut was consumed this step; arrivals for t_{m+1} from spikes at
			// t_{m+1} are impossible (delay >= 1), so it can be reused.
			clear(rowOut)
		}
		start := len(dst)
		for k, i := range fired {
			dst = append(dst, Spike{int(i), times[k] / 1000})
		}
		if len(fired) > 1 {
			slices.SortStableFunc(dst[start:], func(a, b Spike) int {
				if a.T < b.T {
					return -1
				}
				if a.T > b.T {
					return 1
				}
				return 0
			})
		}
		s.step++
	}
	return dst
}

func (s *Sim) spike(i int, vOld, vNew, t0 float64, fired *[]int32, times *[]float64) {
	f := 1.0
	if vOld < s.P.VThresh && vNew > vOld {
		f = (s.P.VThresh - vOld) / (vNew - vOld)
	} else if vOld >= s.P.VThresh {
		f = 0
	}
	*fired = append(*fired, int32(i))
	*times = append(*times, t0+f*s.P.Dt)
	s.V[i] = s.P.VReset
	s.refr[i] = s.refSteps
}

// crossed reports whether a noisy path from v0 to v1 (both below threshold)
// touched threshold within the step (Brownian bridge).
func (s *Sim) crossed(v0, v1 float64, rng *rand.Rand) bool {
	a, b := s.P.VThresh-v0, s.P.VThresh-v1
	return rng.Float64() < math.Exp(-s.bridge*a*b)
}

// stepCurrent advances CurrentExp neurons; it reports whether it cleared in.
func (s *Sim) stepCurrent(in []float64, rng *rand.Rand, t0 float64, fired *[]int32, times *[]float64) bool {
	p := &s.P
	n := len(s.V)
	V, GE, GI, refr := s.V[:n], s.GE[:n], s.GI[:n], s.refr[:n]
	inE, inI := in[:n], in[n:2*n]
	el, vt := p.VRest, p.VThresh
	p22, pe, pi, p21e, p21i := s.p22, s.pe, s.pi, s.p21e, s.p21i
	ext := s.ext != nil
	noiseSD := s.noiseSD
	if !ext && noiseSD == 0 {
		// Fast path: no external input, no noise. The vector kernel (when
		// the CPU has one) does the same arithmetic as the scalar loop and
		// hands blocks with threshold crossings and the tail back to it.
		c := cubaConsts{el, vt, p22, p21e, p21i, pe, pi}
		for i := 0; i < n; {
			if s.useKernel {
				i += cubaKernel(V[i:], GE[i:], GI[i:], inE[i:], inI[i:], refr[i:], &c)
			}
			end := n
			if s.useKernel {
				end = min(i+4, n)
			}
			for ; i < end; i++ {
				ge := GE[i] + inE[i]
				gi := GI[i] + inI[i]
				inE[i], inI[i] = 0, 0
				GE[i], GI[i] = ge*pe, gi*pi
				if refr[i] > 0 {
					refr[i]--
					continue
				}
				v := V[i]
				// Conversions keep the compiler from fusing multiply-adds, so
				// that this loop, the kernel and Brian2 round alike.
				vn := el + float64((v-el)*p22) + float64(ge*p21e) + float64(gi*p21i)
				if vn >= vt {
					s.spike(i, v, vn, t0, fired, times)
					continue
				}
				V[i] = vn
			}
		}
		return true
	}
	for i := range V {
		ge := GE[i] + inE[i]
		gi := GI[i] + inI[i]
		if ext {
			ge += p.ExtWeight * s.poisson(rng)
		}
		GE[i], GI[i] = ge*pe, gi*pi
		if refr[i] > 0 {
			refr[i]--
			continue
		}
		v := V[i]
		vn := el + float64((v-el)*p22) + float64(ge*p21e) + float64(gi*p21i)
		if noiseSD > 0 {
			vn += noiseSD * rng.NormFloat64()
			if vn < vt && s.crossed(v, vn, rng) {
				s.spike(i, v, v, t0, fired, times)
				(*times)[len(*times)-1] = t0 + 0.5*p.Dt
				continue
			}
		}
		if vn >= vt {
			s.spike(i, v, vn, t0, fired, times)
			continue
		}
		V[i] = vn
	}
	return false
}

// stepConductance advances Conductance neurons; it reports whether it cleared in.
func (s *Sim) stepConductance(in []float64, rng *rand.Rand, t0 float64, fired *[]int32, times *[]float64) bool {
	p := &s.P
	n := len(s.V)
	V, GE, GI, refr := s.V[:n], s.GE[:n], s.GI[:n], s.refr[:n]
	inE, inI := in[:n], in[n:2*n]
	el, vt, ee, ei := p.VRest, p.VThresh, p.EE, p.EI
	pe, pi := s.pe, s.pi
	hm := -p.Dt / p.TauM
	ext := s.ext != nil
	extW := p.ExtWeight / p.GL
	if !ext && s.useCOBAKernel {
		// The vector kernel (math.Exp's algorithm lane by lane) does the
		// scalar loop's arithmetic bit for bit and hands blocks with threshold
		// crossings and the tail back to it.
		c := newCOBAConsts(el, vt, ee, ei, pe, pi, hm)
		for i := 0; i < n; {
			i += cobaKernel(V[i:], GE[i:], GI[i:], inE[i:], inI[i:], refr[i:], &c)
			for end := min(i+4, n); i < end; i++ {
				s.conductanceNeuron(i, inE, inI, t0, fired, times)
			}
		}
		return true
	}
	for i := range V {
		ge := GE[i] + inE[i]
		gi := GI[i] + inI[i]
		if ext {
			ge += extW * s.poisson(rng)
		}
		GE[i], GI[i] = ge*pe, gi*pi
		if refr[i] > 0 {
			refr[i]--
			continue
		}
		v := V[i]
		// Conversions keep the compiler from fusing multiply-adds, so that
		// this loop and the kernel round alike.
		gt := 1 + ge + gi
		vinf := (el + float64(ge*ee) + float64(gi*ei)) / gt
		vn := vinf + float64((v-vinf)*math.Exp(hm*gt))
		if vn >= vt {
			s.spike(i, v, vn, t0, fired, times)
			continue
		}
		V[i] = vn
	}
	return false
}

// conductanceNeuron is one neuron of stepConductance's scalar loop without
// external input, for the blocks the vector kernel hands back.
func (s *Sim) conductanceNeuron(i int, inE, inI []float64, t0 float64, fired *[]int32, times *[]float64) {
	p := &s.P
	ge := s.GE[i] + inE[i]
	gi := s.GI[i] + inI[i]
	inE[i], inI[i] = 0, 0
	s.GE[i], s.GI[i] = ge*s.pe, gi*s.pi
	if s.refr[i] > 0 {
		s.refr[i]--
		return
	}
	v := s.V[i]
	gt := 1 + ge + gi
	vinf := (p.VRest + float64(ge*p.EE) + float64(gi*p.EI)) / gt
	vn := vinf + float64((v-vinf)*math.Exp(-p.Dt/p.TauM*gt))
	if vn >= p.VThresh {
		s.spike(i, v, vn, t0, fired, times)
		return
	}
	s.V[i] = vn
}

func (s *Sim) stepDelta(in []float64, rng *rand.Rand, t0 float64, fired *[]int32, times *[]float64) {
	p := &s.P
	n := len(s.V)
	V, refr := s.V[:n], s.refr[:n]
	in = in[:n]
	el, vt, p22 := p.VRest, p.VThresh, s.p22
	ext := s.ext != nil
	for i := range V {
		if refr[i] > 0 {
			refr[i]--
			if ext {
				s.poisson(rng) // keep the random stream independent of state
			}
			continue
		}
		v := V[i]
		vn := el + (v-el)*p22
		if s.noiseSD > 0 {
			vn += s.noiseSD * rng.NormFloat64()
			if vn < vt && s.crossed(v, vn, rng) {
				s.spike(i, v, v, t0, fired, times)
				(*times)[len(*times)-1] = t0 + 0.5*p.Dt
				continue
			}
		}
		if vn >= vt {
			s.spike(i, v, vn, t0, fired, times)
			continue
		}
		jump := in[i]
		if ext {
			jump += p.ExtWeight * s.poisson(rng)
		}
		if vn+jump >= vt {
			// The jump arrives at t_{m+1}: the crossing happens then.
			s.spike(i, vt, vt, t0+p.Dt, fired, times)
			(*times)[len(*times)-1] = t0 + p.Dt
			continue
		}
		V[i] = vn + jump
	}
}
