package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// The job queue's console (River UI) is a page of its own at /admin/jobs/, opened by a
// plain navigation that carries no Authorization header. The SPA first posts to
// /api/v1/admin/jobs/session with its bearer token; the answer sets JobsCookie, a
// first-party cookie limited to /admin/jobs, HttpOnly, SameSite=Strict and Secure over
// HTTPS, holding the admin's user and session ids and an expiry, signed with a key
// derived from the server secret. Every request under /admin/jobs/ checks the signature
// and the expiry and then the session itself, as a bearer token would be checked: signing
// out, a revoked session, a suspended account or a lost admin role shut the console at
// once. Each accepted request renews the cookie's lifetime.

// JobsCookie is the name of the job-queue console's cookie.
const JobsCookie = "ally_admin_jobs"

// JobsCookieTTL is how long the cookie lasts without use.
const JobsCookieTTL = 15 * time.Minute

// jobsPath is where River UI is served.
const jobsPath = "/admin/jobs"

// CookieKey derives the cookie's signing key from the server secret.
func CookieKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("ally admin job-queue cookie v1"))
	return m.Sum(nil)
}

func (s *Service) sign(payload string) string {
	m := hmac.New(sha256.New, s.d.CookieKey)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify returns the user and session ids of a valid, unexpired cookie value.
func (s *Service) verify(value string) (userID, sessionID string, ok bool) {
	enc, sig, found := strings.Cut(value, ".")
	if !found {
		return "", "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", "", false
	}
	if !hmac.Equal([]byte(s.sign(string(payload))), []byte(enc+"."+sig)) {
		return "", "", false
	}
	parts := strings.Split(string(payload), "|")
	if len(parts) != 3 {
		return "", "", false
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || s.now().Unix() >= exp {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// setJobsCookie issues the cookie for the principal's session.
func (s *Service) setJobsCookie(w http.ResponseWriter, r *http.Request, p auth.Principal) time.Time {
	exp := s.now().Add(JobsCookieTTL)
	http.SetCookie(w, &http.Cookie{
		Name:     JobsCookie,
		Value:    s.sign(p.UserID + "|" + p.SessionID + "|" + strconv.FormatInt(exp.Unix(), 10)),
		Path:     jobsPath,
		MaxAge:   int(JobsCookieTTL.Seconds()),
		HttpOnly: true,
		Secure:   s.d.SecureCookie || r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	return exp
}

func (s *Service) handleJobsSession(w http.ResponseWriter, r *http.Request) {
	if s.d.Jobs == nil {
		httpx.Error(w, r, errs.E(errs.Unavailable, "the job-queue console is not available on this server"))
		return
	}
	p := actor(r)
	exp := s.setJobsCookie(w, r, p)
	if err := s.RecordAudit(r.Context(), p.UserID, "jobs.open", "jobs", "", nil); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"url": jobsPath + "/", "expires_at": exp.UTC().Truncate(time.Second)})
}

func (s *Service) handleJobsSignOut(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: JobsCookie, Value: "", Path: jobsPath, MaxAge: -1, HttpOnly: true,
		Secure: s.d.SecureCookie || r.TLS != nil, SameSite: http.SameSiteStrictMode})
	httpx.NoContent(w)
}

// jobsCSP lets River UI's own scripts and styles run and nothing else.
const jobsCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'"

// requireJobsCookie lets through only requests with a valid cookie naming a live session
// of an active administrator; everyone else gets 404, as for any admin route. Changes
// (cancel, retry, delete, pause) must come from the console's own pages and are
// recorded in the audit log.
func (s *Service) requireJobsCookie(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(JobsCookie)
		if err != nil {
			notFound(w, r)
			return
		}
		userID, sessionID, ok := s.verify(c.Value)
		if !ok {
			notFound(w, r)
			return
		}
		p, err := s.d.Accounts.AuthenticateSession(r.Context(), userID, sessionID)
		if err != nil || !p.IsAdmin() {
			notFound(w, r)
			return
		}
		write := r.Method != http.MethodGet && r.Method != http.MethodHead
		if write {
			if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
				httpx.Error(w, r, errs.E(errs.Forbidden, "changes to the job queue must come from its own pages"))
				return
			}
		}
		s.setJobsCookie(w, r, p)
		w.Header().Set("Content-Security-Policy", jobsCSP)
		w.Header().Set("Cache-Control", "no-store")
		if write {
			if err := s.RecordAudit(r.Context(), p.UserID, "jobs.change", "jobs", "", map[string]any{
				"method": r.Method, "path": r.URL.Path}); err != nil {
				httpx.Error(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}
