package connectome

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestSpikesRoundTrip(t *testing.T) {
	in := []Spike{{0, 0}, {3, 0.0001}, {1, 0.12345678901234567}, {2, 1e-7 + 0.5}}
	for _, sep := range []rune{'\t', ','} {
		var b bytes.Buffer
		if err := WriteSpikes(&b, in, sep); err != nil {
			t.Fatal(err)
		}
		out, err := ReadSpikes(&b, "x", 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != len(in) {
			t.Fatalf("%d spikes back, want %d", len(out), len(in))
		}
		for k := range in {
			if in[k] != out[k] {
				t.Errorf("spike %d: %v, want %v", k, out[k], in[k])
			}
		}
	}
}

func TestSpikeErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"", "f.tsv:1: malformed table: empty file"},
		{"neuron\tt\n0\t0.1\n1\t0.05\n", "f.tsv:3: malformed table: spikes are not sorted by time"},
		{"neuron,time\n0,0.1\nx,0.2\n", `f.tsv:3: malformed table: neuron "x" is not a neuron id`},
		{"neuron,time\n0,NaN\n", "f.tsv:2: malformed table: time is NaN"},
		{"neuron,time\n# comment\n\n9,0.1\n", "f.tsv:4: malformed table: unknown neuron 9 (the network has 5 neurons"},
		{"neuron,time\n0,0.1,3\n", "f.tsv:2: malformed table: 3 fields, the header has 2"},
		{"id,time\n", `f.tsv:1: malformed table: header "id,time" lacks column "neuron"`},
		{"neuron,time\n-1,0.1\n", `f.tsv:2: malformed table: neuron "-1" is not a neuron id`},
		{"neuron,time\n1,-0.1\n", `f.tsv:2: malformed table: negative time -0.1 s`},
	}
	for _, c := range cases {
		_, err := ReadSpikes(strings.NewReader(c.text), "f.tsv", 5)
		var le *LineError
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || !errors.As(err, &le) || !errors.Is(err, ErrFormat) {
			t.Errorf("%q: error %v, want prefix %q", c.text, err, c.want)
		}
	}
}

func TestNetworkRoundTrip(t *testing.T) {
	net := &Network{N: 4, Excitatory: []bool{true, false, true, true},
		Edges: []Edge{{0, 1, 1.62, 0}, {1, 0, -9, 1.5}, {2, 3, 0.3333333333333333, 0.1}}}
	var b bytes.Buffer
	if err := WriteNetwork(&b, net, ','); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	got, err := ReadNetwork(&b, "e.csv", 4)
	if err != nil {
		t.Fatal(err)
	}
	if got.N != 4 || len(got.Edges) != 3 {
		t.Fatalf("got %+v", got)
	}
	if !strings.HasPrefix(text, "pre,post,weight,delay_ms\n") {
		t.Errorf("header: %q", text)
	}
	for k := range net.Edges {
		if got.Edges[k] != net.Edges[k] {
			t.Errorf("edge %d: %v, want %v", k, got.Edges[k], net.Edges[k])
		}
	}
	if got.Excitatory[1] || !got.Excitatory[0] {
		t.Errorf("types %v", got.Excitatory)
	}
}

func TestNetworkErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"pre\tpost\tweight\tdelay\n0\t7\t1\t0\n", "e.tsv:2: malformed table: unknown neuron 7"},
		{"pre,post,weight,delay\n0,1,1,-0.5\n", "e.tsv:2: malformed table: negative delay -0.5 ms"},
		{"pre,post,weight,delay\n0,1,nan,0\n", "e.tsv:2: malformed table: weight is nan"},
		{"pre,post,weight,delay\n0,1,1,0\n0,2,-1,0\n", "e.tsv:3: malformed table: neuron 0 has excitatory and inhibitory outputs (Dale's law; first sign on line 2)"},
		{"pre,post,weight\n", `e.tsv:1: malformed table: header "pre,post,weight" lacks column "delay_ms"`},
		{"pre,post,weight,delay_ms\n0,1,1,-2\n", "e.tsv:2: malformed table: negative delay -2 ms"},
		{"pre,post,weight,delay\n0,1,1e999,0\n", `e.tsv:2: malformed table: weight "1e999" is not a number`},
	}
	for _, c := range cases {
		_, err := ReadNetwork(strings.NewReader(c.text), "e.tsv", 5)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %v, want prefix %q", c.text, err, c.want)
		}
	}
}

// FuzzReadSpikes: the reader never panics, and what it accepts is sorted,
// finite, non-negative and survives a write/read round trip.
func FuzzReadSpikes(f *testing.F) {
	for _, s := range []string{"neuron\ttime\n0\t0.1\n1\t0.2\n", "neuron,time\n0,0\n", "neuron,t\n# c\n\n3,1e-3\r\n", "neuron,time\n1,0.2\n0,0.1\n", "x", "neuron,time\n0,inf\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ReadSpikes(strings.NewReader(s), "fuzz", 0)
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) || le.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for k, x := range sp {
			if x.Neuron < 0 || x.T < 0 || math.IsNaN(x.T) || math.IsInf(x.T, 0) || k > 0 && x.T < sp[k-1].T {
				t.Fatalf("accepted bad spike %v", x)
			}
		}
		var b bytes.Buffer
		WriteSpikes(&b, sp, '\t')
		back, err := ReadSpikes(&b, "again", 0)
		if err != nil || len(back) != len(sp) {
			t.Fatalf("round trip: %v, %d vs %d", err, len(back), len(sp))
		}
	})
}

// FuzzReadNetwork: the reader never panics, and what it accepts is a valid
// network that survives a write/read round trip.
func FuzzReadNetwork(f *testing.F) {
	for _, s := range []string{"pre,post,weight,delay\n0,1,1.5,0\n1,0,-2,1\n", "pre\tpost\tweight\tdelay\n2\t2\t0\t0.1\n", "pre,post,weight,delay\n0,1,1,-1\n", "pre,post,weight,delay\n"} {
		f.Add(s, 0)
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n > 1000 {
			n = 1000
		}
		net, err := ReadNetwork(strings.NewReader(s), "fuzz", n)
		if err != nil {
			return
		}
		if net.N > 1<<20 {
			return
		}
		if err := net.Validate(); err != nil {
			t.Fatalf("accepted invalid network: %v", err)
		}
		var b bytes.Buffer
		WriteNetwork(&b, net, ',')
		back, err := ReadNetwork(&b, "again", net.N)
		if err != nil || len(back.Edges) != len(net.Edges) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
