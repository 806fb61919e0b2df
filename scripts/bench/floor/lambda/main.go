// Command lambda is the AWS Lambda floor of scripts/bench.sh: hello-world with
// lambda.Start on events.APIGatewayV2HTTPRequest (see package floor).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/roomhook/roomhook/scripts/bench/floor/lambdafloor"
)

func main() { lambda.Start(lambdafloor.Handle) }
