//go:build amd64

#include "textflag.h"

// func cpuid() uint32
TEXT ·cpuid(SB),NOSPLIT,$0-4
	MOVL $1, ret+0(FP)
	RET
