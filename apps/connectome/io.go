package connectome

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// MaxNeurons bounds neuron ids read from tables.
const MaxNeurons = 1 << 24

// ErrFormat is wrapped by every error about a malformed table.
var ErrFormat = errors.New("malformed table")

// LineError locates a problem in a table: the file name (as given by the
// caller), the 1-based line (text tables) or data row (Parquet tables, Row
// set; 0 for a problem with the whole file), and the cause.
type LineError struct {
	File string
	Line int
	Row  bool // Line counts data rows of a Parquet file
	Err  error
}

func (e *LineError) Error() string {
	switch {
	case e.Row && e.Line > 0:
		return fmt.Sprintf("%s: row %d: %v", e.File, e.Line, e.Err)
	case e.Row:
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}
func (e *LineError) Unwrap() error { return e.Err }

// table reads a delimited text table with a header row. The delimiter is a
// tab if the header contains one, otherwise a comma. Blank lines and lines
// starting with '#' are skipped.
type table struct {
	name string
	sc   *bufio.Scanner
	line int
	sep  string
	cols map[string]int
}

func newTable(r io.Reader, name string, want ...[]string) (*table, []int, error) {
	t := &table{name: name, sc: bufio.NewScanner(r)}
	t.sc.Buffer(make([]byte, 64*1024), 1<<20)
	hdr, ok, err := t.next()
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, t.errf("empty file: want a header with columns %s", names(want))
	}
	t.sep = ","
	if strings.Contains(hdr, "\t") {
		t.sep = "\t"
	}
	t.cols = map[string]int{}
	fields := strings.Split(hdr, t.sep)
	for k, f := range fields {
		t.cols[strings.ToLower(strings.TrimSpace(f))] = k
	}
	idx := make([]int, len(want))
	for k, alts := range want {
		idx[k] = -1
		for _, a := range alts {
			if c, ok := t.cols[a]; ok {
				idx[k] = c
				break
			}
		}
		if idx[k] < 0 {
			return nil, nil, t.errf("header %q lacks column %q (want columns %s)", hdr, alts[0], names(want))
		}
	}
	return t, idx, nil
}

func names(want [][]string) string {
	var s []string
	for _, w := range want {
		s = append(s, w[0])
	}
	return strings.Join(s, ", ")
}

func (t *table) errf(format string, a ...any) error {
	return &LineError{File: t.name, Line: max(t.line, 1), Err: fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, a...))}
}

// next returns the next non-blank, non-comment line.
func (t *table) next() (string, bool, error) {
	for t.sc.Scan() {
		t.line++
		s := strings.TrimRight(t.sc.Text(), "\r")
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		return s, true, nil
	}
	if err := t.sc.Err(); err != nil {
		t.line++
		return "", false, &LineError{File: t.name, Line: t.line, Err: err}
	}
	return "", false, nil
}

// row splits the next data line and returns the fields at idx.
func (t *table) row(idx []int) ([]string, bool, error) {
	s, ok, err := t.next()
	if !ok || err != nil {
		return nil, ok, err
	}
	f := strings.Split(s, t.sep)
	if len(f) != len(t.cols) {
		return nil, false, t.errf("%d fields, the header has %d", len(f), len(t.cols))
	}
	out := make([]string, len(idx))
	for k, c := range idx {
		out[k] = strings.TrimSpace(f[c])
	}
	return out, true, nil
}

func (t *table) id(s, what string) (int, error) {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil || v < 0 {
		return 0, t.errf("%s %q is not a neuron id (a non-negative integer)", what, s)
	}
	if v >= MaxNeurons {
		return 0, t.errf("%s %d is beyond the largest supported id %d", what, v, MaxNeurons-1)
	}
	return int(v), nil
}

func (t *table) float(s, what string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, t.errf("%s %q is not a number", what, s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, t.errf("%s is %s", what, s)
	}
	return v, nil
}

// ReadSpikes reads a spike table with columns neuron and time (seconds;
// "time_s" and "t" are accepted too), tab- or comma-separated, sorted by time. If n > 0,
// neuron ids must be below n. name labels errors, which are *LineError.
func ReadSpikes(r io.Reader, name string, n int) ([]Spike, error) {
	t, idx, err := newTable(r, name, []string{"neuron"}, []string{"time", "time_s", "t"})
	if err != nil {
		return nil, err
	}
	var out []Spike
	last := math.Inf(-1)
	for {
		f, ok, err := t.row(idx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		id, err := t.id(f[0], "neuron")
		if err != nil {
			return nil, err
		}
		if n > 0 && id >= n {
			return nil, t.errf("unknown neuron %d (the network has %d neurons, ids 0 to %d)", id, n, n-1)
		}
		tm, err := t.float(f[1], "time")
		if err != nil {
			return nil, err
		}
		if tm < 0 {
			return nil, t.errf("negative time %g s", tm)
		}
		if tm < last {
			return nil, t.errf("spikes are not sorted by time (%g s after %g s)", tm, last)
		}
		last = tm
		out = append(out, Spike{id, tm})
	}
}

// WriteSpikes writes spikes as a table with columns neuron and time (s),
// separated by sep (',' or '\t'), with times in shortest round-trip form.
func WriteSpikes(w io.Writer, spikes []Spike, sep rune) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "neuron%ctime\n", sep)
	buf := make([]byte, 0, 64)
	for _, s := range spikes {
		buf = strconv.AppendInt(buf[:0], int64(s.Neuron), 10)
		buf = append(buf, byte(sep))
		buf = strconv.AppendFloat(buf, s.T, 'g', -1, 64)
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	return bw.Flush()
}

