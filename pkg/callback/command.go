package callback

import "slices"

// The callback commands roomhook projects. Every other command is archived raw and answered
// OK (see ParseEnvelope).
const (
	CommandCreateRoom = "Room.CallbackAfterCreateRoom"
	CommandUpdateRoom = "Room.CallbackAfterUpdateRoomInfo"
	// CommandUpdateRoomAlt is the same callback as CommandUpdateRoom, spelled as some of
	// Tencent's command lists and its "get callback config" sample spell it.
	CommandUpdateRoomAlt = "Room.CallbackUpdateRoomInfo"
	CommandDestroyRoom   = "Room.CallbackAfterDestroyRoom"
	CommandMemberEnter   = "Room.CallbackAfterMemberEnter"
	CommandMemberLeave   = "Room.CallbackAfterMemberLeave"
	CommandSeatChanged   = "Mic.CallbackAfterSeatInfoChanged"
)

// Payload is the parsed body of a command roomhook projects.
type Payload interface {
	// Key returns the RoomId and EventTime the event is archived under.
	Key() (roomID string, eventTime int64)
	// BodyCommand returns the CallbackCommand the body names ("" when it names none).
	BodyCommand() string
}

// Ranks order the events of one millisecond: what starts a room's life first, what ends it
// last (see project.go). A Live member-state event is one command for going online and
// offline, so it has one rank of its own.
const (
	rankCreate = iota
	rankUpdate
	rankEnter
	rankLeave
	rankMemberState
	rankSeat
	rankDestroy
	rankOther
)

// command is what roomhook knows of one projected command.
type command struct {
	rank  int
	parse func(body []byte) (Payload, error)
}

var commands = map[string]command{
	CommandCreateRoom:    {rankCreate, parser(ParseCreateRoom)},
	CommandUpdateRoom:    {rankUpdate, parser(ParseUpdateRoom)},
	CommandUpdateRoomAlt: {rankUpdate, parser(ParseUpdateRoom)},
	CommandDestroyRoom:   {rankDestroy, parser(ParseDestroyRoom)},
	CommandMemberEnter:   {rankEnter, parser(parseEnter)},
	CommandMemberLeave:   {rankLeave, parser(ParseMembers)},
	CommandSeatChanged:   {rankSeat, parser(ParseSeats)},

	// The Live family (docs/projection.md): the room's life, owner, members and seats on the
	// Room family's tables, admins, metadata, battles and gifts on their own (schema version 3).
	// An admin change and a metadata event rank as an update; a battle's create, start and end
	// as a create, an update and a destroy, so its stages of one millisecond fold in that order.
	// The room-count threshold concerns no room: it is archived raw (and logged, handler.go).
	CommandLiveCreateRoom:     {rankCreate, parser(ParseLiveCreateRoom)},
	CommandLiveUpdateRoom:     {rankUpdate, parser(ParseLiveUpdateRoom)},
	CommandLiveChangeOwner:    {rankUpdate, parser(ParseOwnerChanged)},
	CommandLiveMemberState:    {rankMemberState, parser(ParseLiveMemberState)},
	CommandLiveMemberStateAlt: {rankMemberState, parser(ParseLiveMemberState)},
	CommandLiveDestroyRoom:    {rankDestroy, parser(ParseLiveDestroyRoom)},
	CommandLiveModifyAdmin:    {rankUpdate, parser(ParseAdminsModified)},
	CommandLiveSetMetadata:    {rankUpdate, parser(ParseMetadataSet)},
	CommandLiveDelMetadata:    {rankUpdate, parser(ParseMetadataDeleted)},
	CommandLiveCreateBattle:   {rankCreate, parser(ParseBattle)},
	CommandLiveStartBattle:    {rankUpdate, parser(ParseBattle)},
	CommandLiveEndBattle:      {rankDestroy, parser(ParseBattle)},
	// A gift is not folded: every delivery is one ledger row (see Event.Folded).
	CommandLiveGift: {rankOther, parser(ParseGift)},
}

