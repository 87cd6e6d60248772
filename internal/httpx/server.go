package httpx

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// NewServer returns an HTTP server with timeouts that protect against slow clients without
// cutting long event streams: the write timeout is lifted per response by NewSSE. base is
// the parent of every request context; cancelling it tells streams to wind down.
func NewServer(h http.Handler, base context.Context, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
