package callbacktest

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// What the Judge knows of bodies: the rules of README's answer table and the parsing rules of
// docs/design.md, written here from Tencent's field tables without asking pkg/callback's parsers,
// so that a 200 the handler gives and these rules refuse is a hole in one of the two.

// The commands roomhook projects, spelled as Tencent sends them, and the field that keys each
// body's room.
const (
	cmdCreate    = "Room.CallbackAfterCreateRoom"
	cmdUpdate    = "Room.CallbackAfterUpdateRoomInfo"
	cmdUpdateAlt = "Room.CallbackUpdateRoomInfo"
	cmdDestroy   = "Room.CallbackAfterDestroyRoom"
	cmdEnter     = "Room.CallbackAfterMemberEnter"
	cmdLeave     = "Room.CallbackAfterMemberLeave"
	cmdSeat      = "Mic.CallbackAfterSeatInfoChanged"
	maxCommand   = 128 // bytes of a CallbackCommand
	maxRoomID    = 255 // bytes of a RoomId
	maxAccount   = 255 // bytes of a member account
	inRoomInfo   = "RoomInfo.RoomId"
)

// projected maps each projected command to where its RoomId is.
var projected = map[string]string{
	cmdCreate: inRoomInfo, cmdUpdate: inRoomInfo, cmdUpdateAlt: inRoomInfo,
	cmdDestroy: "RoomId", cmdEnter: "RoomId", cmdLeave: "RoomId", cmdSeat: "RoomId",
}

// Body is what the Judge reads of an admissible body.
type Body struct {
	Projected bool     // the command is one roomhook projects
	RoomID    string   // a projected command's RoomId: the room the event is archived under
	EventTime int64    // the projected commands' EventTime
	Accounts  []string // the members a member event lists, as the row keys spell them
	Seats     []int64  // the Index of each seat a seat event lists
}

// ReadBody decides whether body may be answered 200 as a callback of command and, when it may,
// returns what it says; why says what is wrong otherwise:
//   - the body is one JSON object in UTF-8, its CallbackCommand a string equal to command, at
//     most 128 bytes;
//   - a name read below appears once in its object, counting every spelling encoding/json takes
//     for it (any case, the Kelvin sign for k, the long s for s, escapes);
//   - for the projected commands, the fields their parse requires: RoomId (RoomInfo.RoomId for
//     a create or an update) a non-empty string without NUL, at most 255 bytes; EventTime a
//     positive integer (a number or a numeric string); for a member event MemberList_Account
//     an array of accounts, each a non-empty string without NUL or a number, at most 255
//     bytes; for a seat change SeatList an array of objects, each with an Index that is a
//     non-negative integer (a number or a numeric string);
//   - for any other command, a RoomId (or else RoomInfo.RoomId) given as a string or a number
//     is at most 255 bytes.
func ReadBody(command string, body []byte) (Body, string) {
	var b Body
	if !utf8.Valid(body) {
		return b, "body not UTF-8"
	}
	if !json.Valid(body) {
		return b, "body not JSON"
	}
	top, ok := object(body)
	if !ok {
		return b, "body not a JSON object"
	}
	// The update's two spellings are one command, in the query and the body alike.
	updates := map[string]bool{"Room.CallbackAfterUpdateRoomInfo": true, "Room.CallbackUpdateRoomInfo": true}
	cmd, why := top.once("CallbackCommand")
	if why != "" {
		return b, why
	}
	if s, isString := str(cmd); !isString || (s != command && !(updates[s] && updates[command])) {
		return b, "body CallbackCommand " + string(cmd) + " is not the query's " + strconv.Quote(command)
	}
	if len(command) > maxCommand {
		return b, "CallbackCommand over 128 bytes"
	}
	where, isProjected := projected[command]
	if !isProjected {
		return b, other(top)
	}
	b.Projected = true
	holder := top
	if where == inRoomInfo {
		ri, why := top.once("RoomInfo")
		if why != "" {
			return b, why
		}
		if holder, ok = object(ri); !ok {
			return b, "RoomInfo not an object"
		}
	}
	id, why := holder.once("RoomId")
	if why != "" {
		return b, why
	}
	s, isString := str(id)
	if !isString || s == "" || strings.Contains(s, "\x00") || len(s) > maxRoomID {
		return b, where + " not a string of 1 to 255 bytes without NUL"
	}
	b.RoomID = s
	t, why := top.once("EventTime")
	if why != "" {
		return b, why
	}
	if b.EventTime, ok = integer(t); !ok || b.EventTime <= 0 {
		return b, "EventTime not a positive integer"
	}
	switch command {
	case cmdEnter, cmdLeave:
		list, why := top.once("MemberList_Account")
		if why != "" {
			return b, why
		}
		items, ok := array(list)
		if !ok {
			return b, "MemberList_Account not an array"
		}
		for _, it := range items {
			a, isString := str(it)
			switch {
			case isString && (a == "" || strings.Contains(a, "\x00")):
				return b, "an account empty or holding NUL"
			case !isString && !number(it):
				return b, "an account neither a string nor a number"
			case !isString:
				a = string(it)
			}
			if len(a) > maxAccount {
				return b, "an account over 255 bytes"
			}
			b.Accounts = append(b.Accounts, a)
		}
	case cmdSeat:
		list, why := top.once("SeatList")
		if why != "" {
			return b, why
		}
		items, ok := array(list)
		if !ok {
			return b, "SeatList not an array"
		}
		for _, it := range items {
			seat, ok := object(it)
			if !ok {
				return b, "a SeatList element not an object"
			}
			idx, why := seat.once("Index")
			if why != "" {
				return b, "SeatList: " + why
			}
			i, ok := integer(idx)
			if !ok || i < 0 {
				return b, "a seat Index not a non-negative integer"
			}
			b.Seats = append(b.Seats, i)
		}
	}
	return b, ""
}

