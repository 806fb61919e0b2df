package postgres

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestUpdateGuardSkipsCommit: a write sent with the COMMIT that updates no row fails on the
// server, so the COMMIT of its batch does not run and nothing the transaction wrote is kept.
func TestUpdateGuardSkipsCommit(t *testing.T) {
	raw := os.Getenv("ROOMHOOK_TEST_POSTGRES")
	if raw == "" {
		t.Skip("ROOMHOOK_TEST_POSTGRES not set (see docs/stores.md#running-the-backend-tests)")
	}
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, sql := range []string{
		`CREATE TEMP TABLE guard_t (k int PRIMARY KEY, v int NOT NULL)`,
		`INSERT INTO guard_t VALUES (1, 1)`,
	} {
		if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
			t.Fatal(err)
		}
	}
	run := func(k int32) error {
		b := &batch{}
		b.add("", "begin", nil, nil, nil, nil)
		ins := &params{}
		ins.int4(100)
		b.add(": write guard_t", `INSERT INTO guard_t VALUES ($1, 0)`, ins, nil, nil, nil)
		upd := &params{}
		upd.int4(k)
		b.add(": write guard_t", updateGuarded(`UPDATE guard_t SET v = v + 1 WHERE k = $1`), upd, nil, nil, nil)
		b.add(": commit", "commit", nil, nil, nil, nil)
		err := b.run(ctx, conn)
		rollback(ctx, conn)
		return err
	}
	err = run(2) // no row 2
	var se *stepError
	if !errors.As(err, &se) || se.step != ": write guard_t" || !strings.Contains(err.Error(), "0 rows written") {
		t.Fatalf("update of a missing row = %v, want the write's error saying 0 rows written", err)
	}
	count := func() string {
		res, err := conn.Exec(ctx, `SELECT count(*)::text || '/' || sum(v)::text FROM guard_t`).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return string(res[0].Rows[0][0])
	}
	if got := count(); got != "1/1" {
		t.Fatalf("after the failed batch the table holds %s (rows/sum), want 1/1: the COMMIT ran", got)
	}
	if err := run(1); err != nil {
		t.Fatalf("update of row 1: %v", err)
	}
	if got := count(); got != "2/2" {
		t.Fatalf("after the good batch the table holds %s, want 2/2", got)
	}
}
