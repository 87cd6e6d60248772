package insights

import (
	"context"
	"net/http"
	"time"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// GuidanceView is GET /api/v1/me/guidance: the current guidance, the latest nightly
// change with its reasons, and the notes of the latest analysed night.
type GuidanceView struct {
	Text      string     `json:"text"`
	UpdatedAt *time.Time `json:"updated_at"`
	// Source is nightly, user or null (never had guidance).
	Source  *string `json:"source"`
	Version int64   `json:"version"`
	// LastNightly is the newest version the nightly review wrote (null: none yet).
	LastNightly *Version `json:"last_nightly"`
	Notes       []Note   `json:"notes"`
}

func userID(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	return p.UserID
}

// View builds the guidance view of a user.
func (s *Service) View(ctx context.Context, uid string) (GuidanceView, error) {
	cur, ok, err := s.Current(ctx, uid)
	if err != nil {
		return GuidanceView{}, err
	}
	v := GuidanceView{Text: cur.Text, Version: cur.Seq}
	if ok {
		at, src := cur.CreatedAt, cur.Source
		v.UpdatedAt, v.Source = &at, &src
	}
	last, err := scanVersion(s.d.DB.R.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM guidance_versions
		WHERE user_id = $1 AND source = $2 ORDER BY seq DESC LIMIT 1`, uid, SourceNightly))
	if err == nil {
		v.LastNightly = &last
	}
	if v.Notes, err = s.Notes(ctx, uid); err != nil {
		return GuidanceView{}, err
	}
	return v, nil
}

func (s *Service) getGuidance(w http.ResponseWriter, r *http.Request) {
	v, err := s.View(r.Context(), userID(r))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, v)
}

type guidanceInput struct {
	Text *string `json:"text"`
}

func (s *Service) putGuidance(w http.ResponseWriter, r *http.Request) {
	var in guidanceInput
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if in.Text == nil {
		httpx.Error(w, r, errs.InvalidField("text", "text is required"))
		return
	}
	s.saveAndView(w, r, *in.Text)
}

func (s *Service) deleteGuidance(w http.ResponseWriter, r *http.Request) {
	s.saveAndView(w, r, "")
}

func (s *Service) saveAndView(w http.ResponseWriter, r *http.Request, text string) {
	uid := userID(r)
	if _, err := s.SetGuidance(r.Context(), uid, text); err != nil {
		httpx.Error(w, r, err)
		return
	}
	s.getGuidance(w, r)
}

func (s *Service) listVersions(w http.ResponseWriter, r *http.Request) {
	vs, err := s.Versions(r.Context(), userID(r), 100)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"versions": vs})
}

func (s *Service) revertVersion(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Revert(r.Context(), userID(r), r.PathValue("id")); err != nil {
		httpx.Error(w, r, err)
		return
	}
	s.getGuidance(w, r)
}
