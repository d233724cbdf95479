package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// Log-densities of continuous policy heads.
//
// Each op takes parameter nodes of one shape (n x K) and constant
// observations, and returns the elementwise log-density (n x K, or n x 1 for
// the mixture and von Mises-Fisher ops). Gradients flow to the parameter
// nodes only. An observation slice has either one entry per element (n*K,
// row-major) or one entry per row (n), which is then shared by the K columns
// of the row. Scale parameters enter as logarithms (logSigma, logKappa) so
// that a network output can be used without a positivity transform.
//
// Every op has a plain counterpart (BetaLogPDF, ...) that takes its
// arguments in the same order and returns bit-identical values, and the
// continuous families have samplers (SampleBeta, ...) that take the natural
// parameters (sigma, kappa).

const (
	halfLog2Pi = 0.91893853320467274178032973640561763986139747363778 // log(2π)/2
	log2Pi     = 1.83787706640934548356065947281123527972279494727556 // log(2π)
	log4Pi     = 2.53102424696929079297117257833680048658534405738218 // log(4π)
)

// obsDiv returns the divisor that maps an element index of p to an index
// into an observation slice of length nobs: 1 when there is one observation
// per element, p.Cols when there is one per row.
func obsDiv(op string, p Tensor, nobs int) int {
	switch {
	case nobs == p.Len():
		return 1
	case nobs == p.Rows:
		return max(p.Cols, 1)
	}
	panic(fmt.Sprintf("nn: %s has %d observations for a %dx%d parameter", op, nobs, p.Rows, p.Cols))
}

// dist2 records the elementwise log-density out[e] = val(p[e], q[e], o)
// where o = e/div indexes the observation. grad returns the partial
// derivatives of val with respect to its first two arguments.
func (t *Tape) dist2(op string, p, q *Node, nobs int,
	val func(p, q float64, o int) float64,
	grad func(p, q float64, o int) (dp, dq float64)) *Node {
	sameShape(op, p, q)
	div := obsDiv(op, p.V, nobs)
	out := t.newNode(p.V.Rows, p.V.Cols)
	for e := range out.V.Data {
		out.V.Data[e] = val(p.V.Data[e], q.V.Data[e], e/div)
	}
	t.record(out, func() {
		var gp, gq []float64
		if p.needsGrad {
			gp = t.grad(p)
		}
		if q.needsGrad {
			gq = t.grad(q)
		}
		for e, g := range out.G.Data {
			if g == 0 {
				continue
			}
			dp, dq := grad(p.V.Data[e], q.V.Data[e], e/div)
			if gp != nil {
				gp[e] += g * dp
			}
			if gq != nil {
				gq[e] += g * dq
			}
		}
	}, p, q)
	return out
}

// ---------------------------------------------------------------------------
// Beta

// BetaLogProb returns the elementwise log Beta(y; alpha, beta) density for
// alpha, beta (n x K, positive) and observations y in [0, 1] (n entries
// shared across the K columns, or n*K). The gradient with respect to alpha
// is log y - ψ(alpha) + ψ(alpha+beta), and with respect to beta
// log(1-y) - ψ(beta) + ψ(alpha+beta); it is infinite at y = 0 or 1, so
// clamp observations into the open interval when training on them.
func (t *Tape) BetaLogProb(alpha, beta *Node, y []float64) *Node {
	return t.dist2("BetaLogProb", alpha, beta, len(y),
		func(a, b float64, o int) float64 { return BetaLogPDF(a, b, y[o]) },
		func(a, b float64, o int) (float64, float64) { return betaLogPDFGrad(a, b, y[o]) })
}

