//go:build amd64 && !purego

#include "textflag.h"

// func cobaAVX2(v, ge, gi, inE, inI *float64, refr *int32, n int, c *cobaConsts) int
//
// Advances neurons in blocks of 4 exactly as stepConductance's scalar loop
// does, clearing inE and inI. exp is math.Exp's amd64 FMA path (Shibata's
// method, GOROOT/src/math/exp_amd64.s) lane by lane, with the same
// operations in the same order, so the results are bit-identical to the
// scalar loop calling math.Exp. The kernel stops before the first block in
// which a non-refractory neuron reaches threshold or an exponent lies
// outside (-700, 700) (or is NaN), leaving that block untouched, and returns
// the number of neurons it advanced (a multiple of 4).
TEXT ·cobaAVX2(SB), NOSPLIT, $0-72
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
	VBROADCASTSD 0(R11), Y8   // el
	VBROADCASTSD 8(R11), Y9   // vt
	VBROADCASTSD 16(R11), Y10 // ee
	VBROADCASTSD 24(R11), Y11 // ei
	VBROADCASTSD 32(R11), Y12 // pe
	VBROADCASTSD 40(R11), Y13 // pi
	VBROADCASTSD 48(R11), Y14 // hm = -dt/tau_m
	VXORPD Y15, Y15, Y15      // zero
	TESTQ CX, CX
	JZ done
loop:
	VMOVUPD 0(SI)(AX*8), Y0
	VADDPD 0(R8)(AX*8), Y0, Y0       // ge' = ge + inE
	VMOVUPD 0(DX)(AX*8), Y1
	VADDPD 0(R9)(AX*8), Y1, Y1       // gi' = gi + inI
	VBROADCASTSD 56(R11), Y2
	VADDPD Y0, Y2, Y2                // 1 + ge'
	VADDPD Y1, Y2, Y2                // gt = 1 + ge' + gi'
	VMULPD Y10, Y0, Y3               // ge'*ee
	VADDPD Y3, Y8, Y3                // el + ge'*ee
	VMULPD Y11, Y1, Y4               // gi'*ei
	VADDPD Y4, Y3, Y3
	VDIVPD Y2, Y3, Y3                // vinf = (...)/gt
	VMULPD Y14, Y2, Y4               // x = hm*gt

	// Range check: -700 < x < 700 in every lane.
	VBROADCASTSD 160(R11), Y5
	VCMPPD $0x1E, Y5, Y4, Y5         // x > lo
	VBROADCASTSD 168(R11), Y6
	VCMPPD $0x11, Y6, Y4, Y6         // x < hi
	VANDPD Y6, Y5, Y5
	VMOVMSKPD Y5, BX
	CMPL BX, $15
	JNE done

	// e = exp(x), math.Exp's FMA path.
	VBROADCASTSD 72(R11), Y5
	VMULPD Y4, Y5, Y5                // x*log2e
	VCVTPD2DQY Y5, X6                // k (round to nearest)
	VCVTDQ2PD X6, Y5                 // float64(k)
	VBROADCASTSD 80(R11), Y7
	VFNMADD231PD Y7, Y5, Y4          // x -= k*ln2u
	VBROADCASTSD 88(R11), Y7
	VFNMADD231PD Y7, Y5, Y4          // x -= k*ln2l
	VBROADCASTSD 96(R11), Y7
	VMULPD Y7, Y4, Y4                // x/16
	VBROADCASTSD 104(R11), Y5        // Taylor series, Horner
	VBROADCASTSD 112(R11), Y7
	VFMADD213PD Y7, Y4, Y5
	VBROADCASTSD 120(R11), Y7
	VFMADD213PD Y7, Y4, Y5
	VBROADCASTSD 128(R11), Y7
	VFMADD213PD Y7, Y4, Y5
	VBROADCASTSD 136(R11), Y7
	VFMADD213PD Y7, Y4, Y5
	VBROADCASTSD 144(R11), Y7
	VFMADD213PD Y7, Y4, Y5
	VBROADCASTSD 152(R11), Y7
	VFMADD213PD Y7, Y4, Y5
	VBROADCASTSD 56(R11), Y7
	VFMADD213PD Y7, Y4, Y5
	VMULPD Y5, Y4, Y4
	VBROADCASTSD 64(R11), Y7         // 2: four squarings of 1 + y
	VADDPD Y7, Y4, Y5
	VMULPD Y5, Y4, Y4
	VADDPD Y7, Y4, Y5
	VMULPD Y5, Y4, Y4
	VADDPD Y7, Y4, Y5
	VMULPD Y5, Y4, Y4
	VADDPD Y7, Y4, Y5
	VBROADCASTSD 56(R11), Y7
	VFMADD213PD Y7, Y5, Y4           // y*(y+2) + 1
	VPBROADCASTD 176(R11), X7        // bias 1023
	VPADDD X7, X6, X6
	VPMOVSXDQ X6, Y6
	VPSLLQ $52, Y6, Y6               // 2^k
	VMULPD Y6, Y4, Y4                // e

	VMOVUPD 0(DI)(AX*8), Y5          // v
	VSUBPD Y3, Y5, Y6                // v - vinf
	VMULPD Y4, Y6, Y6                // (v - vinf)*e
	VADDPD Y6, Y3, Y6                // vn = vinf + ...
	VMOVDQU 0(R10)(AX*4), X2         // refr
	VPCMPGTD X15, X2, X3             // refr > 0
	VPMOVSXDQ X3, Y7                 // as 64-bit lane mask
	VCMPPD $0x1D, Y9, Y6, Y4         // vn >= vt
	VANDNPD Y4, Y7, Y4               // and not refractory
	VMOVMSKPD Y4, BX
	TESTL BX, BX
	JNZ done
	VMULPD Y12, Y0, Y0
	VMOVUPD Y0, 0(SI)(AX*8)
	VMULPD Y13, Y1, Y1
	VMOVUPD Y1, 0(DX)(AX*8)
	VMOVUPD Y15, 0(R8)(AX*8)
	VMOVUPD Y15, 0(R9)(AX*8)
	VPADDD X3, X2, X2                // refr-- where > 0
	VMOVDQU X2, 0(R10)(AX*4)
	VBLENDVPD Y7, Y5, Y6, Y6         // refractory ? v : vn
	VMOVUPD Y6, 0(DI)(AX*8)
	ADDQ $4, AX
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	MOVQ AX, ret+64(FP)
	RET