// ReadNetwork reads an edge table with columns pre, post, weight and
// delay_ms ("delay", the name before the unit was spelled out, is accepted
// too; milliseconds either way), tab- or comma-separated, and builds the network. Neuron types come
// from the signs of outgoing weights (Dale's law is checked). If n > 0 the
// network has n neurons and ids must be below n; otherwise its size is one
// more than the largest id. Errors name the file and line (*LineError).
func ReadNetwork(r io.Reader, name string, n int) (*Network, error) {
	t, idx, err := newTable(r, name, []string{"pre"}, []string{"post"}, []string{"weight"}, []string{"delay_ms", "delay"})
	if err != nil {
		return nil, err
	}
	var edges []Edge
	var dale daleCheck
	for {
		f, ok, err := t.row(idx)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		var e Edge
		if e.Pre, err = t.id(f[0], "pre"); err != nil {
			return nil, err
		}
		if e.Post, err = t.id(f[1], "post"); err != nil {
			return nil, err
		}
		if n > 0 && (e.Pre >= n || e.Post >= n) {
			return nil, t.errf("unknown neuron %d (the network has %d neurons, ids 0 to %d)", max(e.Pre, e.Post), n, n-1)
		}
		if e.Weight, err = t.float(f[2], "weight"); err != nil {
			return nil, err
		}
		if e.Delay, err = t.float(f[3], "delay"); err != nil {
			return nil, err
		}
		if e.Delay < 0 {
			return nil, t.errf("negative delay %g ms", e.Delay)
		}
		if msg := dale.add(e.Pre, e.Weight, t.line); msg != "" {
			return nil, t.errf("%s", msg)
		}
		edges = append(edges, e)
	}
	if n <= 0 && len(edges) == 0 {
		return nil, t.errf("no edges, and no network size given")
	}
	net, err := NewNetworkFromEdges(n, edges)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return net, nil
}

// WriteNetwork writes the network's edges as a table with columns pre,
// post, weight and delay_ms, separated by sep.
func WriteNetwork(w io.Writer, net *Network, sep rune) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "pre%[1]cpost%[1]cweight%[1]cdelay_ms\n", sep)
	buf := make([]byte, 0, 96)
	for _, e := range net.Edges {
		buf = strconv.AppendInt(buf[:0], int64(e.Pre), 10)
		buf = append(buf, byte(sep))
		buf = strconv.AppendInt(buf, int64(e.Post), 10)
		buf = append(buf, byte(sep))
		buf = strconv.AppendFloat(buf, e.Weight, 'g', -1, 64)
		buf = append(buf, byte(sep))
		buf = strconv.AppendFloat(buf, e.Delay, 'g', -1, 64)
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	return bw.Flush()
}

// ReadState reads an initial state with columns neuron, v (mV), ge and gi
// (weight units: mV for CurrentExp, nS for Conductance; ignored for Delta),
// one row per neuron 0..n-1 in any order. Errors name the file and line.
func ReadState(r io.Reader, name string, n int) (v, ge, gi []float64, err error) {
	t, idx, err := newTable(r, name, []string{"neuron"}, []string{"v"}, []string{"ge"}, []string{"gi"})
	if err != nil {
		return nil, nil, nil, err
	}
	v, ge, gi = make([]float64, n), make([]float64, n), make([]float64, n)
	seen := make([]bool, n)
	for {
		f, ok, err := t.row(idx)
		if err != nil {
			return nil, nil, nil, err
		}
		if !ok {
			break
		}
		id, err := t.id(f[0], "neuron")
		if err != nil {
			return nil, nil, nil, err
		}
		if id >= n {
			return nil, nil, nil, t.errf("unknown neuron %d (the network has %d neurons, ids 0 to %d)", id, n, n-1)
		}
		if seen[id] {
			return nil, nil, nil, t.errf("neuron %d appears twice", id)
		}
		seen[id] = true
		for k, dst := range [][]float64{v, ge, gi} {
			if dst[id], err = t.float(f[k+1], []string{"v", "ge", "gi"}[k]); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	for i, ok := range seen {
		if !ok {
			return nil, nil, nil, t.errf("no state for neuron %d", i)
		}
	}
	return v, ge, gi, nil
}

// SetState sets the state from values in weight units (ge, gi in mV for
// CurrentExp, nS for Conductance). Slices are copied.
func (s *Sim) SetState(v, ge, gi []float64) {
	copy(s.V, v)
	scale := 1.0
	if s.P.Synapse == Conductance {
		scale = 1 / s.P.GL
	}
	for i := range s.GE {
		s.GE[i], s.GI[i] = ge[i]*scale, gi[i]*scale
	}
}
