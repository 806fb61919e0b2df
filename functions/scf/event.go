package main

// event holds the fields roomhook reads from the two HTTP events an SCF event function
// receives; every other field (headers, path, the *Parameters maps, stageVariables, …) is
// skipped by the decoder without being built.
//
// API gateway trigger (the integration request):
//
//	{"requestContext": {"serviceId", "path", "httpMethod", "requestId", "identity", "sourceIp", "stage"},
//	 "headers": {…}, "body": "…", "path": "…", "httpMethod": "POST",
//	 "queryString": {…}, "queryStringParameters": {…}, "pathParameters": {…},
//	 "headerParameters": {…}, "stageVariables": {…}, "isBase64Encoded": false}
//
// Function URL (the HTTP entry of SCF today; no requestContext, no isBase64Encoded, header
// names in lower case, the sender's address in headers["x-scf-remote-addr"]):
//
//	{"body": "…", "headers": {…}, "httpMethod": "POST", "path": "/", "queryString": {…}}
//
// The method is the top-level httpMethod, the one the caller used: requestContext.httpMethod
// is the method configured on the API, which may be ANY. Samples of both shapes are in
// events/.
//
// A timer trigger's event (serverless.purge.yml) runs the archive purge instead of answering a
// callback (events/timer-purge.json):
//
//	{"Type": "Timer", "TriggerName": "…", "Time": "2019-02-21T11:49:00Z", "Message": "…"}
type event struct {
	HTTPMethod      string      `json:"httpMethod"`
	QueryString     queryString `json:"queryString"`
	Body            string      `json:"body"`
	IsBase64Encoded bool        `json:"isBase64Encoded"`
	RequestContext  struct {
		RequestID string `json:"requestId"`
	} `json:"requestContext"`
	Type string `json:"Type"` // "Timer" from a timer trigger
}

// timer reports whether the event is a timer trigger's: Type "Timer" and no httpMethod.
//
// A callback can never pass for one. Whatever a caller sends through the function URL or an API
// gateway (body, query string, headers, path) lands inside the event Tencent builds, under body,
// queryString, headers and the like, never as one of its top-level keys; and an HTTP event always
// has its httpMethod, which a timer's never has. Only a principal allowed to invoke the function
// itself (the timer, an operator with the SCF Invoke API) can send a timer event. A callback pays
// only for decoding one more top-level name, which its events never hold.
func (ev *event) timer() bool {
	return ev.Type == "Timer" && ev.HTTPMethod == ""
}
