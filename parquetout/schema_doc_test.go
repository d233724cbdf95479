package parquetout_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/neurogfn/neurogfn/apps/bars"
	"github.com/neurogfn/neurogfn/apps/connectome"
	"github.com/neurogfn/neurogfn/apps/morphology"
	"github.com/neurogfn/neurogfn/parquetout"
	"github.com/parquet-go/parquet-go"
)

var update = flag.Bool("update", false, "rewrite the schema blocks of docs/schema.md")

const schemaDoc = "../docs/schema.md"

// documentedTables are the tables docs/schema.md documents, by name.
var documentedTables = map[string]*parquet.Schema{
	parquetout.TablePosterior:   parquet.SchemaOf(new(parquetout.PosteriorRow)),
	parquetout.TableSampleStats: parquet.SchemaOf(new(parquetout.SampleStatsRow)),
	bars.TableDraws:             parquet.SchemaOf(new(bars.DrawRow)),
	bars.TableCurves:            parquet.SchemaOf(new(bars.CurveRow)),
	bars.TableGrid:              parquet.SchemaOf(new(bars.GridRow)),
	bars.TablePSTH:              parquet.SchemaOf(new(bars.BinRow)),

	// neurogfn morphology stats --out
	morphology.TableMorphometrics: parquet.SchemaOf(new(morphology.MorphometricRow)),
	morphology.TableSections:      parquet.SchemaOf(new(morphology.SectionRow)),

	// neurogfn connectome simulate --format parquet
	connectome.TableSpikes:  parquet.SchemaOf(new(connectome.SpikeRow)),
	connectome.TableNetwork: parquet.SchemaOf(new(connectome.EdgeRow)),
}

// describe is the schema block of a table in docs/schema.md: the Parquet
// message and the dictionary-encoded columns.
func describe(s *parquet.Schema) string {
	var dict []string
	for _, path := range s.Columns() {
		leaf, _ := s.Lookup(path...)
		if e := leaf.Node.Encoding(); e != nil && strings.Contains(e.String(), "DICTIONARY") {
			dict = append(dict, strings.Join(path, "."))
		}
	}
	out := s.String() + "\n"
	if len(dict) > 0 {
		out += "dictionary-encoded: " + strings.Join(dict, ", ") + "\n"
	}
	return out
}

var blockRE = regexp.MustCompile("(?s)<!-- schema:([a-z_]+) -->\n```text\n(.*?)```")

