package callback

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// The projection: what each command means for the rows, written once for every backend.
//
// The rule (docs/projection.md): a room's rows are the fold of its events in event order, so
// that any delivery order, any duplicate and any concurrency leave the same rows. Event order
// is EventTime, then the command's rank (create, update, member enter, member leave, seat
// change, destroy: a destroy ends what happened in its millisecond, a create starts it), then
// the SHA-256 of the body in hex, which tells apart two different events of one command in the
// same millisecond and is the same for every delivery of one event, then the command's name
// (one body under both spellings of the update).
//
// A backend does not know what a command means. Within one save it offers a Tx on the event's
// room: rows to get and put, the room's rows of a table, and the room's archived events. It
// holds the room locked for the whole save, so what it returns is current. The projection
// reads what it needs, works out the rows the fold gives, and puts those that changed.

// Archived is an archived event as the projection reads it back.
type Archived struct {
	Command   string
	EventTime int64
	Digest    string // body_sha256: the SHA-256 of Raw, lowercase hex
	Raw       []byte
}

// ArchiveQuery selects archived events of the Tx's room.
type ArchiveQuery struct {
	Commands []string // callback_command is one of these
	From, To int64    // From <= event_time <= To; 0 leaves that side open
	// Newest keeps only the events at the greatest EventTime of those selected.
	Newest bool
}

// Tx is what the projection needs of a backend within one save. Every call concerns the room
// the Tx was opened for (its sdk_app_id and room_id), and no other save of that room runs from
// the first call to the end of the save: the backend holds the room locked.
type Tx interface {
	// Get returns the row of t whose key is key (t.Key values, sdk_app_id and room_id first),
	// or nil when there is none.
	Get(ctx context.Context, t *Table, key Row) (Row, error)
	// Put writes row. old is what Get returned for its key: nil means insert row, otherwise
	// replace every column of the stored row with row's values.
	Put(ctx context.Context, t *Table, old, row Row) error
	// RoomRows returns every row of t of the room, in any order.
	RoomRows(ctx context.Context, t *Table) ([]Row, error)
	// Archived returns the room's archived events that match q, in any order. The event being
	// saved is among them once it is archived.
	Archived(ctx context.Context, q ArchiveQuery) ([]Archived, error)
}

// Read is one read of a save, as data, so that a backend can make several in one exchange: a
// row by key (Table and Key: Get), every row of the room in a table (Table alone: RoomRows) or
// the room's archived events (Archive: Archived). The backend fills the result of its kind.
type Read struct {
	Table   *Table
	Key     Row
	Archive *ArchiveQuery

	Row      Row        // Get's result
	Rows     []Row      // RoomRows' result
	Archived []Archived // Archived's result
}

// BatchTx is a Tx that makes several reads in one exchange with its database (PostgreSQL's
// pipeline): Project hands it every first read of a save at once, which then costs one round
// trip instead of one each. ReadAll fills each read as Get, RoomRows or Archived would.
type BatchTx interface {
	Tx
	ReadAll(ctx context.Context, reads []*Read) error
}

// ConcurrentTx is a Tx whose calls may run at the same time, each an independent request (as
// DynamoDB's are): Project then makes its independent reads, and its writes of different rows,
// together instead of one after another. A SQL transaction runs one statement at a time and is
// a plain Tx.
type ConcurrentTx interface {
	Tx
	Concurrent() bool
}

// maxInFlight bounds the calls a save makes at once on a ConcurrentTx (a destroy ends every
// member of a room).
const maxInFlight = 16

