package parquetout

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
)

// Partition is one level key=value of a hive-partitioned dataset.
type Partition struct {
	Key   string // lower-case identifier: [a-z][a-z0-9_]*
	Value string // raw value; PartPath escapes it for the path
}

// IntPartition returns the partition key=v with v in plain decimal, never
// zero-padded (DuckDB types "3" as BIGINT but "0003" as VARCHAR).
func IntPartition(key string, v int64) Partition {
	return Partition{Key: key, Value: strconv.FormatInt(v, 10)}
}

// StringPartition returns the partition key=v.
func StringPartition(key, v string) Partition { return Partition{Key: key, Value: v} }

// PartitionDir returns root/<k1>=<v1>/<k2>=<v2>/... Values are escaped as
// URI path segments (pyarrow's default segment encoding), so a value may hold
// any character; an identifier-like value is unchanged. It panics on a key
// that is not a lower-case identifier or an empty value (programmer errors).
func PartitionDir(root string, parts ...Partition) string {
	elems := []string{root}
	for _, p := range parts {
		if !isIdent(p.Key) {
			panic(fmt.Sprintf("parquetout: partition key %q is not a lower-case identifier", p.Key))
		}
		if p.Value == "" {
			panic(fmt.Sprintf("parquetout: partition %s has an empty value", p.Key))
		}
		elems = append(elems, p.Key+"="+url.PathEscape(p.Value))
	}
	return filepath.Join(elems...)
}

// PartPath returns the path of part n of a hive-partitioned dataset:
// root/<k1>=<v1>/.../part-<n>.parquet, n in plain decimal.
func PartPath(root string, n int, parts ...Partition) string {
	if n < 0 {
		panic(fmt.Sprintf("parquetout: part number %d is negative", n))
	}
	return filepath.Join(PartitionDir(root, parts...), "part-"+strconv.Itoa(n)+".parquet")
}

// MkdirParts creates the folders of the partitions below root. root itself
// must exist: a missing output folder is the caller's error to report, not
// something to create silently in the wrong place.
func MkdirParts(root string, parts ...Partition) (string, error) {
	st, err := os.Stat(root)
	if err != nil {
		if os.IsNotExist(err) {
			return "", fmt.Errorf("output folder %s does not exist", root)
		}
		return "", err
	}
	if !st.IsDir() {
		return "", fmt.Errorf("output path %s is not a folder", root)
	}
	dir := PartitionDir(root, parts...)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", fmt.Errorf("create folder %s: %w", dir, err)
	}
	return dir, nil
}

func isIdent(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
