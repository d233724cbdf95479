package parquetout

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File is a file being written atomically: the bytes go to a hidden
// temporary file in the target's folder, and Commit renames it to the target
// path. Until then, and whatever happens to the process, no file appears at
// the target path. A File is not safe for concurrent use.
type File struct {
	path string
	tmp  *os.File
	done bool
}

// Create starts writing path atomically. The folder of path must exist and
// be writable; the temporary file is named ".<base>.<random>.tmp", which
// pyarrow's dataset discovery, DuckDB's *.parquet globs and ls skip.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return nil, fmt.Errorf("create %q: no file name", path)
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("create %s: folder %s does not exist", path, dir)
	case err != nil:
		return nil, fmt.Errorf("create %s: %w", path, err)
	case !st.IsDir():
		return nil, fmt.Errorf("create %s: %s is not a folder", path, dir)
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create %s: folder %s is not writable: %w", path, dir, err)
	}
	// CreateTemp makes the file private (0600); results are for sharing.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &File{path: path, tmp: tmp}, nil
}

// Path returns the target path.
func (f *File) Path() string { return f.path }

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) {
	if f.done {
		return 0, fmt.Errorf("write %s: file already committed or aborted", f.path)
	}
	n, err := f.tmp.Write(p)
	if err != nil {
		err = fmt.Errorf("write %s: %w", f.path, err)
	}
	return n, err
}

// Commit syncs the temporary file to disk and renames it to the target path,
// replacing any file there, then syncs the folder. On error the temporary
// file is removed and nothing appears at the target path.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: file already committed or aborted", f.path)
	}
	f.done = true
	name := f.tmp.Name()
	fail := func(err error) error {
		f.tmp.Close()
		os.Remove(name)
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if err := f.tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := f.tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(name, f.path); err != nil {
		return fail(err)
	}
	// Make the rename durable. Some filesystems cannot sync a folder; the
	// file itself is complete either way.
	if d, err := os.Open(filepath.Dir(f.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Abort removes the temporary file. It does nothing after Commit or a
// previous Abort, so it may be deferred.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.tmp.Close()
	os.Remove(f.tmp.Name())
}
