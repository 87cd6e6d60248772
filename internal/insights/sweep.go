package insights

import (
	"context"
	"database/sql"
	"time"

	"myally.app/ally/internal/db"
)

// CatchUpHours is how long after ALLY_NIGHTLY_HOUR a user's night is still picked up, so
// one missed sweep (a restart, an instance down at the hour) delays a night, never loses it.
const CatchUpHours = 6

// sweepChunk is how many user-nights one transaction records.
const sweepChunk = 500

// SweepResult says what a sweep did.
type SweepResult struct {
	// Found is the user-nights recorded; Batches and Requests what was submitted.
	Found, Batches, Requests int
}

type userNight struct{ userID, night string }

// Sweep finds the users whose local time has passed ALLY_NIGHTLY_HOUR (within
// CatchUpHours), who were active on the day before and have not opted out, and records
// one run per (user, local date). Without Claude each run gets its analysis job; with
// Claude the pending runs go into one Message Batch (in chunks), polled by a job.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	now := s.now()
	users, err := s.d.Activity.ActiveUsers(ctx, now.Add(-50*time.Hour), now)
	if err != nil {
		return res, err
	}
	var found []userNight
	for _, uid := range users {
		night, ok, err := s.due(ctx, uid, now)
		if err != nil {
			s.logger.Warn("nightly sweep: checking a user failed", "user_id", uid, "error", err)
			continue
		}
		if ok {
			found = append(found, userNight{uid, night})
		}
	}
	for len(found) > 0 {
		chunk := found[:min(sweepChunk, len(found))]
		found = found[len(chunk):]
		err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
			for _, un := range chunk {
				inserted, err := s.insertRun(ctx, tx, un.userID, un.night, now)
				if err != nil {
					return err
				}
				if !inserted {
					continue
				}
				res.Found++
				if s.d.Batches == nil {
					if _, err := s.d.Queue().Insert(ctx, tx, NightArgs{UserID: un.userID, Night: un.night}, nil); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	if s.d.Batches != nil {
		if err := s.expireAbandoned(ctx, now); err != nil {
			return res, err
		}
		if err := s.submitPending(ctx, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// expireAbandoned closes batches still open an hour past their expiry (their poll job gave
// up after its retries): their nights go to direct calls.
func (s *Service) expireAbandoned(ctx context.Context, now time.Time) error {
	rows, err := s.d.DB.R.QueryContext(ctx, `SELECT id FROM nightly_batches WHERE status = $1 AND expires_at < $2`,
		batchSubmitted, db.Millis(now.Add(-time.Hour)))
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.finishBatch(ctx, id, batchExpired); err != nil {
			return err
		}
	}
	return nil
}

// due reports the night to analyse for the user at now, if any: the local day before,
// once their local time has passed the nightly hour, when it has no run yet, they may be
// analysed and they were active that day.
func (s *Service) due(ctx context.Context, userID string, now time.Time) (string, bool, error) {
	loc, err := s.d.Accounts.Location(ctx, userID)
	if err != nil {
		return "", false, err
	}
	local := now.In(loc)
	if h := local.Hour(); h < s.d.Hour || h >= s.d.Hour+CatchUpHours {
		return "", false, nil
	}
	night := time.Date(local.Year(), local.Month(), local.Day()-1, 12, 0, 0, 0, loc).Format(time.DateOnly)
	var n int
	if err := s.d.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM nightly_runs WHERE user_id = $1 AND night = $2`,
		userID, night).Scan(&n); err != nil || n > 0 {
		return "", false, err
	}
	if ok, err := s.eligible(ctx, userID); err != nil || !ok {
		return "", false, err
	}
	from, to, err := nightRange(night, loc)
	if err != nil {
		return "", false, err
	}
	active, err := s.d.Activity.HasActivity(ctx, userID, from, to)
	return night, active, err
}

// pendingRuns lists runs waiting for a batch, and puts back into the queue runs whose
// batch submission was cut (status submitting for over an hour: a crash between claiming
// them and storing the batch id); those are analysed by direct calls.
func (s *Service) pendingRuns(ctx context.Context, now time.Time) ([]userNight, error) {
	stuck, err := s.listRuns(ctx, `status = $1 AND updated_at < $2`, RunSubmitting, db.Millis(now.Add(-time.Hour)))
	if err != nil {
		return nil, err
	}
	if err := s.fallback(ctx, stuck, RunSubmitting); err != nil {
		return nil, err
	}
	return s.listRuns(ctx, `status = $1`, RunPending)
}

func (s *Service) listRuns(ctx context.Context, where string, args ...any) ([]userNight, error) {
	rows, err := s.d.DB.R.QueryContext(ctx, `SELECT user_id, night FROM nightly_runs WHERE `+where+` ORDER BY created_at, user_id LIMIT 200000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []userNight
	for rows.Next() {
		var un userNight
		if err := rows.Scan(&un.userID, &un.night); err != nil {
			return nil, err
		}
		out = append(out, un)
	}
	return out, rows.Err()
}

// fallback moves runs to direct analysis and queues their jobs, in one transaction.
func (s *Service) fallback(ctx context.Context, runs []userNight, from ...string) error {
	for len(runs) > 0 {
		chunk := runs[:min(sweepChunk, len(runs))]
		runs = runs[len(chunk):]
		err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
			for _, un := range chunk {
				moved, err := s.move(ctx, tx, un.userID, un.night, RunFallback, from...)
				if err != nil {
					return err
				}
				if moved {
					if _, err := s.d.Queue().Insert(ctx, tx, NightArgs{UserID: un.userID, Night: un.night}, nil); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
