package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// Backend is what every store under pkg/store provides: saving, reading back, and listing an
// app's rooms, gifts and archive.
type Backend interface {
	callback.Store
	callback.Reader
	callback.Lister
	callback.Purger
}

// SeedSdkAppID is the SDKAppID of the seed event, the one Tencent's documentation shows.
const SeedSdkAppID int64 = 1400123456

// seedRaw is a create-room body with the seed's values, written for this suite. Every field
// holds a value no other field holds (booleans alternate, times differ), so a backend that
// swaps two columns fails. Its invitee list repeats user3, as Tencent's sample does; the parsed
// event carries it de-duplicated.
const seedRaw = `{"CallbackCommand":"Room.CallbackAfterCreateRoom","Operator_Account":"admin",` +
	`"RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"tandy weekly","RoomType":"Meeting",` +
	`"Owner_Account":"user3","MaxMemberCount":300,"MaxSeatCount":16,"IsVideoDisabled":true,` +
	`"IsAudioDisabled":false,"IsMessageDisabled":true,"IsScreenSharingDisabled":false,` +
	`"IsCloudRecordingDisabled":true,"CustomInfo":"custom123","ScheduleStartTime":1703589000,` +
	`"ScheduleEndTime":1703593522,"RoomStatus":"Running","IsSeatEnabled":false,` +
	`"TakeSeatMode":"ApplyToTake","CreateTime":1703589922},` +
	`"ScheduleInviteeList_Account":["user2","user3","user3"],"EventTime":1703589922780}`

// receivedAt is the fixed arrival time the suite's events start from. It is not in UTC and has
// sub-millisecond digits on purpose: backends must return it in UTC, truncated to milliseconds.
var receivedAt = time.Date(2023, 12, 26, 19, 25, 23, 456_789_321, time.FixedZone("CST", 8*3600))

// SeedEvent returns the create-room event of Tencent's documentation as the core would build it:
// every field present and distinct, invitees de-duplicated, a fixed ReceivedAt. Each call
// returns a new event.
func SeedEvent() *callback.Event {
	return &callback.Event{
		SdkAppID:    SeedSdkAppID,
		Command:     callback.CommandCreateRoom,
		RoomID:      "tandy-test-rest",
		EventTime:   1703589922780,
		ClientIP:    "203.0.113.7",
		OptPlatform: "RESTAPI",
		RequestID:   "req-seed-0001",
		ReceivedAt:  receivedAt,
		Raw:         []byte(seedRaw),
		Payload: &callback.RoomCreated{
			CallbackCommand: callback.CommandCreateRoom,
			OperatorAccount: ptr("admin"),
			RoomInfo: callback.RoomInfo{
				RoomID:                   "tandy-test-rest",
				RoomName:                 ptr("tandy weekly"),
				RoomType:                 ptr("Meeting"),
				OwnerAccount:             ptr("user3"),
				MaxMemberCount:           ptr[int64](300),
				MaxSeatCount:             ptr[int64](16),
				IsVideoDisabled:          ptr(true),
				IsAudioDisabled:          ptr(false),
				IsMessageDisabled:        ptr(true),
				IsScreenSharingDisabled:  ptr(false),
				IsCloudRecordingDisabled: ptr(true),
				CustomInfo:               ptr("custom123"),
				ScheduleStartTime:        ptr[int64](1703589000),
				ScheduleEndTime:          ptr[int64](1703593522),
				RoomStatus:               ptr("Running"),
				IsSeatEnabled:            ptr(false),
				TakeSeatMode:             ptr("ApplyToTake"),
				CreateTime:               ptr[int64](1703589922),
			},
			ScheduleInviteeList: []string{"user2", "user3"},
			EventTime:           1703589922780,
		},
	}
}

// created returns ev's create-room payload.
func created(ev *callback.Event) *callback.RoomCreated { return ev.Payload.(*callback.RoomCreated) }

