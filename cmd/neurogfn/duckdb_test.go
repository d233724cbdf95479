//go:build duckdb

// DuckDB read-back of every table the CLI writes (issue 6: read the tables
// back with an independent implementation). DuckDB's Parquet reader is C++
// and shares no code with parquet-go (the writer) or arrow-go (the readers
// of package parquettest), and it is what many users will query the outputs
// with. It is behind the build tag duckdb because linking DuckDB takes a
// minute or two and needs cgo:
//
//	go test -tags duckdb ./cmd/neurogfn -run DuckDB
//
// The expected columns, DuckDB types, dictionary-encoded columns and footer
// keys are parsed from docs/schema.md, the contract with Python users, not
// taken from the Go row types.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/neurogfn/neurogfn/apps/bars"
	"github.com/neurogfn/neurogfn/apps/connectome"
	"github.com/neurogfn/neurogfn/apps/morphology"
	"github.com/neurogfn/neurogfn/parquetout"
	"github.com/neurogfn/neurogfn/parquetout/parquettest"
)

const schemaDocPath = "../../docs/schema.md"

// docColumn is a column as docs/schema.md documents it, with the type DuckDB
// must give it.
type docColumn struct{ name, duck string }

// docTable is a table's schema block in docs/schema.md.
type docTable struct {
	cols []docColumn
	dict []string // dictionary-encoded columns
}

// docSchema is what the test reads from docs/schema.md.
type docSchema struct {
	tables map[string]docTable
	// Footer keys: common to every file, added by the sample commands, added
	// by bars fit.
	footerAll, footerSample, footerBars []string
	text                                string
}

var (
	docBlockRE = regexp.MustCompile("(?s)<!-- schema:([a-z_]+) -->\n```text\n(.*?)```")
	docFieldRE = regexp.MustCompile(`^required (int32|int64|double|float|boolean|binary) ([a-z_0-9]+)(?: \((.*)\))?;$`)
	docKeyRE   = regexp.MustCompile("^\\| `([a-z_]+)` \\|")
)

// duckType is the DuckDB type of a documented Parquet column.
func duckType(physical, logical string) (string, bool) {
	switch {
	case physical == "int32" && (logical == "" || logical == "INT(32,true)"):
		return "INTEGER", true
	case physical == "int64" && (logical == "" || logical == "INT(64,true)"):
		return "BIGINT", true
	case physical == "double" && logical == "":
		return "DOUBLE", true
	case physical == "float" && logical == "":
		return "FLOAT", true
	case physical == "boolean" && logical == "":
		return "BOOLEAN", true
	case physical == "binary" && logical == "STRING":
		return "VARCHAR", true
	}
	return "", false
}

func readSchemaDoc(t *testing.T) docSchema {
	t.Helper()
	b, err := os.ReadFile(schemaDocPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := docSchema{tables: map[string]docTable{}, text: string(b)}
	for _, m := range docBlockRE.FindAllStringSubmatch(doc.text, -1) {
		var tb docTable
		for _, line := range strings.Split(strings.TrimSpace(m[2]), "\n") {
			line = strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(line, "message ") || line == "}":
			case strings.HasPrefix(line, "dictionary-encoded: "):
				tb.dict = strings.Split(strings.TrimPrefix(line, "dictionary-encoded: "), ", ")
			default:
				f := docFieldRE.FindStringSubmatch(line)
				if f == nil {
					t.Fatalf("%s, table %s: cannot map %q to a DuckDB type; extend duckdb_test.go (lists: LIST types)", schemaDocPath, m[1], line)
				}
				dt, ok := duckType(f[1], f[3])
				if !ok {
					t.Fatalf("%s, table %s: no DuckDB type for %q", schemaDocPath, m[1], line)
				}
				tb.cols = append(tb.cols, docColumn{f[2], dt})
			}
		}
		if len(tb.cols) == 0 {
			t.Fatalf("%s: table %s has no columns", schemaDocPath, m[1])
		}
		doc.tables[m[1]] = tb
	}
	// The footer section: a key table per introductory sentence.
	i := strings.Index(doc.text, "## Footer metadata")
	if i < 0 {
		t.Fatalf("%s has no section \"## Footer metadata\"", schemaDocPath)
	}
	sec := doc.text[i+3:]
	if j := strings.Index(sec, "\n## "); j >= 0 {
		sec = sec[:j]
	}
	intro := ""
	for _, line := range strings.Split(sec, "\n") {
		m := docKeyRE.FindStringSubmatch(line)
		switch {
		case m != nil && strings.Contains(intro, "Every file"):
			doc.footerAll = append(doc.footerAll, m[1])
		case m != nil && strings.Contains(intro, "sample commands"):
			doc.footerSample = append(doc.footerSample, m[1])
		case m != nil && strings.Contains(intro, "bars fit"):
			doc.footerBars = append(doc.footerBars, m[1])
		case m != nil:
			t.Fatalf("%s: footer key %s under an unknown heading %q", schemaDocPath, m[1], intro)
		case strings.HasPrefix(line, "|") || strings.TrimSpace(line) == "":
		default:
			intro = line
		}
	}
	if len(doc.footerAll) < len(parquetout.FooterKeys) || len(doc.footerSample) == 0 || len(doc.footerBars) == 0 {
		t.Fatalf("%s: footer keys not found: every file %v, sample %v, bars %v", schemaDocPath, doc.footerAll, doc.footerSample, doc.footerBars)
	}
	return doc
}

// duck is an in-memory DuckDB database.
type duck struct {
	t  *testing.T
	db *sql.DB
}

func openDuck(t *testing.T) *duck {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var v string
	if err := db.QueryRow("SELECT version()").Scan(&v); err != nil {
		t.Fatal(err)
	}
	t.Logf("DuckDB %s", v)
	return &duck{t, db}
}

