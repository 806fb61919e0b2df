package postgres

import "github.com/jackc/pgx/v5/pgxpool"

// PoolConfig returns the configuration the store's pool was built with.
func PoolConfig(s *Store) *pgxpool.Config { return s.pool.Config() }
