package changelog

import (
	"net/http"
	"strconv"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

func actor(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	return p.UserID
}

// handlePublicList is GET /api/v1/changelog: published entries, newest first. It needs
// no token: the entries are public, and the sign-up page and What's new show them alike.
func (s *Service) handlePublicList(w http.ResponseWriter, r *http.Request) {
	list, err := s.Published(r.Context())
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	out := make([]PublicEntry, 0, len(list))
	for _, e := range list {
		out = append(out, e.Public())
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"entries": out})
}

// handlePublicPolicy is GET /api/v1/policy/{document}[?version=N].
func (s *Service) handlePublicPolicy(w http.ResponseWriter, r *http.Request) {
	version := int64(-1)
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			httpx.Error(w, r, errs.InvalidField("version", "version must be a whole number, 0 for the text shipped with Ally"))
			return
		}
		version = n
	}
	p, err := s.Page(r.Context(), r.PathValue("document"), version)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, p)
}

func (s *Service) handleAdminList(w http.ResponseWriter, r *http.Request) {
	list, err := s.Entries(r.Context())
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"entries": list})
}

func (s *Service) handleCreate(w http.ResponseWriter, r *http.Request) {
	var d Draft
	if err := httpx.Decode(r, &d); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if d.Title == nil {
		httpx.Error(w, r, errs.InvalidField("title", "the title must not be empty"))
		return
	}
	e, err := s.Create(r.Context(), actor(r), d)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusCreated, e)
}

func (s *Service) handleAdminGet(w http.ResponseWriter, r *http.Request) {
	e, err := s.Entry(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, e)
}

func (s *Service) handleUpdate(w http.ResponseWriter, r *http.Request) {
	var d Draft
	if err := httpx.Decode(r, &d); err != nil {
		httpx.Error(w, r, err)
		return
	}
	e, err := s.Update(r.Context(), actor(r), r.PathValue("id"), d)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, e)
}

func (s *Service) handleDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.Delete(r.Context(), actor(r), r.PathValue("id")); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.NoContent(w)
}

func (s *Service) handlePublish(w http.ResponseWriter, r *http.Request) {
	e, err := s.Publish(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, e)
}

func (s *Service) handleNotices(w http.ResponseWriter, r *http.Request) {
	p, err := s.Progress(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, p)
}

func (s *Service) handleAdminPolicy(w http.ResponseWriter, r *http.Request) {
	p, err := s.Policy(r.Context(), r.PathValue("document"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, p)
}

type policyInput struct {
	Body *string `json:"body"`
}

func (s *Service) handleSavePolicy(w http.ResponseWriter, r *http.Request) {
	var in policyInput
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if in.Body == nil {
		httpx.Error(w, r, errs.InvalidField("body", "body is required"))
		return
	}
	p, err := s.SavePolicy(r.Context(), actor(r), r.PathValue("document"), *in.Body)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, p)
}
