module code.cloudfoundry.org

go 1.22.0

toolchain go1.22.3

// Pin gnatsd to maintain compatibility with NATS v1
replace github.com/nats-io/gnatsd => github.com/nats-io/gnatsd v1.4.1

// The release carries a patched nuid.
replace github.com/nats-io/nuid => ./local/nuid

require (
	github.com/nats-io/gnatsd v1.4.1
	github.com/nats-io/nats-server/v2 v2.10.22
	github.com/nats-io/nats.go v1.37.0
	github.com/nats-io/nuid v1.0.1
)

require (
	github.com/nats-io/nkeys v0.4.7 // indirect
	golang.org/x/sys v0.26.0 // indirect
)
