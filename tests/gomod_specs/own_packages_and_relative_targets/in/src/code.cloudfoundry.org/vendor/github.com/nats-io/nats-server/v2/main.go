// Command nats-server is a fixture stand-in for the NATS server.
package main

import (
	"fmt"

	"github.com/nats-io/nats-server/v2/server"
)

func main() { fmt.Println(server.Describe()) }
