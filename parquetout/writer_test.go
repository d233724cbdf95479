package parquetout_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/neurogfn/neurogfn/parquetout"
	"github.com/neurogfn/neurogfn/parquetout/parquettest"
)

func testMeta(table string) parquetout.Meta {
	return parquetout.Meta{
		Tool: "neurogfn", Version: "v0.0.0-test", Commit: "abc123",
		CommandLine: "neurogfn test --seed=7", Seed: 7,
		ConfigYAML: "seed: 7\nloss: tb\n",
		Created:    time.Unix(1700000000, 0),
		Table:      table,
		Extra:      map[string]string{"chain_seed": "99"},
	}
}

// posterior returns draws with zeros in every numeric column somewhere,
// which an optional column would turn into NULL.
func posterior(chains, draws int) []parquetout.PosteriorRow {
	var rows []parquetout.PosteriorRow
	for c := range chains {
		for d := range draws {
			rows = append(rows, parquetout.PosteriorRow{Chain: int32(c), Draw: int64(d), Param: "k", Dim: -1, Value: float64(d % 3)})
			for i := range d % 4 {
				rows = append(rows, parquetout.PosteriorRow{Chain: int32(c), Draw: int64(d), Param: "t", Dim: int32(i), Value: float64(i) / 4})
			}
		}
	}
	return rows
}

func TestPosteriorReadByArrow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "posterior.parquet")
	rows := posterior(3, 1000)
	if err := parquetout.WriteFile(path, rows, testMeta(parquetout.TablePosterior), parquetout.Options{RowGroupRows: 1000}); err != nil {
		t.Fatal(err)
	}
	tb := parquettest.Check(t, path, parquetout.TablePosterior)
	if tb.Rows != int64(len(rows)) {
		t.Fatalf("%d rows, want %d", tb.Rows, len(rows))
	}
	want := []struct {
		name string
		typ  arrow.Type
	}{{"chain", arrow.INT32}, {"draw", arrow.INT64}, {"param", arrow.STRING}, {"dim", arrow.INT32}, {"value", arrow.FLOAT64}}
	fields := tb.Schema.Fields()
	if len(fields) != len(want) {
		t.Fatalf("schema %v, want %d columns", tb.Schema, len(want))
	}
	for i, w := range want {
		if fields[i].Name != w.name || fields[i].Type.ID() != w.typ || fields[i].Nullable {
			t.Errorf("column %d is %s %s nullable=%v, want %s %s required", i, fields[i].Name, fields[i].Type, fields[i].Nullable, w.name, w.typ)
		}
	}
	// Bounded row groups.
	for _, n := range tb.RowGroups {
		if n > 1000 {
			t.Errorf("row group of %d rows, limit 1000", n)
		}
	}
	if len(tb.RowGroups) < len(rows)/1000 {
		t.Errorf("%d row groups for %d rows", len(tb.RowGroups), len(rows))
	}
	chain, draw, param, dim, value := tb.Int32s(t, "chain"), tb.Int64s(t, "draw"), tb.Strings(t, "param"), tb.Int32s(t, "dim"), tb.Float64s(t, "value")
	for i, r := range rows {
		if chain[i] != r.Chain || draw[i] != r.Draw || param[i] != r.Param || dim[i] != r.Dim || value[i] != r.Value {
			t.Fatalf("row %d: got (%d %d %s %d %g), want %+v", i, chain[i], draw[i], param[i], dim[i], value[i], r)
		}
	}
	m := testMeta(parquetout.TablePosterior)
	for _, kv := range m.KeyValues() {
		if got := tb.Footer[kv[0]]; got != kv[1] {
			t.Errorf("footer %s = %q, want %q", kv[0], got, kv[1])
		}
	}
	if tb.Footer["created_at"] != "2023-11-14T22:13:20Z" || tb.Footer["seed"] != "7" || tb.Footer["chain_seed"] != "99" {
		t.Errorf("footer %v", tb.Footer)
	}
	if tb.CreatedBy != "neurogfn version v0.0.0-test (build abc123)" {
		t.Errorf("created_by %q", tb.CreatedBy)
	}
}

