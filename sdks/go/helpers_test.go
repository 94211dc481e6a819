package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

type recorded struct {
	Header http.Header
	Body   []byte
	Path   string
}

// fakeAPI is an httptest server whose answer to each request is decided by respond (n counts from 1).
type fakeAPI struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	respond  func(w http.ResponseWriter, r *http.Request, n int, body []byte)
}

func newFakeAPI(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int, body []byte)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{respond: respond}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, recorded{Header: r.Header.Clone(), Body: body, Path: r.URL.Path})
		n := len(f.requests)
		f.mu.Unlock()
		f.respond(w, r, n, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) recorded() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

func accept(w http.ResponseWriter, body []byte) {
	var items []json.RawMessage
	if json.Unmarshal(body, &items) != nil {
		items = []json.RawMessage{body}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "req_ok")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"success":true,"data":{"stream":"sales","items_received":%d,"request_id":"req_ok"}}`, len(items))
}

func apiError(w http.ResponseWriter, status int, code, message string, details string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "req_err")
	w.WriteHeader(status)
	if details == "" {
		details = "null"
	}
	fmt.Fprintf(w, `{"success":false,"error":{"code":%q,"message":%q,"details":%s},"request_id":"req_err_%d"}`, code, message, details, status)
}

// dropConnection closes the connection without an answer.
func dropConnection(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("no hijacker")
		return
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

// sleeps records the client's waits between attempts instead of spending them.
type sleeps struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.delays...)
}

func newTestClient(t *testing.T, url string, opts Options) (*Client, *sleeps) {
	t.Helper()
	opts.Key = "ik_live_test"
	opts.BaseURL = url
	c, err := NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	s := &sleeps{}
	c.sleep = s.sleep
	return c, s
}
