// Command lambdastores is the Lambda floor with every roomhook store backend imported (through
// the scheme table of package store) but none called: its cold start minus lambdasqlite's is
// what linking the PostgreSQL, MySQL and DynamoDB drivers beside SQLite costs at start.
// scripts/bench.sh cold reports it to break the product's excess down.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	_ "github.com/roomhook/roomhook/pkg/store"
	"github.com/roomhook/roomhook/scripts/bench/floor/lambdafloor"
)

func main() { lambda.Start(lambdafloor.Handle) }
