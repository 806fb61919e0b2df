package callback

import (
	"encoding/json"
	"net/http"
)

// okBody is the acknowledgement packet exactly as Tencent's documentation shows it; it is the
// same bytes for every success, so it is built once.
var okBody = []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)

// packet is the acknowledgement's wire form; the field order is Tencent's.
type packet struct {
	ActionStatus string `json:"ActionStatus"`
	ErrorInfo    string `json:"ErrorInfo"`
	ErrorCode    int    `json:"ErrorCode"`
}

func ok() Response {
	return Response{
		StatusCode: http.StatusOK,
		Header:     map[string]string{"Content-Type": "application/json"},
		Body:       okBody,
	}
}

func fail(e *Error) Response {
	body, _ := json.Marshal(packet{ActionStatus: "FAIL", ErrorInfo: e.Message, ErrorCode: e.Code})
	r := Response{
		StatusCode: statusOf(e.Kind),
		Header:     map[string]string{"Content-Type": "application/json"},
		Body:       body,
	}
	if e.Kind == KindMethodNotAllowed {
		r.Header["Allow"] = "POST"
	}
	return r
}
