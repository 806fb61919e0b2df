package callback

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// recordingTx is a Tx on one room's rows in memory that records the calls made to it.
type recordingTx struct {
	rows  map[*Table][]Row
	calls []string
}

func (r *recordingTx) Get(_ context.Context, t *Table, key Row) (Row, error) {
	r.calls = append(r.calls, "Get "+t.Name)
	for _, row := range r.rows[t] {
		if rowKey(t, row) == rowKey(t, key) {
			return row, nil
		}
	}
	return nil, nil
}

func (r *recordingTx) Put(_ context.Context, t *Table, old, row Row) error {
	r.calls = append(r.calls, fmt.Sprintf("Put %s %v old %v", t.Name, row[:t.Key], old != nil))
	return nil
}

func (r *recordingTx) RoomRows(_ context.Context, t *Table) ([]Row, error) {
	r.calls = append(r.calls, "RoomRows "+t.Name)
	return r.rows[t], nil
}

func (r *recordingTx) Archived(context.Context, ArchiveQuery) ([]Archived, error) {
	r.calls = append(r.calls, "Archived")
	return nil, nil
}

// TestBufferedTx: archive reads are answered as a backend would, rows are read once per table
// and only the rows that end changed are written, once each.
func TestBufferedTx(t *testing.T) {
	ctx := t.Context()
	archive := []Archived{
		{Command: CommandMemberEnter, EventTime: 30, Digest: "a"},
		{Command: CommandMemberEnter, EventTime: 10, Digest: "b"},
		{Command: CommandMemberLeave, EventTime: 30, Digest: "c"},
		{Command: CommandMemberLeave, EventTime: 20, Digest: "d"},
		{Command: CommandSeatChanged, EventTime: 40, Digest: "e"},
	}
	in := &MemberRow{SdkAppID: 1, RoomID: "r", MemberAccount: "u1", State: MemberIn, EventTime: 10, UpdatedAt: 5}
	kept := &MemberRow{SdkAppID: 1, RoomID: "r", MemberAccount: "u2", State: MemberIn, EventTime: 10, UpdatedAt: 5}
	back := &recordingTx{rows: map[*Table][]Row{MembersTable: {in.Row(), kept.Row()}}}
	b := newBufferedTx(back, archive)

	digests := func(q ArchiveQuery) []string {
		got, err := b.Archived(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range got {
			out = append(out, a.Digest)
		}
		slices.Sort(out)
		return out
	}
	members := []string{CommandMemberEnter, CommandMemberLeave}
	for _, c := range []struct {
		q    ArchiveQuery
		want []string
	}{
		{ArchiveQuery{Commands: members}, []string{"a", "b", "c", "d"}},
		{ArchiveQuery{Commands: members, From: 20}, []string{"a", "c", "d"}},
		{ArchiveQuery{Commands: members, To: 20}, []string{"b", "d"}},
		{ArchiveQuery{Commands: members, From: 20, To: 20}, []string{"d"}},
		{ArchiveQuery{Commands: members, Newest: true}, []string{"a", "c"}},
		{ArchiveQuery{Commands: members, To: 25, Newest: true}, []string{"d"}},
		{ArchiveQuery{Commands: []string{CommandMemberEnter, CommandMemberEnter}}, []string{"a", "b"}},
		{ArchiveQuery{Commands: []string{CommandDestroyRoom}, Newest: true}, nil},
		{ArchiveQuery{}, nil},
	} {
		if got := digests(c.q); !slices.Equal(got, c.want) {
			t.Errorf("Archived(%+v) = %v, want %v", c.q, got, c.want)
		}
	}

	// u1 changes twice, u2 only in updated_at, u3 is new.
	left := *in
	left.State, left.LeftAt, left.EventTime, left.UpdatedAt = MemberLeft, ptrTo(int64(20)), 20, 9
	u3 := &MemberRow{SdkAppID: 1, RoomID: "r", MemberAccount: "u3", State: MemberIn, EventTime: 30, UpdatedAt: 9}
	touched := *kept
	touched.UpdatedAt = 9
	for _, row := range []Row{u3.Row(), touched.Row(), left.Row()} {
		if err := b.Put(ctx, MembersTable, nil, row); err != nil {
			t.Fatal(err)
		}
	}
	left.EventTime = 25
	if err := b.Put(ctx, MembersTable, nil, left.Row()); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, MembersTable, Row{int64(1), "r", "u1"}); err != nil || got[MembersTable.Index("event_time")] != int64(25) {
		t.Errorf("Get after Put = %v, %v; want the row put last", got, err)
	}
	if rows, err := b.RoomRows(ctx, MembersTable); err != nil || len(rows) != 3 {
		t.Errorf("RoomRows = %d rows, %v; want 3", len(rows), err)
	}
	if err := b.flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"RoomRows room_members", "Put room_members [1 r u1] old true", "Put room_members [1 r u3] old false"}
	if !slices.Equal(back.calls, want) {
		t.Errorf("calls on the backend's Tx:\n got %q\nwant %q", back.calls, want)
	}
}
