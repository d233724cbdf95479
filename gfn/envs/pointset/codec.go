package pointset

import (
	"encoding/binary"
	"fmt"
	"math"
)

// AppendState implements gfn.StateCodec: the points as little-endian
// float64 bits.
func (e *Env) AppendState(dst []byte, s State) []byte {
	for _, x := range s {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
	}
	return dst
}

// DecodeState implements gfn.StateCodec. It checks that the points are
// sorted, in (0, 1) and at most MaxPoints.
func (e *Env) DecodeState(b []byte) (State, error) {
	if len(b)%8 != 0 || len(b)/8 > e.MaxPoints {
		return nil, fmt.Errorf("pointset: state of %d bytes is not a set of at most %d points", len(b), e.MaxPoints)
	}
	s := make(State, len(b)/8)
	for i := range s {
		s[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		if !(s[i] > 0 && s[i] < 1) || (i > 0 && !(s[i] > s[i-1])) {
			return nil, fmt.Errorf("pointset: point %d (%v) is outside (0,1) or out of order", i, s[i])
		}
	}
	return s, nil
}
