package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"
)

// unitVectors returns n fixed unit vectors in an n x 3 tensor.
func unitVectors(rng *rand.Rand, n int) Tensor {
	x := NewTensor(n, 3)
	for i := range n {
		v := x.Row(i)
		var s float64
		for j := range v {
			v[j] = rng.NormFloat64()
			s += v[j] * v[j]
		}
		for j := range v {
			v[j] /= math.Sqrt(s)
		}
	}
	return x
}

func uniforms(rng *rand.Rand, n int, lo, hi float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = lo + (hi-lo)*rng.Float64()
	}
	return x
}

func TestGradDist(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const n, k = 4, 3
	alpha := randParam(rng, "alpha", n, k, 0.4, 6)
	beta := randParam(rng, "beta", n, k, 0.4, 6)
	logits := randParam(rng, "logits", n, k, -2, 2)
	yRow := uniforms(rng, n, 0.03, 0.97)
	yAll := uniforms(rng, n*k, 0.03, 0.97)
	wk := weights(rng, n, k)
	w1 := weights(rng, n, 1)

	mu := randParam(rng, "mu", n, 1, -1, 1)
	ls := randParam(rng, "logSigma", n, 1, -1, 0.7)
	z := uniforms(rng, n, -3, 3)
	xPos := uniforms(rng, n, 0.05, 6)

	vmu := randParam(rng, "vmu", n, 3, -1, 1)
	logKappa := NewParam("logKappa", n, 1)
	// κ from 1e-4 to 33; the largest one at the mean direction, so that all
	// log-densities, and with them the finite-difference noise, stay small.
	copy(logKappa.W.Data, []float64{-9, -0.5, 3.5, 1.2})
	xs := unitVectors(rng, n)
	// One observation near the mean direction and one opposite to it.
	m, _ := vmfUnit(vmu.W.Row(0))
	copy(xs.Row(2), []float64{m[0], m[1], m[2]})
	copy(xs.Row(3), []float64{-m[0], -m[1], -m[2]})
	copy(vmu.W.Row(2), vmu.W.Row(0))
	copy(vmu.W.Row(3), vmu.W.Row(0))

	cases := []gradCase{
		{"BetaRowObs", []*Param{alpha, beta}, func(tp *Tape) *Node {
			return reduce(tp, tp.BetaLogProb(tp.Param(alpha), tp.Param(beta), yRow), wk)
		}},
		{"BetaElementObs", []*Param{alpha, beta}, func(tp *Tape) *Node {
			return reduce(tp, tp.BetaLogProb(tp.Param(alpha), tp.Param(beta), yAll), wk)
		}},
		{"BetaMixture", []*Param{logits, alpha, beta}, func(tp *Tape) *Node {
			return reduce(tp, tp.BetaMixtureLogProb(tp.Param(logits), tp.Param(alpha), tp.Param(beta), yRow), w1)
		}},
		{"LogitNormal", []*Param{mu, ls}, func(tp *Tape) *Node {
			return reduce(tp, tp.LogitNormalLogProb(tp.Param(mu), tp.Param(ls), z), w1)
		}},
		{"LogNormal", []*Param{mu, ls}, func(tp *Tape) *Node {
			return reduce(tp, tp.LogNormalLogProb(tp.Param(mu), tp.Param(ls), xPos), w1)
		}},
		{"VonMisesFisher", []*Param{vmu, logKappa}, func(tp *Tape) *Node {
			return reduce(tp, tp.VonMisesFisherLogProb(tp.Param(vmu), tp.Param(logKappa), xs), w1)
		}},
	}
	// Truncated normals: intervals around the mean, in either tail, far in
	// a tail, narrow, and half-infinite.
	inf := math.Inf(1)
	for _, iv := range []struct {
		name   string
		lo, hi float64
	}{
		{"Mode", -1.5, 2}, {"Upper", 1.5, 4}, {"Lower", -5, -1.5}, {"FarUpper", 9, 11},
		{"FarLower", -60, -40}, {"Narrow", 0.2, 0.25}, {"HalfUpper", 1, inf}, {"HalfLower", -inf, -0.5},
		{"Whole", -inf, inf},
	} {
		var x []float64
		switch {
		case math.IsInf(iv.lo, -1) && math.IsInf(iv.hi, 1):
			x = uniforms(rng, n, -2, 2)
		case math.IsInf(iv.hi, 1):
			x = uniforms(rng, n, iv.lo, iv.lo+3)
		case math.IsInf(iv.lo, -1):
			x = uniforms(rng, n, iv.hi-3, iv.hi)
		default:
			x = uniforms(rng, n, iv.lo, iv.hi)
		}
		cases = append(cases, gradCase{"TruncNormal" + iv.name, []*Param{mu, ls}, func(tp *Tape) *Node {
			return reduce(tp, tp.TruncNormalLogProb(tp.Param(mu), tp.Param(ls), x, iv.lo, iv.hi), w1)
		}})
	}
	runGradCases(t, cases)
}

