package callback

import (
	"cmp"
	"context"
	"slices"
	"strings"
)

// The rows of the Live family's own tables (schema version 3); docs/tables.md documents each
// column.

// AdminRow is one row of AdminsTable.
type AdminRow struct {
	SdkAppID     int64
	RoomID       string
	AdminAccount string
	State        string // AdminAdded or AdminRemoved: what the account's newest admin change made it
	EventTime    int64  // of that change
	UpdatedAt    int64
}

// MetadataRow is one row of MetadataTable.
type MetadataRow struct {
	SdkAppID  int64
	RoomID    string
	Key       string
	Value     *string // nil once deleted
	Deleted   bool    // the key's newest event deleted it
	EventTime int64   // of that event
	UpdatedAt int64
}

// BattleRow is one row of BattlesTable: the fold of a battle's stages in event order.
type BattleRow struct {
	SdkAppID   int64
	FromRoomID string
	BattleID   string
	Stage      string   // BattleCreated, BattleStarted or BattleEnded: the newest stage's
	ToRoomIDs  []string // of the newest stage that lists the invited rooms
	FromScore  *int64
	// ToScores are the scores of ToRoomIDs, in order, from the same stage; nil when that stage
	// did not give every listed room a score.
	ToScores []int64
	// WinnerRoomID is, once the battle ended, the room with the highest score, when exactly
	// one room has it; nil otherwise (a draw, no scores, not ended).
	WinnerRoomID                     *string
	CreateTime, StartTime, EndTime   *int64 // Unix seconds, as sent
	DurationMs, EndOpType, TimeoutMs *int64
	NeedResponse                     *bool
	ExtensionInfo                    *string
	CallbackCommand                  string // of the newest stage
	EventTime, UpdatedAt             int64
}

// GiftRow is one row of GiftsTable.
type GiftRow struct {
	SdkAppID        int64
	RoomID          string
	DeliveryID      string
	OperatorAccount *string
	FromAccount     string
	ToAccounts      []string
	GiftID          *string
	GiftCount       *int64
	Coins           *int64
	GiftTime        *int64 // GiftWater.Time, Unix seconds, as sent
	ReceivedAt      int64  // when roomhook received the delivery, Unix ms
}

// Row returns a as a row of AdminsTable.
func (a *AdminRow) Row() Row {
	return Row{a.SdkAppID, a.RoomID, a.AdminAccount, a.State, a.EventTime, a.UpdatedAt}
}

// Row returns m as a row of MetadataTable.
func (m *MetadataRow) Row() Row {
	return Row{m.SdkAppID, m.RoomID, m.Key, val(m.Value), m.Deleted, m.EventTime, m.UpdatedAt}
}

// Row returns b as a row of BattlesTable.
func (b *BattleRow) Row() Row {
	return Row{b.SdkAppID, b.FromRoomID, b.BattleID, b.Stage, strs(b.ToRoomIDs), val(b.FromScore),
		ints(b.ToScores), val(b.WinnerRoomID), val(b.CreateTime), val(b.StartTime), val(b.EndTime),
		val(b.DurationMs), val(b.EndOpType), val(b.NeedResponse), val(b.TimeoutMs), val(b.ExtensionInfo),
		b.CallbackCommand, b.EventTime, b.UpdatedAt}
}

// Row returns g as a row of GiftsTable.
func (g *GiftRow) Row() Row {
	return Row{g.SdkAppID, g.RoomID, g.DeliveryID, val(g.OperatorAccount), g.FromAccount, strs(g.ToAccounts),
		val(g.GiftID), val(g.GiftCount), val(g.Coins), val(g.GiftTime), g.ReceivedAt}
}

// AdminRowOf decodes a row of AdminsTable.
func AdminRowOf(row Row) (*AdminRow, error) {
	d := decoder{t: AdminsTable, row: row}
	a := &AdminRow{SdkAppID: d.int(0), RoomID: d.text(1), AdminAccount: d.text(2), State: d.text(3),
		EventTime: d.int(4), UpdatedAt: d.int(5)}
	return a, d.err
}

