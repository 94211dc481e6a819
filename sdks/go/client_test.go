package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var keyPattern = regexp.MustCompile(`^sdk1_[0-9a-f]{32}$`)

func TestRetries429HonouringRetryAfterWithTheSameKey(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) {
		if n == 1 {
			w.Header().Set("Retry-After", "7")
			apiError(w, 429, "RATE_LIMITED", "slow down", "")
			return
		}
		accept(w, body)
	})
	c, s := newTestClient(t, api.URL, Options{})
	res, err := c.Ingest(context.Background(), []map[string]any{{"region": "North", "revenue": 1}}, &IngestOptions{ItemKey: "region"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ItemsReceived != 1 || res.RequestID != "req_ok" || res.Stream != "sales" || res.Replayed {
		t.Fatalf("result %+v", res)
	}
	reqs := api.recorded()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if got := s.all(); len(got) != 1 || got[0] != 7*time.Second {
		t.Fatalf("waits %v, want [7s] from Retry-After", got)
	}
	k1, k2 := reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key")
	if !keyPattern.MatchString(k1) || k1 != k2 {
		t.Fatalf("keys %q and %q: want one sdk1_ key on both attempts", k1, k2)
	}
	h := reqs[0].Header
	if h.Get("Authorization") != "Bearer ik_live_test" || h.Get("Content-Type") != "application/json" || h.Get("X-Item-Key") != "region" || h.Get("X-Ingest-Mode") != "" {
		t.Fatalf("headers %v", h)
	}
	if string(reqs[0].Body) != string(reqs[1].Body) || string(reqs[0].Body) != `[{"region":"North","revenue":1}]` {
		t.Fatalf("bodies %s / %s", reqs[0].Body, reqs[1].Body)
	}
}

func TestRetries5xxAndDroppedConnectionsWithJitteredBackoff(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) {
		switch n {
		case 1:
			// On a fresh connection, so net/http's own retry of a reused one does not hide it.
			dropConnection(t, w)
		case 2:
			apiError(w, 503, "INTERNAL_ERROR", "busy", "")
		case 3:
			w.WriteHeader(502) // no envelope
			w.Write([]byte("<html>bad gateway</html>"))
		default:
			w.Header().Set("Idempotent-Replayed", "true")
			accept(w, body)
		}
	})
	c, s := newTestClient(t, api.URL, Options{Backoff: Backoff{Base: 100 * time.Millisecond, Cap: 250 * time.Millisecond}})
	res, err := c.Ingest(context.Background(), map[string]any{"a": 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Replayed {
		t.Fatal("Idempotent-Replayed: true not read")
	}
	reqs := api.recorded()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	for _, r := range reqs {
		if r.Header.Get("Idempotency-Key") != reqs[0].Header.Get("Idempotency-Key") {
			t.Fatal("the key changed between attempts")
		}
	}
	ceilings := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}
	waits := s.all()
	if len(waits) != 3 {
		t.Fatalf("waits %v", waits)
	}
	for i, d := range waits {
		if d < 0 || d >= ceilings[i] {
			t.Fatalf("wait %d is %v, outside [0, %v)", i+1, d, ceilings[i])
		}
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) {
		if n == 1 {
			<-r.Context().Done() // never answers: the client's timeout ends it
			return
		}
		accept(w, body)
	})
	c, _ := newTestClient(t, api.URL, Options{Timeout: 50 * time.Millisecond})
	if _, err := c.Ingest(context.Background(), map[string]any{"a": 1}, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(api.recorded()); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

func TestTimeoutErrorAfterLastAttempt(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) { <-r.Context().Done() })
	c, _ := newTestClient(t, api.URL, Options{Timeout: 20 * time.Millisecond, MaxAttempts: 2})
	_, err := c.Ingest(context.Background(), map[string]any{"a": 1}, nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeTimeout || e.Status != 0 || !e.Retryable {
		t.Fatalf("err %v, want TIMEOUT", err)
	}
	if n := len(api.recorded()); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

func TestNeverRetries4xx(t *testing.T) {
	cases := []struct {
		status int
		code   string
	}{{400, "INVALID_PAYLOAD"}, {401, "UNAUTHORIZED"}, {404, "STREAM_NOT_FOUND"}, {413, "PAYLOAD_TOO_LARGE"}, {422, "IDEMPOTENCY_KEY_REUSED"}}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) {
				apiError(w, tc.status, tc.code, "no", `[{"index":0,"path":[0,"region"],"message":"Required"},{"path":"bad","message":"kept, path dropped"},{"nomessage":true}]`)
			})
			c, s := newTestClient(t, api.URL, Options{})
			_, err := c.Ingest(context.Background(), []map[string]any{{"a": 1}}, nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err %v is not an *Error", err)
			}
			if e.Code != tc.code || e.Status != tc.status || e.RequestID == "" || e.Retryable || e.Message != "no" {
				t.Fatalf("error %+v", e)
			}
			if len(e.Details) != 2 || e.Details[0].Index == nil || *e.Details[0].Index != 0 || e.Details[0].Path[1] != "region" ||
				e.Details[1].Index != nil || len(e.Details[1].Path) != 0 {
				t.Fatalf("details %+v", e.Details)
			}
			if n := len(api.recorded()); n != 1 || len(s.all()) != 0 {
				t.Fatalf("%d requests: a %d must not be retried", n, tc.status)
			}
		})
	}
}

