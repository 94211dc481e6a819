package ingest

// The conformance suite (sdks/conformance/README.md is its spec): every scenarios/*.json, decoded
// strictly, runs as one subtest of TestConformance against the real server of the integration tests
// (liveServer), through the shared fault proxy (sdks/conformance/fault-proxy.ts run by the
// repository's Node 24), with this SDK's Client and Batcher.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ---- The scenario format, decoded strictly: an unknown member, a missing one or a wrong type fails. ----

type scenario struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Connector   *scenarioConn     `json:"connector"`
	Schema      json.RawMessage   `json:"schema"`
	Faults      []string          `json:"faults"`
	Steps       []scenarioStep    `json:"steps"`
	Proxy       *scenarioProxyChk `json:"proxy"`
}

type scenarioConn struct {
	ItemKey nullableString `json:"item_key"`
}

// nullableString is a member that must be present and is a string or null.
type nullableString struct {
	present bool
	value   *string
}

func (n *nullableString) UnmarshalJSON(data []byte) error {
	n.present = true
	if string(data) == "null" {
		n.value = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("item_key must be a string or null: %w", err)
	}
	n.value = &s
	return nil
}

type scenarioProxyChk struct {
	AllFaultsUsed *bool `json:"all_faults_used"`
	MaxBodyBytes  *int  `json:"max_body_bytes"`
	MinBatches    *int  `json:"min_batches"`
}

// scenarioItems is a literal array of objects or {"generate": {...}}, expanded as it is decoded.
type scenarioItems struct {
	present bool
	list    []map[string]any
}

func (s *scenarioItems) UnmarshalJSON(data []byte) error {
	s.present = true
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []map[string]any
		if err := strictDecode(trimmed, &list); err != nil {
			return fmt.Errorf("items: %w", err)
		}
		for i, item := range list {
			if item == nil {
				return fmt.Errorf("items[%d] is not a JSON object", i)
			}
		}
		s.list = list
		return nil
	}
	var gen struct {
		Generate *struct {
			Count  *int    `json:"count"`
			Prefix *string `json:"prefix"`
			Pad    *int    `json:"pad"`
			Start  *int    `json:"start"`
		} `json:"generate"`
	}
	if err := strictDecode(trimmed, &gen); err != nil {
		return fmt.Errorf("items: neither an array of objects nor a generator: %w", err)
	}
	g := gen.Generate
	if g == nil || g.Count == nil || g.Prefix == nil || g.Pad == nil || *g.Count < 0 || *g.Pad < 0 {
		return fmt.Errorf("items: a generator needs count ≥ 0, prefix and pad ≥ 0: %s", trimmed)
	}
	start := 0
	if g.Start != nil {
		start = *g.Start
	}
	pad := strings.Repeat("x", *g.Pad)
	s.list = make([]map[string]any, 0, *g.Count)
	for i := start; i < start+*g.Count; i++ {
		s.list = append(s.list, map[string]any{"id": *g.Prefix + strconv.Itoa(i), "n": i, "pad": pad})
	}
	return nil
}

// scenarioStep holds one step; UnmarshalJSON reads "op" first, then decodes the step strictly
// into the members that op takes, so a member of another op is an unknown member.
type scenarioStep struct {
	Op          string
	Items       scenarioItems
	PerCall     int
	Concurrency int
	Error       *stepError
	Keys        []string
	MaxItems    int
	Failed      *stepFailed
}

type stepError struct {
	Status        *int    `json:"status"`
	Code          *string `json:"code"`
	DetailIndexes []int   `json:"detail_indexes"`
}

type stepFailed struct {
	Status      *int     `json:"status"`
	Code        *string  `json:"code"`
	IDs         []string `json:"ids"`
	RejectedIDs []string `json:"rejected_ids"`
}

