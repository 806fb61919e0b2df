package callback

// The callback commands of the Live family (Tencent TUILiveKit), which roomhook parses.
//
// The room's life, its owner and its members' state are projected on the Room family's tables
// (command.go's registry). Admins, metadata, battles, gifts and the room-count threshold are
// parsed (ParseAdminsModified, ParseMetadataSet, ParseBattle, ParseGift, …) but not yet in the
// registry: until the stores hold their tables, ParsePayload returns nil for them and the
// handler archives them raw under ParseEnvelope's key, as any command it does not project.
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
