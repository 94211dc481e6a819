// Package ingest is a client of the DataPool ingest API: it retries safely,
// batches with NewBatcher, and deletes, replaces and clears. It uses only the
// standard library.
package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The API's limits on one request.
const (
	MaxRequestBytes = 1_048_576
	MaxRequestItems = 10_000
)

// Options say how a Client talks to the API. Zero fields take the defaults.
type Options struct {
	// Key is an ingest key, ik_live_…. Required.
	Key string
	// BaseURL is where the API is, e.g. https://ingest.example.com (no /api). Required.
	BaseURL string
	// HTTPClient sends the requests; default a new http.Client without its own timeout.
	HTTPClient *http.Client
	// Timeout is per attempt (default 30 s).
	Timeout time.Duration
	// MaxAttempts counts attempts per call, the first included (default 5).
	MaxAttempts int
	// MaxElapsed: no retry starts once its wait would end this long after the first attempt (default 60 s).
	MaxElapsed time.Duration
	// Backoff between attempts without Retry-After (default DefaultBackoff).
	Backoff Backoff
}

// IngestOptions are per call. A nil *IngestOptions means the defaults.
type IngestOptions struct {
	// ItemKey is the field that identifies each item (X-Item-Key); default the connector's item_key.
	ItemKey string
	// IdempotencyKey is sent on every attempt of this call; default a fresh random key per call,
	// so two calls are two operations even with the same body. Pass a deterministic key
	// (source + timestamp) to make a re-run of one import a no-op within the API's 24 hours.
	IdempotencyKey string
	// Stream, when set, posts to /api/ingest/{stream}, so that a key of another stream is refused with 404.
	Stream string
}

// Result is the API's answer to an accepted request.
type Result struct {
	Stream        string `json:"stream"`
	ItemsReceived int    `json:"items_received"`
	// RequestID is the request's id; on a replay, the original request's.
	RequestID string `json:"request_id"`
	// Replayed is true when the API had already accepted this Idempotency-Key and body: nothing was applied again.
	Replayed bool `json:"-"`
}

// Client is safe for concurrent use.
type Client struct {
	key         string
	baseURL     string
	http        *http.Client
	timeout     time.Duration
	maxAttempts int
	maxElapsed  time.Duration
	backoff     Backoff
	// sleep waits between attempts; tests replace it to see the waits without spending them.
	sleep func(ctx context.Context, d time.Duration) error
}