// BetaLogPDF returns log Beta(y; alpha, beta): -Inf outside [0, 1], NaN
// unless alpha and beta are positive. It equals BetaLogProb exactly.
func BetaLogPDF(alpha, beta, y float64) float64 {
	if !(alpha > 0 && beta > 0) || math.IsNaN(y) {
		return math.NaN()
	}
	if y < 0 || y > 1 {
		return math.Inf(-1)
	}
	var lx, l1x float64
	if alpha != 1 {
		lx = (alpha - 1) * math.Log(y)
	}
	if beta != 1 {
		l1x = (beta - 1) * math.Log1p(-y)
	}
	la, _ := math.Lgamma(alpha)
	lb, _ := math.Lgamma(beta)
	lab, _ := math.Lgamma(alpha + beta)
	return lx + l1x - (la + lb - lab)
}

func betaLogPDFGrad(alpha, beta, y float64) (da, db float64) {
	if y < 0 || y > 1 {
		return 0, 0
	}
	s := mathext.Digamma(alpha + beta)
	return math.Log(y) - mathext.Digamma(alpha) + s, math.Log1p(-y) - mathext.Digamma(beta) + s
}

// BetaMixtureLogProb returns the n x 1 log-density of a mixture of K Beta
// components at y (n entries): logsumexp_k(log softmax(logits)_k +
// log Beta(y; alpha_k, beta_k)), with logits, alpha and beta n x K.
func (t *Tape) BetaMixtureLogProb(logits, alpha, beta *Node, y []float64) *Node {
	sameShape("BetaMixtureLogProb", logits, alpha)
	if len(y) != logits.V.Rows {
		panic(fmt.Sprintf("nn: BetaMixtureLogProb has %d observations for %d rows", len(y), logits.V.Rows))
	}
	return t.RowLogSumExp(t.Add(t.RowLogSoftmax(logits), t.BetaLogProb(alpha, beta, y)))
}

// BetaMixtureLogPDF is the plain form of BetaMixtureLogProb for one row; it
// returns exactly the same value.
func BetaMixtureLogPDF(logits, alpha, beta []float64, y float64) float64 {
	if len(alpha) != len(logits) || len(beta) != len(logits) {
		panic("nn: BetaMixtureLogPDF parameter lengths differ")
	}
	l := logSumExp(logits)
	var buf [16]float64
	v := buf[:0]
	if len(logits) > len(buf) {
		v = make([]float64, 0, len(logits))
	}
	for k, w := range logits {
		v = append(v, (w-l)+BetaLogPDF(alpha[k], beta[k], y))
	}
	return logSumExp(v)
}

// SampleBeta draws from Beta(a, b) with gonum's distuv.Beta. When both
// underlying gamma variates underflow to zero (shapes of order 0.01 and
// below), the draw lies within 1e-300 of 0 or 1, and SampleBeta returns 0 or
// 1 with probabilities b/(a+b) and a/(a+b): for small shapes log G(a) is
// close to -E/a with E exponential, so that is the probability that the
// second or the first variate is the larger one, also given that both
// underflowed.
func SampleBeta(rng *rand.Rand, a, b float64) float64 {
	y := distuv.Beta{Alpha: a, Beta: b, Src: rng}.Rand()
	if math.IsNaN(y) && a > 0 && b > 0 {
		if rng.Float64()*(a+b) < a {
			return 1
		}
		return 0
	}
	return y
}

// SampleBetaMixture picks a component k with probability softmax(logits)_k
// and draws from Beta(alpha[k], beta[k]).
func SampleBetaMixture(rng *rand.Rand, logits, alpha, beta []float64) float64 {
	l := logSumExp(logits)
	u := rng.Float64()
	k := len(logits) - 1
	var c float64
	for i, w := range logits {
		c += math.Exp(w - l)
		if u < c {
			k = i
			break
		}
	}
	return SampleBeta(rng, alpha[k], beta[k])
}

// ---------------------------------------------------------------------------
// Normal family

// normalLogPDF returns log N(x; mu, exp(logSigma)).
func normalLogPDF(mu, logSigma, x float64) float64 {
	u := (x - mu) / math.Exp(logSigma)
	return -0.5*u*u - logSigma - halfLog2Pi
}

// normalLogPDFGrad returns the derivatives of normalLogPDF with respect to
// mu and logSigma.
func normalLogPDFGrad(mu, logSigma, x float64) (dmu, dls float64) {
	s := math.Exp(logSigma)
	u := (x - mu) / s
	return u / s, u*u - 1
}

