package callback

import (
	"encoding/json"
	"fmt"
)

// GiftSent is the body of Live.CallbackBeforeSendGift: a viewer about to send a gift. The
// callback is blocking (Tencent rejects the gift on a non-zero ErrorCode or no answer within
// 2 s), and it carries no EventTime and no id: every delivery is a new ledger row.
type GiftSent struct {
	CallbackCommand string
	RoomID          string  // RoomId; required
	OperatorAccount *string // Operator_Account
	From            string  // GiftWater.From_Account: the sender; required
	// To holds GiftWater.To_Account, the recipients, de-duplicated with the first occurrence
	// order kept; nil when the body has no list.
	To     []string
	Time   *int64  // GiftWater.Time, Unix seconds
	Count  *int64  // GiftWater.Count: how many of the gift
	Coins  *int64  // GiftWater.Coins: the gift's value
	GiftID *string // GiftWater.GiftId
}

// ThresholdReached is the body of Live.CallbackAfterCreateRoomReachingThreshold: the app's
// count of live rooms reached its threshold. It concerns the whole app, not one room.
type ThresholdReached struct {
	CallbackCommand string
	OperatorAccount *string // Operator_Account
	CurRoomCount    *int64  // CurRoomCount: live rooms now
	MaxRoomCount    *int64  // MaxRoomCount: the app's limit
	EventTime       int64   // required
}

type wireGift struct {
	CallbackCommand *lenientString  `json:"CallbackCommand"`
	OperatorAccount *lenientString  `json:"Operator_Account"`
	RoomID          json.RawMessage `json:"RoomId"`
	GiftWater       *wireGiftWater  `json:"GiftWater"`
}

type wireGiftWater struct {
	FromAccount *lenientString   `json:"From_Account"`
	ToAccount   *lenientAccounts `json:"To_Account"`
	Time        *lenientInt      `json:"Time"`
	GiftID      *lenientString   `json:"GiftId"`
	Count       *lenientInt      `json:"Count"`
	Coins       *lenientInt      `json:"Coins"`
}

type wireThreshold struct {
	CallbackCommand *lenientString `json:"CallbackCommand"`
	OperatorAccount *lenientString `json:"Operator_Account"`
	CurRoomCount    *lenientInt    `json:"CurRoomCount"`
	MaxRoomCount    *lenientInt    `json:"MaxRoomCount"`
	EventTime       *lenientInt    `json:"EventTime"`
}

var (
	giftFields      = newLazyFields[wireGift]()
	thresholdFields = newLazyFields[wireThreshold]()
)

// ParseGift parses a Live.CallbackBeforeSendGift body: RoomId and GiftWater.From_Account (an
// account, a string or a number, not empty and not over MaxAccountBytes) are required; each
// account of GiftWater.To_Account is held to the same rules. An EventTime in the body is not
// read. It returns ErrNotObject, ErrDuplicateField and ErrField as ParseCreateRoom does.
func ParseGift(body []byte) (*GiftSent, error) {
	w, err := decodeBody[wireGift](body, giftFields.get())
	if err != nil {
		return nil, err
	}
	roomID, err := requiredID("RoomId", w.RoomID)
	if err != nil {
		return nil, err
	}
	gw := w.GiftWater
	if gw == nil {
		return nil, fieldError("GiftWater", "missing")
	}
	if gw.FromAccount == nil {
		return nil, fieldError("GiftWater.From_Account", "missing")
	}
	from := string(*gw.FromAccount)
	if err := checkAccount("GiftWater.From_Account", from); err != nil {
		return nil, err
	}
	g := &GiftSent{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		RoomID:          roomID,
		OperatorAccount: str(w.OperatorAccount),
		From:            from,
		Time:            integer(gw.Time),
		Count:           integer(gw.Count),
		Coins:           integer(gw.Coins),
		GiftID:          str(gw.GiftID),
	}
	if gw.ToAccount != nil {
		for i, a := range *gw.ToAccount {
			if err := checkAccount(fmt.Sprintf("GiftWater.To_Account[%d]", i), a); err != nil {
				return nil, err
			}
		}
		g.To = []string(*gw.ToAccount)
	}
	return g, nil
}

// Key returns RoomId and 0: a gift has no EventTime, and no two deliveries are the same event.
func (g *GiftSent) Key() (string, int64) { return g.RoomID, 0 }

// BodyCommand returns the body's CallbackCommand.
func (g *GiftSent) BodyCommand() string { return g.CallbackCommand }

// ParseThreshold parses a Live.CallbackAfterCreateRoomReachingThreshold body: EventTime is
// required. It returns ErrNotObject, ErrDuplicateField and ErrField as ParseCreateRoom does.
func ParseThreshold(body []byte) (*ThresholdReached, error) {
	w, err := decodeBody[wireThreshold](body, thresholdFields.get())
	if err != nil {
		return nil, err
	}
	eventTime, err := requiredTime(w.EventTime)
	if err != nil {
		return nil, err
	}
	return &ThresholdReached{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		OperatorAccount: str(w.OperatorAccount),
		CurRoomCount:    integer(w.CurRoomCount),
		MaxRoomCount:    integer(w.MaxRoomCount),
		EventTime:       eventTime,
	}, nil
}

// Key returns "" and EventTime: the threshold concerns the whole app, no room.
func (th *ThresholdReached) Key() (string, int64) { return "", th.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (th *ThresholdReached) BodyCommand() string { return th.CallbackCommand }

var (
	_ Payload = (*GiftSent)(nil)
	_ Payload = (*ThresholdReached)(nil)
)
