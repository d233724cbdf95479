package connectome

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Table names of the Parquet files (footer key "table"), documented in
// docs/schema.md.
const (
	TableSpikes  = "spikes"
	TableNetwork = "network"
)

// SpikeRow is one row of the Parquet spike table: a spike of a neuron at a
// time in seconds. Rows are sorted by time (ties by neuron).
type SpikeRow struct {
	Neuron int32   `parquet:"neuron"`
	TimeS  float64 `parquet:"time_s"`
}

// EdgeRow is one row of the Parquet network table: a synapse from Pre to
// Post with a signed weight (mV for CurrentExp and Delta, nS for
// Conductance) and a delay in ms.
type EdgeRow struct {
	Pre     int32   `parquet:"pre"`
	Post    int32   `parquet:"post"`
	Weight  float64 `parquet:"weight"`
	DelayMs float64 `parquet:"delay_ms"`
}

// SpikeRows converts spikes to table rows.
func SpikeRows(spikes []Spike) []SpikeRow {
	out := make([]SpikeRow, len(spikes))
	for k, s := range spikes {
		out[k] = SpikeRow{int32(s.Neuron), s.T}
	}
	return out
}

// EdgeRows converts the network's edges to table rows, in edge order.
func EdgeRows(net *Network) []EdgeRow {
	out := make([]EdgeRow, len(net.Edges))
	for k, e := range net.Edges {
		out[k] = EdgeRow{int32(e.Pre), int32(e.Post), e.Weight, e.Delay}
	}
	return out
}

// FooterNeurons is the footer key of both Parquet tables that holds the
// network size, so that neurons without synapses or spikes are kept.
const FooterNeurons = "neurons"

// IsParquet reports whether path names a Parquet file (extension .parquet).
func IsParquet(path string) bool { return strings.EqualFold(filepath.Ext(path), ".parquet") }

// ReadSpikesFile reads a spike table from path: Parquet (.parquet, columns
// neuron and time_s) or TSV/CSV (columns neuron and time). See ReadSpikes.
func ReadSpikesFile(path string, n int) ([]Spike, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if IsParquet(path) {
		return ReadSpikesParquet(f, path, n)
	}
	return ReadSpikes(f, path, n)
}

// ReadNetworkFile reads an edge table from path: Parquet (.parquet) or
// TSV/CSV. See ReadNetwork.
func ReadNetworkFile(path string, n int) (*Network, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if IsParquet(path) {
		return ReadNetworkParquet(f, path, n)
	}
	return ReadNetwork(f, path, n)
}

// pqTable is a flat Parquet file opened for reading whole columns.
type pqTable struct {
	name string
	f    *parquet.File
}

func openParquet(f *os.File, name string) (*pqTable, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, &LineError{File: name, Row: true, Err: fmt.Errorf("%w: not a readable Parquet file: %v", ErrFormat, err)}
	}
	return &pqTable{name, pf}, nil
}

// recoverParquet turns a panic of the Parquet decoder on a corrupt file
// into an error.
func recoverParquet(name string, err *error) {
	if r := recover(); r != nil {
		*err = &LineError{File: name, Row: true, Err: fmt.Errorf("%w: corrupt Parquet file: %v", ErrFormat, r)}
	}
}

func (t *pqTable) errf(row int, format string, a ...any) error {
	return &LineError{File: t.name, Line: row, Row: true, Err: fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, a...))}
}

func (t *pqTable) columns() string {
	var s []string
	for _, p := range t.f.Schema().Columns() {
		s = append(s, strings.Join(p, "."))
	}
	return strings.Join(s, ", ")
}

// column reads the first of the alternative top-level columns alts that the
// file has, as float64 values (integers convert exactly up to 2^53), and
// reports whether the values are integers.
func (t *pqTable) column(alts ...string) ([]float64, bool, error) {
	var leaf parquet.LeafColumn
	var ok bool
	for _, a := range alts {
		if leaf, ok = t.f.Schema().Lookup(a); ok {
			break
		}
	}
	if !ok {
		return nil, false, t.errf(0, "no column %q (columns: %s)", alts[0], t.columns())
	}
	col := strings.Join(leaf.Path, ".")
	if leaf.MaxRepetitionLevel > 0 {
		return nil, false, t.errf(0, "column %s is a list, want one number per row", col)
	}
	kind := leaf.Node.Type().Kind()
	switch kind {
	case parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
	default:
		return nil, false, t.errf(0, "column %s has type %s, want a number", col, leaf.Node.Type())
	}
	out := make([]float64, 0, min(max(t.f.NumRows(), 0), 1<<20))
	buf := make([]parquet.Value, 4096)
	for _, rg := range t.f.RowGroups() {
		pages := rg.ColumnChunks()[leaf.ColumnIndex].Pages()
		for {
			p, err := pages.ReadPage()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				pages.Close()
				return nil, false, t.errf(len(out)+1, "column %s: %v", col, err)
			}
			vr := p.Values()
			for {
				k, err := vr.ReadValues(buf)
				for _, v := range buf[:k] {
					if v.IsNull() {
						pages.Close()
						parquet.Release(p)
						return nil, false, t.errf(len(out)+1, "%s is null", col)
					}
					switch v.Kind() {
					case parquet.Int32:
						out = append(out, float64(v.Int32()))
					case parquet.Int64:
						out = append(out, float64(v.Int64()))
					case parquet.Float:
						out = append(out, float64(v.Float()))
					default:
						out = append(out, v.Double())
					}
				}
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					pages.Close()
					parquet.Release(p)
					return nil, false, t.errf(len(out)+1, "column %s: %v", col, err)
				}
			}
			parquet.Release(p)
		}
		pages.Close()
	}
	if int64(len(out)) != t.f.NumRows() {
		return nil, false, t.errf(0, "column %s has %d values for %d rows", col, len(out), t.f.NumRows())
	}
	return out, kind == parquet.Int32 || kind == parquet.Int64, nil
}

