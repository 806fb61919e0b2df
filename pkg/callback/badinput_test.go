package callback_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/callback/callbacktest"
)

// Mutations of the seed request, for the table below.

func replace(old, new string) func(*callback.Request) {
	return func(r *callback.Request) {
		if !bytes.Contains(r.Body, []byte(old)) {
			panic("the body does not hold " + old)
		}
		r.Body = bytes.Replace(r.Body, []byte(old), []byte(new), 1)
	}
}

func body(b string) func(*callback.Request) {
	return func(r *callback.Request) { r.Body = []byte(b) }
}

func setParam(name, value string) func(*callback.Request) {
	return func(r *callback.Request) { r.Query.Set(name, value) }
}

func delParam(name string) func(*callback.Request) {
	return func(r *callback.Request) { r.Query.Del(name) }
}

func addParam(name, value string) func(*callback.Request) {
	return func(r *callback.Request) { r.Query.Add(name, value) }
}

func method(m string) func(*callback.Request) {
	return func(r *callback.Request) { r.Method = m }
}

// signedAt signs the request as tok would at now+skew.
func signedAt(tok string, skew time.Duration) func(*callback.Request) {
	return func(r *callback.Request) {
		rt := strconv.FormatInt(now.Add(skew).Unix(), 10)
		r.Query.Set("RequestTime", rt)
		r.Query.Set("Sign", callback.Sign(tok, rt))
	}
}

// signedTime signs the request with RequestTime written as rt.
func signedTime(rt string) func(*callback.Request) {
	return func(r *callback.Request) {
		r.Query.Set("RequestTime", rt)
		r.Query.Set("Sign", callback.Sign(token, rt))
	}
}

// bodyOfSize is the seed body with CustomInfo padded so the whole is n bytes: valid JSON.
func bodyOfSize(n int) string {
	pad := n - len(seedBody)
	return strings.Replace(seedBody, `"CustomInfo":"custom123"`, `"CustomInfo":"custom123`+strings.Repeat("x", pad)+`"`, 1)
}

const (
	seedRoom  = `"RoomId":"tandy-test-rest"`
	seedTime  = `"EventTime":1703589922780`
	seedCmd   = `"CallbackCommand":"Room.CallbackAfterCreateRoom"`
	seedCount = `"MaxMemberCount":300`
)

