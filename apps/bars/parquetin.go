package bars

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// ReadSpikesParquet reads spike times from a Parquet file with top-level
// columns neuron, trial and time (s), named as in ReadSpikes' header
// (neuron, unit, cell or neuron_id; trial or trial_id; time, time_s or t;
// any case), one row per spike. Neuron and trial may be integer or string
// columns, time a float or double column; other columns are ignored. It
// bins them like ReadSpikes; errors name the file and row (counted from 1).
func ReadSpikesParquet(data []byte, name string, b Binning) ([]*PSTH, error) {
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInput, name, err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: not a readable Parquet file: %v", ErrInput, name, err)
	}
	var cols [3]int
	for i, want := range [][]string{neuronNames, trialNames, timeNames} {
		cols[i] = -1
		for c, path := range f.Schema().Columns() {
			if len(path) == 1 && containsFold(want, path[0]) {
				cols[i] = c
				break
			}
		}
		if cols[i] < 0 {
			return nil, fmt.Errorf("%w: %s: no column %s among %v (need neuron, trial and time columns)", ErrInput, name, strings.Join(want, " or "), f.Schema().Columns())
		}
	}
	sc := newSpikeCollector(name)
	row := 0
	buf := make([]parquet.Row, 256)
	for _, rg := range f.RowGroups() {
		rows := rg.Rows()
		for left := rg.NumRows(); ; {
			if left <= 0 {
				break
			}
			n, err := rows.ReadRows(buf[:min(int64(len(buf)), left)])
			left -= int64(n)
			if n == 0 && err == nil {
				rows.Close()
				return nil, fmt.Errorf("%w: %s: row %d: the file's row group stops early", ErrInput, name, row+1)
			}
			for _, r := range buf[:n] {
				row++
				at := row
				where := func() string { return fmt.Sprintf("%s: row %d", name, at) }
				var vals [3]parquet.Value
				var seen [3]bool
				for _, v := range r {
					for i, c := range cols {
						if v.Column() == c && !seen[i] {
							vals[i], seen[i] = v, true
						}
					}
				}
				var id, trial string
				var tm float64
				for i, what := range []string{"neuron", "trial", "time"} {
					if !seen[i] || vals[i].IsNull() {
						rows.Close()
						return nil, fmt.Errorf("%w: %s: %s is missing (null)", ErrInput, where(), what)
					}
				}
				var lerr error
				if id, lerr = label(vals[0]); lerr == nil {
					trial, lerr = label(vals[1])
				}
				if lerr == nil {
					tm, lerr = seconds(vals[2])
				}
				if lerr != nil {
					rows.Close()
					return nil, fmt.Errorf("%w: %s: %v", ErrInput, where(), lerr)
				}
				if id == "" || trial == "" {
					rows.Close()
					return nil, fmt.Errorf("%w: %s: empty neuron or trial label", ErrInput, where())
				}
				if err := sc.add(where, id, trial, tm); err != nil {
					rows.Close()
					return nil, err
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("%w: %s: row %d: %v", ErrInput, name, row+1, err)
			}
		}
		rows.Close()
	}
	if row == 0 {
		return nil, fmt.Errorf("%w: %s: empty file (no spike rows)", ErrInput, name)
	}
	return sc.bin(b)
}

func containsFold(names []string, s string) bool {
	for _, n := range names {
		if strings.EqualFold(n, s) {
			return true
		}
	}
	return false
}

// label turns an integer or string value into a label.
func label(v parquet.Value) (string, error) {
	switch v.Kind() {
	case parquet.Int32:
		return strconv.FormatInt(int64(v.Int32()), 10), nil
	case parquet.Int64:
		return strconv.FormatInt(v.Int64(), 10), nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return strings.TrimSpace(string(v.ByteArray())), nil
	}
	return "", fmt.Errorf("a neuron or trial label of type %v (want an integer or string)", v.Kind())
}

// seconds turns a float, double or integer value into a finite time.
func seconds(v parquet.Value) (float64, error) {
	var t float64
	switch v.Kind() {
	case parquet.Float:
		t = float64(v.Float())
	case parquet.Double:
		t = v.Double()
	case parquet.Int32:
		t = float64(v.Int32())
	case parquet.Int64:
		t = float64(v.Int64())
	default:
		return 0, fmt.Errorf("a time of type %v (want a float or double in seconds)", v.Kind())
	}
	if math.IsNaN(t) || math.IsInf(t, 0) {
		return 0, fmt.Errorf("time %v is not a finite number", t)
	}
	return t, nil
}