func TestAttemptsAreBounded(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) {
		w.Header().Set("Retry-After", "1")
		apiError(w, 503, "INTERNAL_ERROR", "down", "")
	})
	c, _ := newTestClient(t, api.URL, Options{MaxAttempts: 3})
	_, err := c.Ingest(context.Background(), map[string]any{"a": 1}, nil)
	var e *Error
	if !errors.As(err, &e) || e.Status != 503 || e.RetryAfter != time.Second || e.RequestID != "req_err_503" {
		t.Fatalf("err %v", err)
	}
	if n := len(api.recorded()); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

// net/http re-sends, by itself, a request carrying an Idempotency-Key whose reused connection broke before the
// answer; MaxAttempts must count every request sent, so the client's own retries are the only ones.
func TestBrokenReusedConnectionIsOneAttempt(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) {
		if n == 1 {
			accept(w, body) // keeps the connection alive for the next call
			return
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close() // the request arrived; its connection breaks before any answer
		}
	})
	c, _ := newTestClient(t, api.URL, Options{MaxAttempts: 1})
	if _, err := c.Ingest(context.Background(), map[string]any{"a": 1}, nil); err != nil {
		t.Fatal(err)
	}
	_, err := c.Ingest(context.Background(), map[string]any{"a": 2}, nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeNetworkError || !e.Retryable {
		t.Fatalf("err %v, want NETWORK_ERROR", err)
	}
	if n := len(api.recorded()); n != 2 {
		t.Fatalf("%d requests for two calls of one attempt each, want 2", n)
	}
}

func TestTotalTimeIsBounded(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) {
		w.Header().Set("Retry-After", "120")
		apiError(w, 429, "RATE_LIMITED", "later", "")
	})
	c, s := newTestClient(t, api.URL, Options{MaxElapsed: 30 * time.Second})
	_, err := c.Ingest(context.Background(), map[string]any{"a": 1}, nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != "RATE_LIMITED" || e.RetryAfter != 120*time.Second {
		t.Fatalf("err %v", err)
	}
	if n := len(api.recorded()); n != 1 || len(s.all()) != 0 {
		t.Fatalf("%d requests and waits %v: a wait past MaxElapsed must not start", n, s.all())
	}
}

