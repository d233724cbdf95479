package connectome

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// EscapeParams are the parameters of the escape-noise LIF model behind the
// spike-train likelihood. Times in ms, potentials in mV, Rho0 in Hz.
//
// Neuron j's membrane potential is driven by the observed spikes of the
// others and reset by its own:
//
//	u_j(t) = u0_j(t) + Bias[j] + sum_i w_ij x_ij(t)
//
// where u0_j relaxes to VRest with TauM and is set to VReset at j's own
// spikes (VRest before the first), and x_ij is the response of a LIF
// membrane to unit jumps of an exponential synaptic variable (time constant
// TauE for excitatory, TauI for inhibitory presynaptic neurons) at i's spike
// times plus Delay, whose membrane part is reset with j's spikes. So u_j is
// linear in the weights w_ij (mV, as CurrentExp weights). The hazard is
// rho_j(t) = Rho0 exp((u_j(t) - Theta)/DeltaU), zero for TRef after each of
// j's spikes, and
//
//	l_j = sum_k log rho_j(t_k) - int rho_j(t) dt,
//
// the integral by the midpoint rule on a grid of step Dt. l_j is concave in
// (w_.j, Bias[j]) and depends only on j's incoming weights: log L = sum_j l_j.
type EscapeParams struct {
	TauM, TauE, TauI float64
	VRest, VReset    float64
	Theta, DeltaU    float64
	Rho0             float64
	TRef             float64
	Delay            float64
	Dt               float64
}

// DefaultEscape returns CUBA-like membrane and synapse constants with
// Theta = -50 mV, DeltaU = 2 mV, Rho0 = 100 Hz, TRef = 2 ms and a 0.5 ms
// integration grid.
func DefaultEscape() EscapeParams {
	return EscapeParams{TauM: 20, TauE: 5, TauI: 10, VRest: -60, VReset: -60, Theta: -50, DeltaU: 2, Rho0: 100, TRef: 2, Dt: 0.5}
}

// Likelihood holds observed spike trains prepared for the escape-noise LIF
// likelihood.
type Likelihood struct {
	P          EscapeParams
	N          int
	Duration   float64 // observation window [0, Duration), ms
	Excitatory []bool  // presynaptic types (kernel time constants)
	Bias       []float64

	spikes [][]float64 // per neuron, ms, sorted
	nb     int
}

// NewLikelihood prepares spikes (times in s, in [0, duration s)) of n
// neurons. excitatory gives each neuron's type (nil: all excitatory).
func NewLikelihood(spikes []Spike, n int, duration float64, excitatory []bool, p EscapeParams) (*Likelihood, error) {
	if n <= 0 || !(duration > 0) {
		return nil, fmt.Errorf("likelihood: %d neurons over %g s", n, duration)
	}
	if !(p.TauM > 0 && p.TauE > 0 && p.TauI > 0 && p.DeltaU > 0 && p.Rho0 > 0 && p.Dt > 0 && p.TRef >= 0 && p.Delay >= 0) {
		return nil, fmt.Errorf("%w: escape-noise parameters %+v", ErrParams, p)
	}
	if excitatory == nil {
		excitatory = make([]bool, n)
		for i := range excitatory {
			excitatory[i] = true
		}
	}
	if len(excitatory) != n {
		return nil, fmt.Errorf("likelihood: %d types for %d neurons", len(excitatory), n)
	}
	L := &Likelihood{P: p, N: n, Duration: duration * 1000, Excitatory: excitatory, Bias: make([]float64, n), spikes: make([][]float64, n)}
	for _, s := range spikes {
		if s.Neuron < 0 || s.Neuron >= n {
			return nil, fmt.Errorf("likelihood: %w: unknown neuron %d (%d neurons)", ErrNetwork, s.Neuron, n)
		}
		if s.T < 0 || s.T*1000 >= L.Duration || math.IsNaN(s.T) {
			return nil, fmt.Errorf("likelihood: spike of neuron %d at %g s outside [0, %g) s", s.Neuron, s.T, duration)
		}
		L.spikes[s.Neuron] = append(L.spikes[s.Neuron], s.T*1000)
	}
	for _, ts := range L.spikes {
		sort.Float64s(ts)
	}
	L.nb = int(math.Ceil(L.Duration / p.Dt))
	return L, nil
}

// Neuron holds the likelihood term of one postsynaptic neuron: its baseline
// potential and the unit responses x_ij to each presynaptic neuron, on the
// integration grid followed by its own spike times.
type Neuron struct {
	L     *Likelihood
	J     int
	u0    []float64   // baseline, grid then spikes
	live  []bool      // grid points outside refractoriness
	x     [][]float64 // x[i], computed on demand
	nb    int
	nk    int
	dtSec float64
}

