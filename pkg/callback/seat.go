package callback

import (
	"encoding/json"
	"fmt"
)

// SeatsChanged is the body of Mic.CallbackAfterSeatInfoChanged.
type SeatsChanged struct {
	CallbackCommand string
	OperatorAccount *string // Operator_Account (Room sends it, Live does not)
	RoomID          string  // RoomId; required
	// Seats holds SeatList, one entry per Index: a list naming an Index twice keeps the last
	// entry, in the place of the first. Required, possibly empty.
	Seats     []Seat
	EventTime int64 // required
}

// Seat is one entry of SeatList.
type Seat struct {
	Index           int64   // required, not negative
	MemberAccount   *string // Member_Account; nil when absent or "": the seat is free
	IsTakenDisabled *bool   // the seat is locked
	IsVideoDisabled *bool
	IsAudioDisabled *bool
}

type wireSeats struct {
	CallbackCommand *lenientString  `json:"CallbackCommand"`
	OperatorAccount *lenientString  `json:"Operator_Account"`
	RoomID          json.RawMessage `json:"RoomId"`
	SeatList        *[]wireSeat     `json:"SeatList"`
	EventTime       *lenientInt     `json:"EventTime"`
}

type wireSeat struct {
	Index           *lenientInt    `json:"Index"`
	MemberAccount   *lenientString `json:"Member_Account"`
	IsTakenDisabled *lenientBool   `json:"IsTakenDisabled"`
	IsVideoDisabled *lenientBool   `json:"IsVideoDisabled"`
	IsAudioDisabled *lenientBool   `json:"IsAudioDisabled"`
}

var seatFields = newLazyFields[wireSeats]()

// ParseSeats parses a Mic.CallbackAfterSeatInfoChanged body: RoomId, SeatList (an array of
// objects, each with an integer Index) and EventTime are required.
func ParseSeats(body []byte) (*SeatsChanged, error) {
	w, err := decodeBody[wireSeats](body, seatFields.get())
	if err != nil {
		return nil, err
	}
	roomID, err := requiredID("RoomId", w.RoomID)
	if err != nil {
		return nil, err
	}
	if w.SeatList == nil {
		return nil, fieldError("SeatList", "missing")
	}
	eventTime, err := requiredTime(w.EventTime)
	if err != nil {
		return nil, err
	}
	sc := &SeatsChanged{
		CallbackCommand: bodyCommand(w.CallbackCommand),
		OperatorAccount: str(w.OperatorAccount),
		RoomID:          roomID,
		Seats:           make([]Seat, 0, len(*w.SeatList)),
		EventTime:       eventTime,
	}
	at := make(map[int64]int, len(*w.SeatList)) // Index → its place in sc.Seats
	for i, ws := range *w.SeatList {
		if ws.Index == nil {
			return nil, fieldError(fmt.Sprintf("SeatList[%d].Index", i), "missing")
		}
		if *ws.Index < 0 {
			return nil, fieldError(fmt.Sprintf("SeatList[%d].Index", i), "must not be negative")
		}
		s := Seat{
			Index:           int64(*ws.Index),
			MemberAccount:   str(ws.MemberAccount),
			IsTakenDisabled: boolean(ws.IsTakenDisabled),
			IsVideoDisabled: boolean(ws.IsVideoDisabled),
			IsAudioDisabled: boolean(ws.IsAudioDisabled),
		}
		if s.MemberAccount != nil {
			if *s.MemberAccount == "" {
				s.MemberAccount = nil
			} else if err := checkAccount(fmt.Sprintf("SeatList[%d].Member_Account", i), *s.MemberAccount); err != nil {
				return nil, err
			}
		}
		// A map, not sc.seat: a body under MaxBodyBytes can list tens of thousands of
		// seats, and a scan per entry makes the parse quadratic.
		if k, named := at[s.Index]; named {
			sc.Seats[k] = s
			continue
		}
		at[s.Index] = len(sc.Seats)
		sc.Seats = append(sc.Seats, s)
	}
	return sc, nil
}

// seat returns the entry for index, or nil.
func (sc *SeatsChanged) seat(index int64) *Seat {
	for i := range sc.Seats {
		if sc.Seats[i].Index == index {
			return &sc.Seats[i]
		}
	}
	return nil
}

// Key returns RoomId and EventTime.
func (sc *SeatsChanged) Key() (string, int64) { return sc.RoomID, sc.EventTime }

// BodyCommand returns the body's CallbackCommand.
func (sc *SeatsChanged) BodyCommand() string { return sc.CallbackCommand }
