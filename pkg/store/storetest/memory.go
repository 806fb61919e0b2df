package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// Memory is a Backend in memory: the smallest store that keeps roomhook's storage semantics,
// with callback.Project doing what every backend's projection does. It is the executable
// specification the suite is checked against first (memory_test.go) and a store for tests that
// need one without a server. One mutex is every room's lock.
type Memory struct {
	mu     sync.Mutex
	events []callback.Event
	seqs   []int           // each event's position in the archive, its ArchiveID: never reused
	seq    int             // the last position given
	keys   map[string]bool // the archive key of each event with an EventTime
	rows   map[*callback.Table]map[string]callback.Row
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{keys: map[string]bool{}, rows: map[*callback.Table]map[string]callback.Row{}}
}

// Save archives ev and projects it, all or nothing.
func (m *Memory) Save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	if err := ev.Check(); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := archiveKey(ev)
	if ev.EventTime != 0 && m.keys[key] {
		return callback.OutcomeDuplicate, nil
	}
	stored := *ev
	stored.Payload, stored.ArchiveID = nil, ""
	stored.Raw = slices.Clone(ev.Raw)
	if stored.Raw == nil {
		stored.Raw = []byte{}
	}
	stored.ReceivedAt = millis(ev.ReceivedAt)
	if ev.Payload == nil {
		m.commit(key, stored, nil)
		return callback.OutcomeIgnored, nil
	}
	// The projection writes into a copy that replaces the rows only if it succeeds.
	tx := &memoryTx{m: m, app: ev.SdkAppID, room: ev.RoomID, pending: &stored, writes: map[*callback.Table]map[string]callback.Row{}}
	changed, err := callback.Project(ctx, tx, ev)
	if err != nil {
		return 0, err
	}
	m.commit(key, stored, tx.writes)
	if changed {
		return callback.OutcomeStored, nil
	}
	return callback.OutcomeStale, nil
}

// archiveKey is the archive's unique key of ev (meaningful when it has an EventTime).
func archiveKey(ev *callback.Event) string {
	return fmt.Sprint(ev.SdkAppID, "\x00", ev.RoomID, "\x00", ev.Command, "\x00", ev.EventTime, "\x00", ev.Digest())
}

func (m *Memory) commit(key string, ev callback.Event, writes map[*callback.Table]map[string]callback.Row) {
	if ev.EventTime != 0 {
		m.keys[key] = true
	}
	m.events = append(m.events, ev)
	m.seq++
	m.seqs = append(m.seqs, m.seq)
	for t, rows := range writes {
		if m.rows[t] == nil {
			m.rows[t] = map[string]callback.Row{}
		}
		for k, r := range rows {
			m.rows[t][k] = r
		}
	}
}

// Close does nothing.
func (m *Memory) Close() error { return nil }

// Rows returns the rows of t of one room.
func (m *Memory) Rows(_ context.Context, t *callback.Table, app int64, room string) ([]callback.Row, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []callback.Row
	for _, r := range m.rows[t] {
		if r[0] == app && r[1] == room {
			out = append(out, slices.Clone(r))
		}
	}
	return out, nil
}

// Events returns the archive of one app in archive order.
func (m *Memory) Events(_ context.Context, app int64) ([]callback.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []callback.Event
	for _, ev := range m.events {
		if ev.SdkAppID == app {
			ev.Raw = slices.Clone(ev.Raw)
			out = append(out, ev)
		}
	}
	return out, nil
}

// AppRooms returns the rooms rows of one app.
func (m *Memory) AppRooms(_ context.Context, app int64) ([]callback.Row, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []callback.Row
	for _, r := range m.rows[callback.RoomsTable] {
		if r[0] == app {
			out = append(out, slices.Clone(r))
		}
	}
	return out, nil
}