// Run runs the conformance suite. open must return a fresh, empty store on every call and
// arrange its cleanup with t.Cleanup; the suite calls it once per sub-test.
func Run(t *testing.T, open func(t *testing.T) Backend) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s Backend)
	}{
		{"create-room event round-trips every field", testRoundTrip},
		{"absent optional fields read back as absent", testAbsentFields},
		{"present zero values are not absent", testZeroValues},
		{"unicode, 4 KiB CustomInfo and 300 invitees", testLargeAndUnicode},
		{"raw body is kept byte for byte", testRawVerbatim},
		{"duplicate delivery changes nothing", testDuplicate},
		{"concurrent duplicates are stored once", testConcurrentDuplicates},
		{"older create after newer is stale", testOlderAfterNewer},
		{"an update in the create's millisecond applies after it", testSameTimeOtherCommand},
		{"newer create after older replaces the room", testNewerAfterOlder},
		{"same EventTime in another room or app is a separate row", testSeparateKeys},
		{"unknown command with a key is archived once", testUnknownWithKey},
		{"unknown command without EventTime is archived on every delivery", testUnknownWithoutEventTime},
		{"unknown command without RoomId is keyed on EventTime", testUnknownWithoutRoomID},
		{"events come back in archive order", testArchiveOrder},
		{"cancelled or expired context writes nothing", testDoneContext},
		{"missing room is ErrNotFound", testNotFound},
		{"two events of one room in one millisecond are both kept", testSameMillisecond},
	}
	tests = append(tests, lifecycleTests...)
	tests = append(tests, listTests...)
	tests = append(tests, purgeTests...)
	tests = append(tests, purgeMoreTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, open(t))
		})
	}
	t.Run("lifecycle: any delivery order leaves the fold", func(t *testing.T) { RunLifecycle(t, open) })
}

func testRoundTrip(t *testing.T, s Backend) {
	ev := SeedEvent()
	mustSave(t, s, ev, callback.OutcomeStored)
	checkRoom(t, s, ev)
	checkEvents(t, s, SeedSdkAppID, ev)
}

func testAbsentFields(t *testing.T, s Backend) {
	ev := minimalEvent(SeedSdkAppID, "bare-room", 1703589922780)
	mustSave(t, s, ev, callback.OutcomeStored)
	got := checkRoom(t, s, ev)
	if got != nil && got.ScheduleInviteeList != nil {
		t.Errorf("ScheduleInviteeList = %q, want nil (the event had no list)", got.ScheduleInviteeList)
	}
	checkEvents(t, s, SeedSdkAppID, ev)
}

func testZeroValues(t *testing.T, s Backend) {
	ev := minimalEvent(SeedSdkAppID, "zero-room", 1703589922780)
	r := &created(ev).RoomInfo
	r.RoomName, r.RoomType, r.OwnerAccount = ptr(""), ptr(""), ptr("")
	r.MaxMemberCount, r.MaxSeatCount = ptr[int64](0), ptr[int64](0)
	r.IsVideoDisabled, r.IsAudioDisabled, r.IsMessageDisabled = ptr(false), ptr(false), ptr(false)
	r.IsScreenSharingDisabled, r.IsCloudRecordingDisabled, r.IsSeatEnabled = ptr(false), ptr(false), ptr(false)
	r.CustomInfo, r.RoomStatus, r.TakeSeatMode = ptr(""), ptr(""), ptr("")
	r.ScheduleStartTime, r.ScheduleEndTime, r.CreateTime = ptr[int64](0), ptr[int64](0), ptr[int64](0)
	created(ev).OperatorAccount = ptr("")
	created(ev).ScheduleInviteeList = []string{}
	mustSave(t, s, ev, callback.OutcomeStored)
	got := checkRoom(t, s, ev)
	if got != nil && (got.ScheduleInviteeList == nil || len(got.ScheduleInviteeList) != 0) {
		t.Errorf("ScheduleInviteeList = %#v, want an empty, non-nil list", got.ScheduleInviteeList)
	}
}

