package callback

// The callback commands of the Live family (Tencent TUILiveKit), which roomhook parses.
//
// They are not yet in command.go's registry (the commands map, projectedCommands and the
// kind lists): until the stores hold the Live tables, ParsePayload returns nil for them and the
// handler archives them raw under ParseEnvelope's key, as any command it does not project.
// Their parsers (ParseLiveCreateRoom, ParseLiveMemberState, ParseBattle, …) are ready for the
// registry to name.
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