// TestDistPlainMatchesOps checks that every plain log-density returns
// exactly the op's values.
func TestDistPlainMatchesOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const n, k = 5, 3
	tp := NewInferenceTape()
	a, b, l := weights(rng, n, k), weights(rng, n, k), weights(rng, n, k)
	for i := range a.Data {
		a.Data[i] = math.Exp(2 * a.Data[i])
		b.Data[i] = math.Exp(2 * b.Data[i])
	}
	y := uniforms(rng, n, 0, 1)
	y[0] = 0.5
	mu, ls := weights(rng, n, 1), weights(rng, n, 1)
	z := uniforms(rng, n, -4, 4)
	xPos := uniforms(rng, n, 0.01, 5)
	xTr := uniforms(rng, n, 0.5, 3)
	vmu := weights(rng, n, 3)
	lk := Tensor{Rows: n, Cols: 1, Data: []float64{math.Inf(-1), -20, 0, 2, 8}}
	xs := unitVectors(rng, n)

	beta := tp.BetaLogProb(tp.Const(a), tp.Const(b), y)
	mix := tp.BetaMixtureLogProb(tp.Const(l), tp.Const(a), tp.Const(b), y)
	ln := tp.LogitNormalLogProb(tp.Const(mu), tp.Const(ls), z)
	lgn := tp.LogNormalLogProb(tp.Const(mu), tp.Const(ls), xPos)
	tr := tp.TruncNormalLogProb(tp.Const(mu), tp.Const(ls), xTr, 0.5, 3)
	vmf := tp.VonMisesFisherLogProb(tp.Const(vmu), tp.Const(lk), xs)
	same := func(what string, got, want float64) {
		t.Helper()
		if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("%s: op %.17g, plain %.17g", what, got, want)
		}
	}
	for i := range n {
		for j := range k {
			same("Beta", beta.V.At(i, j), BetaLogPDF(a.At(i, j), b.At(i, j), y[i]))
		}
		same("BetaMixture", mix.V.Data[i], BetaMixtureLogPDF(l.Row(i), a.Row(i), b.Row(i), y[i]))
		same("LogitNormal", ln.V.Data[i], LogitNormalLogPDF(mu.Data[i], ls.Data[i], z[i]))
		same("LogNormal", lgn.V.Data[i], LogNormalLogPDF(mu.Data[i], ls.Data[i], xPos[i]))
		same("TruncNormal", tr.V.Data[i], TruncNormalLogPDF(mu.Data[i], ls.Data[i], xTr[i], 0.5, 3))
		same("VonMisesFisher", vmf.V.Data[i], VonMisesFisherLogPDF([3]float64(vmu.Row(i)), lk.Data[i], [3]float64(xs.Row(i))))
	}
}

