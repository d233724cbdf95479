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

// RasterPlot describes a raster plot of spikes over population-rate
// histograms. The raster shows a sample of both populations: the first
// PerPopulation excitatory neurons (by id) in the lower rows and the first
// PerPopulation inhibitory neurons above them, in different colours; the
// rate panel shows each population's mean rate per neuron.
type RasterPlot struct {
	Title         string
	Neurons       int     // neurons in the network (rate denominator)
	From, To      float64 // time window, s
	Bin           float64 // population-rate bin, s (default 1 ms)
	PerPopulation int     // neurons shown per population (default 250)
	// Excitatory gives the neurons' types (len Neurons); nil means one
	// population, all shown in the excitatory colour.
	Excitatory []bool
	Width      vg.Length // default 16 cm
	Height     vg.Length // default 12 cm
}

var (
	colourE = color.RGBA{R: 20, G: 60, B: 160, A: 255}
	colourI = color.RGBA{R: 190, G: 30, B: 30, A: 255}
)

// WritePNG draws the plot as a PNG image to w.
func (rp RasterPlot) WritePNG(w io.Writer, spikes []Spike) error {
	if rp.To <= rp.From || rp.Neurons <= 0 {
		return fmt.Errorf("raster plot: empty window [%g, %g) s or %d neurons", rp.From, rp.To, rp.Neurons)
	}
	if rp.Excitatory != nil && len(rp.Excitatory) != rp.Neurons {
		return fmt.Errorf("raster plot: %d neuron types for %d neurons", len(rp.Excitatory), rp.Neurons)
	}
	if rp.Bin <= 0 {
		rp.Bin = 0.001
	}
	if rp.PerPopulation <= 0 {
		rp.PerPopulation = 250
	}
	if rp.Width == 0 {
		rp.Width = 16 * vg.Centimeter
	}
	if rp.Height == 0 {
		rp.Height = 12 * vg.Centimeter
	}
	inh := func(i int) bool { return rp.Excitatory != nil && !rp.Excitatory[i] }
	// Raster rows: the first PerPopulation neurons of each type, E below I.
	row := make([]int, rp.Neurons)
	var size [2]int // neurons per population
	var shown [2]int
	for i := range row {
		row[i] = -1
		p := 0
		if inh(i) {
			p = 1
		}
		size[p]++
		if shown[p] < rp.PerPopulation {
			row[i] = shown[p]
			shown[p]++
		}
	}
	for i := range row {
		if row[i] >= 0 && inh(i) {
			row[i] += shown[0]
		}
	}
	nb := max(1, int(math.Ceil((rp.To-rp.From)/rp.Bin)))
	var counts [2][]float64
	counts[0], counts[1] = make([]float64, nb), make([]float64, nb)
	var pts [2]plotter.XYs
	for _, s := range spikes {
		if s.T < rp.From || s.T >= rp.To || s.Neuron < 0 || s.Neuron >= rp.Neurons {
			continue
		}
		p := 0
		if inh(s.Neuron) {
			p = 1
		}
		counts[p][min(int((s.T-rp.From)/rp.Bin), nb-1)]++
		if r := row[s.Neuron]; r >= 0 {
			pts[p] = append(pts[p], plotter.XY{X: s.T, Y: float64(r)})
		}
	}
	names := [2]string{"excitatory", "inhibitory"}
	if rp.Excitatory == nil {
		names[0] = "neurons"
	}
	colours := [2]color.Color{colourE, colourI}

	top := plot.New()
	top.Title.Text = rp.Title
	top.Y.Label.Text = "neuron"
	top.X.Min, top.X.Max = rp.From, rp.To
	top.Y.Min, top.Y.Max = -0.5, float64(shown[0]+shown[1])-0.5
	top.Y.Tick.Marker = rowTicks{shown}
	var label []string
	for p := range 2 {
		if shown[p] == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts[p])
		if err != nil {
			return err
		}
		sc.GlyphStyle.Shape = draw.BoxGlyph{}
		sc.GlyphStyle.Radius = vg.Points(0.5)
		sc.GlyphStyle.Color = colours[p]
		top.Add(sc)
		label = append(label, fmt.Sprintf("first %d of %d %s", shown[p], size[p], names[p]))
	}
	if len(label) == 2 {
		top.Title.Text += "\n" + label[0] + " (blue), " + label[1] + " (red)"
	} else if len(label) == 1 {
		top.Title.Text += "\n" + label[0]
	}
	if shown[0] > 0 && shown[1] > 0 {
		sep, err := plotter.NewLine(plotter.XYs{{X: rp.From, Y: float64(shown[0]) - 0.5}, {X: rp.To, Y: float64(shown[0]) - 0.5}})
		if err != nil {
			return err
		}
		sep.LineStyle.Width = vg.Points(0.5)
		sep.LineStyle.Color = color.Gray{Y: 120}
		top.Add(sep)
	}

	bottom := plot.New()
	bottom.X.Label.Text = "time (s)"
	bottom.Y.Label.Text = "rate (Hz)"
	bottom.X.Min, bottom.X.Max = rp.From, rp.To
	bottom.Legend.Top = true
	bottom.Legend.Left = true
	for _, p := range []int{1, 0} { // excitatory on top
		if size[p] == 0 {
			continue
		}
		line := make(plotter.XYs, 0, 2*nb)
		for b, c := range counts[p] {
			r := c / float64(size[p]) / rp.Bin
			t0 := rp.From + float64(b)*rp.Bin
			line = append(line, plotter.XY{X: t0, Y: r}, plotter.XY{X: math.Min(t0+rp.Bin, rp.To), Y: r})
		}
		l, err := plotter.NewLine(line)
		if err != nil {
			return err
		}
		l.LineStyle.Width = vg.Points(0.7)
		l.LineStyle.Color = colours[p]
		bottom.Add(l)
		var total float64
		for _, c := range counts[p] {
			total += c
		}
		bottom.Legend.Add(fmt.Sprintf("%s, mean %.3g Hz", names[p], total/float64(size[p])/(rp.To-rp.From)), l)
	}
	bottom.Y.Min = 0
	// Head room for the legend above the lines.
	var peak float64
	for p := range 2 {
		for _, c := range counts[p] {
			peak = max(peak, c/float64(max(size[p], 1))/rp.Bin)
		}
	}
	bottom.Y.Max = 1.45 * max(peak, 1)

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
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// rowTicks labels the raster rows: E 0 at the bottom, I 0 above the
// excitatory rows (ranks within each population's sample).
type rowTicks struct{ shown [2]int }

func (rt rowTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for p, base := range []int{0, rt.shown[0]} {
		n := rt.shown[p]
		if n == 0 {
			continue
		}
		name := [2]string{"E", "I"}[p]
		if rt.shown[1] == 0 {
			name = ""
		}
		step := niceStep(n)
		for k := 0; k == 0 || float64(k) <= float64(n)-0.6*float64(step); k += step {
			out = append(out, plot.Tick{Value: float64(base + k), Label: fmt.Sprintf("%s%d", name, k)})
		}
	}
	return out
}

// niceStep is a tick spacing of 1, 2 or 5 times a power of ten giving at
// most 3 ticks over n rows.
func niceStep(n int) int {
	for s := 1; ; s *= 10 {
		for _, m := range []int{1, 2, 5} {
			if n <= 3*s*m {
				return s * m
			}
		}
	}
}
