// Package floor is the measuring floor of scripts/bench.sh: what the least a function answering
// a Tencent Cloud Room or Live callback does. It decodes the callback body with encoding/json
// into a plain struct of the payload's fields (the struct of the command the query string
// names: one per Room command and one per Live command, or per group sharing a body) and
// answers the OK packet. It checks nothing, stores nothing and logs nothing; roomhook's budgets
// are stated against it.
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
// for each, no lenient types.
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

// liveRoomInfo is the RoomInfo of a Live create, which a Live destroy carries too.
type liveRoomInfo struct {
	RoomId            string  `json:"RoomId"`
	RoomName          string  `json:"RoomName"`
	RoomType          string  `json:"RoomType"`
	Owner_Account     string  `json:"Owner_Account"`
	MaxMemberCount    int64   `json:"MaxMemberCount"`
	IsMessageDisabled bool    `json:"IsMessageDisabled"`
	CustomInfo        string  `json:"CustomInfo"`
	IsSeatEnabled     bool    `json:"IsSeatEnabled"`
	TakeSeatMode      string  `json:"TakeSeatMode"`
	MaxSeatCount      int64   `json:"MaxSeatCount"`
	CreateTime        int64   `json:"CreateTime"`
	IsPublicVisible   bool    `json:"IsPublicVisible"`
	CoverURL          string  `json:"CoverURL"`
	Category          []int64 `json:"Category"`
}

