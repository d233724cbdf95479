package bars

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestReadCounts(t *testing.T) {
	for _, in := range []string{
		"time,count\n0.005,1\n0.015,0\n0.025,3\n0.035,2\n",
		"# a comment\ntime\tcount\n0.005\t1\n0.015\t0\n\n0.025\t3\n0.035\t2\n",
		"count,time_s\n1,0.005\n0,0.015\n3,0.025\n2,0.035\n",
		"0.005 1\n0.015 0\n0.025 3\n0.035 2.0\n",
	} {
		p, err := ReadCounts(strings.NewReader(in), "x.csv", 5)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if p.Bins() != 4 || p.Count[2] != 3 || p.Trials != 5 || p.Time[1] != 0.015 || p.BinWidth < 0.00999 || p.BinWidth > 0.01001 {
			t.Errorf("%q: got %+v", in, p)
		}
	}
}

// TestReadCountsErrors checks that every malformed input names the file
// and, where there is one, the line.
func TestReadCountsErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "x.csv: empty file"},
		{"# only a comment\n", "x.csv: empty file"},
		{"time,count,extra\n0.005,1\n", "x.csv:2: 2 fields, but the header or first row has 3"},
		{"time,foo\n0.005,1\n", "x.csv:1: header"},
		{"0.005,1\n0.015,-1\n", "x.csv:2: count \"-1\" is not a non-negative integer"},
		{"0.005,1\n0.015,1.5\n", "x.csv:2: count \"1.5\" is not a non-negative integer"},
		{"0.005,1\n0.015,NaN\n", "x.csv:2: count \"NaN\" is not a finite number"},
		{"0.005,1\nNaN,1\n", "x.csv:2: time \"NaN\" is not a finite number"},
		{"0.005,1\n0.015,1\n0.035,1\n", "x.csv:3: bin at 0.035 s is 0.02 s after"},
		{"0.005,1\n0.015,1\n0.010,1\n", "x.csv:3: time 0.01 does not increase"},
		{"0.005,0\n0.015,0\n0.025,0\n0.035,0\n", "x.csv: no spikes"},
		{"0.005,1\n0.015,1\n", "x.csv: 2 bins"},
	} {
		_, err := ReadCounts(strings.NewReader(c.in), "x.csv", 3)
		if err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.in, err, c.want)
		}
	}
	if _, err := ReadCounts(strings.NewReader("0.005,1\n"), "x.csv", 0); err == nil || !strings.Contains(err.Error(), "--trials") {
		t.Errorf("no trials: error %v", err)
	}
}

func TestReadSpikes(t *testing.T) {
	in := "# neuron\ttrial\ttime_s\n2\t1\t0.01\n2\t1\t0.33\n10\t1\t0.05\n2\t2\t0.02\n2\t2\t0.5\n10\t3\t0.99\n10\t3\t1.7\n"
	ps, err := ReadSpikes(strings.NewReader(in), "s.tsv", Binning{Width: 0.1, Start: 0, End: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Name != "2" || ps[1].Name != "10" {
		t.Fatalf("neurons %v, want 2 then 10 (numeric order)", ps)
	}
	if p := ps[0]; p.Bins() != 10 || p.Trials != 2 || p.Count[0] != 2 || p.Count[3] != 1 || p.Count[5] != 1 || p.Time[0] != 0.05 {
		t.Errorf("neuron 2: %+v", p)
	}
	if p := ps[1]; p.Trials != 2 || p.Count[0] != 1 || p.Count[9] != 1 {
		t.Errorf("neuron 10 (1.7 s is outside the window): %+v", p)
	}
	// Header with named columns in another order, a trials override and
	// the window from the data.
	in = "time_s,neuron,trial\n0.01,a,1\n0.21,a,1\n0.45,a,2\n"
	ps, err = ReadSpikes(strings.NewReader(in), "s.csv", Binning{Width: 0.1, Trials: 7})
	if err != nil {
		t.Fatal(err)
	}
	if p := ps[0]; p.Bins() != 5 || p.Trials != 7 || p.Count[4] != 1 {
		t.Errorf("%+v", p)
	}
}

func TestReadSpikesErrors(t *testing.T) {
	b := Binning{Width: 0.1, Start: 0, End: 1}
	for _, c := range []struct{ in, want string }{
		{"", "s.tsv: empty file"},
		{"neuron\ttrial\ttime\n", "s.tsv: header but no spike rows"},
		{"1\t1\t0.1\n1\t1\n", "s.tsv:2: 2 fields"},
		{"neuron\ttrial\n1\t1\n", "s.tsv:1: header"},
		{"1\t1\t0.1\n1\t1\tNaN\n", "s.tsv:2: time \"NaN\" is not a finite number"},
		{"1\t1\t0.5\n1\t1\t0.2\n", "s.tsv:2: spike time 0.2 s of neuron 1, trial 1 comes after 0.5 s"},
		{"1\t1\t0.5\n2\t1\t3.5\n", "s.tsv:2: neuron 2 has no spikes in the window"},
		{"1 1\n", "s.tsv:1: 2 columns; want 3"},
	} {
		_, err := ReadSpikes(strings.NewReader(c.in), "s.tsv", b)
		if err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.in, err, c.want)
		}
	}
	if _, err := ReadSpikes(strings.NewReader("1\t1\t0.1\n"), "s.tsv", Binning{Width: 0.03, End: 1}); err == nil || !strings.Contains(err.Error(), "whole number") {
		t.Errorf("window not a multiple of the bin: %v", err)
	}
}