func testLargeAndUnicode(t *testing.T, s Backend) {
	custom := strings.Repeat("数据🙂x", 372) + "abcd"
	if len(custom) != 4096 {
		t.Fatalf("test setup: CustomInfo is %d bytes, want 4096", len(custom))
	}
	invitees := make([]string, 300)
	for i := range invitees {
		// A permutation, so a backend that sorts the list fails.
		invitees[i] = fmt.Sprintf("用户-%03d", (i*7)%300)
	}
	invitees[0], invitees[1], invitees[2] = "ユーザー🎉", `"quoted" \ back<slash>&amp;`, "tab\there\nnewline"

	ev := SeedEvent()
	rc := created(ev)
	ev.RoomID = "房间-🚀-Zoë"
	rc.RoomInfo.RoomID = ev.RoomID
	rc.RoomInfo.RoomName = ptr("周会 🎉 Zoë's «room» — 会议室")
	rc.RoomInfo.OwnerAccount = ptr("所有者😀")
	rc.OperatorAccount = ptr("管理员")
	rc.RoomInfo.CustomInfo = ptr(custom)
	rc.ScheduleInviteeList = invitees
	ev.Raw = []byte(`{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"房间-🚀-Zoë","RoomName":"周会 🎉"},"EventTime":1703589922780}`)
	mustSave(t, s, ev, callback.OutcomeStored)
	checkRoom(t, s, ev)
	checkEvents(t, s, SeedSdkAppID, ev)
}

func testRawVerbatim(t *testing.T, s Backend) {
	created := SeedEvent()
	created.Raw = []byte("\r\n\t{ \"CallbackCommand\" :\t\"Room.CallbackAfterCreateRoom\" ,\r\n\r\n" +
		"   \"RoomInfo\":{\"RoomId\":\"tandy-test-rest\",\"RoomName\":\"\\u4f1a\\u8bae \\ud83c\\udf89\"},\n" +
		"\"Unknown\" : [ 1 , 2.50 , 1e3 ,null ] , \"EventTime\":1703589922780 }   \n\n")
	mustSave(t, s, created, callback.OutcomeStored)

	other := unknownEvent(SeedSdkAppID, "tandy-test-rest", 1703589922999)
	other.Raw = []byte("{\"x\":\"\x00\xff\xfe bytes that are not UTF-8\",\n\"y\": \"\u00e9\" } ")
	mustSave(t, s, other, callback.OutcomeIgnored)

	checkEvents(t, s, SeedSdkAppID, created, other)
}

func testDuplicate(t *testing.T, s Backend) {
	first := SeedEvent()
	mustSave(t, s, first, callback.OutcomeStored)

	// The same key with different details: the second delivery must not touch the first's rows.
	again := SeedEvent()
	again.ReceivedAt = receivedAt.Add(3 * time.Second)
	again.RequestID = "req-seed-0002"
	again.ClientIP = "198.51.100.1"
	created(again).RoomInfo.RoomName = ptr("renamed by a duplicate")
	mustSave(t, s, again, callback.OutcomeDuplicate)
	mustSave(t, s, SeedEvent(), callback.OutcomeDuplicate)

	checkRoom(t, s, first)
	checkEvents(t, s, SeedSdkAppID, first)
}