// lit quotes s as an SQL string literal.
func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// file is read_parquet of one file, without hive partitions from its path.
func file(path string) string {
	return "read_parquet(" + lit(path) + ", hive_partitioning = false, file_row_number = true)"
}

// hive is read_parquet of a hive-partitioned dataset.
func hive(glob string) string {
	return "read_parquet(" + lit(glob) + ", hive_partitioning = true, filename = true)"
}

// query returns all rows of q.
func (d *duck) query(q string, args ...any) [][]any {
	d.t.Helper()
	rows, err := d.db.Query(q, args...)
	if err != nil {
		d.t.Fatalf("DuckDB: %v\n%s", err, q)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		d.t.Fatal(err)
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			d.t.Fatalf("DuckDB: %v\n%s", err, q)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		d.t.Fatalf("DuckDB: %v\n%s", err, q)
	}
	return out
}

// one returns the single value of q.
func (d *duck) one(q string, args ...any) any {
	d.t.Helper()
	r := d.query(q, args...)
	if len(r) != 1 || len(r[0]) != 1 {
		d.t.Fatalf("DuckDB: %d rows, want one value\n%s", len(r), q)
	}
	return r[0][0]
}

func (d *duck) int(q string, args ...any) int64 {
	d.t.Helper()
	return asInt(d.t, d.one(q, args...))
}

func (d *duck) float(q string, args ...any) float64 {
	d.t.Helper()
	return asFloat(d.t, d.one(q, args...))
}

func asInt(t *testing.T, v any) int64 {
	t.Helper()
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return int64(x)
	case *big.Int:
		return x.Int64()
	}
	t.Fatalf("DuckDB value %v (%T) is not an integer", v, v)
	return 0
}

func asFloat(t *testing.T, v any) float64 {
	t.Helper()
	switch x := v.(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	}
	return float64(asInt(t, v))
}

func asString(t *testing.T, v any) string {
	t.Helper()
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	t.Fatalf("DuckDB value %v (%T) is not a string", v, v)
	return ""
}

// columns returns DESCRIBE's column names and types of the relation rel.
func (d *duck) columns(rel string) []docColumn {
	d.t.Helper()
	var out []docColumn
	for _, r := range d.query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + rel + ")") {
		out = append(out, docColumn{asString(d.t, r[0]), asString(d.t, r[1])})
	}
	return out
}

// footer returns the key-value metadata of one file, as DuckDB reads it.
func (d *duck) footer(path string) map[string]string {
	d.t.Helper()
	kv := map[string]string{}
	for _, r := range d.query("SELECT key, value FROM parquet_kv_metadata(" + lit(path) + ")") {
		k := asString(d.t, r[0])
		if _, dup := kv[k]; dup {
			d.t.Errorf("%s: footer key %s twice", path, k)
		}
		kv[k] = asString(d.t, r[1])
	}
	return kv
}

