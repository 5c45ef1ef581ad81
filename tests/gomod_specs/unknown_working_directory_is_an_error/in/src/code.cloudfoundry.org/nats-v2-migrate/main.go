// Command nats-v2-migrate is the release's own program in this fixture.
package main

import (
	"fmt"

	"code.cloudfoundry.org/nats-v2-migrate/config"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

func main() {
	fmt.Println(config.Load(), server.Describe(), nats.Version)
}
