// Package floor is the measuring floor of scripts/bench.sh: what the least a function answering
// a Tencent Cloud Room callback does. It decodes the callback body with encoding/json into a
// plain struct of the payload's fields and answers the OK packet. It checks nothing, stores
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

// Sink keeps the last decoded callback reachable, so the decode is not optimised away.
var Sink Callback

// Decode decodes body into a Callback; a body that does not decode is still answered OK by
// the floor (it measures the happy path only).
func Decode(body string) {
	var c Callback
	_ = json.Unmarshal([]byte(body), &c)
	Sink = c
}
