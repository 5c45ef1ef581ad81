// Package cpu is a fixture stand-in for golang.org/x/sys/cpu.
package cpu

// Version is the fixture's version.
const Version = "0.27.0"

// Features returns a feature word.
func Features() uint32 { return cpuid() }
