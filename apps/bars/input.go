package bars

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Format is an input file format.
type Format string

// Input formats.
const (
	// FormatBarsP is BarsP's text format: "nbins ntrials", then "t count"
	// per bin (ReadBarsP).
	FormatBarsP Format = "barsp"
	// FormatCounts is a CSV or TSV table of binned counts, columns time
	// (bin centre, s) and count, with an optional header (ReadCounts).
	FormatCounts Format = "counts"
	// FormatSpikes is a table of spike times, columns neuron, trial and
	// time (s): CSV or TSV with an optional header (ReadSpikes), or Parquet
	// (ReadSpikesParquet).
	FormatSpikes Format = "spikes"
)

// Formats lists the input formats.
var Formats = []Format{FormatBarsP, FormatCounts, FormatSpikes}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(s))
	if !slices.Contains(Formats, f) {
		return "", fmt.Errorf("unknown input format %q (want barsp, counts or spikes)", s)
	}
	return f, nil
}

// maxBins bounds the bins of a binned spike train, so that a stray time
// (1e300 s) is an error, not an out-of-memory crash.
const maxBins = 1 << 20

// Binning turns spike times into a PSTH: bins of Width seconds covering
// the window [Start, End). End = 0 takes the window from Start to the end
// of the bin holding the latest spike of the file. Spikes outside the
// window are ignored.
type Binning struct {
	Width      float64 // s
	Start, End float64 // s
	// Trials overrides the number of trials; 0 counts the distinct trial
	// labels seen for each neuron (a trial with no spike is then missed).
	Trials int
}

// Validate reports an unusable binning.
func (b Binning) Validate() error {
	switch {
	case !(b.Width > 0) || math.IsInf(b.Width, 0):
		return fmt.Errorf("bin width %v s must be positive", b.Width)
	case math.IsNaN(b.Start) || math.IsInf(b.Start, 0) || math.IsNaN(b.End) || math.IsInf(b.End, 0):
		return fmt.Errorf("window [%v, %v) s is not finite", b.Start, b.End)
	case b.End != 0 && !(b.End > b.Start):
		return fmt.Errorf("window [%v, %v) s is empty", b.Start, b.End)
	case b.Trials < 0:
		return fmt.Errorf("%d trials", b.Trials)
	}
	if b.End != 0 {
		n := (b.End - b.Start) / b.Width
		if math.Abs(n-math.Round(n)) > 1e-6*math.Max(1, n) {
			return fmt.Errorf("window [%v, %v) s is not a whole number of %v s bins", b.Start, b.End, b.Width)
		}
		if n > maxBins {
			return fmt.Errorf("window [%v, %v) s in %v s bins has more than %d bins", b.Start, b.End, b.Width, maxBins)
		}
	}
	return nil
}

// SniffFormat guesses the format of a file from its name and content:
// ".data" files, and files whose first line is two positive integers
// "n m" followed by a row whose time is not after n (so the first line
// cannot be the first bin of a table), are BarsP; tables with three
// columns (or a header naming neuron or trial) are spike times; tables
// with two columns are binned counts.
func SniffFormat(name string, data []byte) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".data":
		return FormatBarsP, nil
	case ".parquet":
		return FormatSpikes, nil
	}
	if isParquet(data) {
		return FormatSpikes, nil
	}
	barsp := -1 // bins a BarsP-like first line announces
	for rest := data; len(rest) > 0; {
		var raw []byte
		raw, rest, _ = bytes.Cut(rest, []byte("\n"))
		line := strings.TrimSpace(string(raw))
		if line == "" || strings.HasPrefix(line, "#") && barsp < 0 && !strings.Contains(strings.ToLower(line), "neuron") {
			continue
		}
		lower := strings.ToLower(line)
		f := splitFields(line)
		if barsp >= 0 {
			if t, err := strconv.ParseFloat(f[0], 64); err == nil && t <= float64(barsp) {
				return FormatBarsP, nil
			}
			return FormatCounts, nil
		}
		if strings.Contains(lower, "neuron") || strings.Contains(lower, "trial") || len(f) >= 3 {
			return FormatSpikes, nil
		}
		if len(f) == 2 && !strings.Contains(line, ",") {
			a, err1 := strconv.Atoi(f[0])
			b, err2 := strconv.Atoi(f[1])
			if err1 == nil && err2 == nil && a > 0 && b > 0 {
				barsp = a
				continue
			}
		}
		if len(f) == 2 {
			return FormatCounts, nil
		}
		break
	}
	if barsp >= 0 {
		return FormatBarsP, nil
	}
	return "", fmt.Errorf("%s: cannot tell the format (empty, or not a table of 2 or 3 columns); pass --format", name)
}

