//go:build windows

// Package windows is a fixture stand-in for golang.org/x/sys/windows.
package windows

// Handle is a Windows handle.
type Handle uintptr
