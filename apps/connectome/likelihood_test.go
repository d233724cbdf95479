package connectome

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// randomData draws independent Poisson spike trains (rate Hz, dur s) with a
// 2 ms dead time.
func randomData(rng *rand.Rand, n int, rate, dur float64) []Spike {
	var sp []Spike
	for i := range n {
		t := 0.0
		for {
			t += 0.002 + rng.ExpFloat64()/rate
			if t >= dur {
				break
			}
			sp = append(sp, Spike{i, t})
		}
	}
	return sp
}

func TestKernel(t *testing.T) {
	p := DefaultEscape()
	p.Dt = 0.1
	// Neuron 0 fires at 10 ms; neuron 1 at 30 ms (reset).
	L, err := NewLikelihood([]Spike{{0, 0.010}, {1, 0.030}}, 2, 0.1, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	x := L.Neuron(1).X(0)
	for b := range L.nb {
		tm := (float64(b) + 0.5) * p.Dt
		want := PSP(tm-10, 1, p.TauM, p.TauE)
		if tm > 30 {
			want = math.Exp(-20/p.TauE) * PSP(tm-30, 1, p.TauM, p.TauE)
		}
		if math.Abs(x[b]-want) > 1e-12 {
			t.Fatalf("x at %g ms: %g, want %g", tm, x[b], want)
		}
	}
	if want := PSP(20, 1, p.TauM, p.TauE); math.Abs(x[L.nb]-want) > 1e-12 {
		t.Errorf("x just before own spike %g, want %g", x[L.nb], want)
	}
}

func testLik(t *testing.T) (*Likelihood, *rand.Rand) {
	rng := rand.New(rand.NewPCG(1, 9))
	n := 6
	exc := []bool{true, true, true, true, false, false}
	L, err := NewLikelihood(randomData(rng, n, 15, 5), n, 5, exc, DefaultEscape())
	if err != nil {
		t.Fatal(err)
	}
	return L, rng
}

func randW(rng *rand.Rand, L *Likelihood, j int) []float64 {
	w := make([]float64, L.N)
	for i := range w {
		if i != j {
			w[i] = rng.Float64() * 3
			if !L.Excitatory[i] {
				w[i] = -3 * rng.Float64()
			}
		}
	}
	return w
}

// TestGradientHessian compares the analytic gradient and Hessian with
// finite differences, and checks that the Hessian is negative semidefinite.
func TestGradientHessian(t *testing.T) {
	L, rng := testLik(t)
	j := 2
	nr := L.Neuron(j)
	n := L.N
	w := randW(rng, L, j)
	L.Bias[j] = 1.5
	f := func(x []float64) float64 {
		L.Bias[j] = x[n]
		return nr.LogLik(x[:n])
	}
	x0 := append(append([]float64(nil), w...), 1.5)
	hess := make([]float64, (n+1)*(n+1))
	_, g := nr.Gradient(w, nil, hess)
	num := fd.Gradient(nil, f, x0, &fd.Settings{Formula: fd.Central})
	for k := range g {
		if math.Abs(g[k]-num[k]) > 1e-5*(1+math.Abs(num[k])) {
			t.Errorf("gradient %d: %g, finite differences %g", k, g[k], num[k])
		}
	}
	var h mat.SymDense
	fd.Hessian(&h, f, x0, nil)
	for a := range n + 1 {
		for b := range n + 1 {
			if math.Abs(hess[a*(n+1)+b]-h.At(a, b)) > 1e-3*(1+math.Abs(h.At(a, b))) {
				t.Errorf("Hessian %d,%d: %g, finite differences %g", a, b, hess[a*(n+1)+b], h.At(a, b))
			}
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(mat.NewSymDense(n+1, hess), false) {
		t.Fatal("eigendecomposition failed")
	}
	for _, v := range eig.Values(nil) {
		if v > 1e-9 {
			t.Errorf("Hessian eigenvalue %g > 0: not concave", v)
		}
	}
}

// TestConcave: along random chords, l_j lies above the chord.
func TestConcave(t *testing.T) {
	L, rng := testLik(t)
	for j := range L.N {
		nr := L.Neuron(j)
		for range 20 {
			a, b := randW(rng, L, j), randW(rng, L, j)
			for i := range a {
				a[i] *= 3
				b[i] *= -2
			}
			lam := rng.Float64()
			m := make([]float64, len(a))
			for i := range m {
				m[i] = lam*a[i] + (1-lam)*b[i]
			}
			fa, fb, fm := nr.LogLik(a), nr.LogLik(b), nr.LogLik(m)
			if fm < lam*fa+(1-lam)*fb-1e-9*math.Abs(fm) {
				t.Fatalf("neuron %d: l(mid) %g below chord %g", j, fm, lam*fa+(1-lam)*fb)
			}
		}
	}
}

// TestIncremental: a sequence of single-synapse changes tracked by State
// equals a full recomputation, and changing i -> j changes only term j.
func TestIncremental(t *testing.T) {
	L, rng := testLik(t)
	net := &Network{N: L.N, Excitatory: L.Excitatory}
	_, before := L.LogLik(net)
	states := make([]*State, L.N)
	for j := range states {
		states[j] = L.Neuron(j).NewState(make([]float64, L.N))
		if math.Abs(states[j].LL-before[j]) > 1e-9*math.Abs(before[j]) {
			t.Fatalf("neuron %d: state %g, full %g", j, states[j].LL, before[j])
		}
	}
	for step := range 40 {
		i, j := rng.IntN(L.N), rng.IntN(L.N)
		if i == j {
			continue
		}
		w := 2 * rng.Float64()
		if !L.Excitatory[i] {
			w = -w
		}
		if step%5 == 4 {
			w = 0
		}
		states[j].SetWeight(i, w)
		// Rebuild the network from the states and recompute everything.
		net.Edges = net.Edges[:0]
		for jj, st := range states {
			for ii, ww := range st.W {
				if ww != 0 {
					net.Edges = append(net.Edges, Edge{ii, jj, ww, 0})
				}
			}
		}
		_, after := L.LogLik(net)
		for jj := range after {
			if math.Abs(states[jj].LL-after[jj]) > 1e-9*math.Abs(after[jj]) {
				t.Fatalf("step %d neuron %d: incremental %.12g, full %.12g", step, jj, states[jj].LL, after[jj])
			}
			if jj != j && after[jj] != before[jj] {
				t.Fatalf("step %d: changing %d->%d moved the term of neuron %d", step, i, j, jj)
			}
		}
		before = after
	}
}

func TestPrior(t *testing.T) {
	pr := Prior{P: 0.1, MuE: 0, SigmaE: 0.5, MuI: 1, SigmaI: 0.5}
	exc := []bool{true, false}
	if !math.IsInf(pr.LogEdge(0, 1, -1, exc), -1) || !math.IsInf(pr.LogEdge(1, 0, 1, exc), -1) || !math.IsInf(pr.LogEdge(0, 0, 1, exc), -1) {
		t.Error("Dale violations and autapses must have prior zero")
	}
	// exp(LogEdge - log odds) integrates to one over |w|.
	var s float64
	const h = 1e-4
	for w := h / 2; w < 30; w += h {
		s += math.Exp(pr.LogEdge(1, 0, -w, exc)-math.Log(0.1/0.9)) * h
	}
	if math.Abs(s-1) > 1e-4 {
		t.Errorf("log-normal weight density integrates to %g", s)
	}
	net := &Network{N: 2, Excitatory: exc, Edges: []Edge{{0, 1, 1.2, 0}, {1, 0, -3, 0}}}
	want := pr.LogEdge(0, 1, 1.2, exc) + pr.LogEdge(1, 0, -3, exc)
	if got := pr.LogPrior(net); math.Abs(got-want) > 1e-12 {
		t.Errorf("LogPrior %g, want %g", got, want)
	}
	pr.MaxInDegree = 1
	net.Edges = append(net.Edges, Edge{0, 1, 1, 0})
	if !math.IsInf(pr.LogPrior(net), -1) {
		t.Error("duplicate pair / in-degree cap not enforced")
	}
}

// TestRecovery simulates a known 20-neuron network (white-noise driven LIF
// neurons with exponential synapses), fits every neuron's incoming weights
// by maximum likelihood and reports the edge AUROC and the correlation of
// fitted and true weights on true edges.
func TestRecovery(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const n, dur = 20, 60.0
	net, err := RandomNetwork(RandomSpec{NE: 16, NI: 4, P: 0.2, WeightE: 1, WeightI: -1}, rng)
	if err != nil {
		t.Fatal(err)
	}
	for k := range net.Edges {
		m := math.Exp(0.5 * rng.NormFloat64())
		if net.Excitatory[net.Edges[k].Pre] {
			net.Edges[k].Weight = 4 * m
		} else {
			net.Edges[k].Weight = -8 * m
		}
	}
	p := Params{Synapse: CurrentExp, Dt: 0.1, TauM: 20, TRef: 2, VRest: -55, VThresh: -50, VReset: -60, TauE: 5, TauI: 10, Sigma: 6}
	s, err := NewSim(p, net)
	if err != nil {
		t.Fatal(err)
	}
	sp := s.Run(int64(dur*1000/p.Dt), rng, nil)
	ep := EscapeParams{TauM: 20, TauE: 5, TauI: 10, VRest: -55, VReset: -60, Theta: -50, DeltaU: 4, Rho0: 100, TRef: 2, Dt: 1}
	L, err := NewLikelihood(sp, n, dur, net.Excitatory, ep)
	if err != nil {
		t.Fatal(err)
	}
	truth := Weights(net)
	var scores, tw, fw []float64
	var labels []bool
	for j := range n {
		w, se, err := L.Neuron(j).Fit(0.01, 50)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if i == j {
				continue
			}
			// Score: the Wald statistic of the fitted weight, in the direction
			// of the presynaptic type.
			sc := w[i] / se[i]
			if !net.Excitatory[i] {
				sc = -sc
			}
			scores = append(scores, sc)
			labels = append(labels, truth[j][i] != 0)
			if truth[j][i] != 0 {
				tw = append(tw, truth[j][i])
				fw = append(fw, w[i])
			}
		}
	}
	auc := AUROC(scores, labels)
	corr := stat.Correlation(tw, fw, nil)
	t.Logf("%d spikes (%.1f Hz), %d true edges of %d pairs: edge AUROC %.3f, weight correlation on true edges %.3f",
		len(sp), float64(len(sp))/n/dur, len(tw), len(scores), auc, corr)
	if auc < 0.85 || corr < 0.85 {
		t.Errorf("recovery too weak: AUROC %.3f, correlation %.3f", auc, corr)
	}
}
