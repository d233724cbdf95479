package morphology

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/spatial/r3"
)

// MaxLineLength is the longest SWC line the reader accepts, in bytes.
const MaxLineLength = 1 << 16

// ParseError reports an SWC file that cannot be loaded: the file name given
// to ReadSWC, the 1-based line (0 when the problem concerns the whole file)
// and the reason.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Warning reports something odd but loadable in an SWC file.
type Warning struct {
	File string
	Line int
	Msg  string
}

func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d: warning: %s", w.File, w.Line, w.Msg)
	}
	return fmt.Sprintf("%s: warning: %s", w.File, w.Msg)
}

type rawSample struct {
	id, parent int
	typ        Type
	pos        r3.Vec
	r          float64
	line       int
}

// splitLines is a bufio.SplitFunc that treats "\n", "\r\n" and a lone "\r"
// as line breaks (BS0284.swc has "\r\r\n" inside its header).
func splitLines(data []byte, atEOF bool) (int, []byte, error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		if i+1 < len(data) {
			if data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
		if atEOF {
			return i + 1, data[:i], nil
		}
		return 0, nil, nil // need one more byte to tell "\r" from "\r\n"
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// warner collects warnings, one per kind with the first line and a count.
type warner struct {
	file  string
	order []string
	first map[string]int
	count map[string]int
}

func (w *warner) add(kind string, line int) {
	if w.first == nil {
		w.first, w.count = map[string]int{}, map[string]int{}
	}
	if _, ok := w.first[kind]; !ok {
		w.order = append(w.order, kind)
		w.first[kind] = line
	}
	w.count[kind]++
}

func (w *warner) list() []Warning {
	var out []Warning
	for _, k := range w.order {
		msg := k
		if c := w.count[k]; c > 1 {
			msg = fmt.Sprintf("%s (%d lines, the first shown)", k, c)
		}
		out = append(out, Warning{File: w.file, Line: w.first[k], Msg: msg})
	}
	return out
}

// ReadSWC reads an SWC reconstruction. name is used only in messages. It
// accepts comments ('#' to the end of the line), "\n", "\r\n" and "\r" line
// endings, tabs or runs of spaces between fields, extra columns, IDs that are
// neither sorted nor contiguous, and somas of one, three or more points. It
// rejects, with a *ParseError naming the line: fewer than seven fields,
// non-numeric or non-finite fields, non-integer IDs, types and parents, type 0
// or negative types, negative radii, duplicate IDs, parents that are missing
// or defined after their child, cycles, several roots, and soma samples whose
// parent is a neurite sample. Oddities that tools tolerate (zero radius, no
// soma, forks of three or more, a type change without a fork, zero-length
// segments, extra columns) come back as warnings.
func ReadSWC(r io.Reader, name string) (*Neuron, []Warning, error) {
	fail := func(line int, format string, a ...any) (*Neuron, []Warning, error) {
		return nil, nil, &ParseError{File: name, Line: line, Msg: fmt.Sprintf(format, a...)}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, MaxLineLength), MaxLineLength)
	sc.Split(splitLines)
	var (
		raw      []rawSample
		comments []string
		byID     = map[int]int{}
		warn     = warner{file: name}
		lineNo   int
	)
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			if strings.TrimSpace(line[:i]) == "" {
				comments = append(comments, strings.TrimSpace(line[i+1:]))
				continue
			}
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 7 {
			return fail(lineNo, "%d fields, want 7 (id type x y z radius parent)", len(f))
		}
		if len(f) > 7 {
			warn.add("more than 7 columns; the extra columns are ignored", lineNo)
		}
		var s rawSample
		s.line = lineNo
		var err error
		if s.id, err = parseInt(f[0]); err != nil {
			return fail(lineNo, "id %q: %v", f[0], err)
		}
		if s.id < 0 {
			return fail(lineNo, "negative id %d", s.id)
		}
		t, err := parseInt(f[1])
		if err != nil {
			return fail(lineNo, "type %q: %v", f[1], err)
		}
		s.typ = Type(t)
		switch {
		case t == 0:
			return fail(lineNo, "type 0 (undefined) is not allowed")
		case t < 0:
			return fail(lineNo, "negative type %d", t)
		case t >= 20:
			warn.add("type 20 or more (MorphIO and NeuroM reject it)", lineNo)
		}
		var xyzr [4]float64
		for k, col := range [4]string{"x", "y", "z", "radius"} {
			v, err := strconv.ParseFloat(f[2+k], 64)
			if err != nil {
				return fail(lineNo, "%s %q is not a number", col, f[2+k])
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fail(lineNo, "%s %q is not finite", col, f[2+k])
			}
			xyzr[k] = v
		}
		s.pos, s.r = r3.Vec{X: xyzr[0], Y: xyzr[1], Z: xyzr[2]}, xyzr[3]
		if s.r < 0 {
			return fail(lineNo, "negative radius %s", f[5])
		}
		if s.r == 0 {
			warn.add("zero radius", lineNo)
		}
		if s.parent, err = parseInt(f[6]); err != nil {
			return fail(lineNo, "parent %q: %v", f[6], err)
		}
		switch {
		case s.parent < -1:
			return fail(lineNo, "parent %d: must be -1 (root) or the id of another sample", s.parent)
		case s.parent == s.id:
			return fail(lineNo, "sample %d is its own parent (a cycle)", s.id)
		}
		if j, dup := byID[s.id]; dup {
			return fail(lineNo, "duplicate id %d (first defined on line %d)", s.id, raw[j].line)
		}
		byID[s.id] = len(raw)
		raw = append(raw, s)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fail(lineNo+1, "line longer than %d bytes", MaxLineLength)
		}
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(raw) == 0 {
		return fail(0, "no samples")
	}

	samples := make([]Sample, len(raw))
	root := -1
	for i, s := range raw {
		samples[i] = Sample{ID: s.id, Type: s.typ, Pos: s.pos, R: s.r, Parent: -1}
		if s.parent == -1 {
			if root >= 0 {
				return fail(s.line, "sample %d is a second root (parent -1); the first is sample %d on line %d", s.id, raw[root].id, raw[root].line)
			}
			root = i
			continue
		}
		j, ok := byID[s.parent]
		if !ok {
			return fail(s.line, "parent %d of sample %d does not exist", s.parent, s.id)
		}
		if j > i {
			if cyc := findCycle(raw, byID, i); cyc != "" {
				return fail(s.line, "cycle %s", cyc)
			}
			return fail(s.line, "parent %d of sample %d is defined later, on line %d (parents must precede their children)", s.parent, s.id, raw[j].line)
		}
		p := raw[j]
		if s.typ == Soma && p.typ != Soma {
			return fail(s.line, "soma sample %d has the %s sample %d as parent", s.id, p.typ, p.id)
		}
		samples[i].Parent = j
	}
	// root == 0 here: the first sample cannot have an earlier parent.

	n, err := New(samples, comments)
	if err != nil {
		return nil, nil, &ParseError{File: name, Msg: err.Error()}
	}
	n.lint(&warn, raw)
	return n, warn.list(), nil
}

