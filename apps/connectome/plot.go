package connectome

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// RasterPlot describes a raster plot of spikes over a population-rate
// histogram.
type RasterPlot struct {
	Title      string
	Neurons    int     // neurons in the network (rate denominator and y range)
	From, To   float64 // time window, s
	Bin        float64 // population-rate bin, s (default 1 ms)
	MaxNeurons int     // raster shows neurons below this id (default 500; rate uses all)
	// Excitatory colours the raster by type when set (len Neurons).
	Excitatory []bool
	Width      vg.Length // default 16 cm
	Height     vg.Length // default 12 cm
}

// WritePNG draws the plot as a PNG image to w.
func (rp RasterPlot) WritePNG(w io.Writer, spikes []Spike) error {
	if rp.To <= rp.From || rp.Neurons <= 0 {
		return fmt.Errorf("raster plot: empty window [%g, %g) s or %d neurons", rp.From, rp.To, rp.Neurons)
	}
	if rp.Bin <= 0 {
		rp.Bin = 0.001
	}
	if rp.MaxNeurons <= 0 {
		rp.MaxNeurons = 500
	}
	if rp.Width == 0 {
		rp.Width = 16 * vg.Centimeter
	}
	if rp.Height == 0 {
		rp.Height = 12 * vg.Centimeter
	}
	shown := min(rp.MaxNeurons, rp.Neurons)
	var exc, inh plotter.XYs
	nb := max(1, int(math.Ceil((rp.To-rp.From)/rp.Bin)))
	counts := make([]float64, nb)
	for _, s := range spikes {
		if s.T < rp.From || s.T >= rp.To {
			continue
		}
		counts[min(int((s.T-rp.From)/rp.Bin), nb-1)]++
		if s.Neuron < shown {
			pt := plotter.XY{X: s.T, Y: float64(s.Neuron)}
			if rp.Excitatory != nil && s.Neuron < len(rp.Excitatory) && !rp.Excitatory[s.Neuron] {
				inh = append(inh, pt)
			} else {
				exc = append(exc, pt)
			}
		}
	}
	top := plot.New()
	top.Title.Text = rp.Title
	top.Y.Label.Text = "neuron"
	top.X.Min, top.X.Max = rp.From, rp.To
	top.Y.Min, top.Y.Max = -0.5, float64(shown)-0.5
	for k, pts := range []plotter.XYs{exc, inh} {
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Shape = draw.BoxGlyph{}
		sc.GlyphStyle.Radius = vg.Points(0.5)
		sc.GlyphStyle.Color = color.RGBA{R: 20, G: 60, B: 160, A: 255}
		if k == 1 {
			sc.GlyphStyle.Color = color.RGBA{R: 190, G: 30, B: 30, A: 255}
		}
		top.Add(sc)
	}
	bottom := plot.New()
	bottom.X.Label.Text = "time (s)"
	bottom.Y.Label.Text = "rate (Hz)"
	bottom.X.Min, bottom.X.Max = rp.From, rp.To
	line := make(plotter.XYs, 0, 2*nb)
	for b, c := range counts {
		r := c / float64(rp.Neurons) / rp.Bin
		t0 := rp.From + float64(b)*rp.Bin
		line = append(line, plotter.XY{X: t0, Y: r}, plotter.XY{X: math.Min(t0+rp.Bin, rp.To), Y: r})
	}
	l, err := plotter.NewLine(line)
	if err != nil {
		return err
	}
	l.LineStyle.Width = vg.Points(0.7)
	bottom.Add(l)
	bottom.Y.Min = 0

	img := vgimg.New(rp.Width, rp.Height)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Millimeter}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	// Give the raster two thirds of the height.
	h := dc.Max.Y - dc.Min.Y
	split := dc.Min.Y + h/3
	canvases[1][0].Max.Y = split
	canvases[0][0].Min.Y = split + vg.Millimeter
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}