// Project brings the rows of ev's room up to date with ev, which the backend has archived in
// the same save. changed reports whether any row was written; an event whose rows already
// reflect it (a late event, a repeat) changes nothing. ev must carry a Payload.
func Project(ctx context.Context, tx Tx, ev *Event) (changed bool, err error) {
	if ev.Payload == nil {
		return false, errNoPayload
	}
	p := &projection{tx: tx, ev: ev, app: ev.SdkAppID, room: ev.RoomID, now: ev.ReceivedAt.UnixMilli()}
	p.self = order{ev.EventTime, rankOf(ev.Command), ev.Digest(), ev.Command}
	var parts []part
	switch pl := ev.Payload.(type) {
	case *RoomCreated, *RoomUpdated, *LiveRoomCreated, *LiveRoomUpdated, *OwnerChanged:
		parts = []part{p.life()}
	case *RoomDestroyed, *LiveRoomDestroyed:
		parts = []part{p.life(), p.destroy(ev.EventTime)}
	case *MembersChanged:
		parts = []part{p.members(ctx, pl), p.memberCount()}
	case *LiveMembersChanged:
		// Online is an enter, Offline a leave whose type is the EventCause; Live sends no
		// MemberCount, so the room's count is left alone.
		p.live = true
		m := &MembersChanged{RoomID: pl.RoomID, Members: pl.Members, EventTime: pl.EventTime, Entered: pl.Online}
		if !pl.Online {
			m.Type = pl.EventCause
		}
		parts = []part{p.members(ctx, m)}
	case *SeatsChanged:
		parts = []part{p.seats(ctx, pl)}
	case *AdminsModified:
		parts = []part{p.admins(ctx, pl)}
	case *MetadataSet, *MetadataDeleted:
		parts = []part{p.metadata(ctx, pl)}
	case *BattleChanged:
		parts = []part{p.battle(ctx, pl)}
	case *GiftSent:
		parts = []part{p.gift(pl)}
	default:
		return false, fmt.Errorf("no projection for a payload of type %T", ev.Payload)
	}
	return p.run(ctx, parts)
}

// part is one part of what an event means for the rows: what it reads (every part's reads of
// a save are made together), then the rows it works out from them.
type part struct {
	reads []*Read
	rows  func() ([]write, error)
}

// write is one row a save writes; old is the stored row, nil when there is none.
type write struct {
	t        *Table
	old, row Row
}

// run makes the parts' reads, works out their rows and writes those that differ from the
// stored ones (updated_at aside); changed reports whether there were any.
func (p *projection) run(ctx context.Context, parts []part) (bool, error) {
	var reads []*Read
	for _, st := range parts {
		reads = append(reads, st.reads...)
	}
	if err := p.read(ctx, reads); err != nil {
		return false, err
	}
	var writes []write
	for _, st := range parts {
		w, err := st.rows()
		if err != nil {
			return false, err
		}
		writes = append(writes, w...)
	}
	writes = slices.DeleteFunc(writes, func(w write) bool { return w.old != nil && sameRow(w.t, w.old, w.row) })
	err := p.each(len(writes), func(i int) error { return p.tx.Put(ctx, writes[i].t, writes[i].old, writes[i].row) })
	return len(writes) > 0, err
}

// order is an event's place in its room's fold.
type order struct {
	time    int64
	rank    int
	digest  string
	command string // last: one body archived under the update's two spellings is two events
}

func (a order) compare(b order) int {
	return cmp.Or(cmp.Compare(a.time, b.time), cmp.Compare(a.rank, b.rank),
		cmp.Compare(a.digest, b.digest), cmp.Compare(a.command, b.command))
}

// parsed is an archived event read back: its order and its payload.
type parsed struct {
	order
	payload Payload
}

type projection struct {
	tx   Tx
	ev   *Event
	app  int64
	room string
	now  int64 // updated_at of the rows this save writes
	self order
	// destroys are the EventTimes of the room's destroys, ascending, once setDestroys kept
	// them (a room has few).
	destroys []int64
	// live: the event is a Live member state, whose online and offline are one command of one
	// rank; the stored member rows are then a Live room's.
	live bool
}

