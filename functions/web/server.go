package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/roomhook/roomhook/pkg/callback"
)

// requestIDHeaders carry the platform's request id, first found wins: SCF web functions set
// X-Scf-Request-Id; proxies and container platforms commonly set X-Request-Id. Without either,
// the adapter makes one up.
var requestIDHeaders = []string{"X-Scf-Request-Id", "X-Request-Id"}

// maxRequestID bounds a request id taken from a header; a longer one is replaced.
const maxRequestID = 128

// newServer returns the HTTP server: adapter on every path, bounded by lim.
func newServer(h *callback.Handler, log *slog.Logger, lim limits) *http.Server {
	return &http.Server{
		Handler:           &adapter{handler: h, log: log},
		ReadHeaderTimeout: lim.readHeader,
		ReadTimeout:       lim.read,
		WriteTimeout:      lim.write,
		IdleTimeout:       lim.idle,
		MaxHeaderBytes:    lim.maxHeader,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// adapter turns an HTTP request into a callback.Request and writes the core's Response back.
type adapter struct {
	handler *callback.Handler
	log     *slog.Logger
}

func (a *adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := requestID(r.Header)
	a.log.LogAttrs(r.Context(), slog.LevelDebug, "http request",
		slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("remote_addr", r.RemoteAddr), slog.Int64("content_length", r.ContentLength))

	// One byte more than the core accepts: a body over the limit still reaches the core, which
	// answers 413, and the rest of it is never read.
	body, err := io.ReadAll(io.LimitReader(r.Body, callback.MaxBodyBytes+1))
	if err != nil {
		// The client went away or was too slow (ReadTimeout): there is nobody to answer.
		a.log.LogAttrs(r.Context(), slog.LevelWarn, "request body could not be read; connection dropped",
			slog.String("request_id", id), slog.String("error", err.Error()))
		panic(http.ErrAbortHandler)
	}
	// The query exactly as sent, every repeated name kept, so the core sees a repeated SdkAppid
	// or Sign. A pair that does not parse is left out, as net/http does.
	q, _ := url.ParseQuery(r.URL.RawQuery)

	// The event is stored even if the client hangs up meanwhile: the core bounds the store
	// write with its own budget, and a stored event makes Tencent's retry a duplicate.
	ctx := context.WithoutCancel(r.Context())
	resp := a.handler.Handle(ctx, callback.Request{Method: r.Method, Query: q, Body: body, RequestID: id})

	h := w.Header()
	for k, v := range resp.Header {
		h.Set(k, v)
	}
	if len(body) > callback.MaxBodyBytes {
		h.Set("Connection", "close") // rather than read the rest of an oversized body
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(resp.Body)
}

// requestID returns the request id a platform put in a header, when it is plausible (printable
// ASCII without spaces, at most maxRequestID bytes), or else a fresh random UUID.
func requestID(h http.Header) string {
	for _, name := range requestIDHeaders {
		if v := h.Get(name); plausibleID(v) {
			return v
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func plausibleID(s string) bool {
	if s == "" || len(s) > maxRequestID {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