// checkFile checks one file of table against docs/schema.md with DuckDB's
// reader and metadata functions, and compares every value with what
// arrow-go reads. It returns the row count and the footer.
func (d *duck) checkFile(doc docSchema, path, table string, extraKeys ...string) (int64, map[string]string) {
	t := d.t
	t.Helper()
	spec, ok := doc.tables[table]
	if !ok {
		t.Fatalf("%s documents no table %s", schemaDocPath, table)
	}
	rel := file(path)

	// Columns, in order, with the documented DuckDB types; no partition
	// key in the files.
	got := d.columns(rel)
	want := append(slices.Clone(spec.cols), docColumn{"file_row_number", "BIGINT"})
	if !slices.Equal(got, want) {
		t.Errorf("%s: DuckDB reads columns\n  %v\nwant (docs/schema.md)\n  %v", path, got, want)
	}

	// Every leaf column required (no NULLs possible), none undocumented.
	for _, r := range d.query("SELECT name, repetition_type, type FROM parquet_schema(" + lit(path) + ") WHERE type IS NOT NULL") {
		if rep := fmt.Sprint(r[1]); rep != "REQUIRED" {
			t.Errorf("%s: column %v is %s, want REQUIRED", path, r[0], rep)
		}
	}
	if n := d.int("SELECT count(*) FROM parquet_schema(" + lit(path) + ") WHERE type IS NOT NULL"); n != int64(len(spec.cols)) {
		t.Errorf("%s: %d leaf columns in the Parquet schema, want %d", path, n, len(spec.cols))
	}

	// Column chunks: zstd, row groups of at most 131072 rows, strings
	// dictionary-encoded (a dictionary page and RLE_DICTIONARY data pages).
	chunks := d.query("SELECT path_in_schema, compression, encodings, dictionary_page_offset, row_group_num_rows, stats_null_count FROM parquet_metadata(" + lit(path) + ")")
	if len(chunks) == 0 {
		t.Errorf("%s: no column chunks", path)
	}
	seen := map[string]bool{}
	for _, c := range chunks {
		col := asString(t, c[0])
		seen[col] = true
		if comp := asString(t, c[1]); comp != "ZSTD" {
			t.Errorf("%s: column %s compression %s, want ZSTD", path, col, comp)
		}
		if n := asInt(t, c[4]); n > 131072 || n <= 0 {
			t.Errorf("%s: row group of %d rows", path, n)
		}
		if c[5] != nil && asInt(t, c[5]) != 0 {
			t.Errorf("%s: column %s has %v nulls", path, col, c[5])
		}
		encs := strings.Split(asString(t, c[2]), ", ")
		if slices.Contains(spec.dict, col) {
			if !slices.Contains(encs, "RLE_DICTIONARY") || c[3] == nil {
				t.Errorf("%s: string column %s is not dictionary-encoded: encodings %v, dictionary page at %v", path, col, encs, c[3])
			}
		}
	}
	for _, c := range spec.cols {
		if c.duck == "VARCHAR" && !slices.Contains(spec.dict, c.name) {
			t.Errorf("%s: docs/schema.md does not list string column %s as dictionary-encoded", path, c.name)
		}
		if !seen[c.name] {
			t.Errorf("%s: no column chunk for %s", path, c.name)
		}
	}

	// File metadata and footer.
	fm := d.query("SELECT created_by, num_rows FROM parquet_file_metadata(" + lit(path) + ")")
	if len(fm) != 1 {
		t.Fatalf("%s: parquet_file_metadata gave %d rows", path, len(fm))
	}
	rows := d.int("SELECT count(*) FROM " + rel)
	if n := asInt(t, fm[0][1]); n != rows {
		t.Errorf("%s: footer says %d rows, count(*) %d", path, n, rows)
	}
	kv := d.footer(path)
	// created_by as documented, the version and commit of the footer.
	if cb, want := asString(t, fm[0][0]), "neurogfn version "+kv[parquetout.KeyLibraryVersion]+" (build "+kv[parquetout.KeyGitCommit]+")"; cb != want || kv[parquetout.KeyGitCommit] == "" {
		t.Errorf("%s: created_by %q, want %q", path, cb, want)
	}
	for _, k := range append(slices.Clone(doc.footerAll), extraKeys...) {
		if _, ok := kv[k]; !ok {
			t.Errorf("%s: footer lacks documented key %q (has %v)", path, k, slices.Sorted(maps.Keys(kv)))
		}
	}
	if kv[parquetout.KeyTable] != table || kv[parquetout.KeySchemaVersion] != parquetout.SchemaVersion || kv[parquetout.KeyLibrary] != "neurogfn" {
		t.Errorf("%s: footer table %q schema_version %q inference_library %q", path, kv[parquetout.KeyTable], kv[parquetout.KeySchemaVersion], kv[parquetout.KeyLibrary])
	}
	if _, err := time.Parse(time.RFC3339, kv[parquetout.KeyCreatedAt]); err != nil || !strings.HasSuffix(kv[parquetout.KeyCreatedAt], "Z") {
		t.Errorf("%s: created_at %q is not RFC 3339 UTC", path, kv[parquetout.KeyCreatedAt])
	}
	if _, err := strconv.ParseUint(kv[parquetout.KeySeed], 10, 64); err != nil {
		t.Errorf("%s: seed %q is not decimal", path, kv[parquetout.KeySeed])
	}
	if !strings.HasPrefix(kv[parquetout.KeyCommandLine], "neurogfn ") || !strings.Contains(kv[parquetout.KeyConfigYAML], ":") {
		t.Errorf("%s: command_line %q, config_yaml %q", path, kv[parquetout.KeyCommandLine], kv[parquetout.KeyConfigYAML])
	}

	d.compareArrow(path, spec, rows, kv)
	return rows, kv
}

// compareArrow compares every value DuckDB reads from path with what
// arrow-go reads, row by row in file order, and the footers.
func (d *duck) compareArrow(path string, spec docTable, rows int64, kv map[string]string) {
	t := d.t
	t.Helper()
	at := parquettest.Read(t, path)
	if at.Rows != rows {
		t.Errorf("%s: arrow-go reads %d rows, DuckDB %d", path, at.Rows, rows)
	}
	if len(at.Footer) != len(kv) {
		t.Errorf("%s: arrow-go reads %d footer keys, DuckDB %d", path, len(at.Footer), len(kv))
	}
	for k, v := range at.Footer {
		if kv[k] != v {
			t.Errorf("%s: footer %s: arrow-go %q, DuckDB %q", path, k, v, kv[k])
		}
	}
	names := make([]string, len(spec.cols))
	for i, c := range spec.cols {
		names[i] = `"` + c.name + `"`
	}
	res := d.query("SELECT " + strings.Join(names, ", ") + " FROM " + file(path) + " ORDER BY file_row_number")
	if int64(len(res)) != rows {
		t.Fatalf("%s: DuckDB returned %d rows, count(*) %d", path, len(res), rows)
	}
	for j, c := range spec.cols {
		mismatch := func(i int, a, b any) {
			t.Helper()
			t.Fatalf("%s: row %d column %s: DuckDB %v (%T), arrow-go %v", path, i, c.name, a, b, b)
		}
		switch c.duck {
		case "INTEGER":
			v := at.Int32s(t, c.name)
			for i, r := range res {
				if x, ok := r[j].(int32); !ok || x != v[i] {
					mismatch(i, r[j], v[i])
				}
			}
		case "BIGINT":
			v := at.Int64s(t, c.name)
			for i, r := range res {
				if x, ok := r[j].(int64); !ok || x != v[i] {
					mismatch(i, r[j], v[i])
				}
			}
		case "DOUBLE":
			v := at.Float64s(t, c.name)
			for i, r := range res {
				x, ok := r[j].(float64)
				if !ok || !(x == v[i] || math.IsNaN(x) && math.IsNaN(v[i])) || math.Signbit(x) != math.Signbit(v[i]) {
					mismatch(i, r[j], v[i])
				}
			}
		case "VARCHAR":
			v := at.Strings(t, c.name)
			for i, r := range res {
				if x, ok := r[j].(string); !ok || x != v[i] {
					mismatch(i, r[j], v[i])
				}
			}
		default:
			t.Fatalf("%s: no arrow-go comparison for %s column %s", path, c.duck, c.name)
		}
	}
}

