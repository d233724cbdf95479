package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/goccy/go-yaml"
	"github.com/neurogfn/neurogfn/apps/morphology"
	"github.com/neurogfn/neurogfn/parquetout"
	"github.com/spf13/cobra"
)

// morphologyTables collects the rows of `morphology stats --out DIR` and
// writes DIR/morphometrics.parquet and DIR/sections.parquet. A nil
// *morphologyTables (no --out) does nothing.
type morphologyTables struct {
	dir      string
	meta     parquetout.Meta
	metrics  []morphology.MorphometricRow
	sections []morphology.SectionRow
}

// morphologyStatsConfig is the resolved configuration in the footers.
type morphologyStatsConfig struct {
	Stats struct {
		Files       []string `yaml:"files"`
		Neurons     []string `yaml:"neurons"`
		Conventions string   `yaml:"conventions"`
	} `yaml:"stats"`
}

// newMorphologyTables checks the output folder (exit status 73 when it is
// missing or not writable) and that the files' base names, which name the
// neurons, are distinct, before any file is read.
func newMorphologyTables(cmd *cobra.Command, dir string, files []string) (*morphologyTables, error) {
	if dir == "" {
		return nil, fmt.Errorf("--out needs a folder")
	}
	if _, err := parquetout.MkdirParts(dir); err != nil {
		return nil, exitError{exitCantCreate, err}
	}
	probe, err := parquetout.Create(filepath.Join(dir, "probe"))
	if err != nil {
		return nil, exitError{exitCantCreate, err}
	}
	probe.Abort()
	var conf morphologyStatsConfig
	conf.Stats.Conventions = "neurom"
	seen := map[string]string{}
	for _, f := range files {
		name := filepath.Base(f)
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("%s and %s have the same base name %s, which names the neuron in the tables; rename one", prev, f, name)
		}
		seen[name] = f
		conf.Stats.Files = append(conf.Stats.Files, f)
		conf.Stats.Neurons = append(conf.Stats.Neurons, name)
	}
	confYAML, err := yaml.Marshal(conf)
	if err != nil {
		return nil, err
	}
	created, err := creationTime(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return nil, err
	}
	// The files are arguments, not flags: they belong in the command line.
	cl := commandLine(cmd)
	for _, f := range files {
		cl += " " + shellQuote(f)
	}
	return &morphologyTables{dir: dir, meta: parquetout.Meta{
		Tool: "neurogfn", Version: versionString(), Commit: buildCommit(),
		CommandLine: cl, ConfigYAML: string(confYAML), Created: created,
	}}, nil
}

// add appends the rows of the neuron read from path.
func (t *morphologyTables) add(path string, n *morphology.Neuron) {
	if t == nil {
		return
	}
	name := filepath.Base(path)
	t.metrics = morphology.MorphometricRows(t.metrics, name, n)
	t.sections = morphology.SectionRows(t.sections, name, n)
}

// write writes both tables, each to a hidden temporary file, and renames
// them into place only when both are complete: a failed write leaves
// neither new file, and earlier files at those paths as they were (unless
// the second rename itself fails, when the first file is removed).
func (t *morphologyTables) write(cmd *cobra.Command) error {
	if t == nil {
		return nil
	}
	mpath := filepath.Join(t.dir, morphology.TableMorphometrics+".parquet")
	spath := filepath.Join(t.dir, morphology.TableSections+".parquet")
	mf, err := parquetout.Create(mpath)
	if err != nil {
		return exitError{exitCantCreate, err}
	}
	defer mf.Abort()
	sf, err := parquetout.Create(spath)
	if err != nil {
		return exitError{exitCantCreate, err}
	}
	defer sf.Abort()
	m := t.meta
	m.Table = morphology.TableMorphometrics
	if err := parquetout.Encode(mf, t.metrics, m, parquetout.Options{}); err != nil {
		return exitError{exitIOErr, err}
	}
	m.Table = morphology.TableSections
	if err := parquetout.Encode(sf, t.sections, m, parquetout.Options{}); err != nil {
		return exitError{exitIOErr, err}
	}
	if err := mf.Commit(); err != nil {
		return exitError{exitIOErr, err}
	}
	if err := sf.Commit(); err != nil {
		// Do not leave a morphometrics table without its sections.
		os.Remove(mpath)
		return exitError{exitIOErr, err}
	}
	w := cmd.ErrOrStderr()
	fmt.Fprintf(w, "wrote %s (%d rows)\n", mpath, len(t.metrics))
	fmt.Fprintf(w, "wrote %s (%d rows)\n", spath, len(t.sections))
	return nil
}
