// Command scf is the Tencent SCF floor of scripts/bench.sh: hello-world with
// cloudfunction.Start on scf-go-lib's events.APIGatewayRequest (see package floor).
package main

import (
	"github.com/tencentyun/scf-go-lib/cloudfunction"

	"github.com/roomhook/roomhook/scripts/bench/floor/scffloor"
)

func main() { cloudfunction.Start(scffloor.Handle) }