func (s *scenarioStep) UnmarshalJSON(data []byte) error {
	var head struct {
		Op string `json:"op"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return err
	}
	s.Op = head.Op
	switch head.Op {
	case "ingest":
		var v struct {
			Op          string        `json:"op"`
			Items       scenarioItems `json:"items"`
			PerCall     *int          `json:"per_call"`
			Concurrency *int          `json:"concurrency"`
			Error       *stepError    `json:"error"`
		}
		if err := strictDecode(data, &v); err != nil {
			return fmt.Errorf("ingest step: %w", err)
		}
		if !v.Items.present {
			return errors.New("ingest step: items is required")
		}
		s.Items, s.Concurrency = v.Items, 1
		if v.PerCall != nil {
			if *v.PerCall < 1 {
				return errors.New("ingest step: per_call must be at least 1")
			}
			s.PerCall = *v.PerCall
		}
		if v.Concurrency != nil {
			if *v.Concurrency < 1 {
				return errors.New("ingest step: concurrency must be at least 1")
			}
			if v.PerCall == nil {
				return errors.New("ingest step: concurrency without per_call means nothing (one call)")
			}
			s.Concurrency = *v.Concurrency
		}
		if v.Error != nil {
			if v.Error.Status == nil || v.Error.Code == nil || v.Error.DetailIndexes == nil {
				return errors.New("ingest step: error needs status, code and detail_indexes")
			}
			if v.PerCall != nil {
				// The spec speaks of "the call" failing; which of several calls should fail is not defined.
				return errors.New("ingest step: error together with per_call is not defined by the spec")
			}
		}
		s.Error = v.Error
	case "delete":
		var v struct {
			Op   string   `json:"op"`
			Keys []string `json:"keys"`
		}
		if err := strictDecode(data, &v); err != nil {
			return fmt.Errorf("delete step: %w", err)
		}
		if v.Keys == nil {
			return errors.New("delete step: keys is required")
		}
		s.Keys = v.Keys
	case "replace", "expect":
		var v struct {
			Op    string        `json:"op"`
			Items scenarioItems `json:"items"`
		}
		if err := strictDecode(data, &v); err != nil {
			return fmt.Errorf("%s step: %w", head.Op, err)
		}
		if !v.Items.present {
			return fmt.Errorf("%s step: items is required", head.Op)
		}
		s.Items = v.Items
	case "clear":
		var v struct {
			Op string `json:"op"`
		}
		if err := strictDecode(data, &v); err != nil {
			return fmt.Errorf("clear step: %w", err)
		}
	case "batch":
		var v struct {
			Op       string        `json:"op"`
			Items    scenarioItems `json:"items"`
			MaxItems *int          `json:"max_items"`
			Failed   *stepFailed   `json:"failed"`
		}
		if err := strictDecode(data, &v); err != nil {
			return fmt.Errorf("batch step: %w", err)
		}
		if !v.Items.present || v.MaxItems == nil {
			return errors.New("batch step: items and max_items are required")
		}
		if v.Failed != nil && (v.Failed.Status == nil || v.Failed.Code == nil || v.Failed.IDs == nil || v.Failed.RejectedIDs == nil) {
			return errors.New("batch step: failed needs status, code, ids and rejected_ids")
		}
		s.Items, s.MaxItems, s.Failed = v.Items, *v.MaxItems, v.Failed
	default:
		return fmt.Errorf("unknown op %q in step %s", head.Op, data)
	}
	return nil
}

// strictDecode decodes exactly one JSON value, refusing unknown members and trailing data.
func strictDecode(data []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

var knownFaults = map[string]bool{"pass": true, "429": true, "503": true, "reset": true, "drop": true, "duplicate": true}

func loadScenario(path string) (*scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseScenario(data, path)
}

// parseScenario decodes a scenario file's text; path names it (its base name must be the scenario's name).
func parseScenario(data []byte, path string) (*scenario, error) {
	var sc scenario
	if err := strictDecode(data, &sc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	want := strings.TrimSuffix(filepath.Base(path), ".json")
	switch {
	case sc.Name != want:
		return nil, fmt.Errorf("%s: name %q is not the file's name %q", path, sc.Name, want)
	case sc.Description == "":
		return nil, fmt.Errorf("%s: description is required", path)
	case sc.Connector == nil || !sc.Connector.ItemKey.present:
		return nil, fmt.Errorf("%s: connector {\"item_key\": string or null} is required", path)
	case sc.Schema == nil:
		return nil, fmt.Errorf("%s: schema (an object or null) is required", path)
	case sc.Faults == nil:
		return nil, fmt.Errorf("%s: faults (an array) is required", path)
	case len(sc.Steps) == 0:
		return nil, fmt.Errorf("%s: steps (a non-empty array) is required", path)
	}
	if s := string(bytes.TrimSpace(sc.Schema)); s != "null" && !strings.HasPrefix(s, "{") {
		return nil, fmt.Errorf("%s: schema must be an object or null", path)
	}
	for _, f := range sc.Faults {
		if !knownFaults[f] {
			return nil, fmt.Errorf("%s: unknown fault %q", path, f)
		}
	}
	for i, step := range sc.Steps {
		if (step.Op == "delete" || step.Op == "batch" && step.Failed != nil) && sc.Connector.ItemKey.value == nil {
			return nil, fmt.Errorf("%s: step %d (%s) needs a connector with an item_key", path, i, step.Op)
		}
	}
	return &sc, nil
}

// ---- The runner. ----

// TestConformance runs sdks/conformance/scenarios/*.json; DATAPOOL_CONFORMANCE_SCENARIOS names
// another folder instead (to try the runner on scenarios of one's own, e.g. a broken expectation).
func TestConformance(t *testing.T) {
	dir := filepath.Join(repoRoot(), "sdks", "conformance", "scenarios")
	if other := os.Getenv("DATAPOOL_CONFORMANCE_SCENARIOS"); other != "" {
		dir = other
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no scenarios in %s", dir)
	}
	sort.Strings(files)
	liveServer(t) // started once, before the first scenario, so that no scenario's time includes it
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			sc, err := loadScenario(file)
			if err != nil {
				t.Fatal(err)
			}
			runScenario(t, sc)
		})
	}
}

// conformanceRun is one scenario's state: its connector, stream, proxy and client.
type conformanceRun struct {
	t           *testing.T
	server      *realServer
	sc          *scenario
	itemKey     string // "" when keyless
	stream      string
	connectorID string
	ingestKey   string
	proxy       *faultProxy
	client      *Client

	mu sync.Mutex
	// acceptedIDs are the request ids of every call the API accepted (a replay's is the original's).
	acceptedIDs []string
}

func (r *conformanceRun) accepted(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acceptedIDs = append(r.acceptedIDs, res.RequestID)
}

func runScenario(t *testing.T, sc *scenario) {
	s := liveServer(t)
	r := &conformanceRun{t: t, server: s, sc: sc}
	if sc.Connector.ItemKey.value != nil {
		r.itemKey = *sc.Connector.ItemKey.value
	}
	r.setup()
	r.proxy = startFaultProxy(t, s.url, sc.Faults)
	client, err := NewClient(Options{
		Key:         r.ingestKey,
		BaseURL:     r.proxy.url,
		MaxAttempts: 12,
		MaxElapsed:  90 * time.Second,
		Backoff:     Backoff{Base: 25 * time.Millisecond, Cap: 400 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.client = client
	for i, step := range sc.Steps {
		t.Logf("step %d: %s", i, step.Op)
		switch step.Op {
		case "ingest":
			r.ingest(i, step)
		case "delete":
			res, err := r.client.Delete(r.ctx(), step.Keys, r.itemKey, nil)
			if err != nil {
				t.Fatalf("step %d (delete %v): %v", i, step.Keys, err)
			}
			r.accepted(res)
		case "replace":
			res, err := r.client.Replace(r.ctx(), anyItems(step.Items.list), nil)
			if err != nil {
				t.Fatalf("step %d (replace): %v", i, err)
			}
			r.accepted(res)
		case "clear":
			res, err := r.client.Clear(r.ctx(), nil)
			if err != nil {
				t.Fatalf("step %d (clear): %v", i, err)
			}
			r.accepted(res)
		case "batch":
			r.batch(i, step)
		case "expect":
			r.expect(i, step.Items.list)
		default:
			t.Fatalf("step %d: unknown op %q", i, step.Op) // loadScenario refuses these already
		}
	}
	r.checkProxy()
}

// ctx bounds one SDK call: far above the client's own 90 s budget, only a guard against a hang.
func (r *conformanceRun) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	r.t.Cleanup(cancel)
	return ctx
}

// setup: a connector on a fresh stream (with the scenario's item_key and a rate limit that never
// interferes), an ingest key, and the schema when there is one.
func (r *conformanceRun) setup() {
	t := r.t
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			return c
		}
		return '-'
	}, strings.ToLower(r.sc.Name))
	if len(name) > 40 {
		name = name[:40]
	}
	r.stream = "conf-go-" + name + "-" + hex.EncodeToString(suffix)
	body := map[string]any{"name": r.stream, "stream": r.stream, "rate_limit": map[string]any{"requests": 100000, "period_seconds": 60}}
	if r.itemKey != "" {
		body["item_key"] = r.itemKey
	}
	var connector struct {
		ID string `json:"id"`
	}
	r.server.mustAdmin(t, "POST", "/api/admin/connectors", body, &connector)
	r.connectorID = connector.ID
	var key struct {
		Key string `json:"key"`
	}
	r.server.mustAdmin(t, "POST", "/api/admin/connectors/"+connector.ID+"/keys", map[string]any{}, &key)
	if !strings.HasPrefix(key.Key, "ik_live_") {
		t.Fatalf("ingest key %q", key.Key)
	}
	r.ingestKey = key.Key
	if string(bytes.TrimSpace(r.sc.Schema)) != "null" {
		r.server.mustAdmin(t, "PATCH", "/api/admin/streams/"+r.stream, map[string]json.RawMessage{"schema": r.sc.Schema}, nil)
	}
}

func anyItems(list []map[string]any) []any {
	out := make([]any, len(list))
	for i, item := range list {
		out[i] = item
	}
	return out
}

func (r *conformanceRun) ingest(i int, step scenarioStep) {
	t := r.t
	items := step.Items.list
	if step.Error != nil {
		r.ingestRefused(i, items, step.Error)
		return
	}
	if step.PerCall == 0 {
		res, err := r.client.Ingest(r.ctx(), anyItems(items), nil)
		if err != nil {
			t.Fatalf("step %d (ingest of %d items): %v", i, len(items), err)
		}
		if res.ItemsReceived != len(items) {
			t.Fatalf("step %d: items_received %d, want %d", i, res.ItemsReceived, len(items))
		}
		r.accepted(res)
		return
	}
	// Consecutive slices of per_call items, one call each, at most concurrency in flight.
	slots := make(chan struct{}, step.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	var inFlight, maxInFlight atomic.Int32
	for from := 0; from < len(items); from += step.PerCall {
		slice := items[from:min(from+step.PerCall, len(items))]
		slots <- struct{}{}
		wg.Add(1)
		go func(from int, slice []map[string]any) {
			defer func() { <-slots; wg.Done() }()
			n := inFlight.Add(1)
			for {
				m := maxInFlight.Load()
				if n <= m || maxInFlight.CompareAndSwap(m, n) {
					break
				}
			}
			res, err := r.client.Ingest(r.ctx(), anyItems(slice), nil)
			inFlight.Add(-1)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, fmt.Sprintf("items %d..%d: %v", from, from+len(slice)-1, err))
			} else if res.ItemsReceived != len(slice) {
				failures = append(failures, fmt.Sprintf("items %d..%d: items_received %d, want %d", from, from+len(slice)-1, res.ItemsReceived, len(slice)))
			} else {
				r.accepted(res)
			}
		}(from, slice)
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("step %d: %d call(s) failed:\n%s", i, len(failures), strings.Join(failures, "\n"))
	}
	if int(maxInFlight.Load()) > step.Concurrency {
		t.Fatalf("step %d: %d calls in flight at once, at most %d allowed", i, maxInFlight.Load(), step.Concurrency)
	}
}

// ingestRefused: the call fails with *Error of that status and code, whose details name exactly
// those indexes, and nothing of it is applied.
func (r *conformanceRun) ingestRefused(i int, items []map[string]any, want *stepError) {
	t := r.t
	before := len(r.proxy.log(t).Requests)
	_, err := r.client.Ingest(r.ctx(), anyItems(items), nil)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("step %d: want an *Error %d %s, got %v", i, *want.Status, *want.Code, err)
	}
	if e.Status != *want.Status || e.Code != *want.Code {
		t.Fatalf("step %d: error %d %s, want %d %s (%v)", i, e.Status, e.Code, *want.Status, *want.Code, err)
	}
	got := map[int]bool{}
	for _, d := range e.Details {
		if d.Index != nil {
			got[*d.Index] = true
		}
	}
	wantSet := map[int]bool{}
	for _, idx := range want.DetailIndexes {
		wantSet[idx] = true
	}
	if !reflect.DeepEqual(got, wantSet) {
		t.Fatalf("step %d: details name the indexes %v, want %v (details %+v)", i, sortedInts(got), sortedInts(wantSet), e.Details)
	}

	// Nothing of it applied: the call's requests (one Idempotency-Key, retries included) were never
	// answered 2xx, the settled connector's log shows each one the server saw rejected, and the
	// stream holds none of the call's items.
	requests := r.proxy.log(t).Requests[before:]
	if len(requests) == 0 {
		t.Fatalf("step %d: the call sent no request through the proxy", i)
	}
	key := requests[0].IdempotencyKey
	for _, req := range requests {
		if req.IdempotencyKey == nil || key == nil || *req.IdempotencyKey != *key {
			t.Fatalf("step %d: the call's attempts do not share one Idempotency-Key: %+v", i, requests)
		}
		if req.Status != nil && *req.Status >= 200 && *req.Status <= 299 {
			t.Fatalf("step %d: an attempt of the refused call was answered %d", i, *req.Status)
		}
	}
	forwarded := 0
	for _, req := range requests {
		forwarded += req.Forwarded
	}
	logs := r.waitSettled(i)
	logged := 0
	for _, l := range logs {
		if l.IdempotencyKey != nil && *l.IdempotencyKey == *key {
			logged++
			if l.Status != "rejected" {
				t.Fatalf("step %d: the refused call's request %s is logged %q", i, l.RequestID, l.Status)
			}
		}
	}
	if logged != forwarded {
		t.Fatalf("step %d: %d log entries for the %d requests of the refused call the server saw", i, logged, forwarded)
	}
	stored := r.storedValues()
	for _, item := range items {
		for _, v := range stored {
			if reflect.DeepEqual(normalise(t, item), v) {
				t.Fatalf("step %d: the refused call's item %v was applied", i, item)
			}
		}
	}
}

func sortedInts(set map[int]bool) []int {
	out := make([]int, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// batch: a Batcher with that item limit and the SDK's default byte limit; the items added one by
// one, then Close, which reports exactly the failed batches the step names (or none).
func (r *conformanceRun) batch(i int, step scenarioStep) {
	t := r.t
	var accepted atomic.Int64
	b, err := r.client.NewBatcher(BatcherOptions{
		MaxItems: step.MaxItems,
		ItemKey:  r.itemKey,
		OnBatch: func(res Result, items []any) {
			accepted.Add(int64(len(items)))
			r.accepted(res)
		},
	})
	if err != nil {
		t.Fatalf("step %d: %v", i, err)
	}
	ctx := r.ctx()
	for n, item := range step.Items.list {
		if err := b.Add(ctx, item); err != nil {
			b.Close(ctx)
			t.Fatalf("step %d: Add of item %d: %v", i, n, err)
		}
	}
	err = b.Close(ctx)
	if step.Failed == nil {
		if err != nil {
			t.Fatalf("step %d: Close: %v", i, err)
		}
		if got := accepted.Load(); got != int64(len(step.Items.list)) {
			t.Fatalf("step %d: the API accepted %d items, want all %d", i, got, len(step.Items.list))
		}
		return
	}
	want := step.Failed
	var be *BatchError
	if !errors.As(err, &be) || be.Cause != nil || len(be.Failures) == 0 {
		t.Fatalf("step %d: Close: want a *BatchError listing the failed batches, got %v", i, err)
	}
	var failedIDs, rejectedIDs []string
	failedItems := 0
	for _, f := range be.Failures {
		var e *Error
		if !errors.As(f.Err, &e) || e.Status != *want.Status || e.Code != *want.Code {
			t.Fatalf("step %d: a batch failed with %v, want %d %s", i, f.Err, *want.Status, *want.Code)
		}
		failedItems += len(f.Items)
		for _, item := range f.Items {
			failedIDs = append(failedIDs, itemID(t, item))
		}
		for _, rej := range f.Rejected {
			if len(rej.Problems) == 0 {
				t.Fatalf("step %d: rejected item %v carries no problem", i, rej.Item)
			}
			if rej.Index < 0 || rej.Index >= len(f.Items) || !reflect.DeepEqual(f.Items[rej.Index], rej.Item) {
				t.Fatalf("step %d: rejected item %v is not item %d of its batch", i, rej.Item, rej.Index)
			}
			rejectedIDs = append(rejectedIDs, itemID(t, rej.Item))
		}
		if len(f.Rejected)+len(f.NotRejected) != len(f.Items) {
			t.Fatalf("step %d: %d rejected + %d not rejected items in a batch of %d", i, len(f.Rejected), len(f.NotRejected), len(f.Items))
		}
	}
	if !sameStrings(failedIDs, want.IDs) {
		t.Fatalf("step %d: the failed batches hold %v, want %v", i, sortedCopy(failedIDs), sortedCopy(want.IDs))
	}
	if !sameStrings(rejectedIDs, want.RejectedIDs) {
		t.Fatalf("step %d: the rejected items are %v, want %v", i, sortedCopy(rejectedIDs), sortedCopy(want.RejectedIDs))
	}
	// Every other batch was applied (accepted here; the stream is the next expect's business).
	if got := accepted.Load(); got+int64(failedItems) != int64(len(step.Items.list)) {
		t.Fatalf("step %d: %d items accepted and %d failed of %d added", i, got, failedItems, len(step.Items.list))
	}
}

func itemID(t *testing.T, item any) string {
	t.Helper()
	m, ok := item.(map[string]any)
	if !ok {
		t.Fatalf("item %v is not an object", item)
	}
	id, ok := m["id"].(string)
	if !ok {
		t.Fatalf("item %v has no string id", item)
	}
	return id
}

func sortedCopy(list []string) []string {
	out := append([]string{}, list...)
	sort.Strings(out)
	return out
}

func sameStrings(a, b []string) bool {
	return reflect.DeepEqual(sortedCopy(a), sortedCopy(b))
}

// ---- Reading the server: the stream and the connector's log, straight, with the admin token. ----

type conformanceItem struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

func (r *conformanceRun) readItems() []conformanceItem {
	var snapshot struct {
		Stream *string           `json:"stream"`
		Items  []conformanceItem `json:"items"`
	}
	r.server.mustAdmin(r.t, "GET", "/api/streams/"+r.stream+"/items", nil, &snapshot)
	if snapshot.Stream == nil || *snapshot.Stream != r.stream || snapshot.Items == nil {
		r.t.Fatalf("the stream's snapshot is not the stream %s's", r.stream)
	}
	return snapshot.Items
}

func (r *conformanceRun) storedValues() []any {
	var out []any
	for _, it := range r.readItems() {
		out = append(out, decodeValue(r.t, it.Value))
	}
	return out
}

func decodeValue(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("stored value %s: %v", raw, err)
	}
	return v
}

// normalise gives an expected item the shape a stored value decodes to (float64 numbers and so on).
func normalise(t *testing.T, item map[string]any) any {
	t.Helper()
	data, err := json.Marshal(item)
	if err != nil {
		t.Fatal(err)
	}
	return decodeValue(t, data)
}

// jsString is String(v) as JavaScript gives it, for item key values.
func jsString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// matches says how the stream differs from exactly the expected items, or "" when it does not.
func (r *conformanceRun) matches(stored []conformanceItem, want []map[string]any) string {
	t := r.t
	if r.itemKey != "" {
		wantByKey := map[string]any{}
		for _, item := range want {
			key, ok := jsString(normalise(t, item).(map[string]any)[r.itemKey])
			if !ok {
				t.Fatalf("expected item %v has no %q", item, r.itemKey)
			}
			wantByKey[key] = normalise(t, item)
		}
		gotByKey := map[string]any{}
		for _, it := range stored {
			if _, dup := gotByKey[it.Key]; dup {
				return fmt.Sprintf("key %q is stored twice", it.Key)
			}
			gotByKey[it.Key] = decodeValue(t, it.Value)
		}
		var diffs []string
		for key, v := range wantByKey {
			got, ok := gotByKey[key]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%q missing", key))
			} else if !reflect.DeepEqual(got, v) {
				diffs = append(diffs, fmt.Sprintf("%q is %v, want %v", key, got, v))
			}
		}
		for key := range gotByKey {
			if _, ok := wantByKey[key]; !ok {
				diffs = append(diffs, fmt.Sprintf("%q not expected", key))
			}
		}
		if len(diffs) > 0 && len(stored) <= 3 {
			diffs = append(diffs, fmt.Sprintf("raw stored %s", rawItems(stored)))
		}
		return summarise(diffs, len(stored), len(want))
	}
	// Keyless: the values as a multiset.
	counts := map[string]int{}
	for _, it := range stored {
		counts[canonical(t, decodeValue(t, it.Value))]++
	}
	for _, item := range want {
		counts[canonical(t, normalise(t, item))]--
	}
	var diffs []string
	for value, n := range counts {
		if n > 0 {
			diffs = append(diffs, fmt.Sprintf("%s stored %d time(s) too many", value, n))
		} else if n < 0 {
			diffs = append(diffs, fmt.Sprintf("%s missing %d time(s)", value, -n))
		}
	}
	return summarise(diffs, len(stored), len(want))
}

func rawItems(stored []conformanceItem) string {
	var out []string
	for _, it := range stored {
		out = append(out, it.Key+"="+string(it.Value))
	}
	return strings.Join(out, ", ")
}

func summarise(diffs []string, have, want int) string {
	if len(diffs) == 0 {
		return ""
	}
	sort.Strings(diffs)
	more := ""
	if len(diffs) > 10 {
		more = fmt.Sprintf(" and %d more", len(diffs)-10)
		diffs = diffs[:10]
	}
	return fmt.Sprintf("%d items stored, %d expected: %s%s", have, want, strings.Join(diffs, "; "), more)
}

// canonical is a value's JSON text with sorted members (what json.Marshal gives a map[string]any).
func canonical(t *testing.T, v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

type conformanceLog struct {
	RequestID      string  `json:"request_id"`
	Status         string  `json:"status"`
	IdempotencyKey *string `json:"idempotency_key"`
}

// connectorLogs reads every page of the connector's log.
func (r *conformanceRun) connectorLogs() []conformanceLog {
	t := r.t
	var all []conformanceLog
	cursor := ""
	for page := 0; ; page++ {
		path := "/api/admin/connectors/" + r.connectorID + "/logs?limit=200"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		status, data, err := r.server.admin("GET", path, nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("GET %s: %d %s %v", path, status, data, err)
		}
		var body struct {
			Data       []conformanceLog `json:"data"`
			NextCursor *string          `json:"next_cursor"`
		}
		if err := json.Unmarshal(data, &body); err != nil || body.Data == nil {
			t.Fatalf("GET %s: %s", path, data)
		}
		all = append(all, body.Data...)
		if body.NextCursor == nil || page > 100 {
			return all
		}
		cursor = *body.NextCursor
	}
}

// waitSettled polls the connector's log (up to 60 s) until it is settled: one entry, none of them
// queued, for every ingest request the server has seen (the sum of forwarded over the proxy's log),
// none failed. The stream writes an accepted request's entry once it has applied it, so "nothing
// queued" alone could hold before a request is logged at all. It also waits until every request a
// call was answered with is logged (a stricter form of the same: those are the ones that matter).
func (r *conformanceRun) waitSettled(step int) []conformanceLog {
	r.mu.Lock()
	accepted := append([]string(nil), r.acceptedIDs...)
	r.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		forwarded := 0
		for _, req := range r.proxy.log(r.t).Requests {
			forwarded += req.Forwarded
		}
		logs := r.connectorLogs()
		queued := 0
		status := map[string]string{}
		for _, l := range logs {
			switch l.Status {
			case "queued":
				queued++
			case "failed":
				r.t.Fatalf("step %d: request %s is logged failed", step, l.RequestID)
			}
			status[l.RequestID] = l.Status
		}
		if len(logs) > forwarded {
			r.t.Fatalf("step %d: %d log entries for %d requests the server saw", step, len(logs), forwarded)
		}
		unlogged := 0
		for _, id := range accepted {
			if status[id] == "" {
				unlogged++
			}
		}
		if queued == 0 && unlogged == 0 && len(logs) == forwarded {
			return logs
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("step %d: after 60 s the log is not settled: %d entries for %d requests the server saw, %d queued, %d accepted requests not logged",
				step, len(logs), forwarded, queued, unlogged)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// expect: poll (up to 60 s) until the stream holds exactly the items; then, once the connector's
// log is settled, read once more: still exactly these.
func (r *conformanceRun) expect(i int, want []map[string]any) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		diff := r.matches(r.readItems(), want)
		if diff == "" {
			break
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("step %d (expect): after 60 s the stream is not exactly the expected items: %s", i, diff)
		}
		time.Sleep(100 * time.Millisecond)
	}
	logs := r.waitSettled(i)
	if diff := r.matches(r.readItems(), want); diff != "" {
		r.t.Fatalf("step %d (expect): once the log was settled, the stream changed: %s", i, diff)
	}
	r.checkAppliedOnce(i, logs)
}

// checkAppliedOnce: the requests the connector's log shows applied (processed) are exactly the
// ones the calls were answered with, each once. With an item key, a request applied twice leaves
// the stream looking right; this is where it shows: a retry the API took for a new request (say,
// under a fresh Idempotency-Key) is a processed entry no call was answered with.
func (r *conformanceRun) checkAppliedOnce(i int, logs []conformanceLog) {
	r.mu.Lock()
	accepted := map[string]int{}
	for _, id := range r.acceptedIDs {
		accepted[id]++
	}
	r.mu.Unlock()
	var extra, twice []string
	for id, n := range accepted {
		if n > 1 {
			twice = append(twice, id)
		}
	}
	for _, l := range logs {
		if l.Status == "processed" && accepted[l.RequestID] == 0 {
			extra = append(extra, l.RequestID)
		}
	}
	if len(extra) > 0 || len(twice) > 0 {
		r.t.Fatalf("step %d: the log shows %d processed request(s) no call was answered with %v, and %d request id(s) answered to two calls %v",
			i, len(extra), extra, len(twice), twice)
	}
}

// ---- The proxy checks. ----

func (r *conformanceRun) checkProxy() {
	t := r.t
	chk := r.sc.Proxy
	if chk == nil {
		return
	}
	log := r.proxy.log(t)
	if chk.AllFaultsUsed != nil && *chk.AllFaultsUsed && len(log.UnusedFaults) > 0 {
		t.Fatalf("proxy: faults never met: %v", log.UnusedFaults)
	}
	if chk.MaxBodyBytes != nil {
		for n, req := range log.Requests {
			if req.BodyBytes > *chk.MaxBodyBytes {
				t.Fatalf("proxy: ingest request %d carried %d bytes, over %d", n, req.BodyBytes, *chk.MaxBodyBytes)
			}
		}
	}
	if chk.MinBatches != nil {
		keys := map[string]bool{}
		for _, req := range log.Requests {
			if req.IdempotencyKey != nil {
				keys[*req.IdempotencyKey] = true
			}
		}
		if len(keys) < *chk.MinBatches {
			t.Fatalf("proxy: %d distinct Idempotency-Keys, want at least %d batches", len(keys), *chk.MinBatches)
		}
	}
}

// ---- The fault proxy: sdks/conformance/fault-proxy.ts run by the repository's Node 24. ----

type faultProxy struct {
	url string
}

type proxyRequest struct {
	Fault          string  `json:"fault"`
	Forwarded      int     `json:"forwarded"`
	Reached        bool    `json:"reached"`
	IdempotencyKey *string `json:"idempotencyKey"`
	Mode           *string `json:"mode"`
	BodyBytes      int     `json:"bodyBytes"`
	Status         *int    `json:"status"`
}

type proxyLog struct {
	Requests     []proxyRequest `json:"requests"`
	UnusedFaults []string       `json:"unusedFaults"`
}

func (p *faultProxy) log(t *testing.T) proxyLog {
	t.Helper()
	resp, err := http.Get(p.url + "/__conformance/log")
	if err != nil {
		t.Fatalf("the proxy's log: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the proxy's log: %d %s %v", resp.StatusCode, data, err)
	}
	var log proxyLog
	// Not strict: the proxy may log more about each request than this runner reads.
	if err := json.Unmarshal(data, &log); err != nil || log.Requests == nil || log.UnusedFaults == nil {
		t.Fatalf("the proxy's log %s: %v", data, err)
	}
	return log
}

// firstLine collects what a process writes and signals its first line.
type firstLine struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (w *firstLine) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if bytes.IndexByte(w.buf.Bytes(), '\n') >= 0 {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

func (w *firstLine) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func startFaultProxy(t *testing.T, upstream string, faults []string) *faultProxy {
	t.Helper()
	root := repoRoot()
	node := filepath.Join(root, "node_modules", ".bin", "node")
	if _, err := os.Stat(node); err != nil {
		t.Fatalf("the fault proxy runs on the repository's Node 24 (%s), missing: run `npm ci` in %s", node, root)
	}
	plan, err := json.Marshal(faults)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(root, "sdks", "conformance", "fault-proxy.ts"), "--upstream", upstream, "--faults", string(plan))
	cmd.Dir = root
	stdout := &firstLine{ready: make(chan struct{})}
	stderr := &lockedWriter{buf: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	stdin, err := cmd.StdinPipe() // kept open: the proxy exits when it closes
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the fault proxy: %v", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("the fault proxy did not exit within 30 s of its stdin closing")
		}
		if waitErr != nil {
			t.Errorf("the fault proxy: %v\n%s", waitErr, stderr.String())
		}
		if out := stderr.String(); out != "" {
			t.Logf("the fault proxy's stderr:\n%s", out)
		}
	})
	select {
	case <-stdout.ready:
	case <-exited:
		t.Fatalf("the fault proxy exited before listening: %v\n%s%s", waitErr, stdout.String(), stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("the fault proxy printed no URL within 60 s:\n%s%s", stdout.String(), stderr.String())
	}
	line, _, _ := bufio.NewReader(strings.NewReader(stdout.String())).ReadLine()
	var hello struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(line, &hello); err != nil || !strings.HasPrefix(hello.URL, "http://127.0.0.1:") {
		t.Fatalf("the fault proxy's first line %q: %v", line, err)
	}
	return &faultProxy{url: hello.URL}
}

// The runner refuses what it does not understand: these are mistakes a scenario file could make.
func TestConformanceScenarioDecoding(t *testing.T) {
	valid := `{"name": "x", "description": "d", "connector": {"item_key": "id"}, "schema": null, "faults": ["429"],
		"steps": [{"op": "ingest", "items": {"generate": {"count": 3, "prefix": "p", "pad": 2, "start": 5}}, "per_call": 2, "concurrency": 2},
			{"op": "delete", "keys": ["p5"]}, {"op": "replace", "items": [{"id": "a"}]}, {"op": "clear"},
			{"op": "batch", "items": [{"id": "b"}], "max_items": 5, "failed": {"status": 400, "code": "INVALID_PAYLOAD", "ids": ["b"], "rejected_ids": []}},
			{"op": "ingest", "items": [{"id": "c"}], "error": {"status": 400, "code": "INVALID_PAYLOAD", "detail_indexes": [0]}},
			{"op": "expect", "items": []}],
		"proxy": {"all_faults_used": true, "max_body_bytes": 10, "min_batches": 1}}`
	sc, err := parseScenario([]byte(valid), "dir/x.json")
	if err != nil {
		t.Fatal(err)
	}
	gen := sc.Steps[0].Items.list
	if len(gen) != 3 || !reflect.DeepEqual(gen[0], map[string]any{"id": "p5", "n": 5, "pad": "xx"}) || gen[2]["id"] != "p7" {
		t.Fatalf("generated %v", gen)
	}
	if sc.Steps[0].PerCall != 2 || sc.Steps[0].Concurrency != 2 || sc.Steps[5].Error == nil || sc.Steps[4].Failed == nil || *sc.Proxy.MinBatches != 1 {
		t.Fatalf("decoded %+v", sc)
	}
	keyless := strings.Replace(valid, `"item_key": "id"`, `"item_key": null`, 1)
	keyless = strings.Replace(keyless, `{"op": "delete", "keys": ["p5"]}, `, "", 1)
	keyless = strings.Replace(keyless, `, "failed": {"status": 400, "code": "INVALID_PAYLOAD", "ids": ["b"], "rejected_ids": []}`, "", 1)
	if sc, err := parseScenario([]byte(keyless), "x.json"); err != nil || sc.Connector.ItemKey.value != nil {
		t.Fatalf("keyless: %v", err)
	}

	for name, edit := range map[string][2]string{
		"unknown top-level member": {`"schema": null,`, `"schema": null, "extra": 1,`},
		"name not the file's":      {`"name": "x"`, `"name": "y"`},
		"missing description":      {`"description": "d", `, ``},
		"missing schema":           {`"schema": null,`, ``},
		"missing item_key":         {`{"item_key": "id"}`, `{}`},
		"connector null":           {`{"item_key": "id"}`, `null`},
		"unknown fault":            {`["429"]`, `["slow"]`},
		"unknown op":               {`{"op": "clear"}`, `{"op": "truncate"}`},
		"member of another op":     {`{"op": "clear"}`, `{"op": "clear", "items": []}`},
		"typo in a member":         {`"per_call": 2`, `"percall": 2`},
		"unknown generator member": {`"pad": 2, `, `"pad": 2, "suffix": "s", `},
		"generator without pad":    {`"pad": 2, `, ``},
		"items not objects":        {`"items": [{"id": "a"}]`, `"items": [1]`},
		"items null":               {`"items": [{"id": "a"}]`, `"items": [null]`},
		"fractional count":         {`"count": 3`, `"count": 3.5`},
		"ingest without items":     {`{"op": "ingest", "items": [{"id": "c"}], `, `{"op": "ingest", `},
		"error with per_call":      {`"items": [{"id": "c"}], "error"`, `"items": [{"id": "c"}], "per_call": 1, "error"`},
		"error without code":       {`"code": "INVALID_PAYLOAD", "detail_indexes"`, `"detail_indexes"`},
		"failed without rejected":  {`, "rejected_ids": []`, ``},
		"batch without max_items":  {`"max_items": 5, `, ``},
		"unknown proxy check":      {`"min_batches": 1`, `"min_batches": 1, "max_requests": 3`},
		"keys not strings":         {`"keys": ["p5"]`, `"keys": [5]`},
		"trailing data":            {`"min_batches": 1}}`, `"min_batches": 1}} {}`},
	} {
		text := strings.Replace(valid, edit[0], edit[1], 1)
		if text == valid {
			t.Fatalf("%s: the edit does not apply", name)
		}
		if _, err := parseScenario([]byte(text), "x.json"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