// The Live callbacks (TUILiveKit), as plain structs of the fields Tencent documents for each,
// no lenient types. Live's seat change is Seats (it only lacks Operator_Account).
type (
	// LiveCreated is Live.CallbackAfterCreateRoom.
	LiveCreated struct {
		CallbackCommand  string       `json:"CallbackCommand"`
		Operator_Account string       `json:"Operator_Account"`
		RoomInfo         liveRoomInfo `json:"RoomInfo"`
		EventTime        int64        `json:"EventTime"`
	}
	// LiveUpdated is Live.CallbackAfterUpdateRoomInfo.
	LiveUpdated struct {
		CallbackCommand  string `json:"CallbackCommand"`
		Operator_Account string `json:"Operator_Account"`
		RoomInfo         struct {
			RoomId            string  `json:"RoomId"`
			RoomName          string  `json:"RoomName"`
			MaxMemberCount    int64   `json:"MaxMemberCount"`
			IsMessageDisabled bool    `json:"IsMessageDisabled"`
			CoverURL          string  `json:"CoverURL"`
			Category          []int64 `json:"Category"`
			ActivityStatus    int64   `json:"ActivityStatus"`
			IsPublicVisible   bool    `json:"IsPublicVisible"`
			TakeSeatMode      string  `json:"TakeSeatMode"`
			CustomInfo        string  `json:"CustomInfo"`
		} `json:"RoomInfo"`
		EventTime int64 `json:"EventTime"`
	}
	// LiveDestroyed is Live.CallbackAfterDestroyRoom: its RoomInfo is the create's and four
	// more fields.
	LiveDestroyed struct {
		CallbackCommand  string `json:"CallbackCommand"`
		Operator_Account string `json:"Operator_Account"`
		RoomId           string `json:"RoomId"`
		EventType        string `json:"EventType"`
		EventTime        int64  `json:"EventTime"`
		RoomInfo         struct {
			liveRoomInfo
			ActivityStatus         int64  `json:"ActivityStatus"`
			ViewCount              int64  `json:"ViewCount"`
			BackgroundURL          string `json:"BackgroundURL"`
			IsUnlimitedRoomEnabled bool   `json:"IsUnlimitedRoomEnabled"`
		} `json:"RoomInfo"`
		Statistic struct {
			TotalViewers           int64 `json:"TotalViewers"`
			TotalGiftsSent         int64 `json:"TotalGiftsSent"`
			TotalGiftCoins         int64 `json:"TotalGiftCoins"`
			TotalUniqueGiftSenders int64 `json:"TotalUniqueGiftSenders"`
			TotalLikesReceived     int64 `json:"TotalLikesReceived"`
		} `json:"Statistic"`
	}
	// LiveMetadataSet is Live.CallbackAfterSetMetadata.
	LiveMetadataSet struct {
		CallbackCommand  string `json:"CallbackCommand"`
		Operator_Account string `json:"Operator_Account"`
		RoomId           string `json:"RoomId"`
		Metadata         []struct {
			Key   string `json:"Key"`
			Value string `json:"Value"`
		} `json:"Metadata"`
		EventTime int64 `json:"EventTime"`
	}
	// LiveMetadataDeleted is Live.CallbackAfterDelMetadata.
	LiveMetadataDeleted struct {
		CallbackCommand  string   `json:"CallbackCommand"`
		Operator_Account string   `json:"Operator_Account"`
		RoomId           string   `json:"RoomId"`
		Keys             []string `json:"Keys"`
		EventTime        int64    `json:"EventTime"`
	}
	// LiveThreshold is Live.CallbackAfterCreateRoomReachingThreshold (app-wide, no room).
	LiveThreshold struct {
		CallbackCommand  string `json:"CallbackCommand"`
		Operator_Account string `json:"Operator_Account"`
		CurRoomCount     int64  `json:"CurRoomCount"`
		MaxRoomCount     int64  `json:"MaxRoomCount"`
		EventTime        int64  `json:"EventTime"`
	}
	// LiveMembers is Live.CallbackAfterMemberStateChanged (and its other spelling,
	// Live.CallbackMemberStateChanged).
	LiveMembers struct {
		CallbackCommand string `json:"CallbackCommand"`
		RoomId          string `json:"RoomId"`
		EventType       string `json:"EventType"`
		EventCause      string `json:"EventCause"`
		MemberList      []struct {
			Member_Account string `json:"Member_Account"`
		} `json:"MemberList"`
		EventTime int64 `json:"EventTime"`
	}
	// LiveOwner is Live.CallbackAfterChangeOwner.
	LiveOwner struct {
		CallbackCommand       string `json:"CallbackCommand"`
		RoomId                string `json:"RoomId"`
		Operator_Account      string `json:"Operator_Account"`
		CurrentOwner_Account  string `json:"CurrentOwner_Account"`
		OriginalOwner_Account string `json:"OriginalOwner_Account"`
		EventTime             int64  `json:"EventTime"`
	}
	// LiveAdmins is Live.CallbackAfterModifyAdmin.
	LiveAdmins struct {
		CallbackCommand  string   `json:"CallbackCommand"`
		RoomId           string   `json:"RoomId"`
		Operator_Account string   `json:"Operator_Account"`
		Admin_Account    []string `json:"Admin_Account"`
		OpType           string   `json:"opType"` // lower-case o, as Tencent spells it
		EventTime        int64    `json:"EventTime"`
	}
	// LiveBattle is Live.CallbackAfterCreateBattle, Live.CallbackAfterStartBattle and
	// Live.CallbackAfterEndBattle (the create names the rooms by id, the others with their
	// scores).
	LiveBattle struct {
		CallbackCommand string       `json:"CallbackCommand"`
		BattleId        string       `json:"BattleId"`
		FromRoomId      string       `json:"FromRoomId"`
		FromRoomInfo    BattleRoom   `json:"FromRoomInfo"`
		ToRoomIdList    []string     `json:"ToRoomIdList"`
		ToRoomList      []BattleRoom `json:"ToRoomList"`
		Duration        int64        `json:"Duration"`
		CreateTime      int64        `json:"CreateTime"`
		StartTime       int64        `json:"StartTime"`
		EndTime         int64        `json:"EndTime"`
		OpType          int64        `json:"OpType"`
		NeedResponse    bool         `json:"NeedResponse"`
		Timeout         int64        `json:"Timeout"`
		ExtensionInfo   string       `json:"ExtensionInfo"`
		EventTime       int64        `json:"EventTime"`
	}
	// BattleRoom is a room of a battle, with its score.
	BattleRoom struct {
		RoomId        string `json:"RoomId"`
		Owner_Account string `json:"Owner_Account"`
		Score         int64  `json:"Score"`
	}
	// LiveGift is Live.CallbackBeforeSendGift (no EventTime).
	LiveGift struct {
		CallbackCommand  string `json:"CallbackCommand"`
		Operator_Account string `json:"Operator_Account"`
		RoomId           string `json:"RoomId"`
		GiftWater        struct {
			From_Account string   `json:"From_Account"`
			To_Account   []string `json:"To_Account"`
			Time         int64    `json:"Time"`
			GiftId       string   `json:"GiftId"`
			Count        int64    `json:"Count"`
			Coins        int64    `json:"Coins"`
		} `json:"GiftWater"`
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

	SinkLiveCreated         LiveCreated
	SinkLiveUpdated         LiveUpdated
	SinkLiveDestroyed       LiveDestroyed
	SinkLiveMetadataSet     LiveMetadataSet
	SinkLiveMetadataDeleted LiveMetadataDeleted
	SinkLiveThreshold       LiveThreshold
	SinkLiveMembers         LiveMembers
	SinkLiveOwner           LiveOwner
	SinkLiveAdmins          LiveAdmins
	SinkLiveBattle          LiveBattle
	SinkLiveGift            LiveGift
)

// Decode decodes body into the plain struct of command (the query's CallbackCommand): each
// Room and each Live command roomhook knows has its own (Live's seat change shares Room's), and
// any other command gets the create-room Callback. A body that does not decode is still
// answered OK by the floor (it measures the happy path only: encoding/json decodes the rest of
// a body one of whose fields has another type, such as Tencent's numeric accounts, which
// arrive as JSON numbers where the floor's fields are strings, or its booleans sent as
// strings).
func Decode(command, body string) { _, _ = decodeSink(command, body) }

// decodeSink is Decode, returning the sink it filled (a pointer to it) and encoding/json's
// error.
func decodeSink(command, body string) (any, error) {
	switch command {
	// Room (TUIRoomKit); Room.CallbackAfterCreateRoom is the default.
	case "Room.CallbackAfterUpdateRoomInfo", "Room.CallbackUpdateRoomInfo":
		return decode(&SinkUpdated, body)
	case "Room.CallbackAfterDestroyRoom":
		return decode(&SinkDestroyed, body)
	case "Room.CallbackAfterMemberEnter", "Room.CallbackAfterMemberLeave":
		return decode(&SinkMembers, body)
	case "Mic.CallbackAfterSeatInfoChanged":
		return decode(&SinkSeats, body)
	// Live (TUILiveKit).
	case "Live.CallbackAfterCreateRoom":
		return decode(&SinkLiveCreated, body)
	case "Live.CallbackAfterUpdateRoomInfo":
		return decode(&SinkLiveUpdated, body)
	case "Live.CallbackAfterDestroyRoom":
		return decode(&SinkLiveDestroyed, body)
	case "Live.CallbackAfterSetMetadata":
		return decode(&SinkLiveMetadataSet, body)
	case "Live.CallbackAfterDelMetadata":
		return decode(&SinkLiveMetadataDeleted, body)
	case "Live.CallbackAfterCreateRoomReachingThreshold":
		return decode(&SinkLiveThreshold, body)
	case "Live.CallbackAfterMemberStateChanged", "Live.CallbackMemberStateChanged":
		return decode(&SinkLiveMembers, body)
	case "Live.CallbackAfterChangeOwner":
		return decode(&SinkLiveOwner, body)
	case "Live.CallbackAfterModifyAdmin":
		return decode(&SinkLiveAdmins, body)
	case "Live.CallbackAfterCreateBattle", "Live.CallbackAfterStartBattle", "Live.CallbackAfterEndBattle":
		return decode(&SinkLiveBattle, body)
	case "Live.CallbackBeforeSendGift":
		return decode(&SinkLiveGift, body)
	default:
		return decode(&Sink, body)
	}
}

func decode[T any](sink *T, body string) (any, error) {
	var c T
	err := json.Unmarshal([]byte(body), &c)
	*sink = c
	return sink, err
}
