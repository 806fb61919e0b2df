// Command echo-lambda is a throw-away AWS Lambda function for the localinvoke
// tests. It answers every event with a fixed API-gateway-style response; see
// echoResponse for how the event and ECHO_MODE steer it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

var invocations atomic.Int64

func main() {
	switch os.Getenv("ECHO_MODE") {
	case "exit":
		fmt.Fprintln(os.Stderr, "echo-lambda: refusing to start (ECHO_MODE=exit)")
		os.Exit(3)
	case "hang":
		time.Sleep(time.Hour)
	}
	lambda.Start(handle)
}

// event is what the tests send: the status to answer with, and whether to
// fail the invocation instead.
type event struct {
	Status int    `json:"status"`
	Fail   string `json:"fail"` // "error", "panic", "exit", "answer-exit" or "hang"
}

func handle(ctx context.Context, e event) (map[string]any, error) {
	n := invocations.Add(1)
	switch e.Fail {
	case "error":
		return nil, errors.New("echo-lambda: asked to fail")
	case "panic":
		panic("echo-lambda: asked to panic")
	case "exit":
		fmt.Println("echo-lambda: exiting mid-invocation")
		os.Exit(4)
	case "answer-exit":
		// The answer goes out while the process is on its way down, as when a function's
		// init fails on another goroutine after it took its first event.
		go func() {
			fmt.Println("echo-lambda: exiting after the answer")
			os.Exit(5)
		}()
	case "hang":
		time.Sleep(time.Hour)
	}
	fmt.Println("echo-lambda: invocation", n)
	status := e.Status
	if status == 0 {
		status = 200
	}
	_, hasDeadline := ctx.Deadline()
	body, _ := json.Marshal(map[string]any{
		"invocation":   n,
		"pid":          os.Getpid(),
		"functionName": os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		"echoVar":      os.Getenv("ECHO_VAR"),
		"hasDeadline":  hasDeadline,
	})
	return map[string]any{
		"statusCode":      status,
		"headers":         map[string]string{"Content-Type": "application/json"},
		"body":            string(body),
		"isBase64Encoded": false,
	}, nil
}
