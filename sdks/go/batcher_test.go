package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// batchSizes reads the number of items of each recorded request.
func batchSizes(t *testing.T, reqs []recorded) []int {
	t.Helper()
	var sizes []int
	for _, r := range reqs {
		var items []json.RawMessage
		if err := json.Unmarshal(r.Body, &items); err != nil {
			t.Fatalf("body is not an array: %v", err)
		}
		sizes = append(sizes, len(items))
	}
	return sizes
}

// waitRequests waits until the fake API has seen n requests; the deadline only guards a hang.
func waitRequests(t *testing.T, api *fakeAPI, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(api.recorded()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d requests arrived", len(api.recorded()), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func newBatcher(t *testing.T, c *Client, opts BatcherOptions) *Batcher {
	t.Helper()
	b, err := c.NewBatcher(opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBatcherFlushesByCount(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) { accept(w, body) })
	c, _ := newTestClient(t, api.URL, Options{})
	b := newBatcher(t, c, BatcherOptions{MaxItems: 3, FlushInterval: time.Hour, ItemKey: "id"})
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		if err := b.Add(ctx, map[string]any{"id": i}); err != nil {
			t.Fatal(err)
		}
	}
	// Two full batches leave without Flush (the interval is an hour); the 7th item waits.
	waitRequests(t, api, 2)
	if got := batchSizes(t, api.recorded()); fmt.Sprint(got) != "[3 3]" {
		t.Fatalf("batches %v before Close", got)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := api.recorded()
	if got := batchSizes(t, reqs); fmt.Sprint(got) != "[3 3 1]" {
		t.Fatalf("batches %v", got)
	}
	var all []string
	keys := map[string]bool{}
	for _, r := range reqs {
		var items []map[string]int
		json.Unmarshal(r.Body, &items)
		for _, it := range items {
			all = append(all, fmt.Sprint(it["id"]))
		}
		keys[r.Header.Get("Idempotency-Key")] = true
		if r.Header.Get("X-Item-Key") != "id" {
			t.Fatal("X-Item-Key missing")
		}
	}
	if strings.Join(all, ",") != "0,1,2,3,4,5,6" || len(keys) != 3 {
		t.Fatalf("items %v in order once each, keys %d distinct", all, len(keys))
	}
}

func TestBatcherFlushesByTime(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) { accept(w, body) })
	c, _ := newTestClient(t, api.URL, Options{})
	var mu sync.Mutex
	var accepted []int
	b := newBatcher(t, c, BatcherOptions{FlushInterval: 20 * time.Millisecond, OnBatch: func(r Result, items []any) {
		mu.Lock()
		accepted = append(accepted, len(items))
		mu.Unlock()
	}})
	if err := b.Add(context.Background(), map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
	waitRequests(t, api, 1) // no Flush, no Close: the interval sends it
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := batchSizes(t, api.recorded()); fmt.Sprint(got) != "[1]" || fmt.Sprint(accepted) != "[1]" {
		t.Fatalf("batches %v, OnBatch %v", got, accepted)
	}
}

