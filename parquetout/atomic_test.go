package parquetout_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/neurogfn/neurogfn/parquetout"
	"github.com/neurogfn/neurogfn/parquetout/parquettest"
)

// visible lists the entries of dir a reader would pick up (names not
// starting with '.' or '_').
func visible(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(e.Name(), "_") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestMissingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	err := parquetout.WriteFile(filepath.Join(dir, "p.parquet"), posterior(1, 3), testMeta("posterior"), parquetout.Options{})
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("got %v, want a 'does not exist' error", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the folder was created: %v", err)
	}
	if _, err := parquetout.MkdirParts(dir, parquetout.IntPartition("neuron", 3)); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("MkdirParts into a missing root: %v", err)
	}
}

// mountTmpfs mounts a tmpfs of size bytes (read-only if ro) on a fresh
// folder, or skips the test where mounting is not allowed.
func mountTmpfs(t *testing.T, size int, ro bool) string {
	t.Helper()
	dir := t.TempDir()
	opts := fmt.Sprintf("size=%d", size)
	if ro {
		opts += ",ro"
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v)", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	return dir
}

func TestReadOnlyFolder(t *testing.T) {
	var dir string
	if os.Geteuid() == 0 {
		// Root ignores permission bits: use a read-only mount.
		dir = mountTmpfs(t, 1<<20, true)
	} else {
		dir = t.TempDir()
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
	}
	err := parquetout.WriteFile(filepath.Join(dir, "p.parquet"), posterior(1, 3), testMeta("posterior"), parquetout.Options{})
	if err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Fatalf("got %v, want a 'not writable' error", err)
	}
	if v := visible(t, dir); len(v) != 0 {
		t.Errorf("left %v", v)
	}
}

func TestFullDisk(t *testing.T) {
	dir := mountTmpfs(t, 64<<10, false)
	// Random-looking values do not compress below 64 KiB.
	rows := posterior(1, 20000)
	for i := range rows {
		rows[i].Value = float64(i) * 0.6180339887498949
	}
	err := parquetout.WriteFile(filepath.Join(dir, "p.parquet"), rows, testMeta("posterior"), parquetout.Options{})
	if err == nil || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("got %v, want ENOSPC", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a failed write left %v", ents)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.parquet")
	f, err := parquetout.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := parquetout.Encode(f, posterior(1, 10), testMeta("posterior"), parquetout.Options{}); err != nil {
		t.Fatal(err)
	}
	f.Abort()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("Abort left %v", ents)
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	// An existing file is replaced only by a complete one.
	if err := parquetout.WriteFile(path, posterior(1, 5), testMeta("posterior"), parquetout.Options{}); err != nil {
		t.Fatal(err)
	}
	f, err = parquetout.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("PAR1 partial"))
	f.Abort()
	if tb := parquettest.Read(t, path); tb.Rows != int64(len(posterior(1, 5))) {
		t.Errorf("the old file changed: %d rows", tb.Rows)
	}
}

const killHelperEnv = "PARQUETOUT_KILL_HELPER_DIR"

// TestKillHelper is the child process of TestSIGKILL: it writes files until
// killed.
func TestKillHelper(t *testing.T) {
	dir := os.Getenv(killHelperEnv)
	if dir == "" {
		t.Skip("helper process for TestSIGKILL")
	}
	rows := posterior(4, 5000)
	for i := 0; ; i++ {
		path := filepath.Join(dir, fmt.Sprintf("part-%d.parquet", i%3))
		if err := parquetout.WriteFile(path, rows, testMeta("posterior"), parquetout.Options{RowGroupRows: 4096}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSIGKILL kills a writing process at many moments and checks that every
// visible file is complete.
func TestSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	want := int64(len(posterior(4, 5000)))
	for k := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$")
		cmd.Env = append(os.Environ(), killHelperEnv+"="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(50+37*k) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		for _, name := range visible(t, dir) {
			if tb := parquettest.Read(t, filepath.Join(dir, name)); tb.Rows != want {
				t.Errorf("kill %d: %s has %d rows, want %d", k, name, tb.Rows, want)
			}
		}
	}
	ents, _ := os.ReadDir(dir)
	t.Logf("after 8 kills: %d complete files, %d entries in all (hidden temporary files of killed writes included)", len(visible(t, dir)), len(ents))
}