// Neuron prepares neuron j's term.
func (L *Likelihood) Neuron(j int) *Neuron {
	p := &L.P
	own := L.spikes[j]
	nb, nk := L.nb, len(own)
	nr := &Neuron{L: L, J: j, u0: make([]float64, nb+nk), live: make([]bool, nb), x: make([][]float64, L.N), nb: nb, nk: nk, dtSec: p.Dt / 1000}
	k := 0
	last := math.Inf(-1)
	for b := range nb {
		t := (float64(b) + 0.5) * p.Dt
		for k < nk && own[k] < t {
			// value just before spike k
			nr.u0[nb+k] = baseline(p, own[k], last)
			last = own[k]
			k++
		}
		nr.u0[b] = baseline(p, t, last)
		nr.live[b] = t-last >= p.TRef
	}
	for ; k < nk; k++ {
		nr.u0[nb+k] = baseline(p, own[k], last)
		last = own[k]
	}
	return nr
}

func baseline(p *EscapeParams, t, last float64) float64 {
	if math.IsInf(last, -1) {
		return p.VRest
	}
	return p.VRest + (p.VReset-p.VRest)*math.Exp(-(t-last)/p.TauM)
}

// X returns the unit response of neuron J to presynaptic neuron i (grid
// values, then values just before J's own spikes). The slice is owned by
// the Neuron; do not modify it.
func (nr *Neuron) X(i int) []float64 {
	if nr.x[i] != nil {
		return nr.x[i]
	}
	L := nr.L
	p := &L.P
	tauS := p.TauE
	if !L.Excitatory[i] {
		tauS = p.TauI
	}
	own := L.spikes[nr.J]
	pre := L.spikes[i]
	out := make([]float64, nr.nb+nr.nk)
	// Walk all event times in order, carrying (x, s) exactly.
	var x, s, t float64
	adv := func(to float64) {
		h := to - t
		if h > 0 {
			x = x*math.Exp(-h/p.TauM) + s*psp(h, p.TauM, tauS)
			s *= math.Exp(-h / tauS)
			t = to
		}
	}
	// Fixed-step propagators for grid-to-grid moves with no event between.
	e22, e21, es := math.Exp(-p.Dt/p.TauM), psp(p.Dt, p.TauM, tauS), math.Exp(-p.Dt/tauS)
	a, k := 0, 0
	for b := range nr.nb {
		tg := (float64(b) + 0.5) * p.Dt
		moved := false
		for {
			ta := math.Inf(1)
			if a < len(pre) {
				ta = pre[a] + p.Delay
			}
			tk := math.Inf(1)
			if k < len(own) {
				tk = own[k]
			}
			if ta >= tg && tk >= tg {
				break
			}
			moved = true
			if tk <= ta {
				// Own spike: record the value just before it, then reset.
				adv(tk)
				out[nr.nb+k] = x
				x = 0
				k++
			} else {
				adv(ta)
				s++
				a++
			}
		}
		if b > 0 && !moved {
			x, s = x*e22+s*e21, s*es
			t = tg
		} else {
			adv(tg)
		}
		out[b] = x
	}
	for ; k < len(own); k++ {
		for a < len(pre) && pre[a]+p.Delay < own[k] {
			adv(pre[a] + p.Delay)
			s++
			a++
		}
		adv(own[k])
		out[nr.nb+k] = x
		x = 0
	}
	nr.x[i] = out
	return out
}

// Potential returns u on the grid then at own spikes for the given incoming
// weights w (length N; zeros are skipped).
func (nr *Neuron) Potential(w []float64) []float64 {
	u := append([]float64(nil), nr.u0...)
	bias := nr.L.Bias[nr.J]
	for b := range u {
		u[b] += bias
	}
	for i, wi := range w {
		if wi != 0 {
			for b, xv := range nr.X(i) {
				u[b] += wi * xv
			}
		}
	}
	return u
}

// LogLikFromPotential evaluates l_j for a potential vector as returned by
// Potential.
func (nr *Neuron) LogLikFromPotential(u []float64) float64 {
	p := &nr.L.P
	var ll float64
	for k := range nr.nk {
		ll += math.Log(p.Rho0) + (u[nr.nb+k]-p.Theta)/p.DeltaU
	}
	if nr.nk > 0 {
		// Spikes inside the refractory period are impossible.
		own := nr.L.spikes[nr.J]
		for k := 1; k < len(own); k++ {
			if own[k]-own[k-1] < p.TRef {
				return math.Inf(-1)
			}
		}
	}
	var integral float64
	for b := range nr.nb {
		if nr.live[b] {
			integral += math.Exp((u[b] - p.Theta) / p.DeltaU)
		}
	}
	return ll - p.Rho0*nr.dtSec*integral
}