// parser adapts a command's parser; a failed parse returns a nil Payload, not a typed nil.
func parser[P Payload](parse func([]byte) (P, error)) func([]byte) (Payload, error) {
	return func(b []byte) (Payload, error) {
		p, err := parse(b)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
}

func parseEnter(b []byte) (*MembersChanged, error) {
	m, err := ParseMembers(b)
	if m != nil {
		m.Entered = true
	}
	return m, err
}

// The commands of each kind, as the projection asks the archive for them.
var (
	// foldedCommands are the projected commands whose events are folded in event order: every
	// one but the gift.
	foldedCommands = []string{CommandCreateRoom, CommandUpdateRoom, CommandUpdateRoomAlt, CommandDestroyRoom,
		CommandMemberEnter, CommandMemberLeave, CommandSeatChanged,
		CommandLiveCreateRoom, CommandLiveUpdateRoom, CommandLiveChangeOwner, CommandLiveMemberState,
		CommandLiveMemberStateAlt, CommandLiveDestroyRoom, CommandLiveModifyAdmin, CommandLiveSetMetadata,
		CommandLiveDelMetadata, CommandLiveCreateBattle, CommandLiveStartBattle, CommandLiveEndBattle}
	projectedCommands = append(slices.Clone(foldedCommands), CommandLiveGift)
	// v3Commands are the commands whose rows schema version 3 added: the Live life (its own
	// columns), admins, metadata and battles. Version 2 archived them without those rows.
	v3Commands = []string{CommandLiveCreateRoom, CommandLiveUpdateRoom, CommandLiveDestroyRoom,
		CommandLiveModifyAdmin, CommandLiveSetMetadata, CommandLiveDelMetadata,
		CommandLiveCreateBattle, CommandLiveStartBattle, CommandLiveEndBattle}
	// lifeCommands are folded into the rooms row; an owner change sets only its owner.
	lifeCommands = []string{CommandCreateRoom, CommandUpdateRoom, CommandUpdateRoomAlt, CommandDestroyRoom,
		CommandLiveCreateRoom, CommandLiveUpdateRoom, CommandLiveChangeOwner, CommandLiveDestroyRoom}
	// memberCommands are the member events that carry the room's MemberCount (Live's carry none).
	memberCommands     = []string{CommandMemberEnter, CommandMemberLeave}
	liveMemberCommands = []string{CommandLiveMemberState, CommandLiveMemberStateAlt}
	destroyCommands    = []string{CommandDestroyRoom, CommandLiveDestroyRoom}
	seatCommands       = []string{CommandSeatChanged}
	adminCommands      = []string{CommandLiveModifyAdmin}
	metadataCommands   = []string{CommandLiveSetMetadata, CommandLiveDelMetadata}
	battleCommands     = []string{CommandLiveCreateBattle, CommandLiveStartBattle, CommandLiveEndBattle}
)

// DestroyCommands returns the commands that end a room's life (the Room and Live destroys).
func DestroyCommands() []string { return slices.Clone(destroyCommands) }

// FoldedCommands returns the commands whose events are folded into their room's rows in event
// order (every projected command but the gift). A backend archives them under a key that
// tells a repeat, and saves them holding the room's lock.
func FoldedCommands() []string { return slices.Clone(foldedCommands) }

// V3Commands returns the commands whose rows schema version 3 added (the Live room columns,
// admins, metadata, battles): a store migrated from version 2 refolds each room whose archive
// holds one of them (Refold), and makes the gift ledger from its archived gifts (GiftRowOfArchive).
func V3Commands() []string { return slices.Clone(v3Commands) }

// ProjectedCommands returns the commands roomhook projects.
func ProjectedCommands() []string { return slices.Clone(projectedCommands) }

// Projected reports whether roomhook projects command.
func Projected(command string) bool {
	_, ok := commands[command]
	return ok
}

// ParsePayload parses body as command's. It returns nil, nil for a command roomhook does not
// project, and the parser's error (ErrNotObject, ErrDuplicateField, ErrField) otherwise.
func ParsePayload(command string, body []byte) (Payload, error) {
	c, ok := commands[command]
	if !ok {
		return nil, nil
	}
	return c.parse(body)
}

// sameCommand reports whether a and b name one command: equal, or two spellings of the Room
// update or of the Live member state (a sender mixing them loses nothing).
func sameCommand(a, b string) bool {
	return a == b || (isUpdate(a) && isUpdate(b)) || (isMemberState(a) && isMemberState(b))
}

// isUpdate reports whether cmd is the Room update, in either spelling.
func isUpdate(cmd string) bool { return cmd == CommandUpdateRoom || cmd == CommandUpdateRoomAlt }

// isMemberState reports whether cmd is the Live member state, in either spelling.
func isMemberState(cmd string) bool {
	return cmd == CommandLiveMemberState || cmd == CommandLiveMemberStateAlt
}

func rankOf(cmd string) int {
	if c, ok := commands[cmd]; ok {
		return c.rank
	}
	return rankOther
}
