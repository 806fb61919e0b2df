package storetest

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The suite's events carry bodies that say what their payloads say: the projection reads
// archived bodies back (a room's creates and updates are folded from the archive), so an
// event whose Raw disagreed with its Payload would test nothing real. Bodies are written here
// from the suite's own values and parsed back by the core's parser (eventOf).

// eventOf builds the event of a projected command from its body, as the core would: the payload
// is the parser's, the archive key the payload's. It panics on a body the parser refuses: the
// suite only writes valid ones.
func eventOf(app int64, command string, body []byte) *callback.Event {
	p, err := callback.ParsePayload(command, body)
	if err != nil || p == nil {
		panic("storetest: a body of " + command + " the parser refuses: " + string(body))
	}
	room, at := p.Key()
	return &callback.Event{
		SdkAppID:    app,
		Command:     command,
		RoomID:      room,
		EventTime:   at,
		ClientIP:    "198.51.100.7",
		OptPlatform: "Web",
		RequestID:   "req-" + command,
		ReceivedAt:  receivedAt,
		Raw:         body,
		Payload:     p,
	}
}

// object is a JSON object whose members keep the order they were added in.
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

func (o *object) set(k string, v any) *object {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
	return o
}

// opt sets k when p is not nil.
func opt[T any](o *object, k string, p *T) {
	if p != nil {
		o.set(k, *p)
	}
}

func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// account writes an account as Tencent sometimes does: an 18-digit numeric id as a JSON number.
func account(a string) any {
	if len(a) == 18 && strings.Trim(a, "0123456789") == "" {
		return json.Number(a)
	}
	return a
}

func accounts(list []string) []any {
	out := make([]any, len(list))
	for i, a := range list {
		out[i] = account(a)
	}
	return out
}

func body(o *object) []byte {
	b, err := marshal(o)
	if err != nil {
		panic(err)
	}
	return b
}

func roomInfo(i *callback.RoomInfo) *object {
	o := newObject().set("RoomId", i.RoomID)
	opt(o, "RoomName", i.RoomName)
	opt(o, "RoomType", i.RoomType)
	if i.OwnerAccount != nil {
		o.set("Owner_Account", account(*i.OwnerAccount))
	}
	opt(o, "MaxMemberCount", i.MaxMemberCount)
	opt(o, "MaxSeatCount", i.MaxSeatCount)
	opt(o, "IsVideoDisabled", i.IsVideoDisabled)
	opt(o, "IsAudioDisabled", i.IsAudioDisabled)
	opt(o, "IsMessageDisabled", i.IsMessageDisabled)
	opt(o, "IsScreenSharingDisabled", i.IsScreenSharingDisabled)
	opt(o, "IsCloudRecordingDisabled", i.IsCloudRecordingDisabled)
	opt(o, "CustomInfo", i.CustomInfo)
	opt(o, "ScheduleStartTime", i.ScheduleStartTime)
	opt(o, "ScheduleEndTime", i.ScheduleEndTime)
	opt(o, "RoomStatus", i.RoomStatus)
	opt(o, "IsSeatEnabled", i.IsSeatEnabled)
	opt(o, "TakeSeatMode", i.TakeSeatMode)
	opt(o, "CreateTime", i.CreateTime)
	return o
}

func withOperator(o *object, op *string) {
	if op != nil {
		o.set("Operator_Account", account(*op))
	}
}

func createBody(rc *callback.RoomCreated) []byte {
	o := newObject().set("CallbackCommand", callback.CommandCreateRoom)
	withOperator(o, rc.OperatorAccount)
	o.set("RoomInfo", roomInfo(&rc.RoomInfo))
	if rc.ScheduleInviteeList != nil {
		o.set("ScheduleInviteeList_Account", accounts(rc.ScheduleInviteeList))
	}
	return body(o.set("EventTime", rc.EventTime))
}

// updateEvent is an update of room at t carrying the fields of info that are set.
func updateEvent(app int64, room string, t int64, info callback.RoomInfo) *callback.Event {
	info.RoomID = room
	o := newObject().set("CallbackCommand", callback.CommandUpdateRoom).set("Operator_Account", "owner")
	o.set("RoomInfo", roomInfo(&info)).set("EventTime", t)
	return eventOf(app, callback.CommandUpdateRoom, body(o))
}

func destroyBody(room string, op *string, t int64) []byte {
	o := newObject().set("CallbackCommand", callback.CommandDestroyRoom)
	withOperator(o, op)
	return body(o.set("RoomId", room).set("EventTime", t))
}

func membersBody(command, room string, count *int64, typ, reason *string, members []string, t int64) []byte {
	o := newObject().set("CallbackCommand", command).set("Operator_Account", "owner").set("RoomId", room)
	opt(o, "MemberCount", count)
	opt(o, "Type", typ)
	opt(o, "Reason", reason)
	return body(o.set("MemberList_Account", accounts(members)).set("EventTime", t))
}

func seatsBody(room string, seats []callback.Seat, t int64) []byte {
	return seatsBodyBy(room, ptr("owner"), seats, t)
}

// seatsBodyBy is a seat change by op; a nil op writes none, as the Live family sends it.
func seatsBodyBy(room string, op *string, seats []callback.Seat, t int64) []byte {
	list := make([]any, len(seats))
	for i, s := range seats {
		e := newObject().set("Index", s.Index)
		if s.MemberAccount != nil {
			e.set("Member_Account", account(*s.MemberAccount))
		}
		opt(e, "IsTakenDisabled", s.IsTakenDisabled)
		opt(e, "IsVideoDisabled", s.IsVideoDisabled)
		opt(e, "IsAudioDisabled", s.IsAudioDisabled)
		list[i] = e
	}
	o := newObject().set("CallbackCommand", callback.CommandSeatChanged)
	withOperator(o, op)
	return body(o.set("RoomId", room).set("SeatList", list).set("EventTime", t))
}

// withTime returns a create event like ev at EventTime t, its body rewritten.
func withTime(ev *callback.Event, t int64) *callback.Event {
	rc := created(ev)
	rc.EventTime, ev.EventTime = t, t
	ev.Raw = createBody(rc)
	return ev
}