// isParquet reports whether data starts and ends with Parquet's magic.
func isParquet(data []byte) bool {
	return len(data) >= 8 && bytes.HasPrefix(data, []byte("PAR1")) && bytes.HasSuffix(data, []byte("PAR1"))
}

// splitFields splits a table line at commas if it has any, else at tabs
// and spaces. Fields are trimmed.
func splitFields(line string) []string {
	if !strings.Contains(line, ",") {
		return strings.Fields(line)
	}
	f := strings.Split(line, ",")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return f
}

// tableScanner reads a CSV/TSV table line by line, skipping blank lines and
// '#' comments, and maps a header's column names to indices.
type tableScanner struct {
	sc   *bufio.Scanner
	name string
	line int
	// cols is the number of columns (from the header or the first row).
	cols int
}

func newTableScanner(r io.Reader, name string) *tableScanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	return &tableScanner{sc: sc, name: name}
}

// next returns the fields of the next data line, or nil at the end.
func (t *tableScanner) next() ([]string, error) {
	for t.sc.Scan() {
		t.line++
		line := strings.TrimSpace(strings.TrimPrefix(t.sc.Text(), "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		return splitFields(line), nil
	}
	if err := t.sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s:%d: %v", ErrInput, t.name, t.line+1, err)
	}
	return nil, nil
}

func (t *tableScanner) errf(format string, args ...any) error {
	return lineErr(t.name, t.line, format, args...)
}

// header decides whether the first data line f is a header (a field that
// is not a number). If so it maps the columns named in want (each with its
// accepted names) to indices; otherwise the columns are in the order of
// want. It returns the indices and whether f was a header.
func (t *tableScanner) header(f []string, want [][]string) ([]int, bool, error) {
	idx := make([]int, len(want))
	isHeader := false
	for _, s := range f {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			isHeader = true
		}
	}
	t.cols = len(f)
	if !isHeader {
		if len(f) != len(want) {
			return nil, false, t.errf("%d columns; want %d (%s) or a header naming them", len(f), len(want), names(want))
		}
		for i := range idx {
			idx[i] = i
		}
		return idx, false, nil
	}
	for i, alts := range want {
		idx[i] = -1
		for j, s := range f {
			if slices.Contains(alts, strings.ToLower(strings.Trim(s, `"' `))) {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			return nil, true, t.errf("header %q has no column %s (accepted names: %s)", strings.Join(f, ","), alts[0], strings.Join(alts, ", "))
		}
	}
	return idx, true, nil
}

func names(want [][]string) string {
	var s []string
	for _, w := range want {
		s = append(s, w[0])
	}
	return strings.Join(s, ", ")
}

// row checks that a data line has as many fields as the header or first
// row.
func (t *tableScanner) row(f []string) error {
	if len(f) != t.cols {
		return t.errf("%d fields, but the header or first row has %d", len(f), t.cols)
	}
	return nil
}

func (t *tableScanner) finite(s, what string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, t.errf("%s %q is not a finite number", what, s)
	}
	return v, nil
}

var (
	timeNames   = []string{"time", "time_s", "t", "bin", "bin_centre", "bin_center"}
	countNames  = []string{"count", "counts", "spikes", "n"}
	neuronNames = []string{"neuron", "unit", "cell", "neuron_id"}
	trialNames  = []string{"trial", "trials", "trial_id"}
)