// archived reads the room's archived events matching q and parses them, in event order. An
// archived body that does not parse as its command (a version-1 store archived the commands
// it did not project without checking them) is left out of the fold: it was never a valid
// event of that command. The event being saved is not parsed again.
func (p *projection) archived(ctx context.Context, q ArchiveQuery) ([]parsed, error) {
	rows, err := p.tx.Archived(ctx, q)
	if err != nil {
		return nil, err
	}
	return p.parse(rows), nil
}

// parse parses archived events read back, as archived does.
func (p *projection) parse(rows []Archived) []parsed {
	out := make([]parsed, 0, len(rows))
	for _, a := range rows {
		o := order{a.EventTime, rankOf(a.Command), a.Digest, a.Command}
		if o == p.self {
			out = append(out, parsed{o, p.ev.Payload})
			continue
		}
		pl, err := ParsePayload(a.Command, a.Raw)
		if err != nil || pl == nil {
			continue
		}
		if id, t := pl.Key(); id != p.room || t != a.EventTime {
			continue // not an event of this room at this time, whatever the archive row says
		}
		out = append(out, parsed{o, pl})
	}
	slices.SortFunc(out, func(a, b parsed) int { return a.compare(b.order) })
	return out
}

// life folds the room's creates, updates and destroys into its row, with the newest member
// event's count.
func (p *projection) life() part {
	events := &Read{Archive: &ArchiveQuery{Commands: lifeCommands}}
	newest := p.newestMember()
	cur := &Read{Table: RoomsTable, Key: Row{p.app, p.room}}
	return part{
		reads: []*Read{events, newest, cur},
		rows: func() ([]write, error) {
			row := foldLife(p.app, p.room, p.parse(events.Archived))
			if row == nil {
				return nil, nil
			}
			row.MemberCount, row.MemberCountAt = p.newestCount(newest)
			row.UpdatedAt = p.now
			return []write{{RoomsTable, cur.Row, row.Row()}}, nil
		},
	}
}

// foldLife applies the room's life events in event order; nil when there are none. An owner
// change sets the owner of a row that exists and nothing else: it never starts a row, and the
// row's event_time and callback_command stay those of its newest create, update or destroy.
func foldLife(app int64, room string, events []parsed) *RoomRow {
	var row *RoomRow
	for _, e := range events {
		if oc, ok := e.payload.(*OwnerChanged); ok {
			if row != nil {
				row.Info.OwnerAccount = ptrTo(oc.CurrentOwner)
			}
			continue
		}
		if row == nil {
			row = &RoomRow{SdkAppID: app, Info: RoomInfo{RoomID: room}}
		}
		switch pl := e.payload.(type) {
		case *RoomCreated:
			// A new life: every field as the create has it, absent ones absent.
			*row = RoomRow{SdkAppID: app, Info: pl.RoomInfo, OperatorAccount: pl.OperatorAccount,
				ScheduleInviteeList: pl.ScheduleInviteeList}
			row.Info.RoomID = room
		case *LiveRoomCreated:
			*row = RoomRow{SdkAppID: app, Info: pl.RoomInfo, OperatorAccount: pl.OperatorAccount, Live: pl.Live}
			row.Info.RoomID = room
		case *RoomUpdated:
			row.Info.overlay(&pl.RoomInfo)
		case *LiveRoomUpdated:
			row.Info.overlay(&pl.RoomInfo)
			row.Live.overlay(&pl.Live)
		case *RoomDestroyed:
			row.DestroyedAt = ptrTo(e.time)
			row.DestroyOperatorAccount = pl.OperatorAccount
			row.DestroyEventType, row.Statistic = nil, LiveStatistic{}
		case *LiveRoomDestroyed:
			// The RoomInfo it carries, as an update at its time would, then the end of the life
			// with its EventType and Statistic.
			row.Info.overlay(&pl.RoomInfo)
			row.Live.overlay(&pl.Live)
			row.DestroyedAt = ptrTo(e.time)
			row.DestroyOperatorAccount = pl.OperatorAccount
			row.DestroyEventType, row.Statistic = pl.EventType, pl.Statistic
		default:
			continue
		}
		row.CallbackCommand, row.EventTime = e.command, e.time
	}
	return row
}