func testConcurrentDuplicates(t *testing.T, s Backend) {
	const n = 16
	outcomes := SaveTogether(t, n, func(i int) (callback.Outcome, error) {
		ev := SeedEvent()
		ev.RequestID = fmt.Sprintf("req-concurrent-%02d", i)
		return s.Save(t.Context(), ev)
	})

	if outcomes[callback.OutcomeStored] != 1 || outcomes[callback.OutcomeDuplicate] != n-1 || len(outcomes) != 2 {
		t.Errorf("outcomes = %v, want 1 stored and %d duplicate", outcomes, n-1)
	}
	evs := events(t, s, SeedSdkAppID)
	if len(evs) != 1 {
		t.Fatalf("archive has %d rows, want 1", len(evs))
	}
	if !strings.HasPrefix(evs[0].RequestID, "req-concurrent-") {
		t.Errorf("archived RequestID = %q, want one of the deliveries", evs[0].RequestID)
	}
	// Whichever copy won, the projection is the seed's, written at the shared ReceivedAt.
	checkRoom(t, s, SeedEvent())
}

func testOlderAfterNewer(t *testing.T, s Backend) {
	newer := SeedEvent()
	older := withTime(SeedEvent(), SeedEvent().EventTime-60_000)
	created(older).RoomInfo.RoomName = ptr("the older name")
	older.Raw = createBody(created(older))
	older.ReceivedAt = receivedAt.Add(time.Second) // arrives later, happened earlier
	older.RequestID = "req-older"

	mustSave(t, s, newer, callback.OutcomeStored)
	mustSave(t, s, older, callback.OutcomeStale)
	checkRoom(t, s, newer)
	checkEvents(t, s, SeedSdkAppID, newer, older)

	// The stale event is archived under its own key: delivering it again is a duplicate.
	mustSave(t, s, older, callback.OutcomeDuplicate)
	checkEvents(t, s, SeedSdkAppID, newer, older)
}

func testSameTimeOtherCommand(t *testing.T, s Backend) {
	first := SeedEvent()
	mustSave(t, s, first, callback.OutcomeStored)

	// An update with the create's EventTime sorts after it (creates come first in their
	// millisecond): it overlays the name and leaves every other field as created.
	same := updateEvent(SeedSdkAppID, first.RoomID, first.EventTime, callback.RoomInfo{RoomName: ptr("updated at the same millisecond")})
	same.ReceivedAt = receivedAt.Add(time.Second)
	mustSave(t, s, same, callback.OutcomeStored)
	want := roomOf(first)
	want.Info.RoomName = ptr("updated at the same millisecond")
	want.CallbackCommand = callback.CommandUpdateRoom
	want.UpdatedAt = same.ReceivedAt.UnixMilli()
	checkRoomRow(t, s, want)
	checkEvents(t, s, SeedSdkAppID, first, same)
}

func testNewerAfterOlder(t *testing.T, s Backend) {
	older := SeedEvent()
	mustSave(t, s, older, callback.OutcomeStored)

	// A newer create starts a new life: fields it lacks become absent, not merged.
	newer := minimalEvent(SeedSdkAppID, older.RoomID, older.EventTime+1)
	created(newer).RoomInfo.RoomName = ptr("the newer name")
	created(newer).OperatorAccount = ptr("user9")
	newer.Raw = createBody(created(newer))
	newer.ReceivedAt = receivedAt.Add(90 * time.Second)
	mustSave(t, s, newer, callback.OutcomeStored)
	checkRoom(t, s, newer)
	checkEvents(t, s, SeedSdkAppID, older, newer)
}

func testSeparateKeys(t *testing.T, s Backend) {
	const otherApp int64 = 1400999999
	a := SeedEvent()
	b := SeedEvent()
	b.RoomID, created(b).RoomInfo.RoomID = "another-room", "another-room"
	created(b).RoomInfo.RoomName = ptr("another room")
	b.Raw = createBody(created(b))
	c := SeedEvent()
	c.SdkAppID = otherApp
	created(c).RoomInfo.RoomName = ptr("the same room id in another app")

	for _, ev := range []*callback.Event{a, b, c} {
		mustSave(t, s, ev, callback.OutcomeStored)
	}
	checkRoom(t, s, a)
	checkRoom(t, s, b)
	checkRoom(t, s, c)
	checkEvents(t, s, SeedSdkAppID, a, b)
	checkEvents(t, s, otherApp, c)
}

