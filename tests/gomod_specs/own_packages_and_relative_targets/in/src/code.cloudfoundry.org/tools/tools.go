//go:build tools

// Package tools pins the NATS server's command so that `go mod vendor` keeps it: the release
// builds it from the vendored tree.
package tools

import _ "github.com/nats-io/nats-server/v2"
