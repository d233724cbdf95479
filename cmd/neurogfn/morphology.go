package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/neurogfn/neurogfn/apps/morphology"
	"github.com/neurogfn/neurogfn/apps/morphology/morphplot"
	"github.com/spf13/cobra"
	"gonum.org/v1/plot/vg"
)

func newMorphologyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "morphology",
		Short: "Neuron morphologies: SWC files, morphometrics, pictures",
		Long: `Tools for reconstructed neurons in SWC format (NeuroMorpho.Org, NeuroM,
NEURON, Vaa3D):
  stats     morphometrics with NeuroM's conventions, as a table or JSON
  plot      xy, xz and yz projections coloured by neurite type, and a Sholl plot
  convert   rewrite an SWC file in normal form (IDs 1..N depth-first, parents
            first, NeuroMorpho 3-point soma, stems on the soma root)

Files that cannot be loaded are reported as FILE:LINE: reason, with a
non-zero exit status; loadable oddities are reported on stderr as warnings.`,
		Example: `  neurogfn morphology stats data/swc/*.swc --json
  neurogfn morphology plot data/swc/C010398B-P2.CNG.swc --out c010398b.png
  neurogfn morphology convert data/swc/BS0284.swc bs0284.swc`,
	}
	c.AddCommand(newMorphologyStatsCmd(), newMorphologyPlotCmd(), newMorphologyConvertCmd())
	return c
}

// readSWCFile reads one SWC file and prints its warnings on stderr.
func readSWCFile(cmd *cobra.Command, path string) (*morphology.Neuron, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	n, warns, err := morphology.ReadSWC(bytes.NewReader(b), path)
	if err != nil {
		return nil, err
	}
	for _, w := range warns {
		fmt.Fprintln(cmd.ErrOrStderr(), w)
	}
	return n, nil
}

type morphologyStats struct {
	File                string             `json:"file"`
	Samples             int                `json:"samples"`
	SomaSamples         int                `json:"soma_samples"`
	SomaRadiusUm        float64            `json:"soma_radius_um"`
	Stems               int                `json:"stems"`
	Bifurcations        int                `json:"bifurcations"`
	ForkPoints          int                `json:"fork_points"`
	Tips                int                `json:"tips"`
	Sections            int                `json:"sections"`
	TotalLengthUm       float64            `json:"total_length_um"`
	TotalLengthUmByType map[string]float64 `json:"total_length_um_by_type"`
	MaxBranchOrder      int                `json:"max_branch_order"`
	MaxPathLengthUm     float64            `json:"max_path_length_um"`
	MaxRadialDistanceUm float64            `json:"max_radial_distance_um"`
	ExtentUm            [3]float64         `json:"extent_um"`
	MorphoPy            *morphoPyStats     `json:"morphopy,omitempty"`
}

type morphoPyStats struct {
	TotalLengthUm     float64 `json:"total_length_um"`
	BranchPoints      int     `json:"branch_points"`
	MaxBranchOrder    int     `json:"max_branch_order"`
	MaxPathDistanceUm float64 `json:"max_path_dist_to_soma_um"`
	WidthUm           float64 `json:"width_um"`
	DepthUm           float64 `json:"depth_um"`
	HeightUm          float64 `json:"height_um"`
}

func computeStats(path string, n *morphology.Neuron, withMorphoPy bool) morphologyStats {
	m := morphology.Measure(n)
	s := morphologyStats{
		File: path, Samples: len(n.Samples), SomaSamples: len(n.SomaSamples()), SomaRadiusUm: n.SomaShape().Radius,
		Stems: m.Stems, Bifurcations: m.Bifurcations, ForkPoints: m.ForkPoints, Tips: m.Tips, Sections: m.Sections,
		TotalLengthUm: m.TotalLength, TotalLengthUmByType: map[string]float64{},
		MaxBranchOrder: m.MaxBranchOrder, MaxPathLengthUm: m.MaxPathLength, MaxRadialDistanceUm: m.MaxRadialDistance,
		ExtentUm: [3]float64{m.Box.Max.X - m.Box.Min.X, m.Box.Max.Y - m.Box.Min.Y, m.Box.Max.Z - m.Box.Min.Z},
	}
	for _, nt := range n.Neurites() {
		name := nt.Type.String()
		if _, done := s.TotalLengthUmByType[name]; !done {
			s.TotalLengthUmByType[name] = morphology.Measure(n, nt.Type).TotalLength
		}
	}
	if withMorphoPy {
		mp := morphology.MeasureMorphoPy(n)
		s.MorphoPy = &morphoPyStats{TotalLengthUm: mp.TotalLength, BranchPoints: mp.BranchPoints, MaxBranchOrder: mp.MaxBranchOrder,
			MaxPathDistanceUm: mp.MaxPathDistance, WidthUm: mp.Width, DepthUm: mp.Depth, HeightUm: mp.Height}
	}
	return s
}

