package gfn

import (
	"math"
	"math/rand/v2"
	"sort"
)

// ReplayBuffer keeps terminal objects with their log-rewards. Trajectories
// are not stored: the trainer regenerates them with the backward policy,
// which stays valid as a learned backward policy changes and costs no
// reward evaluations (rewards may be simulations). When full, the oldest
// object is replaced.
type ReplayBuffer[S any] struct {
	capacity int
	items    []replayItem[S]
	next     int
	cum      []float64
}

type replayItem[S any] struct {
	x    S
	logR float64
}

// NewReplayBuffer returns an empty buffer holding at most capacity objects.
func NewReplayBuffer[S any](capacity int) *ReplayBuffer[S] {
	if capacity < 1 {
		panic("gfn: replay capacity must be positive")
	}
	return &ReplayBuffer[S]{capacity: capacity}
}

// Len is the number of stored objects.
func (r *ReplayBuffer[S]) Len() int { return len(r.items) }

// Add stores x with log-reward logR.
func (r *ReplayBuffer[S]) Add(x S, logR float64) {
	it := replayItem[S]{x: x, logR: logR}
	if len(r.items) < r.capacity {
		r.items = append(r.items, it)
		return
	}
	r.items[r.next] = it
	r.next = (r.next + 1) % r.capacity
}

// At returns stored object i and its log-reward.
func (r *ReplayBuffer[S]) At(i int) (S, float64) { return r.items[i].x, r.items[i].logR }

// Draw returns n indices drawn with replacement, uniformly or, when
// prioritized, with probability proportional to the reward.
func (r *ReplayBuffer[S]) Draw(rng *rand.Rand, n int, prioritized bool) []int {
	out := make([]int, n)
	if !prioritized {
		for i := range out {
			out[i] = rng.IntN(len(r.items))
		}
		return out
	}
	m := math.Inf(-1)
	for _, it := range r.items {
		m = max(m, it.logR)
	}
	r.cum = r.cum[:0]
	var s float64
	for _, it := range r.items {
		s += math.Exp(it.logR - m)
		r.cum = append(r.cum, s)
	}
	for i := range out {
		u := rng.Float64() * s
		out[i] = min(sort.SearchFloat64s(r.cum, u), len(r.items)-1)
	}
	return out
}
