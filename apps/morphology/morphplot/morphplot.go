// Package morphplot draws neurons with gonum/plot: 2-D projections coloured by
// neurite type with a scale bar, and Sholl profiles.
//
// The projections keep one scale on both axes (a micrometre is as long
// horizontally as vertically) and draw no axes; the scale bar gives the
// size. Write renders the standard figure (xy, xz and yz projections and the
// Sholl profile) as PNG or SVG to an io.Writer.
package morphplot

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"github.com/neurogfn/neurogfn/apps/morphology"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plane names a projection: the two coordinates drawn, horizontal first.
type Plane string

// The three projections.
const (
	XY Plane = "xy"
	XZ Plane = "xz"
	YZ Plane = "yz"
)

// TypeColor is the colour of a neurite type: soma black, axon blue, basal
// dendrite red, apical dendrite magenta, other types grey.
func TypeColor(t morphology.Type) color.Color {
	switch t {
	case morphology.Soma:
		return color.Black
	case morphology.Axon:
		return color.RGBA{R: 0x1f, G: 0x5f, B: 0xd0, A: 0xff}
	case morphology.Basal:
		return color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	case morphology.Apical:
		return color.RGBA{R: 0xb0, G: 0x30, B: 0xb0, A: 0xff}
	}
	return color.RGBA{R: 0x70, G: 0x70, B: 0x70, A: 0xff}
}

func coords(p Plane) (int, int) {
	switch p {
	case XY:
		return 0, 1
	case XZ:
		return 0, 2
	case YZ:
		return 1, 2
	}
	panic(fmt.Sprintf("morphplot: unknown plane %q", p))
}

// Projection is a plot.Plotter that draws a neuron projected on a plane,
// fitted into the data area with equal scales, with a scale bar in the lower
// left corner.
type Projection struct {
	Neuron *morphology.Neuron
	Plane  Plane
	// MinWidth is the thinnest line drawn; lines are otherwise as thick as
	// the neurite's diameter at the drawing's scale, up to MaxWidth.
	MinWidth, MaxWidth vg.Length
}

func (pr Projection) xy(i int) (float64, float64) {
	a, b := coords(pr.Plane)
	p := pr.Neuron.Samples[i].Pos
	v := [3]float64{p.X, p.Y, p.Z}
	return v[a], v[b]
}

// Plot implements plot.Plotter.
func (pr Projection) Plot(c draw.Canvas, _ *plot.Plot) {
	n := pr.Neuron
	shape := n.SomaShape()
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := range n.Samples {
		x, y := pr.xy(i)
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
	}
	a, b := coords(pr.Plane)
	ctr := [3]float64{shape.Center.X, shape.Center.Y, shape.Center.Z}
	cx, cy := ctr[a], ctr[b]
	minX, maxX = math.Min(minX, cx-shape.Radius), math.Max(maxX, cx+shape.Radius)
	minY, maxY = math.Min(minY, cy-shape.Radius), math.Max(maxY, cy+shape.Radius)
	dx, dy := math.Max(maxX-minX, 1e-6), math.Max(maxY-minY, 1e-6)

	barSpace := 14 * vg.Points(1) // room for the scale bar below the drawing
	w, h := c.Max.X-c.Min.X, c.Max.Y-c.Min.Y-barSpace
	if w <= 0 || h <= 0 {
		return
	}
	scale := math.Min(float64(w)/dx, float64(h)/dy) // points per um
	ox := c.Min.X + (w-vg.Length(dx*scale))/2
	oy := c.Min.Y + barSpace + (h-vg.Length(dy*scale))/2
	at := func(x, y float64) vg.Point {
		return vg.Point{X: ox + vg.Length((x-minX)*scale), Y: oy + vg.Length((y-minY)*scale)}
	}
	minW, maxW := pr.MinWidth, pr.MaxWidth
	if minW == 0 {
		minW = 0.35 * vg.Points(1)
	}
	if maxW == 0 {
		maxW = 3 * vg.Points(1)
	}
	// Neurite segments, the link from the soma included, in the child's
	// colour.
	for i, s := range n.Samples {
		if s.Parent < 0 || s.Type == morphology.Soma {
			continue
		}
		width := vg.Length(2 * s.R * scale)
		width = max(minW, min(maxW, width))
		x0, y0 := pr.xy(s.Parent)
		x1, y1 := pr.xy(i)
		c.StrokeLine2(draw.LineStyle{Color: TypeColor(s.Type), Width: width},
			at(x0, y0).X, at(x0, y0).Y, at(x1, y1).X, at(x1, y1).Y)
	}
	// The soma as a disc of its radius.
	if shape.Points > 0 {
		r := max(vg.Length(shape.Radius*scale), 1.5*vg.Points(1))
		ctrPt := at(cx, cy)
		var poly []vg.Point
		for k := range 48 {
			t := 2 * math.Pi * float64(k) / 48
			poly = append(poly, vg.Point{X: ctrPt.X + r*vg.Length(math.Cos(t)), Y: ctrPt.Y + r*vg.Length(math.Sin(t))})
		}
		c.FillPolygon(TypeColor(morphology.Soma), poly)
	}
	// Scale bar: a round length near a fifth of the larger extent.
	barUm := niceLength(math.Max(dx, dy) / 5)
	x0 := c.Min.X + 2*vg.Points(1)
	y0 := c.Min.Y + 4*vg.Points(1)
	c.StrokeLine2(draw.LineStyle{Color: color.Black, Width: 1.5 * vg.Points(1)}, x0, y0, x0+vg.Length(barUm*scale), y0)
	sty := draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, 8), Handler: plot.DefaultTextHandler, XAlign: draw.XLeft, YAlign: draw.YCenter}
	c.FillText(sty, vg.Point{X: x0 + vg.Length(barUm*scale) + 3*vg.Points(1), Y: y0}, fmt.Sprintf("%g µm", barUm))
}