// TestBadInput walks every row of the README's answer table and every kind of hostile or broken
// input through the full handler and a real SQLite store. Each case checks the status and the
// ErrorCode, the answer's rules (callbacktest.CheckAnswer: the exact success body, Content-Type,
// Allow on 405), how many archive rows and rooms the store holds afterwards (a refused request
// leaves none, read both through the Reader and by counting the tables), and that the token
// reached no log line. The controls that must succeed are in the same table.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name       string
		signed     bool // handler configured with tokens ("old-token" and token), request signed
		mutate     func(r *callback.Request)
		wantStatus int
		wantCode   int
		wantRows   int                                               // archive rows after the request
		wantRooms  int                                               // room rows after the request
		check      func(t *testing.T, f *fixture, ev callback.Event) // an accepted event, as archived
	}{
		// Controls: these must succeed.
		{name: "stored", mutate: func(*callback.Request) {}, wantStatus: 200, wantRows: 1, wantRooms: 1},
		{name: "stored, signed", signed: true, mutate: func(*callback.Request) {}, wantStatus: 200, wantRows: 1, wantRooms: 1},
		{name: "signed with the rotation's other token", signed: true, mutate: signedAt("old-token", 0), wantStatus: 200, wantRows: 1, wantRooms: 1},
		{name: "signed 60 s ago, the edge of the window", signed: true, mutate: signedAt(token, -60*time.Second), wantStatus: 200, wantRows: 1, wantRooms: 1},
		{name: "signed 60 s ahead, the edge of the window", signed: true, mutate: signedAt(token, 60*time.Second), wantStatus: 200, wantRows: 1, wantRooms: 1},
		{name: "unknown command archived", mutate: func(r *callback.Request) {
			r.Query.Set("CallbackCommand", "Group.CallbackAfterCreateGroup")
			r.Body = []byte(`{"CallbackCommand":"Group.CallbackAfterCreateGroup","GroupId":"g1","EventTime":5}`)
		}, wantStatus: 200, wantRows: 1},
		{name: "unknown command with RoomInfo.RoomId", mutate: func(r *callback.Request) {
			r.Query.Set("CallbackCommand", "Room.CallbackAfterSomethingNew")
			r.Body = []byte(`{"CallbackCommand":"Room.CallbackAfterSomethingNew","RoomInfo":{"RoomId":"r9","X":1,"X":2},"EventTime":5}`)
		}, wantStatus: 200, wantRows: 1, check: func(t *testing.T, f *fixture, ev callback.Event) {
			if ev.RoomID != "r9" || ev.EventTime != 5 {
				t.Errorf("archived %+v", ev)
			}
		}},
		{name: "an update before its create, a repeated unknown field in RoomInfo", mutate: func(r *callback.Request) {
			r.Query.Set("CallbackCommand", "Room.CallbackAfterUpdateRoomInfo")
			r.Body = []byte(`{"CallbackCommand":"Room.CallbackAfterUpdateRoomInfo","RoomInfo":{"RoomId":"r9","X":1,"X":2},"EventTime":5}`)
		}, wantStatus: 200, wantRows: 1, wantRooms: 1, check: func(t *testing.T, f *fixture, ev callback.Event) {
			if ev.RoomID != "r9" || ev.EventTime != 5 {
				t.Errorf("archived %+v", ev)
			}
		}},
		{name: "contenttype absent", mutate: delParam("contenttype"), wantStatus: 200, wantRows: 1, wantRooms: 1},
		{name: "contenttype JSON upper case", mutate: setParam("contenttype", "JSON"), wantStatus: 200, wantRows: 1, wantRooms: 1},
		{name: "query names in other case", mutate: func(r *callback.Request) {
			r.Query = callbacktest.Query("sdkappid", "1400123456", "callbackcommand", createCmd, "ContentType", "json")
		}, wantStatus: 200, wantRows: 1, wantRooms: 1},
		{name: "query names in other case, signed", signed: true, mutate: func(r *callback.Request) {
			rt := strconv.FormatInt(now.Unix(), 10)
			r.Query = callbacktest.Query("SDKAPPID", "1400123456", "CallBackCommand", createCmd, "SIGN", callback.Sign(token, rt), "requesttime", rt)
		}, wantStatus: 200, wantRows: 1, wantRooms: 1},
		{name: "other parameters ignored, even repeated", mutate: func(r *callback.Request) {
			r.Query["utm"] = []string{"a", "b"}
			r.Query["Sdkappid2"] = []string{"x"}
		}, wantStatus: 200, wantRows: 1, wantRooms: 1},
		{name: "RoomId of 255 bytes", mutate: replace(seedRoom, `"RoomId":"`+strings.Repeat("r", 255)+`"`), wantStatus: 200, wantRows: 1, wantRooms: 1},
		{name: "Tencent's sloppy types", mutate: func(r *callback.Request) {
			replace(`"IsVideoDisabled":true,"IsAudioDisabled":true`, `"IsVideoDisabled":"false","IsAudioDisabled":0`)(r)
			replace(`"Owner_Account":"user3"`, `"Owner_Account":123`)(r)
		},
			wantStatus: 200, wantRows: 1, wantRooms: 1},
		{name: "body of exactly 1 MiB", mutate: body(bodyOfSize(callback.MaxBodyBytes)), wantStatus: 200, wantRows: 1, wantRooms: 1,
			check: func(t *testing.T, f *fixture, ev callback.Event) {
				if len(ev.Raw) != callback.MaxBodyBytes {
					t.Errorf("archived %d bytes, want %d", len(ev.Raw), callback.MaxBodyBytes)
				}
			}},
		{name: "repeated unknown fields kept verbatim", mutate: replace(seedTime, `"Extra":1,"Extra":2,"extra":3,`+seedTime), wantStatus: 200, wantRows: 1, wantRooms: 1,
			check: func(t *testing.T, f *fixture, ev callback.Event) {
				if !bytes.Contains(ev.Raw, []byte(`"Extra":1,"Extra":2,"extra":3,`)) {
					t.Errorf("raw body changed: %s", ev.Raw)
				}
			}},

		// Method: 405, checked before anything else.
		{name: "GET", mutate: method("GET"), wantStatus: 405, wantCode: 40501},
		{name: "PUT", mutate: method("PUT"), wantStatus: 405, wantCode: 40501},
		{name: "HEAD", mutate: method("HEAD"), wantStatus: 405, wantCode: 40501},
		{name: "OPTIONS", mutate: method("OPTIONS"), wantStatus: 405, wantCode: 40501},
		{name: "DELETE", mutate: method("DELETE"), wantStatus: 405, wantCode: 40501},
		{name: "lowercase post", mutate: method("post"), wantStatus: 405, wantCode: 40501},
		{name: "no method", mutate: method(""), wantStatus: 405, wantCode: 40501},
		{name: "GET with an oversized body", mutate: func(r *callback.Request) {
			r.Method = "GET"
			r.Body = make([]byte, callback.MaxBodyBytes+1)
		}, wantStatus: 405, wantCode: 40501},

		// Size: 413, before the query is read.
		{name: "body 1 MiB + 1", mutate: body(strings.Repeat(" ", callback.MaxBodyBytes+1)), wantStatus: 413, wantCode: 41301},
		{name: "body 1 MiB + 1 of valid JSON", mutate: body(bodyOfSize(callback.MaxBodyBytes + 1)), wantStatus: 413, wantCode: 41301},
		{name: "body 1 MiB + 1 without any query", mutate: func(r *callback.Request) {
			r.Query = nil
			r.Body = []byte(bodyOfSize(callback.MaxBodyBytes + 1))
		}, wantStatus: 413, wantCode: 41301},

		// The body is not one JSON object in UTF-8: 40002.
		{name: "body empty", mutate: body(""), wantStatus: 400, wantCode: 40002},
		{name: "body whitespace only", mutate: body(" \r\n\t"), wantStatus: 400, wantCode: 40002},
		{name: "body an array", mutate: body(`[]`), wantStatus: 400, wantCode: 40002},
		{name: "body the seed inside an array", mutate: body(`[` + seedBody + `]`), wantStatus: 400, wantCode: 40002},
		{name: "body a string", mutate: body(`"Room.CallbackAfterCreateRoom"`), wantStatus: 400, wantCode: 40002},
		{name: "body a number", mutate: body(`1703589922780`), wantStatus: 400, wantCode: 40002},
		{name: "body null", mutate: body(`null`), wantStatus: 400, wantCode: 40002},
		{name: "body true", mutate: body(`true`), wantStatus: 400, wantCode: 40002},
		{name: "truncated JSON", mutate: body(seedBody[:len(seedBody)-1]), wantStatus: 400, wantCode: 40002},
		{name: "truncated in a string", mutate: body(seedBody[:40]), wantStatus: 400, wantCode: 40002},
		{name: "trailing garbage", mutate: body(seedBody + "x"), wantStatus: 400, wantCode: 40002},
		{name: "two objects", mutate: body(seedBody + "{}"), wantStatus: 400, wantCode: 40002},
		{name: "line comment, as in Tencent's sample", mutate: replace(seedTime, seedTime+" // ms\n"), wantStatus: 400, wantCode: 40002},
		{name: "block comment", mutate: replace(seedTime, "/* ms */"+seedTime), wantStatus: 400, wantCode: 40002},
		{name: "trailing comma", mutate: replace(seedTime, seedTime+","), wantStatus: 400, wantCode: 40002},
		{name: "single quotes", mutate: body(`{'CallbackCommand':'Room.CallbackAfterCreateRoom'}`), wantStatus: 400, wantCode: 40002},
		{name: "NaN", mutate: replace(seedCount, `"MaxMemberCount":NaN`), wantStatus: 400, wantCode: 40002},
		{name: "invalid UTF-8 in a string", mutate: replace(`"RoomName":"tandy-test-rest"`, "\"RoomName\":\"tandy\xff\""), wantStatus: 400, wantCode: 40002},
		{name: "Latin-1 in a string", mutate: replace(`"RoomName":"tandy-test-rest"`, "\"RoomName\":\"caf\xe9\""), wantStatus: 400, wantCode: 40002},
		{name: "UTF-8 byte order mark", mutate: body("\xef\xbb\xbf" + seedBody), wantStatus: 400, wantCode: 40002},
		{name: "raw NUL byte in a string", mutate: replace(`"RoomName":"tandy-test-rest"`, "\"RoomName\":\"a\x00b\""), wantStatus: 400, wantCode: 40002},
		{name: "raw NUL byte between members", mutate: replace(seedTime, "\x00"+seedTime), wantStatus: 400, wantCode: 40002},

		// A field missing, of an impossible type, or out of range: 40003.
		{name: "RoomInfo missing", mutate: body(`{` + seedCmd + `,` + seedTime + `}`), wantStatus: 400, wantCode: 40003},
		{name: "RoomInfo a string", mutate: body(`{` + seedCmd + `,"RoomInfo":"tandy-test-rest",` + seedTime + `}`), wantStatus: 400, wantCode: 40003},
		{name: "RoomInfo null", mutate: body(`{` + seedCmd + `,"RoomInfo":null,` + seedTime + `}`), wantStatus: 400, wantCode: 40003},
		{name: "RoomId missing", mutate: body(`{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{},"EventTime":1}`), wantStatus: 400, wantCode: 40003},
		{name: "RoomId empty", mutate: replace(seedRoom, `"RoomId":""`), wantStatus: 400, wantCode: 40003},
		{name: "RoomId a number", mutate: replace(seedRoom, `"RoomId":42`), wantStatus: 400, wantCode: 40003},
		{name: "RoomId null", mutate: replace(seedRoom, `"RoomId":null`), wantStatus: 400, wantCode: 40003},
		{name: "RoomId an object", mutate: replace(seedRoom, `"RoomId":{"id":"tandy-test-rest"}`), wantStatus: 400, wantCode: 40003},
		{name: "RoomId an array", mutate: replace(seedRoom, `"RoomId":["tandy-test-rest"]`), wantStatus: 400, wantCode: 40003},
		{name: "RoomId a boolean", mutate: replace(seedRoom, `"RoomId":true`), wantStatus: 400, wantCode: 40003},
		{name: "RoomId of 256 bytes", mutate: replace(seedRoom, `"RoomId":"`+strings.Repeat("r", 256)+`"`), wantStatus: 400, wantCode: 40003},
		{name: "RoomId with NUL", mutate: replace(seedRoom, `"RoomId":"a\u0000"`), wantStatus: 400, wantCode: 40003},
		{name: "RoomName with NUL", mutate: replace(`"RoomName":"tandy-test-rest"`, `"RoomName":"a\u0000b"`), wantStatus: 400, wantCode: 40003},
		{name: "RoomName an object", mutate: replace(`"RoomName":"tandy-test-rest"`, `"RoomName":{}`), wantStatus: 400, wantCode: 40003},
		{name: "Operator_Account an array", mutate: replace(`"Operator_Account":"admin"`, `"Operator_Account":["admin"]`), wantStatus: 400, wantCode: 40003},
		{name: "MaxMemberCount a boolean", mutate: replace(seedCount, `"MaxMemberCount":true`), wantStatus: 400, wantCode: 40003},
		{name: "MaxMemberCount a word", mutate: replace(seedCount, `"MaxMemberCount":"many"`), wantStatus: 400, wantCode: 40003},
		{name: "MaxMemberCount beyond int64", mutate: replace(seedCount, `"MaxMemberCount":9223372036854775808`), wantStatus: 400, wantCode: 40003},
		{name: "MaxMemberCount 1e400", mutate: replace(seedCount, `"MaxMemberCount":1e400`), wantStatus: 400, wantCode: 40003},
		{name: "MaxSeatCount a fraction", mutate: replace(`"MaxSeatCount":16`, `"MaxSeatCount":16.5`), wantStatus: 400, wantCode: 40003},
		{name: "MaxSeatCount an integral fraction", mutate: replace(`"MaxSeatCount":16`, `"MaxSeatCount":16.0`), wantStatus: 400, wantCode: 40003},
		{name: "IsVideoDisabled a word", mutate: replace(`"IsVideoDisabled":true`, `"IsVideoDisabled":"yes"`), wantStatus: 400, wantCode: 40003},
		{name: "IsAudioDisabled 2", mutate: replace(`"IsAudioDisabled":true`, `"IsAudioDisabled":2`), wantStatus: 400, wantCode: 40003},
		{name: "invitees a string", mutate: replace(`["user2","user3","user3"]`, `"user2"`), wantStatus: 400, wantCode: 40003},
		{name: "an invitee an object", mutate: replace(`["user2","user3","user3"]`, `["user2",{}]`), wantStatus: 400, wantCode: 40003},
		{name: "CreateTime not a number", mutate: replace(`"CreateTime":1703589922`, `"CreateTime":"1703589922abc"`), wantStatus: 400, wantCode: 40003},
		{name: "EventTime missing", mutate: replace(`,`+seedTime, ``), wantStatus: 400, wantCode: 40003},
		{name: "EventTime null", mutate: replace(seedTime, `"EventTime":null`), wantStatus: 400, wantCode: 40003},
		{name: "EventTime zero", mutate: replace(seedTime, `"EventTime":0`), wantStatus: 400, wantCode: 40003},
		{name: "EventTime negative", mutate: replace(seedTime, `"EventTime":-1703589922780`), wantStatus: 400, wantCode: 40003},
		{name: "EventTime -0", mutate: replace(seedTime, `"EventTime":-0`), wantStatus: 400, wantCode: 40003},
		{name: "EventTime a fraction", mutate: replace(seedTime, `"EventTime":1703589922780.5`), wantStatus: 400, wantCode: 40003},
		{name: "EventTime beyond int64", mutate: replace(seedTime, `"EventTime":92233720368547758070`), wantStatus: 400, wantCode: 40003},
		{name: "EventTime 1e400", mutate: replace(seedTime, `"EventTime":1e400`), wantStatus: 400, wantCode: 40003},
		{name: "EventTime a string, not a number", mutate: replace(seedTime, `"EventTime":"yesterday"`), wantStatus: 400, wantCode: 40003},
		{name: "EventTime an empty string", mutate: replace(seedTime, `"EventTime":""`), wantStatus: 400, wantCode: 40003},
		{name: "unknown command of 129 bytes", mutate: func(r *callback.Request) {
			cmd := "X." + strings.Repeat("c", 127)
			r.Query.Set("CallbackCommand", cmd)
			r.Body = []byte(`{"CallbackCommand":"` + cmd + `"}`)
		}, wantStatus: 400, wantCode: 40003},

		// A field the parser reads appears twice: 40008.
		{name: "EventTime twice", mutate: replace(seedTime, `"EventTime":1,`+seedTime), wantStatus: 400, wantCode: 40008},
		{name: "CallbackCommand twice, same value", mutate: replace(seedCmd, seedCmd+","+seedCmd), wantStatus: 400, wantCode: 40008},
		{name: "RoomInfo twice", mutate: replace(seedTime, `"RoomInfo":{"RoomId":"other"},`+seedTime), wantStatus: 400, wantCode: 40008},
		{name: "RoomInfo.RoomId twice", mutate: replace(seedRoom, seedRoom+`,"RoomId":"other"`), wantStatus: 400, wantCode: 40008},
		{name: "RoomInfo.RoomId twice, case variant", mutate: replace(seedRoom, seedRoom+`,"roomid":"other"`), wantStatus: 400, wantCode: 40008},
		{name: "RoomInfo.RoomId twice, escaped", mutate: replace(seedRoom, seedRoom+`,"Room\u0049d":"other"`), wantStatus: 400, wantCode: 40008},
		{name: "EventTime twice, case variant", mutate: replace(seedTime, seedTime+`,"EVENTTIME":1`), wantStatus: 400, wantCode: 40008},
		{name: "a field twice, one copy of an impossible type", mutate: replace(seedCount, seedCount+`,"MaxMemberCount":true`), wantStatus: 400, wantCode: 40008},
		{name: "unknown command with RoomId twice", mutate: func(r *callback.Request) {
			r.Query.Set("CallbackCommand", "Room.CallbackAfterSomethingNew")
			r.Body = []byte(`{"CallbackCommand":"Room.CallbackAfterSomethingNew","RoomId":"a","RoomId":"b","EventTime":5}`)
		}, wantStatus: 400, wantCode: 40008},
		{name: "destroy with RoomId twice", mutate: func(r *callback.Request) {
			r.Query.Set("CallbackCommand", "Room.CallbackAfterDestroyRoom")
			r.Body = []byte(`{"CallbackCommand":"Room.CallbackAfterDestroyRoom","RoomId":"a","RoomId":"b","EventTime":5}`)
		}, wantStatus: 400, wantCode: 40008},

		// CallbackCommand: missing from the query (40004), or query and body differ (40005).
		{name: "command missing from query", mutate: delParam("CallbackCommand"), wantStatus: 400, wantCode: 40004},
		{name: "command empty in query", mutate: setParam("CallbackCommand", ""), wantStatus: 400, wantCode: 40004},
		{name: "commands differ", mutate: replace(`"Room.CallbackAfterCreateRoom"`, `"Room.CallbackAfterDestroyRoom"`), wantStatus: 400, wantCode: 40005},
		{name: "command missing from body", mutate: replace(seedCmd+",", ``), wantStatus: 400, wantCode: 40005},
		{name: "command in other case in body", mutate: replace(`"Room.CallbackAfterCreateRoom"`, `"room.callbackaftercreateroom"`), wantStatus: 400, wantCode: 40005},
		{name: "query says another command than the create-room body", mutate: setParam("CallbackCommand", "Room.CallbackAfterUpdateRoomInfo"), wantStatus: 400, wantCode: 40005},
		{name: "query says another command than the create-room body, one not projected", mutate: setParam("CallbackCommand", "Group.CallbackAfterCreateGroup"), wantStatus: 400, wantCode: 40005},
		// The query's command chooses the parser, and a body must parse as that command's
		// before its CallbackCommand is compared: a create body lacks a destroy's RoomId.
		{name: "query says destroy, the body is a create", mutate: setParam("CallbackCommand", "Room.CallbackAfterDestroyRoom"), wantStatus: 400, wantCode: 40003},
		{name: "body command a number", mutate: func(r *callback.Request) {
			r.Query.Set("CallbackCommand", "5")
			r.Body = []byte(`{"CallbackCommand":5,"EventTime":5}`)
		}, wantStatus: 400, wantCode: 40005},

		// Tencent's query parameters: repeated (40006) or of an invalid value (40007).
		{name: "repeated SdkAppid", mutate: func(r *callback.Request) { r.Query["SdkAppid"] = []string{"1400123456", "1400123456"} }, wantStatus: 400, wantCode: 40006},
		{name: "SdkAppid in two spellings", mutate: setParam("SDKAppID", "1400000001"), wantStatus: 400, wantCode: 40006},
		{name: "Sign in two spellings", signed: true, mutate: func(r *callback.Request) { r.Query["sign"] = r.Query["Sign"] }, wantStatus: 400, wantCode: 40006},
		{name: "repeated RequestTime", signed: true, mutate: func(r *callback.Request) { r.Query.Add("RequestTime", r.Query.Get("RequestTime")) }, wantStatus: 400, wantCode: 40006},
		{name: "repeated contenttype", mutate: addParam("ContentType", "json"), wantStatus: 400, wantCode: 40006},
		{name: "SdkAppid with no value at all", mutate: func(r *callback.Request) { r.Query["SdkAppid"] = []string{} }, wantStatus: 400, wantCode: 40007},
		{name: "ClientIP with NUL", mutate: setParam("ClientIP", "1.2.3.4\x00"), wantStatus: 400, wantCode: 40007},
		{name: "OptPlatform not UTF-8", mutate: setParam("OptPlatform", "Web\xff"), wantStatus: 400, wantCode: 40007},
		{name: "SdkAppid not UTF-8", mutate: setParam("SdkAppid", "1400123456\xff"), wantStatus: 400, wantCode: 40007},
		{name: "Sign not UTF-8", signed: true, mutate: setParam("Sign", "\xc3\x28"), wantStatus: 400, wantCode: 40007},

		// contenttype present and not json: 40001.
		{name: "contenttype xml", mutate: setParam("contenttype", "xml"), wantStatus: 400, wantCode: 40001},
		{name: "contenttype empty", mutate: setParam("contenttype", ""), wantStatus: 400, wantCode: 40001},
		{name: "contenttype a MIME type", mutate: setParam("contenttype", "application/json"), wantStatus: 400, wantCode: 40001},

		// Sign and RequestTime: missing (40101), time invalid or outside the window (40102),
		// Sign matching no token (40103).
		{name: "sign missing", signed: true, mutate: delParam("Sign"), wantStatus: 401, wantCode: 40101},
		{name: "request time missing", signed: true, mutate: delParam("RequestTime"), wantStatus: 401, wantCode: 40101},
		{name: "sign empty", signed: true, mutate: setParam("Sign", ""), wantStatus: 401, wantCode: 40101},
		{name: "request time empty", signed: true, mutate: setParam("RequestTime", ""), wantStatus: 401, wantCode: 40101},
		{name: "sign wrong", signed: true, mutate: func(r *callback.Request) { r.Query.Set("Sign", callback.Sign("guess", r.Query.Get("RequestTime"))) }, wantStatus: 401, wantCode: 40103},
		{name: "sign in upper case", signed: true, mutate: func(r *callback.Request) { r.Query.Set("Sign", strings.ToUpper(r.Query.Get("Sign"))) }, wantStatus: 401, wantCode: 40103},
		{name: "sign one hex digit short", signed: true, mutate: func(r *callback.Request) { r.Query.Set("Sign", r.Query.Get("Sign")[:63]) }, wantStatus: 401, wantCode: 40103},
		{name: "sign one hex digit long", signed: true, mutate: func(r *callback.Request) { r.Query.Set("Sign", r.Query.Get("Sign")+"0") }, wantStatus: 401, wantCode: 40103},
		{name: "sign for another token", signed: true, mutate: signedAt("someone-else", 0), wantStatus: 401, wantCode: 40103},
		{name: "sign for another time", signed: true, mutate: func(r *callback.Request) {
			r.Query.Set("Sign", callback.Sign(token, strconv.FormatInt(now.Unix()-1, 10)))
		}, wantStatus: 401, wantCode: 40103},
		{name: "sign of the token alone", signed: true, mutate: setParam("Sign", callback.Sign(token, "")), wantStatus: 401, wantCode: 40103},
		{name: "replayed: a valid sign made 61 s ago", signed: true, mutate: signedAt(token, -61*time.Second), wantStatus: 401, wantCode: 40102},
		{name: "request time expired", signed: true, mutate: signedAt(token, -2*time.Minute), wantStatus: 401, wantCode: 40102},
		{name: "replayed a day later", signed: true, mutate: signedAt(token, -24*time.Hour), wantStatus: 401, wantCode: 40102},
		{name: "request time 61 s in the future", signed: true, mutate: signedAt(token, 61*time.Second), wantStatus: 401, wantCode: 40102},
		{name: "request time in the future", signed: true, mutate: signedAt(token, 2*time.Minute), wantStatus: 401, wantCode: 40102},
		{name: "request time in milliseconds", signed: true, mutate: signedTime(strconv.FormatInt(now.UnixMilli(), 10)), wantStatus: 401, wantCode: 40102},
		{name: "request time not a number", signed: true, mutate: signedTime("now"), wantStatus: 401, wantCode: 40102},
		{name: "request time with a plus sign", signed: true, mutate: signedTime("+" + strconv.FormatInt(now.Unix(), 10)), wantStatus: 401, wantCode: 40102},
		{name: "request time with a space", signed: true, mutate: signedTime(" " + strconv.FormatInt(now.Unix(), 10)), wantStatus: 401, wantCode: 40102},
		{name: "request time a fraction", signed: true, mutate: signedTime(strconv.FormatInt(now.Unix(), 10) + ".0"), wantStatus: 401, wantCode: 40102},
		{name: "request time negative", signed: true, mutate: signedTime("-1"), wantStatus: 401, wantCode: 40102},
		{name: "request time beyond int64", signed: true, mutate: signedTime("99999999999999999999"), wantStatus: 401, wantCode: 40102},

		// SdkAppid missing (40301) or not ours (40302), checked before the signature.
		{name: "SdkAppid missing", mutate: delParam("SdkAppid"), wantStatus: 403, wantCode: 40301},
		{name: "SdkAppid empty", mutate: setParam("SdkAppid", ""), wantStatus: 403, wantCode: 40301},
		{name: "no query at all", mutate: func(r *callback.Request) { r.Query = nil }, wantStatus: 403, wantCode: 40301},
		{name: "SdkAppid of another app", mutate: setParam("SdkAppid", "1400999999"), wantStatus: 403, wantCode: 40302},
		{name: "SdkAppid with a leading zero", mutate: setParam("SdkAppid", "01400123456"), wantStatus: 403, wantCode: 40302},
		{name: "SdkAppid with spaces", mutate: setParam("SdkAppid", " 1400123456"), wantStatus: 403, wantCode: 40302},
		{name: "SdkAppid with a trailing space", mutate: setParam("SdkAppid", "1400123456 "), wantStatus: 403, wantCode: 40302},
		{name: "SdkAppid with a plus sign", mutate: setParam("SdkAppid", "+1400123456"), wantStatus: 403, wantCode: 40302},
		{name: "SdkAppid in hex", mutate: setParam("SdkAppid", "0x5372D9C0"), wantStatus: 403, wantCode: 40302},
		{name: "SdkAppid as a list", mutate: setParam("SdkAppid", "1400123456,1400000001"), wantStatus: 403, wantCode: 40302},
		{name: "unauthenticated and forbidden: forbidden first", signed: true, mutate: func(r *callback.Request) {
			r.Query.Set("SdkAppid", "1")
			r.Query.Del("Sign")
		}, wantStatus: 403, wantCode: 40302},
		{name: "another app, correctly signed", signed: true, mutate: setParam("SdkAppid", "1400999999"), wantStatus: 403, wantCode: 40302},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *fixture
			if tt.signed {
				f = newFixture(t, "old-token", token)
			} else {
				f = newFixture(t)
			}
			req := seedRequest(tt.signed)
			tt.mutate(&req)
			resp := f.h.Handle(context.Background(), req)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if got := code(t, resp); got != tt.wantCode {
				t.Fatalf("ErrorCode = %d, want %d (%s)", got, tt.wantCode, resp.Body)
			}
			if _, err := callbacktest.CheckAnswer(resp.StatusCode, resp.Header, resp.Body); err != nil {
				t.Fatal(err)
			}
			if tt.wantStatus == 200 && string(resp.Body) != okPacket {
				t.Fatalf("body = %s, want exactly %s", resp.Body, okPacket)
			}
			if tt.wantStatus == 405 && resp.Header["Allow"] != "POST" {
				t.Fatalf("Allow = %q", resp.Header["Allow"])
			}

			evs := f.events(t)
			if other, err := f.store.Events(context.Background(), 1400000001); err != nil || len(other) != 0 {
				t.Fatalf("the other app's archive: %d rows, %v", len(other), err)
			}
			if got := len(evs); got != tt.wantRows {
				t.Fatalf("archive rows = %d, want %d", got, tt.wantRows)
			}
			if n := countTables(t, f.path); n != [4]int{tt.wantRows, tt.wantRooms, 0, 0} {
				t.Fatalf("tables hold %d events, %d rooms, %d members and %d seats, want %d, %d, 0 and 0",
					n[0], n[1], n[2], n[3], tt.wantRows, tt.wantRooms)
			}
			if tt.wantRooms == 0 {
				if _, err := callback.ReadRoom(context.Background(), f.store, app, "tandy-test-rest"); !errors.Is(err, callback.ErrNotFound) {
					t.Fatalf("a room was left: %v", err)
				}
			}
			// The handler refuses before the store: a refused request never reaches Save.
			wantSaves := int64(0)
			if tt.wantStatus == 200 {
				wantSaves = 1
			}
			if got := f.saves.calls.Load(); got != wantSaves {
				t.Fatalf("Save called %d times, want %d", got, wantSaves)
			}
			if tt.wantRows == 1 && !bytes.Equal(evs[0].Raw, req.Body) {
				t.Fatalf("archived body differs from the one sent")
			}
			if tt.check != nil {
				tt.check(t, f, evs[0])
			}
			if strings.Contains(f.logs.String(), token) {
				t.Fatal("the token reached a log line")
			}
		})
	}
	if len(tests) < 40 {
		t.Fatalf("only %d cases", len(tests))
	}
}

