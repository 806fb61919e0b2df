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

// Rows returns the rows of t of one room: the room item, its member items (every shard) or its
// seat items. The reads are strongly consistent: they see every Save that returned before.
func (s *Store) Rows(ctx context.Context, t *callback.Table, sdkAppID int64, roomID string) ([]callback.Row, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	rows, err := (&tx{s: s, app: sdkAppID, room: roomID}).RoomRows(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("dynamodb: room %q of app %d: %w", roomID, sdkAppID, err)
	}
	return rows, nil
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

// decodeEvent reads an archive item (of either version) back into an Event; Payload stays nil.
func decodeEvent(item map[string]types.AttributeValue) (callback.Event, error) {
	var (
		ev callback.Event
		d  = decoder{item: item}
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
	raw, err := rawBody(&d)
	if err != nil {
		return ev, err
	}
	ev.Raw = raw
	return ev, nil
}

// rawBody reads raw_body, decompressed when raw_body_encoding says so, and every problem d
// met before.
func rawBody(d *decoder) ([]byte, error) {
	raw := d.bin(attrRawBody)
	enc := d.optStr(attrRawBodyEncoding)
	if d.err != nil {
		return nil, d.err
	}
	switch {
	case enc == nil:
		return raw, nil
	case *enc == encodingGzip:
		raw, err := gunzip(raw)
		if err != nil {
			return nil, fmt.Errorf("raw_body is not valid gzip: %w", err)
		}
		return raw, nil
	}
	return nil, fmt.Errorf("unknown raw_body_encoding %q", *enc)
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

// optIntList reads a list of numbers (L of N); an empty list is an empty, non-nil slice.
func (d *decoder) optIntList(name string) []int64 {
	v := d.lookup(name)
	if v == nil {
		return nil
	}
	lv, ok := v.(*types.AttributeValueMemberL)
	if !ok {
		d.fail(name, "a list (L) of numbers", v)
		return nil
	}
	list := make([]int64, 0, len(lv.Value))
	for _, e := range lv.Value {
		nv, ok := e.(*types.AttributeValueMemberN)
		if !ok {
			d.fail(name, "a list (L) of numbers", e)
			return nil
		}
		n, err := strconv.ParseInt(nv.Value, 10, 64)
		if err != nil {
			if d.err == nil {
				d.err = fmt.Errorf("attribute %s holds %q, not a 64-bit integer", name, nv.Value)
			}
			return nil
		}
		list = append(list, n)
	}
	return list
}

func (d *decoder) missing(name string) {
	if d.err == nil {
		d.err = fmt.Errorf("attribute %s is missing", name)
	}
}
