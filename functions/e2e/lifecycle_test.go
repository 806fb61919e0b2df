package e2e

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// The lifecycle test: a generated lifecycle of several rooms, every Room callback the function
// projects, sent through both real runtimes to every reachable backend in three deliveries —
// in EventTime order, in a random order with duplicates, and from 16 instances at once — and
// the rows each delivery leaves compared with a fold of the lifecycle written here by hand,
// independently of the domain's projection. updated_at records the delivery, not the fold, and
// is left out of the comparison.

// lcAccount is the 18-digit account Tencent sends as a JSON number.
const lcAccount = "144115233775727695"

// Fold order within one millisecond, as the rule documents it: create, update, member enter,
// member leave, seat change, destroy; then the SHA-256 of the body, lowercase hex.
var lcRank = map[string]int{
	callback.CommandCreateRoom: 0, callback.CommandUpdateRoom: 1, callback.CommandUpdateRoomAlt: 1,
	callback.CommandMemberEnter: 2, callback.CommandMemberLeave: 3, callback.CommandSeatChanged: 4,
	callback.CommandDestroyRoom: 5,
}

// lcField is one RoomInfo field of a create or an update, with its JSON value.
type lcField struct {
	name  string // JSON name in RoomInfo
	value any    // string, int64 or bool
}

// lcSeat is one SeatList entry.
type lcSeat struct {
	index               int64
	account             string // "" is an empty seat
	accountAbsent       bool   // Member_Account left out: an empty seat too
	taken, video, audio bool
	takenAsString       bool // IsTakenDisabled sent as "true" / "false"
}

// lcEvent is one callback of the lifecycle, what it means and its body.
type lcEvent struct {
	room, command string
	time          int64
	// create, update: the RoomInfo fields carried; create: the invitees.
	info     []lcField
	invitees []string
	operator string
	// enter, leave: the accounts listed, MemberCount, Type and Reason (leave).
	members     []string
	memberCount int64
	typ, reason string
	seats       []lcSeat
	// late marks an event generated after the destroy that follows it in EventTime: the
	// random delivery sends it after that destroy.
	late         bool
	body, digest string
}

// jsonValue writes v as JSON.
func jsonValue(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	}
	panic(fmt.Sprintf("no JSON for %T", v))
}

// account writes an account as Tencent does: the 18-digit one as a number.
func account(a string) string {
	if a == lcAccount {
		return a
	}
	return strconv.Quote(a)
}