// countTables counts the rows of callback_events, rooms, room_members and room_seats straight
// from the SQLite file, through a connection of its own.
func countTables(t *testing.T, path string) (n [4]int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM callback_events), (SELECT count(*) FROM rooms),
		(SELECT count(*) FROM room_members), (SELECT count(*) FROM room_seats)`).Scan(&n[0], &n[1], &n[2], &n[3]); err != nil {
		t.Fatal(err)
	}
	return n
}

// goldenBody returns the golden body of command (testdata/callbacks), written by hand from
// Tencent's field tables.
func goldenBody(t testing.TB, command string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "callbacks", command+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// roomRequest is the request Tencent sends for command's golden body.
func roomRequest(t testing.TB, command string) callback.Request {
	req := seedRequest(false)
	req.Query.Set("CallbackCommand", command)
	req.Body = goldenBody(t, command)
	return req
}

// dumpTables returns every row of every table of the SQLite file, in key order, as text.
func dumpTables(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out strings.Builder
	tables := []string{"callback_events"}
	for _, t := range callback.Tables {
		tables = append(tables, t.Name)
	}
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM ` + table + ` ORDER BY 1, 2, 3`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "%s %q\n", table, vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out.String()
}

// TestBadInputRoomFamily is TestBadInput for the Room family's other commands: each request
// carries a command's golden body, changed in one way, and goes through the full handler to a
// real SQLite store that already holds a room (its create, a member enter and a seat change).
// A refusal must give the status and ErrorCode of README's table, never call Save, and leave
// every row of every table exactly as it was. The controls, in the same table, are answered OK;
// commands roomhook does not project are archived raw and change no projected row.
func TestBadInputRoomFamily(t *testing.T) {
	const (
		update    = callback.CommandUpdateRoom
		updateAlt = callback.CommandUpdateRoomAlt
		destroy   = callback.CommandDestroyRoom
		enter     = callback.CommandMemberEnter
		leave     = callback.CommandMemberLeave
		seat      = callback.CommandSeatChanged
		room      = `"RoomId": "golden-room-7f3a"`
		eventTime = `"EventTime": `
	)
	long := strings.Repeat("a", 256)
	// times replaces the golden body's EventTime, whatever it is.
	times := func(v string) func(*callback.Request) {
		return func(r *callback.Request) {
			i := bytes.Index(r.Body, []byte(eventTime))
			j := i + len(eventTime) + bytes.IndexAny(r.Body[i+len(eventTime):], "\n,}")
			r.Body = append(append(append([]byte{}, r.Body[:i+len(eventTime)]...), v...), r.Body[j:]...)
		}
	}
	other := func(command, body string) func(*callback.Request) {
		return func(r *callback.Request) {
			r.Query.Set("CallbackCommand", command)
			r.Body = []byte(body)
		}
	}
	tests := []struct {
		name       string
		command    string // whose golden body the request carries
		mutate     func(r *callback.Request)
		wantStatus int
		wantCode   int
		wantRows   int // archive rows the request adds
		projected  bool
	}{
		// Controls.
		{name: "update", command: update, wantStatus: 200, wantRows: 1, projected: true},
		{name: "update, the other spelling", command: updateAlt, wantStatus: 200, wantRows: 1, projected: true},
		{name: "destroy", command: destroy, wantStatus: 200, wantRows: 1, projected: true},
		{name: "member enter", command: enter, wantStatus: 200, wantRows: 0, projected: true}, // already stored: a duplicate
		{name: "member leave", command: leave, wantStatus: 200, wantRows: 1, projected: true},
		{name: "seat change", command: seat, wantStatus: 200, wantRows: 0, projected: true}, // a duplicate
		{name: "seat change naming one Index twice", command: seat, mutate: replace(`{"Index": 2,`, `{"Index": 5, "Member_Account": "owner-ada"}, {"Index": 2,`),
			wantStatus: 200, wantRows: 1, projected: true},
		{name: "member enter, an 18-digit account alone", command: enter, mutate: replace(`"MemberList_Account": ["member-fay", 144115233775727695, "member-gus", "member-fay"]`, `"MemberList_Account": [144115233775727697]`),
			wantStatus: 200, wantRows: 1, projected: true},
		// The Live family's projected commands, in the same room (a Room-family room here: the
		// projection does not care which product made the room).
		{name: "live member state Online (control)", mutate: other(callback.CommandLiveMemberState,
			`{"CallbackCommand":"Live.CallbackAfterMemberStateChanged","RoomId":"golden-room-7f3a","EventType":"Online","EventCause":"HeartbeatRecover","MemberList":[{"Member_Account":"member-fay"}],"EventTime":1703589999990}`),
			wantStatus: 200, wantRows: 1, projected: true},
		{name: "live member state, body and query spelled differently (control)", mutate: other(callback.CommandLiveMemberStateAlt,
			`{"CallbackCommand":"Live.CallbackAfterMemberStateChanged","RoomId":"golden-room-7f3a","EventType":"Offline","EventCause":"Kicked","MemberList":[{"Member_Account":144115233775727695}],"EventTime":1703589999991}`),
			wantStatus: 200, wantRows: 1, projected: true},
		{name: "live create with only RoomInfo.CreateTime (control)", mutate: other(callback.CommandLiveCreateRoom,
			`{"CallbackCommand":"Live.CallbackAfterCreateRoom","Operator_Account":"op","RoomInfo":{"RoomId":"golden-room-7f3a","RoomType":"Live","CreateTime":1703589999}}`),
			wantStatus: 200, wantRows: 1, projected: true},
		{name: "live member state without RoomId", mutate: other(callback.CommandLiveMemberState,
			`{"CallbackCommand":"Live.CallbackAfterMemberStateChanged","EventType":"Online","MemberList":[{"Member_Account":"member-fay"}],"EventTime":1703589999990}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live member state, MemberList a string", mutate: other(callback.CommandLiveMemberState,
			`{"CallbackCommand":"Live.CallbackAfterMemberStateChanged","RoomId":"golden-room-7f3a","EventType":"Online","MemberList":"member-fay","EventTime":1703589999990}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live member state, an entry without Member_Account", mutate: other(callback.CommandLiveMemberState,
			`{"CallbackCommand":"Live.CallbackAfterMemberStateChanged","RoomId":"golden-room-7f3a","EventType":"Online","MemberList":[{"Member_Account":"member-fay"},{}],"EventTime":1703589999990}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live member state, EventType neither Online nor Offline", mutate: other(callback.CommandLiveMemberState,
			`{"CallbackCommand":"Live.CallbackAfterMemberStateChanged","RoomId":"golden-room-7f3a","EventType":"online","MemberList":[{"Member_Account":"member-fay"}],"EventTime":1703589999990}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live member state without EventTime", mutate: other(callback.CommandLiveMemberState,
			`{"CallbackCommand":"Live.CallbackAfterMemberStateChanged","RoomId":"golden-room-7f3a","EventType":"Online","MemberList":[{"Member_Account":"member-fay"}]}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live member state, Member_Account twice in one entry", mutate: other(callback.CommandLiveMemberState,
			`{"CallbackCommand":"Live.CallbackAfterMemberStateChanged","RoomId":"golden-room-7f3a","EventType":"Online","MemberList":[{"Member_Account":"a"},{"Member_Account":"b","member_account":"c"}],"EventTime":1703589999990}`),
			wantStatus: 400, wantCode: 40008},
		{name: "live create with no time at all", mutate: other(callback.CommandLiveCreateRoom,
			`{"CallbackCommand":"Live.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"golden-room-7f3a","RoomType":"Live"}}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live create, RoomInfo.RoomId an object", mutate: other(callback.CommandLiveCreateRoom,
			`{"CallbackCommand":"Live.CallbackAfterCreateRoom","RoomInfo":{"RoomId":{"id":"golden-room-7f3a"}},"EventTime":1703589999990}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live owner change without CurrentOwner_Account", mutate: other(callback.CommandLiveChangeOwner,
			`{"CallbackCommand":"Live.CallbackAfterChangeOwner","RoomId":"golden-room-7f3a","OriginalOwner_Account":"owner-ada","EventTime":1703589999990}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live destroy whose RoomInfo names another room", mutate: other(callback.CommandLiveDestroyRoom,
			`{"CallbackCommand":"Live.CallbackAfterDestroyRoom","RoomId":"golden-room-7f3a","RoomInfo":{"RoomId":"other-room"},"EventTime":1703589999990}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live update whose body names the create", mutate: func(r *callback.Request) {
			r.Query.Set("CallbackCommand", callback.CommandLiveUpdateRoom)
			r.Body = []byte(`{"CallbackCommand":"Live.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"golden-room-7f3a"},"EventTime":1703589999990}`)
		}, wantStatus: 400, wantCode: 40005},
		{name: "unknown command Group.CallbackAfterSendMsg", mutate: other("Group.CallbackAfterSendMsg",
			`{"CallbackCommand":"Group.CallbackAfterSendMsg","GroupId":"@TGS#1","From_Account":"member-fay","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}],"EventTime":1703589960000}`),
			wantStatus: 200, wantRows: 1},
		{name: "unknown command Room.CallbackAfterSomethingNew, same room", mutate: other("Room.CallbackAfterSomethingNew",
			`{"CallbackCommand":"Room.CallbackAfterSomethingNew","Operator_Account":"op","RoomInfo":{"RoomId":"golden-room-7f3a","RoomName":"new","RoomType":"Live","MaxMemberCount":1},"EventTime":1703589999999}`),
			wantStatus: 200, wantRows: 1},
		// The Live family's own tables: controls, then what each parser refuses (40003), the
		// store left exactly as it was.
		{name: "live admin change (control)", mutate: other(callback.CommandLiveModifyAdmin,
			`{"CallbackCommand":"Live.CallbackAfterModifyAdmin","RoomId":"golden-room-7f3a","Operator_Account":"op","Admin_Account":["member-fay",144115233775727695],"opType":"add","EventTime":1703589999998}`),
			wantStatus: 200, wantRows: 1, projected: true},
		{name: "live admin change, opType in another case", mutate: other(callback.CommandLiveModifyAdmin,
			`{"CallbackCommand":"Live.CallbackAfterModifyAdmin","RoomId":"golden-room-7f3a","Admin_Account":["member-fay"],"opType":"Add","EventTime":1703589999998}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live admin change, Admin_Account empty", mutate: other(callback.CommandLiveModifyAdmin,
			`{"CallbackCommand":"Live.CallbackAfterModifyAdmin","RoomId":"golden-room-7f3a","Admin_Account":[],"opType":"delete","EventTime":1703589999998}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live admin change without EventTime", mutate: other(callback.CommandLiveModifyAdmin,
			`{"CallbackCommand":"Live.CallbackAfterModifyAdmin","RoomId":"golden-room-7f3a","Admin_Account":["member-fay"],"opType":"add"}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live metadata set (control)", mutate: other(callback.CommandLiveSetMetadata,
			`{"CallbackCommand":"Live.CallbackAfterSetMetadata","RoomId":"golden-room-7f3a","Operator_Account":"op","Metadata":[{"Key":"topic","Value":"hi"},{"Key":"empty","Value":""}],"EventTime":1703589999997}`),
			wantStatus: 200, wantRows: 1, projected: true},
		{name: "live metadata set, an entry without Key", mutate: other(callback.CommandLiveSetMetadata,
			`{"CallbackCommand":"Live.CallbackAfterSetMetadata","RoomId":"golden-room-7f3a","Metadata":[{"Key":"topic","Value":"hi"},{"Value":"x"}],"EventTime":1703589999997}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live metadata set, Metadata a string", mutate: other(callback.CommandLiveSetMetadata,
			`{"CallbackCommand":"Live.CallbackAfterSetMetadata","RoomId":"golden-room-7f3a","Metadata":"topic=hi","EventTime":1703589999997}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live metadata delete (control)", mutate: other(callback.CommandLiveDelMetadata,
			`{"CallbackCommand":"Live.CallbackAfterDelMetadata","RoomId":"golden-room-7f3a","Keys":["topic"],"EventTime":1703589999997}`),
			wantStatus: 200, wantRows: 1, projected: true},
		{name: "live metadata delete, Keys empty", mutate: other(callback.CommandLiveDelMetadata,
			`{"CallbackCommand":"Live.CallbackAfterDelMetadata","RoomId":"golden-room-7f3a","Keys":[],"EventTime":1703589999997}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live battle end (control)", mutate: other(callback.CommandLiveEndBattle,
			`{"CallbackCommand":"Live.CallbackAfterEndBattle","BattleId":"pk-1","FromRoomInfo":{"RoomId":"golden-room-7f3a","Score":40},"ToRoomList":[{"RoomId":"rival","Score":30}],"OpType":0,"EventTime":1703589999996}`),
			wantStatus: 200, wantRows: 1, projected: true},
		{name: "live battle without BattleId", mutate: other(callback.CommandLiveCreateBattle,
			`{"CallbackCommand":"Live.CallbackAfterCreateBattle","FromRoomId":"golden-room-7f3a","ToRoomIdList":["rival"],"EventTime":1703589999996}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live battle with both invited-room lists", mutate: other(callback.CommandLiveStartBattle,
			`{"CallbackCommand":"Live.CallbackAfterStartBattle","BattleId":"pk-1","FromRoomId":"golden-room-7f3a","ToRoomIdList":["rival"],"ToRoomList":[{"RoomId":"rival"}],"EventTime":1703589999996}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live battle whose FromRoomId and FromRoomInfo differ", mutate: other(callback.CommandLiveEndBattle,
			`{"CallbackCommand":"Live.CallbackAfterEndBattle","BattleId":"pk-1","FromRoomId":"golden-room-7f3a","FromRoomInfo":{"RoomId":"rival"},"EventTime":1703589999996}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live gift (control)", mutate: other(callback.CommandLiveGift,
			`{"CallbackCommand":"Live.CallbackBeforeSendGift","Operator_Account":"op","RoomId":"golden-room-7f3a","GiftWater":{"From_Account":"member-fay","To_Account":["owner-ada"],"Time":1703589999,"GiftId":"rose","Count":2,"Coins":20}}`),
			wantStatus: 200, wantRows: 1, projected: true},
		{name: "live gift without GiftWater.From_Account", mutate: other(callback.CommandLiveGift,
			`{"CallbackCommand":"Live.CallbackBeforeSendGift","RoomId":"golden-room-7f3a","GiftWater":{"To_Account":["owner-ada"],"Coins":20}}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live gift, GiftWater a string", mutate: other(callback.CommandLiveGift,
			`{"CallbackCommand":"Live.CallbackBeforeSendGift","RoomId":"golden-room-7f3a","GiftWater":"rose"}`),
			wantStatus: 400, wantCode: 40003},
		{name: "live room-count threshold, archived (control)", mutate: other(callback.CommandLiveThreshold,
			`{"CallbackCommand":"Live.CallbackAfterCreateRoomReachingThreshold","CurRoomCount":90,"MaxRoomCount":100,"EventTime":1703589999995}`),
			wantStatus: 200, wantRows: 1},

		// The body is not one JSON object in UTF-8: 40002.
		{name: "update truncated", command: update, mutate: func(r *callback.Request) { r.Body = r.Body[:len(r.Body)-3] }, wantStatus: 400, wantCode: 40002},
		{name: "destroy with a comment", command: destroy, mutate: replace(room+",", room+", // the room"), wantStatus: 400, wantCode: 40002},
		{name: "seat change in an array", command: seat, mutate: func(r *callback.Request) { r.Body = append(append([]byte("["), r.Body...), ']') }, wantStatus: 400, wantCode: 40002},
		{name: "member leave not UTF-8", command: leave, mutate: replace(`removed by the host`, "removed by the h\xf4st"), wantStatus: 400, wantCode: 40002},

		// Required fields missing or of an impossible type: 40003.
		{name: "update without RoomInfo", command: update, mutate: func(r *callback.Request) {
			r.Body = []byte(`{"CallbackCommand":"Room.CallbackAfterUpdateRoomInfo","RoomId":"golden-room-7f3a","EventTime":1703589933412}`)
		}, wantStatus: 400, wantCode: 40003},
		{name: "update, RoomInfo.RoomId missing", command: update, mutate: replace(room+",", ``), wantStatus: 400, wantCode: 40003},
		{name: "update, RoomInfo.RoomId a number", command: update, mutate: replace(room, `"RoomId": 7`), wantStatus: 400, wantCode: 40003},
		{name: "update, RoomInfo.RoomId of 256 bytes", command: update, mutate: replace(room, `"RoomId": "`+long+`"`), wantStatus: 400, wantCode: 40003},
		{name: "update, IsVideoDisabled a word", command: update, mutate: replace(`"IsVideoDisabled": false`, `"IsVideoDisabled": "off"`), wantStatus: 400, wantCode: 40003},
		{name: "update, MaxMemberCount a fraction", command: update, mutate: replace(`302`, `302.5`), wantStatus: 400, wantCode: 40003},
		{name: "update, EventTime missing", command: updateAlt, mutate: replace(`,
  "EventTime": 1703589944523`, ``), wantStatus: 400, wantCode: 40003},
		{name: "destroy, RoomId missing", command: destroy, mutate: replace(room+",", ``), wantStatus: 400, wantCode: 40003},
		{name: "destroy, RoomId a number", command: destroy, mutate: replace(room, `"RoomId": 7`), wantStatus: 400, wantCode: 40003},
		{name: "destroy, RoomId empty", command: destroy, mutate: replace(room, `"RoomId": ""`), wantStatus: 400, wantCode: 40003},
		{name: "destroy, EventTime zero", command: destroy, mutate: times(`0`), wantStatus: 400, wantCode: 40003},
		{name: "destroy, EventTime negative", command: destroy, mutate: times(`-1703589999634`), wantStatus: 400, wantCode: 40003},
		{name: "member enter, RoomId missing", command: enter, mutate: replace(room+",", ``), wantStatus: 400, wantCode: 40003},
		{name: "member enter, RoomId a number", command: enter, mutate: replace(room, `"RoomId": 7`), wantStatus: 400, wantCode: 40003},
		{name: "member enter, RoomId of 256 bytes", command: enter, mutate: replace(room, `"RoomId": "`+long+`"`), wantStatus: 400, wantCode: 40003},
		{name: "member enter, MemberList_Account missing", command: enter, mutate: replace(`"MemberList_Account": ["member-fay", 144115233775727695, "member-gus", "member-fay"],`, ``), wantStatus: 400, wantCode: 40003},
		{name: "member enter, MemberList_Account not an array", command: enter, mutate: replace(`["member-fay", 144115233775727695, "member-gus", "member-fay"]`, `"member-fay"`), wantStatus: 400, wantCode: 40003},
		{name: "member enter, MemberList_Account holding an object", command: enter, mutate: replace(`"member-gus"`, `{"Member_Account":"member-gus"}`), wantStatus: 400, wantCode: 40003},
		{name: "member leave, an empty account", command: leave, mutate: replace(`"member-hal"`, `""`), wantStatus: 400, wantCode: 40003},
		{name: "member leave, an account over 255 bytes", command: leave, mutate: replace(`"member-hal"`, `"`+long+`"`), wantStatus: 400, wantCode: 40003},
		{name: "member leave, MemberCount a fraction", command: leave, mutate: replace(`"MemberCount": 2`, `"MemberCount": 2.5`), wantStatus: 400, wantCode: 40003},
		{name: "member leave, EventTime missing", command: leave, mutate: replace(`,
  "EventTime": 1703589966856`, ``), wantStatus: 400, wantCode: 40003},
		{name: "member leave, EventTime zero", command: leave, mutate: times(`0`), wantStatus: 400, wantCode: 40003},
		{name: "seat change, SeatList not an array", command: seat, mutate: func(r *callback.Request) {
			r.Body = []byte(`{"CallbackCommand":"Mic.CallbackAfterSeatInfoChanged","RoomId":"golden-room-7f3a","SeatList":{"Index":1},"EventTime":1703589977968}`)
		}, wantStatus: 400, wantCode: 40003},
		{name: "seat change, an element not an object", command: seat, mutate: replace(`{"Index": 2, "IsTakenDisabled": 0}`, `2`), wantStatus: 400, wantCode: 40003},
		{name: "seat change, Index missing", command: seat, mutate: replace(`{"Index": 2, "IsTakenDisabled": 0}`, `{"IsTakenDisabled": 0}`), wantStatus: 400, wantCode: 40003},
		{name: "seat change, Index not an integer", command: seat, mutate: replace(`"Index": 2,`, `"Index": "two",`), wantStatus: 400, wantCode: 40003},
		{name: "seat change, Index a fraction", command: seat, mutate: replace(`"Index": 2,`, `"Index": 2.5,`), wantStatus: 400, wantCode: 40003},
		{name: "seat change, Index negative", command: seat, mutate: replace(`"Index": 2,`, `"Index": -2,`), wantStatus: 400, wantCode: 40003},
		{name: "seat change, Member_Account over 255 bytes", command: seat, mutate: replace(`"owner-ada"`, `"`+long+`"`), wantStatus: 400, wantCode: 40003},
		{name: "seat change, EventTime negative", command: seat, mutate: times(`-1`), wantStatus: 400, wantCode: 40003},

		// A field the parser reads appears twice: 40008.
		{name: "update, RoomInfo.RoomName twice", command: update, mutate: replace(`"RoomName": "Renamed sync",`, `"RoomName": "Renamed sync", "roomname": "x",`), wantStatus: 400, wantCode: 40008},
		{name: "update, RoomInfo.RoomId twice, escaped", command: updateAlt, mutate: replace(room, room+`, "Room\u0049d": "other"`), wantStatus: 400, wantCode: 40008},
		{name: "update, EventTime twice", command: update, mutate: replace(`"Operator_Account"`, `"EventTime": 1, "Operator_Account"`), wantStatus: 400, wantCode: 40008},
		{name: "destroy, RoomId twice", command: destroy, mutate: replace(room, room+`, "ROOMID": "other"`), wantStatus: 400, wantCode: 40008},
		{name: "member enter, MemberList_Account twice", command: enter, mutate: replace(room, room+`, "memberlist_account": []`), wantStatus: 400, wantCode: 40008},
		{name: "member leave, MemberList_Account twice, long s", command: leave, mutate: replace(room, room+", \"MemberLi\u017ft_Account\": [\"x\"]"), wantStatus: 400, wantCode: 40008},
		{name: "seat change, SeatList[1].Index twice", command: seat, mutate: replace(`"Index": 0,`, `"Index": 0, "index": 1,`), wantStatus: 400, wantCode: 40008},
		{name: "seat change, SeatList[3].IsTakenDisabled twice, Kelvin sign", command: seat, mutate: replace(`"IsTakenDisabled": 0`, "\"IsTakenDisabled\": 0, \"IsTa\u212aenDisabled\": 1"), wantStatus: 400, wantCode: 40008},
		{name: "seat change, SeatList twice", command: seat, mutate: replace(room, room+`, "SeatList": []`), wantStatus: 400, wantCode: 40008},

		// CallbackCommand: the query's and the body's differ (40005).
		// The update's two spellings are one command: a query and a body that mix them are one
		// update, archived under the query's spelling.
		{name: "update, the query spells it the other way", command: update, mutate: setParam("CallbackCommand", updateAlt), wantStatus: 200, wantRows: 1, projected: true},
		{name: "member enter body sent as a leave", command: enter, mutate: setParam("CallbackCommand", leave), wantStatus: 400, wantCode: 40005},
		{name: "seat change without CallbackCommand in the body", command: seat, mutate: replace(`"CallbackCommand": "Mic.CallbackAfterSeatInfoChanged",`, ``), wantStatus: 400, wantCode: 40005},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			for _, c := range []string{createCmd, enter, seat} {
				if r := f.h.Handle(ctx, roomRequest(t, c)); r.StatusCode != 200 {
					t.Fatalf("%s: %d %s", c, r.StatusCode, r.Body)
				}
			}
			before := dumpTables(t, f.path)
			if n := countTables(t, f.path); n != [4]int{3, 1, 3, 4} {
				t.Fatalf("the room's tables hold %v rows", n)
			}
			f.saves.calls.Store(0)

			req := seedRequest(false)
			if tt.command != "" {
				req = roomRequest(t, tt.command)
			}
			if tt.mutate != nil {
				tt.mutate(&req)
			}
			resp := f.h.Handle(ctx, req)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if got := code(t, resp); got != tt.wantCode {
				t.Fatalf("ErrorCode = %d, want %d (%s)", got, tt.wantCode, resp.Body)
			}
			if _, err := callbacktest.CheckAnswer(resp.StatusCode, resp.Header, resp.Body); err != nil {
				t.Fatal(err)
			}
			after := dumpTables(t, f.path)
			if tt.wantStatus != 200 {
				if saves := f.saves.calls.Load(); saves != 0 {
					t.Fatalf("Save called %d times for a refused request", saves)
				}
				if after != before {
					t.Fatalf("a refused request changed the store:\nbefore\n%s\nafter\n%s", before, after)
				}
				return
			}
			if saves := f.saves.calls.Load(); saves != 1 {
				t.Fatalf("Save called %d times", saves)
			}
			n := countTables(t, f.path)
			if n[0] != 3+tt.wantRows {
				t.Fatalf("archive rows = %d, want %d", n[0], 3+tt.wantRows)
			}
			evs := f.events(t)
			if tt.wantRows == 1 && !bytes.Equal(evs[len(evs)-1].Raw, req.Body) {
				t.Fatal("archived body differs from the one sent")
			}
			if !tt.projected {
				// Archived raw: the projected rows are those of before, byte for byte.
				if strip(after, "callback_events") != strip(before, "callback_events") {
					t.Fatalf("a command roomhook does not project changed a projected row:\nbefore\n%s\nafter\n%s", before, after)
				}
			}
			if tt.wantRows == 0 && after != before {
				t.Fatalf("a duplicate changed the store:\nbefore\n%s\nafter\n%s", before, after)
			}
		})
	}
}

// strip drops the lines of table from a dumpTables text.
func strip(dump, table string) string {
	var keep []string
	for line := range strings.SplitSeq(dump, "\n") {
		if !strings.HasPrefix(line, table+" ") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
