package parquetout

import (
	"fmt"
	"strconv"
)

// Shard is one task of a job array: the Index-th of Count tasks that split
// a run's work items between them. The zero value is not valid; Single is
// the whole run on one machine.
type Shard struct {
	Index, Count int
}

// Single is the run on one machine: one shard that owns every item.
var Single = Shard{Index: 0, Count: 1}

// Validate reports a shard outside 0 <= Index < Count.
func (s Shard) Validate() error {
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("shard index %d of %d: want 0 <= index < count", s.Index, s.Count)
	}
	return nil
}

// Range returns the contiguous block [lo, hi) of the work items 0..n-1 that
// shard s owns. The blocks of shards 0..Count-1 partition 0..n-1 in order and
// differ in size by at most one; a shard may own none when n < Count. It
// panics on an invalid shard.
func (s Shard) Range(n int) (lo, hi int) {
	if err := s.Validate(); err != nil {
		panic("parquetout: " + err.Error())
	}
	if n < 0 {
		panic(fmt.Sprintf("parquetout: %d work items", n))
	}
	return n * s.Index / s.Count, n * (s.Index + 1) / s.Count
}

// SLURM job-array variables read by ResolveShard.
const (
	EnvTaskID    = "SLURM_ARRAY_TASK_ID"
	EnvTaskCount = "SLURM_ARRAY_TASK_COUNT"
	EnvTaskMin   = "SLURM_ARRAY_TASK_MIN"
	EnvTaskStep  = "SLURM_ARRAY_TASK_STEP"
)

// ResolveShard decides the shard of this process. Explicit flags win: index
// and count are the values of --shard-index and --shard-count, with
// indexSet and countSet saying whether they were given. A value not given
// falls back to the SLURM job array, read with getenv (os.Getenv in
// commands): the count from SLURM_ARRAY_TASK_COUNT, the index from
// SLURM_ARRAY_TASK_ID counted from SLURM_ARRAY_TASK_MIN in steps of
// SLURM_ARRAY_TASK_STEP (so --array=1-10 and --array=0-18:2 both give
// indices 0..9). Without either, the run is Single.
func ResolveShard(index, count int, indexSet, countSet bool, getenv func(string) string) (Shard, error) {
	s := Single
	envInt := func(key string) (int, bool, error) {
		v := getenv(key)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, false, fmt.Errorf("%s=%q is not an integer", key, v)
		}
		return n, true, nil
	}
	if countSet {
		s.Count = count
	} else if n, ok, err := envInt(EnvTaskCount); err != nil {
		return s, err
	} else if ok {
		s.Count = n
	}
	if indexSet {
		s.Index = index
	} else if id, ok, err := envInt(EnvTaskID); err != nil {
		return s, err
	} else if ok {
		lo, _, err := envInt(EnvTaskMin)
		if err != nil {
			return s, err
		}
		step, hasStep, err := envInt(EnvTaskStep)
		if err != nil {
			return s, err
		}
		if !hasStep || step < 1 {
			step = 1
		}
		if (id-lo)%step != 0 {
			return s, fmt.Errorf("%s=%d is not on the array's grid (min %d, step %d); pass --shard-index", EnvTaskID, id, lo, step)
		}
		s.Index = (id - lo) / step
	}
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("%w (from --shard-index/--shard-count or %s/%s)", err, EnvTaskID, EnvTaskCount)
	}
	return s, nil
}

// ItemSeed derives the seed of work item item from the base seed of a run
// with SplitMix64, so that an item's seed depends on nothing else (not the
// shard, not the number of shards) and neighbouring items get unrelated
// seeds.
func ItemSeed(base, item uint64) uint64 {
	return splitmix(base ^ splitmix(item^0x6e6575726f67666e)) // "neurogfn"
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
