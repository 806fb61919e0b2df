package callback

import (
	"encoding/json"
	"fmt"
)

// MembersChanged is the body of Room.CallbackAfterMemberEnter and
// Room.CallbackAfterMemberLeave: members who entered or left a room.
type MembersChanged struct {
	CallbackCommand string
	OperatorAccount *string // Operator_Account
	RoomID          string  // RoomId; required
	MemberCount     *int64  // MemberCount: members in the room after the event
	Type            *string // Type as sent: Enter; Leave, Kicked, Expired, … (any string)
	Reason          *string // Reason as sent (leaves)
	// Members holds MemberList_Account de-duplicated, first occurrence order kept; required.
	Members   []string
	EventTime int64 // required
	// Entered is true for an enter, false for a leave: the command decides, not the body.
	Entered bool
}

type wireMembers struct {
	CallbackCommand *lenientString   `json:"CallbackCommand"`
	OperatorAccount *lenientString   `json:"Operator_Account"`
	RoomID          json.RawMessage  `json:"RoomId"`
	MemberCount     *lenientInt      `json:"MemberCount"`
	Type            *lenientString   `json:"Type"`
	Reason          *lenientString   `json:"Reason"`
	Members         *lenientAccounts `json:"MemberList_Account"`
	EventTime       *lenientInt      `json:"EventTime"`
}

var memberFields = newLazyFields[wireMembers]()

// ParseMembers parses a member enter or leave body: RoomId, MemberList_Account (a list of
// accounts, strings or numbers, none empty and none over MaxAccountBytes) and EventTime are
// required.
func ParseMembers(body []byte) (*MembersChanged, error) {
	w, err := decodeBody[wireMembers](body, memberFields.get())
	if err != nil {
		return nil, err
	}
	roomID, err := requiredID("RoomId", w.RoomID)
	if err != nil {
		return nil, err
	}
	if w.Members == nil {
		return nil, fieldError("MemberList_Account", "missing")
	}
	for i, a := range *w.Members {
		if err := checkAccount(fmt.Sprintf("MemberList_Account[%d]", i), a); err != nil {
			return nil, err
		}
	}
	eventTime, err := requiredTime(w.EventTime)
	if err != nil {
		return nil, err
	}
	return &MembersChanged{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		OperatorAccount: str(w.OperatorAccount),
		RoomID:          roomID,
		MemberCount:     integer(w.MemberCount),
		Type:            str(w.Type),
		Reason:          str(w.Reason),
		Members:         []string(*w.Members),
		EventTime:       eventTime,
	}, nil
}

// Key returns RoomId and EventTime.
func (m *MembersChanged) Key() (string, int64) { return m.RoomID, m.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (m *MembersChanged) BodyCommand() string { return m.CallbackCommand }

// checkAccount refuses an account no member row can be keyed by.
func checkAccount(name, a string) error {
	switch {
	case a == "":
		return fieldError(name, "is empty")
	case len(a) > MaxAccountBytes:
		return fieldError(name, fmt.Sprintf("is longer than %d bytes", MaxAccountBytes))
	}
	return nil
}