// newestMember reads the room's newest member event.
func (p *projection) newestMember() *Read {
	return &Read{Archive: &ArchiveQuery{Commands: memberCommands, Newest: true}}
}

// newestCount returns the MemberCount and EventTime of the room's newest member event, read by
// newestMember.
func (p *projection) newestCount(newest *Read) (count, at *int64) {
	events := p.parse(newest.Archived)
	if len(events) == 0 {
		return nil, nil
	}
	last := events[len(events)-1]
	return last.payload.(*MembersChanged).MemberCount, ptrTo(last.time)
}

// memberCount brings member_count up to date after a member event; a room without a row
// gets none (its create will read the count).
func (p *projection) memberCount() part {
	cur := &Read{Table: RoomsTable, Key: Row{p.app, p.room}}
	newest := p.newestMember()
	return part{
		reads: []*Read{cur, newest},
		rows: func() ([]write, error) {
			if cur.Row == nil {
				return nil, nil
			}
			row, err := RoomRowOf(cur.Row)
			if err != nil {
				return nil, err
			}
			row.MemberCount, row.MemberCountAt = p.newestCount(newest)
			row.UpdatedAt = p.now
			return []write{{RoomsTable, cur.Row, row.Row()}}, nil
		},
	}
}

// memberState is what decides a member's row: its newest member event (enter or leave) and
// the time of its newest enter; with the room's destroys, that is the whole row.
type memberState struct {
	newest    order
	enter     bool    // newest is an enter
	leaveType *string // of the newest, a leave
	reason    *string
	enteredAt *int64
}

// members applies a member event to the row of each member it lists.
func (p *projection) members(ctx context.Context, pl *MembersChanged) part {
	destroys := p.destroysRead()
	curs := make([]*Read, len(pl.Members))
	for i, account := range pl.Members {
		curs[i] = &Read{Table: MembersTable, Key: Row{p.app, p.room, account}}
	}
	return part{
		reads: append([]*Read{destroys}, curs...),
		rows: func() ([]write, error) {
			p.setDestroys(destroys)
			return p.memberRows(ctx, pl, curs)
		},
	}
}

// memberRows works out the row of each member pl lists, from its stored row (curs, aligned).
func (p *projection) memberRows(ctx context.Context, pl *MembersChanged, curs []*Read) ([]write, error) {
	writes := make([]write, len(curs))
	for i, account := range pl.Members {
		var st memberState
		cur := curs[i].Row
		if cur != nil {
			m, err := MemberRowOf(cur)
			if err != nil {
				return nil, err
			}
			st = p.stateOf(m)
		}
		next := st
		if pl.Entered && (next.enteredAt == nil || *next.enteredAt < p.self.time) {
			next.enteredAt = ptrTo(p.self.time)
		}
		switch c := compareNewest(cur != nil, st, p.self); {
		case c > 0:
			next.newest, next.enter, next.leaveType, next.reason = p.self, pl.Entered, pl.Type, pl.Reason
		case c == 0:
			// The same time and kind as the stored newest: the archive tells which wins.
			var err error
			if next, err = p.tieMember(ctx, account, next); err != nil {
				return nil, err
			}
		}
		row := &MemberRow{SdkAppID: p.app, RoomID: p.room, MemberAccount: account, EnteredAt: next.enteredAt,
			UpdatedAt: p.now}
		switch end := p.firstDestroy(next.newest.time); {
		case !next.enter:
			row.State, row.LeftAt, row.EventTime = MemberLeft, ptrTo(next.newest.time), next.newest.time
			row.LeaveType, row.LeaveReason = next.leaveType, next.reason
		case end != nil:
			row.State, row.LeftAt, row.LeaveType, row.EventTime = MemberLeft, end, ptrTo(LeaveDestroyed), *end
		default:
			row.State, row.EventTime = MemberIn, next.newest.time
		}
		writes[i] = write{MembersTable, cur, row.Row()}
	}
	return writes, nil
}

