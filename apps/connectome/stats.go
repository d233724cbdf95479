package connectome

import (
	"math"
	"sort"
)

// Stats summarise spike trains over a window.
type Stats struct {
	Rate float64 // mean rate per neuron, Hz
	CV   float64 // mean ISI coefficient of variation over neurons with >= 3 spikes in the window
	// Sync is the variance of the population rate (1 ms bins) divided by
	// the mean over neurons of the variance of single-neuron counts
	// (Golomb's chi^2): near 1/sqrt(N)-ish for asynchronous states and
	// approaching 1 for full synchrony.
	Sync float64
}

// Summarize computes Stats for spikes of n neurons in [from, to) seconds.
func Summarize(spikes []Spike, n int, from, to float64) Stats {
	var st Stats
	if n <= 0 || to <= from {
		return st
	}
	per := make([][]float64, n)
	nb := int(math.Round((to - from) / 0.001))
	if nb < 1 {
		nb = 1
	}
	pop := make([]float64, nb)
	count := 0
	for _, s := range spikes {
		if s.T < from || s.T >= to || s.Neuron < 0 || s.Neuron >= n {
			continue
		}
		per[s.Neuron] = append(per[s.Neuron], s.T)
		b := min(int((s.T-from)/0.001), nb-1)
		pop[b]++
		count++
	}
	st.Rate = float64(count) / float64(n) / (to - from)
	var cvs, ncv float64
	var varSingle float64
	for _, ts := range per {
		sort.Float64s(ts)
		if len(ts) >= 3 {
			var m, m2 float64
			for k := 1; k < len(ts); k++ {
				d := ts[k] - ts[k-1]
				m += d
				m2 += d * d
			}
			k := float64(len(ts) - 1)
			m /= k
			sd := math.Sqrt(math.Max(m2/k-m*m, 0))
			cvs += sd / m
			ncv++
		}
		// Variance of binned counts of a single neuron.
		c := float64(len(ts)) / float64(nb)
		varSingle += c - c*c // binary-ish bins; exact when at most one spike per bin
	}
	if ncv > 0 {
		st.CV = cvs / ncv
	}
	var pm, pv float64
	for _, x := range pop {
		pm += x
	}
	pm /= float64(nb)
	for _, x := range pop {
		pv += (x - pm) * (x - pm)
	}
	pv /= float64(nb)
	if varSingle > 0 {
		st.Sync = math.Sqrt(pv / float64(n) / (varSingle / float64(n)) / float64(n))
	}
	return st
}