func TestBatcherKeepsEveryRequestUnderOneMegabyte(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) { accept(w, body) })
	c, _ := newTestClient(t, api.URL, Options{})
	b := newBatcher(t, c, BatcherOptions{MaxItems: MaxRequestItems, MaxBytes: MaxRequestBytes, FlushInterval: time.Hour, ItemKey: "id"})
	ctx := context.Background()
	// 3 MB in all, in items of odd sizes: about 30 KB each.
	const count = 100
	for i := 0; i < count; i++ {
		if err := b.Add(ctx, map[string]any{"id": fmt.Sprintf("k%03d", i), "blob": strings.Repeat("é", 15_000+i*37)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	next := 0
	total := 0
	for _, r := range api.recorded() {
		total += len(r.Body)
		if len(r.Body) > MaxRequestBytes {
			t.Fatalf("a request of %d bytes", len(r.Body))
		}
		var items []map[string]string
		if err := json.Unmarshal(r.Body, &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it["id"] != fmt.Sprintf("k%03d", next) {
				t.Fatalf("item %s where k%03d was due", it["id"], next)
			}
			next++
		}
	}
	if next != count || total < 3_000_000 || len(api.recorded()) < 3 {
		t.Fatalf("%d items in %d requests, %d bytes", next, len(api.recorded()), total)
	}
}

func TestBatcherRefusesBadItemsAlone(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) { accept(w, body) })
	c, _ := newTestClient(t, api.URL, Options{})
	b := newBatcher(t, c, BatcherOptions{ItemKey: "id", MaxBytes: 1000})
	ctx := context.Background()
	bad := []struct {
		item any
		code string
	}{
		{[]int{1}, CodeInvalidPayload},
		{"text", CodeInvalidPayload},
		{map[string]any{"other": 1}, CodeInvalidPayload},
		{map[string]any{"id": ""}, CodeInvalidPayload},
		{map[string]any{"id": true}, CodeInvalidPayload},
		{map[string]any{"id": "x", "blob": strings.Repeat("x", 1000)}, CodePayloadTooLarge},
	}
	for _, tc := range bad {
		var e *Error
		if err := b.Add(ctx, tc.item); !errors.As(err, &e) || e.Code != tc.code {
			t.Errorf("Add(%v): %v, want %s", tc.item, err, tc.code)
		}
	}
	if err := b.Add(ctx, map[string]any{"id": 5}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := batchSizes(t, api.recorded()); fmt.Sprint(got) != "[1]" {
		t.Fatalf("batches %v: only the good item goes", got)
	}
	var e *Error
	if err := b.Add(ctx, map[string]any{"id": 6}); !errors.As(err, &e) || e.Code != CodeBatcherClosed {
		t.Fatalf("Add after Close: %v", err)
	}
	if _, err := c.NewBatcher(BatcherOptions{MaxItems: MaxRequestItems + 1}); err == nil {
		t.Fatal("MaxItems over 10,000 accepted")
	}
	if _, err := c.NewBatcher(BatcherOptions{MaxBytes: MaxRequestBytes + 1}); err == nil {
		t.Fatal("MaxBytes over 1 MB accepted")
	}
}

func TestBatcherBackpressure(t *testing.T) {
	release := make(chan struct{})
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) {
		<-release
		accept(w, body)
	})
	c, _ := newTestClient(t, api.URL, Options{})
	b := newBatcher(t, c, BatcherOptions{MaxItems: 1, MaxBufferedItems: 2, FlushInterval: time.Hour})
	ctx := context.Background()
	if err := b.Add(ctx, map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(ctx, map[string]any{"n": 2}); err != nil {
		t.Fatal(err)
	}
	waitRequests(t, api, 1)
	// Two items held and the API not answering: a third Add waits, here until its context ends.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	err := b.Add(short, map[string]any{"n": 3})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Add with a full buffer: %v, want it to wait until its context ended", err)
	}
	if b.Len() != 2 {
		t.Fatalf("Len %d, want 2", b.Len())
	}
	added := make(chan error, 1)
	go func() { added <- b.Add(ctx, map[string]any{"n": 4}) }()
	close(release) // the API answers: room is made, the waiting Add goes in
	if err := <-added; err != nil {
		t.Fatal(err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var ns []int
	for _, r := range api.recorded() {
		var items []map[string]int
		json.Unmarshal(r.Body, &items)
		for _, it := range items {
			ns = append(ns, it["n"])
		}
	}
	if fmt.Sprint(ns) != "[1 2 4]" {
		t.Fatalf("items sent %v, want [1 2 4] (3 was never added)", ns)
	}
}

func TestBatcherCloseListsEveryFailedBatch(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) {
		switch {
		case strings.Contains(string(body), `"unauthorized"`):
			apiError(w, 401, "UNAUTHORIZED", "revoked key", "")
		case strings.Contains(string(body), `"down"`):
			apiError(w, 503, "INTERNAL_ERROR", "down", "")
		default:
			accept(w, body)
		}
	})
	c, _ := newTestClient(t, api.URL, Options{MaxAttempts: 2})
	var onError []*BatchFailure
	b := newBatcher(t, c, BatcherOptions{MaxItems: 2, FlushInterval: time.Hour, OnError: func(f *BatchFailure) { onError = append(onError, f) }})
	ctx := context.Background()
	for _, tag := range []string{"ok", "ok", "unauthorized", "x", "ok", "down", "ok"} {
		if err := b.Add(ctx, map[string]any{"tag": tag}); err != nil {
			t.Fatal(err)
		}
	}
	err := b.Close(ctx)
	var be *BatchError
	if !errors.As(err, &be) || len(be.Failures) != 2 || len(onError) != 2 {
		t.Fatalf("Close: %v", err)
	}
	first, second := be.Failures[0], be.Failures[1]
	var e1, e2 *Error
	if !errors.As(first.Err, &e1) || e1.Code != "UNAUTHORIZED" || e1.Status != 401 || len(first.Items) != 2 || !keyPattern.MatchString(first.IdempotencyKey) {
		t.Fatalf("first failure %+v", first)
	}
	if !errors.As(second.Err, &e2) || e2.Status != 503 || len(second.Items) != 2 || len(second.Rejected) != 0 || len(second.NotRejected) != 2 {
		t.Fatalf("second failure %+v", second)
	}
	if fmt.Sprint(first.Items) != "[map[tag:unauthorized] map[tag:x]]" {
		t.Fatalf("first failure's items %v", first.Items)
	}
	// errors.As reaches a failure's *Error through the BatchError too.
	var any1 *Error
	if !errors.As(err, &any1) || any1.Code != "UNAUTHORIZED" {
		t.Fatalf("errors.As on the BatchError: %v", any1)
	}
	// 401 once, 503 twice (MaxAttempts 2), the two good batches once each.
	if n := len(api.recorded()); n != 5 {
		t.Fatalf("%d requests, want 5", n)
	}
}