// parseInt accepts decimal integers and integral decimals such as "12.0"
// (some exporters write IDs as floats).
func parseInt(s string) (int, error) {
	v, err := strconv.Atoi(s)
	if err == nil {
		return v, nil
	}
	f, ferr := strconv.ParseFloat(s, 64)
	if ferr != nil {
		return 0, errors.New("not a number")
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, errors.New("not an integer")
	}
	return int(f), nil
}

// findCycle follows parents from raw[i] and returns "a -> b -> ... -> a" if
// it comes back to a visited sample, or "" if it reaches a root or a missing
// parent.
func findCycle(raw []rawSample, byID map[int]int, i int) string {
	seen := map[int]int{}
	var path []int
	for cur := i; ; {
		if k, ok := seen[cur]; ok {
			ids := make([]string, 0, len(path)-k+1)
			for _, j := range path[k:] {
				ids = append(ids, strconv.Itoa(raw[j].id))
			}
			ids = append(ids, strconv.Itoa(raw[cur].id))
			return strings.Join(ids, " -> ")
		}
		seen[cur] = len(path)
		path = append(path, cur)
		p := raw[cur].parent
		if p == -1 {
			return ""
		}
		j, ok := byID[p]
		if !ok {
			return ""
		}
		cur = j
	}
}

// lint adds warnings for loadable oddities.
func (n *Neuron) lint(w *warner, raw []rawSample) {
	if n.Samples[0].Type != Soma {
		w.add("no soma: the root is a neurite sample", raw[0].line)
	}
	if len(n.soma) == 3 && !n.threePointConformant() {
		w.add("three-point soma not in NeuroMorpho's layout (centre, centre -/+ radius along y, equal radii); MorphIO warns SomaNonConform", raw[n.soma[0]].line)
	}
	for i, s := range n.Samples {
		ch := n.children[i]
		if s.Type != Soma && len(ch) > 2 {
			w.add("fork with three or more children (NEURON and NeuroM accept it; many metrics assume bifurcations)", raw[i].line)
		}
		if i == 0 || s.Type == Soma {
			continue
		}
		p := n.Samples[s.Parent]
		if p.Type == Soma {
			continue
		}
		if p.Type != s.Type && len(n.children[s.Parent]) == 1 {
			w.add("type changes without a fork (MorphIO rejects this)", raw[i].line)
		}
		if p.Pos == s.Pos {
			w.add("zero-length segment (same position as the parent)", raw[i].line)
		}
	}
}

// threePointConformant reports whether a three-point soma follows
// NeuroMorpho's layout: root c with radius r, and children c -/+ r along y
// with radius r (to 1e-3 relative, as exporters round).
func (n *Neuron) threePointConformant() bool {
	a, b, c := n.Samples[n.soma[0]], n.Samples[n.soma[1]], n.Samples[n.soma[2]]
	if b.Parent != n.soma[0] || c.Parent != n.soma[0] {
		return false
	}
	r := a.R
	tol := 1e-3 * math.Max(r, 1)
	near := func(x, y float64) bool { return math.Abs(x-y) <= tol }
	if !near(b.R, r) || !near(c.R, r) {
		return false
	}
	for _, s := range []Sample{b, c} {
		if !near(s.Pos.X, a.Pos.X) || !near(s.Pos.Z, a.Pos.Z) || !near(math.Abs(s.Pos.Y-a.Pos.Y), r) {
			return false
		}
	}
	return (b.Pos.Y-a.Pos.Y)*(c.Pos.Y-a.Pos.Y) < 0
}