// ReadCounts reads a CSV or TSV table of binned spike counts pooled over
// trials: columns time (the bin centre, s) and count, one row per bin, with
// an optional header row naming them (other named columns are ignored).
// Blank lines and lines starting with '#' are skipped. Times must increase
// in equal steps; counts must be non-negative integers. name is used in
// error messages, which name the file and line.
func ReadCounts(r io.Reader, name string, trials int) (*PSTH, error) {
	if trials < 1 {
		return nil, fmt.Errorf("%w: %s: binned counts need the number of trials (--trials), got %d", ErrInput, name, trials)
	}
	t := newTableScanner(r, name)
	p := &PSTH{Name: name, Trials: trials}
	var idx []int
	var step float64
	for {
		f, err := t.next()
		if err != nil {
			return nil, err
		}
		if f == nil {
			break
		}
		if idx == nil {
			var hdr bool
			idx, hdr, err = t.header(f, [][]string{timeNames, countNames})
			if err != nil {
				return nil, err
			}
			if hdr {
				continue
			}
		}
		if err := t.row(f); err != nil {
			return nil, err
		}
		tm, err := t.finite(f[idx[0]], "time")
		if err != nil {
			return nil, err
		}
		c, err := t.finite(f[idx[1]], "count")
		if err != nil {
			return nil, err
		}
		if c < 0 || c != math.Trunc(c) {
			return nil, t.errf("count %q is not a non-negative integer", f[idx[1]])
		}
		if n := len(p.Time); n > 0 {
			d := tm - p.Time[n-1]
			switch {
			case !(d > 0):
				return nil, t.errf("time %.6g does not increase (previous %.6g); rows must be sorted by time", tm, p.Time[n-1])
			case n == 1:
				step = d
			case math.Abs(d-step) > 1e-6*step+1e-9:
				return nil, t.errf("bin at %.6g s is %.6g s after the previous one, but the bins so far are %.6g s apart; BARS needs equal-width bins", tm, d, step)
			}
		}
		p.Time = append(p.Time, tm)
		p.Count = append(p.Count, c)
	}
	if idx == nil {
		return nil, fmt.Errorf("%w: %s: empty file (no data rows)", ErrInput, name)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	return p, nil
}

// ReadSpikes reads a CSV or TSV table of spike times, columns neuron,
// trial and time (s from the trial's start), one row per spike, with an
// optional header row naming them; blank lines and lines starting with '#'
// are skipped. Neuron and trial are labels (any text without the
// separator). Within a neuron and trial, times must not decrease. Each
// neuron's spikes are pooled over its trials and binned with b into one
// PSTH named by the neuron label. Neurons come out sorted by label,
// numerically when every label is an integer. A neuron without a spike in
// the window is an error naming the line of its first spike.
func ReadSpikes(r io.Reader, name string, b Binning) ([]*PSTH, error) {
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInput, name, err)
	}
	t := newTableScanner(r, name)
	sc := newSpikeCollector(name)
	var idx []int
	for {
		f, err := t.next()
		if err != nil {
			return nil, err
		}
		if f == nil {
			break
		}
		if idx == nil {
			var hdr bool
			idx, hdr, err = t.header(f, [][]string{neuronNames, trialNames, timeNames})
			if err != nil {
				return nil, err
			}
			if hdr {
				continue
			}
		}
		if err := t.row(f); err != nil {
			return nil, err
		}
		id, trial := f[idx[0]], f[idx[1]]
		if id == "" || trial == "" {
			return nil, t.errf("empty neuron or trial label")
		}
		tm, err := t.finite(f[idx[2]], "time")
		if err != nil {
			return nil, err
		}
		line := t.line
		if err := sc.add(func() string { return fmt.Sprintf("%s:%d", name, line) }, id, trial, tm); err != nil {
			return nil, err
		}
	}
	if idx == nil {
		return nil, fmt.Errorf("%w: %s: empty file (no spike rows)", ErrInput, name)
	}
	return sc.bin(b)
}

// spikeCollector gathers spike times by neuron and bins them; the text
// and Parquet readers share it.
type spikeCollector struct {
	name  string
	byID  map[string]*spikeNeuron
	order []*spikeNeuron
	maxT  float64
}

type spikeNeuron struct {
	id     string
	where  string // "file:line" or "file: row n" of its first spike
	times  []float64
	trials map[string]float64 // last time per trial
}

func newSpikeCollector(name string) *spikeCollector {
	return &spikeCollector{name: name, byID: map[string]*spikeNeuron{}, maxT: math.Inf(-1)}
}

