package memory

import (
	"net/http"
	"strings"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// Routes registers the memory API (MEM-2, MEM-3). Every handler works on the signed-in
// user's own tree: another user's files and versions do not exist for them.
//
//	GET    /api/v1/memory                          the tree, space used and quota
//	GET    /api/v1/memory/{path...}                one file (path relative to /memories)
//	PUT    /api/v1/memory/{path...}  {content}     create or replace a file, as the user
//	DELETE /api/v1/memory/{path...}                delete a file or a directory
//	GET    /api/v1/memory-versions?path=&before=&limit=   versions, newest first
//	GET    /api/v1/memory-versions/{id}            one version with its content
//	POST   /api/v1/memory-versions/{id}/revert     restore the file to that version
func (s *Service) Routes(mux *http.ServeMux, require func(http.Handler) http.Handler) {
	h := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, require(fn)) }
	h("GET /api/v1/memory", s.handleTree)
	h("GET /api/v1/memory/{path...}", s.handleRead)
	h("PUT /api/v1/memory/{path...}", s.handleWrite)
	h("DELETE /api/v1/memory/{path...}", s.handleDelete)
	h("GET /api/v1/memory-versions", s.handleVersions)
	h("GET /api/v1/memory-versions/{id}", s.handleVersion)
	h("POST /api/v1/memory-versions/{id}/revert", s.handleRevert)
}

// owner returns the signed-in user's id; the routes are behind require, so a missing
// principal is a wiring fault.
func owner(r *http.Request) (string, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok || p.UserID == "" {
		return "", errs.E(errs.Unauthenticated, "sign in first")
	}
	return p.UserID, nil
}

// writer is owner for the routes that change memory: it also applies AllowWrite.
func (s *Service) writer(r *http.Request) (string, error) {
	uid, err := owner(r)
	if err != nil || s.AllowWrite == nil {
		return uid, err
	}
	return uid, s.AllowWrite(r.Context(), uid)
}

func (s *Service) handleTree(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	tree, err := s.Tree(r.Context(), uid)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, tree)
}

func (s *Service) handleRead(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	p, err := APIPath(r.PathValue("path"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	f, err := s.Read(r.Context(), uid, p)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, f)
}

// writeRequest is the body of PUT /api/v1/memory/{path...}.
type writeRequest struct {
	Content *string `json:"content"`
}

// writeResponse is the file after a write, with the version the write made.
type writeResponse struct {
	File
	VersionID string `json:"version_id"`
}

func (s *Service) handleWrite(w http.ResponseWriter, r *http.Request) {
	uid, err := s.writer(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	p, err := APIPath(r.PathValue("path"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var req writeRequest
	if err := httpx.Decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if req.Content == nil {
		httpx.Error(w, r, errs.InvalidField("content", "content is required (it may be empty)"))
		return
	}
	f, created, vid, err := s.Write(r.Context(), uid, p, *req.Content)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpx.JSON(w, status, writeResponse{File: f, VersionID: vid})
}

func (s *Service) handleDelete(w http.ResponseWriter, r *http.Request) {
	uid, err := s.writer(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	p, err := APIPath(r.PathValue("path"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if _, err := s.Delete(r.Context(), uid, p); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.NoContent(w)
}

// versionsPage is a page of versions; NextBefore, when set, fetches the next page.
type versionsPage struct {
	Versions   []Version `json:"versions"`
	NextBefore string    `json:"next_before,omitempty"`
}

const (
	defaultVersionsPage = 50
	maxVersionsPage     = 200
)

func (s *Service) handleVersions(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	path := ""
	if raw := q.Get("path"); raw != "" {
		// A path starting with / is absolute (under /memories); otherwise it is relative
		// to /memories, as in the file routes.
		if strings.HasPrefix(raw, "/") {
			path, err = normalize(raw)
			if err != nil {
				err = errs.InvalidField("path", "%v", err)
			}
		} else {
			path, err = APIPath(raw)
		}
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
	}
	limit, err := httpx.Limit(r, defaultVersionsPage, maxVersionsPage)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	vs, err := s.Versions(r.Context(), uid, path, q.Get("before"), limit)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	page := versionsPage{Versions: vs}
	if len(vs) == limit {
		page.NextBefore = vs[len(vs)-1].ID
	}
	httpx.JSON(w, http.StatusOK, page)
}

func (s *Service) handleVersion(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	v, err := s.Version(r.Context(), uid, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, v)
}

func (s *Service) handleRevert(w http.ResponseWriter, r *http.Request) {
	uid, err := s.writer(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	id, err := s.Revert(r.Context(), uid, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	v, err := s.Version(r.Context(), uid, id)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, v)
}
