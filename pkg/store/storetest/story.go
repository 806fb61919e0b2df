package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// Hand-written stories whose rows are spelled out value by value, beside the generated property
// (lifecycle.go): a failure here names the rule that broke.

const storyT = int64(1703590000000)

// story is one room's events, each delivered once in the order given.
func saveAll(t *testing.T, s Backend, evs ...*callback.Event) {
	t.Helper()
	for i, ev := range evs {
		ev.ReceivedAt = receivedAt.Add(time.Duration(i) * time.Second)
		if _, err := s.Save(t.Context(), ev); err != nil {
			t.Fatalf("Save(%s %q @%d): %v", ev.Command, ev.RoomID, ev.EventTime, err)
		}
	}
}

func enterEvent(room string, at, count int64, members ...string) *callback.Event {
	return eventOf(SeedSdkAppID, callback.CommandMemberEnter,
		membersBody(callback.CommandMemberEnter, room, ptr(count), ptr("Enter"), nil, members, at))
}

func leaveEvent(room string, at, count int64, typ string, reason *string, members ...string) *callback.Event {
	return eventOf(SeedSdkAppID, callback.CommandMemberLeave,
		membersBody(callback.CommandMemberLeave, room, ptr(count), ptr(typ), reason, members, at))
}

func destroyEvent(room string, at int64, op string) *callback.Event {
	return eventOf(SeedSdkAppID, callback.CommandDestroyRoom, destroyBody(room, ptr(op), at))
}

func seatEvent(room string, at int64, seats ...callback.Seat) *callback.Event {
	return eventOf(SeedSdkAppID, callback.CommandSeatChanged, seatsBody(room, seats, at))
}

func createAt(room string, at int64) *callback.Event {
	ev := SeedEvent()
	rc := created(ev)
	rc.RoomInfo.RoomID, ev.RoomID = room, room
	return withTime(ev, at)
}

func member(room, account, state string, entered, left *int64, typ, reason *string, at int64) *callback.MemberRow {
	return &callback.MemberRow{SdkAppID: SeedSdkAppID, RoomID: room, MemberAccount: account, State: state,
		EnteredAt: entered, LeftAt: left, LeaveType: typ, LeaveReason: reason, EventTime: at}
}

func checkMembers(t *testing.T, s Backend, room string, want ...*callback.MemberRow) {
	t.Helper()
	got, err := callback.ReadMembers(t.Context(), s, SeedSdkAppID, room)
	if err != nil {
		t.Fatalf("ReadMembers(%q): %v", room, err)
	}
	for _, m := range got {
		m.UpdatedAt = 0
	}
	if want == nil {
		want = []*callback.MemberRow{}
	}
	for _, d := range diff(got, want) {
		t.Errorf("ReadMembers(%q): %s", room, d)
	}
}

func checkSeats(t *testing.T, s Backend, room string, want ...*callback.SeatRow) {
	t.Helper()
	got, err := callback.ReadSeats(t.Context(), s, SeedSdkAppID, room)
	if err != nil {
		t.Fatalf("ReadSeats(%q): %v", room, err)
	}
	for _, st := range got {
		st.UpdatedAt = 0
	}
	for _, d := range diff(got, want) {
		t.Errorf("ReadSeats(%q): %s", room, d)
	}
}

// checkRoomFold asserts the room row, updated_at aside.
func checkRoomFold(t *testing.T, s Backend, want *callback.RoomRow) {
	t.Helper()
	got, err := callback.ReadRoom(t.Context(), s, want.SdkAppID, want.Info.RoomID)
	if err != nil {
		t.Fatalf("ReadRoom(%q): %v", want.Info.RoomID, err)
	}
	got.UpdatedAt, want.UpdatedAt = 0, 0
	for _, d := range diff(*got, *want) {
		t.Errorf("ReadRoom(%q): %s", want.Info.RoomID, d)
	}
}

