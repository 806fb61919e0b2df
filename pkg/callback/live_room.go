package callback

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
)

// The Live family's room lifecycle: Live.CallbackAfterCreateRoom, …UpdateRoomInfo and
// …DestroyRoom. A Live room is a RoomInfo (the fields it shares with a Room-family room) and a
// LiveInfo (what only live rooms have). Tencent documents a different subset of RoomInfo for
// each command; the three parsers read the union of them, so a field a later release adds to
// one command's body is taken, not dropped. RoomInfo's Room-only fields (IsVideoDisabled,
// ScheduleStartTime, RoomStatus, …) are not part of a Live body and stay nil.

// LiveInfo is what a Live room has beyond RoomInfo. A nil field is one the body did not carry.
type LiveInfo struct {
	IsPublicVisible        *bool   // IsPublicVisible: listed in the public room list
	CoverURL               *string // CoverURL
	BackgroundURL          *string // BackgroundURL
	Category               []int64 // Category: nil when absent, empty (not nil) when []
	ActivityStatus         *int64  // ActivityStatus: the app's own status number
	IsUnlimitedRoomEnabled *bool   // IsUnlimitedRoomEnabled
	ViewCount              *int64  // ViewCount
}

// LiveRoomCreated is the body of Live.CallbackAfterCreateRoom.
type LiveRoomCreated struct {
	CallbackCommand string
	OperatorAccount *string  // Operator_Account
	RoomInfo        RoomInfo // RoomInfo; RoomInfo.RoomId is required
	Live            LiveInfo // RoomInfo's Live fields
	// EventTime is the body's EventTime, else RoomInfo.EventTime, else RoomInfo.CreateTime
	// (seconds) × 1000: Unix milliseconds, required (see ParseLiveCreateRoom).
	EventTime int64
}

// LiveRoomUpdated is the body of Live.CallbackAfterUpdateRoomInfo. As for RoomUpdated, a field
// the update does not carry (nil) is "unchanged", not "absent".
type LiveRoomUpdated struct {
	CallbackCommand string
	OperatorAccount *string  // Operator_Account
	RoomInfo        RoomInfo // the fields the update carries; RoomInfo.RoomId is required
	Live            LiveInfo // the Live fields the update carries
	EventTime       int64    // EventTime, Unix milliseconds; required
}

// LiveStatistic is the destroy's Statistic: the room's figures over its life.
type LiveStatistic struct {
	TotalViewers           *int64
	TotalGiftsSent         *int64
	TotalGiftCoins         *int64
	TotalUniqueGiftSenders *int64
	TotalLikesReceived     *int64
}

// LiveRoomDestroyed is the body of Live.CallbackAfterDestroyRoom.
type LiveRoomDestroyed struct {
	CallbackCommand string
	OperatorAccount *string // Operator_Account
	RoomID          string  // RoomId; required
	EventType       *string // EventType as sent: DestroyByUser, DestroyBySystem, … (any string)
	// RoomInfo is the room as it ended, when the body carries one; its RoomID is always RoomId
	// (a RoomInfo.RoomId that differs is refused). Its fields are laid over the room's.
	RoomInfo  RoomInfo
	Live      LiveInfo      // RoomInfo's Live fields
	Statistic LiveStatistic // Statistic; all nil when absent
	EventTime int64         // required
}