// LogitNormalLogProb returns the elementwise log-density of y = sigmoid(z)
// on (0, 1) with z ~ N(mu, exp(logSigma)), evaluated at the stored
// pre-sigmoid values z: log N(z; mu, sigma) + softplus(z) + softplus(-z).
// mu and logSigma are n x K; z has n or n*K entries.
func (t *Tape) LogitNormalLogProb(mu, logSigma *Node, z []float64) *Node {
	return t.dist2("LogitNormalLogProb", mu, logSigma, len(z),
		func(m, ls float64, o int) float64 { return LogitNormalLogPDF(m, ls, z[o]) },
		func(m, ls float64, o int) (float64, float64) { return normalLogPDFGrad(m, ls, z[o]) })
}

// LogitNormalLogPDF is the plain form of LogitNormalLogProb: the log-density
// of y = Sigmoid(z) with respect to y, at the logit z.
func LogitNormalLogPDF(mu, logSigma, z float64) float64 {
	return normalLogPDF(mu, logSigma, z) + Softplus(z) + Softplus(-z)
}

// SampleLogitNormal returns z ~ N(mu, sigma); the logit-normal variable is
// Sigmoid(z). Policies store z, which LogitNormalLogProb takes.
func SampleLogitNormal(rng *rand.Rand, mu, sigma float64) float64 {
	return mu + sigma*rng.NormFloat64()
}

// LogNormalLogProb returns the elementwise log-density of a log-normal
// variable x > 0 with log x ~ N(mu, exp(logSigma)); -Inf (and no gradient)
// for x <= 0. mu and logSigma are n x K; x has n or n*K entries.
func (t *Tape) LogNormalLogProb(mu, logSigma *Node, x []float64) *Node {
	return t.dist2("LogNormalLogProb", mu, logSigma, len(x),
		func(m, ls float64, o int) float64 { return LogNormalLogPDF(m, ls, x[o]) },
		func(m, ls float64, o int) (float64, float64) {
			if !(x[o] > 0) {
				return 0, 0
			}
			return normalLogPDFGrad(m, ls, math.Log(x[o]))
		})
}

// LogNormalLogPDF is the plain form of LogNormalLogProb.
func LogNormalLogPDF(mu, logSigma, x float64) float64 {
	if math.IsNaN(x) {
		return x
	}
	if x <= 0 {
		return math.Inf(-1)
	}
	lx := math.Log(x)
	return normalLogPDF(mu, logSigma, lx) - lx
}

// SampleLogNormal returns exp(mu + sigma*N(0,1)).
func SampleLogNormal(rng *rand.Rand, mu, sigma float64) float64 {
	return math.Exp(mu + sigma*rng.NormFloat64())
}

// ---------------------------------------------------------------------------
// Truncated normal

// TruncNormalLogProb returns the elementwise log-density of N(mu,
// exp(logSigma)) truncated to [lo, hi] (lo may be -Inf and hi +Inf): -Inf,
// with no gradient, outside the interval. The normaliser
// Φ((hi-mu)/σ) - Φ((lo-mu)/σ) is computed as a log-difference of tail
// probabilities, so that intervals far out in a tail keep full precision.
func (t *Tape) TruncNormalLogProb(mu, logSigma *Node, x []float64, lo, hi float64) *Node {
	if !(lo < hi) {
		panic(fmt.Sprintf("nn: TruncNormalLogProb interval [%v, %v]", lo, hi))
	}
	return t.dist2("TruncNormalLogProb", mu, logSigma, len(x),
		func(m, ls float64, o int) float64 { return TruncNormalLogPDF(m, ls, x[o], lo, hi) },
		func(m, ls float64, o int) (float64, float64) { return truncNormalLogPDFGrad(m, ls, x[o], lo, hi) })
}