// encode writes the event's body by hand, in Tencent's field order, and its digest.
func (e *lcEvent) encode() {
	var b strings.Builder
	fmt.Fprintf(&b, `{"CallbackCommand":%q`, e.command)
	if e.operator != "" {
		fmt.Fprintf(&b, `,"Operator_Account":%s`, account(e.operator))
	}
	switch e.command {
	case callback.CommandCreateRoom, callback.CommandUpdateRoom, callback.CommandUpdateRoomAlt:
		fmt.Fprintf(&b, `,"RoomInfo":{"RoomId":%q`, e.room)
		for _, f := range e.info {
			fmt.Fprintf(&b, `,%q:%s`, f.name, jsonValue(f.value))
		}
		b.WriteString("}")
		if e.invitees != nil {
			var as []string
			for _, a := range e.invitees {
				as = append(as, account(a))
			}
			fmt.Fprintf(&b, `,"ScheduleInviteeList_Account":[%s]`, strings.Join(as, ","))
		}
	case callback.CommandDestroyRoom:
		fmt.Fprintf(&b, `,"RoomId":%q`, e.room)
	case callback.CommandMemberEnter, callback.CommandMemberLeave:
		fmt.Fprintf(&b, `,"RoomId":%q,"MemberCount":%d,"Type":%q`, e.room, e.memberCount, e.typ)
		if e.reason != "" {
			fmt.Fprintf(&b, `,"Reason":%q`, e.reason)
		}
		var as []string
		for _, a := range e.members {
			as = append(as, account(a))
		}
		fmt.Fprintf(&b, `,"MemberList_Account":[%s]`, strings.Join(as, ","))
	case callback.CommandSeatChanged:
		fmt.Fprintf(&b, `,"RoomId":%q,"SeatList":[`, e.room)
		for i, s := range e.seats {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"Index":%d`, s.index)
			if !s.accountAbsent {
				fmt.Fprintf(&b, `,"Member_Account":%s`, account(s.account))
			}
			taken := strconv.FormatBool(s.taken)
			if s.takenAsString {
				taken = strconv.Quote(taken) // Tencent's samples send booleans as strings too
			}
			fmt.Fprintf(&b, `,"IsTakenDisabled":%s,"IsVideoDisabled":%t,"IsAudioDisabled":%t}`, taken, s.video, s.audio)
		}
		b.WriteString("]")
	}
	fmt.Fprintf(&b, `,"EventTime":%d}`, e.time)
	e.body = b.String()
	sum := sha256.Sum256([]byte(e.body))
	e.digest = hex.EncodeToString(sum[:])
}

// lifecycle generates the lifecycle of four rooms from seed: each is created, updated in part
// with both spellings of the update, entered by two members in the same millisecond (one of
// them the 18-digit account) and by a third later, given seats by two seat changes of one
// millisecond, a member kicked with a reason and one leaving, destroyed with a member still in;
// an enter at the destroy's millisecond (which the destroy ends), an update from before the
// destroy; rooms 0 and 2 are created again and lived on (re-entered, updated, re-seated), room
// 3 is updated before it is created. Equal EventTimes across commands are frequent by design.
func lifecycle(seed uint64) []*lcEvent {
	rng := rand.New(rand.NewPCG(seed, 13))
	rooms := []string{"lc-standup", "周会-🚀 lifecycle", "lc-" + strings.Repeat("x", 40), "lc-update-first"}
	var out []*lcEvent
	add := func(e *lcEvent) { e.encode(); out = append(out, e) }
	pick := func(fs []lcField) []lcField { // a partial update: a random, non-empty subset
		var sub []lcField
		for _, f := range fs {
			if rng.IntN(2) == 0 {
				sub = append(sub, f)
			}
		}
		if len(sub) == 0 {
			sub = fs[:1]
		}
		return sub
	}
	for r, room := range rooms {
		t := int64(1764093600000) + int64(r)*1_000_000
		step := func() int64 { t += 1 + int64(rng.IntN(40)); return t }
		life := func(n int) []lcField {
			return []lcField{
				{"RoomName", fmt.Sprintf("%s, life %d", room, n)}, {"RoomType", "Meeting"},
				{"Owner_Account", "alice"}, {"MaxMemberCount", int64(100 * (n + r))}, {"MaxSeatCount", int64(8)},
				{"IsVideoDisabled", rng.IntN(2) == 0}, {"IsAudioDisabled", false}, {"IsMessageDisabled", rng.IntN(2) == 0},
				{"CustomInfo", fmt.Sprintf("custom-%d-%d", r, n)}, {"ScheduleStartTime", t / 1000}, {"RoomStatus", "Running"},
				{"IsSeatEnabled", true}, {"TakeSeatMode", "ApplyToTake"}, {"CreateTime", t / 1000},
			}
		}
		updates := []lcField{
			{"RoomName", fmt.Sprintf("%s renamed %d", room, rng.IntN(1000))}, {"Owner_Account", "bob"},
			{"TakeSeatMode", "FreeToTake"}, {"MaxMemberCount", int64(rng.IntN(500) + 1)},
			{"IsVideoDisabled", rng.IntN(2) == 0}, {"IsAudioDisabled", rng.IntN(2) == 0},
			{"IsMessageDisabled", rng.IntN(2) == 0}, {"IsScreenSharingDisabled", rng.IntN(2) == 0},
			{"IsCloudRecordingDisabled", rng.IntN(2) == 0}, {"CustomInfo", fmt.Sprintf("agenda %d", rng.IntN(1000))},
		}
		if r == 3 {
			// An update before the room's first create starts the row with what it carries.
			add(&lcEvent{room: room, command: callback.CommandUpdateRoom, time: step(), operator: "bob", info: pick(updates)})
		}
		add(&lcEvent{room: room, command: callback.CommandCreateRoom, time: step(), operator: "admin",
			info: life(1), invitees: []string{"bob", lcAccount, "bob"}})
		add(&lcEvent{room: room, command: callback.CommandUpdateRoom, time: step(), operator: "alice", info: pick(updates)})
		// Two members enter in the same millisecond, each in a callback of its own.
		both := step()
		add(&lcEvent{room: room, command: callback.CommandMemberEnter, time: both, operator: "alice", members: []string{"alice"}, memberCount: 1, typ: "Enter"})
		add(&lcEvent{room: room, command: callback.CommandMemberEnter, time: both, operator: lcAccount, members: []string{lcAccount}, memberCount: 2, typ: "Enter"})
		// Two seat changes in one millisecond, of different seats.
		seats := step()
		add(&lcEvent{room: room, command: callback.CommandSeatChanged, time: seats, operator: "alice", seats: []lcSeat{
			{index: 0, account: "alice"}, {index: 1, account: lcAccount, video: true}}})
		add(&lcEvent{room: room, command: callback.CommandSeatChanged, time: seats, operator: "alice", seats: []lcSeat{
			{index: 2, account: "", taken: true, takenAsString: true}, {index: 3, accountAbsent: true}}})
		add(&lcEvent{room: room, command: callback.CommandMemberEnter, time: step(), operator: "carol", members: []string{"carol", "carol"}, memberCount: 3, typ: "Enter"})
		add(&lcEvent{room: room, command: callback.CommandUpdateRoomAlt, time: step(), operator: "alice", info: pick(updates)})
		add(&lcEvent{room: room, command: callback.CommandMemberLeave, time: step(), operator: "alice", members: []string{"carol"}, memberCount: 2, typ: "Kicked", reason: "kicked by the host"})
		add(&lcEvent{room: room, command: callback.CommandSeatChanged, time: step(), operator: "alice", seats: []lcSeat{
			{index: 1, account: "", audio: true}}})
		late := step() // an update from before the destroy, generated (and sent in order) after it
		add(&lcEvent{room: room, command: callback.CommandMemberLeave, time: step(), operator: lcAccount, members: []string{lcAccount}, memberCount: 1, typ: "Leave"})
		destroyed := step()
		// An enter at the destroy's millisecond: the destroy, ranked last, ends it.
		add(&lcEvent{room: room, command: callback.CommandMemberEnter, time: destroyed, operator: "dave", members: []string{"dave"}, memberCount: 2, typ: "Enter"})
		add(&lcEvent{room: room, command: callback.CommandDestroyRoom, time: destroyed, operator: "alice"})
		add(&lcEvent{room: room, command: callback.CommandUpdateRoomAlt, time: late, operator: "alice", info: pick(updates), late: true})
		if r%2 == 0 {
			// Created again: a new life, and members and seats go on.
			add(&lcEvent{room: room, command: callback.CommandCreateRoom, time: step(), operator: "bob", info: life(2)})
			add(&lcEvent{room: room, command: callback.CommandMemberEnter, time: step(), operator: "alice", members: []string{"alice", "erin"}, memberCount: 2, typ: "Enter"})
			add(&lcEvent{room: room, command: callback.CommandUpdateRoom, time: step(), operator: "bob", info: pick(updates)})
			add(&lcEvent{room: room, command: callback.CommandSeatChanged, time: step(), operator: "bob", seats: []lcSeat{
				{index: 0, account: "erin", taken: true}, {index: 5, account: "alice"}}})
			add(&lcEvent{room: room, command: callback.CommandMemberLeave, time: step(), operator: "erin", members: []string{"erin"}, memberCount: 1, typ: "Expired", reason: "heartbeat lost"})
		}
	}
	return out
}

// lcFold is the oracle: the rows the rule gives for the room's events, folded here in event
// order — EventTime, then the command's rank, then the body's digest.
func lcFold(app int64, room string, all []*lcEvent) samples.Rows {
	var evs []*lcEvent
	for _, e := range all {
		if e.room == room {
			evs = append(evs, e)
		}
	}
	slices.SortFunc(evs, func(a, b *lcEvent) int {
		return cmp.Or(cmp.Compare(a.time, b.time), cmp.Compare(lcRank[a.command], lcRank[b.command]), strings.Compare(a.digest, b.digest))
	})
	var rows samples.Rows
	// What decides a member's row: its newest member event, and its newest enter.
	type member struct {
		lastIsEnter              bool
		lastEnterAt, lastEventAt int64
		leaveType, leaveReason   string
		hasReason                bool
	}
	members := map[string]*member{}
	seats := map[int64]*callback.SeatRow{}
	var room0 *callback.RoomRow
	var count, countAt *int64
	var destroys []int64
	for _, e := range evs {
		switch e.command {
		case callback.CommandCreateRoom:
			room0 = &callback.RoomRow{SdkAppID: app, Info: callback.RoomInfo{RoomID: room}}
			for _, f := range e.info {
				setInfo(&room0.Info, f)
			}
			room0.OperatorAccount = ptr(e.operator)
			if e.invitees != nil {
				for _, a := range e.invitees {
					if !slices.Contains(room0.ScheduleInviteeList, a) {
						room0.ScheduleInviteeList = append(room0.ScheduleInviteeList, a)
					}
				}
			}
		case callback.CommandUpdateRoom, callback.CommandUpdateRoomAlt:
			if room0 == nil {
				room0 = &callback.RoomRow{SdkAppID: app, Info: callback.RoomInfo{RoomID: room}}
			}
			for _, f := range e.info {
				setInfo(&room0.Info, f)
			}
		case callback.CommandDestroyRoom:
			if room0 == nil {
				room0 = &callback.RoomRow{SdkAppID: app, Info: callback.RoomInfo{RoomID: room}}
			}
			room0.DestroyedAt, room0.DestroyOperatorAccount = ptr(e.time), ptr(e.operator)
			destroys = append(destroys, e.time)
		case callback.CommandMemberEnter, callback.CommandMemberLeave:
			count, countAt = ptr(e.memberCount), ptr(e.time)
			for _, a := range e.members {
				m := members[a]
				if m == nil {
					m = &member{}
					members[a] = m
				}
				m.lastEventAt = e.time
				if e.command == callback.CommandMemberEnter {
					m.lastIsEnter, m.lastEnterAt = true, e.time
				} else {
					m.lastIsEnter, m.leaveType, m.leaveReason, m.hasReason = false, e.typ, e.reason, e.reason != ""
				}
			}
		case callback.CommandSeatChanged:
			for _, s := range e.seats {
				row := &callback.SeatRow{SdkAppID: app, RoomID: room, SeatIndex: s.index,
					IsTakenDisabled: ptr(s.taken), IsVideoDisabled: ptr(s.video), IsAudioDisabled: ptr(s.audio), EventTime: e.time}
				if s.account != "" && !s.accountAbsent {
					row.MemberAccount = ptr(s.account)
				}
				seats[s.index] = row
			}
		}
		if e.command == callback.CommandCreateRoom || e.command == callback.CommandUpdateRoom ||
			e.command == callback.CommandUpdateRoomAlt || e.command == callback.CommandDestroyRoom {
			room0.CallbackCommand, room0.EventTime = e.command, e.time
		}
	}
	if room0 != nil {
		room0.MemberCount, room0.MemberCountAt = count, countAt
		rows.Room = room0
	}
	for a, m := range members {
		row := callback.MemberRow{SdkAppID: app, RoomID: room, MemberAccount: a}
		if m.lastEnterAt != 0 {
			row.EnteredAt = ptr(m.lastEnterAt)
		}
		// A destroy at or after the newest enter (a destroy ranks after the enters of its
		// millisecond) ends the member.
		var end *int64
		if m.lastIsEnter {
			for _, d := range destroys {
				if d >= m.lastEventAt && (end == nil || d < *end) {
					end = ptr(d)
				}
			}
		}
		switch {
		case m.lastIsEnter && end == nil:
			row.State, row.EventTime = callback.MemberIn, m.lastEventAt
		case m.lastIsEnter:
			row.State, row.LeftAt, row.LeaveType, row.EventTime = callback.MemberLeft, end, ptr(callback.LeaveDestroyed), *end
		default:
			row.State, row.LeftAt, row.LeaveType, row.EventTime = callback.MemberLeft, ptr(m.lastEventAt), ptr(m.leaveType), m.lastEventAt
			if m.hasReason {
				row.LeaveReason = ptr(m.leaveReason)
			}
		}
		rows.Members = append(rows.Members, &row)
	}
	slices.SortFunc(rows.Members, func(a, b *callback.MemberRow) int { return strings.Compare(a.MemberAccount, b.MemberAccount) })
	for _, s := range seats {
		rows.Seats = append(rows.Seats, s)
	}
	slices.SortFunc(rows.Seats, func(a, b *callback.SeatRow) int { return cmp.Compare(a.SeatIndex, b.SeatIndex) })
	return rows
}

func setInfo(i *callback.RoomInfo, f lcField) {
	s, _ := f.value.(string)
	n, _ := f.value.(int64)
	b, _ := f.value.(bool)
	switch f.name {
	case "RoomName":
		i.RoomName = ptr(s)
	case "RoomType":
		i.RoomType = ptr(s)
	case "Owner_Account":
		i.OwnerAccount = ptr(s)
	case "MaxMemberCount":
		i.MaxMemberCount = ptr(n)
	case "MaxSeatCount":
		i.MaxSeatCount = ptr(n)
	case "IsVideoDisabled":
		i.IsVideoDisabled = ptr(b)
	case "IsAudioDisabled":
		i.IsAudioDisabled = ptr(b)
	case "IsMessageDisabled":
		i.IsMessageDisabled = ptr(b)
	case "IsScreenSharingDisabled":
		i.IsScreenSharingDisabled = ptr(b)
	case "IsCloudRecordingDisabled":
		i.IsCloudRecordingDisabled = ptr(b)
	case "CustomInfo":
		i.CustomInfo = ptr(s)
	case "ScheduleStartTime":
		i.ScheduleStartTime = ptr(n)
	case "ScheduleEndTime":
		i.ScheduleEndTime = ptr(n)
	case "RoomStatus":
		i.RoomStatus = ptr(s)
	case "IsSeatEnabled":
		i.IsSeatEnabled = ptr(b)
	case "TakeSeatMode":
		i.TakeSeatMode = ptr(s)
	case "CreateTime":
		i.CreateTime = ptr(n)
	default:
		panic("no RoomInfo field " + f.name)
	}
}

func ptr[T any](v T) *T { return &v }

// lcDelivery is one way of sending the lifecycle: the events in the order sent, and how many
// instances send them at once.
type lcDelivery struct {
	name      string
	order     []*lcEvent
	instances int
}

func lcDeliveries(evs []*lcEvent, seed uint64) []lcDelivery {
	sorted := slices.Clone(evs)
	slices.SortStableFunc(sorted, func(a, b *lcEvent) int { return cmp.Compare(a.time, b.time) })
	rng := rand.New(rand.NewPCG(seed, 31))
	shuffled := slices.Clone(evs)
	for range len(evs) / 3 { // a third again: retries
		shuffled = append(shuffled, evs[rng.IntN(len(evs))])
	}
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	// Each late event comes after its room's destroy, as a delayed retry would.
	for i, e := range shuffled {
		if !e.late {
			continue
		}
		for j := i + 1; j < len(shuffled); j++ {
			if d := shuffled[j]; d.room == e.room && d.command == callback.CommandDestroyRoom {
				shuffled[i], shuffled[j] = d, e
				break
			}
		}
	}
	return []lcDelivery{
		{"sorted", sorted, 1},
		{"random with duplicates", shuffled, 1},
		{"16 at once", shuffled, 16},
	}
}

// TestLifecycle sends the lifecycle, in each delivery, through each platform to each reachable
// backend, and requires every answer to be 200 OK, every event archived once, and every room's
// rows to equal the fold: so the rows are identical across platforms, backends and deliveries.
func TestLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both functions and the Runtime Interface Emulator; skipped with -short")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ROOMHOOK_E2E_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("ROOMHOOK_E2E_SEED: %v", err)
		}
	}
	t.Logf("lifecycle seed %d (ROOMHOOK_E2E_SEED=%d repeats this run)", seed, seed)
	evs := lifecycle(seed)
	var roomIDs []string
	for _, e := range evs {
		if !slices.Contains(roomIDs, e.room) {
			roomIDs = append(roomIDs, e.room)
		}
	}
	deliveries := lcDeliveries(evs, seed)
	t.Logf("%d events in %d rooms; %d deliveries per (backend, platform, order)", len(evs), len(roomIDs), len(deliveries[1].order))

	rie, bootstrap, scfMain := buildFunctions(t)
	dir := t.TempDir()
	backends := []struct{ name, url string }{{"sqlite", "sqlite://" + filepath.Join(dir, "lifecycle.db")}}
	for _, b := range []struct{ name, env string }{{"postgres", "ROOMHOOK_TEST_POSTGRES"}, {"mysql", "ROOMHOOK_TEST_MYSQL"}, {"dynamodb", "ROOMHOOK_TEST_DYNAMODB"}} {
		if u := os.Getenv(b.env); u != "" {
			backends = append(backends, struct{ name, url string }{b.name, u})
		} else {
			t.Logf("%s not set: the %s backend is left out", b.env, b.name)
		}
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		t.Setenv("AWS_ACCESS_KEY_ID", "e2e")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "e2e")
	}

	var mu sync.Mutex
	reference := map[string]string{} // room → rows, from the first run to finish
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			if b.name != "sqlite" {
				// The servers run side by side; SQLite runs first, alone: sixteen instances
				// writing one file wait on its lock, and a busy machine would stretch that
				// past the platforms' 3 s.
				t.Parallel()
			}
			for _, platform := range platforms {
				for _, d := range deliveries {
					t.Run(platform+"/"+d.name, func(t *testing.T) {
						app := freshApp(t)
						start := time.Now()
						sendLifecycle(t, rie, bootstrap, scfMain, platform, b.url, app, d)
						sent := time.Since(start)
						rd := openReader(t, b.url)
						evsKept, err := rd.r.Events(t.Context(), app)
						if err != nil {
							t.Fatal(err)
						}
						if len(evsKept) != len(evs) {
							t.Errorf("%d archive rows, want %d: each event once", len(evsKept), len(evs))
						}
						for _, room := range roomIDs {
							got, err := samples.Read(t.Context(), rd.r, app, room)
							if err != nil {
								t.Fatal(err)
							}
							if diff := samples.Diff(got, lcFold(app, room, evs)); diff != "" {
								t.Errorf("room %q is not the fold of its events:\n%s", room, diff)
							}
							g := withoutApp(got).String()
							mu.Lock()
							if ref, ok := reference[room]; !ok {
								reference[room] = g
							} else if ref != g {
								t.Errorf("room %q differs from another run's:\n got  %s\n want %s", room, g, ref)
							}
							mu.Unlock()
						}
						t.Logf("%d events sent by %d instance(s) in %v", len(d.order), d.instances, sent.Round(time.Millisecond))
					})
				}
			}
		})
	}
}

// sendLifecycle sends d's events, signed, through platform's function with the store at
// storeURL for app, from d.instances instances at once, each event answered 200 OK.
func sendLifecycle(t *testing.T, rie, bootstrap, scfMain, platform, storeURL string, app int64, d lcDelivery) {
	t.Helper()
	appID := strconv.FormatInt(app, 10)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"ROOMHOOK_SDKAPPID=" + appID, "ROOMHOOK_CALLBACK_TOKEN=" + token, "ROOMHOOK_STORE=" + storeURL,
		"ROOMHOOK_STORE_TIMEOUT=10s", "AWS_ACCESS_KEY_ID=e2e", "AWS_SECRET_ACCESS_KEY=e2e", "AWS_REGION=us-east-1",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=15"}
	wrap := lambdaEvent
	if platform == "scf" {
		wrap = scfEvent
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	logs := &lockedWriter{w: &strings.Builder{}}
	rts := make([]localinvoke.Runtime, d.instances)
	var wg sync.WaitGroup
	errs := make([]error, d.instances)
	for i := range rts {
		wg.Go(func() {
			if platform == "lambda" {
				rts[i], errs[i] = localinvoke.StartLambda(ctx, rie, bootstrap, localinvoke.Options{Env: env, Stderr: logs})
			} else {
				rts[i], errs[i] = localinvoke.StartSCF(ctx, scfMain, localinvoke.Options{Env: env, Stderr: logs})
			}
		})
	}
	wg.Wait()
	defer func() {
		for _, rt := range rts {
			if rt != nil {
				rt.Close()
			}
		}
		if t.Failed() {
			t.Logf("function output:\n%s", logs.String())
		}
	}()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	next := make(chan *lcEvent)
	go func() {
		defer close(next)
		for _, e := range d.order {
			select {
			case next <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	var failMu sync.Mutex
	var failures []string
	for _, rt := range rts {
		wg.Go(func() {
			for e := range next {
				out, err := rt.Invoke(ctx, wrap(appID, delivery{method: "POST", command: e.command, body: e.body, signed: true}))
				status, serr := localinvoke.StatusCode(out)
				if err != nil || serr != nil || status != 200 || !strings.Contains(string(out), `\"ActionStatus\":\"OK\"`) {
					failMu.Lock()
					failures = append(failures, fmt.Sprintf("%s %s@%d: %v %v %s", e.command, e.room, e.time, err, serr, out))
					failMu.Unlock()
					cancel()
				}
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d deliveries not answered 200 OK, e.g. %s", len(failures), failures[0])
	}
}
