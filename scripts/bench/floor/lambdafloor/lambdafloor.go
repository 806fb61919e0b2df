// Package lambdafloor is the floor's AWS Lambda handler (see package floor): the plain
// aws-lambda-go way, a typed events.APIGatewayV2HTTPRequest in and a typed response out.
package lambdafloor

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/roomhook/roomhook/scripts/bench/floor"
)

// Handle decodes the body as the query's command and answers the OK packet with status 200.
func Handle(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	floor.Decode(ev.QueryStringParameters["CallbackCommand"], ev.Body)
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       floor.OK,
	}, nil
}
