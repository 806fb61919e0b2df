package callback

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
)

// bufferedTx is the Tx Refold folds a room's events on: it reads the room's rows from the
// backend's Tx once per table, answers archive reads from the events Refold read, and keeps
// every write until flush, which writes each row that ends different from what was read. A
// refold of thousands of events then costs a few reads and one write per changed row instead
// of several round trips per event. It relies on what every Tx promises: the room is locked,
// so nothing else changes its rows meanwhile.
type bufferedTx struct {
	tx        Tx
	byCommand map[string][]Archived // the room's archived events, by command, by EventTime
	tables    map[*Table]*bufferedTable
}

// bufferedTable is one table's rows of the room: as read, and as written since.
type bufferedTable struct {
	read map[string]Row // by rowKey
	rows map[string]Row
	keys []string // of rows, in the order first seen
}

func newBufferedTx(tx Tx, archive []Archived) *bufferedTx {
	b := &bufferedTx{tx: tx, byCommand: map[string][]Archived{}, tables: map[*Table]*bufferedTable{}}
	for _, a := range archive {
		b.byCommand[a.Command] = append(b.byCommand[a.Command], a)
	}
	for _, events := range b.byCommand {
		slices.SortStableFunc(events, func(x, y Archived) int { return cmp.Compare(x.EventTime, y.EventTime) })
	}
	return b
}

// table returns t's rows of the room, read on first use.
func (b *bufferedTx) table(ctx context.Context, t *Table) (*bufferedTable, error) {
	if bt, ok := b.tables[t]; ok {
		return bt, nil
	}
	rows, err := b.tx.RoomRows(ctx, t)
	if err != nil {
		return nil, err
	}
	bt := &bufferedTable{read: make(map[string]Row, len(rows)), rows: make(map[string]Row, len(rows))}
	for _, r := range rows {
		k := rowKey(t, r)
		bt.read[k], bt.rows[k] = r, slices.Clone(r)
		bt.keys = append(bt.keys, k)
	}
	b.tables[t] = bt
	return bt, nil
}

func (b *bufferedTx) Get(ctx context.Context, t *Table, key Row) (Row, error) {
	bt, err := b.table(ctx, t)
	if err != nil {
		return nil, err
	}
	return slices.Clone(bt.rows[rowKey(t, key)]), nil
}

func (b *bufferedTx) Put(ctx context.Context, t *Table, _, row Row) error {
	bt, err := b.table(ctx, t)
	if err != nil {
		return err
	}
	k := rowKey(t, row)
	if _, ok := bt.rows[k]; !ok {
		bt.keys = append(bt.keys, k)
	}
	bt.rows[k] = slices.Clone(row)
	return nil
}

func (b *bufferedTx) RoomRows(ctx context.Context, t *Table) ([]Row, error) {
	bt, err := b.table(ctx, t)
	if err != nil {
		return nil, err
	}
	out := make([]Row, len(bt.keys))
	for i, k := range bt.keys {
		out[i] = slices.Clone(bt.rows[k])
	}
	return out, nil
}

// Archived selects from the events Refold read, as the backend would from its archive.
func (b *bufferedTx) Archived(_ context.Context, q ArchiveQuery) ([]Archived, error) {
	from, to := q.From, q.To
	if q.Newest {
		// Only the greatest EventTime of those selected.
		newest, found := int64(0), false
		for _, c := range slices.Compact(slices.Sorted(slices.Values(q.Commands))) {
			events := b.between(c, from, to)
			if n := len(events); n > 0 && (!found || events[n-1].EventTime > newest) {
				newest, found = events[n-1].EventTime, true
			}
		}
		if !found {
			return nil, nil
		}
		from, to = newest, newest
	}
	var out []Archived
	for _, c := range slices.Compact(slices.Sorted(slices.Values(q.Commands))) {
		out = append(out, b.between(c, from, to)...)
	}
	return out, nil
}

// between returns the events of command c with from <= EventTime <= to (0: that side open).
func (b *bufferedTx) between(c string, from, to int64) []Archived {
	events := b.byCommand[c]
	lo, hi := 0, len(events)
	if from != 0 {
		lo = sort.Search(len(events), func(i int) bool { return events[i].EventTime >= from })
	}
	if to != 0 {
		hi = sort.Search(len(events), func(i int) bool { return events[i].EventTime > to })
	}
	if lo >= hi {
		return nil
	}
	return events[lo:hi]
}

// flush writes to the backend's Tx every row that differs from what was read (updated_at
// aside), in the order of Tables and of the rows' first use; on a ConcurrentTx, up to
// maxInFlight at a time.
func (b *bufferedTx) flush(ctx context.Context) error {
	type write struct {
		t        *Table
		old, row Row
	}
	var writes []write
	for _, t := range Tables { // the projection writes no other table

		bt, ok := b.tables[t]
		if !ok {
			continue
		}
		for _, k := range bt.keys {
			old, row := bt.read[k], bt.rows[k]
			if old != nil && sameRow(t, old, row) {
				continue
			}
			writes = append(writes, write{t, old, row})
		}
	}
	p := &projection{tx: b.tx}
	return p.each(len(writes), func(i int) error { return b.tx.Put(ctx, writes[i].t, writes[i].old, writes[i].row) })
}

// rowKey encodes the key values of row (or of a key) as a map key.
func rowKey(t *Table, row Row) string {
	var b []byte
	for _, v := range row[:t.Key] {
		switch v := v.(type) {
		case string:
			b = strconv.AppendInt(b, int64(len(v)), 10)
			b = append(b, ':')
			b = append(b, v...)
		case int64:
			b = strconv.AppendInt(b, v, 10)
			b = append(b, ';')
		default:
			b = fmt.Appendf(b, "%T(%v);", v, v)
		}
	}
	return string(b)
}
