//go:build amd64 && !purego

#include "textflag.h"

// func cubaAVX2(v, ge, gi, inE, inI *float64, refr *int32, n int, c *cubaConsts) int
//
// Advances neurons in blocks of 4 exactly as stepCurrent's scalar loop does
// (same operations in the same order, no FMA), clearing inE and inI. It
// stops before the first block in which a non-refractory neuron reaches
// threshold, leaving that block untouched, and returns the number of
// neurons it advanced (a multiple of 4, at most n rounded down to 4).
TEXT ·cubaAVX2(SB), NOSPLIT, $0-72
	MOVQ v+0(FP), DI
	MOVQ ge+8(FP), SI
	MOVQ gi+16(FP), DX
	MOVQ inE+24(FP), R8
	MOVQ inI+32(FP), R9
	MOVQ refr+40(FP), R10
	MOVQ n+48(FP), CX
	MOVQ c+56(FP), R11
	SHRQ $2, CX
	XORQ AX, AX
	VBROADCASTSD 0(R11), Y10  // el
	VBROADCASTSD 8(R11), Y11  // vt
	VBROADCASTSD 16(R11), Y12 // p22
	VBROADCASTSD 24(R11), Y13 // p21e
	VBROADCASTSD 32(R11), Y14 // p21i
	VBROADCASTSD 40(R11), Y15 // pe
	VBROADCASTSD 48(R11), Y9  // pi
	VXORPD Y8, Y8, Y8         // zero
	TESTQ CX, CX
	JZ done
loop:
	VMOVUPD 0(SI)(AX*8), Y0
	VADDPD 0(R8)(AX*8), Y0, Y0       // ge' = ge + inE
	VMOVUPD 0(DX)(AX*8), Y1
	VADDPD 0(R9)(AX*8), Y1, Y1       // gi' = gi + inI
	VMOVDQU 0(R10)(AX*4), X2         // refr
	VPCMPGTD X8, X2, X3              // refr > 0
	VPMOVSXDQ X3, Y4                 // as 64-bit lane mask
	VMOVUPD 0(DI)(AX*8), Y5          // v
	VSUBPD Y10, Y5, Y6               // v - el
	VMULPD Y12, Y6, Y6               // (v - el)*p22
	VADDPD Y6, Y10, Y6               // el + ...
	VMULPD Y13, Y0, Y7               // ge'*p21e
	VADDPD Y7, Y6, Y6
	VMULPD Y14, Y1, Y7               // gi'*p21i
	VADDPD Y7, Y6, Y6                // vn
	VCMPPD $0x1D, Y11, Y6, Y7        // vn >= vt
	VANDNPD Y7, Y4, Y7               // and not refractory
	VMOVMSKPD Y7, BX
	TESTL BX, BX
	JNZ done
	VMULPD Y15, Y0, Y0
	VMOVUPD Y0, 0(SI)(AX*8)
	VMULPD Y9, Y1, Y1
	VMOVUPD Y1, 0(DX)(AX*8)
	VMOVUPD Y8, 0(R8)(AX*8)
	VMOVUPD Y8, 0(R9)(AX*8)
	VPADDD X3, X2, X2                // refr-- where > 0
	VMOVDQU X2, 0(R10)(AX*4)
	VBLENDVPD Y4, Y5, Y6, Y6         // refractory ? v : vn
	VMOVUPD Y6, 0(DI)(AX*8)
	ADDQ $4, AX
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	MOVQ AX, ret+64(FP)
	RET
