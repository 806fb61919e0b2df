package mysql

import (
	"context"
	"database/sql"
	"fmt"
)

// createAtVersion2 makes the empty database db a version-2 store the way version 2's code made
// one: version 1's tables, the steps to version 2 and the version row 2. (Version 2's last
// step, its refold, is left out: the database is empty.)
func createAtVersion2(ctx context.Context, db *sql.DB, name string) error {
	s := &Store{db: db, where: name}
	collation, err := s.keyCollation(ctx)
	if err != nil {
		return err
	}
	for _, stmt := range schemaV1 {
		if err := s.exec(ctx, fmt.Sprintf(stmt, collation)); err != nil {
			return err
		}
	}
	for _, st := range v2Steps(collation) {
		if err := st.take(ctx, s); err != nil {
			return err
		}
	}
	if err := s.exec(ctx, createVersionTable); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, insertVersion, 2)
	return err
}
