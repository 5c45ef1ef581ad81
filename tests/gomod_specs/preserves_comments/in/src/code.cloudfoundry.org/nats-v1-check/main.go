// Command nats-v1-check reports the pinned NATS v1 server version.
package main

import (
	"fmt"

	"github.com/nats-io/gnatsd/server"
)

func main() { fmt.Println(server.VERSION) }
