package callback

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// RoomCreated is the body of Room.CallbackAfterCreateRoom. Optional fields are pointers so that
// a field Tencent did not send is stored as absent (NULL), not as a made-up zero.
type RoomCreated struct {
	CallbackCommand string
	OperatorAccount *string  // Operator_Account
	RoomInfo        RoomInfo // RoomInfo; RoomInfo.RoomId is required
	// ScheduleInviteeList holds ScheduleInviteeList_Account de-duplicated, first occurrence
	// order kept; nil when the body has no list.
	ScheduleInviteeList []string
	EventTime           int64 // EventTime, Unix milliseconds; required
}

// RoomInfo is the room as created. Times are Unix seconds, as Tencent sends them.
type RoomInfo struct {
	RoomID                   string  // RoomId
	RoomName                 *string // RoomName
	RoomType                 *string // RoomType: Meeting, Conference, Live, … (any string)
	OwnerAccount             *string // Owner_Account
	MaxMemberCount           *int64
	MaxSeatCount             *int64
	IsVideoDisabled          *bool
	IsAudioDisabled          *bool
	IsMessageDisabled        *bool
	IsScreenSharingDisabled  *bool
	IsCloudRecordingDisabled *bool
	CustomInfo               *string
	ScheduleStartTime        *int64
	ScheduleEndTime          *int64
	RoomStatus               *string // None, NotStarted, Running (any string)
	IsSeatEnabled            *bool
	TakeSeatMode             *string // None, FreeToTake, ApplyToTake (any string)
	CreateTime               *int64
}

// Errors the parser returns, matched with errors.Is; the handler maps them to 400.
var (
	// ErrNotObject means the body is not a single, valid JSON object in UTF-8.
	ErrNotObject = errors.New("body is not a JSON object")
	// ErrField means a field is missing or holds a value of an impossible type.
	ErrField = errors.New("invalid field")
	// ErrDuplicateField means a field the parser reads appears twice in one object (in any
	// spelling encoding/json takes for the same field); see dupkeys.go.
	ErrDuplicateField = errors.New("field appears twice")
)

// fieldError names the offending field without echoing its value.
func fieldError(name, problem string) error {
	return fmt.Errorf("%w: %s %s", ErrField, name, problem)
}

// wireCreated mirrors the JSON body; the lenient types below absorb Tencent's sloppy samples.
type wireCreated struct {
	CallbackCommand            *lenientString   `json:"CallbackCommand"`
	OperatorAccount            *lenientString   `json:"Operator_Account"`
	RoomInfo                   *wireRoomInfo    `json:"RoomInfo"`
	ScheduleInviteeListAccount *lenientAccounts `json:"ScheduleInviteeList_Account"`
	EventTime                  *lenientInt      `json:"EventTime"`
}

type wireRoomInfo struct {
	RoomID                   json.RawMessage `json:"RoomId"`
	RoomName                 *lenientString  `json:"RoomName"`
	RoomType                 *lenientString  `json:"RoomType"`
	OwnerAccount             *lenientString  `json:"Owner_Account"`
	MaxMemberCount           *lenientInt     `json:"MaxMemberCount"`
	MaxSeatCount             *lenientInt     `json:"MaxSeatCount"`
	IsVideoDisabled          *lenientBool    `json:"IsVideoDisabled"`
	IsAudioDisabled          *lenientBool    `json:"IsAudioDisabled"`
	IsMessageDisabled        *lenientBool    `json:"IsMessageDisabled"`
	IsScreenSharingDisabled  *lenientBool    `json:"IsScreenSharingDisabled"`
	IsCloudRecordingDisabled *lenientBool    `json:"IsCloudRecordingDisabled"`
	CustomInfo               *lenientString  `json:"CustomInfo"`
	ScheduleStartTime        *lenientInt     `json:"ScheduleStartTime"`
	ScheduleEndTime          *lenientInt     `json:"ScheduleEndTime"`
	RoomStatus               *lenientString  `json:"RoomStatus"`
	IsSeatEnabled            *lenientBool    `json:"IsSeatEnabled"`
	TakeSeatMode             *lenientString  `json:"TakeSeatMode"`
	CreateTime               *lenientInt     `json:"CreateTime"`
}

// ParseCreateRoom parses a Room.CallbackAfterCreateRoom body. It returns ErrNotObject when the
// body is not one JSON object in valid UTF-8, ErrDuplicateField naming the field when a field
// it reads appears twice in one object, and ErrField naming the field when a field is missing
// (RoomInfo.RoomId, EventTime) or of an impossible type. A repeated field is reported before
// any problem with its values.
func ParseCreateRoom(body []byte) (*RoomCreated, error) {
	w, err := decodeBody[wireCreated](body, createRoomFields.get())
	if err != nil {
		return nil, err
	}
	roomID, eventTime, err := roomInfoKey(w.RoomInfo, w.EventTime)
	if err != nil {
		return nil, err
	}
	ri := w.RoomInfo
	rc := &RoomCreated{
		OperatorAccount: str(w.OperatorAccount),
		EventTime:       eventTime,
		RoomInfo:        ri.info(roomID),
	}
	if w.CallbackCommand != nil {
		rc.CallbackCommand = string(*w.CallbackCommand)
	}
	if w.ScheduleInviteeListAccount != nil {
		rc.ScheduleInviteeList = []string(*w.ScheduleInviteeListAccount)
	}
	return rc, nil
}