func testUnknownWithKey(t *testing.T, s Backend) {
	ev := unknownEvent(SeedSdkAppID, "member-room", 1703589923000)
	mustSave(t, s, ev, callback.OutcomeIgnored)
	again := unknownEvent(SeedSdkAppID, "member-room", 1703589923000)
	again.ReceivedAt = receivedAt.Add(time.Second)
	mustSave(t, s, again, callback.OutcomeDuplicate)

	checkEvents(t, s, SeedSdkAppID, ev)
	if _, err := callback.ReadRoom(t.Context(), s, SeedSdkAppID, "member-room"); !errors.Is(err, callback.ErrNotFound) {
		t.Errorf("Room after an unknown command: err = %v, want ErrNotFound (no projection)", err)
	}
}

func testUnknownWithoutEventTime(t *testing.T, s Backend) {
	first := unknownEvent(SeedSdkAppID, "", 0)
	second := unknownEvent(SeedSdkAppID, "", 0)
	second.ReceivedAt = receivedAt.Add(time.Second)
	second.RequestID = "req-unknown-2"
	mustSave(t, s, first, callback.OutcomeIgnored)
	mustSave(t, s, second, callback.OutcomeIgnored)
	checkEvents(t, s, SeedSdkAppID, first, second)

	// The same holds with a RoomId: without EventTime there is no natural key.
	third := unknownEvent(SeedSdkAppID, "member-room", 0)
	fourth := unknownEvent(SeedSdkAppID, "member-room", 0)
	mustSave(t, s, third, callback.OutcomeIgnored)
	mustSave(t, s, fourth, callback.OutcomeIgnored)
	checkEvents(t, s, SeedSdkAppID, first, second, third, fourth)
}

func testUnknownWithoutRoomID(t *testing.T, s Backend) {
	ev := unknownEvent(SeedSdkAppID, "", 1703589923000)
	mustSave(t, s, ev, callback.OutcomeIgnored)
	mustSave(t, s, unknownEvent(SeedSdkAppID, "", 1703589923000), callback.OutcomeDuplicate)
	checkEvents(t, s, SeedSdkAppID, ev)
}

func testArchiveOrder(t *testing.T, s Backend) {
	var want []*callback.Event
	// Keys deliberately out of any natural order: the archive keeps arrival order.
	for i, room := range []string{"room-c", "room-a", "room-b"} {
		ev := unknownEvent(SeedSdkAppID, room, 1703589923000-int64(i))
		ev.ReceivedAt = receivedAt.Add(time.Duration(-i) * time.Minute)
		mustSave(t, s, ev, callback.OutcomeIgnored)
		want = append(want, ev)
	}
	created := SeedEvent()
	mustSave(t, s, created, callback.OutcomeStored)
	want = append(want, created)
	checkEvents(t, s, SeedSdkAppID, want...)
}

func testDoneContext(t *testing.T, s Backend) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Unix(1, 0))
	defer cancel2()

	for name, ctx := range map[string]context.Context{"cancelled": cancelled, "expired": expired} {
		if o, err := s.Save(ctx, SeedEvent()); err == nil {
			t.Errorf("Save with a %s context = %v, nil; want an error", name, o)
		}
		if o, err := s.Save(ctx, unknownEvent(SeedSdkAppID, "", 0)); err == nil {
			t.Errorf("Save of an unknown command with a %s context = %v, nil; want an error", name, o)
		}
	}
	if evs := events(t, s, SeedSdkAppID); len(evs) != 0 {
		t.Errorf("archive has %d rows after failed saves, want 0", len(evs))
	}
	if _, err := callback.ReadRoom(t.Context(), s, SeedSdkAppID, "tandy-test-rest"); !errors.Is(err, callback.ErrNotFound) {
		t.Errorf("Room after failed saves: err = %v, want ErrNotFound", err)
	}
	// The failed attempts left no trace: the event is new, not a duplicate.
	ev := SeedEvent()
	mustSave(t, s, ev, callback.OutcomeStored)
	checkRoom(t, s, ev)
}