func testLifecycleStory(t *testing.T, s Backend) {
	const room = "story-room"
	T := storyT
	create := createAt(room, T)
	rename := updateEvent(SeedSdkAppID, room, T+10, callback.RoomInfo{RoomName: ptr("renamed"), MaxMemberCount: ptr[int64](50)})
	lateUpdate := updateEvent(SeedSdkAppID, room, T+5, callback.RoomInfo{RoomName: ptr("an older name"), CustomInfo: ptr("late custom")})
	enter1 := enterEvent(room, T+20, 2, "alice", "144115233775727695")
	enter2 := enterEvent(room, T+20, 3, "carol") // the same millisecond: a different event
	kick := leaveEvent(room, T+30, 2, "Kicked", ptr("spam"), "carol")
	seats := seatEvent(room, T+40,
		callback.Seat{Index: 0, MemberAccount: ptr("alice"), IsVideoDisabled: ptr(true), IsAudioDisabled: ptr(false)},
		callback.Seat{Index: 1, MemberAccount: ptr(""), IsTakenDisabled: ptr(true)})
	destroy := destroyEvent(room, T+50, "admin")

	// Delivered out of order: the destroy first, the creating event in the middle.
	saveAll(t, s, destroy, lateUpdate, kick, create, enter2, seats, rename, enter1)
	mustSave(t, s, eventOf(SeedSdkAppID, enter2.Command, enter2.Raw), callback.OutcomeDuplicate)

	want := roomOf(create)
	want.Info.RoomName = ptr("renamed")       // the newest update that carries it
	want.Info.MaxMemberCount = ptr[int64](50) // likewise
	want.Info.CustomInfo = ptr("late custom") // a late update still sets what nothing newer set
	want.CallbackCommand = destroy.Command    // the newest create, update or destroy
	want.EventTime = T + 50
	want.DestroyedAt, want.DestroyOperatorAccount = ptr(T+50), ptr("admin")
	want.MemberCount, want.MemberCountAt = ptr[int64](2), ptr(T+30) // the newest member event: the kick
	checkRoomFold(t, s, want)
	checkMembers(t, s, room,
		member(room, "144115233775727695", callback.MemberLeft, ptr(T+20), ptr(T+50), ptr("Destroyed"), nil, T+50),
		member(room, "alice", callback.MemberLeft, ptr(T+20), ptr(T+50), ptr("Destroyed"), nil, T+50),
		member(room, "carol", callback.MemberLeft, ptr(T+20), ptr(T+30), ptr("Kicked"), ptr("spam"), T+30))
	checkSeats(t, s, room,
		&callback.SeatRow{SdkAppID: SeedSdkAppID, RoomID: room, SeatIndex: 0, MemberAccount: ptr("alice"),
			IsVideoDisabled: ptr(true), IsAudioDisabled: ptr(false), EventTime: T + 40},
		&callback.SeatRow{SdkAppID: SeedSdkAppID, RoomID: room, SeatIndex: 1, IsTakenDisabled: ptr(true), EventTime: T + 40})
	if evs := events(t, s, SeedSdkAppID); len(evs) != 8 {
		t.Errorf("archive has %d rows, want 8 (both enters of one millisecond kept)", len(evs))
	}

	// A new life: the re-create's fields only; members and seats stay as they are.
	recreate := minimalEvent(SeedSdkAppID, room, T+60)
	mustSave(t, s, recreate, callback.OutcomeStored)
	want = roomOf(recreate)
	want.MemberCount, want.MemberCountAt = ptr[int64](2), ptr(T+30)
	checkRoomFold(t, s, want)

	// An enter after the re-create, a seat event older than the stored seat: stale.
	mustSave(t, s, seatEvent(room, T+35, callback.Seat{Index: 0, MemberAccount: ptr("bob")}), callback.OutcomeStale)
	checkSeats(t, s, room,
		&callback.SeatRow{SdkAppID: SeedSdkAppID, RoomID: room, SeatIndex: 0, MemberAccount: ptr("alice"),
			IsVideoDisabled: ptr(true), IsAudioDisabled: ptr(false), EventTime: T + 40},
		&callback.SeatRow{SdkAppID: SeedSdkAppID, RoomID: room, SeatIndex: 1, IsTakenDisabled: ptr(true), EventTime: T + 40})
}