// TestDistReferenceValues compares with values computed to 80 digits with
// mpmath.
func TestDistReferenceValues(t *testing.T) {
	inf := math.Inf(1)
	x7 := [3]float64{2.0 / 7, 3.0 / 7, 6.0 / 7}
	mu := [3]float64{0.3, -0.2, 0.9}
	cases := []struct {
		name      string
		got, want float64
	}{
		{"trunc far upper half-line", TruncNormalLogPDF(0, 0, 40.5, 40, inf), -16.435496519450884575},
		{"trunc lower half-line", TruncNormalLogPDF(1, math.Log(2), -30, -inf, -25), -33.747365742742098385},
		{"trunc narrow tail", TruncNormalLogPDF(0, 0, 8.02, 8, 8.05), 3.0292500719149131049},
		{"trunc narrow mode", TruncNormalLogPDF(0.3, -1, 0.30005, 0.2999, 0.3001), 8.5171931944950107405},
		{"trunc asymptotic tail", TruncNormalLogPDF(-100, math.Log(3), 60, 50, 70), -169.4084119046751034},
		{"trunc mode", TruncNormalLogPDF(0.5, -0.2, 1.5, -1, 2), -1.3955694970231291798},
		{"trunc far lower half-line", TruncNormalLogPDF(0, 0, -37.2, -inf, -37), -3.8083529563140791409},
		{"vmf κ=1e-6", VonMisesFisherLogPDF(mu, math.Log(1e-6), x7), -2.5310234513016389171},
		{"vmf κ=0.3", VonMisesFisherLogPDF(mu, math.Log(0.3), x7), -2.3072791568262125841},
		{"vmf κ=5", VonMisesFisherLogPDF(mu, math.Log(5), x7), -1.2500546603023857632},
		{"vmf κ=700", VonMisesFisherLogPDF(mu, math.Log(700), x7), -138.3193237516175009},
		{"vmf κ=0", VonMisesFisherLogPDF(mu, math.Inf(-1), x7), -math.Log(4 * math.Pi)},
		{"vmf κ=1e-300", VonMisesFisherLogPDF(mu, -690, x7), -math.Log(4 * math.Pi)},
		{"beta U-shaped near 0", BetaLogPDF(0.5, 0.5, 1e-10), 10.368195579170828246},
		{"beta large shapes", BetaLogPDF(200, 300, 0.4), 2.9013959164765961031},
		{"beta near 1", BetaLogPDF(2.5, 1.5, 0.999), -1.8275195536010627628},
		{"logit-normal y≈1", LogitNormalLogPDF(0.5, 0.3, 30), -210.02060168861773709},
		{"logit-normal", LogitNormalLogPDF(-1, -0.5, -2.5), -0.81922612163599938487},
	}
	for _, c := range cases {
		if d := math.Abs(c.got - c.want); !(d <= 1e-11*math.Max(1, math.Abs(c.want))) {
			t.Errorf("%s: %.17g, want %.17g (diff %.2g)", c.name, c.got, c.want, d)
		}
	}
}

func TestDistAgainstGonum(t *testing.T) {
	for _, a := range []float64{0.3, 1, 2.5, 40} {
		for _, b := range []float64{0.7, 1, 3, 15} {
			d := distuv.Beta{Alpha: a, Beta: b}
			for _, y := range []float64{0, 1e-6, 0.1, 0.5, 0.77, 0.999, 1} {
				got, want := BetaLogPDF(a, b, y), d.LogProb(y)
				if math.IsInf(want, 0) && got == want {
					continue
				}
				if !(math.Abs(got-want) <= 1e-12*math.Max(1, math.Abs(want))) {
					t.Errorf("Beta(%v,%v) at %v: %.17g, gonum %.17g", a, b, y, got, want)
				}
			}
		}
	}
	for _, x := range []float64{1e-3, 0.4, 1, 2.5, 30} {
		want := distuv.LogNormal{Mu: 0.3, Sigma: 0.7}.LogProb(x)
		if got := LogNormalLogPDF(0.3, math.Log(0.7), x); math.Abs(got-want) > 1e-13*math.Max(1, math.Abs(want)) {
			t.Errorf("LogNormal at %v: %.17g, gonum %.17g", x, got, want)
		}
		n := distuv.Normal{Mu: 0.3, Sigma: 0.7}
		want = n.LogProb(x) - math.Log(n.CDF(2)-n.CDF(-0.5))
		if got := TruncNormalLogPDF(0.3, math.Log(0.7), x, -0.5, 2); x <= 2 && math.Abs(got-want) > 1e-13*math.Max(1, math.Abs(want)) {
			t.Errorf("TruncNormal at %v: %.17g, gonum %.17g", x, got, want)
		}
	}
	// The von Mises-Fisher density in the form of the specification.
	rng := rand.New(rand.NewPCG(25, 26))
	xs := unitVectors(rng, 20)
	for i := range 20 {
		mu := [3]float64(xs.Row((i + 1) % 20))
		x := [3]float64(xs.Row(i))
		k := math.Exp(float64(i)/3 - 3)
		want := math.Log(k) - math.Log(2*math.Pi) - k - math.Log(-math.Expm1(-2*k)) + k*(mu[0]*x[0]+mu[1]*x[1]+mu[2]*x[2])
		if got := VonMisesFisherLogPDF([3]float64{2 * mu[0], 2 * mu[1], 2 * mu[2]}, math.Log(k), x); math.Abs(got-want) > 1e-13*math.Max(1, math.Abs(want)) {
			t.Errorf("vMF κ=%v: %.17g, want %.17g", k, got, want)
		}
	}
	// Outside the support.
	for name, v := range map[string]float64{
		"beta y<0":     BetaLogPDF(2, 2, -0.1),
		"beta y>1":     BetaLogPDF(2, 2, 1.1),
		"lognormal x0": LogNormalLogPDF(0, 0, 0),
		"trunc below":  TruncNormalLogPDF(0, 0, -1.01, -1, 1),
		"trunc above":  TruncNormalLogPDF(0, 0, 1.01, -1, 1),
	} {
		if !math.IsInf(v, -1) {
			t.Errorf("%s = %v, want -Inf", name, v)
		}
	}
}

