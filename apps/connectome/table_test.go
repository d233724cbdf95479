package connectome

import (
	"bytes"
	"cmp"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neurogfn/neurogfn/parquetout"
	"github.com/neurogfn/neurogfn/parquetout/parquettest"
	"github.com/parquet-go/parquet-go"
)

func testMeta(table string, neurons string) parquetout.Meta {
	return parquetout.Meta{Tool: "neurogfn", Version: "test", Table: table, Created: time.Unix(0, 0),
		Extra: map[string]string{FooterNeurons: neurons}}
}

// TestParquetRoundTrip writes spike and edge tables with parquetout, checks
// them with arrow-go (the conventions and the values Python readers see)
// and reads them back through the files' readers.
func TestParquetRoundTrip(t *testing.T) {
	dir := t.TempDir()
	spikes := []Spike{{0, 0}, {3, 0.0001}, {1, 0.12345678901234567}, {2, 1e-7 + 0.5}, {2, 0.75}}
	sp := filepath.Join(dir, "spikes.parquet")
	if err := parquetout.WriteFile(sp, SpikeRows(spikes), testMeta(TableSpikes, "6"), parquetout.Options{}); err != nil {
		t.Fatal(err)
	}
	tb := parquettest.Check(t, sp, TableSpikes)
	ids, ts := tb.Int32s(t, "neuron"), tb.Float64s(t, "time_s")
	for k, s := range spikes {
		if int(ids[k]) != s.Neuron || ts[k] != s.T {
			t.Errorf("arrow row %d: %d %v, want %v", k, ids[k], ts[k], s)
		}
	}
	got, err := ReadSpikesFile(sp, 6)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(spikes) {
		t.Fatalf("%d spikes back, want %d", len(got), len(spikes))
	}
	for k := range spikes {
		if got[k] != spikes[k] {
			t.Errorf("spike %d: %v, want %v", k, got[k], spikes[k])
		}
	}

	// Neuron 5 has no synapse: the footer keeps the network size.
	net := &Network{N: 6, Excitatory: []bool{true, false, true, true, true, true},
		Edges: []Edge{{0, 1, 1.62, 0}, {1, 0, -9, 1.5}, {2, 3, 0.3333333333333333, 0.1}}}
	np := filepath.Join(dir, "network.parquet")
	if err := parquetout.WriteFile(np, EdgeRows(net), testMeta(TableNetwork, "6"), parquetout.Options{}); err != nil {
		t.Fatal(err)
	}
	tb = parquettest.Check(t, np, TableNetwork)
	if d := tb.Float64s(t, "delay_ms"); d[1] != 1.5 {
		t.Errorf("delay_ms %v", d)
	}
	gn, err := ReadNetworkFile(np, 0)
	if err != nil {
		t.Fatal(err)
	}
	if gn.N != 6 || len(gn.Edges) != len(net.Edges) || gn.Excitatory[1] {
		t.Fatalf("network back: %+v", gn)
	}
	for k := range net.Edges {
		if gn.Edges[k] != net.Edges[k] {
			t.Errorf("edge %d: %v, want %v", k, gn.Edges[k], net.Edges[k])
		}
	}
}

