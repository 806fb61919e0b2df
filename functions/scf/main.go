// Command scf is roomhook on a Tencent SCF event function: it receives Tencent Cloud Room
// callbacks through an API gateway trigger or a function URL and answers them with Tencent's
// acknowledgement packet.
//
// The runtime starts this binary with _LAMBDA_SERVER_PORT and calls it over Go's net/rpc
// (scf-go-lib's protocol). The configuration is read and the handler built once, at cold
// start, before the first invocation is accepted; the store opens meanwhile, in the background,
// and the first save waits for it (coldstart.Options.OpenInBackground). A configuration that
// cannot work, or a store that cannot be opened, stops the process with a message on stderr,
// so the platform reports a failed start instead of answering callbacks wrongly. Every
// invocation then goes through the thin adapter in invoke.go.
//
// Invoked by a timer trigger instead (serverless.purge.yml's roomhook-purge, the same binary), it
// runs one pass of the archive purge (ROOMHOOK_ARCHIVE_RETENTION; coldstart.Instance.Purge) and
// answers with its result, {"archive_purge": {…}}; a store failure is a function error. event.go
// says why no callback can pass for a timer event.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/roomhook/roomhook/pkg/coldstart"
	"github.com/tencentyun/scf-go-lib/cloudfunction"
)

func main() {
	inst, err := coldstart.BuildWith(context.Background(), os.Getenv, startOptions)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() {
		// A store that does not open is a failed start, only noticed when the open gives up:
		// the platform sees the process end, and an event waiting for the store is not
		// acknowledged, so Tencent delivers it again.
		if err := inst.WaitStore(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}()
	// StartHandler (not Start) hands us the raw event bytes, so the event is decoded once, by
	// us, into the few fields we read (event.go).
	cloudfunction.StartHandler(&function{handler: inst.Handler, purge: inst.Purge})
}

// startOptions are the cold start's: JSON log lines on stderr, and the store opened on its own
// goroutine while the runtime starts.
var startOptions = coldstart.Options{LogOut: os.Stderr, OpenInBackground: true}
