package privacy

import (
	"context"
	"fmt"
	"net/http"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/httpx"
)

// SectionSummary says how many rows of one kind of data are held about the user (PRIV-1).
type SectionSummary struct {
	Section string `json:"section"`
	Rows    int64  `json:"rows"`
	// Retention says how long the rows are kept, when it is shorter than the account's life.
	Retention string `json:"retention,omitempty"`
}

// Summary counts the user's rows in every export section.
func (s *Service) Summary(ctx context.Context, userID string) ([]SectionSummary, error) {
	keep := s.retentionPeriods()
	out := []SectionSummary{}
	for _, t := range s.reg.UserTables() {
		var n int64
		if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.Name+` WHERE `+t.Owner.Where(), userID).Scan(&n); err != nil {
			return nil, fmt.Errorf("privacy: count %s: %w", t.Name, err)
		}
		out = append(out, SectionSummary{Section: t.Section, Rows: n, Retention: keep[t.Name]})
	}
	return out, nil
}

func (s *Service) handleDataSummary(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.FromContext(r.Context())
	sum, err := s.Summary(r.Context(), p.UserID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	tps, err := s.ThirdParties(r.Context(), p.UserID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{
		"sections":              sum,
		"third_parties":         tps,
		"deletion_grace_days":   int(s.grace.Hours() / 24),
		"export_format_version": FormatVersion,
	})
}
