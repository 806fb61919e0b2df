// Command lambdasqlite is the Lambda floor with roomhook's SQLite store imported but never
// called: its cold start minus the floor's is what linking the default store costs before
// any of its code runs (the package init of modernc.org/sqlite and its libc, and the larger
// binary). scripts/bench.sh cold reports it to break the product's excess down.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	_ "github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/scripts/bench/floor/lambdafloor"
)

func main() { lambda.Start(lambdafloor.Handle) }
