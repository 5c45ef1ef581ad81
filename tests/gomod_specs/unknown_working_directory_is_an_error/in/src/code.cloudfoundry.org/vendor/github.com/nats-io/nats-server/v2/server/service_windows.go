//go:build windows

package server

import "golang.org/x/sys/windows/svc"

// WindowsService is the service wrapper used on Windows.
var WindowsService svc.Service
