package parquetout

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// SchemaVersion is the version of the table conventions documented in
// docs/schema.md. It changes whenever a column or footer key of a documented
// table is added, removed, renamed or retyped.
const SchemaVersion = "1"

// Footer keys. The first three follow ArviZ's InferenceData group attributes.
const (
	KeyCreatedAt        = "created_at"                // RFC 3339 UTC, second precision
	KeyLibrary          = "inference_library"         // tool name, "neurogfn"
	KeyLibraryVersion   = "inference_library_version" // tool version
	KeyGitCommit        = "git_commit"                // commit of the build, "unknown" if not stamped
	KeyCommandLine      = "command_line"              // the command as run
	KeySeed             = "seed"                      // base seed, decimal uint64
	KeyConfigYAML       = "config_yaml"               // the resolved configuration
	KeySchemaVersion    = "schema_version"            // SchemaVersion
	KeyTable            = "table"                     // table name: posterior, sample_stats, ...
	createdAtTimeLayout = time.RFC3339
)

// FooterKeys lists the keys every file carries, in footer (sorted) order.
// Meta.Extra may add more.
var FooterKeys = []string{
	KeyCommandLine, KeyConfigYAML, KeyCreatedAt, KeyGitCommit, KeyLibrary,
	KeyLibraryVersion, KeySchemaVersion, KeySeed, KeyTable,
}

// Meta is the provenance written into a file's footer.
type Meta struct {
	Tool        string    // tool name, e.g. "neurogfn"
	Version     string    // tool version
	Commit      string    // git commit of the build ("" is written as "unknown")
	CommandLine string    // the command as run
	Seed        uint64    // base seed of the run
	ConfigYAML  string    // resolved configuration, YAML
	Created     time.Time // creation time, written in UTC to the second
	Table       string    // table name, e.g. "posterior"
	// Extra holds further keys (for example the work item and its derived
	// seed). They must not be one of FooterKeys.
	Extra map[string]string
}

// Validate reports missing required fields and extra keys that collide with
// the standard ones.
func (m Meta) Validate() error {
	switch {
	case m.Tool == "":
		return fmt.Errorf("parquetout: metadata lacks the tool name")
	case m.Version == "":
		return fmt.Errorf("parquetout: metadata lacks the tool version")
	case m.Table == "":
		return fmt.Errorf("parquetout: metadata lacks the table name")
	case m.Created.IsZero():
		return fmt.Errorf("parquetout: metadata lacks the creation time")
	}
	for k := range m.Extra {
		if slices.Contains(FooterKeys, k) || k == "" {
			return fmt.Errorf("parquetout: extra metadata key %q is empty or reserved", k)
		}
	}
	return nil
}

// commit is the git_commit footer value: m.Commit, "unknown" if empty.
func (m Meta) commit() string {
	if m.Commit == "" {
		return "unknown"
	}
	return m.Commit
}

// CreatedBy is the Parquet created_by field of a file with metadata m:
// "<tool> version <version> (build <commit>)", the format of parquet-mr and
// parquet-cpp (parquet-go's parquet.CreatedBy leaves out the space before
// "(build").
func (m Meta) CreatedBy() string {
	return m.Tool + " version " + m.Version + " (build " + m.commit() + ")"
}

// KeyValues returns the footer key-value pairs of m, sorted by key.
func (m Meta) KeyValues() [][2]string {
	commit := m.commit()
	kv := map[string]string{
		KeyCreatedAt:      m.Created.UTC().Format(createdAtTimeLayout),
		KeyLibrary:        m.Tool,
		KeyLibraryVersion: m.Version,
		KeyGitCommit:      commit,
		KeyCommandLine:    m.CommandLine,
		KeySeed:           strconv.FormatUint(m.Seed, 10),
		KeyConfigYAML:     m.ConfigYAML,
		KeySchemaVersion:  SchemaVersion,
		KeyTable:          m.Table,
	}
	maps.Copy(kv, m.Extra)
	out := make([][2]string, 0, len(kv))
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		out = append(out, [2]string{k, kv[k]})
	}
	return out
}
