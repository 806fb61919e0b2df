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
type event struct {
	HTTPMethod      string      `json:"httpMethod"`
	QueryString     queryString `json:"queryString"`
	Body            string      `json:"body"`
	IsBase64Encoded bool        `json:"isBase64Encoded"`
	RequestContext  struct {
		RequestID string `json:"requestId"`
	} `json:"requestContext"`
}