func TestReadSpikesSTAR(t *testing.T) {
	ps, err := ReadInput(mustOpen(t, "testdata/star_e070528citronellal_spikes.tsv"), "star.tsv", InputOptions{Binning: Binning{Width: 0.05, Start: 5, End: 9}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 4 {
		t.Fatalf("%d neurons, want 4", len(ps))
	}
	for _, p := range ps {
		if p.Trials != 15 || p.Bins() != 80 {
			t.Errorf("neuron %s: %d trials, %d bins; want 15 and 80", p.Name, p.Trials, p.Bins())
		}
	}
}

func TestSniffFormat(t *testing.T) {
	example, err := os.ReadFile("testdata/bars_example.data")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, in string
		want     Format
	}{
		{"a.txt", string(example), FormatBarsP},
		{"a.data", "", FormatBarsP},
		{"a.txt", "3 10\n0.005 1\n0.015 2\n0.025 0\n", FormatBarsP},
		{"a.txt", "1 5\n2 5\n3 1\n", FormatCounts},
		{"a.csv", "time,count\n0.005,1\n", FormatCounts},
		{"a.csv", "0.005,1\n", FormatCounts},
		{"a.tsv", "# neuron\ttrial\ttime_s\n1\t1\t0.2\n", FormatSpikes},
		{"a.csv", "1,1,0.2\n", FormatSpikes},
	} {
		got, err := SniffFormat(c.name, []byte(c.in))
		if err != nil || got != c.want {
			t.Errorf("%s %q: %v %v, want %v", c.name, c.in[:min(len(c.in), 20)], got, err, c.want)
		}
	}
	if _, err := SniffFormat("a.txt", []byte("\n# nothing\n")); err == nil {
		t.Error("empty file: no error")
	}
}

// checkParsed is what every parser guarantees on success: PSTHs that
// satisfy Validate; on failure, an ErrInput naming the file.
func checkParsed(t *testing.T, ps []*PSTH, err error, name string) {
	if err != nil {
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), name) {
			t.Fatalf("error %q is not an ErrInput naming %s", err, name)
		}
		return
	}
	if len(ps) == 0 {
		t.Fatal("no PSTH and no error")
	}
	for _, p := range ps {
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed PSTH fails Validate: %v", err)
		}
	}
}

func FuzzReadCounts(f *testing.F) {
	f.Add([]byte("time,count\n0.005,1\n0.015,0\n0.025,3\n0.035,2\n"))
	f.Add([]byte("0.005\t1\n0.015\t1\n0.035\t1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ReadCounts(strings.NewReader(string(b)), "f.csv", 3)
		var ps []*PSTH
		if p != nil {
			ps = append(ps, p)
		}
		checkParsed(t, ps, err, "f.csv")
	})
}

func FuzzReadSpikes(f *testing.F) {
	f.Add([]byte("# neuron\ttrial\ttime_s\n1\t1\t0.01\n1\t2\t0.33\n2\t1\t0.05\n"), 0.1)
	f.Add([]byte("time_s,neuron,trial\n0.01,a,1\n0.21,a,1\n"), 0.05)
	f.Fuzz(func(t *testing.T, b []byte, width float64) {
		if !(width >= 1e-3) || width > 10 {
			return // the flag's range; tiny widths only test memory
		}
		ps, err := ReadSpikes(strings.NewReader(string(b)), "f.tsv", Binning{Width: width})
		if err != nil && strings.Contains(err.Error(), "more than") {
			return // too many bins: refused, as it should be
		}
		checkParsed(t, ps, err, "f.tsv")
	})
}

func FuzzReadBarsP(f *testing.F) {
	f.Add([]byte("4 10\n0.005 1\n0.015 0\n0.025 3\n0.035 2\n"))
	f.Add([]byte("2 1\n0 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ReadBarsP(strings.NewReader(string(b)), "f.data")
		var ps []*PSTH
		if p != nil {
			ps = append(ps, p)
		}
		checkParsed(t, ps, err, "f.data")
	})
}

func FuzzSniffAndRead(f *testing.F) {
	f.Add([]byte("110 60\n0.000 0\n0.010 1\n0.020 0\n0.030 2\n"))
	f.Add([]byte("1,1,0.2\n1,2,0.4\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := ReadInput(strings.NewReader(string(b)), "f.txt", InputOptions{Trials: 2, Binning: Binning{Width: 0.01, End: 1}})
		checkParsed(t, ps, err, "f.txt")
	})
}