// checkHive checks a hive-partitioned dataset root/<key>=<value>/part-0.parquet
// read as one relation: the documented columns then the partition key, typed
// BIGINT for plain decimal values, equal to the values of the paths. It
// returns the rows per partition value.
func (d *duck) checkHive(doc docSchema, root, table, key string) map[int64]int64 {
	t := d.t
	t.Helper()
	glob := filepath.Join(root, table, "*", "*.parquet")
	got := d.columns(hive(glob))
	want := append(slices.Clone(doc.tables[table].cols), docColumn{"filename", "VARCHAR"}, docColumn{key, "BIGINT"})
	if !slices.Equal(got, want) {
		t.Errorf("%s: DuckDB reads the hive dataset with columns\n  %v\nwant\n  %v", glob, got, want)
	}
	per := map[int64]int64{}
	for _, r := range d.query(fmt.Sprintf(`SELECT "%s", filename, count(*) FROM %s GROUP BY ALL ORDER BY ALL`, key, hive(glob))) {
		v, f, n := asInt(t, r[0]), asString(t, r[1]), asInt(t, r[2])
		if want := filepath.Join(root, table, fmt.Sprintf("%s=%d", key, v), "part-0.parquet"); f != want {
			t.Errorf("%s=%d read from %s, want %s", key, v, f, want)
		}
		if _, dup := per[v]; dup {
			t.Errorf("%s: %s=%d in two files", glob, key, v)
		}
		per[v] = n
	}
	// Where a file's footer has a key of the partition's name, its value is
	// the path's.
	for _, r := range d.query("SELECT file_name, value FROM parquet_kv_metadata(" + lit(glob) + ") WHERE key = " + lit(key)) {
		f, v := asString(t, r[0]), asString(t, r[1])
		if !strings.Contains(f, string(filepath.Separator)+key+"="+v+string(filepath.Separator)) {
			t.Errorf("%s: footer %s = %q, path says otherwise", f, key, v)
		}
	}
	return per
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, stderr, err := run(context.Background(), args...)
	if err != nil {
		t.Fatalf("neurogfn %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var ms []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("stdout line is not JSON: %v\n%s", err, l)
		}
		ms = append(ms, m)
	}
	return ms
}