// TestLogUpperTailBranches checks that the erfc and asymptotic forms of
// log Q agree where both are accurate.
func TestLogUpperTailBranches(t *testing.T) {
	for x := 26.0; x <= 36; x += 0.5 {
		direct := math.Log(0.5 * math.Erfc(x/math.Sqrt2))
		r := 1 / (x * x)
		s := 1 + r*(-1+r*(3+r*(-15+r*(105+r*(-945+r*10395)))))
		asym := -0.5*x*x - math.Log(x) - halfLog2Pi + math.Log(s)
		if math.Abs(direct-asym) > 1e-13*math.Abs(direct) {
			t.Errorf("log Q(%v): erfc %.17g, asymptotic %.17g", x, direct, asym)
		}
	}
	if got := logNormalMass(math.Inf(-1), math.Inf(1)); got != 0 {
		t.Errorf("log mass of the real line = %v", got)
	}
}

// integrateUnit integrates f over (0, 1) with a Gauss-Legendre rule.
func integrateUnit(f func(y float64) float64) float64 {
	return quad.Fixed(f, 0, 1, 2000, quad.Legendre{}, 0)
}

func TestDistIntegrateToOne(t *testing.T) {
	check := func(name string, got, tol float64) {
		t.Helper()
		if math.Abs(got-1) > tol {
			t.Errorf("%s integrates to %.15g", name, got)
		}
	}
	// Beta and Beta mixtures over y = sigmoid(s), s in [-L, 36], with the
	// trapezoid rule (exponentially accurate for these smooth, decaying
	// integrands); the lower limit reaches far enough for shapes below 1.
	overLogit := func(logf func(y float64) float64) float64 {
		const lo, hi, m = -140.0, 36.0, 40000
		h := (hi - lo) / m
		var s float64
		for i := 0; i <= m; i++ {
			v := lo + h*float64(i)
			y := Sigmoid(v)
			f := math.Exp(logf(y)) * y * Sigmoid(-v)
			if i == 0 || i == m {
				f /= 2
			}
			s += f
		}
		return s * h
	}
	for _, ab := range [][2]float64{{2, 5}, {1, 1}, {0.5, 2}, {0.3, 4}, {30, 40}, {3, 1}} {
		check("Beta", overLogit(func(y float64) float64 { return BetaLogPDF(ab[0], ab[1], y) }), 1e-9)
	}
	logits, al, be := []float64{0.3, -1, 2}, []float64{0.6, 3, 20}, []float64{2, 3, 5}
	check("BetaMixture", overLogit(func(y float64) float64 { return BetaMixtureLogPDF(logits, al, be, y) }), 1e-9)

	// Logit-normal over y in (0, 1), evaluated at z = logit(y).
	for _, p := range [][2]float64{{0, 0}, {1.5, -0.7}, {-0.8, 0.6}} {
		check("LogitNormal", integrateUnit(func(y float64) float64 {
			return math.Exp(LogitNormalLogPDF(p[0], p[1], math.Log(y)-math.Log1p(-y)))
		}), 1e-9)
	}

	// Log-normal over x in (0, 80).
	check("LogNormal", quad.Fixed(func(x float64) float64 { return math.Exp(LogNormalLogPDF(0.3, math.Log(0.5), x)) },
		0, 80, 4000, quad.Legendre{}, 0), 1e-9)

	// Truncated normals over their interval (infinite bounds cut 40σ away).
	inf := math.Inf(1)
	for _, c := range [][4]float64{
		{0.5, -0.2, -1, 2}, {0, 0, 2, 4}, {0, 0, -6, -3}, {0, 0, 9, 11}, {-1, 1, 40, 55},
		{0.3, -1, 0.2999, 0.3001}, {1, 0, 2, inf}, {1, 0.5, -inf, 0}, {-3, 0, -inf, inf},
	} {
		mu, ls, lo, hi := c[0], c[1], c[2], c[3]
		s := math.Exp(ls)
		a, b := math.Max(lo, mu-40*s), math.Min(hi, mu+40*s)
		got := quad.Fixed(func(x float64) float64 { return math.Exp(TruncNormalLogPDF(mu, ls, x, lo, hi)) },
			a, b, 2000, quad.Legendre{}, 0)
		check("TruncNormal", got, 1e-9)
	}

	// von Mises-Fisher over the sphere: Gauss-Legendre in cos θ, trapezoid
	// (spectrally accurate for periodic integrands) in φ.
	const nt, np = 400, 400
	ct, wt := make([]float64, nt), make([]float64, nt)
	quad.Legendre{}.FixedLocations(ct, wt, -1, 1)
	for _, lk := range []float64{math.Inf(-1), -8, 0, math.Log(10), math.Log(60)} {
		mu := [3]float64{0.3, -0.5, 0.8}
		var s float64
		for i, c := range ct {
			st := math.Sqrt(1 - c*c)
			for j := range np {
				sp, cp := math.Sincos(2 * math.Pi * float64(j) / np)
				x := [3]float64{st * cp, st * sp, c}
				s += wt[i] * (2 * math.Pi / np) * math.Exp(VonMisesFisherLogPDF(mu, lk, x))
			}
		}
		check("VonMisesFisher", s, 1e-9)
	}
}

