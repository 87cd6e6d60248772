package app

import (
	"bytes"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
	"myally.app/ally/web"
)

// webCSP is the Content-Security-Policy of the web app's HTML: only its own scripts and
// styles run (index.html has no inline script or style), images only from the app itself
// (and data: for the icons its stylesheet draws), so nothing on the page can make the
// browser fetch a third party's address (an image in a reply is shown as a link, never
// loaded), and nothing may frame the app.
const webCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'"

// wireWeb serves the embedded web app at / and the public configuration it reads before
// anyone signs in.
func (m *Main) wireWeb() error {
	dist, err := fs.Sub(web.Dist, "dist")
	if err != nil {
		return err
	}
	h, err := newWebHandler(dist)
	if err != nil {
		return err
	}
	// "/" rather than "GET /": the more specific "/api/" route keeps answering unknown API
	// paths with JSON errors; the handler refuses methods other than GET and HEAD.
	m.Mux.Handle("/", h)
	m.Mux.HandleFunc("GET /api/v1/config", m.publicConfig)
	return nil
}

// publicConfig handles GET /api/v1/config: what the sign-in page needs to know.
func (m *Main) publicConfig(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	httpx.JSON(w, http.StatusOK, map[string]any{
		"google_enabled":         m.Config.GoogleClientID != "",
		"require_verified_email": m.Config.RequireVerifiedEmail,
	})
}

// webHandler serves the SPA: files that exist are served as they are (hashed assets cached
// for a year), every other path gets index.html so the app's router can show it.
type webHandler struct {
	files fs.FS
	index []byte
}

func newWebHandler(files fs.FS) (*webHandler, error) {
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return nil, err
	}
	return &webHandler{files: files, index: index}, nil
}

func (h *webHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpx.Error(w, r, errs.E(errs.NotFound, "no such endpoint"))
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name != "" && name != "index.html" {
		if st, err := fs.Stat(h.files, name); err == nil && !st.IsDir() {
			if strings.HasPrefix(name, "assets/") {
				// Names under assets/ carry a hash of their content: they never change.
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				w.Header().Set("Cache-Control", "no-cache")
			}
			http.ServeFileFS(w, r, h.files, name)
			return
		}
		if strings.HasPrefix(name, "assets/") || path.Ext(name) != "" {
			// A missing file is a 404, not the app: a stale asset URL must fail visibly.
			http.NotFound(w, r)
			return
		}
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", webCSP)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(h.index))
}
