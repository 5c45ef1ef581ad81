//go:build windows

package logger

// EventSource is the Windows event log source.
const EventSource = "NATS-Server"