// ksStat returns the one-sample Kolmogorov-Smirnov statistic of x against
// the CDF F; x is sorted in place.
func ksStat(x []float64, F func(float64) float64) float64 {
	slices.Sort(x)
	n := float64(len(x))
	var d float64
	for i, v := range x {
		f := F(v)
		d = max(d, f-float64(i)/n, float64(i+1)/n-f)
	}
	return d
}

// ksLimit is the Kolmogorov-Smirnov critical value at level 1e-4 for n
// samples; a correct sampler with a fixed seed passes with a wide margin and
// a sampler that is off by a few percent of probability mass fails.
func ksLimit(n int) float64 { return 2.15 / math.Sqrt(float64(n)) }

const ksN = 20000

func sampleKS(t *testing.T, name string, draw func() float64, F func(float64) float64) {
	t.Helper()
	x := make([]float64, ksN)
	for i := range x {
		x[i] = draw()
	}
	d := ksStat(x, F)
	t.Logf("%s: KS statistic %.4g (limit %.4g)", name, d, ksLimit(ksN))
	if d > ksLimit(ksN) {
		t.Errorf("%s: KS statistic %.4g > %.4g", name, d, ksLimit(ksN))
	}
}

func TestSampleBeta(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, ab := range [][2]float64{{2, 5}, {0.5, 0.5}, {0.1, 3}, {40, 15}, {1, 1}} {
		d := distuv.Beta{Alpha: ab[0], Beta: ab[1]}
		sampleKS(t, "Beta", func() float64 { return SampleBeta(rng, ab[0], ab[1]) }, d.CDF)
	}
	// Tiny shapes, where both gamma variates often underflow: no NaN, and
	// the mean a/(a+b) within five standard errors.
	{
		const a, b = 0.002, 0.004
		var sum float64
		for range ksN {
			y := SampleBeta(rng, a, b)
			if !(y >= 0 && y <= 1) {
				t.Fatalf("SampleBeta(%v, %v) = %v", a, b, y)
			}
			sum += y
		}
		mean, sd := a/(a+b), math.Sqrt(a*b/((a+b)*(a+b)*(a+b+1)))
		if got := sum / ksN; math.Abs(got-mean) > 5*sd/math.Sqrt(ksN) {
			t.Errorf("SampleBeta(%v, %v) mean %.4f, want %.4f", a, b, got, mean)
		}
	}
	logits, al, be := []float64{0.3, -1, 2}, []float64{0.6, 3, 20}, []float64{2, 3, 5}
	w := make([]float64, 3)
	for k := range w {
		w[k] = math.Exp(logits[k] - logSumExp(logits))
	}
	sampleKS(t, "BetaMixture", func() float64 { return SampleBetaMixture(rng, logits, al, be) }, func(y float64) float64 {
		var f float64
		for k := range w {
			f += w[k] * distuv.Beta{Alpha: al[k], Beta: be[k]}.CDF(y)
		}
		return f
	})
}