func TestCancelledContextStopsTheRetries(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) {
		apiError(w, 503, "INTERNAL_ERROR", "down", "")
	})
	c, err := NewClient(Options{Key: "ik_live_x", BaseURL: api.URL, Backoff: Backoff{Base: time.Hour, Cap: time.Hour}, MaxElapsed: 3 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(api.recorded()) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, err = c.Ingest(ctx, map[string]any{"a": 1}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

func TestFreshKeyPerCallAndTheCallersKeyWins(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) { accept(w, body) })
	c, _ := newTestClient(t, api.URL, Options{})
	ctx := context.Background()
	item := map[string]any{"id": "switch", "on": true}
	for i := 0; i < 2; i++ {
		if _, err := c.Ingest(ctx, item, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Ingest(ctx, item, &IngestOptions{IdempotencyKey: "import-2024-06-01", Stream: "sales/x"}); err != nil {
		t.Fatal(err)
	}
	reqs := api.recorded()
	k1, k2 := reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key")
	if !keyPattern.MatchString(k1) || !keyPattern.MatchString(k2) || k1 == k2 {
		t.Fatalf("keys %q, %q: want two different fresh keys", k1, k2)
	}
	if reqs[2].Header.Get("Idempotency-Key") != "import-2024-06-01" || reqs[2].Path != "/api/ingest/sales%2Fx" && reqs[2].Path != "/api/ingest/sales/x" {
		t.Fatalf("third request %q %v", reqs[2].Path, reqs[2].Header)
	}
	if reqs[0].Path != "/api/ingest" {
		t.Fatalf("path %q", reqs[0].Path)
	}
}

func TestDeleteReplaceClearRequests(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) { accept(w, body) })
	c, _ := newTestClient(t, api.URL, Options{})
	ctx := context.Background()
	if _, err := c.Delete(ctx, []string{"North", "12"}, "region", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Replace(ctx, []map[string]any{{"region": "West"}}, &IngestOptions{ItemKey: "region"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Clear(ctx, &IngestOptions{ItemKey: "ignored"}); err != nil {
		t.Fatal(err)
	}
	reqs := api.recorded()
	want := []struct{ mode, itemKey, body string }{
		{"delete", "region", `[{"region":"North"},{"region":"12"}]`},
		{"replace", "region", `[{"region":"West"}]`},
		{"replace", "", `[]`},
	}
	for i, w := range want {
		h := reqs[i].Header
		if h.Get("X-Ingest-Mode") != w.mode || h.Get("X-Item-Key") != w.itemKey || string(reqs[i].Body) != w.body || !keyPattern.MatchString(h.Get("Idempotency-Key")) {
			t.Fatalf("request %d: %v %s", i, h, reqs[i].Body)
		}
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) { accept(w, body) })
	c, _ := newTestClient(t, api.URL, Options{})
	ctx := context.Background()
	many := make([]map[string]int, MaxRequestItems+1)
	for i := range many {
		many[i] = map[string]int{"i": i}
	}
	big := []map[string]string{{"blob": strings.Repeat("x", MaxRequestBytes)}}
	checks := []struct {
		name string
		err  error
		code string
	}{
		{"replace over 10,000 items", second(c.Replace(ctx, many, nil)), CodeInvalidPayload},
		{"replace over 1 MB", second(c.Replace(ctx, big, nil)), CodePayloadTooLarge},
		{"replace of an object", second(c.Replace(ctx, map[string]int{"a": 1}, nil)), CodeInvalidPayload},
		{"delete without keys", second(c.Delete(ctx, nil, "id", nil)), CodeInvalidPayload},
		{"delete without itemKey", second(c.Delete(ctx, []string{"a"}, "", nil)), CodeInvalidPayload},
		{"delete of an empty key", second(c.Delete(ctx, []string{"a", ""}, "id", nil)), CodeInvalidPayload},
		{"delete of a key over 512", second(c.Delete(ctx, []string{strings.Repeat("k", 513)}, "id", nil)), CodeInvalidPayload},
		{"ingest of a channel", second(c.Ingest(ctx, make(chan int), nil)), CodeInvalidPayload},
	}
	for _, ch := range checks {
		var e *Error
		if !errors.As(ch.err, &e) || e.Code != ch.code || e.Status != 0 {
			t.Errorf("%s: err %v, want %s with status 0", ch.name, ch.err, ch.code)
		}
	}
	if n := len(api.recorded()); n != 0 {
		t.Fatalf("%d requests were sent", n)
	}
}

func second(_ Result, err error) error { return err }

func TestUnexpectedSuccessBody(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) {
		w.WriteHeader(202)
		w.Write([]byte(`{"ok":1}`))
	})
	c, _ := newTestClient(t, api.URL, Options{})
	_, err := c.Ingest(context.Background(), map[string]any{"a": 1}, nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeUnexpectedResponse || e.Status != 202 {
		t.Fatalf("err %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"3":                             3 * time.Second,
		" 0 ":                           0,
		"":                              0,
		"-1":                            0,
		"soon":                          0,
		"Sat, 01 Jun 2024 10:00:05 GMT": 5 * time.Second,
		"Sat, 01 Jun 2024 09:00:00 GMT": 0,
	}
	for in, want := range cases {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestNewClientChecksOptions(t *testing.T) {
	if _, err := NewClient(Options{BaseURL: "http://x"}); err == nil {
		t.Error("no key accepted")
	}
	if _, err := NewClient(Options{Key: "k", BaseURL: "ftp://x"}); err == nil {
		t.Error("ftp URL accepted")
	}
	if _, err := NewClient(Options{Key: "k", BaseURL: "http://x", MaxAttempts: -1}); err == nil {
		t.Error("negative attempts accepted")
	}
	_ = json.Valid
}
