// Package parquetout writes neurogfn's results as tidy, long-format Parquet
// tables that pandas, pyarrow, polars and DuckDB read without surprises, with
// the provenance of the run in the file footer. Every app writes through it,
// so there is one convention for all of them; docs/schema.md documents the
// tables.
//
// # Tables
//
// A table is a Go struct type with parquet tags, one value per row.
// NewWriter checks the conventions once per type and refuses a type that
// breaks them:
//
//   - numeric columns are never `optional` (parquet-go writes an optional
//     zero as NULL);
//   - string columns are dictionary-encoded (tag `dict`): categorical values
//     such as a parameter name, and an encoding every reader supports;
//   - slices are tagged `list` (an untagged slice is a legacy repeated field).
//
// Files are zstd-compressed, with data page v1 and row groups of at most
// Options.RowGroupRows rows. Rows that are posterior draws carry the columns
// chain (int32) and draw (int64), ArviZ's first two dimensions; PosteriorRow
// and SampleStatsRow are the shared long-format rows for the posterior and
// sample_stats groups.
//
// # Provenance
//
// Meta is written into the footer as key-value metadata (keys in
// FooterKeys): tool name and version, git commit, command line, seed, the
// resolved configuration as YAML, schema version, table name and creation
// time. The writer reads no clock: the caller sets Meta.Created (the command
// line uses SOURCE_DATE_EPOCH when set), so the same inputs give
// byte-identical files.
//
// # Atomic files and datasets
//
// Create opens a hidden temporary file (its name starts with '.') next to the
// target; Commit syncs it and renames it into place, Abort removes it. Readers
// (pyarrow, DuckDB globs on *.parquet) never pick up a partial file, even
// after SIGKILL; a killed run may leave a hidden .*.tmp file behind, which
// readers ignore. WriteFile does all of this for a slice of rows.
//
// Many fits form a hive-partitioned dataset, root/<key>=<value>/part-<n>.parquet
// (PartPath), with partition values never zero-padded. Partition keys are not
// columns of the files: readers add them from the path, and a column with the
// same name would clash.
//
// # Shards
//
// A run with many work items (neurons, chains, instances) can be split over
// the tasks of a SLURM job array: Shard.Range gives the contiguous block of
// items a task owns, ResolveShard reads --shard-index/--shard-count or the
// SLURM_ARRAY_* variables, and ItemSeed derives each item's seed from the
// base seed and the item alone, so the union of the shards' outputs equals
// the single-machine run.
//
// The package reads no flags, environment variables or clock of its own;
// callers pass paths, writers and values.
package parquetout
