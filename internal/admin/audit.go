package admin

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// AuditRetentionMonths is how long audit entries are kept (the privacy registry's 12 months).
const AuditRetentionMonths = 12

// AuditEntry is one administrator's action.
type AuditEntry struct {
	ID         string         `json:"id"`
	ActorID    string         `json:"actor_id"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	Details    map[string]any `json:"details"`
	CreatedAt  time.Time      `json:"created_at"`
}

// RecordAudit writes one administrator's action to the audit log: who (actorID), what
// (action, e.g. "user.delete"), to what (targetType and targetID, e.g. "user" and its
// id) and details such as the reason given. Details must never hold a user's content or
// email address; accounts are named by id.
func (s *Service) RecordAudit(ctx context.Context, actorID, action, targetType, targetID string, details map[string]any) error {
	return s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		return s.RecordAuditTx(ctx, tx, actorID, action, targetType, targetID, details)
	})
}

// RecordAuditTx is RecordAudit inside the caller's transaction, so the action and its
// record commit together.
func (s *Service) RecordAuditTx(ctx context.Context, tx *sql.Tx, actorID, action, targetType, targetID string, details map[string]any) error {
	if actorID == "" || action == "" {
		return fmt.Errorf("admin: audit: actor and action are required")
	}
	if details == nil {
		details = map[string]any{}
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("admin: audit details: %w", err)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	_, err = tx.ExecContext(ctx, `INSERT INTO admin_audit (id, actor_id, action, target_type, target_id, details, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, hex.EncodeToString(b), actorID, action, targetType, targetID, string(raw), db.Millis(s.now()))
	if err != nil {
		return fmt.Errorf("admin: record audit: %w", err)
	}
	return nil
}

// AuditPage is a page of the audit log, newest first.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	Next    string       `json:"next"`
}

// ListAudit pages through the audit log, newest first; cursor is a page's Next.
func (s *Service) ListAudit(ctx context.Context, cursor string, limit int) (AuditPage, error) {
	beforeAt, beforeID := int64(1<<62), ""
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		at, id, ok := strings.Cut(string(raw), ":")
		n, perr := strconv.ParseInt(at, 10, 64)
		if err != nil || !ok || perr != nil || id == "" {
			return AuditPage{}, errs.InvalidField("cursor", "the cursor is not one this list gave out; start again without it")
		}
		beforeAt, beforeID = n, id
	}
	rows, err := s.d.DB.R.QueryContext(ctx, `SELECT id, actor_id, action, target_type, target_id, details, created_at
		FROM admin_audit WHERE created_at < $1 OR (created_at = $1 AND id < $2)
		ORDER BY created_at DESC, id DESC LIMIT $3`, beforeAt, beforeID, limit+1)
	if err != nil {
		return AuditPage{}, fmt.Errorf("admin: list audit: %w", err)
	}
	defer rows.Close()
	page := AuditPage{Entries: []AuditEntry{}}
	for rows.Next() {
		var e AuditEntry
		var details string
		var at int64
		if err := rows.Scan(&e.ID, &e.ActorID, &e.Action, &e.TargetType, &e.TargetID, &details, &at); err != nil {
			return AuditPage{}, fmt.Errorf("admin: list audit: %w", err)
		}
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil || e.Details == nil {
			e.Details = map[string]any{}
		}
		e.CreatedAt = db.Time(at)
		page.Entries = append(page.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return AuditPage{}, err
	}
	if len(page.Entries) > limit {
		page.Entries = page.Entries[:limit]
		last := page.Entries[limit-1]
		page.Next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(db.Millis(last.CreatedAt), 10) + ":" + last.ID))
	}
	return page, nil
}

// PurgeOldAudit deletes audit entries older than 12 months (the retention job, run daily
// and by `ally retention run`) and returns how many went.
func (s *Service) PurgeOldAudit(ctx context.Context) (int64, error) {
	cut := s.now().AddDate(0, -AuditRetentionMonths, 0)
	res, err := s.d.DB.W.ExecContext(ctx, `DELETE FROM admin_audit WHERE created_at < $1`, db.Millis(cut))
	if err != nil {
		return 0, fmt.Errorf("admin: audit retention: %w", err)
	}
	return res.RowsAffected()
}

func (s *Service) handleAudit(w http.ResponseWriter, r *http.Request) {
	limit, err := httpx.Limit(r, 50, 200)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	page, err := s.ListAudit(r.Context(), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, page)
}

// actor is the signed-in administrator.
func actor(r *http.Request) auth.Principal {
	p, _ := auth.FromContext(r.Context())
	return p
}

func notFound(w http.ResponseWriter, r *http.Request) {
	httpx.Error(w, r, errs.NotFoundf("no such endpoint"))
}