// wireLiveRoomInfo mirrors a Live RoomInfo: every field any of the three commands carries.
// EventTime is there because one of Tencent's create samples puts it inside RoomInfo; only the
// create reads it as its time (the update and the destroy check its type and repeats, as for
// every field they decode, but their time is the body's EventTime).
type wireLiveRoomInfo struct {
	RoomID                 json.RawMessage `json:"RoomId"`
	RoomName               *lenientString  `json:"RoomName"`
	RoomType               *lenientString  `json:"RoomType"`
	OwnerAccount           *lenientString  `json:"Owner_Account"`
	MaxMemberCount         *lenientInt     `json:"MaxMemberCount"`
	MaxSeatCount           *lenientInt     `json:"MaxSeatCount"`
	IsMessageDisabled      *lenientBool    `json:"IsMessageDisabled"`
	CustomInfo             *lenientString  `json:"CustomInfo"`
	IsSeatEnabled          *lenientBool    `json:"IsSeatEnabled"`
	TakeSeatMode           *lenientString  `json:"TakeSeatMode"`
	CreateTime             *lenientInt     `json:"CreateTime"`
	IsPublicVisible        *lenientBool    `json:"IsPublicVisible"`
	CoverURL               *lenientString  `json:"CoverURL"`
	BackgroundURL          *lenientString  `json:"BackgroundURL"`
	Category               *lenientInts    `json:"Category"`
	ActivityStatus         *lenientInt     `json:"ActivityStatus"`
	ViewCount              *lenientInt     `json:"ViewCount"`
	IsUnlimitedRoomEnabled *lenientBool    `json:"IsUnlimitedRoomEnabled"`
	EventTime              *lenientInt     `json:"EventTime"`
}

// wireLiveRoom mirrors the body of a Live create or update: the two have the same shape.
type wireLiveRoom struct {
	CallbackCommand *lenientString    `json:"CallbackCommand"`
	OperatorAccount *lenientString    `json:"Operator_Account"`
	RoomInfo        *wireLiveRoomInfo `json:"RoomInfo"`
	EventTime       *lenientInt       `json:"EventTime"`
}

type wireLiveStatistic struct {
	TotalViewers           *lenientInt `json:"TotalViewers"`
	TotalGiftsSent         *lenientInt `json:"TotalGiftsSent"`
	TotalGiftCoins         *lenientInt `json:"TotalGiftCoins"`
	TotalUniqueGiftSenders *lenientInt `json:"TotalUniqueGiftSenders"`
	TotalLikesReceived     *lenientInt `json:"TotalLikesReceived"`
}

type wireLiveDestroyed struct {
	CallbackCommand *lenientString     `json:"CallbackCommand"`
	OperatorAccount *lenientString     `json:"Operator_Account"`
	RoomID          json.RawMessage    `json:"RoomId"`
	EventType       *lenientString     `json:"EventType"`
	RoomInfo        *wireLiveRoomInfo  `json:"RoomInfo"`
	Statistic       *wireLiveStatistic `json:"Statistic"`
	EventTime       *lenientInt        `json:"EventTime"`
}

var (
	liveRoomFields    = newLazyFields[wireLiveRoom]()
	liveDestroyFields = newLazyFields[wireLiveDestroyed]()
)

// ParseLiveCreateRoom parses a Live.CallbackAfterCreateRoom body. RoomInfo.RoomId is required,
// and a time: Tencent's samples put EventTime at the top, inside RoomInfo, or nowhere, so the
// event time is the top-level EventTime when the body has one (it wins over RoomInfo's), else
// RoomInfo.EventTime, else RoomInfo.CreateTime (seconds) × 1000; the one taken must be
// positive, and a body with none of the three is ErrField "EventTime missing". The errors are
// ParseCreateRoom's: ErrNotObject, ErrDuplicateField (before any problem with the values),
// ErrField naming the field.
func ParseLiveCreateRoom(body []byte) (*LiveRoomCreated, error) {
	return parseLiveRoom(body, liveCreateTime)
}

// parseLiveRoom parses a Live create or update body (one wire shape), its time taken by timeOf.
func parseLiveRoom(body []byte, timeOf func(*wireLiveRoom) (int64, error)) (*LiveRoomCreated, error) {
	w, err := decodeBody[wireLiveRoom](body, liveRoomFields.get())
	if err != nil {
		return nil, err
	}
	roomID, err := liveRoomInfoID(w.RoomInfo)
	if err != nil {
		return nil, err
	}
	eventTime, err := timeOf(w)
	if err != nil {
		return nil, err
	}
	ri, live := w.RoomInfo.info(roomID)
	return &LiveRoomCreated{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		OperatorAccount: str(w.OperatorAccount),
		RoomInfo:        ri,
		Live:            live,
		EventTime:       eventTime,
	}, nil
}

