package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// startDebug serves Go's profiler on ALLY_DEBUG_ADDR, a separate listener so that it can
// never be reached through the public address. It stops with the instance.
func (m *Main) startDebug() error {
	if m.Config.DebugAddr == "" {
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", m.Config.DebugAddr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Warn("debug server stopped", "error", err)
		}
	}()
	m.OnShutdown(func(ctx context.Context) error { return srv.Close() })
	m.Logger.Info("profiling served", "addr", ln.Addr().String())
	return nil
}
