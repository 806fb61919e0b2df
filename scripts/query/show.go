package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/roomhook/roomhook/pkg/callback"
)

// show runs one request against the store.
func show(ctx context.Context, src source, req request, w writer) error {
	switch req.command {
	case "rooms":
		return showRooms(ctx, src, req, w)
	case "room":
		return showRoom(ctx, src, req.app, req.args[0], w)
	case "members":
		return showMembers(ctx, src, req, w)
	case "events":
		return showEvents(ctx, src, req, w)
	case "gifts":
		return showGifts(ctx, src, req, w)
	}
	return fmt.Errorf("unknown command %q", req.command)
}

// view is the rows of one table a command shows, and the columns a table for people gives.
type view struct {
	title string // the heading over the table for people ("" for none)
	table *callback.Table
	rows  []callback.Row
	cols  []string // the columns shown to people, in order; -json gives every column
}

func showRooms(ctx context.Context, src source, req request, w writer) error {
	rows, err := src.AppRooms(ctx, req.app)
	if err != nil {
		return err
	}
	state := "live"
	if len(req.args) == 1 {
		state = req.args[0]
	}
	destroyed := callback.RoomsTable.Index("destroyed_at")
	rows = slices.DeleteFunc(rows, func(r callback.Row) bool {
		return state == "live" && r[destroyed] != nil || state == "destroyed" && r[destroyed] == nil
	})
	sortBy(rows, 1)
	return w.view(view{table: callback.RoomsTable, rows: rows, cols: []string{
		"room_id", "state", "room_name", "room_type", "owner_account", "member_count", "event_time", "destroyed_at"}})
}

// showRoom shows one room as it is now: its row, the members in it, its seats, and the Live
// tables when it has rows there (current admins, metadata not deleted, the battles it started).
func showRoom(ctx context.Context, src source, app int64, room string, w writer) error {
	read := func(t *callback.Table, keep func(callback.Row) bool) ([]callback.Row, error) {
		rows, err := src.Rows(ctx, t, app, room)
		if err != nil {
			return nil, fmt.Errorf("read %s of room %q: %w", t.Name, room, err)
		}
		if keep != nil {
			rows = slices.DeleteFunc(rows, func(r callback.Row) bool { return !keep(r) })
		}
		sortBy(rows, 2)
		return rows, nil
	}
	is := func(t *callback.Table, col string, v any) func(callback.Row) bool {
		i := t.Index(col)
		return func(r callback.Row) bool { return r[i] == v }
	}
	rooms, err := read(callback.RoomsTable, nil)
	if err != nil {
		return err
	}
	members, err := read(callback.MembersTable, is(callback.MembersTable, "state", "in"))
	if err != nil {
		return err
	}
	seats, err := read(callback.SeatsTable, nil)
	if err != nil {
		return err
	}
	admins, err := read(callback.AdminsTable, is(callback.AdminsTable, "state", "admin"))
	if err != nil {
		return err
	}
	metadata, err := read(callback.MetadataTable, is(callback.MetadataTable, "deleted", false))
	if err != nil {
		return err
	}
	battles, err := read(callback.BattlesTable, nil)
	if err != nil {
		return err
	}
	if len(rooms)+len(members)+len(seats)+len(admins)+len(metadata)+len(battles) == 0 {
		// Nothing of it now: say whether the room has any member rows at all (all left).
		all, err := read(callback.MembersTable, nil)
		if err != nil {
			return err
		}
		if len(all) == 0 {
			return fmt.Errorf("room %q of app %d: the store holds nothing of it", room, app)
		}
	}
	if err := w.record(callback.RoomsTable, rooms, room); err != nil {
		return err
	}
	views := []view{
		{title: "members in", table: callback.MembersTable, rows: members, cols: []string{"member_account", "entered_at", "event_time"}},
		{title: "seats", table: callback.SeatsTable, rows: seats, cols: []string{"seat_index", "member_account",
			"is_taken_disabled", "is_video_disabled", "is_audio_disabled", "event_time"}},
	}
	for _, v := range []view{
		{title: "admins", table: callback.AdminsTable, rows: admins, cols: []string{"admin_account", "event_time"}},
		{title: "metadata", table: callback.MetadataTable, rows: metadata, cols: []string{"meta_key", "meta_value", "event_time"}},
		{title: "battles", table: callback.BattlesTable, rows: battles, cols: []string{"battle_id", "stage", "to_room_ids",
			"from_score", "to_scores", "winner_room_id", "start_time", "end_time"}},
	} {
		if len(v.rows) > 0 { // the Live tables, for rooms that have them
			views = append(views, v)
		}
	}
	for _, v := range views {
		if err := w.view(v); err != nil {
			return err
		}
	}
	return nil
}

func showMembers(ctx context.Context, src source, req request, w writer) error {
	room := req.args[0]
	rows, err := src.Rows(ctx, callback.MembersTable, req.app, room)
	if err != nil {
		return fmt.Errorf("read room_members of room %q: %w", room, err)
	}
	if len(req.args) == 2 && req.args[1] != "all" {
		state := callback.MembersTable.Index("state")
		rows = slices.DeleteFunc(rows, func(r callback.Row) bool { return r[state] != req.args[1] })
	}
	sortBy(rows, 2)
	return w.view(view{table: callback.MembersTable, rows: rows, cols: []string{
		"member_account", "state", "entered_at", "left_at", "leave_type", "leave_reason", "event_time"}})
}

func (req request) list() callback.ListQuery {
	return callback.ListQuery{SdkAppID: req.app, Room: req.room, Since: req.since, Commands: req.cmds, Limit: req.limit}
}

func showEvents(ctx context.Context, src source, req request, w writer) error {
	evs, err := src.Archive(ctx, req.list())
	if err != nil {
		return err
	}
	return w.events(evs)
}

func showGifts(ctx context.Context, src source, req request, w writer) error {
	rows, err := src.Gifts(ctx, req.list())
	if err != nil {
		return err
	}
	return w.view(view{table: callback.GiftsTable, rows: rows, cols: []string{
		"received_at", "room_id", "from_account", "to_accounts", "gift_id", "gift_count", "coins", "gift_time"}})
}

// sortBy orders rows by column i (a room's id, a member's account, a seat's index, …).
func sortBy(rows []callback.Row, i int) {
	slices.SortFunc(rows, func(a, b callback.Row) int {
		if x, ok := a[i].(int64); ok {
			return cmp.Compare(x, b[i].(int64))
		}
		return strings.Compare(fmt.Sprint(a[i]), fmt.Sprint(b[i]))
	})
}

// archiveColumns are the archive's columns as -json gives them (docs/tables.md).
var archiveColumns = []string{"sdk_app_id", "callback_command", "room_id", "event_time", "client_ip",
	"opt_platform", "request_id", "received_at", "body_sha256", "raw_body"}

// archiveRecord is one archived event as its columns' values: event_time null when the event
// had none, received_at in Unix milliseconds as stored, raw_body the body itself when it is JSON
// (it always is for a callback the function accepted), else a string.
func archiveRecord(ev callback.Event) []any {
	var eventTime, body any
	if ev.EventTime != 0 {
		eventTime = ev.EventTime
	}
	body = string(ev.Raw)
	if json.Valid(ev.Raw) {
		body = json.RawMessage(ev.Raw)
	}
	return []any{ev.SdkAppID, ev.Command, ev.RoomID, eventTime, ev.ClientIP, ev.OptPlatform, ev.RequestID,
		ev.ReceivedAt.UnixMilli(), ev.Digest(), body}
}
