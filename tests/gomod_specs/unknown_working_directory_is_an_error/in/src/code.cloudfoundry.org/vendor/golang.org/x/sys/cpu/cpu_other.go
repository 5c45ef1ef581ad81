//go:build !amd64

package cpu

func cpuid() uint32 { return 0 }
