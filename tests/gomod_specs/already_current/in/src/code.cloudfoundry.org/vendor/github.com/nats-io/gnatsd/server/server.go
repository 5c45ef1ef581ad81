// Package server is a fixture stand-in for the NATS v1 server.
package server

// VERSION is the fixture's version.
const VERSION = "1.4.1"
