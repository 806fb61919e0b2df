// Package scffloor is the floor's Tencent SCF handler (see package floor): the plain
// scf-go-lib way, a typed events.APIGatewayRequest in and a typed response out.
package scffloor

import (
	"context"

	"github.com/tencentyun/scf-go-lib/events"

	"github.com/roomhook/roomhook/scripts/bench/floor"
)

// Handle decodes the body as the query's command and answers the OK packet with status 200.
func Handle(_ context.Context, ev events.APIGatewayRequest) (events.APIGatewayResponse, error) {
	var command string
	if c := ev.QueryString["CallbackCommand"]; len(c) > 0 {
		command = c[0]
	}
	floor.Decode(command, ev.Body)
	return events.APIGatewayResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       floor.OK,
	}, nil
}
