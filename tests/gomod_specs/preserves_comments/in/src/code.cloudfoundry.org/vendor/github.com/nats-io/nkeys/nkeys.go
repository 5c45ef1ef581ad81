// Package nkeys is a fixture stand-in for the NATS key library.
package nkeys

// Version is the fixture's version.
const Version = "0.4.8"
