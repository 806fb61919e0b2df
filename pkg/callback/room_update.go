package callback

import "encoding/json"

// RoomUpdated is the body of Room.CallbackAfterUpdateRoomInfo (also sent as
// Room.CallbackUpdateRoomInfo). Tencent does not say whether an update carries every field or
// only the changed ones, so a field it does not carry (nil) is "unchanged", not "absent".
type RoomUpdated struct {
	CallbackCommand string
	OperatorAccount *string  // Operator_Account
	RoomInfo        RoomInfo // the fields the update carries; RoomInfo.RoomId is required
	EventTime       int64    // EventTime, Unix milliseconds; required
}

// wireUpdated mirrors the body; it reads every RoomInfo field a create may carry.
type wireUpdated struct {
	CallbackCommand *lenientString `json:"CallbackCommand"`
	OperatorAccount *lenientString `json:"Operator_Account"`
	RoomInfo        *wireRoomInfo  `json:"RoomInfo"`
	EventTime       *lenientInt    `json:"EventTime"`
}

var updateRoomFields = newLazyFields[wireUpdated]()

// ParseUpdateRoom parses a Room.CallbackAfterUpdateRoomInfo body, with the errors of
// ParseCreateRoom: RoomInfo.RoomId and EventTime are required.
func ParseUpdateRoom(body []byte) (*RoomUpdated, error) {
	w, err := decodeBody[wireUpdated](body, updateRoomFields.get())
	if err != nil {
		return nil, err
	}
	roomID, eventTime, err := roomInfoKey(w.RoomInfo, w.EventTime)
	if err != nil {
		return nil, err
	}
	return &RoomUpdated{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		OperatorAccount: str(w.OperatorAccount),
		RoomInfo:        w.RoomInfo.info(roomID),
		EventTime:       eventTime,
	}, nil
}

// Key returns RoomInfo.RoomId and EventTime.
func (u *RoomUpdated) Key() (string, int64) { return u.RoomInfo.RoomID, u.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (u *RoomUpdated) BodyCommand() string { return u.CallbackCommand }

// RoomDestroyed is the body of Room.CallbackAfterDestroyRoom.
type RoomDestroyed struct {
	CallbackCommand string
	OperatorAccount *string // Operator_Account
	RoomID          string  // RoomId; required
	EventTime       int64   // required
}

type wireDestroyed struct {
	CallbackCommand *lenientString  `json:"CallbackCommand"`
	OperatorAccount *lenientString  `json:"Operator_Account"`
	RoomID          json.RawMessage `json:"RoomId"`
	EventTime       *lenientInt     `json:"EventTime"`
}

var destroyRoomFields = newLazyFields[wireDestroyed]()

// ParseDestroyRoom parses a Room.CallbackAfterDestroyRoom body: RoomId and EventTime are
// required.
func ParseDestroyRoom(body []byte) (*RoomDestroyed, error) {
	w, err := decodeBody[wireDestroyed](body, destroyRoomFields.get())
	if err != nil {
		return nil, err
	}
	roomID, err := requiredID("RoomId", w.RoomID)
	if err != nil {
		return nil, err
	}
	eventTime, err := requiredTime(w.EventTime)
	if err != nil {
		return nil, err
	}
	return &RoomDestroyed{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		OperatorAccount: str(w.OperatorAccount),
		RoomID:          roomID,
		EventTime:       eventTime,
	}, nil
}

// Key returns RoomId and EventTime.
func (d *RoomDestroyed) Key() (string, int64) { return d.RoomID, d.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (d *RoomDestroyed) BodyCommand() string { return d.CallbackCommand }

// bodyCommand returns the body's CallbackCommand, or "" when it has none.
func bodyCommand(c *lenientString) string {
	if c == nil {
		return ""
	}
	return string(*c)
}
