package chat

import (
	"context"
	"fmt"
)

// GuidanceSource gives the current learned guidance of a user ("" when none). The nightly
// analysis (insights) owns the guidance and its versions; chat only reads the current text
// when it assembles a reply's context.
type GuidanceSource func(ctx context.Context, userID string) (string, error)

// SetGuidance sets where replies get the learned guidance from (at wiring, before
// serving). Unset, replies have no learned guidance.
func (s *Service) SetGuidance(g GuidanceSource) { s.guidance.Store(&g) }

// learnedGuidance returns the user's current guidance from the source set at wiring.
func (s *Service) learnedGuidance(ctx context.Context, userID string) (string, error) {
	g := s.guidance.Load()
	if g == nil || *g == nil {
		return "", nil
	}
	text, err := (*g)(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("chat: learned guidance: %w", err)
	}
	return text, nil
}
