package chat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// Preferences shape how the assistant answers one user (Settings > Assistant).
type Preferences struct {
	// AssistantName is what the assistant calls itself; empty for the default.
	AssistantName string `json:"assistant_name"`
	// Tone is free-text instructions on style and manner.
	Tone string `json:"tone"`
	// ResponseLength is short, medium or long.
	ResponseLength string `json:"response_length"`
	// Language the assistant answers in; empty: the user's own language.
	Language string `json:"language"`
	// MemoryEnabled offers the memory tool and the memory index to the assistant.
	MemoryEnabled bool `json:"memory_enabled"`
	// NightlyAnalysis lets the nightly review read the user's day and update the learned
	// guidance; off, no night of theirs is analysed (the guidance they have stays in use
	// until they clear it).
	NightlyAnalysis bool      `json:"nightly_analysis"`
	UpdatedAt       time.Time `json:"updated_at,omitzero"`
}

// Bounds on preference fields (characters).
const (
	maxAssistantName = 40
	maxTone          = 1000
	maxLanguage      = 40
)

// DefaultPreferences are in force until the user changes them.
func DefaultPreferences() Preferences {
	return Preferences{ResponseLength: "medium", MemoryEnabled: true, NightlyAnalysis: true}
}

// Preferences returns userID's preferences (the defaults when never set).
func (s *Store) Preferences(ctx context.Context, userID string) (Preferences, error) {
	p := DefaultPreferences()
	var at int64
	err := s.db.R.QueryRowContext(ctx, `SELECT assistant_name, tone, response_length, language, memory_enabled, nightly_analysis, updated_at
		FROM assistant_preferences WHERE user_id = $1`, userID).
		Scan(&p.AssistantName, &p.Tone, &p.ResponseLength, &p.Language, &p.MemoryEnabled, &p.NightlyAnalysis, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("chat: read preferences: %w", err)
	}
	p.UpdatedAt = db.Time(at)
	return p, nil
}

// SavePreferences replaces userID's preferences.
func (s *Store) SavePreferences(ctx context.Context, userID string, p Preferences) (Preferences, error) {
	now := db.Millis(s.now())
	_, err := s.exec(ctx, `INSERT INTO assistant_preferences (user_id, assistant_name, tone, response_length, language, memory_enabled, nightly_analysis, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (user_id) DO UPDATE SET assistant_name = excluded.assistant_name, tone = excluded.tone,
			response_length = excluded.response_length, language = excluded.language,
			memory_enabled = excluded.memory_enabled, nightly_analysis = excluded.nightly_analysis,
			updated_at = excluded.updated_at`,
		userID, p.AssistantName, p.Tone, p.ResponseLength, p.Language, p.MemoryEnabled, p.NightlyAnalysis, now)
	if err != nil {
		return p, fmt.Errorf("chat: save preferences: %w", err)
	}
	p.UpdatedAt = db.Time(now)
	return p, nil
}

// NightlyAnalysisAllowed reports whether userID lets the nightly review analyse their
// day (the preference nightly_analysis; true when never set).
func (s *Store) NightlyAnalysisAllowed(ctx context.Context, userID string) (bool, error) {
	p, err := s.Preferences(ctx, userID)
	return p.NightlyAnalysis, err
}

// preferencesInput is the body of PUT /api/v1/me/preferences; omitted fields take their
// default values (the body replaces the preferences).
type preferencesInput struct {
	AssistantName  string  `json:"assistant_name"`
	Tone           string  `json:"tone"`
	ResponseLength *string `json:"response_length"`
	Language       string  `json:"language"`
	MemoryEnabled  *bool   `json:"memory_enabled"`
	// NightlyAnalysis omitted keeps it on, like the other defaults.
	NightlyAnalysis *bool `json:"nightly_analysis"`
}

func (in preferencesInput) validate() (Preferences, error) {
	p := DefaultPreferences()
	p.AssistantName = strings.TrimSpace(in.AssistantName)
	p.Tone = strings.TrimSpace(in.Tone)
	p.Language = strings.TrimSpace(in.Language)
	if in.ResponseLength != nil {
		p.ResponseLength = *in.ResponseLength
	}
	if in.MemoryEnabled != nil {
		p.MemoryEnabled = *in.MemoryEnabled
	}
	if in.NightlyAnalysis != nil {
		p.NightlyAnalysis = *in.NightlyAnalysis
	}
	switch {
	case utf8.RuneCountInString(p.AssistantName) > maxAssistantName || strings.ContainsAny(p.AssistantName, "\r\n"):
		return p, errs.InvalidField("assistant_name", "assistant_name must be one line of at most %d characters", maxAssistantName)
	case utf8.RuneCountInString(p.Tone) > maxTone:
		return p, errs.InvalidField("tone", "tone must be at most %d characters", maxTone)
	case utf8.RuneCountInString(p.Language) > maxLanguage || strings.ContainsAny(p.Language, "\r\n"):
		return p, errs.InvalidField("language", "language must be one line of at most %d characters", maxLanguage)
	case p.ResponseLength != "short" && p.ResponseLength != "medium" && p.ResponseLength != "long":
		return p, errs.InvalidField("response_length", "response_length must be short, medium or long")
	}
	return p, nil
}

// getPreferences handles GET /api/v1/me/preferences.
func (s *Service) getPreferences(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.Preferences(r.Context(), s.userID(r))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, p)
}

// putPreferences handles PUT /api/v1/me/preferences.
func (s *Service) putPreferences(w http.ResponseWriter, r *http.Request) {
	var in preferencesInput
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	p, err := in.validate()
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if p, err = s.store.SavePreferences(r.Context(), s.userID(r), p); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, p)
}
