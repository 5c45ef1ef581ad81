//go:build gccgo

// Only the gccgo build uses this file.
int fixture_cpuid(void) { return 1; }
