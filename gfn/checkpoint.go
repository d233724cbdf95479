package gfn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"

	"github.com/neurogfn/neurogfn/gfn/nn"
)

// StateCodec is implemented by environments whose states can be written to
// bytes. Checkpoints of runs with a replay buffer need it.
type StateCodec[S any] interface {
	AppendState(dst []byte, s S) []byte
	DecodeState(b []byte) (S, error)
}

// ErrCheckpoint reports a checkpoint that is corrupt or was written for
// another configuration or environment.
var ErrCheckpoint = errors.New("checkpoint does not match")

const checkpointMagic = "NGFNCKP1"

// SaveCheckpoint writes everything needed to resume: the configuration,
// the step, the parameters, the optimizer state and the replay buffer. The
// random state is a function of (seed, step), so it needs no storage.
func (tr *Trainer[S]) SaveCheckpoint(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString(checkpointMagic)
	putBytes(&buf, []byte(tr.Config.YAML()))
	putBytes(&buf, []byte(fmt.Sprintf("%+v", tr.Env.Spec())))
	putU64(&buf, uint64(tr.Step))
	var pb bytes.Buffer
	if err := nn.SaveParams(&pb, tr.Model.Params()); err != nil {
		return err
	}
	putBytes(&buf, pb.Bytes())
	ob, err := tr.Opt.MarshalBinary()
	if err != nil {
		return err
	}
	putBytes(&buf, ob)
	if tr.Replay == nil {
		putU64(&buf, 0)
	} else {
		codec, ok := tr.Env.(StateCodec[S])
		if !ok {
			return errors.New("gfn: checkpointing a replay buffer needs an environment that implements StateCodec")
		}
		putU64(&buf, uint64(len(tr.Replay.items)))
		putU64(&buf, uint64(tr.Replay.next))
		var sb []byte
		for _, it := range tr.Replay.items {
			putU64(&buf, math.Float64bits(it.logR))
			sb = codec.AppendState(sb[:0], it.x)
			putBytes(&buf, sb)
		}
	}
	putU64(&buf, uint64(crc32.ChecksumIEEE(buf.Bytes())))
	_, err = w.Write(buf.Bytes())
	return err
}

// LoadCheckpoint restores a checkpoint written by SaveCheckpoint for the
// same configuration and environment.
func (tr *Trainer[S]) LoadCheckpoint(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(data) < len(checkpointMagic)+8 || string(data[:len(checkpointMagic)]) != checkpointMagic {
		return fmt.Errorf("%w: not a neurogfn checkpoint", ErrCheckpoint)
	}
	body, sum := data[:len(data)-8], binary.LittleEndian.Uint64(data[len(data)-8:])
	if uint64(crc32.ChecksumIEEE(body)) != sum {
		return fmt.Errorf("%w: checksum mismatch (file truncated or corrupted)", ErrCheckpoint)
	}
	rd := &reader{b: body[len(checkpointMagic):]}
	cfgYAML := rd.bytes()
	spec := rd.bytes()
	if rd.err == nil && string(cfgYAML) != tr.Config.YAML() {
		return fmt.Errorf("%w: it was written for another configuration (%s)", ErrCheckpoint, configDiff(string(cfgYAML), tr.Config.YAML()))
	}
	if rd.err == nil && string(spec) != fmt.Sprintf("%+v", tr.Env.Spec()) {
		return fmt.Errorf("%w: it was written for another environment (%s, this run %+v)", ErrCheckpoint, spec, tr.Env.Spec())
	}
	step := rd.u64()
	params := rd.bytes()
	opt := rd.bytes()
	nrep := rd.u64()
	if rd.err != nil {
		return fmt.Errorf("%w: %v", ErrCheckpoint, rd.err)
	}
	if err := nn.LoadParams(bytes.NewReader(params), tr.Model.Params()); err != nil {
		return fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if err := tr.Opt.UnmarshalBinary(opt); err != nil {
		return fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if nrep > 0 {
		codec, ok := tr.Env.(StateCodec[S])
		if !ok || tr.Replay == nil {
			return fmt.Errorf("%w: replay buffer cannot be restored", ErrCheckpoint)
		}
		next := rd.u64()
		items := make([]replayItem[S], 0, nrep)
		for range nrep {
			lr := math.Float64frombits(rd.u64())
			sb := rd.bytes()
			if rd.err != nil {
				return fmt.Errorf("%w: %v", ErrCheckpoint, rd.err)
			}
			x, err := codec.DecodeState(sb)
			if err != nil {
				return fmt.Errorf("%w: replay state: %v", ErrCheckpoint, err)
			}
			items = append(items, replayItem[S]{x: x, logR: lr})
		}
		tr.Replay.items, tr.Replay.next = items, int(next)
	}
	tr.Step = int(step)
	return nil
}

// configDiff names the settings that differ between two YAML configs, as
// "key: stored vs current" on one line.
func configDiff(stored, current string) string {
	a, b := strings.Split(stored, "\n"), strings.Split(current, "\n")
	var diffs []string
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(a) {
			x = strings.TrimSpace(a[i])
		}
		if i < len(b) {
			y = strings.TrimSpace(b[i])
		}
		if x != y {
			diffs = append(diffs, fmt.Sprintf("%s vs %s", x, y))
		}
	}
	if len(diffs) > 3 {
		diffs = append(diffs[:3], "...")
	}
	return "checkpoint " + strings.Join(diffs, "; ")
}

func putU64(b *bytes.Buffer, v uint64) {
	var x [8]byte
	binary.LittleEndian.PutUint64(x[:], v)
	b.Write(x[:])
}

func putBytes(b *bytes.Buffer, p []byte) {
	putU64(b, uint64(len(p)))
	b.Write(p)
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) u64() uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.err = errors.New("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.u64()
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.err = errors.New("truncated")
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}
