package jsonobject

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// benchEvent is shaped like an API Gateway REST event: many small headers, a nested context,
// and a body that is escaped JSON.
func benchEvent() []byte {
	var b strings.Builder
	b.WriteString(`{"resource":"/callback","httpMethod":"POST","headers":{`)
	for i := range 17 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"X-Header-` + strconv.Itoa(i) + `":"value of header number ` + strconv.Itoa(i) + `"`)
	}
	b.WriteString(`},"multiValueHeaders":{`)
	for i := range 17 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"X-Header-` + strconv.Itoa(i) + `":["value of header number ` + strconv.Itoa(i) + `"]`)
	}
	b.WriteString(`},"pathParameters":null,"requestContext":{"requestTimeEpoch":1703589922812,"requestId":"6b0d5f7e",` +
		`"identity":{"caller":null,"sourceIp":"198.51.100.23","userAgent":"Apache-HttpClient/4.5.14"},"domainName":"x.example.com"},`)
	body, _ := json.Marshal(strings.Repeat(`{"RoomId":"tandy-test-rest","MaxMemberCount":300,"IsVideoDisabled":true},`, 8))
	b.WriteString(`"body":` + string(body) + `,"isBase64Encoded":false}`)
	return []byte(b.String())
}

// BenchmarkReader walks the event reading the members an adapter reads, for comparison with
// BenchmarkValid, encoding/json's first pass alone.
func BenchmarkReader(b *testing.B) {
	data := benchEvent()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(data)
		for r.Next() {
			switch string(r.Key()) {
			case "httpMethod", "body":
				r.Value()
			case "requestContext":
				if r.Object() {
					for r.Next() {
					}
				}
			}
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
	}
}

// BenchmarkValid is json.Valid on the same event.
func BenchmarkValid(b *testing.B) {
	data := benchEvent()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if !json.Valid(data) {
			b.Fatal("invalid")
		}
	}
}
