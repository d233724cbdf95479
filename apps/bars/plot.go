package bars

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Colours of the fit plot (colour-blind safe: Okabe-Ito blue and
// vermillion on grey).
var (
	colBars   = color.RGBA{R: 190, G: 190, B: 190, A: 255}
	colMean   = color.RGBA{R: 0, G: 84, B: 147, A: 255}
	colPoint  = color.NRGBA{R: 0, G: 114, B: 178, A: 110}
	colSimul  = color.NRGBA{R: 86, G: 180, B: 233, A: 70}
	colPeak   = color.NRGBA{R: 213, G: 94, B: 0, A: 255}
	colPeakBg = color.NRGBA{R: 213, G: 94, B: 0, A: 70}
)

// FitPlot draws a fitted PSTH: the data as bars (spikes/s), the posterior
// mean rate, the pointwise and simultaneous 95% bands, and the peak: its
// time's 95% interval as a shaded span and a cross at the posterior mean
// peak (time and rate) with both 95% intervals.
type FitPlot struct {
	Title  string
	Width  vg.Length // default 18 cm
	Height vg.Length // default 11 cm
	DPI    int       // default 150
}

// WritePNG writes the plot of fit r as a PNG image to w.
func (fp FitPlot) WritePNG(w io.Writer, r *FitResult) error {
	if fp.Width == 0 {
		fp.Width = 18 * vg.Centimeter
	}
	if fp.Height == 0 {
		fp.Height = 11 * vg.Centimeter
	}
	if fp.DPI == 0 {
		fp.DPI = 150
	}
	d, s := r.Model.Data, r.Summary
	p := plot.New()
	p.Title.Text = fp.Title
	p.X.Label.Text = "time (s)"
	p.Y.Label.Text = "firing rate (spikes/s)"
	p.Add(plotter.NewGrid())

	top := 0.0
	bins := make([]plotter.HistogramBin, d.Bins())
	for i, t := range d.Time {
		v := d.Count[i] * d.RateScale()
		bins[i] = plotter.HistogramBin{Min: t - d.BinWidth/2, Max: t + d.BinWidth/2, Weight: v}
		top = max(top, v)
	}
	hist := &plotter.Histogram{Bins: bins, Width: d.BinWidth, FillColor: colBars}
	hist.LineStyle = draw.LineStyle{Color: colBars, Width: vg.Points(0.4)} // closes anti-aliasing gaps
	for _, v := range s.Fine.SimulHi {
		top = max(top, v)
	}
	top *= 1.05

	band := func(lo, hi []float64, c color.Color) (*plotter.Polygon, error) {
		n := len(s.Fine.Time)
		xy := make(plotter.XYs, 0, 2*n)
		for i := range n {
			xy = append(xy, plotter.XY{X: s.Fine.Time[i], Y: lo[i]})
		}
		for i := n - 1; i >= 0; i-- {
			xy = append(xy, plotter.XY{X: s.Fine.Time[i], Y: hi[i]})
		}
		pg, err := plotter.NewPolygon(xy)
		if err != nil {
			return nil, err
		}
		pg.Color = c
		pg.LineStyle.Width = 0
		return pg, nil
	}
	simul, err := band(s.Fine.SimulLo, s.Fine.SimulHi, colSimul)
	if err != nil {
		return err
	}
	point, err := band(s.Fine.Lo, s.Fine.Hi, colPoint)
	if err != nil {
		return err
	}
	meanXY := make(plotter.XYs, len(s.Fine.Time))
	for i := range meanXY {
		meanXY[i] = plotter.XY{X: s.Fine.Time[i], Y: s.Fine.Mean[i]}
	}
	mean, err := plotter.NewLine(meanXY)
	if err != nil {
		return err
	}
	mean.Color = colMean
	mean.Width = vg.Points(1.6)

	pt, pr := s.PeakTime, s.PeakRate
	span, err := plotter.NewPolygon(plotter.XYs{{X: pt.Lo, Y: 0}, {X: pt.Hi, Y: 0}, {X: pt.Hi, Y: top}, {X: pt.Lo, Y: top}})
	if err != nil {
		return err
	}
	span.Color = colPeakBg
	span.LineStyle.Width = 0
	cross := func(xy plotter.XYs) (*plotter.Line, error) {
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		l.Color = colPeak
		l.Width = vg.Points(1.4)
		return l, nil
	}
	vert, err := cross(plotter.XYs{{X: pt.Mean, Y: pr.Lo}, {X: pt.Mean, Y: pr.Hi}})
	if err != nil {
		return err
	}
	horiz, err := cross(plotter.XYs{{X: pt.Lo, Y: pr.Mean}, {X: pt.Hi, Y: pr.Mean}})
	if err != nil {
		return err
	}
	dot, err := plotter.NewScatter(plotter.XYs{{X: pt.Mean, Y: pr.Mean}})
	if err != nil {
		return err
	}
	dot.GlyphStyle = draw.GlyphStyle{Color: colPeak, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}

	p.Add(hist, span, simul, point, mean, vert, horiz, dot)
	p.Legend.Add(fmt.Sprintf("PSTH (%d trials, %.3g ms bins)", d.Trials, 1000*d.BinWidth), hist)
	p.Legend.Add("posterior mean rate", mean)
	p.Legend.Add("95% pointwise band", point)
	p.Legend.Add("95% simultaneous band", simul)
	p.Legend.Add(fmt.Sprintf("peak time %.4f s [%.4f, %.4f]", pt.Mean, pt.Lo, pt.Hi), span)
	p.Legend.Add(fmt.Sprintf("peak rate %.1f spikes/s [%.1f, %.1f]", pr.Mean, pr.Lo, pr.Hi), vert, dot)
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Legend.Padding = vg.Points(1)
	p.Legend.ThumbnailWidth = vg.Points(18)
	p.X.Tick.Marker = niceTicks{}
	p.Y.Tick.Marker = niceTicks{}
	p.X.Min, p.X.Max = d.Start(), d.End()
	p.Y.Min, p.Y.Max = 0, top*1.25 // headroom for the legend

	img := vgimg.NewWith(vgimg.UseWH(fp.Width, fp.Height), vgimg.UseDPI(fp.DPI))
	p.Draw(draw.New(img))
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// niceTicks labels about 6 major ticks at multiples of 1, 2 or 5 times a
// power of ten, with as many decimals as the step needs (no "250.00").
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return nil
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{2, 5, 10} {
		if step < raw {
			step = m * mag
		}
	}
	dec := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	for v := math.Ceil(lo/step-1e-9) * step; v <= hi+1e-9*step; v += step {
		x := math.Round(v/step) * step
		if x == 0 {
			x = 0 // not -0
		}
		ticks = append(ticks, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'f', dec, 64)})
		if minor := x + step/2; minor <= hi {
			ticks = append(ticks, plot.Tick{Value: minor})
		}
	}
	return ticks
}
