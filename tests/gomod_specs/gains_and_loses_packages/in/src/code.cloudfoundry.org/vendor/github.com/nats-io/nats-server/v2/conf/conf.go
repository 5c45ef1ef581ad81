// Package conf is a fixture stand-in for the configuration parser.
package conf

import "github.com/BurntSushi/toml"

// Name is the configured server name.
func Name() string {
	m, _ := toml.Decode("localhost")
	return m["doc"]
}
