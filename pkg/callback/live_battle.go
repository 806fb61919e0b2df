package callback

import (
	"encoding/json"
	"fmt"
)

// BattleRoom is one room of a battle (PK): the initiating room, or one it invited.
type BattleRoom struct {
	RoomID       string  // RoomId; required
	OwnerAccount *string // Owner_Account: the room's streamer
	Score        *int64  // Score: the room's score in the battle
}

// BattleChanged is the body of Live.CallbackAfterCreateBattle, Live.CallbackAfterStartBattle
// and Live.CallbackAfterEndBattle: one stage of a battle between live rooms. It is archived
// under its initiating room (From.RoomID); BattleID is what ties its stages together.
type BattleChanged struct {
	CallbackCommand string
	BattleID        string // BattleId; required
	// From is the initiating room: FromRoomId, or FromRoomInfo{RoomId, Owner_Account,
	// Score}; its RoomID is required, and when both name it they must agree.
	From BattleRoom
	// To holds the invited rooms: ToRoomList, or ToRoomIdList as entries holding only a
	// RoomID (both present is an error). One entry per RoomID: a room listed twice keeps the
	// last entry, in the place of the first. nil when the body has neither list.
	To         []BattleRoom
	Duration   *int64 // Duration, milliseconds
	CreateTime *int64 // CreateTime, Unix seconds
	StartTime  *int64 // StartTime, Unix seconds
	EndTime    *int64 // EndTime, Unix seconds
	// OpType says how the battle ended: 0 time up, 1 all streamers left, 2 never started (any
	// integer is kept).
	OpType        *int64
	Timeout       *int64 // Timeout: how long the invited may take to answer, milliseconds
	NeedResponse  *bool  // NeedResponse: the battle waits for the invited to answer
	ExtensionInfo *string
	EventTime     int64 // required
}

type wireBattle struct {
	CallbackCommand *lenientString     `json:"CallbackCommand"`
	BattleID        json.RawMessage    `json:"BattleId"`
	FromRoomID      json.RawMessage    `json:"FromRoomId"`
	FromRoomInfo    *wireBattleRoom    `json:"FromRoomInfo"`
	ToRoomIDList    *[]json.RawMessage `json:"ToRoomIdList"`
	ToRoomList      *[]wireBattleRoom  `json:"ToRoomList"`
	Duration        *lenientInt        `json:"Duration"`
	CreateTime      *lenientInt        `json:"CreateTime"`
	StartTime       *lenientInt        `json:"StartTime"`
	EndTime         *lenientInt        `json:"EndTime"`
	OpType          *lenientInt        `json:"OpType"`
	NeedResponse    *lenientBool       `json:"NeedResponse"`
	Timeout         *lenientInt        `json:"Timeout"`
	ExtensionInfo   *lenientString     `json:"ExtensionInfo"`
	EventTime       *lenientInt        `json:"EventTime"`
}

type wireBattleRoom struct {
	RoomID       json.RawMessage `json:"RoomId"`
	OwnerAccount *lenientString  `json:"Owner_Account"`
	Score        *lenientInt     `json:"Score"`
}

var battleFields = newLazyFields[wireBattle]()

// ParseBattle parses the body of a battle's create, start or end: BattleId, the initiating
// room's id (FromRoomId or FromRoomInfo.RoomId) and EventTime are required; each room of
// ToRoomList or ToRoomIdList needs a RoomId. It returns ErrNotObject, ErrDuplicateField and
// ErrField as ParseCreateRoom does.
func ParseBattle(body []byte) (*BattleChanged, error) {
	w, err := decodeBody[wireBattle](body, battleFields.get())
	if err != nil {
		return nil, err
	}
	battleID, err := requiredKeyID("BattleId", w.BattleID)
	if err != nil {
		return nil, err
	}
	from, err := battleFrom(w)
	if err != nil {
		return nil, err
	}
	eventTime, err := requiredTime(w.EventTime)
	if err != nil {
		return nil, err
	}
	to, err := battleTo(w)
	if err != nil {
		return nil, err
	}
	return &BattleChanged{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		BattleID:        battleID,
		From:            from,
		To:              to,
		Duration:        integer(w.Duration),
		CreateTime:      integer(w.CreateTime),
		StartTime:       integer(w.StartTime),
		EndTime:         integer(w.EndTime),
		OpType:          integer(w.OpType),
		Timeout:         integer(w.Timeout),
		NeedResponse:    boolean(w.NeedResponse),
		ExtensionInfo:   str(w.ExtensionInfo),
		EventTime:       eventTime,
	}, nil
}