// NewClient checks the options and makes a Client.
func NewClient(opts Options) (*Client, error) {
	if opts.Key == "" {
		return nil, errors.New("datapool: Options.Key is required: an ingest key, ik_live_…")
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("datapool: Options.BaseURL %q is not an http(s) URL", opts.BaseURL)
	}
	if opts.Timeout < 0 || opts.MaxAttempts < 0 || opts.MaxElapsed < 0 || opts.Backoff.Base < 0 || opts.Backoff.Cap < 0 {
		return nil, errors.New("datapool: Timeout, MaxAttempts, MaxElapsed and Backoff must not be negative")
	}
	c := &Client{
		key:         opts.Key,
		baseURL:     strings.TrimRight(u.String(), "/"),
		http:        opts.HTTPClient,
		timeout:     orDefault(opts.Timeout, 30*time.Second),
		maxAttempts: opts.MaxAttempts,
		maxElapsed:  orDefault(opts.MaxElapsed, 60*time.Second),
		backoff:     opts.Backoff,
		sleep:       sleepContext,
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.maxAttempts == 0 {
		c.maxAttempts = 5
	}
	if c.backoff.Base == 0 {
		c.backoff.Base = DefaultBackoff.Base
	}
	if c.backoff.Cap == 0 {
		c.backoff.Cap = DefaultBackoff.Cap
	}
	return c, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ingest sends one object, or a slice of objects, in one request; the API accepts it whole or not at all.
// Retries 429 (after Retry-After), 5xx, timeouts and connection errors with the same Idempotency-Key.
func (c *Client) Ingest(ctx context.Context, items any, opts *IngestOptions) (Result, error) {
	body, err := json.Marshal(items)
	if err != nil {
		return Result{}, &Error{Code: CodeInvalidPayload, Message: "the items cannot be serialised to JSON: " + err.Error(), Err: err}
	}
	return c.IngestJSON(ctx, body, opts)
}

// IngestJSON sends JSON text exactly as given (an object or an array of objects), with Ingest's retries.
func (c *Client) IngestJSON(ctx context.Context, body []byte, opts *IngestOptions) (Result, error) {
	return c.send(ctx, body, opts, "upsert")
}

// Delete removes the items whose item key is one of keys, in one request (X-Ingest-Mode: delete);
// a key that is not stored is not an error. itemKey is the field the keys are values of (sent as
// X-Item-Key; give the connector's item_key when it has one): the body is [{itemKey: key}, …].
// Refused before sending: no keys, an empty key or one over 512 characters, more than one request holds.
func (c *Client) Delete(ctx context.Context, keys []string, itemKey string, opts *IngestOptions) (Result, error) {
	if itemKey == "" {
		return Result{}, &Error{Code: CodeInvalidPayload, Message: "Delete needs itemKey: the field the keys are values of"}
	}
	if len(keys) == 0 {
		return Result{}, &Error{Code: CodeInvalidPayload, Message: "Delete needs at least one key"}
	}
	items := make([]map[string]string, len(keys))
	for i, key := range keys {
		if key == "" || len([]rune(key)) > maxItemKeyLength {
			idx := i
			return Result{}, &Error{
				Code:    CodeInvalidPayload,
				Message: fmt.Sprintf("key %d cannot be deleted: it must be a non-empty string of at most %d characters", i, maxItemKeyLength),
				Details: []Detail{{Index: &idx, Path: []any{i, itemKey}, Message: "Invalid item key"}},
			}
		}
		items[i] = map[string]string{itemKey: key}
	}
	body, _ := json.Marshal(items)
	if err := checkOneRequest(body, len(items), "the delete"); err != nil {
		return Result{}, err
	}
	o := copyOptions(opts)
	o.ItemKey = itemKey
	return c.send(ctx, body, &o, "delete")
}

// Replace makes items (a slice of objects) the stream's whole content, in one request and one
// atomic change (X-Ingest-Mode: replace): every stored item they do not name is removed. A replace
// cannot be split, so more than 10,000 items or 1 MB of JSON is refused before sending.
func (c *Client) Replace(ctx context.Context, items any, opts *IngestOptions) (Result, error) {
	body, err := json.Marshal(items)
	if err != nil {
		return Result{}, &Error{Code: CodeInvalidPayload, Message: "the items cannot be serialised to JSON: " + err.Error(), Err: err}
	}
	var list []json.RawMessage
	if len(body) == 0 || body[0] != '[' || json.Unmarshal(body, &list) != nil {
		return Result{}, &Error{Code: CodeInvalidPayload, Message: "Replace takes a slice of items; an empty one clears the stream"}
	}
	if err := checkOneRequest(body, len(list), "the replace"); err != nil {
		return Result{}, err
	}
	return c.send(ctx, body, opts, "replace")
}

// Clear removes every item of the stream: Replace with no items. opts.ItemKey is not used.
func (c *Client) Clear(ctx context.Context, opts *IngestOptions) (Result, error) {
	o := copyOptions(opts)
	o.ItemKey = ""
	return c.send(ctx, []byte("[]"), &o, "replace")
}

func copyOptions(opts *IngestOptions) IngestOptions {
	if opts == nil {
		return IngestOptions{}
	}
	return *opts
}

func checkOneRequest(body []byte, count int, what string) error {
	if count > MaxRequestItems {
		return &Error{Code: CodeInvalidPayload, Message: fmt.Sprintf("%s holds %d items; one request takes at most %d, and it cannot be split", what, count, MaxRequestItems)}
	}
	if len(body) > MaxRequestBytes {
		return &Error{Code: CodePayloadTooLarge, Message: fmt.Sprintf("%s is %d bytes of JSON; one request takes at most %d, and it cannot be split", what, len(body), MaxRequestBytes)}
	}
	return nil
}

func (c *Client) send(ctx context.Context, body []byte, opts *IngestOptions, mode string) (Result, error) {
	o := copyOptions(opts)
	header := http.Header{}
	header.Set("Authorization", "Bearer "+c.key)
	header.Set("Content-Type", "application/json")
	// Made once, before the first attempt, so that every retry carries it.
	key := o.IdempotencyKey
	if key == "" {
		key = NewIdempotencyKey()
	}
	header.Set("Idempotency-Key", key)
	if o.ItemKey != "" {
		header.Set("X-Item-Key", o.ItemKey)
	}
	// Upserts send no mode: absent means upsert.
	if mode != "upsert" {
		header.Set("X-Ingest-Mode", mode)
	}
	target := c.baseURL + "/api/ingest"
	if o.Stream != "" {
		target += "/" + url.PathEscape(o.Stream)
	}

	started := time.Now()
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return Result{}, fmt.Errorf("datapool: %w", err)
		}
		timeout := c.timeout
		if remaining := c.maxElapsed - time.Since(started); remaining < timeout {
			timeout = max(remaining, time.Millisecond)
		}
		result, err := c.attempt(ctx, target, header, body, timeout)
		if err == nil {
			return result, nil
		}
		var apiErr *Error
		if !errors.As(err, &apiErr) || !apiErr.Retryable || attempt >= c.maxAttempts {
			return Result{}, err
		}
		delay := retryDelay(attempt, apiErr.RetryAfter, c.backoff)
		if time.Since(started)+delay >= c.maxElapsed {
			return Result{}, err
		}
		if err := c.sleep(ctx, delay); err != nil {
			return Result{}, fmt.Errorf("datapool: %w (while waiting to retry after: %v)", err, apiErr)
		}
	}
}

func (c *Client) attempt(ctx context.Context, target string, header http.Header, body []byte, timeout time.Duration) (Result, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return Result{}, &Error{Code: CodeUnexpectedResponse, Message: err.Error(), Err: err}
	}
	req.Header = header.Clone()
	// Without GetBody the transport cannot re-send the body by itself: net/http otherwise repeats a request
	// carrying an Idempotency-Key once when its reused connection breaks, an attempt MaxAttempts would not count.
	// Every attempt is this client's own, with its backoff.
	req.GetBody = nil
	resp, err := c.http.Do(req)
	var text []byte
	if err == nil {
		text, err = io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
	}
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("datapool: %w", ctx.Err())
		}
		if actx.Err() != nil {
			return Result{}, &Error{Code: CodeTimeout, Message: fmt.Sprintf("no answer within %s", timeout), Retryable: true, Err: err}
		}
		return Result{}, &Error{Code: CodeNetworkError, Message: "network error: " + err.Error(), Retryable: true, Err: err}
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return resultFromResponse(resp, text)
	}
	return Result{}, errorFromResponse(resp, text)
}
