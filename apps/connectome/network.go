package connectome

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Edge is one synapse. Weight units depend on the synapse model (mV for
// CurrentExp and Delta, nS for Conductance); its sign is the presynaptic
// neuron's type (Dale's law): positive excitatory, negative inhibitory.
// Delay is in ms.
type Edge struct {
	Pre, Post int
	Weight    float64
	Delay     float64
}

// Network is a set of N neurons and the synapses among them. Excitatory[i]
// is neuron i's type; every outgoing weight of i must have its sign.
type Network struct {
	N          int
	Excitatory []bool
	Edges      []Edge
}

// ErrNetwork is wrapped by every network validation error.
var ErrNetwork = errors.New("invalid network")

// Validate checks ids, finite weights, non-negative finite delays and Dale's
// law. Zero weights are allowed.
func (n *Network) Validate() error {
	if n.N <= 0 {
		return fmt.Errorf("%w: %d neurons", ErrNetwork, n.N)
	}
	if len(n.Excitatory) != n.N {
		return fmt.Errorf("%w: %d neuron types for %d neurons", ErrNetwork, len(n.Excitatory), n.N)
	}
	for k, e := range n.Edges {
		if err := n.checkEdge(e); err != nil {
			return fmt.Errorf("edge %d (%d->%d): %w", k, e.Pre, e.Post, err)
		}
	}
	return nil
}

func (n *Network) checkEdge(e Edge) error {
	switch {
	case e.Pre < 0 || e.Pre >= n.N:
		return fmt.Errorf("%w: unknown presynaptic neuron %d (network has %d)", ErrNetwork, e.Pre, n.N)
	case e.Post < 0 || e.Post >= n.N:
		return fmt.Errorf("%w: unknown postsynaptic neuron %d (network has %d)", ErrNetwork, e.Post, n.N)
	case math.IsNaN(e.Weight) || math.IsInf(e.Weight, 0):
		return fmt.Errorf("%w: weight %g is not finite", ErrNetwork, e.Weight)
	case math.IsNaN(e.Delay) || math.IsInf(e.Delay, 0) || e.Delay < 0:
		return fmt.Errorf("%w: delay %g ms must be finite and >= 0", ErrNetwork, e.Delay)
	case e.Weight > 0 && !n.Excitatory[e.Pre], e.Weight < 0 && n.Excitatory[e.Pre]:
		return fmt.Errorf("%w: weight %g breaks Dale's law for neuron %d", ErrNetwork, e.Weight, e.Pre)
	}
	return nil
}

// NewNetworkFromEdges builds a network of n neurons from edges, taking each
// neuron's type from the sign of its outgoing weights (neurons without
// non-zero outgoing weights are excitatory). If n <= 0 the size is one more
// than the largest id. Mixed signs out of one neuron are an error.
func NewNetworkFromEdges(n int, edges []Edge) (*Network, error) {
	if n <= 0 {
		for _, e := range edges {
			n = max(n, e.Pre+1, e.Post+1)
		}
	}
	net := &Network{N: n, Excitatory: make([]bool, n), Edges: edges}
	sign := make([]int8, n)
	for k, e := range edges {
		if e.Pre < 0 || e.Pre >= n {
			return nil, fmt.Errorf("edge %d: %w: unknown presynaptic neuron %d (network has %d)", k, ErrNetwork, e.Pre, n)
		}
		s := int8(0)
		if e.Weight > 0 {
			s = 1
		} else if e.Weight < 0 {
			s = -1
		}
		if s != 0 && sign[e.Pre] != 0 && s != sign[e.Pre] {
			return nil, fmt.Errorf("edge %d: %w: neuron %d has excitatory and inhibitory outputs (Dale's law)", k, ErrNetwork, e.Pre)
		}
		if s != 0 {
			sign[e.Pre] = s
		}
	}
	for i := range net.Excitatory {
		net.Excitatory[i] = sign[i] >= 0
	}
	if err := net.Validate(); err != nil {
		return nil, err
	}
	return net, nil
}

// RandomSpec describes a random excitatory-inhibitory network: neurons
// 0..NE-1 are excitatory, NE..NE+NI-1 inhibitory. With InDegreeE > 0 every
// neuron gets exactly InDegreeE excitatory and InDegreeI inhibitory inputs
// (distinct, no autapses); otherwise each ordered pair i != j is connected
// with probability P.
type RandomSpec struct {
	NE, NI               int
	P                    float64
	InDegreeE, InDegreeI int
	WeightE, WeightI     float64 // WeightE > 0, WeightI < 0 (Dale's law)
	Delay                float64 // ms
}

// RandomNetwork draws a network from spec. Edges are ordered by presynaptic
// then postsynaptic neuron.
func RandomNetwork(spec RandomSpec, rng *rand.Rand) (*Network, error) {
	n := spec.NE + spec.NI
	if spec.NE < 0 || spec.NI < 0 || n == 0 {
		return nil, fmt.Errorf("%w: %d excitatory and %d inhibitory neurons", ErrNetwork, spec.NE, spec.NI)
	}
	if spec.WeightE < 0 || spec.WeightI > 0 {
		return nil, fmt.Errorf("%w: weights %g, %g break Dale's law", ErrNetwork, spec.WeightE, spec.WeightI)
	}
	net := &Network{N: n, Excitatory: make([]bool, n)}
	for i := range spec.NE {
		net.Excitatory[i] = true
	}
	w := func(pre int) float64 {
		if pre < spec.NE {
			return spec.WeightE
		}
		return spec.WeightI
	}
	if spec.InDegreeE > 0 || spec.InDegreeI > 0 {
		if spec.InDegreeE > spec.NE-1 || spec.InDegreeI > spec.NI {
			return nil, fmt.Errorf("%w: in-degree %d/%d exceeds population %d/%d", ErrNetwork, spec.InDegreeE, spec.InDegreeI, spec.NE, spec.NI)
		}
		for post := range n {
			for _, pre := range sampleDistinct(rng, 0, spec.NE, spec.InDegreeE, post) {
				net.Edges = append(net.Edges, Edge{pre, post, w(pre), spec.Delay})
			}
			for _, pre := range sampleDistinct(rng, spec.NE, n, spec.InDegreeI, post) {
				net.Edges = append(net.Edges, Edge{pre, post, w(pre), spec.Delay})
			}
		}
		sort.Slice(net.Edges, func(a, b int) bool {
			ea, eb := net.Edges[a], net.Edges[b]
			return ea.Pre < eb.Pre || ea.Pre == eb.Pre && ea.Post < eb.Post
		})
	} else {
		if !(spec.P >= 0 && spec.P <= 1) {
			return nil, fmt.Errorf("%w: connection probability %g", ErrNetwork, spec.P)
		}
		if spec.P > 0 {
			// Geometric skipping over the n*n pairs in row-major order.
			lq := math.Log1p(-spec.P)
			k := -1
			for {
				if spec.P < 1 {
					k += 1 + int(math.Floor(math.Log(1-rng.Float64())/lq))
				} else {
					k++
				}
				if k < 0 || k >= n*n {
					break
				}
				pre, post := k/n, k%n
				if pre != post {
					net.Edges = append(net.Edges, Edge{pre, post, w(pre), spec.Delay})
				}
			}
		}
	}
	return net, net.Validate()
}

// sampleDistinct draws k distinct integers from [lo, hi) excluding skip
// (Floyd's algorithm), in increasing order.
func sampleDistinct(rng *rand.Rand, lo, hi, k, skip int) []int {
	m := hi - lo
	excl := skip >= lo && skip < hi
	if excl {
		m--
	}
	chosen := make(map[int]bool, k)
	out := make([]int, 0, k)
	for j := m - k; j < m; j++ {
		t := rng.IntN(j + 1)
		if chosen[t] {
			t = j
		}
		chosen[t] = true
		out = append(out, t)
	}
	sort.Ints(out)
	for i, t := range out {
		t += lo
		if excl && t >= skip {
			t++
		}
		out[i] = t
	}
	return out
}