// Gifts returns the ledger rows q selects, newest first.
func (m *Memory) Gifts(_ context.Context, q callback.ListQuery) ([]callback.Row, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := callback.GiftsTable
	received, delivery := t.Index("received_at"), t.Index("delivery_id")
	var out []callback.Row
	for _, r := range m.rows[t] {
		if r[0] == q.SdkAppID && q.Match(r[1].(string), "", time.UnixMilli(r[received].(int64))) {
			out = append(out, slices.Clone(r))
		}
	}
	slices.SortFunc(out, func(a, b callback.Row) int {
		if c := cmp.Compare(b[received].(int64), a[received].(int64)); c != 0 {
			return c
		}
		return strings.Compare(b[delivery].(string), a[delivery].(string))
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// Archive returns the archived events q selects, newest first.
func (m *Memory) Archive(_ context.Context, q callback.ListQuery) ([]callback.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []callback.Event
	for i := len(m.events) - 1; i >= 0 && (q.Limit <= 0 || len(out) < q.Limit); i-- {
		ev := m.events[i]
		if ev.SdkAppID == q.SdkAppID && q.Match(ev.RoomID, ev.Command, ev.ReceivedAt) {
			ev.Raw = slices.Clone(ev.Raw)
			out = append(out, ev)
		}
	}
	return out, nil
}

// memoryTx is the Tx of one save: reads see the save's own writes, then the store's rows; the
// event being saved is in the archive.
type memoryTx struct {
	m       *Memory
	app     int64
	room    string
	pending *callback.Event
	writes  map[*callback.Table]map[string]callback.Row
}

func rowKey(key callback.Row) string {
	s := ""
	for _, v := range key {
		switch v := v.(type) {
		case string:
			s += strconv.Quote(v) + "|"
		default:
			s += fmt.Sprint(v) + "|"
		}
	}
	return s
}

func (x *memoryTx) Get(_ context.Context, t *callback.Table, key callback.Row) (callback.Row, error) {
	k := rowKey(key)
	if r, ok := x.writes[t][k]; ok {
		return slices.Clone(r), nil
	}
	if r, ok := x.m.rows[t][k]; ok {
		return slices.Clone(r), nil
	}
	return nil, nil
}

func (x *memoryTx) Put(_ context.Context, t *callback.Table, old, row callback.Row) error {
	if err := callback.CheckRow(t, row); err != nil {
		return err
	}
	if row[0] != x.app || row[1] != x.room {
		return fmt.Errorf("memory: a row of another room")
	}
	k := rowKey(t.KeyOf(row))
	if x.writes[t] == nil {
		x.writes[t] = map[string]callback.Row{}
	}
	x.writes[t][k] = slices.Clone(row)
	return nil
}

func (x *memoryTx) RoomRows(_ context.Context, t *callback.Table) ([]callback.Row, error) {
	seen := map[string]bool{}
	var out []callback.Row
	for k, r := range x.writes[t] {
		seen[k] = true
		out = append(out, slices.Clone(r))
	}
	for k, r := range x.m.rows[t] {
		if !seen[k] && r[0] == x.app && r[1] == x.room {
			out = append(out, slices.Clone(r))
		}
	}
	return out, nil
}

func (x *memoryTx) Archived(_ context.Context, q callback.ArchiveQuery) ([]callback.Archived, error) {
	events := x.m.events
	if x.pending != nil {
		events = append(slices.Clone(events), *x.pending)
	}
	return archivedOf(events, x.app, x.room, q), nil
}

// archivedOf selects the archived events of one room q selects, as a Tx's Archived does.
func archivedOf(events []callback.Event, app int64, room string, q callback.ArchiveQuery) []callback.Archived {
	var out []callback.Archived
	for _, ev := range events {
		if ev.SdkAppID != app || ev.RoomID != room || ev.EventTime == 0 || !slices.Contains(q.Commands, ev.Command) ||
			(q.From != 0 && ev.EventTime < q.From) || (q.To != 0 && ev.EventTime > q.To) {
			continue
		}
		out = append(out, callback.Archived{Command: ev.Command, EventTime: ev.EventTime, Digest: ev.Digest(), Raw: ev.Raw})
	}
	if q.Newest && len(out) > 0 {
		newest := slices.MaxFunc(out, func(a, b callback.Archived) int { return int(a.EventTime - b.EventTime) }).EventTime
		out = slices.DeleteFunc(out, func(a callback.Archived) bool { return a.EventTime != newest })
	}
	return out
}

// Expired returns up to n archived events of app received before cutoff, in archive order,
// after position after, each with its ArchiveID (its position).
func (m *Memory) Expired(_ context.Context, app int64, cutoff time.Time, after string, n int) ([]callback.Event, string, error) {
	if n < 1 {
		return nil, "", fmt.Errorf("memory: purge: %d events a page", n)
	}
	from := 0
	if after != "" {
		var err error
		if from, err = strconv.Atoi(after); err != nil {
			return nil, "", fmt.Errorf("memory: purge: bad position %q", after)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []callback.Event
	for i, ev := range m.events {
		if m.seqs[i] <= from || ev.SdkAppID != app || ev.ReceivedAt.UnixMilli() >= cutoff.UnixMilli() {
			continue
		}
		if len(out) == n {
			return out, out[n-1].ArchiveID, nil
		}
		ev.Raw = slices.Clone(ev.Raw)
		ev.ArchiveID = strconv.Itoa(m.seqs[i])
		out = append(out, ev)
	}
	return out, "", nil
}

// RoomArchived returns the room's archived events q selects.
func (m *Memory) RoomArchived(_ context.Context, app int64, room string, q callback.ArchiveQuery) ([]callback.Archived, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return archivedOf(m.events, app, room, q), nil
}

// Delete removes the archived events of app that ids name; a re-delivery of one is then
// archived again, as on every backend (its key is gone with it).
func (m *Memory) Delete(_ context.Context, app int64, ids []string) (int, error) {
	gone := map[int]bool{}
	for _, id := range ids {
		n, err := strconv.Atoi(id)
		if err != nil {
			return 0, fmt.Errorf("memory: purge: bad archive id %q", id)
		}
		gone[n] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	deleted := 0
	for i := 0; i < len(m.events); {
		if ev := &m.events[i]; ev.SdkAppID == app && gone[m.seqs[i]] {
			if ev.EventTime != 0 {
				delete(m.keys, archiveKey(ev))
			}
			m.events = slices.Delete(m.events, i, i+1)
			m.seqs = slices.Delete(m.seqs, i, i+1)
			deleted++
			continue
		}
		i++
	}
	return deleted, nil
}

// Refold runs callback.Refold on one room, as a store migrated from an earlier version does
// for the events it archived without projecting, and makes the gift ledger rows of the room's
// archived gifts that have none (delivery_id "archive:" and the archive position), as the
// migration to version 3 does.
func (m *Memory) Refold(ctx context.Context, app int64, room string, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tx := &memoryTx{m: m, app: app, room: room, writes: map[*callback.Table]map[string]callback.Row{}}
	n, err := callback.Refold(ctx, tx, app, room, now)
	if err != nil {
		return 0, err
	}
	for i, ev := range m.events {
		if ev.SdkAppID != app || ev.RoomID != room || ev.Command != callback.CommandLiveGift {
			continue
		}
		row, ok := callback.GiftRowOfArchive(app, room, "archive:"+strconv.Itoa(m.seqs[i]), ev.ReceivedAt.UnixMilli(), ev.Raw)
		if !ok {
			continue
		}
		if old, _ := tx.Get(ctx, callback.GiftsTable, callback.GiftsTable.KeyOf(row)); old == nil {
			if err := tx.Put(ctx, callback.GiftsTable, nil, row); err != nil {
				return 0, err
			}
			n++
		}
	}
	for t, rows := range tx.writes {
		if m.rows[t] == nil {
			m.rows[t] = map[string]callback.Row{}
		}
		for k, r := range rows {
			m.rows[t][k] = r
		}
	}
	return n, nil
}
