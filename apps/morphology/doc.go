// Package morphology reads, writes and measures reconstructed neurons in SWC
// format, with the conventions of the field's tools (NeuroMorpho.Org, NeuroM
// and MorphIO, NEURON, Vaa3D). It is deterministic and does no I/O of its
// own: readers take an io.Reader and a name for messages, writers an
// io.Writer.
//
// # Tree model
//
// A Neuron holds its samples (position and radius in um, type, parent),
// each parent before its children, with a single root. Derived from them:
// sections, the unbranched runs between a neurite's first sample, fork
// points and tips (a child section starts with its parent's last sample; a
// root section starts at the neurite's first sample, without the soma), and
// neurites, the trees hanging from the soma. SomaShape gives the soma as a
// sphere with MorphIO's conventions.
//
// # Reading and writing SWC
//
// ReadSWC accepts what real files contain (comments, LF, CRLF or CR line
// endings, tabs or runs of spaces, extra columns, unsorted IDs, somas of one,
// three or many points) and rejects broken files with a *ParseError naming
// the file and line; oddities come back as Warnings. WriteSWC writes IDs 1..N
// depth-first with single spaces and shortest round-trip numbers, so that
// read, write, read gives an Equal tree; Normalize rewrites the soma (the
// NeuroMorpho 3-point layout by default) and attaches every stem to the soma
// root.
//
// # Morphometrics
//
// Measure follows NeuroM: the link from the soma to a neurite's first sample
// counts in no length, root sections have branch order 0, path lengths start
// at a neurite's first sample. It gives counts (stems, bifurcations, tips,
// sections), total length, section lengths, path lengths, branch orders,
// local and remote bifurcation angles, partition asymmetry, tortuosity,
// Strahler orders, the bounding box and the TMD persistence barcode of each
// neurite; Sholl gives NeuroM's Sholl profile. On the five reference cells
// bundled in data/swc these equal the reference values (total length to
// 0.01 um, counts exactly). MeasureMorphoPy gives whole-cell numbers under
// MorphoPy's convention (soma collapsed to one node whose links count), which
// reproduce MorphoPy's published figures.
//
// # Tables
//
// MorphometricRows and SectionRows give the rows of the tidy tables
// "morphometrics" (one row per neuron, neurite type and metric) and
// "sections" (one row per section), as Parquet-tagged structs; the package
// writes no files: `neurogfn morphology stats --out` writes them through
// package parquetout, and docs/schema.md documents the columns.
//
// The drawings (projections, Sholl plots) are in the subpackage morphplot.
package morphology
