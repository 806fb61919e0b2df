package callback

import (
	"encoding/json"
	"fmt"
)

// LiveMembersChanged is the body of Live.CallbackAfterMemberStateChanged (also sent as
// Live.CallbackMemberStateChanged): viewers of a live room going online or offline.
type LiveMembersChanged struct {
	CallbackCommand string
	RoomID          string // RoomId; required
	// Online is true for EventType Online, false for Offline; EventType is required and must
	// be one of the two, spelled exactly so.
	Online bool
	// EventCause as sent: Enter, Leave, HeartbeatInterrupt, HeartbeatRecover, Kicked, … (any
	// string).
	EventCause *string
	// Members holds MemberList's Member_Account values de-duplicated, first occurrence order
	// kept; required, not empty.
	Members   []string
	EventTime int64 // required
}

type wireLiveMembers struct {
	CallbackCommand *lenientString    `json:"CallbackCommand"`
	RoomID          json.RawMessage   `json:"RoomId"`
	EventType       *lenientString    `json:"EventType"`
	EventCause      *lenientString    `json:"EventCause"`
	MemberList      *[]wireLiveMember `json:"MemberList"`
	EventTime       *lenientInt       `json:"EventTime"`
}

type wireLiveMember struct {
	MemberAccount *lenientString `json:"Member_Account"`
}

var liveMemberFields = newLazyFields[wireLiveMembers]()

// The two values of a member-state EventType.
const (
	liveOnline  = "Online"
	liveOffline = "Offline"
)

// ParseLiveMemberState parses a Live member-state body: RoomId, EventType (Online or Offline),
// MemberList (an array of objects, at least one, each with a Member_Account: a string or a
// number, not empty, at most MaxAccountBytes) and EventTime are required. It returns
// ErrNotObject, ErrDuplicateField (inside MemberList's objects too) and ErrField as
// ParseMembers does.
func ParseLiveMemberState(body []byte) (*LiveMembersChanged, error) {
	w, err := decodeBody[wireLiveMembers](body, liveMemberFields.get())
	if err != nil {
		return nil, err
	}
	roomID, err := requiredID("RoomId", w.RoomID)
	if err != nil {
		return nil, err
	}
	if w.EventType == nil {
		return nil, fieldError("EventType", "missing")
	}
	var online bool
	switch *w.EventType {
	case liveOnline:
		online = true
	case liveOffline:
	default:
		return nil, fieldError("EventType", "must be "+liveOnline+" or "+liveOffline)
	}
	if w.MemberList == nil {
		return nil, fieldError("MemberList", "missing")
	}
	list := *w.MemberList
	if len(list) == 0 {
		return nil, fieldError("MemberList", "is empty")
	}
	members := make([]string, 0, len(list))
	seen := make(map[string]struct{}, len(list))
	for i, m := range list {
		name := fmt.Sprintf("MemberList[%d].Member_Account", i)
		if m.MemberAccount == nil {
			return nil, fieldError(name, "missing")
		}
		a := string(*m.MemberAccount)
		if err := checkAccount(name, a); err != nil {
			return nil, err
		}
		if _, dup := seen[a]; dup {
			continue
		}
		seen[a] = struct{}{}
		members = append(members, a)
	}
	eventTime, err := requiredTime(w.EventTime)
	if err != nil {
		return nil, err
	}
	return &LiveMembersChanged{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		RoomID:          roomID,
		Online:          online,
		EventCause:      str(w.EventCause),
		Members:         members,
		EventTime:       eventTime,
	}, nil
}