// Key returns RoomInfo.RoomId and EventTime.
func (rc *RoomCreated) Key() (string, int64) { return rc.RoomInfo.RoomID, rc.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (rc *RoomCreated) BodyCommand() string { return rc.CallbackCommand }

// info returns the RoomInfo the wire struct carries, with roomID already checked.
func (ri *wireRoomInfo) info(roomID string) RoomInfo {
	return RoomInfo{
		RoomID:                   roomID,
		RoomName:                 str(ri.RoomName),
		RoomType:                 str(ri.RoomType),
		OwnerAccount:             str(ri.OwnerAccount),
		MaxMemberCount:           integer(ri.MaxMemberCount),
		MaxSeatCount:             integer(ri.MaxSeatCount),
		IsVideoDisabled:          boolean(ri.IsVideoDisabled),
		IsAudioDisabled:          boolean(ri.IsAudioDisabled),
		IsMessageDisabled:        boolean(ri.IsMessageDisabled),
		IsScreenSharingDisabled:  boolean(ri.IsScreenSharingDisabled),
		IsCloudRecordingDisabled: boolean(ri.IsCloudRecordingDisabled),
		CustomInfo:               str(ri.CustomInfo),
		ScheduleStartTime:        integer(ri.ScheduleStartTime),
		ScheduleEndTime:          integer(ri.ScheduleEndTime),
		RoomStatus:               str(ri.RoomStatus),
		IsSeatEnabled:            boolean(ri.IsSeatEnabled),
		TakeSeatMode:             str(ri.TakeSeatMode),
		CreateTime:               integer(ri.CreateTime),
	}
}

// overlay sets every field u carries (non-nil) on i; the others stay as they are.
func (i *RoomInfo) overlay(u *RoomInfo) {
	set(&i.RoomName, u.RoomName)
	set(&i.RoomType, u.RoomType)
	set(&i.OwnerAccount, u.OwnerAccount)
	set(&i.MaxMemberCount, u.MaxMemberCount)
	set(&i.MaxSeatCount, u.MaxSeatCount)
	set(&i.IsVideoDisabled, u.IsVideoDisabled)
	set(&i.IsAudioDisabled, u.IsAudioDisabled)
	set(&i.IsMessageDisabled, u.IsMessageDisabled)
	set(&i.IsScreenSharingDisabled, u.IsScreenSharingDisabled)
	set(&i.IsCloudRecordingDisabled, u.IsCloudRecordingDisabled)
	set(&i.CustomInfo, u.CustomInfo)
	set(&i.ScheduleStartTime, u.ScheduleStartTime)
	set(&i.ScheduleEndTime, u.ScheduleEndTime)
	set(&i.RoomStatus, u.RoomStatus)
	set(&i.IsSeatEnabled, u.IsSeatEnabled)
	set(&i.TakeSeatMode, u.TakeSeatMode)
	set(&i.CreateTime, u.CreateTime)
}

func set[T any](dst **T, v *T) {
	if v != nil {
		*dst = v
	}
}

// decodeBody decodes body into a new W after the checks every projected command shares: one
// JSON object in valid UTF-8, no field of fields repeated. A repeated field is reported before
// any problem with its values.
func decodeBody[W any](body []byte, fields *fieldSet) (*W, error) {
	if err := checkObject(body); err != nil {
		return nil, err
	}
	w := new(W)
	if err := json.Unmarshal(body, w); err != nil {
		err = decodeError(err)
		// A type error means encoding/json found the syntax valid (it checks the whole
		// document first), so the scanner may run.
		if errors.Is(err, ErrField) {
			if dup := duplicateField(body, fields); dup != "" {
				return nil, duplicateError(dup)
			}
		}
		return nil, err
	}
	if dup := duplicateField(body, fields); dup != "" {
		return nil, duplicateError(dup)
	}
	return w, nil
}

// roomInfoKey returns the archive key of a body whose room is RoomInfo's: RoomInfo.RoomId and
// EventTime, both required.
func roomInfoKey(ri *wireRoomInfo, t *lenientInt) (string, int64, error) {
	if ri == nil {
		return "", 0, fieldError("RoomInfo", "missing")
	}
	roomID, err := requiredID("RoomInfo.RoomId", ri.RoomID)
	if err != nil {
		return "", 0, err
	}
	eventTime, err := requiredTime(t)
	return roomID, eventTime, err
}

// requiredID returns the required string id raw holds, or an error naming the field.
func requiredID(name string, raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", fieldError(name, "missing")
	}
	id, ok := jsonString(raw)
	if !ok {
		return "", fieldError(name, "must be a string")
	}
	if id == "" {
		return "", fieldError(name, "missing")
	}
	return id, nil
}

