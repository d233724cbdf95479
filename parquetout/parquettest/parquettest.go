// Package parquettest reads Parquet files with an implementation neurogfn
// did not write (apache/arrow-go's parquet/file and parquet/pqarrow) and
// checks them against the conventions of package parquetout. Apps use it in
// their tests to check their tables the way Python readers will see them.
//
// It is meant for tests only: importing it links arrow-go.
package parquettest

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/neurogfn/neurogfn/parquetout"
)

// Table is a Parquet file as arrow-go reads it.
type Table struct {
	Path      string
	Schema    *arrow.Schema
	Rows      int64
	RowGroups []int64           // rows per row group
	Footer    map[string]string // key-value metadata
	CreatedBy string
	// Compression and Encodings per column path (dot-joined), over all row
	// groups.
	Compression map[string][]compress.Compression
	Encodings   map[string][]parquet.Encoding
	// Dictionary says whether every chunk of the column has a dictionary
	// page.
	Dictionary map[string]bool

	cols map[string]arrow.Array
}

// Read reads the file at path completely with arrow-go, failing t on any
// error.
func Read(t testing.TB, path string) *Table {
	t.Helper()
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatalf("arrow-go cannot open %s: %v", path, err)
	}
	defer rdr.Close()
	md := rdr.MetaData()
	tb := &Table{
		Path: path, Rows: md.NumRows, Footer: map[string]string{}, CreatedBy: md.GetCreatedBy(),
		Compression: map[string][]compress.Compression{}, Encodings: map[string][]parquet.Encoding{},
		Dictionary: map[string]bool{}, cols: map[string]arrow.Array{},
	}
	kv := md.KeyValueMetadata()
	for i, k := range kv.Keys() {
		tb.Footer[k] = kv.Values()[i]
	}
	for g := range md.NumRowGroups() {
		rg := md.RowGroup(g)
		tb.RowGroups = append(tb.RowGroups, rg.NumRows())
		for c := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				t.Fatalf("%s: row group %d column %d: %v", path, g, c, err)
			}
			name := cc.PathInSchema().String()
			if !slices.Contains(tb.Compression[name], cc.Compression()) {
				tb.Compression[name] = append(tb.Compression[name], cc.Compression())
			}
			for _, e := range cc.Encodings() {
				if !slices.Contains(tb.Encodings[name], e) {
					tb.Encodings[name] = append(tb.Encodings[name], e)
				}
			}
			d, seen := tb.Dictionary[name]
			tb.Dictionary[name] = cc.HasDictionaryPage() && (d || !seen)
		}
	}
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("pqarrow cannot read %s: %v", path, err)
	}
	tab, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatalf("pqarrow cannot read %s: %v", path, err)
	}
	defer tab.Release()
	tb.Schema = tab.Schema()
	if tab.NumRows() != md.NumRows {
		t.Fatalf("%s: arrow table has %d rows, footer says %d", path, tab.NumRows(), md.NumRows)
	}
	for i, f := range tb.Schema.Fields() {
		arr, err := array.Concatenate(tab.Column(i).Data().Chunks(), memory.DefaultAllocator)
		if err != nil {
			t.Fatalf("%s: column %s: %v", path, f.Name, err)
		}
		tb.cols[f.Name] = arr
	}
	return tb
}

// Column returns the column name as an arrow array, failing t if it is
// missing.
func (tb *Table) Column(t testing.TB, name string) arrow.Array {
	t.Helper()
	a, ok := tb.cols[name]
	if !ok {
		t.Fatalf("%s has no column %q (columns: %v)", tb.Path, name, tb.Schema)
	}
	return a
}

// Float64s returns a double column.
func (tb *Table) Float64s(t testing.TB, name string) []float64 {
	t.Helper()
	a, ok := tb.Column(t, name).(*array.Float64)
	if !ok {
		t.Fatalf("%s: column %s is %s, want double", tb.Path, name, tb.Column(t, name).DataType())
	}
	return a.Float64Values()
}

// Int64s returns an int64 column.
func (tb *Table) Int64s(t testing.TB, name string) []int64 {
	t.Helper()
	a, ok := tb.Column(t, name).(*array.Int64)
	if !ok {
		t.Fatalf("%s: column %s is %s, want int64", tb.Path, name, tb.Column(t, name).DataType())
	}
	return a.Int64Values()
}

// Int32s returns an int32 column.
func (tb *Table) Int32s(t testing.TB, name string) []int32 {
	t.Helper()
	a, ok := tb.Column(t, name).(*array.Int32)
	if !ok {
		t.Fatalf("%s: column %s is %s, want int32", tb.Path, name, tb.Column(t, name).DataType())
	}
	return a.Int32Values()
}

// Strings returns a string column (plain or dictionary array).
func (tb *Table) Strings(t testing.TB, name string) []string {
	t.Helper()
	switch a := tb.Column(t, name).(type) {
	case *array.String:
		out := make([]string, a.Len())
		for i := range out {
			out[i] = a.Value(i)
		}
		return out
	case *array.Dictionary:
		dict, ok := a.Dictionary().(*array.String)
		if !ok {
			t.Fatalf("%s: column %s is %s, want strings", tb.Path, name, a.DataType())
		}
		out := make([]string, a.Len())
		for i := range out {
			out[i] = dict.Value(a.GetValueIndex(i))
		}
		return out
	default:
		t.Fatalf("%s: column %s is %s, want strings", tb.Path, name, a.DataType())
		return nil
	}
}

// Check reads the file at path and fails t where it breaks the conventions
// of package parquetout: every column chunk zstd-compressed, every string
// column dictionary-encoded, no nullable numeric column, lists as arrow
// lists, every footer key of parquetout.FooterKeys present, the schema
// version current and the table name table. It returns the table for
// further checks.
func Check(t testing.TB, path, table string) *Table {
	t.Helper()
	tb := Read(t, path)
	for name, cs := range tb.Compression {
		if len(cs) != 1 || cs[0] != compress.Codecs.Zstd {
			t.Errorf("%s: column %s compression %v, want zstd", path, name, cs)
		}
	}
	for _, f := range tb.Schema.Fields() {
		checkField(t, tb, f, f.Name)
	}
	for _, k := range parquetout.FooterKeys {
		if _, ok := tb.Footer[k]; !ok {
			t.Errorf("%s: footer lacks key %q", path, k)
		}
	}
	if v := tb.Footer[parquetout.KeySchemaVersion]; v != parquetout.SchemaVersion {
		t.Errorf("%s: schema_version %q, want %q", path, v, parquetout.SchemaVersion)
	}
	if v := tb.Footer[parquetout.KeyTable]; v != table {
		t.Errorf("%s: table %q, want %q", path, v, table)
	}
	return tb
}

func checkField(t testing.TB, tb *Table, f arrow.Field, path string) {
	t.Helper()
	switch dt := f.Type.(type) {
	case *arrow.StringType, *arrow.DictionaryType:
		if !tb.Dictionary[path] || !slices.Contains(tb.Encodings[path], parquet.Encodings.RLEDict) {
			t.Errorf("%s: string column %s is not dictionary-encoded (encodings %v)", tb.Path, path, tb.Encodings[path])
		}
	case *arrow.ListType:
		checkField(t, tb, dt.ElemField(), path+".list."+dt.ElemField().Name)
	default:
		if f.Nullable && arrow.IsPrimitive(f.Type.ID()) {
			t.Errorf("%s: numeric column %s is nullable", tb.Path, path)
		}
	}
}
