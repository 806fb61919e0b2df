package storetest

import (
	"slices"

	"github.com/roomhook/roomhook/pkg/callback"
)

// What schema version 2's code did with an event, for the backends' tests of the migration to
// version 3 (they write a version-2 store as version 2 left it).

// V2Projected are the commands version 2 projected, and so archived under their payload's key;
// it archived every other command raw, under ParseEnvelope's key.
var V2Projected = []string{callback.CommandCreateRoom, callback.CommandUpdateRoom, callback.CommandUpdateRoomAlt,
	callback.CommandDestroyRoom, callback.CommandMemberEnter, callback.CommandMemberLeave, callback.CommandSeatChanged,
	callback.CommandLiveCreateRoom, callback.CommandLiveUpdateRoom, callback.CommandLiveChangeOwner,
	callback.CommandLiveMemberState, callback.CommandLiveMemberStateAlt, callback.CommandLiveDestroyRoom}

// AsVersion2 returns ev as version 2's core handed it to its store: unchanged for a command it
// projected; for any other, without payload, under its envelope's RoomId and EventTime (a
// battle stage, whose body has no RoomId, under room "").
func AsVersion2(ev *callback.Event) (*callback.Event, error) {
	if slices.Contains(V2Projected, ev.Command) {
		return ev, nil
	}
	env, err := callback.ParseEnvelope(ev.Raw)
	if err != nil {
		return nil, err
	}
	v2 := *ev
	v2.RoomID, v2.EventTime, v2.Payload = env.RoomID, env.EventTime, nil
	return &v2, nil
}