// niceLength rounds v down to 1, 2 or 5 times a power of ten.
func niceLength(v float64) float64 {
	if !(v > 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{5, 2, 1} {
		if m*p <= v {
			return m * p
		}
	}
	return p
}

// ProjectionPlot returns a plot of the neuron projected on the plane, with a
// legend of the neurite types present.
func ProjectionPlot(n *morphology.Neuron, plane Plane, title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.HideAxes()
	p.Add(Projection{Neuron: n, Plane: plane})
	seen := map[morphology.Type]bool{}
	var types []morphology.Type
	for _, nt := range n.Neurites() {
		if !seen[nt.Type] {
			seen[nt.Type] = true
			types = append(types, nt.Type)
		}
	}
	for _, t := range types {
		p.Legend.Add(t.String(), &plotter.Line{LineStyle: draw.LineStyle{Color: TypeColor(t), Width: 2 * vg.Points(1)}})
	}
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = 8
	return p
}

// ShollPlot returns the Sholl profile (crossings against radius, spheres
// every step um from the soma surface), for all neurites in black and for
// each neurite type present in its colour.
func ShollPlot(n *morphology.Neuron, step float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Sholl (step %g µm)", step)
	p.X.Label.Text = "radius from the soma centre (µm)"
	p.Y.Label.Text = "crossings"
	add := func(name string, pts []morphology.ShollPoint, col color.Color, width vg.Length) error {
		xy := make(plotter.XYs, len(pts))
		for i, q := range pts {
			xy[i] = plotter.XY{X: q.Radius, Y: float64(q.Crossings)}
		}
		if len(xy) == 0 {
			return nil
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.LineStyle = draw.LineStyle{Color: col, Width: width}
		p.Add(l)
		p.Legend.Add(name, l)
		return nil
	}
	if err := add("all", morphology.Sholl(n, step), color.Black, 1.5*vg.Points(1)); err != nil {
		return nil, err
	}
	seen := map[morphology.Type]bool{}
	types := 0
	for _, nt := range n.Neurites() {
		if !seen[nt.Type] {
			seen[nt.Type] = true
			types++
		}
	}
	if types > 1 {
		for _, nt := range n.Neurites() {
			if !seen[nt.Type] {
				continue
			}
			seen[nt.Type] = false
			if err := add(nt.Type.String(), morphology.Sholl(n, step, nt.Type), TypeColor(nt.Type), vg.Points(1)); err != nil {
				return nil, err
			}
		}
	}
	p.Y.Min = 0
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = 8
	return p, nil
}

// Options control Write.
type Options struct {
	Format        string    // "png" or "svg"
	Width, Height vg.Length // default 24 cm x 20 cm
	DPI           int       // PNG resolution, default 150
	Title         string    // shown above the xy projection
	// ShollStep is the Sholl radius step in um; 0 picks 10 um, coarser
	// for cells larger than 5 mm.
	ShollStep float64
}

// Write renders the standard figure: xy, xz and yz projections and the Sholl
// profile in a 2 x 2 grid.
func Write(w io.Writer, n *morphology.Neuron, opt Options) error {
	if opt.Width == 0 {
		opt.Width = 24 * vg.Centimeter
	}
	if opt.Height == 0 {
		opt.Height = 20 * vg.Centimeter
	}
	if opt.DPI == 0 {
		opt.DPI = 150
	}
	step := opt.ShollStep
	if step == 0 {
		step = math.Max(10, morphology.Measure(n).MaxRadialDistance/500)
	}
	title := "xy"
	if opt.Title != "" {
		title = opt.Title + ": xy"
	}
	sholl, err := ShollPlot(n, step)
	if err != nil {
		return err
	}
	plots := [][]*plot.Plot{
		{ProjectionPlot(n, XY, title), ProjectionPlot(n, XZ, "xz")},
		{ProjectionPlot(n, YZ, "yz"), sholl},
	}
	// One legend for the three projections (the xy one) is enough.
	for _, p := range []*plot.Plot{plots[0][1], plots[1][0]} {
		p.Legend = plot.NewLegend()
	}
	var (
		canvas interface {
			vg.CanvasSizer
		}
		writeTo func(io.Writer) (int64, error)
	)
	switch opt.Format {
	case "png":
		img := vgimg.NewWith(vgimg.UseWH(opt.Width, opt.Height), vgimg.UseDPI(opt.DPI))
		canvas, writeTo = img, vgimg.PngCanvas{Canvas: img}.WriteTo
	case "svg":
		svg := vgsvg.NewWith(vgsvg.UseWH(opt.Width, opt.Height), vgsvg.EmbedFonts(true))
		canvas, writeTo = svg, svg.WriteTo
	default:
		return fmt.Errorf("unsupported image format %q (want png or svg)", opt.Format)
	}
	dc := draw.New(canvas)
	dc.FillPolygon(color.White, []vg.Point{dc.Min, {X: dc.Max.X, Y: dc.Min.Y}, dc.Max, {X: dc.Min.X, Y: dc.Max.Y}})
	pad := 4 * vg.Millimeter
	cells := plot.Align(plots, draw.Tiles{Rows: 2, Cols: 2, PadTop: pad, PadBottom: pad, PadLeft: pad, PadRight: pad, PadX: pad, PadY: pad}, dc)
	for i := range plots {
		for j := range plots[i] {
			plots[i][j].Draw(cells[i][j])
		}
	}
	_, err = writeTo(w)
	return err
}