// requiredTime returns the required, positive EventTime.
func requiredTime(t *lenientInt) (int64, error) {
	if t == nil {
		return 0, fieldError("EventTime", "missing")
	}
	if *t <= 0 {
		return 0, fieldError("EventTime", "must be positive")
	}
	return int64(*t), nil
}

// Envelope is what roomhook reads from the body of a command it does not project: enough to
// key the archive row. Nothing in it is required beyond CallbackCommand, because refusing a
// command we do not understand could make Tencent refuse the user's action.
type Envelope struct {
	CallbackCommand string
	RoomID          string // RoomId, or RoomInfo.RoomId; "" when neither is a string or number
	EventTime       int64  // EventTime when it is a positive integer, else 0
}

// wireEnvelope is what ParseEnvelope reads of any body; wireEnvelopeRoomInfo what it reads
// of its RoomInfo.
type wireEnvelope struct {
	CallbackCommand json.RawMessage `json:"CallbackCommand"`
	RoomID          json.RawMessage `json:"RoomId"`
	RoomInfo        json.RawMessage `json:"RoomInfo"`
	EventTime       json.RawMessage `json:"EventTime"`
}

type wireEnvelopeRoomInfo struct {
	RoomID json.RawMessage `json:"RoomId"`
}

// ParseEnvelope reads the Envelope of any callback body. It returns ErrNotObject when the body
// is not one JSON object in valid UTF-8, and ErrDuplicateField when one of the names it reads
// (CallbackCommand, RoomId, RoomInfo, EventTime, RoomInfo.RoomId) appears twice in one
// object: those make the archive key, which must not depend on which copy a reader takes.
// Repeats of any other name are left alone.
func ParseEnvelope(body []byte) (Envelope, error) {
	if err := checkObject(body); err != nil {
		return Envelope{}, err
	}
	var w wireEnvelope
	if err := json.Unmarshal(body, &w); err != nil {
		return Envelope{}, decodeError(err)
	}
	if dup := duplicateField(body, envelopeFields); dup != "" {
		return Envelope{}, duplicateError(dup)
	}
	var e Envelope
	e.CallbackCommand, _ = jsonString(w.CallbackCommand)
	e.RoomID = looseID(w.RoomID)
	if e.RoomID == "" && len(w.RoomInfo) > 0 && w.RoomInfo[0] == '{' {
		var ri wireEnvelopeRoomInfo
		if json.Unmarshal(w.RoomInfo, &ri) == nil {
			e.RoomID = looseID(ri.RoomID)
		}
	}
	var t lenientInt
	if len(w.EventTime) > 0 && t.UnmarshalJSON(w.EventTime) == nil && t > 0 {
		e.EventTime = int64(t)
	}
	return e, nil
}

// checkObject refuses what no JSON decoder should be asked to be lenient about: invalid UTF-8
// (encoding/json would silently replace it, so the archive and the projection would disagree)
// and anything but an object at the top.
func checkObject(body []byte) error {
	if !utf8.Valid(body) {
		return fmt.Errorf("%w: invalid UTF-8", ErrNotObject)
	}
	for _, c := range body {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return nil
		default:
			return ErrNotObject
		}
	}
	return ErrNotObject
}

// duplicateError is ErrDuplicateField with the path of the repeated field, in our spelling
// (never the sender's bytes).
type duplicateError string

func (e duplicateError) Error() string { return ErrDuplicateField.Error() + ": " + string(e) }
func (e duplicateError) Unwrap() error { return ErrDuplicateField }

// decodeError turns encoding/json's errors into ours, naming the field but never its value.
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		name := te.Field
		if name == "" {
			name = "body"
		}
		if te.Value == outOfRange {
			return fieldError(name, "is out of range")
		}
		return fieldError(name, "has an impossible type")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: syntax error at byte %d", ErrNotObject, se.Offset)
	}
	return fmt.Errorf("%w: %v", ErrField, err)
}

// jsonString returns the value of a JSON string literal; ok is false for anything else,
// including a string holding NUL (see lenientString).
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	s, err := decodeString(raw)
	if err != nil || strings.IndexByte(s, 0) >= 0 {
		return "", false
	}
	return s, true
}

// looseID returns an id given as a string or a number, or "".
func looseID(raw json.RawMessage) string {
	if s, ok := jsonString(raw); ok {
		return s
	}
	if isJSONNumber(raw) {
		return string(raw)
	}
	return ""
}

// str, integer and boolean hand over the values the decoder allocated for the wire struct,
// which is used once and dropped: converting the pointer (the lenient types share their
// underlying types) avoids a copy and an allocation per field. nil stays nil: absent.
func str(v *lenientString) *string { return (*string)(v) }

func integer(v *lenientInt) *int64 { return (*int64)(v) }

func boolean(v *lenientBool) *bool { return (*bool)(v) }