// TruncNormalLogPDF is the plain form of TruncNormalLogProb.
func TruncNormalLogPDF(mu, logSigma, x, lo, hi float64) float64 {
	if math.IsNaN(x) {
		return x
	}
	if x < lo || x > hi {
		return math.Inf(-1)
	}
	s := math.Exp(logSigma)
	return normalLogPDF(mu, logSigma, x) - logNormalMass((lo-mu)/s, (hi-mu)/s)
}

func truncNormalLogPDFGrad(mu, logSigma, x, lo, hi float64) (dmu, dls float64) {
	if !(x >= lo && x <= hi) {
		return 0, 0
	}
	s := math.Exp(logSigma)
	u := (x - mu) / s
	a, b := (lo-mu)/s, (hi-mu)/s
	lz := logNormalMass(a, b)
	// ra = φ(a)/Z and rb = φ(b)/Z; a*ra and b*rb vanish at infinite bounds.
	ra := math.Exp(-0.5*a*a - halfLog2Pi - lz)
	rb := math.Exp(-0.5*b*b - halfLog2Pi - lz)
	var ara, brb float64
	if ra != 0 {
		ara = a * ra
	}
	if rb != 0 {
		brb = b * rb
	}
	return (u - (ra - rb)) / s, u*u - 1 - (ara - brb)
}

// logUpperTail returns log Q(x) = log(1 - Φ(x)) for the standard normal,
// accurate far into the upper tail where erfc underflows.
func logUpperTail(x float64) float64 {
	if x < 30 {
		return math.Log(0.5 * math.Erfc(x/math.Sqrt2))
	}
	if math.IsInf(x, 1) {
		return math.Inf(-1)
	}
	// Asymptotic series Q(x) = φ(x)/x (1 - 1/x² + 3/x⁴ - 15/x⁶ + ...),
	// whose first omitted term is below 1e-20 for x >= 30.
	r := 1 / (x * x)
	s := 1 + r*(-1+r*(3+r*(-15+r*(105+r*(-945+r*10395)))))
	return -0.5*x*x - math.Log(x) - halfLog2Pi + math.Log(s)
}

// log1mExp returns log(1 - exp(d)) for d <= 0.
func log1mExp(d float64) float64 {
	if d > -math.Ln2 {
		return math.Log(-math.Expm1(d))
	}
	return math.Log1p(-math.Exp(d))
}

// logNormalMass returns log(Φ(b) - Φ(a)) for a <= b. Intervals on one side
// of zero use the tail on that side, as a log-difference, so that no
// probability close to 1 is subtracted from another.
func logNormalMass(a, b float64) float64 {
	switch {
	case a >= 0:
		la := logUpperTail(a)
		return la + log1mExp(logUpperTail(b)-la)
	case b <= 0:
		lb := logUpperTail(-b)
		return lb + log1mExp(logUpperTail(-a)-lb)
	}
	// a < 0 < b: the two erf terms have opposite signs and add up.
	return math.Log(0.5 * (math.Erf(b/math.Sqrt2) - math.Erf(a/math.Sqrt2)))
}

// SampleTruncNormal draws from N(mu, sigma) truncated to [lo, hi] (either
// bound may be infinite) with Robert's (1995) rejection samplers: normal or
// uniform proposals when the interval holds the mode, uniform or
// translated-exponential proposals in a tail. Every proposal is exact, so the
// sampler is correct arbitrarily far into the tails, and its acceptance rate
// stays bounded away from zero.
func SampleTruncNormal(rng *rand.Rand, mu, sigma, lo, hi float64) float64 {
	if !(sigma > 0) || !(lo < hi) {
		panic(fmt.Sprintf("nn: SampleTruncNormal sigma %v interval [%v, %v]", sigma, lo, hi))
	}
	a, b := (lo-mu)/sigma, (hi-mu)/sigma
	var z float64
	switch {
	case a >= 0:
		z = truncStdTail(rng, a, b)
	case b <= 0:
		z = -truncStdTail(rng, -b, -a)
	case b-a >= math.Sqrt(2*math.Pi):
		// The interval holds the mode and is wide: draw normals until one
		// falls inside (acceptance above 0.49).
		for {
			z = rng.NormFloat64()
			if z >= a && z <= b {
				break
			}
		}
	default:
		// Narrow interval around the mode: uniform proposal.
		for {
			z = a + (b-a)*rng.Float64()
			if rng.Float64() <= math.Exp(-0.5*z*z) {
				break
			}
		}
	}
	return min(max(mu+sigma*z, lo), hi)
}