// stateOf reads the deciding state back from a stored member row. A row a destroy ended was
// last decided by an enter, at entered_at: it is left, Destroyed, without a reason, at the
// time of one of the room's destroys (a leave whose Type is "Destroyed" is told apart by
// that). The digest of the stored newest is not kept; compareNewest asks the archive when it
// matters.
func (p *projection) stateOf(m *MemberRow) memberState {
	st := memberState{enteredAt: m.EnteredAt}
	enter, leave := rankEnter, rankLeave
	if p.live {
		enter, leave = rankMemberState, rankMemberState
	}
	switch {
	case m.State == MemberIn:
		st.newest, st.enter = order{m.EventTime, enter, "", ""}, true
	case m.LeaveType != nil && *m.LeaveType == LeaveDestroyed && m.LeaveReason == nil && m.EnteredAt != nil &&
		m.LeftAt != nil && slices.Contains(p.destroys, *m.LeftAt):
		st.newest, st.enter = order{*m.EnteredAt, enter, "", ""}, true
	default:
		st.newest, st.leaveType, st.reason = order{m.EventTime, leave, "", ""}, m.LeaveType, m.LeaveReason
	}
	return st
}

// compareNewest compares the event being saved with the stored newest member event by time
// and kind: > 0 when the event is newer, < 0 when older, 0 when both are of the same time and
// kind (only the digests, which rows do not keep, can tell).
func compareNewest(stored bool, st memberState, self order) int {
	if !stored {
		return 1
	}
	return cmp.Or(cmp.Compare(self.time, st.newest.time), cmp.Compare(self.rank, st.newest.rank))
}

// tieMember decides between member events of one kind at one time that list account: the
// last in event order wins. Two enters at one time leave the same row, so only leaves are read.
func (p *projection) tieMember(ctx context.Context, account string, st memberState) (memberState, error) {
	if p.live {
		return p.tieMemberState(ctx, account, st)
	}
	if st.enter {
		return st, nil
	}
	events, err := p.archived(ctx, ArchiveQuery{Commands: []string{CommandMemberLeave}, From: p.self.time, To: p.self.time})
	if err != nil {
		return st, err
	}
	for _, e := range slices.Backward(events) {
		pl := e.payload.(*MembersChanged)
		if slices.Contains(pl.Members, account) {
			st.newest, st.enter, st.leaveType, st.reason = e.order, false, pl.Type, pl.Reason
			break
		}
	}
	return st, nil
}

// tieMemberState decides between Live member states at one time that list account: the last
// in event order wins, online or offline.
func (p *projection) tieMemberState(ctx context.Context, account string, st memberState) (memberState, error) {
	events, err := p.archived(ctx, ArchiveQuery{Commands: liveMemberCommands, From: p.self.time, To: p.self.time})
	if err != nil {
		return st, err
	}
	for _, e := range slices.Backward(events) {
		pl := e.payload.(*LiveMembersChanged)
		if !slices.Contains(pl.Members, account) {
			continue
		}
		st.newest, st.enter, st.leaveType, st.reason = e.order, pl.Online, nil, nil
		if !pl.Online {
			st.leaveType = pl.EventCause
		}
		break
	}
	return st, nil
}

// destroysRead reads the room's destroys, for setDestroys.
func (p *projection) destroysRead() *Read {
	return &Read{Archive: &ArchiveQuery{Commands: destroyCommands}}
}

// setDestroys keeps the EventTimes of the room's destroys, read by destroysRead.
func (p *projection) setDestroys(r *Read) {
	p.destroys = p.destroys[:0]
	for _, e := range p.parse(r.Archived) {
		if n := len(p.destroys); n == 0 || p.destroys[n-1] != e.time {
			p.destroys = append(p.destroys, e.time)
		}
	}
}

