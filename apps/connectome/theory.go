package connectome

import (
	"math"

	"gonum.org/v1/gonum/integrate/quad"
)

// RateConstant is the firing rate (Hz) of a LIF neuron driven to the
// asymptotic potential vInf (mV): 1/(tRef + tauM ln((vInf-vReset)/(vInf-vThresh)))
// for vInf > vThresh, and 0 otherwise. Times in ms.
func RateConstant(vInf, vThresh, vReset, tauM, tRef float64) float64 {
	if vInf <= vThresh {
		return 0
	}
	return 1000 / (tRef + tauM*math.Log((vInf-vReset)/(vInf-vThresh)))
}

// EPSPPeak returns the time (ms) and height (mV) of the peak of PSP for a
// weight w through an exponential synapse (tauS != tauM):
// t* = tauM tauS/(tauM-tauS) ln(tauM/tauS).
func EPSPPeak(w, tauM, tauS float64) (t, v float64) {
	if tauM == tauS {
		t = tauM
	} else {
		t = tauM * tauS * math.Log1p((tauM-tauS)/tauS) / (tauM - tauS)
	}
	return t, PSP(t, w, tauM, tauS)
}

// erfcx is the scaled complementary error function exp(x^2) erfc(x).
func erfcx(x float64) float64 {
	if x < 25 {
		return math.Exp(x*x) * math.Erfc(x)
	}
	// Asymptotic series; relative error below 1e-12 for x >= 25.
	x2 := 1 / (2 * x * x)
	return (1 - x2 + 3*x2*x2 - 15*x2*x2*x2) / (x * math.SqrtPi)
}

// Siegert is the stationary firing rate (Hz) of a LIF neuron with white-noise
// input of mean mu and amplitude sigma (mV, Brunel's convention
// tau dv = (mu - v) dt + sigma sqrt(tau) dW):
// 1/nu = tRef + tauM sqrt(pi) int_{(vReset-mu)/sigma}^{(vThresh-mu)/sigma} e^{u^2}(1+erf u) du.
// The integrand is evaluated as erfcx(-u) to avoid overflow. Times in ms.
func Siegert(mu, sigma, vThresh, vReset, tauM, tRef float64) float64 {
	if sigma <= 0 {
		return RateConstant(mu, vThresh, vReset, tauM, tRef)
	}
	a, b := (vReset-mu)/sigma, (vThresh-mu)/sigma
	f := func(u float64) float64 { return erfcx(-u) }
	var integral float64
	// Split so that each panel is smooth on a scale the rule resolves.
	const panels = 64
	for k := range panels {
		lo := a + (b-a)*float64(k)/panels
		hi := a + (b-a)*float64(k+1)/panels
		integral += quad.Fixed(f, lo, hi, 20, quad.Legendre{}, 0)
	}
	return 1000 / (tRef + tauM*math.SqrtPi*integral)
}

// BrunelMeanField returns the self-consistent rate (Hz) of the Brunel (2000)
// model in the diffusion approximation: mu = tau J (cE nuExt + (cE - g cI) nu),
// sigma^2 = tau J^2 (cE nuExt + (cE + g^2 cI) nu), nu = Siegert(mu, sigma).
// nuExt is the external rate per source in Hz; vThresh, vReset, tau, tRef as
// in Params. It solves by bisection on [0, 1/tRef].
func BrunelMeanField(p Params, j, g float64, cE, cI int, nuExt float64) float64 {
	tau := p.TauM / 1000 // s
	ce, ci := float64(cE), float64(cI)
	gap := func(nu float64) float64 {
		mu := tau * j * (ce*nuExt + (ce-g*ci)*nu)
		s2 := tau * j * j * (ce*nuExt + (ce+g*g*ci)*nu)
		return Siegert(mu, math.Sqrt(s2), p.VThresh, p.VReset, p.TauM, p.TRef) - nu
	}
	lo, hi := 0.0, 1000/p.TRef
	for range 100 {
		mid := (lo + hi) / 2
		if gap(mid) > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
