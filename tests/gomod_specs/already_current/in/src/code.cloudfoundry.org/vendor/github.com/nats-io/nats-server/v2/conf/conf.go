// Package conf is a fixture stand-in for the configuration parser.
package conf

// Name is the configured server name.
func Name() string { return "localhost" }
