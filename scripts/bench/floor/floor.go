// Package floor is the measuring floor of scripts/bench.sh: what the least a function answering
// a Tencent Cloud Room callback does. It decodes the callback body with encoding/json into a
// plain struct of the payload's fields (the struct of the command the query string names) and
// answers the OK packet. It checks nothing, stores
// nothing and logs nothing; roomhook's budgets are stated against it.
package floor

import "encoding/json"

// OK is Tencent's acknowledgement packet.
const OK = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`

// Callback is the create-room callback as a plain struct, the "20-field struct": the
// payload's scalars (3 at the top level, 18 in RoomInfo) and the invitee list, no lenient types.
type Callback struct {
	CallbackCommand  string `json:"CallbackCommand"`
	Operator_Account string `json:"Operator_Account"`
	EventTime        int64  `json:"EventTime"`
	RoomInfo         struct {
		RoomId                   string `json:"RoomId"`
		RoomName                 string `json:"RoomName"`
		RoomType                 string `json:"RoomType"`
		Owner_Account            string `json:"Owner_Account"`
		MaxMemberCount           int64  `json:"MaxMemberCount"`
		MaxSeatCount             int64  `json:"MaxSeatCount"`
		IsVideoDisabled          bool   `json:"IsVideoDisabled"`
		IsAudioDisabled          bool   `json:"IsAudioDisabled"`
		IsMessageDisabled        bool   `json:"IsMessageDisabled"`
		IsScreenSharingDisabled  bool   `json:"IsScreenSharingDisabled"`
		IsCloudRecordingDisabled bool   `json:"IsCloudRecordingDisabled"`
		CustomInfo               string `json:"CustomInfo"`
		ScheduleStartTime        int64  `json:"ScheduleStartTime"`
		ScheduleEndTime          int64  `json:"ScheduleEndTime"`
		RoomStatus               string `json:"RoomStatus"`
		IsSeatEnabled            bool   `json:"IsSeatEnabled"`
		TakeSeatMode             string `json:"TakeSeatMode"`
		CreateTime               int64  `json:"CreateTime"`
	} `json:"RoomInfo"`
	ScheduleInviteeList_Account []string `json:"ScheduleInviteeList_Account"`
}

// The other Room callbacks roomhook projects, as plain structs of the fields Tencent documents
// for each (TENCENT's field tables), no lenient types.
type (
	// Updated is Room.CallbackAfterUpdateRoomInfo (and its other spelling).
	Updated struct {
		CallbackCommand  string `json:"CallbackCommand"`
		Operator_Account string `json:"Operator_Account"`
		EventTime        int64  `json:"EventTime"`
		RoomInfo         struct {
			RoomId                   string `json:"RoomId"`
			RoomName                 string `json:"RoomName"`
			Owner_Account            string `json:"Owner_Account"`
			TakeSeatMode             string `json:"TakeSeatMode"`
			MaxMemberCount           int64  `json:"MaxMemberCount"`
			IsVideoDisabled          bool   `json:"IsVideoDisabled"`
			IsAudioDisabled          bool   `json:"IsAudioDisabled"`
			IsMessageDisabled        bool   `json:"IsMessageDisabled"`
			IsScreenSharingDisabled  bool   `json:"IsScreenSharingDisabled"`
			IsCloudRecordingDisabled bool   `json:"IsCloudRecordingDisabled"`
			CustomInfo               string `json:"CustomInfo"`
		} `json:"RoomInfo"`
	}
	// Destroyed is Room.CallbackAfterDestroyRoom.
	Destroyed struct {
		CallbackCommand  string `json:"CallbackCommand"`
		Operator_Account string `json:"Operator_Account"`
		RoomId           string `json:"RoomId"`
		EventTime        int64  `json:"EventTime"`
	}
	// Members is Room.CallbackAfterMemberEnter and Room.CallbackAfterMemberLeave.
	Members struct {
		CallbackCommand    string   `json:"CallbackCommand"`
		Operator_Account   string   `json:"Operator_Account"`
		RoomId             string   `json:"RoomId"`
		MemberCount        int64    `json:"MemberCount"`
		Type               string   `json:"Type"`
		Reason             string   `json:"Reason"`
		MemberList_Account []string `json:"MemberList_Account"`
		EventTime          int64    `json:"EventTime"`
	}
	// Seats is Mic.CallbackAfterSeatInfoChanged.
	Seats struct {
		CallbackCommand  string `json:"CallbackCommand"`
		Operator_Account string `json:"Operator_Account"`
		RoomId           string `json:"RoomId"`
		SeatList         []struct {
			Index           int64  `json:"Index"`
			Member_Account  string `json:"Member_Account"`
			IsTakenDisabled bool   `json:"IsTakenDisabled"`
			IsVideoDisabled bool   `json:"IsVideoDisabled"`
			IsAudioDisabled bool   `json:"IsAudioDisabled"`
		} `json:"SeatList"`
		EventTime int64 `json:"EventTime"`
	}
)

// Sink and the others keep the last decoded callback of each kind reachable, so the decode is
// not optimised away.
var (
	Sink          Callback
	SinkUpdated   Updated
	SinkDestroyed Destroyed
	SinkMembers   Members
	SinkSeats     Seats
)

// Decode decodes body into the plain struct of command (the query's CallbackCommand; for any
// other command, the create-room Callback); a body that does not decode is still answered OK by
// the floor (it measures the happy path only: encoding/json decodes the rest of a body one of
// whose fields has another type, such as Tencent's numeric accounts).
func Decode(command, body string) {
	switch command {
	case "Room.CallbackAfterUpdateRoomInfo", "Room.CallbackUpdateRoomInfo":
		decode(&SinkUpdated, body)
	case "Room.CallbackAfterDestroyRoom":
		decode(&SinkDestroyed, body)
	case "Room.CallbackAfterMemberEnter", "Room.CallbackAfterMemberLeave":
		decode(&SinkMembers, body)
	case "Mic.CallbackAfterSeatInfoChanged":
		decode(&SinkSeats, body)
	default:
		decode(&Sink, body)
	}
}

func decode[T any](sink *T, body string) {
	var c T
	_ = json.Unmarshal([]byte(body), &c)
	*sink = c
}