func TestSampleNormals(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	sampleKS(t, "LogitNormal", func() float64 { return SampleLogitNormal(rng, 0.4, 1.3) }, distuv.Normal{Mu: 0.4, Sigma: 1.3}.CDF)
	sampleKS(t, "LogNormal", func() float64 { return SampleLogNormal(rng, -0.4, 0.6) }, distuv.LogNormal{Mu: -0.4, Sigma: 0.6}.CDF)
	inf := math.Inf(1)
	for _, c := range [][4]float64{
		{0.5, 1, -1, 2},        // holds the mode, narrow: uniform proposal
		{0, 2, -10, 10},        // holds the mode, wide: normal proposal
		{0, 1, -0.3, 0.2},      // narrow around the mode
		{0, 1, 3, inf},         // upper tail: exponential proposal
		{1, 0.5, 5, 5.02},      // narrow far tail: uniform proposal
		{0, 1, 8, 9},           // far tail, bounded
		{0, 1, 40, 40.3},       // very far tail
		{2, 1, -inf, -5},       // lower tail
		{0, 1, -inf, inf},      // no truncation
		{-1, 0.1, -0.95, -0.2}, // starts right of the mode
	} {
		mu, s, lo, hi := c[0], c[1], c[2], c[3]
		a, b := (lo-mu)/s, (hi-mu)/s
		lz := logNormalMass(a, b)
		var out int
		sampleKS(t, "TruncNormal", func() float64 {
			x := SampleTruncNormal(rng, mu, s, lo, hi)
			if !(x >= lo && x <= hi) {
				out++
			}
			return x
		}, func(x float64) float64 {
			return math.Exp(logNormalMass(a, (x-mu)/s) - lz)
		})
		if out > 0 {
			t.Errorf("TruncNormal %v: %d samples outside the interval", c, out)
		}
	}
}