// truncStdTail draws a standard normal truncated to [a, b] with 0 <= a < b.
func truncStdTail(rng *rand.Rand, a, b float64) float64 {
	sq := math.Sqrt(a*a + 4)
	lambda := (a + sq) / 2
	// Robert's criterion: a uniform proposal beats the exponential one when
	// the interval is short compared with the exponential's scale.
	if b-a < 2/(a+sq)*math.Exp((a*a-a*sq)/4+0.5) {
		for {
			z := a + (b-a)*rng.Float64()
			if rng.Float64() <= math.Exp(0.5*(a*a-z*z)) {
				return z
			}
		}
	}
	for {
		z := a + rng.ExpFloat64()/lambda
		d := z - lambda
		if z <= b && rng.Float64() <= math.Exp(-0.5*d*d) {
			return z
		}
	}
}

// ---------------------------------------------------------------------------
// von Mises-Fisher on S²

// VonMisesFisherLogProb returns the n x 1 log-density, with respect to the
// surface area of the unit sphere S², of the von Mises-Fisher distribution
// with mean direction mu/|mu| (mu n x 3, not necessarily unit; the gradient
// passes through the normalisation) and concentration kappa =
// exp(logKappa) (n x 1), at the unit vectors x (n x 3):
//
//	log f = log κ - log 2π - log(1 - e^{-2κ}) - κ|m - x|²/2,
//
// which equals log κ - log 2π - κ - log(-expm1(-2κ)) + κ m·x for unit x and
// tends to the uniform density -log 4π as κ -> 0. mu must not be zero.
func (t *Tape) VonMisesFisherLogProb(mu *Node, logKappa *Node, x Tensor) *Node {
	n := mu.V.Rows
	if mu.V.Cols != 3 || logKappa.V.Rows != n || logKappa.V.Cols != 1 || x.Rows != n || x.Cols != 3 {
		panic(fmt.Sprintf("nn: VonMisesFisherLogProb shapes mu %dx%d logKappa %dx%d x %dx%d",
			mu.V.Rows, mu.V.Cols, logKappa.V.Rows, logKappa.V.Cols, x.Rows, x.Cols))
	}
	out := t.newNode(n, 1)
	for i := range n {
		out.V.Data[i] = vmfLogPDF(mu.V.Data[3*i:3*i+3], logKappa.V.Data[i], x.Data[3*i:3*i+3])
	}
	t.record(out, func() {
		var gm, gk []float64
		if mu.needsGrad {
			gm = t.grad(mu)
		}
		if logKappa.needsGrad {
			gk = t.grad(logKappa)
		}
		for i, g := range out.G.Data {
			if g == 0 {
				continue
			}
			var dmu [3]float64
			dk := vmfLogPDFGrad(mu.V.Data[3*i:3*i+3], logKappa.V.Data[i], x.Data[3*i:3*i+3], &dmu)
			if gm != nil {
				for j, d := range dmu {
					gm[3*i+j] += g * d
				}
			}
			if gk != nil {
				gk[i] += g * dk
			}
		}
	}, mu, logKappa)
	return out
}

// VonMisesFisherLogPDF is the plain form of VonMisesFisherLogProb for one
// mean vector mu (not necessarily unit) and unit vector x.
func VonMisesFisherLogPDF(mu [3]float64, logKappa float64, x [3]float64) float64 {
	return vmfLogPDF(mu[:], logKappa, x[:])
}

