package callback

import (
	"encoding/json"
	"fmt"
)

// MetadataEntry is one entry of a set's Metadata: a key of the room's metadata and its new
// value.
type MetadataEntry struct {
	Key   string // Key; required, not empty, at most MaxRoomIDBytes bytes
	Value string // Value: any string, "" included; an absent or null Value is ""
}

// MetadataSet is the body of Live.CallbackAfterSetMetadata: keys of a live room's metadata
// set to new values.
type MetadataSet struct {
	CallbackCommand string
	RoomID          string  // RoomId; required
	OperatorAccount *string // Operator_Account
	// Entries holds Metadata, one entry per Key: a key listed twice keeps the last entry, in
	// the place of the first. Required, not empty.
	Entries   []MetadataEntry
	EventTime int64 // required
}

// MetadataDeleted is the body of Live.CallbackAfterDelMetadata: keys removed from a live
// room's metadata.
type MetadataDeleted struct {
	CallbackCommand string
	RoomID          string  // RoomId; required
	OperatorAccount *string // Operator_Account
	// Keys holds Keys de-duplicated, first occurrence order kept; required, not empty, and
	// none of its keys empty.
	Keys      []string
	EventTime int64 // required
}

type wireMetadataSet struct {
	CallbackCommand *lenientString       `json:"CallbackCommand"`
	OperatorAccount *lenientString       `json:"Operator_Account"`
	RoomID          json.RawMessage      `json:"RoomId"`
	Metadata        *[]wireMetadataEntry `json:"Metadata"`
	EventTime       *lenientInt          `json:"EventTime"`
}

// wireMetadataEntry keeps Key raw: a key is an id, a JSON string and nothing else (a number
// given for it could be written more than one way), while Value is free text.
type wireMetadataEntry struct {
	Key   json.RawMessage `json:"Key"`
	Value *lenientString  `json:"Value"`
}

type wireMetadataDeleted struct {
	CallbackCommand *lenientString     `json:"CallbackCommand"`
	OperatorAccount *lenientString     `json:"Operator_Account"`
	RoomID          json.RawMessage    `json:"RoomId"`
	Keys            *[]json.RawMessage `json:"Keys"`
	EventTime       *lenientInt        `json:"EventTime"`
}

var (
	metadataSetFields     = newLazyFields[wireMetadataSet]()
	metadataDeletedFields = newLazyFields[wireMetadataDeleted]()
)

// ParseMetadataSet parses a Live.CallbackAfterSetMetadata body: RoomId, Metadata (a non-empty
// array of objects, each with a non-empty string Key) and EventTime are required. It returns
// ErrNotObject, ErrDuplicateField and ErrField as ParseCreateRoom does.
func ParseMetadataSet(body []byte) (*MetadataSet, error) {
	w, err := decodeBody[wireMetadataSet](body, metadataSetFields.get())
	if err != nil {
		return nil, err
	}
	roomID, err := requiredID("RoomId", w.RoomID)
	if err != nil {
		return nil, err
	}
	if w.Metadata == nil {
		return nil, fieldError("Metadata", "missing")
	}
	if len(*w.Metadata) == 0 {
		return nil, fieldError("Metadata", "is empty")
	}
	eventTime, err := requiredTime(w.EventTime)
	if err != nil {
		return nil, err
	}
	ms := &MetadataSet{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		RoomID:          roomID,
		OperatorAccount: str(w.OperatorAccount),
		Entries:         make([]MetadataEntry, 0, len(*w.Metadata)),
		EventTime:       eventTime,
	}
	at := make(map[string]int, len(*w.Metadata)) // Key → its place in ms.Entries
	for i, we := range *w.Metadata {
		key, err := requiredKeyID(fmt.Sprintf("Metadata[%d].Key", i), we.Key)
		if err != nil {
			return nil, err
		}
		e := MetadataEntry{Key: key}
		if we.Value != nil {
			e.Value = string(*we.Value)
		}
		if k, named := at[key]; named {
			ms.Entries[k] = e
			continue
		}
		at[key] = len(ms.Entries)
		ms.Entries = append(ms.Entries, e)
	}
	return ms, nil
}

// Key returns RoomId and EventTime.
func (ms *MetadataSet) Key() (string, int64) { return ms.RoomID, ms.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (ms *MetadataSet) BodyCommand() string { return ms.CallbackCommand }

// ParseMetadataDeleted parses a Live.CallbackAfterDelMetadata body: RoomId, Keys (a non-empty
// array of non-empty strings) and EventTime are required. It returns ErrNotObject,
// ErrDuplicateField and ErrField as ParseCreateRoom does.
func ParseMetadataDeleted(body []byte) (*MetadataDeleted, error) {
	w, err := decodeBody[wireMetadataDeleted](body, metadataDeletedFields.get())
	if err != nil {
		return nil, err
	}
	roomID, err := requiredID("RoomId", w.RoomID)
	if err != nil {
		return nil, err
	}
	if w.Keys == nil {
		return nil, fieldError("Keys", "missing")
	}
	if len(*w.Keys) == 0 {
		return nil, fieldError("Keys", "is empty")
	}
	eventTime, err := requiredTime(w.EventTime)
	if err != nil {
		return nil, err
	}
	md := &MetadataDeleted{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		RoomID:          roomID,
		OperatorAccount: str(w.OperatorAccount),
		Keys:            make([]string, 0, len(*w.Keys)),
		EventTime:       eventTime,
	}
	seen := make(map[string]struct{}, len(*w.Keys))
	for i, raw := range *w.Keys {
		key, err := requiredKeyID(fmt.Sprintf("Keys[%d]", i), raw)
		if err != nil {
			return nil, err
		}
		if _, dup := seen[key]; dup {
			continue
		}
		seen[key] = struct{}{}
		md.Keys = append(md.Keys, key)
	}
	return md, nil
}

// Key returns RoomId and EventTime.
func (md *MetadataDeleted) Key() (string, int64) { return md.RoomID, md.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (md *MetadataDeleted) BodyCommand() string { return md.CallbackCommand }

var (
	_ Payload = (*MetadataSet)(nil)
	_ Payload = (*MetadataDeleted)(nil)
)