func TestSchemaDoc(t *testing.T) {
	b, err := os.ReadFile(schemaDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if *update {
		doc = blockRE.ReplaceAllStringFunc(doc, func(m string) string {
			name := blockRE.FindStringSubmatch(m)[1]
			if s, ok := documentedTables[name]; ok {
				return fmt.Sprintf("<!-- schema:%s -->\n```text\n%s```", name, describe(s))
			}
			return m
		})
		if err := os.WriteFile(schemaDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	blocks := map[string]string{}
	for _, m := range blockRE.FindAllStringSubmatch(doc, -1) {
		blocks[m[1]] = m[2]
	}
	for name, s := range documentedTables {
		got, ok := blocks[name]
		switch {
		case !ok:
			t.Errorf("%s has no schema block for table %s (<!-- schema:%s --> then a text block)", schemaDoc, name, name)
		case got != describe(s):
			t.Errorf("table %s changed; update %s (go test ./parquetout -run SchemaDoc -update, then the prose).\ndocumented:\n%s\ncode:\n%s", name, schemaDoc, got, describe(s))
		}
		section := tableSection(doc, name)
		if section == "" {
			t.Errorf("%s has no section \"## Table `%s`\"", schemaDoc, name)
		}
		for _, path := range s.Columns() {
			col := strings.Join(path, ".")
			if !strings.Contains(section, "| `"+col+"` |") {
				t.Errorf("%s: column %s of table %s is not in its column table", schemaDoc, col, name)
			}
		}
	}
	for name := range blocks {
		if _, ok := documentedTables[name]; !ok {
			t.Errorf("%s documents table %s, which the code does not have", schemaDoc, name)
		}
	}
	for _, k := range parquetout.FooterKeys {
		if !strings.Contains(doc, "| `"+k+"` |") {
			t.Errorf("%s does not document footer key %s", schemaDoc, k)
		}
	}
	if !strings.Contains(doc, "Schema version: "+parquetout.SchemaVersion+" ") {
		t.Errorf("%s does not say \"Schema version: %s\"", schemaDoc, parquetout.SchemaVersion)
	}
}

// tableSection returns the text of the section "## Table `name`" up to the
// next level-2 heading.
func tableSection(doc, name string) string {
	head := "## Table `" + name + "`"
	i := strings.Index(doc, head)
	if i < 0 {
		return ""
	}
	rest := doc[i+len(head):]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// notebook is the part of the ipynb format the checks read.
type notebook struct {
	NBFormat int `json:"nbformat"`
	Metadata struct {
		Kernelspec struct {
			Language string `json:"language"`
		} `json:"kernelspec"`
	} `json:"metadata"`
	Cells []struct {
		CellType       string          `json:"cell_type"`
		Source         json.RawMessage `json:"source"`
		Outputs        []any           `json:"outputs"`
		ExecutionCount *int            `json:"execution_count"`
	} `json:"cells"`
}

// source returns a cell's source, stored as a string or a list of lines.
func source(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var lines []string
	json.Unmarshal(raw, &lines)
	return strings.Join(lines, "")
}

var (
	// Column references in pandas code: df["col"], df[["a", "b"]], and
	// the arguments of the methods below.
	subscriptRE = regexp.MustCompile(`\[\s*("[a-z_0-9]+"(?:\s*,\s*"[a-z_0-9]+")*)\s*\]`)
	methodRE    = regexp.MustCompile(`\.(?:groupby|set_index|sort_values|drop_duplicates|pivot_table|pivot|merge|value_counts)\(([^)]*)\)`)
	keywordRE   = regexp.MustCompile(`\b(?:on|by|index|columns|values|subset)\s*=\s*(\[[^\]]*\]|"[a-z_0-9]+")`)
	stringRE    = regexp.MustCompile(`"([a-z_0-9]+)"`)
	// Columns a notebook makes itself: df["new"] = ..., .assign(new=...).
	assignRE = regexp.MustCompile(`\[\s*"([a-z_0-9]+)"\s*\]\s*=[^=]|\.assign\(\s*([a-z_0-9]+)\s*=`)
	// A string that names a table's value rather than a column: comparisons.
	comparisonRE = regexp.MustCompile(`(?:==|!=)\s*"[a-z_0-9]+"`)
)

// TestNotebooks checks notebooks/*.ipynb without running Python: valid
// nbformat 4 JSON, outputs cleared, small, and every column name the code
// uses is a column of a documented table (or one the notebook makes).
func TestNotebooks(t *testing.T) {
	paths, _ := filepath.Glob("../notebooks/*.ipynb")
	if len(paths) == 0 {
		t.Fatal("no notebooks in ../notebooks")
	}
	// Known names: the columns of the documented tables and the footer keys
	// docs/schema.md documents (notebooks read both).
	known := map[string]bool{}
	doc, err := os.ReadFile(schemaDoc)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(doc), "## Footer metadata")
	if i < 0 {
		t.Fatalf("%s has no section \"## Footer metadata\"", schemaDoc)
	}
	footer := string(doc)[i:]
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(footer, -1) {
		known[m[1]] = true
	}
	for _, s := range documentedTables {
		for _, p := range s.Columns() {
			known[strings.Join(p, ".")] = true
		}
	}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 64<<10 {
			t.Errorf("%s is %d bytes; keep notebooks small (outputs cleared)", path, len(b))
		}
		var nb notebook
		if err := json.Unmarshal(b, &nb); err != nil {
			t.Fatalf("%s is not valid JSON: %v", path, err)
		}
		if nb.NBFormat != 4 || nb.Metadata.Kernelspec.Language != "python" {
			t.Errorf("%s: nbformat %d, kernel language %q; want 4 and python", path, nb.NBFormat, nb.Metadata.Kernelspec.Language)
		}
		var code strings.Builder
		for i, c := range nb.Cells {
			if c.CellType != "code" {
				continue
			}
			if len(c.Outputs) > 0 || c.ExecutionCount != nil {
				t.Errorf("%s: cell %d has outputs; clear them (jupyter nbconvert --clear-output --inplace)", path, i)
			}
			code.WriteString(source(c.Source) + "\n")
		}
		src := comparisonRE.ReplaceAllString(code.String(), "")
		made := map[string]bool{}
		for _, m := range assignRE.FindAllStringSubmatch(src, -1) {
			made[m[1]+m[2]] = true
		}
		var used []string
		add := func(s string) {
			for _, m := range stringRE.FindAllStringSubmatch(s, -1) {
				used = append(used, m[1])
			}
		}
		for _, m := range subscriptRE.FindAllStringSubmatch(src, -1) {
			add(m[1])
		}
		for _, m := range methodRE.FindAllStringSubmatch(src, -1) {
			add(m[1])
		}
		for _, m := range keywordRE.FindAllStringSubmatch(src, -1) {
			add(m[1])
		}
		if len(used) == 0 {
			t.Errorf("%s: found no column references to check", path)
		}
		slices.Sort(used)
		for _, c := range slices.Compact(used) {
			if !known[c] && !made[c] {
				t.Errorf("%s uses column %q, which no documented table has", path, c)
			}
		}
	}
}