// vmfLogC returns the log normaliser log(κ / (2π (1 - e^{-2κ}))).
func vmfLogC(logKappa, k float64) float64 {
	if k == 0 {
		return -log4Pi
	}
	return logKappa - log2Pi - math.Log(-math.Expm1(-2*k))
}

// vmfUnit returns mu/|mu| and |mu|.
func vmfUnit(mu []float64) (m [3]float64, r float64) {
	r = math.Sqrt(mu[0]*mu[0] + mu[1]*mu[1] + mu[2]*mu[2])
	return [3]float64{mu[0] / r, mu[1] / r, mu[2] / r}, r
}

func vmfLogPDF(mu []float64, logKappa float64, x []float64) float64 {
	m, _ := vmfUnit(mu)
	d0, d1, d2 := m[0]-x[0], m[1]-x[1], m[2]-x[2]
	k := math.Exp(logKappa)
	return vmfLogC(logKappa, k) - 0.5*k*(d0*d0+d1*d1+d2*d2)
}

// vmfLogPDFGrad stores d log f / d mu in dmu and returns d log f / d logKappa.
func vmfLogPDFGrad(mu []float64, logKappa float64, x []float64, dmu *[3]float64) float64 {
	m, r := vmfUnit(mu)
	k := math.Exp(logKappa)
	// g = d log f / d m = κ (x - m); project out the radial part and divide
	// by |mu| for the gradient through the normalisation.
	var g [3]float64
	var mg, d2 float64
	for j := range g {
		g[j] = k * (x[j] - m[j])
		mg += m[j] * g[j]
		d2 += (m[j] - x[j]) * (m[j] - x[j])
	}
	for j := range g {
		dmu[j] = (g[j] - mg*m[j]) / r
	}
	// d log C / d log κ = 1 - 2κ/(e^{2κ} - 1), which is 0 at κ = 0.
	dc := 0.0
	if k > 0 {
		dc = 1 - 2*k/math.Expm1(2*k)
	}
	return dc - 0.5*k*d2
}

// SampleVonMisesFisher draws a unit vector from the von Mises-Fisher
// distribution on S² with mean direction mu/|mu| and concentration
// kappa >= 0, by Wood's (1994) algorithm, which for S² needs no rejection:
// the cosine w = m·x is 1 + log(u + (1-u)e^{-2κ})/κ for uniform u, and the
// direction orthogonal to m is uniform.
func SampleVonMisesFisher(rng *rand.Rand, mu [3]float64, kappa float64) [3]float64 {
	if !(kappa >= 0) {
		panic(fmt.Sprintf("nn: SampleVonMisesFisher kappa %v", kappa))
	}
	m, r := vmfUnit(mu[:])
	if !(r > 0) || math.IsInf(r, 0) {
		panic(fmt.Sprintf("nn: SampleVonMisesFisher mean direction %v", mu))
	}
	u := 1 - rng.Float64() // (0, 1]
	// omw = 1 - w, computed without cancellation for small and large κ.
	var omw float64
	if kappa == 0 {
		omw = 2 * (1 - u)
	} else {
		omw = -math.Log1p((1-u)*math.Expm1(-2*kappa)) / kappa
	}
	omw = min(max(omw, 0), 2)
	w := 1 - omw
	s := math.Sqrt(omw * (2 - omw))
	e1, e2 := orthonormalBasis(m)
	sin, cos := math.Sincos(2 * math.Pi * rng.Float64())
	var x [3]float64
	for j := range x {
		x[j] = w*m[j] + s*(cos*e1[j]+sin*e2[j])
	}
	return x
}

// orthonormalBasis returns two unit vectors that complete the unit vector n
// to an orthonormal basis (Duff et al. 2017).
func orthonormalBasis(n [3]float64) (b1, b2 [3]float64) {
	sign := math.Copysign(1, n[2])
	a := -1 / (sign + n[2])
	b := n[0] * n[1] * a
	b1 = [3]float64{1 + sign*n[0]*n[0]*a, sign * b, -sign * n[0]}
	b2 = [3]float64{b, sign + n[1]*n[1]*a, -n[1]}
	return b1, b2
}
