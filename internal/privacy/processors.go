package privacy

import (
	"context"
	"sort"
	"time"
)

// ThirdParty is one outside company that processed the user's data, and when: the
// policy's list of processors made concrete for one account (Settings > Privacy and the
// export).
type ThirdParty struct {
	// Name is the company or service, e.g. "Anthropic".
	Name string `json:"name"`
	// Receives is what it received, in the policy's words.
	Receives string `json:"receives"`
	// FirstAt and LastAt bound the times it processed the user's data.
	FirstAt time.Time `json:"first_at"`
	LastAt  time.Time `json:"last_at"`
}

// ThirdPartySource reports the third parties a feature sent the user's data to (chat:
// the model providers of its replies; mail: the email service; billing: Stripe;
// Telegram). It reads the feature's own records, owner-scoped.
type ThirdPartySource func(ctx context.Context, userID string) ([]ThirdParty, error)

// AddThirdParties registers a source of third parties.
func (s *Service) AddThirdParties(src ThirdPartySource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.thirdParties = append(s.thirdParties, src)
}

// ThirdParties lists the third parties that processed the user's data, by name; one
// named by several sources is merged (its widest time span, each thing it received).
func (s *Service) ThirdParties(ctx context.Context, userID string) ([]ThirdParty, error) {
	s.mu.Lock()
	srcs := append([]ThirdPartySource(nil), s.thirdParties...)
	s.mu.Unlock()
	byName := map[string]*ThirdParty{}
	for _, src := range srcs {
		got, err := src(ctx, userID)
		if err != nil {
			return nil, err
		}
		for _, tp := range got {
			have := byName[tp.Name]
			if have == nil {
				tp := tp
				byName[tp.Name] = &tp
				continue
			}
			if tp.FirstAt.Before(have.FirstAt) {
				have.FirstAt = tp.FirstAt
			}
			if tp.LastAt.After(have.LastAt) {
				have.LastAt = tp.LastAt
			}
			if tp.Receives != have.Receives {
				have.Receives += "; " + tp.Receives
			}
		}
	}
	out := make([]ThirdParty, 0, len(byName))
	for _, tp := range byName {
		tp.FirstAt, tp.LastAt = tp.FirstAt.UTC(), tp.LastAt.UTC()
		out = append(out, *tp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