func TestSampleVonMisesFisher(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	for _, kappa := range []float64{0, 0.05, 1, 5, 50, 1e4} {
		mu := [3]float64{-0.2, 0.9, 0.4}
		m, _ := vmfUnit(mu[:])
		// An orthonormal frame built independently of the sampler's.
		e1 := [3]float64{1, 0, 0}
		d := e1[0]*m[0] + e1[1]*m[1] + e1[2]*m[2]
		for j := range e1 {
			e1[j] -= d * m[j]
		}
		n1 := math.Sqrt(e1[0]*e1[0] + e1[1]*e1[1] + e1[2]*e1[2])
		for j := range e1 {
			e1[j] /= n1
		}
		e2 := [3]float64{m[1]*e1[2] - m[2]*e1[1], m[2]*e1[0] - m[0]*e1[2], m[0]*e1[1] - m[1]*e1[0]}

		w, phi := make([]float64, ksN), make([]float64, ksN)
		var sum [3]float64
		for i := range ksN {
			x := SampleVonMisesFisher(rng, mu, kappa)
			if r := math.Sqrt(x[0]*x[0] + x[1]*x[1] + x[2]*x[2]); math.Abs(r-1) > 1e-12 {
				t.Fatalf("κ=%v: sample %v has norm %v", kappa, x, r)
			}
			for j := range sum {
				sum[j] += x[j]
			}
			w[i] = x[0]*m[0] + x[1]*m[1] + x[2]*m[2]
			phi[i] = math.Atan2(x[0]*e2[0]+x[1]*e2[1]+x[2]*e2[2], x[0]*e1[0]+x[1]*e1[1]+x[2]*e1[2])
		}
		// w = m·x has density ∝ exp(κw) on [-1, 1]; for large κ compare
		// the scaled distance κ(1-w), which is exponential.
		var dw float64
		if kappa > 100 {
			for i := range w {
				w[i] = kappa * (1 - w[i])
			}
			dw = ksStat(w, func(v float64) float64 { return -math.Expm1(-v) })
		} else {
			dw = ksStat(w, func(v float64) float64 {
				if kappa == 0 {
					return (v + 1) / 2
				}
				return math.Expm1(kappa*(v+1)) / math.Expm1(2*kappa)
			})
		}
		t.Logf("κ=%v: KS statistic of m·x %.4g, mean resultant %.4f", kappa, dw, math.Sqrt(sum[0]*sum[0]+sum[1]*sum[1]+sum[2]*sum[2])/ksN)
		if dw > ksLimit(ksN) {
			t.Errorf("κ=%v: KS statistic of m·x %.4g > %.4g", kappa, dw, ksLimit(ksN))
		}
		if kappa < 100 {
			if d := ksStat(phi, func(v float64) float64 { return (v + math.Pi) / (2 * math.Pi) }); d > ksLimit(ksN) {
				t.Errorf("κ=%v: KS statistic of the azimuth %.4g > %.4g", kappa, d, ksLimit(ksN))
			}
		}
		// Mean resultant: E[x] = (coth κ - 1/κ) m, estimated to within a
		// few standard errors (each coordinate has variance below 1/n).
		want := 0.0
		if kappa > 0 {
			want = 1/math.Tanh(kappa) - 1/kappa
		}
		for j := range sum {
			if got := sum[j] / ksN; math.Abs(got-want*m[j]) > 5/math.Sqrt(ksN) {
				t.Errorf("κ=%v: mean[%d] = %.4f, want %.4f", kappa, j, got, want*m[j])
			}
		}
		rbar := math.Sqrt(sum[0]*sum[0]+sum[1]*sum[1]+sum[2]*sum[2]) / ksN
		if math.Abs(rbar-want) > 5/math.Sqrt(ksN) {
			t.Errorf("κ=%v: mean resultant length %.4f, want %.4f", kappa, rbar, want)
		}
	}
}

// TestSamplersRejectWrongDistributions makes sure the tests above have
// power: samples from a slightly different distribution fail them.
func TestSamplersRejectWrongDistributions(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	x := make([]float64, ksN)
	for i := range x {
		x[i] = SampleBeta(rng, 2, 5.3)
	}
	if d := ksStat(x, distuv.Beta{Alpha: 2, Beta: 5}.CDF); d <= ksLimit(ksN) {
		t.Errorf("Beta(2, 5.3) passes as Beta(2, 5): KS %.4g", d)
	}
	for i := range x {
		v := SampleVonMisesFisher(rng, [3]float64{0, 0, 1}, 5.5)
		x[i] = v[2]
	}
	if d := ksStat(x, func(v float64) float64 { return math.Expm1(5*(v+1)) / math.Expm1(10) }); d <= ksLimit(ksN) {
		t.Errorf("vMF κ=5.5 passes as κ=5: KS %.4g", d)
	}
	for i := range x {
		// Plain rejection from N(0,1) on [3, Inf) would be right; an
		// exponential without the acceptance step is not.
		x[i] = 3 + rng.ExpFloat64()/3
	}
	lz := logNormalMass(3, math.Inf(1))
	if d := ksStat(x, func(v float64) float64 { return math.Exp(logNormalMass(3, v) - lz) }); d <= ksLimit(ksN) {
		t.Errorf("shifted exponential passes as a normal tail: KS %.4g", d)
	}
}

func TestDistShapes(t *testing.T) {
	tp := NewTape()
	a := tp.Param(NewParam("a", 2, 3))
	mustPanic(t, "observation count", func() { tp.BetaLogProb(a, a, []float64{0.5}) })
	mustPanic(t, "trunc interval", func() { tp.TruncNormalLogProb(a, a, make([]float64, 2), 1, 1) })
	mustPanic(t, "vmf shape", func() { tp.VonMisesFisherLogProb(a, a, NewTensor(2, 3)) })
	mustPanic(t, "sampler interval", func() { SampleTruncNormal(rand.New(rand.NewPCG(1, 1)), 0, 1, 2, 1) })
}

func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}