// firstDestroy returns the EventTime of the room's first destroy at or after t (a destroy
// sorts after the member events of its millisecond), or nil. setDestroys must have run.
func (p *projection) firstDestroy(t int64) *int64 {
	i, _ := slices.BinarySearch(p.destroys, t)
	if i == len(p.destroys) {
		return nil
	}
	return ptrTo(p.destroys[i])
}

// destroy ends, at t, every member the destroy finds in the room: those in since before t,
// and those an already stored, later destroy ended after an enter before t.
func (p *projection) destroy(t int64) part {
	destroys := p.destroysRead()
	members := &Read{Table: MembersTable}
	return part{
		reads: []*Read{destroys, members},
		rows: func() ([]write, error) {
			p.setDestroys(destroys)
			var writes []write
			for _, cur := range members.Rows {
				m, err := MemberRowOf(cur)
				if err != nil {
					return nil, err
				}
				st := p.stateOf(m)
				if !st.enter || st.newest.time > t || (m.State == MemberLeft && m.LeftAt != nil && *m.LeftAt <= t) {
					continue
				}
				n := *m
				n.State, n.LeftAt, n.LeaveType, n.LeaveReason, n.EventTime = MemberLeft, ptrTo(t), ptrTo(LeaveDestroyed), nil, t
				n.UpdatedAt = p.now
				writes = append(writes, write{MembersTable, cur, n.Row()})
			}
			return writes, nil
		},
	}
}

// seats gives each listed seat the values of its newest seat event.
func (p *projection) seats(ctx context.Context, pl *SeatsChanged) part {
	curs := make([]*Read, len(pl.Seats))
	for i, seat := range pl.Seats {
		curs[i] = &Read{Table: SeatsTable, Key: Row{p.app, p.room, seat.Index}}
	}
	return part{
		reads: curs,
		rows: func() ([]write, error) {
			var writes []write
			for i, seat := range pl.Seats {
				win := &seat
				if cur := curs[i].Row; cur != nil {
					stored, err := SeatRowOf(cur)
					if err != nil {
						return nil, err
					}
					switch {
					case stored.EventTime > p.self.time:
						continue
					case stored.EventTime == p.self.time:
						// Two seat events of one millisecond list this seat: the last in event
						// order wins.
						if win, err = p.tieSeat(ctx, seat.Index); err != nil {
							return nil, err
						}
					}
				}
				row := &SeatRow{SdkAppID: p.app, RoomID: p.room, SeatIndex: seat.Index, MemberAccount: win.MemberAccount,
					IsTakenDisabled: win.IsTakenDisabled, IsVideoDisabled: win.IsVideoDisabled,
					IsAudioDisabled: win.IsAudioDisabled, EventTime: p.self.time, UpdatedAt: p.now}
				writes = append(writes, write{SeatsTable, curs[i].Row, row.Row()})
			}
			return writes, nil
		},
	}
}

// tieSeat returns the seat at index as the newest of the seat events at the saved event's time
// that list it.
func (p *projection) tieSeat(ctx context.Context, index int64) (*Seat, error) {
	events, err := p.archived(ctx, ArchiveQuery{Commands: seatCommands, From: p.self.time, To: p.self.time})
	if err != nil {
		return nil, err
	}
	for _, e := range slices.Backward(events) {
		if s := e.payload.(*SeatsChanged).seat(index); s != nil {
			return s, nil
		}
	}
	return nil, fmt.Errorf("seat %d of the event being saved is not in the archive", index)
}

// concurrent reports whether the Tx takes calls at the same time.
func (p *projection) concurrent() bool {
	c, ok := p.tx.(ConcurrentTx)
	return ok && c.Concurrent()
}