// TestParquetForeign reads tables as pandas would write them: int64 ids,
// the column names of the text tables, other column orders.
func TestParquetForeign(t *testing.T) {
	dir := t.TempDir()
	type spikeRow struct {
		Time   float64 `parquet:"time"`
		Neuron int64   `parquet:"neuron"`
		Trial  int64   `parquet:"trial"`
	}
	p := filepath.Join(dir, "s.parquet")
	if err := parquet.WriteFile(p, []spikeRow{{0.1, 4, 0}, {0.2, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSpikesFile(p, 5)
	if err != nil || len(got) != 2 || got[0] != (Spike{4, 0.1}) || got[1] != (Spike{0, 0.2}) {
		t.Fatalf("%v, %v", got, err)
	}
	type edgeRow struct {
		Pre    int64   `parquet:"pre"`
		Post   int64   `parquet:"post"`
		Weight float32 `parquet:"weight"`
		Delay  float64 `parquet:"delay"`
	}
	p = filepath.Join(dir, "e.parquet")
	if err := parquet.WriteFile(p, []edgeRow{{0, 2, 0.5, 1}, {1, 0, -2, 0}}); err != nil {
		t.Fatal(err)
	}
	net, err := ReadNetworkFile(p, 0)
	if err != nil || net.N != 3 || net.Edges[0] != (Edge{0, 2, 0.5, 1}) {
		t.Fatalf("%+v, %v", net, err)
	}
}

func TestParquetErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, rows any) string {
		t.Helper()
		p := filepath.Join(dir, name)
		var err error
		switch r := rows.(type) {
		case []SpikeRow:
			err = parquet.WriteFile(p, r)
		case []EdgeRow:
			err = parquet.WriteFile(p, r)
		case []struct {
			Neuron *int32   `parquet:"neuron,optional"`
			TimeS  *float64 `parquet:"time_s,optional"`
		}:
			err = parquet.WriteFile(p, r)
		case []struct {
			Neuron string  `parquet:"neuron"`
			TimeS  float64 `parquet:"time_s"`
		}:
			err = parquet.WriteFile(p, r)
		case string:
			err = os.WriteFile(p, []byte(r), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	one := float64(0.1)
	spikeCases := []struct {
		path, want string
	}{
		{write("unsorted.parquet", []SpikeRow{{0, 0.2}, {1, 0.1}}), "unsorted.parquet: row 2: malformed table: spikes are not sorted by time (0.1 s after 0.2 s)"},
		{write("unknown.parquet", []SpikeRow{{0, 0.1}, {9, 0.2}}), "unknown.parquet: row 2: malformed table: unknown neuron 9 (the network has 5 neurons"},
		{write("negid.parquet", []SpikeRow{{-1, 0.1}}), "negid.parquet: row 1: malformed table: neuron -1 is not a neuron id"},
		{write("nan.parquet", []SpikeRow{{0, 0}, {0, nan()}}), "nan.parquet: row 2: malformed table: time is NaN"},
		{write("null.parquet", []struct {
			Neuron *int32   `parquet:"neuron,optional"`
			TimeS  *float64 `parquet:"time_s,optional"`
		}{{new(int32), &one}, {new(int32), nil}}), "null.parquet: row 2: malformed table: time_s is null"},
		{write("strid.parquet", []struct {
			Neuron string  `parquet:"neuron"`
			TimeS  float64 `parquet:"time_s"`
		}{{"a", 0}}), "strid.parquet: malformed table: column neuron has type STRING, want a number"},
		{write("nocol.parquet", []EdgeRow{{0, 1, 1, 0}}), `nocol.parquet: malformed table: no column "neuron" (columns: pre, post, weight, delay_ms)`},
		{write("text.parquet", "neuron\ttime\n0\t0.1\n"), "text.parquet: malformed table: not a readable Parquet file"},
	}
	for _, c := range spikeCases {
		_, err := ReadSpikesFile(c.path, 5)
		if err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, c.want)) {
			t.Errorf("%s: error %v, want %q", c.path, err, c.want)
		}
	}
	netCases := []struct{ path, want string }{
		{write("negdelay.parquet", []EdgeRow{{0, 1, 1, 0}, {0, 2, 1, -0.5}}), "negdelay.parquet: row 2: malformed table: negative delay -0.5 ms"},
		{write("dale.parquet", []EdgeRow{{0, 1, 1, 0}, {0, 2, -1, 0}}), "dale.parquet: row 2: malformed table: neuron 0 has excitatory and inhibitory outputs (Dale's law; first sign on row 1)"},
		{write("nanw.parquet", []EdgeRow{{0, 1, float64(nan()), 0}}), "nanw.parquet: row 1: malformed table: weight is NaN"},
		{write("post.parquet", []EdgeRow{{0, 7, 1, 0}}), "post.parquet: row 1: malformed table: unknown neuron 7"},
	}
	for _, c := range netCases {
		_, err := ReadNetworkFile(c.path, 5)
		if err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, c.want)) {
			t.Errorf("%s: error %v, want %q", c.path, err, c.want)
		}
	}
}

func nan() float64 { z := 0.0; return z / z }

// FuzzReadSpikesParquet: corrupt Parquet files give errors, never panics,
// and what the reader accepts is sorted, finite and non-negative.
func FuzzReadSpikesParquet(f *testing.F) {
	dir := f.TempDir()
	p := filepath.Join(dir, "seed.parquet")
	if err := parquetout.WriteFile(p, SpikeRows([]Spike{{0, 0.1}, {2, 0.2}, {1, 0.2}}), testMeta(TableSpikes, "3"), parquetout.Options{}); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.parquet")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		sp, err := ReadSpikesFile(p, 0)
		if err != nil {
			return
		}
		for k, s := range sp {
			if s.T < 0 || s.T != s.T || (k > 0 && s.T < sp[k-1].T) || s.Neuron < 0 {
				t.Fatalf("accepted bad spike %d: %v", k, s)
			}
		}
	})
}

// TestRasterBothPopulations: the raster samples both populations even when
// the inhibitory neurons have the highest ids, in two colours.
func TestRasterBothPopulations(t *testing.T) {
	n := 1000
	exc := make([]bool, n)
	var spikes []Spike
	for i := range n {
		exc[i] = i < 800
		spikes = append(spikes, Spike{i, 0.001 * float64(i%97)})
	}
	slices.SortStableFunc(spikes, func(a, b Spike) int { return cmp.Compare(a.T, b.T) })
	var b bytes.Buffer
	if err := (RasterPlot{Title: "t", Neurons: n, From: 0, To: 0.1, Excitatory: exc, PerPopulation: 50}).WritePNG(&b, spikes); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	var seen [2]bool
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			seen[0] = seen[0] || c == colourE
			seen[1] = seen[1] || c == colourI
		}
	}
	if !seen[0] || !seen[1] {
		t.Errorf("colours seen (E, I): %v", seen)
	}
	if err := (RasterPlot{Neurons: 3, From: 0, To: 1, Excitatory: exc}).WritePNG(&b, nil); err == nil {
		t.Error("mismatched types accepted")
	}
}
