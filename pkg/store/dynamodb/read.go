package dynamodb

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
)

// Room returns the projection of one room, or an error wrapping callback.ErrNotFound. The read
// is strongly consistent: it sees every Save that returned before it.
func (s *Store) Room(ctx context.Context, sdkAppID int64, roomID string) (*callback.RoomRecord, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	out, err := s.client.getItem(ctx, &ddb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            key(roomPK(sdkAppID, roomID), roomSK),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamodb: read room: %w", err)
	}
	if out.Item == nil {
		return nil, fmt.Errorf("dynamodb: room %q of app %d: %w", roomID, sdkAppID, callback.ErrNotFound)
	}
	rec, err := decodeRoom(out.Item, sdkAppID, roomID)
	if err != nil {
		return nil, fmt.Errorf("dynamodb: read room %q of app %d: %w", roomID, sdkAppID, err)
	}
	return rec, nil
}

// Events returns the archive items of one app in archive order. An app with no items yields an
// empty result, not an error.
//
// It queries the gsi1 index, and a global secondary index is eventually consistent: on DynamoDB
// an event saved a moment ago (typically well under a second) may be missing from the list.
func (s *Store) Events(ctx context.Context, sdkAppID int64) ([]callback.Event, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	in := &ddb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(indexByApp),
		KeyConditionExpression:    aws.String("gsi1pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": attrS(appPK(sdkAppID))},
		ScanIndexForward:          aws.Bool(true),
	}
	var events []callback.Event
	for {
		out, err := s.client.query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamodb: read events: %w", err)
		}
		for _, item := range out.Items {
			ev, err := decodeEvent(item)
			if err != nil {
				pk, _ := item[attrPK].(*types.AttributeValueMemberS)
				sk, _ := item[attrSK].(*types.AttributeValueMemberS)
				if pk != nil && sk != nil {
					err = fmt.Errorf("item pk=%q sk=%q: %w", pk.Value, sk.Value, err)
				}
				return nil, fmt.Errorf("dynamodb: read events: %w", err)
			}
			events = append(events, ev)
		}
		if len(out.LastEvaluatedKey) == 0 {
			return events, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// decodeEvent reads an archive item back into an Event; Room stays nil.
func decodeEvent(item map[string]types.AttributeValue) (callback.Event, error) {
	var (
		ev  callback.Event
		d   = decoder{item: item}
		enc *string
	)
	ev.SdkAppID = d.int(attrSdkAppID)
	ev.Command = d.str(attrCommand)
	ev.RoomID = d.str(attrRoomID)
	if t := d.optInt(attrEventTime); t != nil {
		ev.EventTime = *t // absent: 0, as in Event
	}
	ev.ClientIP = d.str(attrClientIP)
	ev.OptPlatform = d.str(attrOptPlatform)
	ev.RequestID = d.str(attrRequestID)
	ev.ReceivedAt = millis(d.int(attrReceivedAt))
	ev.Raw = d.bin(attrRawBody)
	enc = d.optStr(attrRawBodyEncoding)
	if d.err != nil {
		return ev, d.err
	}
	switch {
	case enc == nil:
	case *enc == encodingGzip:
		raw, err := gunzip(ev.Raw)
		if err != nil {
			return ev, fmt.Errorf("raw_body is not valid gzip: %w", err)
		}
		ev.Raw = raw
	default:
		return ev, fmt.Errorf("unknown raw_body_encoding %q", *enc)
	}
	return ev, nil
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(zr, callback.MaxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > callback.MaxBodyBytes {
		return nil, fmt.Errorf("it expands beyond %d bytes", callback.MaxBodyBytes)
	}
	if raw == nil {
		raw = []byte{}
	}
	return raw, zr.Close()
}

// decodeRoom reads a room item back; absent attributes are absent fields.
func decodeRoom(item map[string]types.AttributeValue, sdkAppID int64, roomID string) (*callback.RoomRecord, error) {
	d := decoder{item: item}
	rec := &callback.RoomRecord{SdkAppID: sdkAppID}
	r := &rec.Room
	r.RoomInfo.RoomID = roomID
	for _, f := range roomStrings {
		*f.get(&r.RoomInfo) = d.optStr(f.name)
	}
	for _, f := range roomInts {
		*f.get(&r.RoomInfo) = d.optInt(f.name)
	}
	for _, f := range roomBools {
		*f.get(&r.RoomInfo) = d.optBool(f.name)
	}
	r.OperatorAccount = d.optStr(attrOperator)
	r.ScheduleInviteeList = d.optStrList(attrInvitees)
	r.CallbackCommand = d.str(attrCommand)
	r.EventTime = d.int(attrEventTime)
	rec.UpdatedAt = millis(d.int(attrUpdatedAt))
	if d.err != nil {
		return nil, d.err
	}
	return rec, nil
}

// decoder reads typed attributes from one item and keeps the first problem, so that callers
// read every field and check once. A NULL attribute counts as absent.
type decoder struct {
	item map[string]types.AttributeValue
	err  error
}

func (d *decoder) fail(name, want string, v types.AttributeValue) {
	if d.err == nil {
		d.err = fmt.Errorf("attribute %s is %T, want %s", name, v, want)
	}
}

// lookup returns the attribute, or nil when it is absent or NULL.
func (d *decoder) lookup(name string) types.AttributeValue {
	v, ok := d.item[name]
	if !ok {
		return nil
	}
	if _, null := v.(*types.AttributeValueMemberNULL); null {
		return nil
	}
	return v
}

func (d *decoder) optStr(name string) *string {
	v := d.lookup(name)
	if v == nil {
		return nil
	}
	sv, ok := v.(*types.AttributeValueMemberS)
	if !ok {
		d.fail(name, "a string (S)", v)
		return nil
	}
	return &sv.Value
}

func (d *decoder) str(name string) string {
	p := d.optStr(name)
	if p == nil {
		d.missing(name)
		return ""
	}
	return *p
}

func (d *decoder) optInt(name string) *int64 {
	v := d.lookup(name)
	if v == nil {
		return nil
	}
	nv, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		d.fail(name, "a number (N)", v)
		return nil
	}
	i, err := strconv.ParseInt(nv.Value, 10, 64)
	if err != nil {
		if d.err == nil {
			d.err = fmt.Errorf("attribute %s is %q, not a 64-bit integer", name, nv.Value)
		}
		return nil
	}
	return &i
}

func (d *decoder) int(name string) int64 {
	p := d.optInt(name)
	if p == nil {
		d.missing(name)
		return 0
	}
	return *p
}

func (d *decoder) optBool(name string) *bool {
	v := d.lookup(name)
	if v == nil {
		return nil
	}
	bv, ok := v.(*types.AttributeValueMemberBOOL)
	if !ok {
		d.fail(name, "a boolean (BOOL)", v)
		return nil
	}
	return &bv.Value
}

func (d *decoder) bin(name string) []byte {
	v := d.lookup(name)
	if v == nil {
		d.missing(name)
		return nil
	}
	bv, ok := v.(*types.AttributeValueMemberB)
	if !ok {
		d.fail(name, "a binary (B)", v)
		return nil
	}
	if bv.Value == nil {
		return []byte{}
	}
	return bv.Value
}

// optStrList reads a list of strings; an empty list is an empty, non-nil slice.
func (d *decoder) optStrList(name string) []string {
	v := d.lookup(name)
	if v == nil {
		return nil
	}
	lv, ok := v.(*types.AttributeValueMemberL)
	if !ok {
		d.fail(name, "a list (L) of strings", v)
		return nil
	}
	list := make([]string, 0, len(lv.Value))
	for _, e := range lv.Value {
		sv, ok := e.(*types.AttributeValueMemberS)
		if !ok {
			d.fail(name, "a list (L) of strings", e)
			return nil
		}
		list = append(list, sv.Value)
	}
	return list
}

func (d *decoder) missing(name string) {
	if d.err == nil {
		d.err = fmt.Errorf("attribute %s is missing", name)
	}
}