// read makes reads: in one exchange when the Tx batches, at the same time when it takes calls
// at once, else one after another. It returns the first error.
func (p *projection) read(ctx context.Context, reads []*Read) error {
	if b, ok := p.tx.(BatchTx); ok && len(reads) > 1 {
		return b.ReadAll(ctx, reads)
	}
	return p.each(len(reads), func(i int) error { return ReadOne(ctx, p.tx, reads[i]) })
}

// ReadOne makes r with tx's Get, RoomRows or Archived, filling its result.
func ReadOne(ctx context.Context, tx Tx, r *Read) (err error) {
	switch {
	case r.Archive != nil:
		r.Archived, err = tx.Archived(ctx, *r.Archive)
	case r.Key != nil:
		r.Row, err = tx.Get(ctx, r.Table, r.Key)
	default:
		r.Rows, err = tx.RoomRows(ctx, r.Table)
	}
	return err
}

// each runs f(0) … f(n-1), at most maxInFlight at a time when the Tx allows it, else in order;
// it returns the first error (the others still run to their end).
func (p *projection) each(n int, f func(i int) error) error {
	if n <= 1 || !p.concurrent() {
		for i := range n {
			if err := f(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	slots := make(chan struct{}, maxInFlight)
	for i := range n {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func ptrTo[T any](v T) *T { return &v }

// Refold folds every projected event the archive of the Tx's room holds into the room's rows,
// one after another; the order does not matter, since each save's projection already gives
// the fold of everything archived. A store migrated from schema version 1 runs it once per
// room whose archive holds events version 1 kept without projecting them (updates, destroys,
// members, seats), so that the rows tell the whole story from the upgrade on. now is the
// updated_at of the rows it writes. An archived body that does not parse as its command is
// left out, as everywhere in the fold. It returns how many events changed a row.
//
// It reads the room's archive once and each table's rows of the room once, folds the events
// in memory (bufferedTx), and then writes each row that ends changed: a room's thousands of
// events cost a handful of round trips, not several per event.
func Refold(ctx context.Context, tx Tx, app int64, room string, now time.Time) (int, error) {
	archived, err := tx.Archived(ctx, ArchiveQuery{Commands: foldedCommands})
	if err != nil {
		return 0, err
	}
	buf := newBufferedTx(tx, archived)
	changed, err := refold(ctx, buf, archived, app, room, now)
	if err != nil {
		return changed, err
	}
	return changed, buf.flush(ctx)
}

// refold projects the archived events one after another. The room's row is folded from all
// its creates, updates and destroys whichever of them is projected, so of the creates and
// updates only the first is: projecting each would parse every one of them again each time
// (a room's thousands of updates). A battle's row is folded from all its stages when it has no
// row yet, which is the case of its first stage here: the others are left out.
func refold(ctx context.Context, tx Tx, archived []Archived, app int64, room string, now time.Time) (int, error) {
	changed, lifeDone := 0, false
	battles := map[string]bool{}
	for _, a := range archived {
		pl, err := ParsePayload(a.Command, a.Raw)
		if err != nil || pl == nil {
			continue
		}
		if id, t := pl.Key(); id != room || t != a.EventTime {
			continue
		}
		switch pl.(type) {
		case *RoomCreated, *RoomUpdated, *LiveRoomCreated, *LiveRoomUpdated, *OwnerChanged:
			if lifeDone {
				continue
			}
			lifeDone = true
		case *BattleChanged:
			if battles[pl.(*BattleChanged).BattleID] {
				continue
			}
			battles[pl.(*BattleChanged).BattleID] = true
		}
		ev := &Event{SdkAppID: app, Command: a.Command, RoomID: room, EventTime: a.EventTime,
			ReceivedAt: now, Raw: a.Raw, Payload: pl}
		ok, err := Project(ctx, tx, ev)
		if err != nil {
			return changed, err
		}
		if ok {
			changed++
		}
	}
	return changed, nil
}
