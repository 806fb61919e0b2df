package dynamodb

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The room lock: one item per room, pk = the room's partition key, sk = "LOCK", holding the
// owner's random token and the end of its lease. A save that projects takes it while it
// archives and gives it back when it ends, whatever happened; see the package documentation.
const (
	attrOwner     = "owner"
	attrExpiresAt = "expires_at"

	// A lease lasts as long as the save may (its context's deadline) plus leaseSlack, within
	// [minLease, maxLease]; a save without a deadline takes maxLease.
	minLease   = 3 * time.Second
	maxLease   = 30 * time.Second
	leaseSlack = time.Second
	// leaseGuard: a save stops writing rows when less than this is left of its lease.
	leaseGuard = 250 * time.Millisecond

	// Waiting for a lock another save holds: jittered waits from lockWaitFirst, doubling up to
	// lockWaitMax, until the save's context ends.
	lockWaitFirst = 5 * time.Millisecond
	lockWaitMax   = 100 * time.Millisecond
	// releaseTimeout bounds giving the lock back, also after the save's context ended.
	releaseTimeout = time.Second
)

// condLockFree lets a save take a room's lock: there is none, its lease has run out, or it is
// already this save's (its own write, retried by the SDK after a lost answer).
const condLockFree = "attribute_not_exists(pk) OR #e < :now OR #o = :me"

// roomLock is a lock a save holds.
type roomLock struct {
	s     *Store
	pk    string
	sk    string // lockSK for a room's lock; the account for a member's (memberLockPK)
	owner string
	until time.Time // the end of the lease, by this process's clock
	turn  *roomTurn // this process's turn for the room, given back with the lock
}

// roomTurns queues the saves of one process for a room's lock, first come first served, so
// that only the first of them asks DynamoDB for it. The lock item has no queue: waiters poll it
// with growing waits, so under a burst of one room (a web function taking thousands of a
// popular room's viewers at once) the saves that had waited longest polled least often, lost
// to newer ones and ran out of time, and every poll was one more request for the table.
// Between processes (Lambda and SCF event functions take one event per instance) the lock
// item alone still decides.
type roomTurns struct {
	mu    sync.Mutex
	rooms map[string]*roomTurn
}

// roomTurn is one room's queue: a token channel (its waiters are served in order) and how
// many saves hold or wait for it.
type roomTurn struct {
	token chan struct{}
	users int
}

// take waits for the room's turn, until ctx ends or abort is closed.
func (r *roomTurns) take(ctx context.Context, pk string, abort <-chan struct{}) (*roomTurn, error) {
	r.mu.Lock()
	if r.rooms == nil {
		r.rooms = map[string]*roomTurn{}
	}
	t := r.rooms[pk]
	if t == nil {
		t = &roomTurn{token: make(chan struct{}, 1)}
		r.rooms[pk] = t
	}
	t.users++
	r.mu.Unlock()
	select {
	case t.token <- struct{}{}:
		return t, nil
	case <-ctx.Done():
		r.leave(pk, t)
		return nil, fmt.Errorf("lock the room: another save of this process holds it: %w", context.Cause(ctx))
	case <-abort:
		r.leave(pk, t)
		return nil, errLockAbandoned
	}
}

// give ends the turn take gave.
func (r *roomTurns) give(pk string, t *roomTurn) {
	<-t.token
	r.leave(pk, t)
}

func (r *roomTurns) leave(pk string, t *roomTurn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t.users--; t.users == 0 {
		delete(r.rooms, pk)
	}
}

// leaseFor returns how long a lock taken for a save with ctx is held at most.
func leaseFor(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return maxLease
	}
	return min(max(time.Until(d)+leaseSlack, minLease), maxLease)
}

// errLockAbandoned is lockRoom's error when the save gave up waiting for the lock.
var errLockAbandoned = errors.New("lock the room: abandoned")

// lockRoom takes the room's lock, waiting while another save holds it, until ctx ends or
// abort is closed (nil: never).
func (s *Store) lockRoom(ctx context.Context, pk string, abort <-chan struct{}) (*roomLock, error) {
	return s.lockItem(ctx, pk, lockSK, abort)
}

// lockMembers takes the locks of a room's members, one after another in the order given (a
// Live member state's: callback.Event.MemberLocks), or none: on an error it gives back those it
// took.
func (s *Store) lockMembers(ctx context.Context, app int64, room string, members []string, abort <-chan struct{}) ([]*roomLock, error) {
	locks := make([]*roomLock, 0, len(members))
	for _, m := range members {
		l, err := s.lockItem(ctx, memberLockPK(app, room, m), m, abort)
		if err != nil {
			releaseAll(ctx, locks)
			return nil, err
		}
		locks = append(locks, l)
	}
	return locks, nil
}

// releaseAll gives back every lock of locks, at the same time.
func releaseAll(ctx context.Context, locks []*roomLock) {
	_ = parallel(len(locks), func(i int) error {
		locks[i].release(ctx)
		return nil
	})
}

// lockItem takes the lock item (pk, sk), waiting while another save holds it, until ctx ends or
// abort is closed (nil: never); this process's saves wait for it in turn first (roomTurns).
func (s *Store) lockItem(ctx context.Context, pk, sk string, abort <-chan struct{}) (_ *roomLock, err error) {
	turnKey := pk + "\x00" + sk
	turn, err := s.turns.take(ctx, turnKey, abort)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.turns.give(turnKey, turn)
		}
	}()
	l := &roomLock{s: s, pk: pk, sk: sk, owner: rand.Text(), turn: turn}
	lease := leaseFor(ctx)
	wait := lockWaitFirst
	for {
		now := time.Now()
		item := key(pk, sk)
		item[attrOwner] = attrS(l.owner)
		item[attrExpiresAt] = attrN(now.Add(lease).UnixMilli())
		_, err := s.client.putItem(ctx, &ddb.PutItemInput{
			TableName:                aws.String(s.table),
			Item:                     item,
			ConditionExpression:      aws.String(condLockFree),
			ExpressionAttributeNames: map[string]string{"#e": attrExpiresAt, "#o": attrOwner},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":now": attrN(now.UnixMilli()), ":me": attrS(l.owner),
			},
		})
		if err == nil {
			l.until = now.Add(lease)
			return l, nil
		}
		if !isConditionFailed(err) {
			return nil, fmt.Errorf("lock the room: %w", err)
		}
		// Another save holds it: wait a little, at a random point so that waiters spread out.
		t := time.NewTimer(wait/2 + mrand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("lock the room: another save holds it: %w", context.Cause(ctx))
		case <-abort:
			t.Stop()
			return nil, errLockAbandoned
		case <-t.C:
		}
		wait = min(2*wait, lockWaitMax)
	}
}

// check fails when the lease is (nearly) over: another save may hold the room by now.
func (l *roomLock) check() error {
	if time.Until(l.until) < leaseGuard {
		return fmt.Errorf("the room lock's lease ran out during the save")
	}
	return nil
}

// release gives the lock back, unless another save has taken it over since. It runs also when
// ctx has ended; a lock it cannot delete ends with its lease.
func (l *roomLock) release(ctx context.Context) {
	defer l.s.turns.give(l.pk+"\x00"+l.sk, l.turn)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_, _ = l.s.client.deleteItem(ctx, &ddb.DeleteItemInput{
		TableName:                 aws.String(l.s.table),
		Key:                       key(l.pk, l.sk),
		ConditionExpression:       aws.String("#o = :me"),
		ExpressionAttributeNames:  map[string]string{"#o": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{":me": attrS(l.owner)},
	})
}