// MetadataRowOf decodes a row of MetadataTable.
func MetadataRowOf(row Row) (*MetadataRow, error) {
	d := decoder{t: MetadataTable, row: row}
	deleted, _ := d.at(4).(bool)
	m := &MetadataRow{SdkAppID: d.int(0), RoomID: d.text(1), Key: d.text(2), Value: d.textPtr(3),
		Deleted: deleted, EventTime: d.int(5), UpdatedAt: d.int(6)}
	return m, d.err
}

// BattleRowOf decodes a row of BattlesTable.
func BattleRowOf(row Row) (*BattleRow, error) {
	d := decoder{t: BattlesTable, row: row}
	b := &BattleRow{SdkAppID: d.int(0), FromRoomID: d.text(1), BattleID: d.text(2), Stage: d.text(3),
		ToRoomIDs: d.list(4), FromScore: d.intPtr(5), ToScores: d.ints(6), WinnerRoomID: d.textPtr(7),
		CreateTime: d.intPtr(8), StartTime: d.intPtr(9), EndTime: d.intPtr(10), DurationMs: d.intPtr(11),
		EndOpType: d.intPtr(12), NeedResponse: d.boolPtr(13), TimeoutMs: d.intPtr(14),
		ExtensionInfo: d.textPtr(15), CallbackCommand: d.text(16), EventTime: d.int(17), UpdatedAt: d.int(18)}
	return b, d.err
}

// GiftRowOf decodes a row of GiftsTable.
func GiftRowOf(row Row) (*GiftRow, error) {
	d := decoder{t: GiftsTable, row: row}
	g := &GiftRow{SdkAppID: d.int(0), RoomID: d.text(1), DeliveryID: d.text(2), OperatorAccount: d.textPtr(3),
		FromAccount: d.text(4), ToAccounts: d.list(5), GiftID: d.textPtr(6), GiftCount: d.intPtr(7),
		Coins: d.intPtr(8), GiftTime: d.intPtr(9), ReceivedAt: d.int(10)}
	return g, d.err
}

// readRows reads the rows of t of one room and decodes them with of, ordered by less.
func readRows[T any](ctx context.Context, r Reader, t *Table, app int64, room string,
	of func(Row) (T, error), less func(a, b T) int) ([]T, error) {
	rows, err := r.Rows(ctx, t, app, room)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(rows))
	for _, row := range rows {
		v, err := of(row)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	slices.SortFunc(out, less)
	return out, nil
}

// ReadAdmins returns the admin rows of one room, ordered by account (byte order).
func ReadAdmins(ctx context.Context, r Reader, app int64, room string) ([]*AdminRow, error) {
	return readRows(ctx, r, AdminsTable, app, room, AdminRowOf,
		func(a, b *AdminRow) int { return strings.Compare(a.AdminAccount, b.AdminAccount) })
}

// ReadMetadata returns the metadata rows of one room, ordered by key (byte order).
func ReadMetadata(ctx context.Context, r Reader, app int64, room string) ([]*MetadataRow, error) {
	return readRows(ctx, r, MetadataTable, app, room, MetadataRowOf,
		func(a, b *MetadataRow) int { return strings.Compare(a.Key, b.Key) })
}

// ReadBattles returns the battles a room started, ordered by battle id (byte order).
func ReadBattles(ctx context.Context, r Reader, app int64, fromRoom string) ([]*BattleRow, error) {
	return readRows(ctx, r, BattlesTable, app, fromRoom, BattleRowOf,
		func(a, b *BattleRow) int { return strings.Compare(a.BattleID, b.BattleID) })
}

// ReadGifts returns the gift ledger of one room, ordered by received_at, then delivery id.
func ReadGifts(ctx context.Context, r Reader, app int64, room string) ([]*GiftRow, error) {
	return readRows(ctx, r, GiftsTable, app, room, GiftRowOf, func(a, b *GiftRow) int {
		return cmp.Or(cmp.Compare(a.ReceivedAt, b.ReceivedAt), strings.Compare(a.DeliveryID, b.DeliveryID))
	})
}