func near(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestDuckDBSampleTables(t *testing.T) {
	doc := readSchemaDoc(t)
	d := openDuck(t)

	t.Run("hypergrid", func(t *testing.T) {
		d := &duck{t, d.db}
		dir := t.TempDir()
		out := mustRun(t, "hypergrid", "sample", "--ndim", "2", "--height", "4", "--iterations", "20", "--samples", "200",
			"--chains", "2", "--hidden", "16", "--batch-size", "8", "--seed", "3", "--out", dir, "--json")
		sums := jsonLines(t, out)
		if len(sums) != 2 {
			t.Fatalf("%d JSON lines, want one per chain", len(sums))
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		for c, m := range sums {
			var seeds struct {
				ChainSeed uint64 `json:"chain_seed"` // exact, not through float64
			}
			if err := json.Unmarshal([]byte(lines[c]), &seeds); err != nil || seeds.ChainSeed == 0 {
				t.Fatalf("chain_seed of %s: %v", lines[c], err)
			}
			post := filepath.Join(dir, "posterior", fmt.Sprintf("part-%d.parquet", c))
			stats := filepath.Join(dir, "sample_stats", fmt.Sprintf("part-%d.parquet", c))
			np, kv := d.checkFile(doc, post, parquetout.TablePosterior, doc.footerSample...)
			ns, kv2 := d.checkFile(doc, stats, parquetout.TableSampleStats, doc.footerSample...)
			if np != int64(m["posterior_rows"].(float64)) || np != 400 || ns != int64(m["draws"].(float64)) || ns != 200 {
				t.Errorf("chain %d: %d posterior rows and %d draws, JSON says %v and %v", c, np, ns, m["posterior_rows"], m["draws"])
			}
			for _, f := range []map[string]string{kv, kv2} {
				if f["chain"] != strconv.Itoa(c) || f["env"] != "hypergrid" || f["seed"] != "3" || f["chain_seed"] != strconv.FormatUint(seeds.ChainSeed, 10) {
					t.Errorf("chain %d footer: chain %q env %q seed %q chain_seed %q (JSON %d)", c, f["chain"], f["env"], f["seed"], f["chain_seed"], seeds.ChainSeed)
				}
			}
		}
		post, stats := file(filepath.Join(dir, "posterior", "*.parquet")), file(filepath.Join(dir, "sample_stats", "*.parquet"))
		// Both chains through one glob; chain and draw as documented.
		r := d.query("SELECT chain, count(*), min(draw), max(draw), count(DISTINCT draw) FROM " + stats + " GROUP BY chain ORDER BY chain")
		if len(r) != 2 || asInt(t, r[0][0]) != 0 || asInt(t, r[1][0]) != 1 {
			t.Fatalf("chains %v", r)
		}
		for _, c := range r {
			if asInt(t, c[1]) != 200 || asInt(t, c[2]) != 0 || asInt(t, c[3]) != 199 || asInt(t, c[4]) != 200 {
				t.Errorf("chain %v: count, min, max, distinct draw %v", c[0], c[1:])
			}
		}
		if n := d.int("SELECT count(*) FROM " + post + " WHERE param <> 'x' OR dim NOT IN (0, 1) OR value <> floor(value) OR value < 0 OR value > 3"); n != 0 {
			t.Errorf("%d posterior rows outside the grid", n)
		}
		// traj_len is the coordinates' sum + 1; log_weight = log_reward + log_pb - log_pf.
		if n := d.int(`SELECT count(*) FROM ` + stats + ` s JOIN (SELECT chain, draw, sum(value) AS total, count(*) AS n FROM ` + post + ` GROUP BY ALL) p USING (chain, draw)
			WHERE s.traj_len <> p.total + 1 OR p.n <> 2 OR abs(s.log_weight - (s.log_reward + s.log_pb - s.log_pf)) > 1e-12 OR s.log_pf > 0 OR s.log_pb > 0`); n != 0 {
			t.Errorf("%d draws inconsistent between posterior and sample_stats", n)
		}
		if n := d.int("SELECT count(*) FROM " + stats + " s JOIN (SELECT DISTINCT chain, draw FROM " + post + ") USING (chain, draw)"); n != 400 {
			t.Errorf("%d draws of sample_stats have posterior rows, want 400", n)
		}
	})

	// 70000 draws of 2 coordinates: 140000 posterior rows, more than one
	// row group of at most 131072 rows.
	t.Run("row groups", func(t *testing.T) {
		d := &duck{t, d.db}
		dir := t.TempDir()
		out := mustRun(t, "hypergrid", "sample", "--ndim", "2", "--height", "4", "--iterations", "20", "--samples", "70000",
			"--hidden", "16", "--batch-size", "8", "--seed", "5", "--out", dir, "--json")
		post := filepath.Join(dir, "posterior", "part-0.parquet")
		np, _ := d.checkFile(doc, post, parquetout.TablePosterior, doc.footerSample...)
		if np != 140000 || np != int64(lastJSON(t, out)["posterior_rows"].(float64)) {
			t.Errorf("%d posterior rows, want 140000", np)
		}
		var groups []int64
		for _, r := range d.query("SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata(" + lit(post) + ") GROUP BY ALL ORDER BY ALL") {
			groups = append(groups, asInt(t, r[1]))
		}
		if !slices.Equal(groups, []int64{131072, 140000 - 131072}) {
			t.Errorf("row groups of %v rows, want 131072 then the rest", groups)
		}
		if n := d.int("SELECT count(*) FROM (SELECT draw FROM " + file(post) + " GROUP BY draw HAVING count(*) <> 2 OR min(dim) <> 0 OR max(dim) <> 1)"); n != 0 {
			t.Errorf("%d draws without exactly dims 0 and 1", n)
		}
	})

	t.Run("pointset", func(t *testing.T) {
		d := &duck{t, d.db}
		dir := t.TempDir()
		out := mustRun(t, "pointset", "sample", "--max-points", "4", "--iterations", "20", "--samples", "200",
			"--hidden", "16", "--batch-size", "8", "--seed", "4", "--out", dir, "--json")
		m := lastJSON(t, out)
		post, stats := filepath.Join(dir, "posterior", "part-0.parquet"), filepath.Join(dir, "sample_stats", "part-0.parquet")
		np, kv := d.checkFile(doc, post, parquetout.TablePosterior, doc.footerSample...)
		ns, _ := d.checkFile(doc, stats, parquetout.TableSampleStats, doc.footerSample...)
		if np != int64(m["posterior_rows"].(float64)) || ns != 200 || kv["env"] != "pointset" {
			t.Errorf("%d posterior rows (JSON %v), %d draws, env %q", np, m["posterior_rows"], ns, kv["env"])
		}
		// One k row per draw, then k points t in (0, 1), dims 0 .. k-1, sorted.
		if n := d.int("SELECT count(*) FROM " + file(post) + " WHERE param = 'k' AND dim = -1 AND value = floor(value) AND value BETWEEN 0 AND 4"); n != 200 {
			t.Errorf("%d valid k rows, want 200", n)
		}
		if n := d.int(`SELECT count(*) FROM ` + file(post) + ` WHERE param NOT IN ('k', 't') OR (param = 't' AND (value <= 0 OR value >= 1 OR dim < 0))`); n != 0 {
			t.Errorf("%d bad point rows", n)
		}
		if n := d.int(`SELECT count(*) FROM (SELECT draw, dim, value, lag(value) OVER (PARTITION BY draw ORDER BY dim) AS prev,
			row_number() OVER (PARTITION BY draw ORDER BY dim) - 1 AS rank FROM ` + file(post) + ` WHERE param = 't') WHERE value < prev OR dim <> rank`); n != 0 {
			t.Errorf("%d points out of order", n)
		}
		if n := d.int(`SELECT count(*) FROM ` + file(stats) + ` s JOIN (SELECT draw, max(value) FILTER (WHERE param = 'k') AS k, count(*) FILTER (WHERE param = 't') AS pts
			FROM ` + file(post) + ` GROUP BY draw) p USING (draw) WHERE p.k <> p.pts OR s.traj_len <> p.k + 1`); n != 0 {
			t.Errorf("%d draws whose k, point rows and traj_len disagree", n)
		}
	})
}

func TestDuckDBBarsTables(t *testing.T) {
	doc := readSchemaDoc(t)
	d := openDuck(t)
	small := []string{"--sampler", "rjmcmc", "--samples", "200", "--burnin", "100", "--thin", "1", "--fine", "50"}
	barsKeys := doc.footerBars
	tables := []string{bars.TablePosterior, bars.TableDraws, bars.TableCurves, bars.TableGrid, bars.TablePSTH}

	// checkNeuron checks one neuron's tables (rel returns a table's relation)
	// against its --json summary.
	checkNeuron := func(t *testing.T, d *duck, rel func(string) string, m map[string]any, bins int64) {
		t.Helper()
		if n := d.int("SELECT count(*) FROM " + rel(bars.TableDraws) + " WHERE chain = 0"); n != 200 {
			t.Errorf("%d draws of chain 0, want 200", n)
		}
		if r := d.query("SELECT min(draw), max(draw), count(DISTINCT draw) FROM " + rel(bars.TableDraws)); asInt(t, r[0][0]) != 0 || asInt(t, r[0][1]) != 199 || asInt(t, r[0][2]) != 200 {
			t.Errorf("draw numbers %v", r)
		}
		if n := d.int("SELECT count(*) FROM " + rel(bars.TableCurves)); n != 200*50 {
			t.Errorf("curves: %d rows, want %d", n, 200*50)
		}
		if n := d.int("SELECT count(*) FROM " + rel(bars.TableGrid)); n != 50 {
			t.Errorf("curve_grid: %d rows, want 50", n)
		}
		if n := d.int("SELECT count(*) FROM " + rel(bars.TablePSTH)); n != bins {
			t.Errorf("psth: %d rows, want %d", n, bins)
		}
		// posterior: one k row per draw equal to draws.n_knots, and k knot rows.
		if n := d.int(`SELECT count(*) FROM ` + rel(bars.TableDraws) + ` d JOIN (SELECT draw, max(value) FILTER (WHERE param = 'k' AND dim = -1) AS k,
			count(*) FILTER (WHERE param = 'knot') AS knots, count(*) FILTER (WHERE param NOT IN ('k', 'knot')) AS other, min(dim) FILTER (WHERE param = 'knot') AS d0,
			max(dim) FILTER (WHERE param = 'knot') AS d1 FROM ` + rel(bars.TablePosterior) + ` GROUP BY draw) p USING (draw)
			WHERE p.k = d.n_knots AND p.knots = d.n_knots AND p.other = 0 AND p.d0 = 0 AND p.d1 = d.n_knots - 1`); n != 200 {
			t.Errorf("%d of 200 draws agree between posterior and draws", n)
		}
		// The summary's k_mean, k_posterior and posterior means.
		if km := d.float("SELECT avg(n_knots) FROM " + rel(bars.TableDraws)); !near(km, m["k_mean"].(float64), 1e-12) {
			t.Errorf("avg(n_knots) %v, JSON k_mean %v", km, m["k_mean"])
		}
		kp := m["k_posterior"].(map[string]any)
		for _, r := range d.query("SELECT n_knots, count(*) / 200 FROM " + rel(bars.TableDraws) + " GROUP BY n_knots") {
			k := strconv.FormatInt(asInt(t, r[0]), 10)
			if p, ok := kp[k].(float64); !ok || !near(p, asFloat(t, r[1]), 1e-12) {
				t.Errorf("p(k=%s): table %v, JSON %v", k, r[1], kp[k])
			}
		}
		for col, key := range map[string]string{"peak_time_s": "peak_time_s", "peak_rate_hz": "peak_rate_hz"} {
			mean := m[key].(map[string]any)["mean"].(float64)
			if got := d.float("SELECT avg(" + col + ") FROM " + rel(bars.TableDraws)); !near(got, mean, 1e-9) {
				t.Errorf("avg(%s) %v, JSON mean %v", col, got, mean)
			}
		}
		// Each draw's peak is at least its curve's maximum on the grid,
		// and within the grid.
		if n := d.int(`SELECT count(*) FROM ` + rel(bars.TableDraws) + ` d JOIN (SELECT draw, max(rate_hz) AS top, count(*) AS n FROM ` + rel(bars.TableCurves) + ` GROUP BY draw) c USING (draw)
			WHERE d.peak_rate_hz < c.top * (1 - 1e-9) OR c.n <> 50
			OR d.peak_time_s < (SELECT min(time_s) FROM ` + rel(bars.TableGrid) + `) OR d.peak_time_s > (SELECT max(time_s) FROM ` + rel(bars.TableGrid) + `)`); n != 0 {
			t.Errorf("%d draws whose peak disagrees with their curve", n)
		}
		if n := d.int(`SELECT count(*) FROM ` + rel(bars.TableCurves) + ` c ANTI JOIN ` + rel(bars.TableGrid) + ` g USING (point)`); n != 0 {
			t.Errorf("%d curve rows with a point not in curve_grid", n)
		}
		// PSTH: bins 0 .. n-1, increasing times, rate_hz = count / (trials × width).
		if n := d.int(`SELECT count(*) FROM (SELECT bin, time_s, lag(time_s) OVER (ORDER BY bin) AS prev, row_number() OVER (ORDER BY bin) - 1 AS i FROM ` + rel(bars.TablePSTH) + `)
			WHERE bin <> i OR time_s <= prev`); n != 0 {
			t.Errorf("%d psth bins out of order", n)
		}
	}

	t.Run("example", func(t *testing.T) {
		d := &duck{t, d.db}
		dir := t.TempDir()
		out := mustRun(t, append([]string{"bars", "fit", "../../data/psth/bars_example.data", "--out", dir, "--json"}, small...)...)
		m := lastJSON(t, out)
		part := func(table string) string { return filepath.Join(dir, table, "part-0.parquet") }
		kvs := map[string]map[string]string{}
		for _, tb := range tables {
			_, kvs[tb] = d.checkFile(doc, part(tb), tb, barsKeys...)
		}
		for tb, kv := range kvs {
			if kv["neuron"] != "bars_example" || kv["neuron_index"] != "0" || kv["sampler"] != "rjmcmc" || kv["trials"] != "60" || kv["bin_width_s"] == "" {
				t.Errorf("%s footer: neuron %q index %q sampler %q trials %q bin_width_s %q", tb, kv["neuron"], kv["neuron_index"], kv["sampler"], kv["trials"], kv["bin_width_s"])
			}
		}
		checkNeuron(t, d, func(tb string) string { return file(part(tb)) }, m, 110)
		if n := d.int("SELECT sum(count) FROM " + file(part(bars.TablePSTH))); n != 2765 {
			t.Errorf("psth: %d spikes, want 2765", n)
		}
		width, _ := strconv.ParseFloat(kvs[bars.TablePSTH]["bin_width_s"], 64)
		if n := d.int(fmt.Sprintf("SELECT count(*) FROM %s WHERE abs(rate_hz - count / (60 * %v)) > 1e-9 * (1 + rate_hz)", file(part(bars.TablePSTH)), width)); n != 0 || width <= 0 {
			t.Errorf("%d psth rates are not count / (trials × %v s)", n, width)
		}
	})

	t.Run("neurons", func(t *testing.T) {
		d := &duck{t, d.db}
		dir := t.TempDir()
		out := mustRun(t, append([]string{"bars", "fit", starSpikes, "--bin-width", "0.1", "--window", "5,9", "--out", dir, "--json"}, small...)...)
		sums := jsonLines(t, out)
		if len(sums) != 4 {
			t.Fatalf("%d JSON lines, want 4 neurons", len(sums))
		}
		// Each file by itself, then each table as one hive dataset.
		for i, m := range sums {
			id, err := strconv.Atoi(m["neuron"].(string))
			if err != nil {
				t.Fatalf("neuron label %v", m["neuron"])
			}
			for _, tb := range tables {
				p := parquetout.PartPath(filepath.Join(dir, tb), 0, parquetout.IntPartition("neuron", int64(id)))
				_, kv := d.checkFile(doc, p, tb, barsKeys...)
				if kv["neuron"] != m["neuron"] || kv["neuron_index"] != strconv.Itoa(i) {
					t.Errorf("%s: footer neuron %q index %q, want %v and %d", p, kv["neuron"], kv["neuron_index"], m["neuron"], i)
				}
			}
		}
		want := map[string]int64{bars.TablePosterior: -1, bars.TableDraws: 200, bars.TableCurves: 200 * 50, bars.TableGrid: 50, bars.TablePSTH: 40}
		for _, tb := range tables {
			per := d.checkHive(doc, dir, tb, "neuron")
			if len(per) != 4 {
				t.Errorf("%s: partitions %v, want neurons 1 .. 4", tb, per)
			}
			for id := range int64(4) {
				if n, ok := per[id+1]; !ok || want[tb] >= 0 && n != want[tb] {
					t.Errorf("%s: neuron=%d has %d rows (present %v), want %d", tb, id+1, n, ok, want[tb])
				}
			}
		}
		for _, m := range sums {
			id := m["neuron"].(string)
			rel := func(tb string) string {
				return fmt.Sprintf("(SELECT * EXCLUDE (neuron, filename) FROM %s WHERE neuron = %s)", hive(filepath.Join(dir, tb, "*", "*.parquet")), id)
			}
			checkNeuron(t, d, rel, m, 40)
		}
		// A join across tables on the partition column: the neurons' posterior
		// rows are k and the knots of their draws.
		if n := d.int(`SELECT count(*) FROM ` + hive(filepath.Join(dir, bars.TableDraws, "*", "*.parquet")) + ` d JOIN (SELECT neuron, draw, count(*) AS rows FROM ` +
			hive(filepath.Join(dir, bars.TablePosterior, "*", "*.parquet")) + ` GROUP BY ALL) p USING (neuron, draw) WHERE p.rows = d.n_knots + 1`); n != 4*200 {
			t.Errorf("%d of %d draws have n_knots + 1 posterior rows", n, 4*200)
		}
	})
}

func TestDuckDBMorphologyTables(t *testing.T) {
	doc := readSchemaDoc(t)
	d := openDuck(t)
	dir := t.TempDir()
	names := []string{"C010398B-P2.CNG.swc", "mp_ma_40984_gc2.CNG.swc"}
	files := []string{swcData(names[0]), swcData(names[1])}
	out := mustRun(t, append([]string{"morphology", "stats", "--json", "--out", dir}, files...)...)
	var stats []morphologyStats
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var s morphologyStats
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatal(err)
		}
		stats = append(stats, s)
	}
	if len(stats) != 2 {
		t.Fatalf("%d JSON lines", len(stats))
	}
	mpath, spath := filepath.Join(dir, "morphometrics.parquet"), filepath.Join(dir, "sections.parquet")
	nm, kvm := d.checkFile(doc, mpath, morphology.TableMorphometrics)
	ns, kvs := d.checkFile(doc, spath, morphology.TableSections)
	for _, kv := range []map[string]string{kvm, kvs} {
		if kv["seed"] != "0" || !strings.HasSuffix(kv["command_line"], strings.Join(files, " ")) {
			t.Errorf("footer seed %q command_line %q", kv["seed"], kv["command_line"])
		}
	}
	mt, st := file(mpath), file(spath)
	var wantM, wantS int64
	for i, s := range stats {
		wantM += 15 + 12*int64(len(s.TotalLengthUmByType))
		wantS += int64(s.Sections)
		n := lit(names[i])
		val := func(typ, metric string) float64 {
			return d.float("SELECT value FROM " + mt + " WHERE neuron = " + n + " AND neurite_type = " + lit(typ) + " AND metric = " + lit(metric))
		}
		for metric, want := range map[string]float64{"samples": float64(s.Samples), "tips": float64(s.Tips), "sections": float64(s.Sections),
			"total_length": s.TotalLengthUm, "max_branch_order": float64(s.MaxBranchOrder), "max_path_length": s.MaxPathLengthUm, "extent_z": s.ExtentUm[2]} {
			if got := val("all", metric); got != want {
				t.Errorf("%s all %s: DuckDB %v, JSON %v", names[i], metric, got, want)
			}
		}
		for typ, want := range s.TotalLengthUmByType {
			if got := val(typ, "total_length"); got != want {
				t.Errorf("%s %s total_length: DuckDB %v, JSON %v", names[i], typ, got, want)
			}
			if got := d.float("SELECT sum(length_um) FROM " + st + " WHERE neuron = " + n + " AND neurite_type = " + lit(typ)); !near(got, want, 1e-9) {
				t.Errorf("%s %s: section lengths sum to %v, JSON total %v", names[i], typ, got, want)
			}
		}
		r := d.query("SELECT count(*), count(*) FILTER (WHERE parent_section = -1), count(*) FILTER (WHERE children = 0), max(branch_order), max(path_length_um) FROM " + st + " WHERE neuron = " + n)
		if asInt(t, r[0][0]) != int64(s.Sections) || asInt(t, r[0][1]) != int64(s.Stems) || asInt(t, r[0][2]) != int64(s.Tips) || asInt(t, r[0][3]) != int64(s.MaxBranchOrder) || asFloat(t, r[0][4]) != s.MaxPathLengthUm {
			t.Errorf("%s sections: count, roots, tips, max order, max path %v; JSON %d %d %d %d %v", names[i], r[0], s.Sections, s.Stems, s.Tips, s.MaxBranchOrder, s.MaxPathLengthUm)
		}
	}
	if nm != wantM || ns != wantS {
		t.Errorf("rows: morphometrics %d sections %d, want %d and %d", nm, ns, wantM, wantS)
	}
	if n := d.int("SELECT count(*) FROM " + mt + " WHERE unit NOT IN ('count', 'um')"); n != 0 {
		t.Errorf("%d rows with an undocumented unit", n)
	}
	// Parent links: a parent comes before its child, same neurite, order + 1.
	if n := d.int(`SELECT count(*) FROM ` + st + ` c LEFT JOIN ` + st + ` p ON c.neuron = p.neuron AND c.parent_section = p.section
		WHERE c.parent_section >= 0 AND (p.section IS NULL OR p.section >= c.section OR p.neurite <> c.neurite OR c.branch_order <> p.branch_order + 1)`); n != 0 {
		t.Errorf("%d sections with a bad parent", n)
	}
}

