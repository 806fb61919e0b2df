package samples

import (
	"context"
	"fmt"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// PurgeKept names the samples whose archive rows an archive purge keeps (callback.PurgeArchive)
// once both stories, delivered in order, are older than the retention; the others go. It is the
// retention's rule (pkg/callback/retention.go) spelt out for the samples, so that a test of a
// function's scheduled purge checks what stays by name:
//   - every life event (create, updates, owner change, destroy) from the room's newest create
//     on: each story has one create, so all of them;
//   - the newest Room-family member event (member-leave; member-enter is older);
//   - every battle stage;
//   - nothing else: seats, admins, metadata, Live member states, the gift and the app-wide
//     threshold (callback.AlwaysExpires).
var PurgeKept = map[string]bool{
	"create-room": true, "update-room": true, "update-room-alt": true, "member-leave": true, "destroy-room": true,
	"live-create-room": true, "live-update-room": true, "live-change-owner": true, "live-destroy-room": true,
	"live-create-battle": true, "live-start-battle": true, "live-end-battle": true,
}

// Deliver sends samples to st through the core, in order, as Tencent would (POST, the sample's
// query string, no signature), as if each had been received at at: the way a test gives a store
// an archive older than a retention. Every one must be answered 200.
func Deliver(ctx context.Context, st callback.Store, at time.Time, ss ...Sample) error {
	h, err := callback.NewHandler(callback.Options{SdkAppIDs: []int64{AppID}, Store: st, StoreTimeout: time.Minute,
		SignTolerance: time.Minute, Now: func() time.Time { return at }})
	if err != nil {
		return err
	}
	for _, s := range ss {
		r := h.Handle(ctx, callback.Request{Method: "POST", Query: s.Query(), Body: []byte(s.Body), RequestID: "deliver-" + s.Variant})
		if r.StatusCode != 200 {
			return fmt.Errorf("samples: %s answered %d %s", s.Variant, r.StatusCode, r.Body)
		}
	}
	return nil
}
