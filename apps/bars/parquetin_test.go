package bars

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type spikeRow struct {
	Neuron string  `parquet:"neuron,dict"`
	Trial  int32   `parquet:"trial"`
	Time   float64 `parquet:"time_s"`
	Extra  float64 `parquet:"amplitude"`
}

func writeSpikesParquet(t testing.TB, rows []spikeRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[spikeRow](&buf, parquet.MaxRowsPerRowGroup(100))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// starRows reads the STAR spike-time table.
func starRows(t *testing.T) []spikeRow {
	sc := bufio.NewScanner(mustOpen(t, "testdata/star_e070528citronellal_spikes.tsv"))
	var rows []spikeRow
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 || strings.HasPrefix(f[0], "#") || f[0] == "neuron" {
			continue
		}
		tr, err1 := strconv.Atoi(f[1])
		tm, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad test row %q", sc.Text())
		}
		rows = append(rows, spikeRow{Neuron: f[0], Trial: int32(tr), Time: tm, Extra: 1})
	}
	return rows
}

// TestReadSpikesParquet: the same spikes as Parquet (several row groups,
// a dictionary-encoded neuron column, an extra column) give exactly the
// PSTHs of the TSV reader, through ReadInput's format detection.
func TestReadSpikesParquet(t *testing.T) {
	rows := starRows(t)
	data := writeSpikesParquet(t, rows)
	opt := InputOptions{Binning: Binning{Width: 0.05, Start: 5, End: 9}}
	got, err := ReadInput(bytes.NewReader(data), "star.parquet", opt)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReadInput(mustOpen(t, "testdata/star_e070528citronellal_spikes.tsv"), "star.tsv", opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(got) != 4 {
		t.Fatalf("%d neurons from Parquet, %d from TSV (want 4)", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Trials != w.Trials || !slices.Equal(g.Count, w.Count) || !slices.Equal(g.Time, w.Time) {
			t.Errorf("neuron %d: Parquet %s (%d trials, %v spikes) differs from TSV %s (%d trials)", i, g.Name, g.Trials, sum(g.Count), w.Name, w.Trials)
		}
	}
	// The magic bytes are enough without the extension.
	if ps, err := ReadInput(bytes.NewReader(data), "spikes.bin", opt); err != nil || len(ps) != 4 {
		t.Errorf("Parquet without extension: %d neurons, %v", len(ps), err)
	}
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

func TestReadSpikesParquetErrors(t *testing.T) {
	ok := []spikeRow{{"a", 1, 0.1, 0}, {"a", 1, 0.2, 0}, {"b", 2, 0.3, 0}}
	type noTime struct {
		Neuron string `parquet:"neuron"`
		Trial  int32  `parquet:"trial"`
	}
	type nullable struct {
		Neuron string   `parquet:"neuron"`
		Trial  int32    `parquet:"trial"`
		Time   *float64 `parquet:"time,optional"`
	}
	var b1 bytes.Buffer
	w1 := parquet.NewGenericWriter[noTime](&b1)
	w1.Write([]noTime{{"a", 1}})
	w1.Close()
	var b2 bytes.Buffer
	w2 := parquet.NewGenericWriter[nullable](&b2)
	x := 0.5
	w2.Write([]nullable{{"a", 1, &x}, {"a", 2, nil}})
	w2.Close()
	for _, c := range []struct {
		what string
		data []byte
		want string
	}{
		{"unsorted", writeSpikesParquet(t, []spikeRow{{"a", 1, 0.2, 0}, {"a", 1, 0.1, 0}}), "row 2: spike time 0.1 s"},
		{"nan", writeSpikesParquet(t, []spikeRow{{"a", 1, 0.2, 0}, {"a", 1, math.NaN(), 0}}), "row 2: time NaN is not a finite number"},
		{"empty label", writeSpikesParquet(t, []spikeRow{{"", 1, 0.2, 0}}), "row 1: empty neuron"},
		{"no rows", writeSpikesParquet(t, nil), "empty file"},
		{"no time column", b1.Bytes(), "no column time"},
		{"null time", b2.Bytes(), "row 2: time is missing"},
		{"truncated", writeSpikesParquet(t, ok)[:40], "not a readable Parquet file"},
	} {
		_, err := ReadSpikesParquet(c.data, "s.parquet", Binning{Width: 0.1})
		if err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "s.parquet") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want an ErrInput naming s.parquet and %q", c.what, err, c.want)
		}
	}
	// A neuron with no spike in the window names its first row.
	_, err := ReadSpikesParquet(writeSpikesParquet(t, ok), "s.parquet", Binning{Width: 0.05, Start: 0, End: 0.25})
	if err == nil || !strings.Contains(err.Error(), "s.parquet: row 3: neuron b has no spikes") {
		t.Errorf("neuron outside the window: %v", err)
	}
}

func FuzzReadSpikesParquet(f *testing.F) {
	f.Add(writeSpikesParquet(f, []spikeRow{{"1", 1, 0.01, 0}, {"1", 2, 0.33, 0}, {"2", 1, 0.05, 0}}))
	f.Add(writeSpikesParquet(f, []spikeRow{{"a", 1, 0.01, 0}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := ReadSpikesParquet(b, "f.parquet", Binning{Width: 0.01, End: 1})
		checkParsed(t, ps, err, "f.parquet")
	})
}