func TestBatcherReportsRejectedItems(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) {
		apiError(w, 400, "INVALID_PAYLOAD", "2 of 3 items do not match the stream's schema.",
			`[{"index":1,"path":[1,"price"],"message":"must be number"},{"index":1,"path":[1],"message":"must have required property 'sku'"},{"index":9,"path":[9],"message":"not ours"}]`)
	})
	c, _ := newTestClient(t, api.URL, Options{})
	b := newBatcher(t, c, BatcherOptions{FlushInterval: time.Hour})
	ctx := context.Background()
	items := []map[string]any{{"sku": "a", "price": 1}, {"price": "free"}, {"sku": "c", "price": 3}}
	for _, it := range items {
		if err := b.Add(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	err := b.Flush(ctx)
	var be *BatchError
	if !errors.As(err, &be) || len(be.Failures) != 1 {
		t.Fatalf("Flush: %v", err)
	}
	f := be.Failures[0]
	if len(f.Rejected) != 1 || f.Rejected[0].Index != 1 || fmt.Sprint(f.Rejected[0].Item) != fmt.Sprint(items[1]) {
		t.Fatalf("rejected %+v", f.Rejected)
	}
	p := f.Rejected[0].Problems
	if len(p) != 2 || fmt.Sprint(p[0].Path) != "[price]" || p[0].Message != "must be number" || len(p[1].Path) != 0 {
		t.Fatalf("problems %+v", p)
	}
	if f.RejectedTotal != 2 || len(f.NotRejected) != 2 || fmt.Sprint(f.NotRejected[1]) != fmt.Sprint(items[2]) {
		t.Fatalf("total %d, not rejected %v", f.RejectedTotal, f.NotRejected)
	}
	if n := len(api.recorded()); n != 1 {
		t.Fatalf("%d requests: a 400 is not retried", n)
	}
	// Each failure is reported once: Close after Flush has nothing more to say.
	if err := b.Close(ctx); err != nil {
		t.Fatalf("Close after Flush: %v", err)
	}
}

func TestBatcherCloseWithAnExpiredContextListsWhatWasNotDelivered(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int, body []byte) { <-r.Context().Done() })
	c, _ := newTestClient(t, api.URL, Options{})
	b := newBatcher(t, c, BatcherOptions{MaxItems: 1, FlushInterval: time.Hour})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := b.Add(ctx, map[string]any{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := b.Close(short)
	var be *BatchError
	if !errors.As(err, &be) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v", err)
	}
	n := 0
	for _, f := range be.Failures {
		n += len(f.Items)
	}
	if n != 3 {
		t.Fatalf("%d items listed as failed, want all 3", n)
	}
}
