package main

import (
	"net/http"
	"time"
)

// httpLimits bound what one HTTP client can hold of `pulse serve`: how long
// it may take to send headers and body, how long a response may take, how
// long an idle keep-alive connection stays, and how large a body may be.
// Slack and Feishu send small bodies at once, so a slow or huge request is
// never theirs.
type httpLimits struct {
	ReadHeader time.Duration
	Read       time.Duration
	Write      time.Duration
	Idle       time.Duration
	MaxBody    int64
}

// serveLimits are serve's limits. The write timeout leaves room for a slash
// command that waits for its work before answering (Slack gives 3 s).
var serveLimits = httpLimits{
	ReadHeader: 5 * time.Second,
	Read:       10 * time.Second,
	Write:      30 * time.Second,
	Idle:       120 * time.Second,
	MaxBody:    1 << 20,
}

// newHTTPServer is the server serve runs: every limit set, every body capped.
func newHTTPServer(addr string, h http.Handler, l httpLimits) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           limitBodies(h, l.MaxBody),
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
	}
}

// limitBodies refuses a body declared larger than max with 413 before
// reading it, and caps every other body at max (a handler reading past it
// gets an error and the connection is closed).
func limitBodies(next http.Handler, max int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}