// battleFrom returns the initiating room. FromRoomId and FromRoomInfo.RoomId each count as
// absent when missing, null or ""; a present one must be a string; one of them is required,
// and when both are present they must be the same id.
func battleFrom(w *wireBattle) (BattleRoom, error) {
	id, err := optionalID("FromRoomId", w.FromRoomID)
	if err != nil {
		return BattleRoom{}, err
	}
	name := "FromRoomId"
	var from BattleRoom
	if ri := w.FromRoomInfo; ri != nil {
		infoID, err := optionalID("FromRoomInfo.RoomId", ri.RoomID)
		if err != nil {
			return BattleRoom{}, err
		}
		switch {
		case id == "":
			id, name = infoID, "FromRoomInfo.RoomId"
		case infoID != "" && infoID != id:
			return BattleRoom{}, fieldError("FromRoomInfo.RoomId", "differs from FromRoomId")
		}
		from.OwnerAccount, from.Score = str(ri.OwnerAccount), integer(ri.Score)
	}
	if id == "" {
		return BattleRoom{}, fieldError("FromRoomId (or FromRoomInfo.RoomId)", "missing")
	}
	if err := checkKeyID(name, id); err != nil {
		return BattleRoom{}, err
	}
	from.RoomID = id
	return from, nil
}

// battleTo returns the invited rooms, from whichever list the body has.
func battleTo(w *wireBattle) ([]BattleRoom, error) {
	switch {
	case w.ToRoomList != nil && w.ToRoomIDList != nil:
		return nil, fieldError("ToRoomList and ToRoomIdList", "both present")
	case w.ToRoomIDList != nil:
		to := make([]BattleRoom, 0, len(*w.ToRoomIDList))
		seen := make(map[string]struct{}, len(*w.ToRoomIDList))
		for i, raw := range *w.ToRoomIDList {
			id, err := requiredKeyID(fmt.Sprintf("ToRoomIdList[%d]", i), raw)
			if err != nil {
				return nil, err
			}
			if _, dup := seen[id]; dup {
				continue
			}
			seen[id] = struct{}{}
			to = append(to, BattleRoom{RoomID: id})
		}
		return to, nil
	case w.ToRoomList != nil:
		to := make([]BattleRoom, 0, len(*w.ToRoomList))
		at := make(map[string]int, len(*w.ToRoomList)) // RoomId → its place in to
		for i, wr := range *w.ToRoomList {
			id, err := requiredKeyID(fmt.Sprintf("ToRoomList[%d].RoomId", i), wr.RoomID)
			if err != nil {
				return nil, err
			}
			r := BattleRoom{RoomID: id, OwnerAccount: str(wr.OwnerAccount), Score: integer(wr.Score)}
			if k, named := at[id]; named {
				to[k] = r
				continue
			}
			at[id] = len(to)
			to = append(to, r)
		}
		return to, nil
	}
	return nil, nil
}

// Key returns the initiating room's RoomId and EventTime: a battle is archived under the room
// that started it.
func (b *BattleChanged) Key() (string, int64) { return b.From.RoomID, b.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (b *BattleChanged) BodyCommand() string { return b.CallbackCommand }

// optionalID returns the string id raw holds, or "" when raw is missing, null or "": an error
// only when it holds something other than a string (a NUL included, as jsonString refuses).
func optionalID(name string, raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	id, ok := jsonString(raw)
	if !ok {
		return "", fieldError(name, "must be a string")
	}
	return id, nil
}

// requiredKeyID is requiredID for an id a row of the projection would be keyed by (a battle, a
// room of a battle, a metadata key), which checkKeyID bounds too.
func requiredKeyID(name string, raw json.RawMessage) (string, error) {
	id, err := requiredID(name, raw)
	if err != nil {
		return "", err
	}
	return id, checkKeyID(name, id)
}

// checkKeyID refuses an id longer than MaxRoomIDBytes: every backend's key column holds that
// much, and the handler checks only the archive key's RoomId.
func checkKeyID(name, id string) error {
	if len(id) > MaxRoomIDBytes {
		return fieldError(name, fmt.Sprintf("is longer than %d bytes", MaxRoomIDBytes))
	}
	return nil
}

var _ Payload = (*BattleChanged)(nil)
