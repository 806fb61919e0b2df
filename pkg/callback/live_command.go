package callback

// The callback commands of the Live family (Tencent TUILiveKit), which roomhook parses and
// projects (command.go's registry): the room's life, its owner and its members' state on the
// Room family's tables, admins, metadata, battles and gifts on their own (live_project.go). The
// room-count threshold concerns no room: it is archived under ParseEnvelope's key, as any
// command roomhook does not project, and logged (handler.go).
const (
	CommandLiveCreateRoom  = "Live.CallbackAfterCreateRoom"
	CommandLiveUpdateRoom  = "Live.CallbackAfterUpdateRoomInfo"
	CommandLiveDestroyRoom = "Live.CallbackAfterDestroyRoom"
	// CommandLiveMemberState reports viewers going online or offline in a live room.
	CommandLiveMemberState = "Live.CallbackAfterMemberStateChanged"
	// CommandLiveMemberStateAlt is the same callback as CommandLiveMemberState, spelled as some
	// of Tencent's command tables spell it.
	CommandLiveMemberStateAlt = "Live.CallbackMemberStateChanged"
	CommandLiveChangeOwner    = "Live.CallbackAfterChangeOwner"
	CommandLiveModifyAdmin    = "Live.CallbackAfterModifyAdmin"
	CommandLiveSetMetadata    = "Live.CallbackAfterSetMetadata"
	CommandLiveDelMetadata    = "Live.CallbackAfterDelMetadata"
	CommandLiveCreateBattle   = "Live.CallbackAfterCreateBattle"
	CommandLiveStartBattle    = "Live.CallbackAfterStartBattle"
	CommandLiveEndBattle      = "Live.CallbackAfterEndBattle"
	// CommandLiveGift is blocking: Tencent rejects the gift on a non-zero ErrorCode and when no
	// answer comes within 2 s.
	CommandLiveGift = "Live.CallbackBeforeSendGift"
	// CommandLiveThreshold is app-wide: the app's live room count reached its threshold.
	CommandLiveThreshold = "Live.CallbackAfterCreateRoomReachingThreshold"
)
