// Package nats is a fixture stand-in for the NATS Go client.
package nats

import (
	"github.com/nats-io/nkeys"
	"github.com/nats-io/nuid"
)

// Version is the fixture's version.
const Version = "1.38.0"

// Connect returns a description of a connection.
func Connect(url string) string { return url + " " + nuid.Next() + " " + nkeys.Version }