// add records one spike; where locates it for error messages (called
// only when needed: formatting every row's location would cost more than
// reading it).
func (sc *spikeCollector) add(where func() string, id, trial string, tm float64) error {
	nu := sc.byID[id]
	if nu == nil {
		nu = &spikeNeuron{id: id, where: where(), trials: map[string]float64{}}
		sc.byID[id] = nu
		sc.order = append(sc.order, nu)
	}
	if prev, ok := nu.trials[trial]; ok && tm < prev {
		return fmt.Errorf("%w: %s: spike time %v s of neuron %s, trial %s comes after %v s; sort the spikes by time within each trial", ErrInput, where(), tm, id, trial, prev)
	}
	nu.trials[trial] = tm
	nu.times = append(nu.times, tm)
	sc.maxT = max(sc.maxT, tm)
	return nil
}

// bin pools each neuron's spikes over trials into a PSTH.
func (sc *spikeCollector) bin(b Binning) ([]*PSTH, error) {
	name, order := sc.name, sc.order
	if len(order) == 0 {
		return nil, fmt.Errorf("%w: %s: header but no spike rows", ErrInput, name)
	}
	start, end := b.Start, b.End
	if end == 0 {
		if sc.maxT < start {
			return nil, fmt.Errorf("%w: %s: every spike is before the window start %v s", ErrInput, name, start)
		}
		nb := math.Floor((sc.maxT-start)/b.Width) + 1
		if nb > maxBins {
			return nil, fmt.Errorf("%w: %s: spikes up to %v s in %v s bins make more than %d bins; pass --window", ErrInput, name, sc.maxT, b.Width, maxBins)
		}
		end = start + nb*b.Width
	}
	nb := int(math.Round((end - start) / b.Width))
	numeric := true
	for _, nu := range order {
		if _, err := strconv.ParseInt(nu.id, 10, 64); err != nil {
			numeric = false
		}
	}
	slices.SortFunc(order, func(a, c *spikeNeuron) int {
		if numeric {
			x, _ := strconv.ParseInt(a.id, 10, 64)
			y, _ := strconv.ParseInt(c.id, 10, 64)
			return cmpInt(x, y)
		}
		return strings.Compare(a.id, c.id)
	})
	out := make([]*PSTH, 0, len(order))
	for _, nu := range order {
		p := &PSTH{Name: nu.id, Trials: b.Trials, Time: make([]float64, nb), Count: make([]float64, nb), BinWidth: b.Width}
		if p.Trials == 0 {
			p.Trials = len(nu.trials)
		}
		for i := range p.Time {
			p.Time[i] = start + (float64(i)+0.5)*b.Width
		}
		in := 0
		for _, tm := range nu.times {
			if tm < start || tm >= end {
				continue
			}
			j := min(int((tm-start)/b.Width), nb-1)
			p.Count[j]++
			in++
		}
		if in == 0 {
			return nil, fmt.Errorf("%w: %s: neuron %s has no spikes in the window [%v, %v) s", ErrInput, nu.where, nu.id, start, end)
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInput, name, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// InputOptions are the settings ReadInput needs beyond the bytes.
type InputOptions struct {
	Format Format // "" sniffs it (SniffFormat)
	// Trials is the number of trials: required for counts, an override for
	// spikes and BarsP files (0 keeps the file's).
	Trials  int
	Binning Binning // for spike times
}

// ReadInput reads every PSTH of a file in any format. name is the file's
// path, for messages and the format's guess; single-PSTH formats name the
// PSTH after the file's base name without extension.
func ReadInput(r io.Reader, name string, opt InputOptions) ([]*PSTH, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f := opt.Format
	if f == "" {
		if f, err = SniffFormat(name, data); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInput, err)
		}
	}
	base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	var ps []*PSTH
	switch f {
	case FormatBarsP:
		p, err := ReadBarsP(bytes.NewReader(data), name)
		if err != nil {
			return nil, err
		}
		if opt.Trials > 0 {
			p.Trials = opt.Trials
		}
		ps = []*PSTH{p}
	case FormatCounts:
		p, err := ReadCounts(bytes.NewReader(data), name, opt.Trials)
		if err != nil {
			return nil, err
		}
		ps = []*PSTH{p}
	case FormatSpikes:
		b := opt.Binning
		if opt.Trials > 0 {
			b.Trials = opt.Trials
		}
		if isParquet(data) {
			return ReadSpikesParquet(data, name, b)
		}
		return ReadSpikes(bytes.NewReader(data), name, b)
	default:
		return nil, fmt.Errorf("unknown input format %q", f)
	}
	ps[0].Name = base
	return ps, nil
}
