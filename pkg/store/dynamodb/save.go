package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
)

// Conditions of the two writes. An archive item is written only when its key is new; a room
// item only when there is none or the stored one reflects a strictly older EventTime.
const (
	condNewItem   = "attribute_not_exists(pk)"
	condNewerRoom = "attribute_not_exists(pk) OR event_time < :t"
)

// Save archives ev and, for a projected command, updates the room; see callback.Store for the
// outcomes. DynamoDB has no transaction here (the design must run on servers without
// TransactWriteItems), so Save makes two conditional, idempotent writes:
//
//  1. the archive item, only if its key is new; when it exists the event is a duplicate;
//  2. when ev.Room is set, the room item, only if there is none or it reflects an older
//     EventTime. This step runs for a duplicate too: if an earlier delivery archived the event
//     and failed before step 2, the re-delivery completes it.
//
// A duplicate returns OutcomeDuplicate whatever step 2 did. Otherwise a written room is
// OutcomeStored; a refused one is OutcomeStale, unless the stored room is this very event
// (written by a re-delivery that raced this one), which is OutcomeStored.
//
// An error may leave step 1 done and step 2 not: the caller answers with a failure, and the
// next delivery (or a replay) of the event repairs the room. Before either write, Save refuses
// an inconsistent event, and an event too large for DynamoDB's item limit (ErrItemTooLarge).
//
// When ev.Room is set, ev.RoomID and ev.EventTime must equal Room.RoomInfo.RoomID and
// Room.EventTime: the archive key and the projection must describe the same event.
func (s *Store) Save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	if err := ev.Check(); err != nil {
		return 0, fmt.Errorf("dynamodb: save: %w", err)
	}
	if err := s.begin(); err != nil {
		return 0, err
	}
	defer s.end()
	if err := checkKeyParts(ev); err != nil {
		return 0, err
	}
	archive, err := archiveItem(ev, stamp(s.nextStamp()))
	if err != nil {
		return 0, err
	}
	var room map[string]types.AttributeValue
	if ev.Room != nil {
		if room, err = roomItem(ev); err != nil {
			return 0, err
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("dynamodb: save: %w", context.Cause(ctx))
	}

	// Step 1: the archive.
	_, err = s.client.putItem(ctx, &ddb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                archive,
		ConditionExpression: aws.String(condNewItem),
	})
	duplicate := false
	if err != nil {
		if !isConditionFailed(err) {
			return 0, fmt.Errorf("dynamodb: save: archive event: %w", err)
		}
		duplicate = true
	}
	if ev.Room == nil {
		if duplicate {
			return callback.OutcomeDuplicate, nil
		}
		return callback.OutcomeIgnored, nil
	}

	// Step 2: the room, also for a duplicate (the repair).
	_, err = s.client.putItem(ctx, &ddb.PutItemInput{
		TableName:                 aws.String(s.table),
		Item:                      room,
		ConditionExpression:       aws.String(condNewerRoom),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": attrN(ev.EventTime)},
	})
	switch {
	case err != nil && !isConditionFailed(err):
		return 0, fmt.Errorf("dynamodb: save: update room: %w", err)
	case duplicate:
		return callback.OutcomeDuplicate, nil
	case err == nil:
		return callback.OutcomeStored, nil
	}

	// This delivery archived the event but the room was not written: either the stored room
	// is newer (or as new), or a re-delivery of this same event wrote it between our steps.
	same, err := s.roomIsEvent(ctx, ev)
	if err != nil {
		return 0, fmt.Errorf("dynamodb: save: read room after a refused update: %w", err)
	}
	if same {
		return callback.OutcomeStored, nil
	}
	return callback.OutcomeStale, nil
}

// roomIsEvent reports whether ev's room item reflects ev itself: the same command and EventTime
// in the same room of the same app is the same archive key, hence the same event.
func (s *Store) roomIsEvent(ctx context.Context, ev *callback.Event) (bool, error) {
	out, err := s.client.getItem(ctx, &ddb.GetItemInput{
		TableName:            aws.String(s.table),
		Key:                  key(roomPK(ev.SdkAppID, ev.RoomID), roomSK),
		ConsistentRead:       aws.Bool(true),
		ProjectionExpression: aws.String("callback_command, event_time"),
	})
	if err != nil {
		return false, err
	}
	cmd, _ := out.Item[attrCommand].(*types.AttributeValueMemberS)
	t, _ := out.Item[attrEventTime].(*types.AttributeValueMemberN)
	return cmd != nil && t != nil && cmd.Value == ev.Command && t.Value == strconv.FormatInt(ev.EventTime, 10), nil
}

// nextStamp returns the archive position of the next event: the clock in Unix ns, moved on by
// at least 1 ns from the previous stamp, so that events saved one after another by this process
// list in the order they were saved even if the clock stands still or steps back.
func (s *Store) nextStamp() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UnixNano()
	if now <= s.lastStamp {
		now = s.lastStamp + 1
	}
	s.lastStamp = now
	return now
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}
