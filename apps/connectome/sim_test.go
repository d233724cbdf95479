package connectome

import (
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func single(p Params, n int) *Sim {
	net := &Network{N: n, Excitatory: make([]bool, n)}
	s, err := NewSim(p, net)
	if err != nil {
		panic(err)
	}
	return s
}

// meanISIRate is 1/mean ISI (Hz) over all neurons with at least two spikes.
func meanISIRate(spikes []Spike, n int) float64 {
	last := make([]float64, n)
	seen := make([]bool, n)
	var sum float64
	var k int
	for _, s := range spikes {
		if seen[s.Neuron] {
			sum += s.T - last[s.Neuron]
			k++
		}
		seen[s.Neuron], last[s.Neuron] = true, s.T
	}
	if k == 0 {
		return 0
	}
	return float64(k) / sum
}

// TestFICurve checks Brian2's IF_curve_LIF setup (tau 10 ms, theta 10 mV,
// Vr 0, t_ref 5 ms) against nu = 1/(t_ref + tau ln((v0-Vr)/(v0-theta))):
// 83.81 Hz at v0 = 20 mV and silence at or below threshold.
func TestFICurve(t *testing.T) {
	if got := RateConstant(20, 10, 0, 10, 5); math.Abs(got-83.81) > 0.005 {
		t.Fatalf("analytic f-I at 20 mV: %.4f Hz, want 83.81", got)
	}
	for _, dt := range []float64{0.01, 0.1} {
		for _, v0 := range []float64{5, 10, 12, 15, 20} {
			p := Params{Synapse: CurrentExp, Dt: dt, TauM: 10, TRef: 5, VRest: v0, VThresh: 10, VReset: 0, TauE: 5, TauI: 5}
			s := single(p, 1)
			s.V[0] = 0
			sp := s.Run(int64(2000/dt), nil, nil)
			got := meanISIRate(sp, 1)
			want := RateConstant(v0, 10, 0, 10, 5)
			// On a grid the interspike interval is a whole number of steps,
			// at most one step longer than the exact one.
			tol := want*want*dt/1000 + 1e-9
			if got > want+1e-9 || want-got > tol {
				t.Errorf("dt %g v0 %g: rate %.4f Hz, want %.4f (-%.4f)", dt, v0, got, want, tol)
			}
		}
	}
}

// TestEPSP checks the CUBA postsynaptic potential against the closed form at
// every grid point, and its peak: 0.2551 mV at 9.24 ms for w = 1.62 mV.
func TestEPSP(t *testing.T) {
	tp, vp := EPSPPeak(CUBAWeightE, 20, 5)
	if math.Abs(tp-9.24) > 0.005 || math.Abs(vp-0.2551) > 0.00005 {
		t.Fatalf("analytic peak %.4f mV at %.4f ms, want 0.2551 at 9.24", vp, tp)
	}
	for _, tauE := range []float64{5, 20, 20 + 1e-12} {
		p := CUBAParams()
		p.VRest, p.Dt, p.TauE = -65, 0.01, tauE
		net := &Network{N: 2, Excitatory: []bool{true, true}, Edges: []Edge{{0, 1, CUBAWeightE, 0}}}
		s, err := NewSim(p, net)
		if err != nil {
			t.Fatal(err)
		}
		s.V[0] = 100 // fires in step 0; its input reaches neuron 1 at t = dt
		var peakV, peakT, maxErr float64
		for k := 1; k <= 5000; k++ {
			s.Run(1, nil, nil)
			tk := float64(k) * p.Dt
			got := s.V[1] - p.VRest
			want := PSP(tk-p.Dt, CUBAWeightE, p.TauM, tauE)
			maxErr = max(maxErr, math.Abs(got-want))
			if got > peakV {
				peakV, peakT = got, tk-p.Dt
			}
		}
		if maxErr > 1e-12 {
			t.Errorf("tau_e %g: simulated PSP deviates from the closed form by %g mV", tauE, maxErr)
		}
		wt, wv := EPSPPeak(CUBAWeightE, p.TauM, tauE)
		if math.Abs(peakT-wt) > p.Dt || math.Abs(peakV-wv) > 1e-5 {
			t.Errorf("tau_e %g: peak %.5f mV at %.3f ms, want %.5f at %.3f", tauE, peakV, peakT, wv, wt)
		}
	}
	// The propagator is continuous through tau_e = tau_m.
	a, b := psp(0.1, 20, 20), psp(0.1, 20, 20*(1+1e-9))
	if math.Abs(a-b) > 1e-12 {
		t.Errorf("psp jumps at tau_s = tau_m: %g vs %g", a, b)
	}
}

// TestSiegert drives unconnected neurons with white noise (mu 15, sigma 5 mV,
// theta 20, Vr 10, tau 20, t_ref 2 ms) and compares the rate with the Siegert
// formula, 9.46 Hz, within five standard errors; halving dt must agree too.
func TestSiegert(t *testing.T) {
	want := Siegert(15, 5, 20, 10, 20, 2)
	if math.Abs(want-9.46) > 0.005 {
		t.Fatalf("Siegert %.4f Hz, want 9.46", want)
	}
	const n, dur = 200, 10.0 // neurons, s
	for _, dt := range []float64{0.1, 0.05} {
		p := Params{Synapse: Delta, Dt: dt, TauM: 20, TRef: 2, VRest: 15, VThresh: 20, VReset: 10, Sigma: 5}
		s := single(p, n)
		rng := rand.New(rand.NewPCG(7, uint64(dt*1000)))
		sp := s.Run(int64(dur*1000/dt), rng, nil)
		st := Summarize(sp, n, 0, dur)
		// Standard error of the mean rate of a renewal process: CV sqrt(nu/(n T)).
		se := st.CV * math.Sqrt(want/(n*dur))
		if math.Abs(st.Rate-want) > 5*se {
			t.Errorf("dt %g: rate %.3f Hz, Siegert %.3f Hz (5 SE = %.3f)", dt, st.Rate, want, 5*se)
		}
		t.Logf("dt %g ms: %.3f Hz (Siegert %.3f, SE %.3f), CV %.3f", dt, st.Rate, want, se, st.CV)
	}
}

// TestCUBARate runs the 4000-neuron CUBA benchmark for 1 s: the rate must
// settle at the published 5.4 to 5.6 Hz (allowing for the seed), and halving
// dt must not move it by more than 5%.
func TestCUBARate(t *testing.T) {
	rates := map[float64]float64{}
	for _, dt := range []float64{0.1, 0.05} {
		rng := rand.New(rand.NewPCG(11, 1))
		s, err := NewCUBA(4000, rng)
		if err != nil {
			t.Fatal(err)
		}
		s.P.Dt = dt
		s, err = NewSim(s.P, s.Net)
		if err != nil {
			t.Fatal(err)
		}
		s.InitUniform(rng)
		sp := s.Run(int64(1000/dt), nil, nil)
		st := Summarize(sp, 4000, 0.2, 1)
		rates[dt] = st.Rate
		t.Logf("dt %g ms: %.3f Hz, CV %.3f, %d synapses", dt, st.Rate, st.CV, len(s.Net.Edges))
		if st.Rate < 5.2 || st.Rate > 5.9 {
			t.Errorf("dt %g: CUBA rate %.3f Hz, want about 5.4-5.6", dt, st.Rate)
		}
	}
	if r := rates[0.05] / rates[0.1]; math.Abs(r-1) > 0.05 {
		t.Errorf("halving dt moved the CUBA rate by %.1f%%", 100*(r-1))
	}
}

// TestDeterminism pins a checksum of a small CUBA run in testdata (rewrite
// with -update) and checks that two runs agree bit for bit.
func TestDeterminism(t *testing.T) {
	sum := func() string {
		rng := rand.New(rand.NewPCG(3, 4))
		s, err := NewCUBA(800, rng)
		if err != nil {
			t.Fatal(err)
		}
		// Make it spike in a small network: stronger excitation.
		for k := range s.Net.Edges {
			s.Net.Edges[k].Weight *= 3
		}
		s, _ = NewSim(s.P, s.Net)
		s.InitUniform(rng)
		sp := s.Run(2000, nil, nil)
		h := fnv.New64a()
		for _, x := range sp {
			fmt.Fprintf(h, "%d %x\n", x.Neuron, math.Float64bits(x.T))
		}
		return fmt.Sprintf("spikes %d fnv64a %016x\n", len(sp), h.Sum64())
	}
	a, b := sum(), sum()
	if a != b {
		t.Fatalf("two runs differ: %s vs %s", a, b)
	}
	golden := filepath.Join("testdata", "cuba800.checksum")
	if *update {
		if err := os.WriteFile(golden, []byte(a), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if strings.TrimSpace(string(want)) != strings.TrimSpace(a) {
		t.Errorf("checksum %q, golden %q", a, want)
	}
}

var long = flag.Bool("long", false, "also run the long statistical checks (Brunel regimes A, B and D)")

// TestBrunelRegimes checks the signatures of the panels of Brunel's figure 8
// on a 2500-neuron network with the paper's in-degrees (1000 and 250):
// C asynchronous irregular near the mean-field rate (38 Hz); with -long also
// A synchronous regular (rate near saturation, CV near 0, strong synchrony),
// B synchronous irregular fast (CV near 1, strong synchrony) and D slow
// synchronous irregular (low rate).
func TestBrunelRegimes(t *testing.T) {
	for _, r := range []BrunelRegime{BrunelC, BrunelA, BrunelB, BrunelD} {
		if !*long && r.Name != "C" {
			continue
		}
		rng := rand.New(rand.NewPCG(5, 6))
		s, err := NewBrunel(r, 2500, rng)
		if err != nil {
			t.Fatal(err)
		}
		sp := s.Run(5000, rng, nil)
		st := Summarize(sp, 2500, 0.1, 0.5)
		mf := BrunelMeanField(s.P, BrunelJ, r.G, 1000, 250, s.P.ExtRate/1000)
		t.Logf("regime %s (g %g, eta %g): rate %.2f Hz (mean field %.2f), CV %.3f, sync %.3f", r.Name, r.G, r.Eta, st.Rate, mf, st.CV, st.Sync)
		var ok bool
		switch r.Name {
		case "A":
			ok = st.Rate > 250 && st.CV < 0.1 && st.Sync > 0.4
		case "B":
			ok = st.CV > 0.8 && st.Sync > 0.3 && math.Abs(st.Rate/mf-1) < 0.3
		case "C":
			ok = math.Abs(st.Rate/mf-1) < 0.15 && st.CV > 0.3 && st.Sync < 0.35
		case "D":
			ok = st.Rate < 12
		}
		if !ok {
			t.Errorf("regime %s lacks its signature", r.Name)
		}
	}
}

// TestKernelMatchesScalar: the vector CUBA kernel and the scalar loop give
// the same spikes and state bit for bit.
func TestKernelMatchesScalar(t *testing.T) {
	if !haveCUBAKernel {
		t.Skip("no vector kernel on this CPU")
	}
	run := func(kernel bool) ([]Spike, []float64) {
		rng := rand.New(rand.NewPCG(8, 8))
		s, err := NewCUBA(1003, rng) // not a multiple of 4
		if err != nil {
			t.Fatal(err)
		}
		for k := range s.Net.Edges {
			s.Net.Edges[k].Weight *= 3
		}
		s, _ = NewSim(s.P, s.Net)
		s.InitUniform(rng)
		s.useKernel = kernel
		return s.Run(3000, nil, nil), s.V
	}
	a, va := run(true)
	b, vb := run(false)
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d spikes with the kernel, %d without", len(a), len(b))
	}
	for k := range a {
		if a[k] != b[k] {
			t.Fatalf("spike %d: %v vs %v", k, a[k], b[k])
		}
	}
	for i := range va {
		if math.Float64bits(va[i]) != math.Float64bits(vb[i]) {
			t.Fatalf("v[%d]: %v vs %v", i, va[i], vb[i])
		}
	}
}

// TestCOBAKernelMatchesScalar: the vector COBA kernel (with its exp) and the
// scalar loop (with math.Exp) give the same spikes and state bit for bit,
// including neurons whose exponent the kernel hands back to the scalar loop.
func TestCOBAKernelMatchesScalar(t *testing.T) {
	if !haveCOBAKernel {
		t.Skip("no vector kernel on this CPU")
	}
	run := func(kernel bool) ([]Spike, *Sim) {
		rng := rand.New(rand.NewPCG(9, 9))
		s, err := NewCOBA(1003, rng) // not a multiple of 4
		if err != nil {
			t.Fatal(err)
		}
		for k := range s.Net.Edges {
			s.Net.Edges[k].Weight *= 4
		}
		s, _ = NewSim(s.P, s.Net)
		s.InitCOBA(rng)
		s.GE[17] = 2e5 // exponent below -700: the scalar loop takes it
		s.useCOBAKernel = kernel
		return s.Run(1500, nil, nil), s
	}
	a, sa := run(true)
	b, sb := run(false)
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d spikes with the kernel, %d without", len(a), len(b))
	}
	for k := range a {
		if a[k] != b[k] {
			t.Fatalf("spike %d: %v vs %v", k, a[k], b[k])
		}
	}
	for i := range sa.V {
		if math.Float64bits(sa.V[i]) != math.Float64bits(sb.V[i]) || math.Float64bits(sa.GE[i]) != math.Float64bits(sb.GE[i]) {
			t.Fatalf("neuron %d: v %v vs %v, ge %v vs %v", i, sa.V[i], sb.V[i], sa.GE[i], sb.GE[i])
		}
	}
}

// TestCOBAKernelExp checks the kernel's exp against math.Exp bit for bit
// over the whole exponent range it accepts, (-700, 700), one step of
// random states with no threshold.
func TestCOBAKernelExp(t *testing.T) {
	if !haveCOBAKernel {
		t.Skip("no vector kernel on this CPU")
	}
	const n = 1 << 14
	rng := rand.New(rand.NewPCG(10, 10))
	v, ge, gi, inE, inI := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	refr := make([]int32, n)
	hm := -0.005
	for i := range v {
		x := (rng.Float64()*2 - 1) * 699.9 // the exponent hm*gt
		if i%3 == 0 {
			x = -rng.ExpFloat64() // small exponents, the simulations' range
		}
		gt := x / hm
		ge[i] = rng.Float64() * 10
		gi[i] = gt - 1 - ge[i]
		inE[i], inI[i] = rng.Float64(), -rng.Float64()
		gi[i] -= inE[i] + inI[i]
		v[i] = -80 + 30*rng.Float64()
		refr[i] = int32(rng.IntN(3)) * int32(rng.IntN(2))
	}
	c := newCOBAConsts(-60, math.Inf(1), 0, -80, 0.8, 0.9, hm)
	v0, ge0, gi0, e0, i0, r0 := slices.Clone(v), slices.Clone(ge), slices.Clone(gi), slices.Clone(inE), slices.Clone(inI), slices.Clone(refr)
	k := cobaKernel(v, ge, gi, inE, inI, refr, &c)
	if k != n {
		t.Fatalf("kernel advanced %d of %d neurons", k, n)
	}
	for i := range n {
		g1, g2 := ge0[i]+e0[i], gi0[i]+i0[i]
		wantV := v0[i]
		if r0[i] == 0 {
			gt := 1 + g1 + g2
			vinf := (c.el + float64(g1*c.ee) + float64(g2*c.ei)) / gt
			wantV = vinf + float64((v0[i]-vinf)*math.Exp(hm*gt))
		}
		if math.Float64bits(v[i]) != math.Float64bits(wantV) || ge[i] != g1*c.pe || gi[i] != g2*c.pi || inE[i] != 0 || inI[i] != 0 || refr[i] != max(r0[i]-1, 0) {
			t.Fatalf("neuron %d (exponent %g): v %v, want %v", i, hm*(1+g1+g2), v[i], wantV)
		}
	}
}
