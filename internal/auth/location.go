package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // users' timezones resolve even where the system has no zoneinfo

	"myally.app/ally/internal/errs"
)

// UserLocation returns the user's timezone, which decides their local day (usage limits
// reset at local midnight) and the dates the assistant sees. An empty or unknown name is
// UTC, so that a turn never fails on it; a user that does not exist is not_found.
func (s *Service) UserLocation(ctx context.Context, userID string) (*time.Location, error) {
	var name string
	err := s.db.R.QueryRowContext(ctx, `SELECT timezone FROM users WHERE id = $1`, userID).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("no such user")
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read timezone: %w", err)
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		return time.UTC, nil
	}
	return loc, nil
}