// id checks a neuron id read from row (1-based) of a numeric column.
func (t *pqTable) id(row int, x float64, what string, n int) (int, error) {
	if x != math.Trunc(x) || x < 0 || math.IsInf(x, 0) {
		return 0, t.errf(row, "%s %v is not a neuron id (a non-negative integer)", what, x)
	}
	if x >= MaxNeurons {
		return 0, t.errf(row, "%s %v is beyond the largest supported id %d", what, x, MaxNeurons-1)
	}
	if n > 0 && int(x) >= n {
		return 0, t.errf(row, "unknown neuron %d (the network has %d neurons, ids 0 to %d)", int(x), n, n-1)
	}
	return int(x), nil
}

// size returns n, or the network size in the footer when n <= 0 (0 if it
// has none).
func (t *pqTable) size(n int) (int, error) {
	if n > 0 {
		return n, nil
	}
	s, ok := t.f.Lookup(FooterNeurons)
	if !ok {
		return 0, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 || v > MaxNeurons {
		return 0, t.errf(0, "footer key %s = %q is not a network size", FooterNeurons, s)
	}
	return v, nil
}

// ReadSpikesParquet reads a Parquet spike table with columns neuron
// (integer) and time_s (seconds; "time" and "t" are accepted too), sorted
// by time, as written by the simulate command. If n > 0, neuron ids must be
// below n. Errors are *LineError with the 1-based row (Row set).
func ReadSpikesParquet(f *os.File, name string, n int) (_ []Spike, err error) {
	defer recoverParquet(name, &err)
	t, err := openParquet(f, name)
	if err != nil {
		return nil, err
	}
	ids, _, err := t.column("neuron")
	if err != nil {
		return nil, err
	}
	times, _, err := t.column("time_s", "time", "t")
	if err != nil {
		return nil, err
	}
	out := make([]Spike, len(ids))
	last := math.Inf(-1)
	for k := range ids {
		row := k + 1
		id, err := t.id(row, ids[k], "neuron", n)
		if err != nil {
			return nil, err
		}
		tm := times[k]
		switch {
		case math.IsNaN(tm) || math.IsInf(tm, 0):
			return nil, t.errf(row, "time is %v", tm)
		case tm < 0:
			return nil, t.errf(row, "negative time %g s", tm)
		case tm < last:
			return nil, t.errf(row, "spikes are not sorted by time (%g s after %g s)", tm, last)
		}
		last = tm
		out[k] = Spike{id, tm}
	}
	return out, nil
}

// ReadNetworkParquet reads a Parquet edge table with columns pre, post,
// weight and delay_ms ("delay" is accepted too), with ReadNetwork's checks.
// If n <= 0 the network size comes from the footer key "neurons" when the
// file has it, else from the largest id. Errors are *LineError with the
// 1-based row (Row set).
func ReadNetworkParquet(f *os.File, name string, n int) (_ *Network, err error) {
	defer recoverParquet(name, &err)
	t, err := openParquet(f, name)
	if err != nil {
		return nil, err
	}
	if n, err = t.size(n); err != nil {
		return nil, err
	}
	var cols [4][]float64
	for k, alts := range [][]string{{"pre"}, {"post"}, {"weight"}, {"delay_ms", "delay"}} {
		if cols[k], _, err = t.column(alts...); err != nil {
			return nil, err
		}
	}
	edges := make([]Edge, len(cols[0]))
	var dale daleCheck
	for k := range edges {
		row := k + 1
		e := &edges[k]
		if e.Pre, err = t.id(row, cols[0][k], "pre", n); err != nil {
			return nil, err
		}
		if e.Post, err = t.id(row, cols[1][k], "post", n); err != nil {
			return nil, err
		}
		e.Weight, e.Delay = cols[2][k], cols[3][k]
		if math.IsNaN(e.Weight) || math.IsInf(e.Weight, 0) {
			return nil, t.errf(row, "weight is %v", e.Weight)
		}
		if math.IsNaN(e.Delay) || math.IsInf(e.Delay, 0) {
			return nil, t.errf(row, "delay is %v", e.Delay)
		}
		if e.Delay < 0 {
			return nil, t.errf(row, "negative delay %g ms", e.Delay)
		}
		if msg := dale.add(e.Pre, e.Weight, row); msg != "" {
			return nil, t.errf(row, "%s", strings.Replace(msg, "line", "row", 1))
		}
	}
	if n <= 0 && len(edges) == 0 {
		return nil, t.errf(0, "no edges, and no network size given")
	}
	net, err := NewNetworkFromEdges(n, edges)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return net, nil
}

// daleCheck tracks the sign of each neuron's outgoing weights.
type daleCheck struct {
	sign, line map[int]int
}

// add records an edge from pre with weight w on line; it returns a message
// if pre's outputs now have both signs.
func (d *daleCheck) add(pre int, w float64, line int) string {
	s := 0
	if w > 0 {
		s = 1
	} else if w < 0 {
		s = -1
	}
	if s == 0 {
		return ""
	}
	if d.sign == nil {
		d.sign, d.line = map[int]int{}, map[int]int{}
	}
	prev, ok := d.sign[pre]
	if !ok {
		d.sign[pre], d.line[pre] = s, line
		return ""
	}
	if prev != s {
		return fmt.Sprintf("neuron %d has excitatory and inhibitory outputs (Dale's law; first sign on line %d)", pre, d.line[pre])
	}
	return ""
}