func testNotFound(t *testing.T, s Backend) {
	if r, err := callback.ReadRoom(t.Context(), s, SeedSdkAppID, "no-such-room"); !errors.Is(err, callback.ErrNotFound) {
		t.Errorf("Room on an empty store = %v, %v; want ErrNotFound", r, err)
	}
	mustSave(t, s, SeedEvent(), callback.OutcomeStored)
	if r, err := callback.ReadRoom(t.Context(), s, SeedSdkAppID, "no-such-room"); !errors.Is(err, callback.ErrNotFound) {
		t.Errorf("Room for a missing room = %v, %v; want ErrNotFound", r, err)
	}
	if r, err := callback.ReadRoom(t.Context(), s, 1400000001, "tandy-test-rest"); !errors.Is(err, callback.ErrNotFound) {
		t.Errorf("Room for another app = %v, %v; want ErrNotFound", r, err)
	}
	for _, tab := range []*callback.Table{callback.MembersTable, callback.SeatsTable} {
		if rows, err := s.Rows(t.Context(), tab, SeedSdkAppID, "no-such-room"); err != nil || len(rows) != 0 {
			t.Errorf("Rows(%s) for a missing room = %v, %v; want none", tab.Name, rows, err)
		}
	}
	if evs := events(t, s, 1400000001); len(evs) != 0 {
		t.Errorf("Events of an app with no rows = %d rows, want 0", len(evs))
	}
}

// minimalEvent is a create-room event with nothing but the required RoomId and EventTime.
func minimalEvent(app int64, roomID string, eventTime int64) *callback.Event {
	rc := &callback.RoomCreated{
		CallbackCommand: callback.CommandCreateRoom,
		RoomInfo:        callback.RoomInfo{RoomID: roomID},
		EventTime:       eventTime,
	}
	return &callback.Event{
		SdkAppID:    app,
		Command:     callback.CommandCreateRoom,
		RoomID:      roomID,
		EventTime:   eventTime,
		ClientIP:    "",
		OptPlatform: "",
		RequestID:   "req-minimal",
		ReceivedAt:  receivedAt,
		Raw:         createBody(rc),
		Payload:     rc,
	}
}

// unknownCommand is a callback roomhook does not project.
const unknownCommand = "Group.CallbackAfterSendMsg"

// unknownEvent is a callback roomhook does not project; roomID and eventTime may be empty.
func unknownEvent(app int64, roomID string, eventTime int64) *callback.Event {
	return &callback.Event{
		SdkAppID:    app,
		Command:     unknownCommand,
		RoomID:      roomID,
		EventTime:   eventTime,
		ClientIP:    "198.51.100.23",
		OptPlatform: "Android",
		RequestID:   "req-unknown-1",
		ReceivedAt:  receivedAt,
		Raw: []byte(fmt.Sprintf(`{"CallbackCommand":%q,"RoomId":%q,"MsgBody":["u1"],"EventTime":%d}`,
			unknownCommand, roomID, eventTime)),
	}
}

func mustSave(t *testing.T, s Backend, ev *callback.Event, want callback.Outcome) {
	t.Helper()
	got, err := s.Save(t.Context(), ev)
	if err != nil {
		t.Fatalf("Save(%s %q @%d): %v", ev.Command, ev.RoomID, ev.EventTime, err)
	}
	if got != want {
		t.Fatalf("Save(%s %q @%d) = %v, want %v", ev.Command, ev.RoomID, ev.EventTime, got, want)
	}
}

func events(t *testing.T, s Backend, app int64) []callback.Event {
	t.Helper()
	evs, err := s.Events(t.Context(), app)
	if err != nil {
		t.Fatalf("Events(%d): %v", app, err)
	}
	return evs
}

