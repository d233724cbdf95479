package bars

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// PSTH is a peri-stimulus time histogram: spike counts in equal-width bins,
// pooled over trials.
type PSTH struct {
	Name     string    // neuron or file name, for messages and outputs
	Time     []float64 // bin centres (s), increasing, equally spaced
	Count    []float64 // spike counts summed over trials (non-negative integers)
	Trials   int
	BinWidth float64 // s
}

// Bins is the number of bins n.
func (p *PSTH) Bins() int { return len(p.Time) }

// Start and End are the outer bin edges (s).
func (p *PSTH) Start() float64 { return p.Time[0] - p.BinWidth/2 }

// End is the right edge of the last bin (s).
func (p *PSTH) End() float64 { return p.Time[len(p.Time)-1] + p.BinWidth/2 }

// ToUnit maps a time (s) to BARS's unit interval: the outer bin edges go to
// 0 and 1.
func (p *PSTH) ToUnit(t float64) float64 { return (t - p.Start()) / (p.End() - p.Start()) }

// FromUnit maps x in [0, 1] back to seconds.
func (p *PSTH) FromUnit(x float64) float64 { return p.Start() + x*(p.End()-p.Start()) }

// Unit returns the bin centres on the unit interval.
func (p *PSTH) Unit() []float64 {
	xs := make([]float64, len(p.Time))
	for i, t := range p.Time {
		xs[i] = p.ToUnit(t)
	}
	return xs
}

// RateScale converts a mean count per bin to spikes/s: 1/(trials * width).
func (p *PSTH) RateScale() float64 { return 1 / (float64(p.Trials) * p.BinWidth) }

// Validate checks what BARS needs: at least 4 bins, equally spaced
// increasing centres, non-negative integer counts, a positive number of
// trials, and at least one spike.
func (p *PSTH) Validate() error {
	n := len(p.Time)
	if n != len(p.Count) {
		return fmt.Errorf("%s: %d times but %d counts", p.Name, n, len(p.Count))
	}
	if n < 4 {
		return fmt.Errorf("%s: %d bins; BARS needs at least 4", p.Name, n)
	}
	if p.Trials < 1 {
		return fmt.Errorf("%s: %d trials; need at least 1", p.Name, p.Trials)
	}
	w := (p.Time[n-1] - p.Time[0]) / float64(n-1)
	if !(w > 0) {
		return fmt.Errorf("%s: bin times do not increase", p.Name)
	}
	var total float64
	for i, t := range p.Time {
		if math.Abs(t-(p.Time[0]+float64(i)*w)) > 1e-6*w+1e-9 {
			return fmt.Errorf("%s: bin %d at %v s breaks the equal spacing of %v s; BARS needs equal-width bins", p.Name, i+1, t, w)
		}
		c := p.Count[i]
		if !(c >= 0) || c != math.Trunc(c) || math.IsInf(c, 0) {
			return fmt.Errorf("%s: bin %d has count %v; counts must be non-negative integers", p.Name, i+1, c)
		}
		total += c
	}
	if total == 0 {
		return fmt.Errorf("%s: no spikes", p.Name)
	}
	p.BinWidth = w
	return nil
}

// ErrInput marks malformed input files.
var ErrInput = errors.New("bad input")

func lineErr(name string, line int, format string, args ...any) error {
	return fmt.Errorf("%w: %s:%d: %s", ErrInput, name, line, fmt.Sprintf(format, args...))
}

// ReadBarsP reads the BarsP text format: a first line "nbins ntrials", then
// one line "t count" per bin (t the bin centre in s). Blank lines are
// ignored. name is used in error messages.
func ReadBarsP(r io.Reader, name string) (*PSTH, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	p := &PSTH{Name: name}
	line, nbins := 0, -1
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if nbins < 0 {
			if len(f) != 2 {
				return nil, lineErr(name, line, "header has %d fields; want \"nbins ntrials\"", len(f))
			}
			nb, err1 := strconv.Atoi(f[0])
			nt, err2 := strconv.Atoi(f[1])
			if err1 != nil || err2 != nil || nb < 1 || nt < 1 {
				return nil, lineErr(name, line, "header %q is not two positive integers \"nbins ntrials\"", sc.Text())
			}
			nbins, p.Trials = nb, nt
			continue
		}
		if len(f) != 2 {
			return nil, lineErr(name, line, "%d fields; want \"time count\"", len(f))
		}
		t, err := strconv.ParseFloat(f[0], 64)
		if err != nil || math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, lineErr(name, line, "time %q is not a finite number", f[0])
		}
		c, err := strconv.ParseFloat(f[1], 64)
		if err != nil || !(c >= 0) || c != math.Trunc(c) || math.IsInf(c, 0) {
			return nil, lineErr(name, line, "count %q is not a non-negative integer", f[1])
		}
		if n := len(p.Time); n > 0 && !(t > p.Time[n-1]) {
			return nil, lineErr(name, line, "time %v does not increase (previous %v)", t, p.Time[n-1])
		}
		p.Time = append(p.Time, t)
		p.Count = append(p.Count, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if nbins < 0 {
		return nil, fmt.Errorf("%w: %s: empty file", ErrInput, name)
	}
	if len(p.Time) != nbins {
		return nil, fmt.Errorf("%w: %s: header says %d bins, file has %d", ErrInput, name, nbins, len(p.Time))
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	return p, nil
}
