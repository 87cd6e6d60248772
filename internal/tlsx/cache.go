package tlsx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"myally.app/ally/internal/db"
)

// DBCache is an autocert.Cache kept in the tls_certificates table, so that every instance
// on the same database serves the certificates any of them obtained, and a restart does not
// ask the CA again (its rate limits are strict).
type DBCache struct {
	DB *db.DB
	// Now stamps updated_at; nil means time.Now.
	Now func() time.Time
}

var _ autocert.Cache = (*DBCache)(nil)

// Get returns the entry stored under name, or autocert.ErrCacheMiss.
func (c *DBCache) Get(ctx context.Context, name string) ([]byte, error) {
	var data []byte
	err := c.DB.R.QueryRowContext(ctx, `SELECT data FROM tls_certificates WHERE name = $1`, name).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, autocert.ErrCacheMiss
	}
	if err != nil {
		return nil, fmt.Errorf("tls cache: get: %w", err)
	}
	return data, nil
}

// Put stores data under name, replacing what was there.
func (c *DBCache) Put(ctx context.Context, name string, data []byte) error {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	_, err := c.DB.Exec(ctx, `INSERT INTO tls_certificates (name, data, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
		name, data, db.Millis(now()))
	if err != nil {
		return fmt.Errorf("tls cache: put: %w", err)
	}
	return nil
}

// Delete removes the entry stored under name; a missing entry is not an error.
func (c *DBCache) Delete(ctx context.Context, name string) error {
	if _, err := c.DB.Exec(ctx, `DELETE FROM tls_certificates WHERE name = $1`, name); err != nil {
		return fmt.Errorf("tls cache: delete: %w", err)
	}
	return nil
}