func newMorphologyStatsCmd() *cobra.Command {
	var (
		asJSON, withMorphoPy bool
		outDir               string
	)
	cmd := &cobra.Command{
		Use:   "stats FILE.swc...",
		Short: "Morphometrics of SWC files (NeuroM conventions)",
		Long: `Read each SWC file and print its morphometrics with NeuroM's conventions: the
link from the soma to a neurite's first sample is not part of any length, root
sections have branch order 0, path lengths start at a neurite's first sample,
bifurcations and tips are counted on neurite samples. Lengths are in um.

With --json, one JSON object per file on stdout, with file, samples,
soma_samples, soma_radius_um, stems, bifurcations, fork_points, tips,
sections, total_length_um, total_length_um_by_type (keys axon, basal, apical,
customN, for the neurite types present), max_branch_order,
max_path_length_um, max_radial_distance_um and extent_um ([x, y, z] of the
neurites' bounding box). --morphopy adds a "morphopy" object with MorphoPy's
convention (soma collapsed to one node at the mean of its samples, soma links
counted, the soma a branch point).

With --out DIR, also write two Parquet tables (docs/schema.md), with the
neuron named by the file's base name:

  DIR/morphometrics.parquet  neuron, neurite_type, metric, value, unit:
                             one row per neuron, selection (all neurites or
                             one type) and metric
  DIR/sections.parquet       one row per section: neuron, section,
                             parent_section, neurite, neurite_type,
                             branch_order, strahler_order, children, points,
                             length_um, path_length_um, radial_distance_um,
                             tortuosity

Both files appear atomically and together (each is written to a hidden
temporary file, and both are renamed only when both are complete); with
SOURCE_DATE_EPOCH set, the same command writes byte-identical files. Exit
status 73: DIR is missing or not writable; 74: a write failed.

Every file is read before anything is printed or written: a file that cannot
be loaded stops the command with FILE:LINE: reason.`,
		Example: `  neurogfn morphology stats data/swc/C010398B-P2.CNG.swc
  neurogfn morphology stats data/swc/*.swc --json | jq .total_length_um
  neurogfn morphology stats data/swc/*.swc --out results/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var tables *morphologyTables
			if cmd.Flags().Changed("out") {
				var err error
				if tables, err = newMorphologyTables(cmd, outDir, args); err != nil {
					return err
				}
			}
			var all []morphologyStats
			for _, path := range args {
				n, err := readSWCFile(cmd, path)
				if err != nil {
					return err
				}
				all = append(all, computeStats(path, n, withMorphoPy))
				tables.add(path, n)
			}
			if err := tables.write(cmd); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, s := range all {
				if asJSON {
					b, err := json.Marshal(s)
					if err != nil {
						return err
					}
					fmt.Fprintln(out, string(b))
					continue
				}
				printStats(out, s)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per file on stdout")
	cmd.Flags().BoolVar(&withMorphoPy, "morphopy", false, "add the numbers under MorphoPy's convention")
	cmd.Flags().StringVar(&outDir, "out", "", "also write DIR/morphometrics.parquet and DIR/sections.parquet (DIR must exist)")
	return cmd
}

func printStats(w io.Writer, s morphologyStats) {
	fmt.Fprintf(w, "%s\n", s.File)
	fmt.Fprintf(w, "  samples %d (soma %d, radius %.3f um)\n", s.Samples, s.SomaSamples, s.SomaRadiusUm)
	fmt.Fprintf(w, "  stems %d  bifurcations %d  tips %d  sections %d\n", s.Stems, s.Bifurcations, s.Tips, s.Sections)
	fmt.Fprintf(w, "  total length %.2f um", s.TotalLengthUm)
	for _, k := range []string{"axon", "basal", "apical"} {
		if v, ok := s.TotalLengthUmByType[k]; ok {
			fmt.Fprintf(w, "  %s %.2f", k, v)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  max branch order %d  max path length %.2f um  max radial distance %.2f um\n", s.MaxBranchOrder, s.MaxPathLengthUm, s.MaxRadialDistanceUm)
	fmt.Fprintf(w, "  extent x %.2f  y %.2f  z %.2f um\n", s.ExtentUm[0], s.ExtentUm[1], s.ExtentUm[2])
	if mp := s.MorphoPy; mp != nil {
		fmt.Fprintf(w, "  MorphoPy convention: total length %.3f um, branch points %d, max branch order %d, max path %.3f um\n",
			mp.TotalLengthUm, mp.BranchPoints, mp.MaxBranchOrder, mp.MaxPathDistanceUm)
	}
}

func newMorphologyPlotCmd() *cobra.Command {
	var (
		out           string
		width, height float64
		dpi           int
		step          float64
	)
	cmd := &cobra.Command{
		Use:   "plot FILE.swc --out FILE.png|FILE.svg",
		Short: "Draw a neuron: xy, xz, yz projections and a Sholl plot",
		Long: `Draw the xy, xz and yz projections of a neuron, coloured by neurite type
(soma black, axon blue, basal dendrite red, apical dendrite magenta, other
grey) with a scale bar, and its Sholl profile (crossings of spheres around the
soma centre, every --sholl-step um from the soma radius), in a 2 x 2 figure.
The format follows the extension of --out: .png or .svg.`,
		Example: `  neurogfn morphology plot data/swc/EC3-60126.CNG.swc --out ec3.png
  neurogfn morphology plot data/swc/BS0284.swc --out bs0284.svg --sholl-step 20`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out is required (FILE.png or FILE.svg)")
			}
			format := strings.TrimPrefix(strings.ToLower(filepath.Ext(out)), ".")
			if format != "png" && format != "svg" {
				return fmt.Errorf("--out %s: the extension must be .png or .svg", out)
			}
			if width <= 0 || height <= 0 || dpi <= 0 || step < 0 {
				return fmt.Errorf("--width, --height and --dpi must be positive and --sholl-step non-negative")
			}
			n, err := readSWCFile(cmd, args[0])
			if err != nil {
				return err
			}
			opt := morphplot.Options{Format: format, Width: vg.Length(width) * vg.Centimeter, Height: vg.Length(height) * vg.Centimeter,
				DPI: dpi, Title: filepath.Base(args[0]), ShollStep: step}
			if err := writeAtomic(out, func(w io.Writer) error { return morphplot.Write(w, n, opt) }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", out)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&out, "out", "", "output image, .png or .svg")
	fs.Float64Var(&width, "width", 24, "figure width in cm")
	fs.Float64Var(&height, "height", 20, "figure height in cm")
	fs.IntVar(&dpi, "dpi", 150, "PNG resolution in dots per inch")
	fs.Float64Var(&step, "sholl-step", 0, "Sholl radius step in um (0: 10 um, coarser for cells over 5 mm)")
	return cmd
}

func newMorphologyConvertCmd() *cobra.Command {
	var soma string
	cmd := &cobra.Command{
		Use:   "convert IN.swc OUT.swc",
		Short: "Rewrite an SWC file in normal form",
		Long: `Read IN.swc and write OUT.swc in the form NEURON, NeuroM and Vaa3D all load:
IDs 1..N in depth-first order, every parent before its children, a single
root, every stem attached to the soma root, single spaces, '\n' line endings,
and a header with provenance followed by the original header lines.

--soma chooses the soma layout: 3point (NeuroMorpho's standard: centre and
centre -/+ radius along y; default), 1point (one sphere), or keep. The new
soma has the old one's centre (mean of its samples) and radius (MorphIO's
conventions), so NeuroM-convention lengths are unchanged. OUT.swc is written
atomically: on any error it is left untouched.`,
		Example: `  neurogfn morphology convert data/swc/BS0284.swc bs0284.CNG.swc
  neurogfn morphology convert in.swc out.swc --soma keep`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			layouts := map[string]morphology.SomaLayout{"3point": morphology.SomaThreePoint, "1point": morphology.SomaSinglePoint, "keep": morphology.SomaKeep}
			layout, ok := layouts[soma]
			if !ok {
				return fmt.Errorf("--soma %q: want 3point, 1point or keep", soma)
			}
			in, out := args[0], args[1]
			n, err := readSWCFile(cmd, in)
			if err != nil {
				return err
			}
			norm := morphology.Normalize(n, layout)
			header := []string{
				fmt.Sprintf("converted by neurogfn %s (morphology convert --soma %s)", versionString(), soma),
				"source: " + filepath.Base(in),
				"units: um; columns: id type x y z radius parent",
			}
			if len(n.Comments) > 0 {
				header = append(header, "original header:")
				for _, c := range n.Comments {
					header = append(header, "  "+c)
				}
			}
			if err := writeAtomic(out, func(w io.Writer) error { return morphology.WriteSWC(w, norm, header) }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d samples, %d soma)\n", out, len(norm.Samples), len(norm.SomaSamples()))
			return nil
		},
	}
	cmd.Flags().StringVar(&soma, "soma", "3point", "soma layout: 3point, 1point or keep")
	return cmd
}
