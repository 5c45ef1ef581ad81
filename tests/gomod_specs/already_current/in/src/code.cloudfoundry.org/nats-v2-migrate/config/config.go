// Package config reads the migration settings.
package config

import "github.com/nats-io/nuid"

// Load returns the settings.
func Load() string { return nuid.Next() }