// other checks what the archive key takes from the body of a command roomhook does not project.
func other(top members) string {
	id, why := top.once("RoomId")
	if why != "" {
		return why
	}
	if loose(id) == "" {
		ri, why := top.once("RoomInfo")
		if why != "" {
			return why
		}
		if inner, ok := object(ri); ok {
			if id, why = inner.once("RoomId"); why != "" {
				return "RoomInfo." + why
			}
		}
	}
	if len(loose(id)) > maxRoomID {
		return "RoomId over 255 bytes"
	}
	return ""
}

// loose is an id given as a string without NUL or as a number, or "".
func loose(raw json.RawMessage) string {
	if s, ok := str(raw); ok && !strings.Contains(s, "\x00") {
		return s
	}
	if number(raw) {
		return string(raw)
	}
	return ""
}

// members are an object's members in order, names decoded.
type members []struct {
	name  string
	value json.RawMessage
}

// object reads raw as an object, or returns false.
func object(raw json.RawMessage) (members, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out members
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, struct {
			name  string
			value json.RawMessage
		}{tok.(string), v})
	}
	return out, true
}

// once returns the value of the member encoding/json takes for name, nil when there is none,
// and a reason when there are several.
func (m members) once(name string) (json.RawMessage, string) {
	var v json.RawMessage
	n := 0
	for _, mb := range m {
		if strings.EqualFold(mb.name, name) {
			v, n = mb.value, n+1
		}
	}
	if n > 1 {
		return nil, name + " given " + strconv.Itoa(n) + " times"
	}
	return v, ""
}

// array reads raw as an array's elements, or returns false.
func array(raw json.RawMessage) ([]json.RawMessage, bool) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var items []json.RawMessage
	return items, json.Unmarshal(raw, &items) == nil
}

// str returns a string literal's value.
func str(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

func number(raw json.RawMessage) bool {
	return len(raw) > 0 && (raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9')
}

// integer reads an int64 given as a number or a numeric string, in decimal.
func integer(raw json.RawMessage) (int64, bool) {
	text := string(raw)
	if s, ok := str(raw); ok {
		text = s
	} else if !number(raw) {
		return 0, false
	}
	n, err := strconv.ParseInt(text, 10, 64)
	return n, err == nil
}
