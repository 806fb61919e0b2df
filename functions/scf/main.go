// Command scf is roomhook on a Tencent SCF event function: it receives Tencent Cloud Room
// callbacks through an API gateway trigger or a function URL and answers them with Tencent's
// acknowledgement packet.
//
// The runtime starts this binary with _LAMBDA_SERVER_PORT and calls it over Go's net/rpc
// (scf-go-lib's protocol). The configuration is read, the store opened and the handler built
// once, at cold start, before the first invocation is accepted; a configuration that cannot
// work stops the process with a message on stderr, so the platform reports a failed start
// instead of answering callbacks wrongly. Every invocation then goes through the thin adapter
// in invoke.go.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/roomhook/roomhook/pkg/coldstart"
	"github.com/tencentyun/scf-go-lib/cloudfunction"
)

func main() {
	inst, err := coldstart.Build(context.Background(), os.Getenv, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// StartHandler (not Start) hands us the raw event bytes, so the event is decoded once, by
	// us, into the few fields we read (event.go).
	cloudfunction.StartHandler(&function{handler: inst.Handler})
}