// LogLik returns l_j for incoming weights w (length N, mV).
func (nr *Neuron) LogLik(w []float64) float64 { return nr.LogLikFromPotential(nr.Potential(w)) }

// Gradient returns l_j and its gradient with respect to w (length N) and
// the bias (last entry). If hess is not nil it receives the (N+1)x(N+1)
// Hessian, row-major, restricted to the indices in active (nil: all).
func (nr *Neuron) Gradient(w []float64, active []int, hess []float64) (ll float64, grad []float64) {
	p := &nr.L.P
	n := nr.L.N
	if active == nil {
		active = make([]int, n)
		for i := range active {
			active[i] = i
		}
	}
	u := nr.Potential(w)
	ll = nr.LogLikFromPotential(u)
	grad = make([]float64, n+1)
	rho := make([]float64, nr.nb)
	c := p.Rho0 * nr.dtSec / p.DeltaU
	var sumRho float64
	for b := range nr.nb {
		if nr.live[b] {
			rho[b] = c * math.Exp((u[b]-p.Theta)/p.DeltaU)
			sumRho += rho[b]
		}
	}
	grad[n] = float64(nr.nk)/p.DeltaU - sumRho
	xs := make([][]float64, len(active))
	for a, i := range active {
		x := nr.X(i)
		xs[a] = x
		var g float64
		for k := range nr.nk {
			g += x[nr.nb+k]
		}
		g /= p.DeltaU
		for b, r := range rho {
			g -= r * x[b]
		}
		grad[i] = g
	}
	if hess != nil {
		m := len(active) + 1
		if len(hess) < m*m {
			panic("connectome: Hessian buffer too small")
		}
		clear(hess[:m*m])
		for a := range active {
			xa := xs[a]
			for bb := a; bb < len(active); bb++ {
				xb := xs[bb]
				var h float64
				for b, r := range rho {
					h += r * xa[b] * xb[b]
				}
				hess[a*m+bb] = -h / p.DeltaU
				hess[bb*m+a] = -h / p.DeltaU
			}
			var h float64
			for b, r := range rho {
				h += r * xa[b]
			}
			hess[a*m+m-1] = -h / p.DeltaU
			hess[(m-1)*m+a] = -h / p.DeltaU
		}
		hess[m*m-1] = -sumRho / p.DeltaU
	}
	return ll, grad
}

// Weights returns the N x N incoming-weight matrix of a network as columns:
// W[j][i] = sum of weights i -> j (the likelihood treats multiple synapses
// between a pair as one).
func Weights(net *Network) [][]float64 {
	w := make([][]float64, net.N)
	for j := range w {
		w[j] = make([]float64, net.N)
	}
	for _, e := range net.Edges {
		w[e.Post][e.Pre] += e.Weight
	}
	return w
}

// LogLik returns log L = sum_j l_j for the network's weights, and the
// per-neuron terms. It recomputes everything (no caching across calls
// beyond the Neuron objects it creates).
func (L *Likelihood) LogLik(net *Network) (float64, []float64) {
	if net.N != L.N {
		panic(fmt.Sprintf("connectome: network has %d neurons, data %d", net.N, L.N))
	}
	w := Weights(net)
	terms := make([]float64, L.N)
	var total float64
	for j := range L.N {
		terms[j] = L.Neuron(j).LogLik(w[j])
		total += terms[j]
	}
	return total, terms
}

// State is neuron j's likelihood term with its current potential, updated
// incrementally as incoming synapses change: adding or changing the weight
// of i -> j costs one pass over the grid, independent of the in-degree.
type State struct {
	Nr *Neuron
	W  []float64 // current incoming weights (owned by the State)
	U  []float64 // current potential
	LL float64
}

// NewState starts neuron nr's term from weights w (copied).
func (nr *Neuron) NewState(w []float64) *State {
	st := &State{Nr: nr, W: append([]float64(nil), w...)}
	st.U = nr.Potential(st.W)
	st.LL = nr.LogLikFromPotential(st.U)
	return st
}

// SetWeight sets w_ij and returns the change in l_j.
func (st *State) SetWeight(i int, w float64) float64 {
	d := w - st.W[i]
	if d == 0 {
		return 0
	}
	for b, xv := range st.Nr.X(i) {
		st.U[b] += d * xv
	}
	st.W[i] = w
	old := st.LL
	st.LL = st.Nr.LogLikFromPotential(st.U)
	return st.LL - old
}

// ErrNotConverged is returned when a fit stops before its tolerance.
var ErrNotConverged = errors.New("fit did not converge")