func testLateBeforeDestroy(t *testing.T, s Backend) {
	const room = "late-room"
	T := storyT
	saveAll(t, s, createAt(room, T), destroyEvent(room, T+50, "admin"))

	// An enter from before the destroy, delivered after it: the destroy ended it.
	mustSave(t, s, enterEvent(room, T+20, 1, "bob"), callback.OutcomeStored)
	checkMembers(t, s, room, member(room, "bob", callback.MemberLeft, ptr(T+20), ptr(T+50), ptr("Destroyed"), nil, T+50))

	// An earlier destroy, delivered later still: it is the one that ended bob; the room keeps
	// the newest destroy.
	mustSave(t, s, destroyEvent(room, T+40, "other-admin"), callback.OutcomeStored)
	checkMembers(t, s, room, member(room, "bob", callback.MemberLeft, ptr(T+20), ptr(T+40), ptr("Destroyed"), nil, T+40))
	got, err := callback.ReadRoom(t.Context(), s, SeedSdkAppID, room)
	if err != nil {
		t.Fatal(err)
	}
	if got.DestroyedAt == nil || *got.DestroyedAt != T+50 || *got.DestroyOperatorAccount != "admin" {
		t.Errorf("destroyed_at = %v by %v, want the newest destroy, %d by admin", got.DestroyedAt, got.DestroyOperatorAccount, T+50)
	}

	// A leave after both destroys: the newest member event decides.
	mustSave(t, s, leaveEvent(room, T+45, 0, "Leave", nil, "bob"), callback.OutcomeStored)
	checkMembers(t, s, room, member(room, "bob", callback.MemberLeft, ptr(T+20), ptr(T+45), ptr("Leave"), nil, T+45))

	// An enter and a destroy in one millisecond: the destroy sorts after it and ends it.
	mustSave(t, s, enterEvent(room, T+70, 1, "dora"), callback.OutcomeStored)
	mustSave(t, s, destroyEvent(room, T+70, "admin"), callback.OutcomeStored)
	checkMembers(t, s, room,
		member(room, "bob", callback.MemberLeft, ptr(T+20), ptr(T+45), ptr("Leave"), nil, T+45),
		member(room, "dora", callback.MemberLeft, ptr(T+70), ptr(T+70), ptr("Destroyed"), nil, T+70))

	// An enter after the last destroy, with no re-create: the member is in.
	mustSave(t, s, enterEvent(room, T+80, 1, "erin"), callback.OutcomeStored)
	checkMembers(t, s, room,
		member(room, "bob", callback.MemberLeft, ptr(T+20), ptr(T+45), ptr("Leave"), nil, T+45),
		member(room, "dora", callback.MemberLeft, ptr(T+70), ptr(T+70), ptr("Destroyed"), nil, T+70),
		member(room, "erin", callback.MemberIn, ptr(T+80), nil, nil, nil, T+80))
}

func testSameMillisecond(t *testing.T, s Backend) {
	const room = "busy-room"
	T := storyT
	a := enterEvent(room, T, 1, "alice")
	b := enterEvent(room, T, 2, "bob")
	mustSave(t, s, a, callback.OutcomeStored)
	mustSave(t, s, b, callback.OutcomeStored)
	mustSave(t, s, eventOf(SeedSdkAppID, a.Command, a.Raw), callback.OutcomeDuplicate)
	checkEvents(t, s, SeedSdkAppID, a, b)
	checkMembers(t, s, room,
		member(room, "alice", callback.MemberIn, ptr(T), nil, nil, nil, T),
		member(room, "bob", callback.MemberIn, ptr(T), nil, nil, nil, T))

	// Two seat events of one millisecond naming the same seat: the greater body digest wins,
	// whichever arrives first.
	x := seatEvent(room, T+1, callback.Seat{Index: 2, MemberAccount: ptr("alice")})
	y := seatEvent(room, T+1, callback.Seat{Index: 2, MemberAccount: ptr("bob")})
	winner := "alice"
	if digest(y) > digest(x) {
		winner = "bob"
	}
	mustSave(t, s, y, callback.OutcomeStored)
	mustSave(t, s, x, map[bool]callback.Outcome{true: callback.OutcomeStored, false: callback.OutcomeStale}[winner == "alice"])
	checkSeats(t, s, room, &callback.SeatRow{SdkAppID: SeedSdkAppID, RoomID: room, SeatIndex: 2, MemberAccount: ptr(winner), EventTime: T + 1})
}

// testBothSpellings: one update body delivered under both of the update's spellings is two
// events with one digest; the command's name orders them, so the row names the same one
// whichever arrives first.
func testBothSpellings(t *testing.T, s Backend) {
	T := storyT
	for _, room := range []string{"spelling-a", "spelling-b"} {
		saveAll(t, s, createAt(room, T))
		u := updateEvent(SeedSdkAppID, room, T+1, callback.RoomInfo{RoomName: ptr("one body, two names")})
		alt := eventOf(SeedSdkAppID, callback.CommandUpdateRoomAlt, u.Raw)
		first, second := u, alt
		if room == "spelling-b" {
			first, second = alt, u
		}
		mustSave(t, s, first, callback.OutcomeStored)
		mustSave(t, s, second, map[bool]callback.Outcome{true: callback.OutcomeStored, false: callback.OutcomeStale}[second == alt])
		got, err := callback.ReadRoom(t.Context(), s, SeedSdkAppID, room)
		if err != nil {
			t.Fatal(err)
		}
		// "Room.CallbackUpdateRoomInfo" sorts after "Room.CallbackAfterUpdateRoomInfo".
		if got.CallbackCommand != callback.CommandUpdateRoomAlt || *got.Info.RoomName != "one body, two names" {
			t.Errorf("room %q: callback_command %q, room_name %q; want %q, the update's name", room,
				got.CallbackCommand, *got.Info.RoomName, callback.CommandUpdateRoomAlt)
		}
	}
}

func digest(ev *callback.Event) string {
	sum := sha256.Sum256(ev.Raw)
	return hex.EncodeToString(sum[:])
}
