package callback

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// RoomRow is one row of RoomsTable.
type RoomRow struct {
	SdkAppID int64
	// Info holds room_id and every RoomInfo column of the room's current life.
	Info            RoomInfo
	OperatorAccount *string
	// ScheduleInviteeList is the newest create's invitees; nil when it had no list.
	ScheduleInviteeList []string
	CallbackCommand     string // of the newest create, update or destroy applied
	EventTime           int64  // of the same event, Unix ms
	UpdatedAt           int64  // when a save last wrote the row, Unix ms
	// MemberCount and MemberCountAt are the MemberCount and EventTime of the room's newest
	// member event; nil before the first.
	MemberCount, MemberCountAt *int64
	// DestroyedAt and DestroyOperatorAccount are the EventTime and Operator_Account of the
	// destroy that ended the current life; DestroyedAt is nil while the room lives.
	DestroyedAt            *int64
	DestroyOperatorAccount *string
	// Live holds a Live room's own RoomInfo fields of the current life (version 3).
	Live LiveInfo
	// DestroyEventType and Statistic are the EventType and Statistic of the Live destroy that
	// ended the current life; nil while it lives (and after a Room-family destroy).
	DestroyEventType *string
	Statistic        LiveStatistic
}

// MemberRow is one row of MembersTable.
type MemberRow struct {
	SdkAppID      int64
	RoomID        string
	MemberAccount string
	State         string // MemberIn or MemberLeft
	EnteredAt     *int64 // EventTime of the member's newest enter
	LeftAt        *int64 // EventTime of its newest leave, or of the destroy that ended it; nil while in
	LeaveType     *string
	LeaveReason   *string
	EventTime     int64 // the newest event applied to the row
	UpdatedAt     int64
}

// SeatRow is one row of SeatsTable.
type SeatRow struct {
	SdkAppID        int64
	RoomID          string
	SeatIndex       int64
	MemberAccount   *string // nil: the seat is empty
	IsTakenDisabled *bool
	IsVideoDisabled *bool
	IsAudioDisabled *bool
	EventTime       int64
	UpdatedAt       int64
}

// Row returns r as a row of RoomsTable.
func (r *RoomRow) Row() Row {
	i := &r.Info
	var invitees any
	if r.ScheduleInviteeList != nil {
		invitees = r.ScheduleInviteeList
	}
	return Row{
		r.SdkAppID, i.RoomID,
		val(i.RoomName), val(i.RoomType), val(i.OwnerAccount), val(i.MaxMemberCount), val(i.MaxSeatCount),
		val(i.IsVideoDisabled), val(i.IsAudioDisabled), val(i.IsMessageDisabled),
		val(i.IsScreenSharingDisabled), val(i.IsCloudRecordingDisabled), val(i.CustomInfo),
		val(i.ScheduleStartTime), val(i.ScheduleEndTime), val(i.RoomStatus), val(i.IsSeatEnabled),
		val(i.TakeSeatMode), val(i.CreateTime), val(r.OperatorAccount), invitees,
		r.CallbackCommand, r.EventTime, r.UpdatedAt,
		val(r.MemberCount), val(r.MemberCountAt), val(r.DestroyedAt), val(r.DestroyOperatorAccount),
		val(r.Live.IsPublicVisible), val(r.Live.CoverURL), val(r.Live.BackgroundURL), ints(r.Live.Category),
		val(r.Live.ActivityStatus), val(r.Live.IsUnlimitedRoomEnabled), val(r.Live.ViewCount),
		val(r.DestroyEventType), val(r.Statistic.TotalViewers), val(r.Statistic.TotalGiftsSent),
		val(r.Statistic.TotalGiftCoins), val(r.Statistic.TotalUniqueGiftSenders), val(r.Statistic.TotalLikesReceived),
	}
}

// ints turns an optional list of integers into a row value: nil stays nil (NULL).
func ints(l []int64) any {
	if l == nil {
		return nil
	}
	return l
}

// strs turns an optional list of strings into a row value: nil stays nil (NULL).
func strs(l []string) any {
	if l == nil {
		return nil
	}
	return l
}