// Key returns RoomInfo.RoomId and the event time.
func (c *LiveRoomCreated) Key() (string, int64) { return c.RoomInfo.RoomID, c.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (c *LiveRoomCreated) BodyCommand() string { return c.CallbackCommand }

// ParseLiveUpdateRoom parses a Live.CallbackAfterUpdateRoomInfo body, with the errors of
// ParseUpdateRoom: RoomInfo.RoomId and EventTime (the top-level one) are required.
func ParseLiveUpdateRoom(body []byte) (*LiveRoomUpdated, error) {
	c, err := parseLiveRoom(body, func(w *wireLiveRoom) (int64, error) { return requiredTime(w.EventTime) })
	if err != nil {
		return nil, err
	}
	u := LiveRoomUpdated(*c)
	return &u, nil
}

// Key returns RoomInfo.RoomId and EventTime.
func (u *LiveRoomUpdated) Key() (string, int64) { return u.RoomInfo.RoomID, u.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (u *LiveRoomUpdated) BodyCommand() string { return u.CallbackCommand }

// ParseLiveDestroyRoom parses a Live.CallbackAfterDestroyRoom body: RoomId and EventTime are
// required; RoomInfo and Statistic are optional objects. A RoomInfo.RoomId, when given, must be
// RoomId (the room's last state must not be laid over another room).
func ParseLiveDestroyRoom(body []byte) (*LiveRoomDestroyed, error) {
	w, err := decodeBody[wireLiveDestroyed](body, liveDestroyFields.get())
	if err != nil {
		return nil, err
	}
	roomID, err := requiredID("RoomId", w.RoomID)
	if err != nil {
		return nil, err
	}
	if ri := w.RoomInfo; ri != nil && len(ri.RoomID) > 0 && string(ri.RoomID) != "null" {
		inner, err := requiredID("RoomInfo.RoomId", ri.RoomID)
		if err != nil {
			return nil, err
		}
		if inner != roomID {
			return nil, fieldError("RoomInfo.RoomId", "differs from RoomId")
		}
	}
	eventTime, err := requiredTime(w.EventTime)
	if err != nil {
		return nil, err
	}
	ri, live := w.RoomInfo.info(roomID)
	d := &LiveRoomDestroyed{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		OperatorAccount: str(w.OperatorAccount),
		RoomID:          roomID,
		EventType:       str(w.EventType),
		RoomInfo:        ri,
		Live:            live,
		EventTime:       eventTime,
	}
	if s := w.Statistic; s != nil {
		d.Statistic = LiveStatistic{
			TotalViewers:           integer(s.TotalViewers),
			TotalGiftsSent:         integer(s.TotalGiftsSent),
			TotalGiftCoins:         integer(s.TotalGiftCoins),
			TotalUniqueGiftSenders: integer(s.TotalUniqueGiftSenders),
			TotalLikesReceived:     integer(s.TotalLikesReceived),
		}
	}
	return d, nil
}

// Key returns RoomId and EventTime.
func (d *LiveRoomDestroyed) Key() (string, int64) { return d.RoomID, d.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (d *LiveRoomDestroyed) BodyCommand() string { return d.CallbackCommand }

// liveRoomInfoID returns the required RoomInfo.RoomId of a create or update, as roomInfoKey
// does for the Room family.
func liveRoomInfoID(ri *wireLiveRoomInfo) (string, error) {
	if ri == nil {
		return "", fieldError("RoomInfo", "missing")
	}
	return requiredID("RoomInfo.RoomId", ri.RoomID)
}

// liveCreateTime returns a create's event time: the top-level EventTime, else
// RoomInfo.EventTime, else RoomInfo.CreateTime × 1000. w.RoomInfo is not nil.
func liveCreateTime(w *wireLiveRoom) (int64, error) {
	if w.EventTime != nil {
		return requiredTime(w.EventTime)
	}
	ri := w.RoomInfo
	if t := ri.EventTime; t != nil {
		if *t <= 0 {
			return 0, fieldError("RoomInfo.EventTime", "must be positive")
		}
		return int64(*t), nil
	}
	if t := ri.CreateTime; t != nil {
		switch {
		case *t <= 0:
			return 0, fieldError("RoomInfo.CreateTime", "must be positive when the body has no EventTime")
		case *t > math.MaxInt64/1000:
			return 0, fieldError("RoomInfo.CreateTime", "is out of range as milliseconds")
		}
		return int64(*t) * 1000, nil
	}
	return 0, fieldError("EventTime", "missing")
}

// info returns the RoomInfo and LiveInfo the wire struct carries, with roomID already checked;
// a nil ri (a destroy without RoomInfo) gives roomID and nothing else.
func (ri *wireLiveRoomInfo) info(roomID string) (RoomInfo, LiveInfo) {
	if ri == nil {
		return RoomInfo{RoomID: roomID}, LiveInfo{}
	}
	info := RoomInfo{
		RoomID:            roomID,
		RoomName:          str(ri.RoomName),
		RoomType:          str(ri.RoomType),
		OwnerAccount:      str(ri.OwnerAccount),
		MaxMemberCount:    integer(ri.MaxMemberCount),
		MaxSeatCount:      integer(ri.MaxSeatCount),
		IsMessageDisabled: boolean(ri.IsMessageDisabled),
		CustomInfo:        str(ri.CustomInfo),
		IsSeatEnabled:     boolean(ri.IsSeatEnabled),
		TakeSeatMode:      str(ri.TakeSeatMode),
		CreateTime:        integer(ri.CreateTime),
	}
	live := LiveInfo{
		IsPublicVisible:        boolean(ri.IsPublicVisible),
		CoverURL:               str(ri.CoverURL),
		BackgroundURL:          str(ri.BackgroundURL),
		ActivityStatus:         integer(ri.ActivityStatus),
		IsUnlimitedRoomEnabled: boolean(ri.IsUnlimitedRoomEnabled),
		ViewCount:              integer(ri.ViewCount),
	}
	if ri.Category != nil {
		live.Category = []int64(*ri.Category)
	}
	return info, live
}

// overlay sets on l the Live fields u carries; the others stay.
func (l *LiveInfo) overlay(u *LiveInfo) {
	set(&l.IsPublicVisible, u.IsPublicVisible)
	set(&l.CoverURL, u.CoverURL)
	set(&l.BackgroundURL, u.BackgroundURL)
	if u.Category != nil {
		l.Category = u.Category
	}
	set(&l.ActivityStatus, u.ActivityStatus)
	set(&l.IsUnlimitedRoomEnabled, u.IsUnlimitedRoomEnabled)
	set(&l.ViewCount, u.ViewCount)
}

// lenientInts is a list of integers, each a lenientInt (so a numeric string is taken): a Live
// room's Category. The order is kept and nothing is de-duplicated; [] stays an empty, non-nil
// list, and a null element is refused.
type lenientInts []int64

var intListType = reflect.TypeFor[[]int64]()

func (l *lenientInts) UnmarshalJSON(b []byte) error {
	if string(b) == "null" { // as encoding/json leaves a nil pointer: absent
		return nil
	}
	var raw []lenientInt
	if err := json.Unmarshal(b, &raw); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Value == outOfRange {
			return typeError(outOfRange, intListType)
		}
		return typeError("value", intListType)
	}
	out := make([]int64, len(raw))
	for i, n := range raw {
		out[i] = int64(n)
	}
	*l = out
	return nil
}
