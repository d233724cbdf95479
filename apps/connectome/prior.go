package connectome

import "math"

// Prior is a prior over connectomes of fixed size and neuron types:
// independent Bernoulli(P) edges (no autapses), Dale's law (sign(w_ij) is
// neuron i's type; violations have prior zero), an optional cap on the
// in-degree, and log-normal magnitudes |w| ~ LogNormal(MuE, SigmaE) for
// excitatory and (MuI, SigmaI) for inhibitory presynaptic neurons (|w| in
// the weight units, mV for CurrentExp).
type Prior struct {
	P             float64
	MaxInDegree   int // 0: no cap
	MuE, SigmaE   float64
	MuI, SigmaI   float64
	AllowAutapses bool
}

// LogEdge is the change in log prior from adding the edge i -> j with
// weight w to a network (types from excitatory): log(P/(1-P)) plus the
// log-normal log density of |w|; -Inf for a Dale violation, a zero weight or
// an autapse when not allowed.
func (pr Prior) LogEdge(i, j int, w float64, excitatory []bool) float64 {
	if (i == j && !pr.AllowAutapses) || w == 0 || (w > 0) != excitatory[i] {
		return math.Inf(-1)
	}
	mu, sd := pr.MuE, pr.SigmaE
	if !excitatory[i] {
		mu, sd = pr.MuI, pr.SigmaI
	}
	a := math.Abs(w)
	z := (math.Log(a) - mu) / sd
	return math.Log(pr.P/(1-pr.P)) - 0.5*z*z - math.Log(a*sd*math.Sqrt(2*math.Pi))
}

// LogPrior is the log prior of the network up to the constant
// N(N-1) log(1-P): the sum of LogEdge over its edges, -Inf if an in-degree
// exceeds MaxInDegree or a pair is connected twice.
func (pr Prior) LogPrior(net *Network) float64 {
	deg := make([]int, net.N)
	seen := make(map[[2]int]bool, len(net.Edges))
	var lp float64
	for _, e := range net.Edges {
		k := [2]int{e.Pre, e.Post}
		if seen[k] {
			return math.Inf(-1)
		}
		seen[k] = true
		deg[e.Post]++
		if pr.MaxInDegree > 0 && deg[e.Post] > pr.MaxInDegree {
			return math.Inf(-1)
		}
		lp += pr.LogEdge(e.Pre, e.Post, e.Weight, net.Excitatory)
	}
	return lp
}