func TestDuckDBConnectomeTables(t *testing.T) {
	doc := readSchemaDoc(t)
	d := openDuck(t)
	dir := t.TempDir()
	out := mustRun(t, "connectome", "simulate", "--model", "cuba", "--neurons", "200", "--duration", "100ms", "--seed", "3",
		"--format", "parquet", "--out", dir, "--json")
	m := lastJSON(t, out)
	keys := []string{"model", "neurons"}
	for _, k := range append(slices.Clone(keys), "simulated_seconds", "weight_unit") {
		if !strings.Contains(doc.text, "`"+k+"`") {
			t.Fatalf("%s does not document footer key %s", schemaDocPath, k)
		}
	}
	spath, npath := filepath.Join(dir, "spikes.parquet"), filepath.Join(dir, "network.parquet")
	ns, kvs := d.checkFile(doc, spath, connectome.TableSpikes, append(slices.Clone(keys), "simulated_seconds")...)
	nn, kvn := d.checkFile(doc, npath, connectome.TableNetwork, append(slices.Clone(keys), "weight_unit")...)
	if ns != int64(m["spikes"].(float64)) || ns == 0 || nn != int64(m["synapses"].(float64)) || nn == 0 {
		t.Errorf("%d spikes, %d synapses; JSON %v and %v", ns, nn, m["spikes"], m["synapses"])
	}
	for _, kv := range []map[string]string{kvs, kvn} {
		if kv["model"] != "cuba" || kv["neurons"] != "200" || kv["seed"] != "3" {
			t.Errorf("footer model %q neurons %q seed %q", kv["model"], kv["neurons"], kv["seed"])
		}
	}
	if kvs["simulated_seconds"] != "0.1" || kvn["weight_unit"] != "mV" {
		t.Errorf("simulated_seconds %q, weight_unit %q", kvs["simulated_seconds"], kvn["weight_unit"])
	}
	sp, nt := file(spath), file(npath)
	if n := d.int(`SELECT count(*) FROM (SELECT neuron, time_s, lag(time_s) OVER w AS pt, lag(neuron) OVER w AS pn FROM ` + sp + ` WINDOW w AS (ORDER BY file_row_number))
		WHERE time_s < pt OR (time_s = pt AND neuron < pn) OR neuron NOT BETWEEN 0 AND 199 OR time_s NOT BETWEEN 0 AND 0.1`); n != 0 {
		t.Errorf("%d spikes out of order or range", n)
	}
	if rate := d.float("SELECT count(*) / (200 * 0.1) FROM " + sp); !near(rate, m["mean_rate_hz"].(float64), 1e-9) {
		t.Errorf("mean rate %v from the table, JSON %v", rate, m["mean_rate_hz"])
	}
	if n := d.int(`SELECT count(*) FROM (SELECT pre, lag(pre) OVER (ORDER BY file_row_number) AS prev, post, weight, delay_ms FROM ` + nt + `)
		WHERE pre < prev OR pre NOT BETWEEN 0 AND 199 OR post NOT BETWEEN 0 AND 199 OR weight = 0 OR isnan(weight) OR delay_ms < 0`); n != 0 {
		t.Errorf("%d bad synapses", n)
	}
	// Dale's law: one sign per presynaptic neuron.
	if n := d.int("SELECT count(*) FROM (SELECT pre FROM " + nt + " GROUP BY pre HAVING min(sign(weight)) <> max(sign(weight)))"); n != 0 {
		t.Errorf("%d neurons break Dale's law", n)
	}
}
