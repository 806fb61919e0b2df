package callback

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// seedBody is the create-room sample of Tencent's document, as valid JSON.
const seedBody = `{"CallbackCommand":"Room.CallbackAfterCreateRoom","Operator_Account":"admin","RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"tandy-test-rest","RoomType":"Meeting","Owner_Account":"user3","MaxMemberCount":300,"MaxSeatCount":16,"IsVideoDisabled":true,"IsAudioDisabled":true,"IsMessageDisabled":true,"IsScreenSharingDisabled":true,"IsCloudRecordingDisabled":true,"CustomInfo":"custom123","ScheduleStartTime":1703589922,"ScheduleEndTime":1703593522,"RoomStatus":"Running","IsSeatEnabled":true,"TakeSeatMode":"ApplyToTake","CreateTime":1703589922},"ScheduleInviteeList_Account":["user2","user3","user3"],"EventTime":1703589922780}`

func p[T any](v T) *T { return &v }

func TestParseCreateRoomSeed(t *testing.T) {
	got, err := ParseCreateRoom([]byte(seedBody))
	if err != nil {
		t.Fatal(err)
	}
	want := &RoomCreated{
		CallbackCommand: "Room.CallbackAfterCreateRoom",
		OperatorAccount: p("admin"),
		RoomInfo: RoomInfo{
			RoomID: "tandy-test-rest", RoomName: p("tandy-test-rest"), RoomType: p("Meeting"),
			OwnerAccount: p("user3"), MaxMemberCount: p[int64](300), MaxSeatCount: p[int64](16),
			IsVideoDisabled: p(true), IsAudioDisabled: p(true), IsMessageDisabled: p(true),
			IsScreenSharingDisabled: p(true), IsCloudRecordingDisabled: p(true), CustomInfo: p("custom123"),
			ScheduleStartTime: p[int64](1703589922), ScheduleEndTime: p[int64](1703593522),
			RoomStatus: p("Running"), IsSeatEnabled: p(true), TakeSeatMode: p("ApplyToTake"),
			CreateTime: p[int64](1703589922),
		},
		ScheduleInviteeList: []string{"user2", "user3"},
		EventTime:           1703589922780,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseCreateRoomQuirks(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, rc *RoomCreated)
	}{
		{"bool as string", `{"RoomInfo":{"RoomId":"r","IsCloudRecordingDisabled":"false","IsSeatEnabled":"true"},"EventTime":1}`,
			func(t *testing.T, rc *RoomCreated) {
				if *rc.RoomInfo.IsCloudRecordingDisabled || !*rc.RoomInfo.IsSeatEnabled {
					t.Fatal("string booleans misread")
				}
			}},
		{"bool as 0/1", `{"RoomInfo":{"RoomId":"r","IsVideoDisabled":1,"IsAudioDisabled":0},"EventTime":1}`,
			func(t *testing.T, rc *RoomCreated) {
				if !*rc.RoomInfo.IsVideoDisabled || *rc.RoomInfo.IsAudioDisabled {
					t.Fatal("numeric booleans misread")
				}
			}},
		{"accounts as numbers", `{"Operator_Account":123,"RoomInfo":{"RoomId":"r","Owner_Account":456},"ScheduleInviteeList_Account":[7,"7",8],"EventTime":1}`,
			func(t *testing.T, rc *RoomCreated) {
				if *rc.OperatorAccount != "123" || *rc.RoomInfo.OwnerAccount != "456" || !reflect.DeepEqual(rc.ScheduleInviteeList, []string{"7", "8"}) {
					t.Fatalf("numeric accounts misread: %+v", rc)
				}
			}},
		{"invitees de-duplicated in order", `{"RoomInfo":{"RoomId":"r"},"ScheduleInviteeList_Account":["c","a","c","b","a"],"EventTime":1}`,
			func(t *testing.T, rc *RoomCreated) {
				if !reflect.DeepEqual(rc.ScheduleInviteeList, []string{"c", "a", "b"}) {
					t.Fatalf("invitees = %v", rc.ScheduleInviteeList)
				}
			}},
		{"empty invitee list kept empty", `{"RoomInfo":{"RoomId":"r"},"ScheduleInviteeList_Account":[],"EventTime":1}`,
			func(t *testing.T, rc *RoomCreated) {
				if rc.ScheduleInviteeList == nil || len(rc.ScheduleInviteeList) != 0 {
					t.Fatalf("invitees = %#v", rc.ScheduleInviteeList)
				}
			}},
		{"absent and null fields stay absent", `{"RoomInfo":{"RoomId":"r","RoomName":null,"MaxMemberCount":null},"EventTime":1}`,
			func(t *testing.T, rc *RoomCreated) {
				ri := rc.RoomInfo
				if rc.OperatorAccount != nil || ri.RoomName != nil || ri.MaxMemberCount != nil || rc.ScheduleInviteeList != nil {
					t.Fatalf("absent fields were filled: %+v", rc)
				}
			}},
		{"any RoomType", `{"RoomInfo":{"RoomId":"r","RoomType":"Conference"},"EventTime":1}`,
			func(t *testing.T, rc *RoomCreated) {
				if *rc.RoomInfo.RoomType != "Conference" {
					t.Fatal("RoomType")
				}
			}},
		{"integer as numeric string", `{"RoomInfo":{"RoomId":"r","MaxMemberCount":"300"},"EventTime":"1703589922780"}`,
			func(t *testing.T, rc *RoomCreated) {
				if *rc.RoomInfo.MaxMemberCount != 300 || rc.EventTime != 1703589922780 {
					t.Fatal("numeric strings misread")
				}
			}},
		{"unknown fields ignored", `{"RoomInfo":{"RoomId":"r","Future":{"x":[1]}},"Extra":true,"EventTime":1}`,
			func(t *testing.T, rc *RoomCreated) {}},
		{"unicode kept", `{"RoomInfo":{"RoomId":"r","RoomName":"周会 🚀","CustomInfo":"\u00e9"},"EventTime":1}`,
			func(t *testing.T, rc *RoomCreated) {
				if *rc.RoomInfo.RoomName != "周会 🚀" || *rc.RoomInfo.CustomInfo != "é" {
					t.Fatal("unicode misread")
				}
			}},
		{"leading whitespace", " \n\t" + `{"RoomInfo":{"RoomId":"r"},"EventTime":1}`, func(t *testing.T, rc *RoomCreated) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := ParseCreateRoom([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, rc)
		})
	}
}