// Key returns RoomId and EventTime.
func (m *LiveMembersChanged) Key() (string, int64) { return m.RoomID, m.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (m *LiveMembersChanged) BodyCommand() string { return m.CallbackCommand }

// OwnerChanged is the body of Live.CallbackAfterChangeOwner: the room passed to a new owner.
type OwnerChanged struct {
	CallbackCommand string
	RoomID          string  // RoomId; required
	OperatorAccount *string // Operator_Account
	CurrentOwner    string  // CurrentOwner_Account: the new owner; required
	OriginalOwner   *string // OriginalOwner_Account, as sent
	EventTime       int64   // required
}

type wireOwnerChanged struct {
	CallbackCommand *lenientString  `json:"CallbackCommand"`
	RoomID          json.RawMessage `json:"RoomId"`
	OperatorAccount *lenientString  `json:"Operator_Account"`
	CurrentOwner    *lenientString  `json:"CurrentOwner_Account"`
	OriginalOwner   *lenientString  `json:"OriginalOwner_Account"`
	EventTime       *lenientInt     `json:"EventTime"`
}

var ownerChangedFields = newLazyFields[wireOwnerChanged]()

// ParseOwnerChanged parses a Live.CallbackAfterChangeOwner body: RoomId, CurrentOwner_Account
// (an account, a string or a number, not empty, at most MaxAccountBytes) and EventTime are
// required.
func ParseOwnerChanged(body []byte) (*OwnerChanged, error) {
	w, err := decodeBody[wireOwnerChanged](body, ownerChangedFields.get())
	if err != nil {
		return nil, err
	}
	roomID, err := requiredID("RoomId", w.RoomID)
	if err != nil {
		return nil, err
	}
	if w.CurrentOwner == nil {
		return nil, fieldError("CurrentOwner_Account", "missing")
	}
	owner := string(*w.CurrentOwner)
	if err := checkAccount("CurrentOwner_Account", owner); err != nil {
		return nil, err
	}
	eventTime, err := requiredTime(w.EventTime)
	if err != nil {
		return nil, err
	}
	return &OwnerChanged{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		RoomID:          roomID,
		OperatorAccount: str(w.OperatorAccount),
		CurrentOwner:    owner,
		OriginalOwner:   str(w.OriginalOwner),
		EventTime:       eventTime,
	}, nil
}

// Key returns RoomId and EventTime.
func (o *OwnerChanged) Key() (string, int64) { return o.RoomID, o.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (o *OwnerChanged) BodyCommand() string { return o.CallbackCommand }

// AdminsModified is the body of Live.CallbackAfterModifyAdmin: accounts made admins of the
// room, or no longer admins.
type AdminsModified struct {
	CallbackCommand string
	RoomID          string  // RoomId; required
	OperatorAccount *string // Operator_Account
	// Added is true for opType add, false for delete; opType is required and must be one of
	// the two, spelled exactly so.
	Added bool
	// Admins holds Admin_Account de-duplicated, first occurrence order kept; required, not
	// empty.
	Admins    []string
	EventTime int64 // required
}

type wireAdminsModified struct {
	CallbackCommand *lenientString   `json:"CallbackCommand"`
	RoomID          json.RawMessage  `json:"RoomId"`
	OperatorAccount *lenientString   `json:"Operator_Account"`
	Admins          *lenientAccounts `json:"Admin_Account"`
	OpType          *lenientString   `json:"opType"` // lower-case o, as Tencent spells it
	EventTime       *lenientInt      `json:"EventTime"`
}

var adminsModifiedFields = newLazyFields[wireAdminsModified]()

// The two values of a modify-admin opType.
const (
	adminAdd    = "add"
	adminDelete = "delete"
)

// ParseAdminsModified parses a Live.CallbackAfterModifyAdmin body: RoomId, opType (add or
// delete), Admin_Account (a list of accounts, strings or numbers, at least one, none empty and
// none over MaxAccountBytes) and EventTime are required.
func ParseAdminsModified(body []byte) (*AdminsModified, error) {
	w, err := decodeBody[wireAdminsModified](body, adminsModifiedFields.get())
	if err != nil {
		return nil, err
	}
	roomID, err := requiredID("RoomId", w.RoomID)
	if err != nil {
		return nil, err
	}
	if w.OpType == nil {
		return nil, fieldError("opType", "missing")
	}
	var added bool
	switch *w.OpType {
	case adminAdd:
		added = true
	case adminDelete:
	default:
		return nil, fieldError("opType", "must be "+adminAdd+" or "+adminDelete)
	}
	if w.Admins == nil {
		return nil, fieldError("Admin_Account", "missing")
	}
	if len(*w.Admins) == 0 {
		return nil, fieldError("Admin_Account", "is empty")
	}
	for i, a := range *w.Admins {
		if err := checkAccount(fmt.Sprintf("Admin_Account[%d]", i), a); err != nil {
			return nil, err
		}
	}
	eventTime, err := requiredTime(w.EventTime)
	if err != nil {
		return nil, err
	}
	return &AdminsModified{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		RoomID:          roomID,
		OperatorAccount: str(w.OperatorAccount),
		Added:           added,
		Admins:          []string(*w.Admins),
		EventTime:       eventTime,
	}, nil
}

// Key returns RoomId and EventTime.
func (a *AdminsModified) Key() (string, int64) { return a.RoomID, a.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (a *AdminsModified) BodyCommand() string { return a.CallbackCommand }
