package tasks

import (
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
	"myally.app/ally/internal/tasks/schedule"
)

// Register adds the run and delivery workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &runWorker{s: s})
	river.AddWorker(workers, &deliverWorker{s: s})
}

// Routes registers the tasks API (§15). Every query is scoped to the signed-in user:
// another user's task answers 404.
//
//	GET    /api/v1/tasks              {tasks, projected_tokens_month}
//	POST   /api/v1/tasks              create -> 201 task
//	POST   /api/v1/tasks/preview      {schedule, timezone} -> {next}
//	GET|PATCH|DELETE /api/v1/tasks/{id}
//	POST   /api/v1/tasks/{id}/run     -> 202 {run}
//	GET    /api/v1/tasks/{id}/runs    {runs} newest first
func (s *Service) Routes(mux *http.ServeMux, require func(http.Handler) http.Handler) {
	h := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, require(fn)) }
	h("GET /api/v1/tasks", s.handleList)
	h("POST /api/v1/tasks", s.handleCreate)
	h("POST /api/v1/tasks/preview", s.handlePreview)
	h("GET /api/v1/tasks/{id}", s.handleGet)
	h("PATCH /api/v1/tasks/{id}", s.handleUpdate)
	h("DELETE /api/v1/tasks/{id}", s.handleDelete)
	h("POST /api/v1/tasks/{id}/run", s.handleRun)
	h("GET /api/v1/tasks/{id}/runs", s.handleRuns)
}

func owner(r *http.Request) (string, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok || p.UserID == "" {
		return "", errs.E(errs.Unauthenticated, "sign in first")
	}
	return p.UserID, nil
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	l, err := s.List(r.Context(), uid)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, l)
}

func (s *Service) handleCreate(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var in input
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	t, err := s.Create(r.Context(), uid, in)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusCreated, t)
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	t, err := s.Get(r.Context(), uid, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, t)
}

func (s *Service) handleUpdate(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var in input
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	t, err := s.Update(r.Context(), uid, r.PathValue("id"), in)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, t)
}

func (s *Service) handleDelete(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.Delete(r.Context(), uid, r.PathValue("id")); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.NoContent(w)
}

func (s *Service) handleRun(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	run, err := s.RunNow(r.Context(), uid, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusAccepted, map[string]any{"run": run})
}

// maxRunsListed bounds GET /api/v1/tasks/{id}/runs.
const maxRunsListed = 100

func (s *Service) handleRuns(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	runs, err := s.Runs(r.Context(), uid, r.PathValue("id"), maxRunsListed)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"runs": runs})
}

type previewRequest struct {
	Schedule *schedule.Schedule `json:"schedule"`
	Timezone string             `json:"timezone"`
}

func (s *Service) handlePreview(w http.ResponseWriter, r *http.Request) {
	if _, err := owner(r); err != nil {
		httpx.Error(w, r, err)
		return
	}
	var req previewRequest
	if err := httpx.Decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if req.Schedule == nil {
		httpx.Error(w, r, errs.InvalidField("schedule", "schedule is required"))
		return
	}
	next, err := s.Preview(*req.Schedule, req.Timezone)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string][]time.Time{"next": next})
}
