package hypergrid

import (
	"encoding/binary"
	"fmt"
)

// AppendState implements gfn.StateCodec: the coordinates as little-endian
// uint16 values.
func (e *Env) AppendState(dst []byte, s State) []byte {
	for _, x := range s {
		dst = binary.LittleEndian.AppendUint16(dst, x)
	}
	return dst
}

// DecodeState implements gfn.StateCodec.
func (e *Env) DecodeState(b []byte) (State, error) {
	if len(b) != 2*e.NDim {
		return nil, fmt.Errorf("hypergrid: state of %d bytes, want %d", len(b), 2*e.NDim)
	}
	s := make(State, e.NDim)
	for i := range s {
		s[i] = binary.LittleEndian.Uint16(b[2*i:])
		if int(s[i]) >= e.Height {
			return nil, fmt.Errorf("hypergrid: coordinate %d outside a grid of height %d", s[i], e.Height)
		}
	}
	return s, nil
}