// checkRoom asserts that the row of ev's room is exactly what the create ev says, and returns
// it.
func checkRoom(t *testing.T, s Backend, ev *callback.Event) *callback.RoomRow {
	t.Helper()
	return checkRoomRow(t, s, roomOf(ev))
}

// roomOf is the row a create-room event gives its room when it is the room's only event.
func roomOf(ev *callback.Event) *callback.RoomRow {
	rc := created(ev)
	return &callback.RoomRow{
		SdkAppID:            ev.SdkAppID,
		Info:                rc.RoomInfo,
		OperatorAccount:     rc.OperatorAccount,
		ScheduleInviteeList: rc.ScheduleInviteeList,
		CallbackCommand:     ev.Command,
		EventTime:           ev.EventTime,
		UpdatedAt:           ev.ReceivedAt.UnixMilli(),
	}
}

// checkRoomRow asserts that want's room reads back exactly as want, and returns what was read.
func checkRoomRow(t *testing.T, s Backend, want *callback.RoomRow) *callback.RoomRow {
	t.Helper()
	got, err := callback.ReadRoom(t.Context(), s, want.SdkAppID, want.Info.RoomID)
	if err != nil {
		t.Fatalf("ReadRoom(%d, %q): %v", want.SdkAppID, want.Info.RoomID, err)
	}
	for _, d := range diff(*got, *want) {
		t.Errorf("ReadRoom(%d, %q): %s", want.SdkAppID, want.Info.RoomID, d)
	}
	return got
}

// checkEvents asserts that app's archive holds exactly want, in that order.
func checkEvents(t *testing.T, s Backend, app int64, want ...*callback.Event) {
	t.Helper()
	got := events(t, s, app)
	if len(got) != len(want) {
		t.Errorf("Events(%d) returned %d rows, want %d", app, len(got), len(want))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		w := *want[i]
		w.Payload = nil // the archive keeps the raw body, not the projection
		w.ReceivedAt = millis(w.ReceivedAt)
		for _, d := range diff(got[i], w) {
			t.Errorf("Events(%d)[%d]: %s", app, i, d)
		}
		if !bytes.Equal(got[i].Raw, want[i].Raw) {
			t.Errorf("Events(%d)[%d].Raw differs from the body as received", app, i)
		}
	}
}

// millis is t as a backend returns it: truncated to the millisecond, in UTC.
func millis(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

func ptr[T any](v T) *T { return &v }

// Together runs f(0) … f(n-1) on n goroutines released at the same instant, so that their
// calls race, and returns when all have returned.
func Together(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// SaveTogether runs save(0) … save(n-1) at the same instant (Together), as deliveries that
// race one another, and counts the outcomes. A failed save is reported with t.Errorf, naming its
// index, and counted nowhere.
func SaveTogether(t *testing.T, n int, save func(i int) (callback.Outcome, error)) map[callback.Outcome]int {
	t.Helper()
	var mu sync.Mutex
	counts := map[callback.Outcome]int{}
	Together(n, func(i int) {
		o, err := save(i)
		if err != nil {
			t.Errorf("save %d: %v", i, err)
			return
		}
		mu.Lock()
		counts[o]++
		mu.Unlock()
	})
	return counts
}

// OpenTogether opens n stores at the same instant, as instances that start together do (each
// open races the others to create the schema), and closes them when the test ends. A failed open
// is reported with t.Errorf and leaves the zero S at its index; ok says whether all n opened.
func OpenTogether[S interface{ Close() error }](t *testing.T, n int, open func() (S, error)) (stores []S, ok bool) {
	t.Helper()
	stores = make([]S, n)
	errs := make([]error, n)
	Together(n, func(i int) { stores[i], errs[i] = open() })
	ok = true
	for i, err := range errs {
		if err != nil {
			t.Errorf("cold start %d: %v", i, err)
			ok = false
			continue
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	return stores, ok
}
