package dynamodb

import "context"

// openAtVersion opens the table of rawURL as Open does, but brings it to schema version v
// (creating a new table at v) with the code's own steps: tests make a table of an older
// version this way, then open it with Open to migrate it.
func openAtVersion(ctx context.Context, rawURL string, v int64) (*Store, error) {
	return openVersion(ctx, rawURL, Options{}, v)
}
