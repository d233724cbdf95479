package gfn

import (
	"math"
	"slices"

	"github.com/neurogfn/neurogfn/gfn/nn"
)

// encCache remembers the encoder outputs h(s) computed on the training tape
// while sampling, keyed by state, for one iteration (the parameters do not
// change in between). When every state of the loss batch was seen while
// sampling, the loss reuses those rows instead of running the encoder
// again; gradients flow back through the sampling-time nodes.
type encCache struct {
	seen   map[uint64][]int
	keys   []float64
	keyOff []int
	nodes  []*nn.Node // the unique-row encoder output of each sampling step
	node   []int      // per entry: index into nodes
	row    []int      // per entry: row in that node
	base   []int      // per node: first row in the concatenation
	all    *nn.Node   // concatenation of nodes, built on first use
	idx    []int
}

func (c *encCache) reset() {
	if c.seen == nil {
		c.seen = map[uint64][]int{}
	}
	clear(c.seen)
	c.keys, c.keyOff = c.keys[:0], append(c.keyOff[:0], 0)
	c.nodes, c.node, c.row, c.base = c.nodes[:0], c.node[:0], c.row[:0], c.base[:0]
	c.all = nil
}

// keyHash is the FNV-1a hash of the bits of x.
func keyHash(x []float64) uint64 {
	h := uint64(14695981039346656037)
	for _, v := range x {
		h ^= math.Float64bits(v)
		h *= 1099511628211
	}
	return h
}

func (c *encCache) find(key []float64) int {
	for _, e := range c.seen[keyHash(key)] {
		if slices.Equal(c.keys[c.keyOff[e]:c.keyOff[e+1]], key) {
			return e
		}
	}
	return -1
}

// add records the unique rows of b, whose encoder output is hu.
func (c *encCache) add(b *batch, hu *nn.Node) {
	if c.all != nil {
		panic("gfn: encoder cache extended after use")
	}
	n := len(c.nodes)
	c.nodes = append(c.nodes, hu)
	for u := range b.nu {
		key := b.keys[b.keyOff[u]:b.keyOff[u+1]]
		if c.find(key) >= 0 {
			continue
		}
		e := len(c.node)
		c.keys = append(c.keys, key...)
		c.keyOff = append(c.keyOff, len(c.keys))
		c.node = append(c.node, n)
		c.row = append(c.row, u)
		h := keyHash(key)
		c.seen[h] = append(c.seen[h], e)
	}
}

// lookup returns h(s) for every row of b from the cache, or nil if some
// state is missing.
func (c *encCache) lookup(t *nn.Tape, b *batch) *nn.Node {
	if len(c.nodes) == 0 {
		return nil
	}
	c.idx = c.idx[:0]
	if c.all == nil {
		c.base = c.base[:0]
		rows := 0
		for _, nd := range c.nodes {
			c.base = append(c.base, rows)
			rows += nd.V.Rows
		}
	}
	for u := range b.nu {
		e := c.find(b.keys[b.keyOff[u]:b.keyOff[u+1]])
		if e < 0 {
			return nil
		}
		c.idx = append(c.idx, c.base[c.node[e]]+c.row[e])
	}
	if c.all == nil {
		c.all = c.nodes[0]
		for _, nd := range c.nodes[1:] {
			c.all = t.ConcatRows(c.all, nd)
		}
	}
	// Rows of b map to unique rows, which map to cache rows.
	rows := make([]int, b.n)
	for r, u := range b.uniq {
		rows[r] = c.idx[u]
	}
	return t.GatherRows(c.all, rows)
}
