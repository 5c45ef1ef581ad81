// Package logger is a fixture stand-in for the server's logger.
package logger

import "fmt"

// Log prints one line.
func Log(s string) { fmt.Println(s) }
