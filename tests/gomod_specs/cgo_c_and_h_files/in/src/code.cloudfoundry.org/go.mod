module code.cloudfoundry.org

go 1.22.0

toolchain go1.22.3

// Pin gnatsd to maintain compatibility with NATS v1
replace github.com/nats-io/gnatsd => github.com/nats-io/gnatsd v1.4.1

// The release carries a patched nuid.
replace github.com/nats-io/nuid => ./local/nuid

require (
	github.com/mattn/go-sqlite3 v1.14.24
	github.com/nats-io/gnatsd v1.4.1
	github.com/nats-io/nats-server/v2 v2.10.24
	github.com/nats-io/nats.go v1.38.0
	github.com/nats-io/nuid v1.0.1
)

require (
	github.com/BurntSushi/toml v1.4.0 // indirect
	github.com/nats-io/nkeys v0.4.8 // indirect
	golang.org/x/sys v0.27.0 // indirect
)
