package bars

import (
	"github.com/neurogfn/neurogfn/parquetout"
)

// Tables a fit writes (docs/schema.md documents every column).
const (
	TableDraws     = "draws"      // DrawRow, one row per draw
	TablePosterior = "posterior"  // parquetout.PosteriorRow: k and the knots
	TableCurves    = "curves"     // CurveRow, the rate of each draw on the fine grid
	TableGrid      = "curve_grid" // GridRow, the fine grid's times, once
	TablePSTH      = "psth"       // BinRow, the data
)

// DrawRow is one posterior draw of a BARS fit.
type DrawRow struct {
	Chain int32 `parquet:"chain"`
	Draw  int64 `parquet:"draw"`
	// NKnots is k, the number of interior knots.
	NKnots int32 `parquet:"n_knots"`
	// LogPosterior is the unnormalised log posterior density of the knot
	// set (Model.LogPosterior, nats; Lebesgue measure on sorted knot tuples
	// of the unit interval).
	LogPosterior float64 `parquet:"log_posterior"`
	PeakTime     float64 `parquet:"peak_time_s"`  // s, time of the drawn curve's maximum
	PeakRate     float64 `parquet:"peak_rate_hz"` // spikes/s, the maximum
}

// CurveRow is the rate of one draw at one point of the fine grid.
type CurveRow struct {
	Chain int32   `parquet:"chain"`
	Draw  int64   `parquet:"draw"`
	Point int32   `parquet:"point"`   // index into the grid table
	Rate  float64 `parquet:"rate_hz"` // spikes/s
}

// GridRow is one point of the fine grid the curves are evaluated on.
type GridRow struct {
	Point int32   `parquet:"point"`
	Time  float64 `parquet:"time_s"` // s
}

// BinRow is one bin of the fitted PSTH.
type BinRow struct {
	Bin   int32   `parquet:"bin"`
	Time  float64 `parquet:"time_s"`  // bin centre, s
	Count int64   `parquet:"count"`   // spikes, summed over trials
	Rate  float64 `parquet:"rate_hz"` // count / (trials · bin width), spikes/s
}

// Tables holds the rows of every table of one fit.
type Tables struct {
	Draws     []DrawRow
	Posterior []parquetout.PosteriorRow
	Curves    []CurveRow
	Grid      []GridRow
	PSTH      []BinRow
}

// Rows returns the tables of the fit as chain chain. Knots are in seconds
// (param "knot", dim = rank); param "k" (dim -1) is their number.
func (r *FitResult) Rows(chain int32) Tables {
	var t Tables
	d := r.Model.Data
	nb := r.Curves.Bins()
	grid := r.Curves.Grid[nb:]
	t.Grid = make([]GridRow, len(grid))
	for i, x := range grid {
		t.Grid[i] = GridRow{Point: int32(i), Time: x}
	}
	t.PSTH = make([]BinRow, d.Bins())
	for i := range d.Time {
		t.PSTH[i] = BinRow{Bin: int32(i), Time: d.Time[i], Count: int64(d.Count[i]), Rate: d.Count[i] * d.RateScale()}
	}
	t.Draws = make([]DrawRow, len(r.Draws))
	t.Curves = make([]CurveRow, 0, len(r.Draws)*len(grid))
	for i, dr := range r.Draws {
		t.Draws[i] = DrawRow{Chain: chain, Draw: int64(i), NKnots: int32(len(dr.Knots)), LogPosterior: dr.LogPost, PeakTime: dr.PeakTime, PeakRate: dr.PeakRate}
		t.Posterior = append(t.Posterior, parquetout.PosteriorRow{Chain: chain, Draw: int64(i), Param: "k", Dim: -1, Value: float64(len(dr.Knots))})
		for j, x := range dr.Knots {
			t.Posterior = append(t.Posterior, parquetout.PosteriorRow{Chain: chain, Draw: int64(i), Param: "knot", Dim: int32(j), Value: d.FromUnit(x)})
		}
		for j, v := range dr.Rate[nb:] {
			t.Curves = append(t.Curves, CurveRow{Chain: chain, Draw: int64(i), Point: int32(j), Rate: v})
		}
	}
	return t
}
