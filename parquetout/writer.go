package parquetout

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// DefaultRowGroupRows bounds the rows of a row group when Options leaves it
// zero: 128Ki rows, a few MB of long-format draws before compression.
const DefaultRowGroupRows = 1 << 17

// ErrSchema is returned (wrapped) by NewWriter for a row type that breaks the
// table conventions.
var ErrSchema = errors.New("parquetout: row type breaks the table conventions")

// Options tune a Writer. The zero value is ready to use.
type Options struct {
	// RowGroupRows is the largest number of rows per row group
	// (0: DefaultRowGroupRows).
	RowGroupRows int64
}

// Writer writes rows of type T, a struct with parquet tags, to one Parquet
// file. It is not safe for concurrent use.
type Writer[T any] struct {
	w *parquet.GenericWriter[T]
}

// NewWriter returns a Writer of rows of type T to w with meta in the footer.
// It returns an error wrapping ErrSchema if T breaks the conventions of the
// package (see CheckSchema) and an error if meta is incomplete. Nothing is
// written to w before the first Write or Close.
func NewWriter[T any](w io.Writer, meta Meta, opt Options) (*Writer[T], error) {
	schema := parquet.SchemaOf(new(T))
	if err := CheckSchema(schema); err != nil {
		return nil, err
	}
	if err := meta.Validate(); err != nil {
		return nil, err
	}
	rg := opt.RowGroupRows
	if rg <= 0 {
		rg = DefaultRowGroupRows
	}
	opts := []parquet.WriterOption{
		schema,
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
		parquet.DataPageVersion(1),
		parquet.MaxRowsPerRowGroup(rg),
		createdBy(meta.CreatedBy()),
	}
	for _, kv := range meta.KeyValues() {
		opts = append(opts, parquet.KeyValueMetadata(kv[0], kv[1]))
	}
	return &Writer[T]{w: parquet.NewGenericWriter[T](w, opts...)}, nil
}

// createdBy sets the file's created_by field verbatim.
type createdBy string

func (c createdBy) ConfigureWriter(config *parquet.WriterConfig) { config.CreatedBy = string(c) }

// Write appends rows. The writer does not keep rows after Write returns.
func (w *Writer[T]) Write(rows []T) error {
	if _, err := w.w.Write(rows); err != nil {
		return fmt.Errorf("parquetout: write rows: %w", err)
	}
	return nil
}

// Close flushes the last row group and writes the footer. It does not close
// the underlying io.Writer.
func (w *Writer[T]) Close() error {
	if err := w.w.Close(); err != nil {
		return fmt.Errorf("parquetout: close: %w", err)
	}
	return nil
}

// Encode writes rows with meta as one complete Parquet file to w.
func Encode[T any](w io.Writer, rows []T, meta Meta, opt Options) error {
	pw, err := NewWriter[T](w, meta, opt)
	if err != nil {
		return err
	}
	if err := pw.Write(rows); err != nil {
		return err
	}
	return pw.Close()
}

// WriteFile writes rows with meta to path atomically: either the complete
// file appears at path or nothing does (see Create). The folder must exist.
func WriteFile[T any](path string, rows []T, meta Meta, opt Options) error {
	// Check the row type before creating anything on disk.
	if err := CheckSchema(parquet.SchemaOf(new(T))); err != nil {
		return err
	}
	if err := meta.Validate(); err != nil {
		return err
	}
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := Encode(f, rows, meta, opt); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// CheckSchema reports every column of schema that breaks the conventions:
// an optional non-string leaf, a string leaf that is not
// dictionary-encoded, or a repeated field that is not the element of a
// LIST-annotated group (an untagged slice).
func CheckSchema(schema *parquet.Schema) error {
	var errs []error
	var walk func(path []string, n parquet.Node, inList bool)
	walk = func(path []string, n parquet.Node, inList bool) {
		name := strings.Join(path, ".")
		if n.Repeated() && !inList {
			errs = append(errs, fmt.Errorf("column %s is repeated but not a list (tag slices with `list`)", name))
		}
		if n.Leaf() {
			t := n.Type()
			isString := t.Kind() == parquet.ByteArray
			if n.Optional() && !isString {
				errs = append(errs, fmt.Errorf("column %s is optional (numeric columns must be required)", name))
			}
			if isString && !isDictionary(n) {
				errs = append(errs, fmt.Errorf("column %s is a string without dictionary encoding (tag it `dict`)", name))
			}
			return
		}
		lt := n.Type().LogicalType()
		list := false
		if lt != nil {
			_, list = lt.Value.(*format.ListType)
		}
		for _, f := range n.Fields() {
			// A LIST group holds one repeated group "list" whose child is the
			// element.
			walk(append(path[:len(path):len(path)], f.Name()), f, list || (inList && n.Repeated()))
		}
	}
	for _, f := range schema.Fields() {
		walk([]string{f.Name()}, f, false)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s: %w", ErrSchema, schema.Name(), errors.Join(errs...))
	}
	return nil
}

func isDictionary(n parquet.Node) bool {
	e := n.Encoding()
	if e == nil {
		return false
	}
	enc := e.Encoding()
	return enc == format.RLEDictionary || enc == format.PlainDictionary
}
