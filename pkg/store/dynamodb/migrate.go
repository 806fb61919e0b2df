package dynamodb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
)

// refoldAtOnce bounds the rooms the migration refolds at the same time. Each room's refold
// makes up to 16 requests at once of its own (callback.Refold on a ConcurrentTx).
var refoldAtOnce = 8

// refoldHook, when set (by tests), is called after each room the migration refolded.
var refoldHook func(app int64, room string)

// v1Room is a room whose version 1 archive holds projected events.
type v1Room struct {
	app  int64
	room string
}

// refoldV1 brings the rows of every room whose version 1 archive holds projected events up to
// the fold of those events (callback.Refold): version 1 projected only the creates and
// archived the rest raw (updates, destroys, members, seats). It runs before the schema
// version item becomes 2, with s.legacyUntil already set so that the store's Tx reads the
// version 1 items; a cold start that fails half-way leaves version 1, and the next one
// refolds again (a refold of a room already refolded writes nothing). Each room is refolded
// under its lock, as a save projects, so racing cold starts (and saves of instances that
// already see version 2) take turns on a room.
func (s *Store) refoldV1(ctx context.Context, where string) error {
	rooms, err := s.v1Rooms(ctx)
	if err != nil {
		return fmt.Errorf("dynamodb: migrate %s: list the rooms to refold: %w", where, err)
	}
	now := time.Now()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		slots    = make(chan struct{}, max(refoldAtOnce, 1))
	)
	for _, r := range rooms {
		slots <- struct{}{}
		mu.Lock()
		if firstErr == nil && ctx.Err() != nil {
			firstErr = fmt.Errorf("dynamodb: migrate %s: refold the rooms: %w", where, context.Cause(ctx))
		}
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			<-slots
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			err := s.refoldRoom(ctx, r.app, r.room, now)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("dynamodb: migrate %s: refold room %q of app %d: %w", where, r.room, r.app, err)
					if ctx.Err() != nil && !errors.Is(err, context.Cause(ctx)) {
						firstErr = fmt.Errorf("%w (%w)", firstErr, context.Cause(ctx))
					}
				}
				mu.Unlock()
				return
			}
			if refoldHook != nil {
				refoldHook(r.app, r.room)
			}
		})
	}
	wg.Wait()
	return firstErr
}

// refoldRoom refolds one room under its lock, with the store's Tx. A room whose fold would
// make an item larger than DynamoDB allows (ErrItemTooLarge: only possible from bodies a
// version 2 Save would have refused) keeps the rows version 1 left, rather than failing every
// cold start from now on.
func (s *Store) refoldRoom(ctx context.Context, app int64, room string, now time.Time) error {
	lock, err := s.lockRoom(ctx, roomPK(app, room), nil)
	if err != nil {
		return err
	}
	defer lock.release(ctx)
	_, err = callback.Refold(ctx, &tx{s: s, app: app, room: room, lock: lock}, app, room, now)
	if errors.Is(err, ErrItemTooLarge) {
		return nil
	}
	return err
}

// v1Rooms lists, in order, the rooms whose version 1 archive holds projected events with an
// EventTime: one Scan of the table, paged, filtered on the server to those archive items and
// reading only their partition key, app and room.
func (s *Store) v1Rooms(ctx context.Context) ([]v1Room, error) {
	commands := callback.ProjectedCommands()
	values := map[string]types.AttributeValue{
		":v1":     attrS(legacyPrefix),
		":notime": attrS(noTimePrefix),
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = ":c" + strconv.Itoa(i)
		values[names[i]] = attrS(c)
	}
	in := &ddb.ScanInput{
		TableName: aws.String(s.table),
		FilterExpression: aws.String("begins_with(#sk, :v1) AND NOT begins_with(#sk, :notime) AND " +
			"#cmd IN (" + strings.Join(names, ", ") + ") AND attribute_exists(#t)"),
		ProjectionExpression: aws.String("#pk, #app, #room"),
		ExpressionAttributeNames: map[string]string{
			"#pk": attrPK, "#sk": attrSK, "#cmd": attrCommand, "#t": attrEventTime,
			"#app": attrSdkAppID, "#room": attrRoomID,
		},
		ExpressionAttributeValues: values,
		ConsistentRead:            aws.Bool(true),
	}
	seen := map[v1Room]bool{}
	var rooms []v1Room
	for {
		out, err := s.client.scan(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, item := range out.Items {
			d := decoder{item: item}
			pk, r := d.str(attrPK), v1Room{app: d.int(attrSdkAppID), room: d.str(attrRoomID)}
			if d.err != nil {
				return nil, fmt.Errorf("archive item %q: %w", pk, d.err)
			}
			// An item outside its room's partition is not one the room's Tx reads.
			if pk != roomPK(r.app, r.room) || seen[r] {
				continue
			}
			seen[r] = true
			rooms = append(rooms, r)
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	slices.SortFunc(rooms, func(a, b v1Room) int {
		return cmp.Or(cmp.Compare(a.app, b.app), strings.Compare(a.room, b.room))
	})
	return rooms, nil
}
