//go:build windows

// Package svc is a fixture stand-in for golang.org/x/sys/windows/svc.
package svc

import "golang.org/x/sys/windows"

// Service wraps a handle.
type Service struct{ H windows.Handle }
