// Package server is a fixture stand-in for the NATS server core.
package server

import (
	"github.com/nats-io/nats-server/v2/conf"
	"github.com/nats-io/nats-server/v2/logger"
	"github.com/nats-io/nats-server/v2/server/avl"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"golang.org/x/sys/cpu"
)

// VERSION is the fixture's version.
const VERSION = "2.10.22"

// Describe names the server and its parts.
func Describe() string {
	logger.Log(VERSION)
	return nats.Connect("nats://"+conf.Name()) + " " + nkeys.Version + " " + avl.Kind + " " + string(rune('0'+cpu.Features()))
}