func TestParseCreateRoomRejects(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr error
		field   string // named in the error
	}{
		{"empty", ``, ErrNotObject, ""},
		{"array", `[{"RoomInfo":{"RoomId":"r"},"EventTime":1}]`, ErrNotObject, ""},
		{"string", `"x"`, ErrNotObject, ""},
		{"null", `null`, ErrNotObject, ""},
		{"truncated", `{"RoomInfo":{"RoomId":"r"},"EventTime":1`, ErrNotObject, ""},
		{"trailing garbage", `{"RoomInfo":{"RoomId":"r"},"EventTime":1}{}`, ErrNotObject, ""},
		{"invalid utf-8", "{\"RoomInfo\":{\"RoomId\":\"r\xff\"},\"EventTime\":1}", ErrNotObject, ""},
		{"comment as in Tencent's sample", `{"RoomInfo":{"RoomId":"r"},"EventTime":1 // ms
}`, ErrNotObject, ""},
		{"RoomInfo missing", `{"EventTime":1}`, ErrField, "RoomInfo"},
		{"RoomInfo not an object", `{"RoomInfo":"r","EventTime":1}`, ErrField, "RoomInfo"},
		{"RoomId missing", `{"RoomInfo":{},"EventTime":1}`, ErrField, "RoomInfo.RoomId"},
		{"RoomId empty", `{"RoomInfo":{"RoomId":""},"EventTime":1}`, ErrField, "RoomInfo.RoomId"},
		{"RoomId a number", `{"RoomInfo":{"RoomId":42},"EventTime":1}`, ErrField, "RoomInfo.RoomId"},
		{"RoomId null", `{"RoomInfo":{"RoomId":null},"EventTime":1}`, ErrField, "RoomInfo.RoomId"},
		{"EventTime missing", `{"RoomInfo":{"RoomId":"r"}}`, ErrField, "EventTime"},
		{"EventTime zero", `{"RoomInfo":{"RoomId":"r"},"EventTime":0}`, ErrField, "EventTime"},
		{"EventTime fraction", `{"RoomInfo":{"RoomId":"r"},"EventTime":1.5}`, ErrField, "EventTime"},
		{"EventTime beyond int64", `{"RoomInfo":{"RoomId":"r"},"EventTime":92233720368547758070}`, ErrField, "out of range"},
		{"count as bool", `{"RoomInfo":{"RoomId":"r","MaxMemberCount":true},"EventTime":1}`, ErrField, "RoomInfo.MaxMemberCount"},
		{"count as exponent", `{"RoomInfo":{"RoomId":"r","MaxMemberCount":3e2},"EventTime":1}`, ErrField, "RoomInfo.MaxMemberCount"},
		{"bool as word", `{"RoomInfo":{"RoomId":"r","IsVideoDisabled":"yes"},"EventTime":1}`, ErrField, "RoomInfo.IsVideoDisabled"},
		{"name as object", `{"RoomInfo":{"RoomId":"r","RoomName":{}},"EventTime":1}`, ErrField, "RoomInfo.RoomName"},
		{"invitees as string", `{"RoomInfo":{"RoomId":"r"},"ScheduleInviteeList_Account":"user2","EventTime":1}`, ErrField, "ScheduleInviteeList_Account"},
		{"invitee as object", `{"RoomInfo":{"RoomId":"r"},"ScheduleInviteeList_Account":[{}],"EventTime":1}`, ErrField, "ScheduleInviteeList_Account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCreateRoom([]byte(tt.body))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err %q does not name %q", err, tt.field)
			}
		})
	}
}

func TestParseEnvelope(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Envelope
	}{
		{"room callback", `{"CallbackCommand":"Room.CallbackAfterDestroyRoom","RoomId":"r1","EventTime":1703589922780}`, Envelope{"Room.CallbackAfterDestroyRoom", "r1", 1703589922780}},
		{"room id inside RoomInfo", `{"CallbackCommand":"Room.CallbackAfterUpdateRoomInfo","RoomInfo":{"RoomId":"r2"},"EventTime":5}`, Envelope{"Room.CallbackAfterUpdateRoomInfo", "r2", 5}},
		{"chat callback without room or time", `{"CallbackCommand":"Group.CallbackAfterCreateGroup","GroupId":"g"}`, Envelope{"Group.CallbackAfterCreateGroup", "", 0}},
		{"odd types tolerated", `{"CallbackCommand":"X.Y","RoomId":7,"EventTime":"soon","RoomInfo":[]}`, Envelope{"X.Y", "7", 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEnvelope([]byte(tt.body))
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := ParseEnvelope([]byte(`[1]`)); !errors.Is(err, ErrNotObject) {
		t.Fatalf("array body: err = %v", err)
	}
}
