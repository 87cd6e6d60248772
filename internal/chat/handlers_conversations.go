package chat

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

type conversationInput struct {
	Title *string `json:"title"`
}

func validTitle(t *string) (string, error) {
	if t == nil {
		return "", nil
	}
	title := collapseSpace(*t)
	if utf8.RuneCountInString(title) > maxTitle {
		return "", errs.InvalidField("title", "title must be at most %d characters", maxTitle)
	}
	return title, nil
}

// listConversations handles GET /api/v1/conversations?q=&cursor=&limit=.
func (s *Service) listConversations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := httpx.Limit(r, 30, 100)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if len(q.Get("q")) > 200 {
		httpx.Error(w, r, errs.InvalidField("q", "search text must be at most 200 characters"))
		return
	}
	page, err := s.store.ListConversations(r.Context(), s.userID(r), ListOptions{Query: q.Get("q"), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, page)
}

// createConversation handles POST /api/v1/conversations {title?}.
func (s *Service) createConversation(w http.ResponseWriter, r *http.Request) {
	var in conversationInput
	if r.ContentLength != 0 {
		if err := httpx.Decode(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
	}
	title, err := validTitle(in.Title)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	c, err := s.store.CreateConversation(r.Context(), s.userID(r), title)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusCreated, c)
}

// getConversation handles GET /api/v1/conversations/{id}.
func (s *Service) getConversation(w http.ResponseWriter, r *http.Request) {
	c, err := s.store.Conversation(r.Context(), s.userID(r), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, c)
}

// renameConversation handles PATCH /api/v1/conversations/{id} {title}.
func (s *Service) renameConversation(w http.ResponseWriter, r *http.Request) {
	var in conversationInput
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if in.Title == nil || strings.TrimSpace(*in.Title) == "" {
		httpx.Error(w, r, errs.InvalidField("title", "title must not be empty"))
		return
	}
	title, err := validTitle(in.Title)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	c, err := s.store.RenameConversation(r.Context(), s.userID(r), r.PathValue("id"), title)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, c)
}

// deleteConversation handles DELETE /api/v1/conversations/{id}; a reply in progress here
// is stopped first.
func (s *Service) deleteConversation(w http.ResponseWriter, r *http.Request) {
	userID, id := s.userID(r), r.PathValue("id")
	if _, err := s.store.Conversation(r.Context(), userID, id); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if rn := s.runs.conversation(id); rn != nil && rn.userID == userID {
		rn.cancel(errStopped)
		select {
		case <-rn.done:
		case <-r.Context().Done():
			return
		}
	}
	if err := s.store.DeleteConversation(r.Context(), userID, id); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.NoContent(w)
}