// Row returns m as a row of MembersTable.
func (m *MemberRow) Row() Row {
	return Row{m.SdkAppID, m.RoomID, m.MemberAccount, m.State, val(m.EnteredAt), val(m.LeftAt),
		val(m.LeaveType), val(m.LeaveReason), m.EventTime, m.UpdatedAt}
}

// Row returns s as a row of SeatsTable.
func (s *SeatRow) Row() Row {
	return Row{s.SdkAppID, s.RoomID, s.SeatIndex, val(s.MemberAccount), val(s.IsTakenDisabled),
		val(s.IsVideoDisabled), val(s.IsAudioDisabled), s.EventTime, s.UpdatedAt}
}

// RoomRowOf decodes a row of RoomsTable.
func RoomRowOf(row Row) (*RoomRow, error) {
	d := decoder{t: RoomsTable, row: row}
	r := &RoomRow{}
	i := &r.Info
	r.SdkAppID, i.RoomID = d.int(0), d.text(1)
	i.RoomName, i.RoomType, i.OwnerAccount = d.textPtr(2), d.textPtr(3), d.textPtr(4)
	i.MaxMemberCount, i.MaxSeatCount = d.intPtr(5), d.intPtr(6)
	i.IsVideoDisabled, i.IsAudioDisabled, i.IsMessageDisabled = d.boolPtr(7), d.boolPtr(8), d.boolPtr(9)
	i.IsScreenSharingDisabled, i.IsCloudRecordingDisabled = d.boolPtr(10), d.boolPtr(11)
	i.CustomInfo, i.ScheduleStartTime, i.ScheduleEndTime = d.textPtr(12), d.intPtr(13), d.intPtr(14)
	i.RoomStatus, i.IsSeatEnabled, i.TakeSeatMode, i.CreateTime = d.textPtr(15), d.boolPtr(16), d.textPtr(17), d.intPtr(18)
	r.OperatorAccount, r.ScheduleInviteeList = d.textPtr(19), d.list(20)
	r.CallbackCommand, r.EventTime, r.UpdatedAt = d.text(21), d.int(22), d.int(23)
	r.MemberCount, r.MemberCountAt, r.DestroyedAt, r.DestroyOperatorAccount = d.intPtr(24), d.intPtr(25), d.intPtr(26), d.textPtr(27)
	l := &r.Live
	l.IsPublicVisible, l.CoverURL, l.BackgroundURL, l.Category = d.boolPtr(28), d.textPtr(29), d.textPtr(30), d.ints(31)
	l.ActivityStatus, l.IsUnlimitedRoomEnabled, l.ViewCount = d.intPtr(32), d.boolPtr(33), d.intPtr(34)
	r.DestroyEventType = d.textPtr(35)
	st := &r.Statistic
	st.TotalViewers, st.TotalGiftsSent, st.TotalGiftCoins = d.intPtr(36), d.intPtr(37), d.intPtr(38)
	st.TotalUniqueGiftSenders, st.TotalLikesReceived = d.intPtr(39), d.intPtr(40)
	return r, d.err
}

// MemberRowOf decodes a row of MembersTable.
func MemberRowOf(row Row) (*MemberRow, error) {
	d := decoder{t: MembersTable, row: row}
	m := &MemberRow{
		SdkAppID: d.int(0), RoomID: d.text(1), MemberAccount: d.text(2), State: d.text(3),
		EnteredAt: d.intPtr(4), LeftAt: d.intPtr(5), LeaveType: d.textPtr(6), LeaveReason: d.textPtr(7),
		EventTime: d.int(8), UpdatedAt: d.int(9),
	}
	return m, d.err
}

// SeatRowOf decodes a row of SeatsTable.
func SeatRowOf(row Row) (*SeatRow, error) {
	d := decoder{t: SeatsTable, row: row}
	s := &SeatRow{
		SdkAppID: d.int(0), RoomID: d.text(1), SeatIndex: d.int(2), MemberAccount: d.textPtr(3),
		IsTakenDisabled: d.boolPtr(4), IsVideoDisabled: d.boolPtr(5), IsAudioDisabled: d.boolPtr(6),
		EventTime: d.int(7), UpdatedAt: d.int(8),
	}
	return s, d.err
}