func TestSampleStatsReadByArrow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.parquet")
	rows := []parquetout.SampleStatsRow{
		{Chain: 0, Draw: 0, LogReward: 0, LogPF: -1.5, LogPB: 0, LogWeight: 1.5, TrajLen: 1},
		{Chain: 0, Draw: 1, LogReward: math.Inf(-1), LogPF: -2, LogPB: -0.7, LogWeight: math.Inf(-1), TrajLen: 4},
		{Chain: 1, Draw: 0, LogReward: -3.25, LogPF: 0, LogPB: 0, LogWeight: -3.25, TrajLen: 0},
	}
	if err := parquetout.WriteFile(path, rows, testMeta(parquetout.TableSampleStats), parquetout.Options{}); err != nil {
		t.Fatal(err)
	}
	tb := parquettest.Check(t, path, parquetout.TableSampleStats)
	lr, pf, pb, w, tl := tb.Float64s(t, "log_reward"), tb.Float64s(t, "log_pf"), tb.Float64s(t, "log_pb"), tb.Float64s(t, "log_weight"), tb.Int32s(t, "traj_len")
	for i, r := range rows {
		if lr[i] != r.LogReward || pf[i] != r.LogPF || pb[i] != r.LogPB || w[i] != r.LogWeight || tl[i] != r.TrajLen {
			t.Errorf("row %d: %g %g %g %g %d, want %+v", i, lr[i], pf[i], pb[i], w[i], tl[i], r)
		}
		if tb.Column(t, "log_reward").IsNull(i) {
			t.Errorf("row %d: zero read back as NULL", i)
		}
	}
}

// knotRow has a list column, the shape of a per-draw knot vector.
type knotRow struct {
	Chain int32     `parquet:"chain"`
	Draw  int64     `parquet:"draw"`
	Unit  string    `parquet:"unit,dict"`
	Knots []float64 `parquet:"knots,list"`
}

func TestListColumn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.parquet")
	rows := []knotRow{{0, 0, "s", []float64{0.1, 0.5}}, {0, 1, "s", nil}, {0, 2, "ms", []float64{0, 1, 2}}}
	if err := parquetout.WriteFile(path, rows, testMeta("knots"), parquetout.Options{}); err != nil {
		t.Fatal(err)
	}
	tb := parquettest.Check(t, path, "knots")
	f, _ := tb.Schema.FieldsByName("knots")
	if len(f) != 1 || f[0].Type.ID() != arrow.LIST {
		t.Fatalf("knots column is %v, want list<double>", f)
	}
	if lt := f[0].Type.(*arrow.ListType); lt.Elem().ID() != arrow.FLOAT64 {
		t.Fatalf("knots elements are %s", lt.Elem())
	}
	if got := tb.Strings(t, "unit"); !slices.Equal(got, []string{"s", "s", "ms"}) {
		t.Errorf("unit %v", got)
	}
}

type badRows struct {
	A float64   `parquet:"a,optional"`
	S string    `parquet:"s"`
	L []float64 `parquet:"l"`
}

func TestSchemaConventionsEnforced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.parquet")
	err := parquetout.WriteFile(path, []badRows{{}}, testMeta("bad"), parquetout.Options{})
	if !errors.Is(err, parquetout.ErrSchema) {
		t.Fatalf("got %v, want ErrSchema", err)
	}
	for _, col := range []string{"column a is optional", "column s is a string without dictionary", "column l is repeated"} {
		if !strings.Contains(err.Error(), col) {
			t.Errorf("error %q does not mention %q", err, col)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a refused write left %v", ents)
	}
}

func TestMetaValidate(t *testing.T) {
	m := testMeta("x")
	m.Extra = map[string]string{"seed": "1"}
	if err := parquetout.Encode(&bytes.Buffer{}, []parquetout.PosteriorRow{}, m, parquetout.Options{}); err == nil {
		t.Error("reserved extra key accepted")
	}
	m = testMeta("x")
	m.Created = time.Time{}
	if err := parquetout.Encode(&bytes.Buffer{}, []parquetout.PosteriorRow{}, m, parquetout.Options{}); err == nil {
		t.Error("missing creation time accepted")
	}
}

func TestDeterministicBytes(t *testing.T) {
	rows := posterior(2, 500)
	var a, b bytes.Buffer
	for _, buf := range []*bytes.Buffer{&a, &b} {
		if err := parquetout.Encode(buf, rows, testMeta(parquetout.TablePosterior), parquetout.Options{RowGroupRows: 300}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same rows and metadata gave different bytes")
	}
	m := testMeta(parquetout.TablePosterior)
	m.Created = m.Created.Add(time.Second)
	var c bytes.Buffer
	if err := parquetout.Encode(&c, rows, m, parquetout.Options{RowGroupRows: 300}); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Fatal("creation time does not reach the footer")
	}
}
