package main

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/neurogfn/neurogfn/gfn/envs/hypergrid"
	"github.com/neurogfn/neurogfn/gfn/envs/pointset"
	"github.com/neurogfn/neurogfn/parquetout"
	"github.com/neurogfn/neurogfn/parquetout/parquettest"
)

func sampleArgs(env, out string, extra ...string) []string {
	args := []string{env, "sample", "--out", out, "--samples", "300", "--sample-batch", "128"}
	return append(append(args, small...), extra...)
}

func TestHypergridSampleTables(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	dir := t.TempDir()
	out, _, err := run(context.Background(), sampleArgs("hypergrid", dir, "--ndim", "3", "--height", "5", "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	m := lastJSON(t, out)
	if m["posterior_rows"].(float64) != 900 || m["draws"].(float64) != 300 {
		t.Errorf("summary %v", m)
	}
	post := parquettest.Check(t, filepath.Join(dir, "posterior", "part-0.parquet"), parquetout.TablePosterior)
	stats := parquettest.Check(t, filepath.Join(dir, "sample_stats", "part-0.parquet"), parquetout.TableSampleStats)
	if post.Rows != 300*3 || stats.Rows != 300 {
		t.Fatalf("%d posterior rows, %d stats rows", post.Rows, stats.Rows)
	}
	env, _ := hypergrid.New(3, 5)
	draw, dim, value, param := post.Int64s(t, "draw"), post.Int32s(t, "dim"), post.Float64s(t, "value"), post.Strings(t, "param")
	lr, pf, pb, lw, tl := stats.Float64s(t, "log_reward"), stats.Float64s(t, "log_pf"), stats.Float64s(t, "log_pb"), stats.Float64s(t, "log_weight"), stats.Int32s(t, "traj_len")
	sdraw, chain := stats.Int64s(t, "draw"), stats.Int32s(t, "chain")
	for d := range 300 {
		x := make(hypergrid.State, 3)
		sum := 0
		for i := range 3 {
			r := 3*d + i
			if draw[r] != int64(d) || dim[r] != int32(i) || param[r] != "x" || value[r] != math.Trunc(value[r]) || value[r] < 0 || value[r] > 4 {
				t.Fatalf("posterior row %d: draw %d dim %d param %s value %g", r, draw[r], dim[r], param[r], value[r])
			}
			x[i] = uint16(value[r])
			sum += int(value[r])
		}
		if sdraw[d] != int64(d) || chain[d] != 0 {
			t.Fatalf("stats row %d is draw %d chain %d", d, sdraw[d], chain[d])
		}
		// Every step adds 1 to one coordinate; then stop.
		if int(tl[d]) != sum+1 {
			t.Errorf("draw %d: traj_len %d, coordinates sum to %d", d, tl[d], sum)
		}
		if math.Abs(lr[d]-env.LogReward(x)) > 1e-12 {
			t.Errorf("draw %d: log_reward %g, env says %g", d, lr[d], env.LogReward(x))
		}
		if math.Abs(lw[d]-(lr[d]+pb[d]-pf[d])) > 1e-12 || pf[d] > 0 || pb[d] > 0 {
			t.Errorf("draw %d: log_weight %g, log_reward %g log_pb %g log_pf %g", d, lw[d], lr[d], pb[d], pf[d])
		}
	}
	f := post.Footer
	if f["seed"] != "3" || f["created_at"] != "2023-11-14T22:13:20Z" || f["inference_library"] != "neurogfn" || f["table"] != "posterior" || f["chain"] != "0" || f["env"] != "hypergrid" {
		t.Errorf("footer %v", f)
	}
	if !strings.HasPrefix(f["command_line"], "neurogfn hypergrid sample ") || !strings.Contains(f["command_line"], "--ndim=3") {
		t.Errorf("command_line %q", f["command_line"])
	}
	var conf struct {
		Env    map[string]any `yaml:"env"`
		Sample map[string]int `yaml:"sample"`
		Train  map[string]any `yaml:"train"`
	}
	if err := yaml.Unmarshal([]byte(f["config_yaml"]), &conf); err != nil {
		t.Fatalf("config_yaml: %v\n%s", err, f["config_yaml"])
	}
	if conf.Env["ndim"] != uint64(3) || conf.Sample["samples"] != 300 || conf.Train["batch_size"] != uint64(8) {
		t.Errorf("config_yaml:\n%s", f["config_yaml"])
	}
}

func TestPointsetSampleTables(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := run(context.Background(), sampleArgs("pointset", dir, "--max-points", "5")...); err != nil {
		t.Fatal(err)
	}
	post := parquettest.Check(t, filepath.Join(dir, "posterior", "part-0.parquet"), parquetout.TablePosterior)
	stats := parquettest.Check(t, filepath.Join(dir, "sample_stats", "part-0.parquet"), parquetout.TableSampleStats)
	env, _ := pointset.New(3, 5, 2, 5)
	draw, dim, value, param := post.Int64s(t, "draw"), post.Int32s(t, "dim"), post.Float64s(t, "value"), post.Strings(t, "param")
	lr, tl := stats.Float64s(t, "log_reward"), stats.Int32s(t, "traj_len")
	r := 0
	for d := range 300 {
		if param[r] != "k" || dim[r] != -1 || draw[r] != int64(d) {
			t.Fatalf("row %d: want the k row of draw %d, got %s %d draw %d", r, d, param[r], dim[r], draw[r])
		}
		k := int(value[r])
		r++
		x := pointset.State(value[r : r+k])
		for i := range k {
			if param[r+i] != "t" || dim[r+i] != int32(i) || draw[r+i] != int64(d) || !(x[i] > 0 && x[i] < 1) {
				t.Fatalf("row %d: %s %d draw %d value %g", r+i, param[r+i], dim[r+i], draw[r+i], x[i])
			}
		}
		if !slices.IsSorted(x) || k > 5 {
			t.Fatalf("draw %d: points %v", d, x)
		}
		if int(tl[d]) != k+1 || math.Abs(lr[d]-env.LogReward(x)) > 1e-12 {
			t.Errorf("draw %d: traj_len %d log_reward %g for %v", d, tl[d], lr[d], x)
		}
		r += k
	}
	if int64(r) != post.Rows {
		t.Errorf("%d rows read, %d in the file", r, post.Rows)
	}
}

func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestSampleReproducible: with SOURCE_DATE_EPOCH the same command writes
// the same bytes, whatever GOMAXPROCS; a different sampling batch size
// gives the same rows.
func TestSampleReproducible(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	dir := t.TempDir()
	args := sampleArgs("pointset", dir, "--chains", "2")
	if _, _, err := run(context.Background(), args...); err != nil {
		t.Fatal(err)
	}
	first := readAll(t, dir)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if _, _, err := run(context.Background(), args...); err != nil {
		t.Fatal(err)
	}
	second := readAll(t, dir)
	if len(first) != 4 || len(second) != 4 {
		t.Fatalf("files %d and %d, want 4", len(first), len(second))
	}
	for name, b := range first {
		if !bytes.Equal(b, second[name]) {
			t.Errorf("%s differs between GOMAXPROCS %d and 1", name, runtime.NumCPU())
		}
	}
	other := t.TempDir()
	if _, _, err := run(context.Background(), append(sampleArgs("pointset", other, "--chains", "2"), "--sample-batch", "7")...); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"posterior", "sample_stats"} {
		a := parquettest.Read(t, filepath.Join(dir, table, "part-1.parquet"))
		b := parquettest.Read(t, filepath.Join(other, table, "part-1.parquet"))
		col := "value"
		if table == "sample_stats" {
			col = "log_weight"
		}
		if !slices.Equal(a.Float64s(t, col), b.Float64s(t, col)) {
			t.Errorf("%s: rows depend on --sample-batch", table)
		}
	}
}

// TestSampleShardUnion: the files of 3 shards (by flags, and by SLURM
// variables) are the files of the single run, byte for byte.
func TestSampleShardUnion(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	// The output path is part of the command line in the footer, so the
	// shards write where the single run wrote, after it was moved away.
	base := t.TempDir()
	sharded := filepath.Join(base, "out")
	if err := os.Mkdir(sharded, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(context.Background(), sampleArgs("hypergrid", sharded, "--chains", "4")...); err != nil {
		t.Fatal(err)
	}
	want := readAll(t, sharded)
	if len(want) != 8 {
		t.Fatalf("%d files, want 8", len(want))
	}
	if err := os.RemoveAll(sharded); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(sharded, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(context.Background(), append(sampleArgs("hypergrid", sharded, "--chains", "4"), "--shard-index", "0", "--shard-count", "3")...); err != nil {
		t.Fatal(err)
	}
	if got := len(readAll(t, sharded)); got != 2 {
		t.Errorf("shard 0 of 3 wrote %d files, want 2 (one chain)", got)
	}
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "3")
	for _, id := range []string{"2", "3"} { // --array=1-3
		t.Setenv("SLURM_ARRAY_TASK_MIN", "1")
		t.Setenv("SLURM_ARRAY_TASK_ID", id)
		if _, _, err := run(context.Background(), sampleArgs("hypergrid", sharded, "--chains", "4")...); err != nil {
			t.Fatal(err)
		}
	}
	got := readAll(t, sharded)
	if len(got) != len(want) {
		t.Fatalf("shards wrote %d files, the single run %d", len(got), len(want))
	}
	for name, b := range want {
		if !bytes.Equal(b, got[name]) {
			t.Errorf("%s differs between the shards and the single run", name)
		}
	}
}

func TestSampleOutputErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	_, stderr, err := run(context.Background(), sampleArgs("hypergrid", missing)...)
	var ex exitError
	if !errors.As(err, &ex) || ex.code != exitCantCreate || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing folder: %v", err)
	}
	if strings.Contains(stderr, "iter") {
		t.Error("trained before checking the output folder")
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Error("the missing folder was created")
	}
	ro := t.TempDir()
	if os.Geteuid() == 0 {
		if err := syscall.Mount("tmpfs", ro, "tmpfs", syscall.MS_RDONLY, "size=65536"); err != nil {
			t.Skipf("cannot mount a read-only tmpfs here (%v)", err)
		}
		t.Cleanup(func() { syscall.Unmount(ro, 0) })
	} else {
		os.Chmod(ro, 0o555)
		t.Cleanup(func() { os.Chmod(ro, 0o755) })
	}
	_, _, err = run(context.Background(), sampleArgs("hypergrid", ro)...)
	if !errors.As(err, &ex) || ex.code != exitCantCreate {
		t.Fatalf("read-only folder: %v", err)
	}
	t.Log(err)
	if _, _, err := run(context.Background(), sampleArgs("hypergrid", t.TempDir(), "--shard-index", "3", "--shard-count", "2")...); err == nil {
		t.Error("shard 3 of 2 accepted")
	}
}
