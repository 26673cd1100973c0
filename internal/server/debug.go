package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// debugHandler serves the Go runtime's profiles (net/http/pprof) under
// /debug/pprof/: heap, allocs, goroutine, CPU profile and execution trace.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// checkLoopback refuses a debug address whose host is not a loopback IP
// or "localhost": profiles show the process's memory and command line,
// so they are for the operator on the machine, not for the network.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("debug address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("debug address %q: the host must be a loopback address such as 127.0.0.1", addr)
}

// startDebug listens on Config.DebugAddr, when set, and serves the
// profiles there in plain HTTP until Close.
func (s *Server) startDebug() error {
	if s.Config.DebugAddr == "" {
		return nil
	}
	if err := checkLoopback(s.Config.DebugAddr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.Config.DebugAddr)
	if err != nil {
		return fmt.Errorf("debug listener: %w", err)
	}
	s.debugLn = ln
	// No WriteTimeout: a CPU profile or trace answers after its seconds.
	s.debug = &http.Server{Handler: debugHandler(), ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.debug.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Log.Error("debug listener", "err", err)
		}
	}()
	s.Log.Info("profiles served", "addr", ln.Addr().String())
	return nil
}

// DebugAddr returns the address of the profile listener, or "" when
// there is none.
func (s *Server) DebugAddr() string {
	if s.debugLn == nil {
		return ""
	}
	return s.debugLn.Addr().String()
}