// CheckRow reports a row that does not fit t: the wrong number of values, a value of another
// kind than its column's, or nil in a column that is not nullable. Backends need not call it:
// the projection only builds rows that fit; tests and tools reading rows back do.
func CheckRow(t *Table, row Row) error {
	if len(row) != len(t.Columns) {
		return fmt.Errorf("%s: a row of %d values, want %d", t.Name, len(row), len(t.Columns))
	}
	for i, c := range t.Columns {
		if !fits(c, row[i]) {
			return fmt.Errorf("%s.%s: a value of type %T does not fit", t.Name, c.Name, row[i])
		}
	}
	return nil
}

func fits(c Column, v any) bool {
	if v == nil {
		return c.Nullable
	}
	switch v.(type) {
	case string:
		return c.Kind == KindText
	case int64:
		return c.Kind == KindInt
	case bool:
		return c.Kind == KindBool
	case []string:
		return c.Kind == KindList
	case []int64:
		return c.Kind == KindInts
	}
	return false
}

// decoder reads typed values out of a row, remembering the first misfit.
type decoder struct {
	t   *Table
	row Row
	err error
}

func (d *decoder) at(i int) any {
	if d.err != nil {
		return nil
	}
	if len(d.row) != len(d.t.Columns) {
		d.err = fmt.Errorf("%s: a row of %d values, want %d", d.t.Name, len(d.row), len(d.t.Columns))
		return nil
	}
	if v := d.row[i]; fits(d.t.Columns[i], v) {
		return v
	}
	d.err = fmt.Errorf("%s.%s: a value of type %T does not fit", d.t.Name, d.t.Columns[i].Name, d.row[i])
	return nil
}

func (d *decoder) text(i int) string { s, _ := d.at(i).(string); return s }
func (d *decoder) int(i int) int64   { n, _ := d.at(i).(int64); return n }

func (d *decoder) textPtr(i int) *string {
	if s, ok := d.at(i).(string); ok {
		return &s
	}
	return nil
}

func (d *decoder) intPtr(i int) *int64 {
	if n, ok := d.at(i).(int64); ok {
		return &n
	}
	return nil
}

func (d *decoder) boolPtr(i int) *bool {
	if b, ok := d.at(i).(bool); ok {
		return &b
	}
	return nil
}

func (d *decoder) ints(i int) []int64 {
	if l, ok := d.at(i).([]int64); ok {
		return l
	}
	return nil
}

func (d *decoder) list(i int) []string {
	if l, ok := d.at(i).([]string); ok {
		return l
	}
	return nil
}

// val turns an optional field into a row value: nil stays nil (NULL).
func val[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// sameRow reports whether a and b hold the same values in every column but updated_at.
func sameRow(t *Table, a, b Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i, c := range t.Columns {
		if c.Name == "updated_at" {
			continue
		}
		if !sameValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	switch la := a.(type) {
	case []string:
		lb, ok := b.([]string)
		return ok && slices.Equal(la, lb)
	case []int64:
		lb, ok := b.([]int64)
		return ok && slices.Equal(la, lb)
	}
	switch b.(type) {
	case []string, []int64:
		return false
	}
	return a == b
}

// ReadRoom returns the row of one room, or an error wrapping ErrNotFound.
func ReadRoom(ctx context.Context, r Reader, sdkAppID int64, roomID string) (*RoomRow, error) {
	rows, err := r.Rows(ctx, RoomsTable, sdkAppID, roomID)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("room %q of app %d: %w", roomID, sdkAppID, ErrNotFound)
	}
	return RoomRowOf(rows[0])
}

// ReadMembers returns the member rows of one room, ordered by account (byte order).
func ReadMembers(ctx context.Context, r Reader, sdkAppID int64, roomID string) ([]*MemberRow, error) {
	return readRows(ctx, r, MembersTable, sdkAppID, roomID, MemberRowOf,
		func(a, b *MemberRow) int { return strings.Compare(a.MemberAccount, b.MemberAccount) })
}

// ReadSeats returns the seat rows of one room, ordered by index.
func ReadSeats(ctx context.Context, r Reader, sdkAppID int64, roomID string) ([]*SeatRow, error) {
	return readRows(ctx, r, SeatsTable, sdkAppID, roomID, SeatRowOf,
		func(a, b *SeatRow) int { return cmp.Compare(a.SeatIndex, b.SeatIndex) })
}

var errNoPayload = errors.New("the event has no payload to project")
