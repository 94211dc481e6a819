package ingest

// Integration tests: a real server (`node scripts/start.ts`, what `npm start` runs) started
// once for this package, on a free port with its own state directory and admin token.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

type realServer struct {
	url, adminToken string
	cmd             *exec.Cmd
	state           string
	output          *bytes.Buffer
}

var (
	serverOnce sync.Once
	server     *realServer
	serverErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if server != nil {
		server.stop()
	}
	os.Exit(code)
}

// repoRoot is two folders above this file (sdks/go/..).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func liveServer(t *testing.T) *realServer {
	t.Helper()
	serverOnce.Do(func() { server, serverErr = startRealServer() })
	if serverErr != nil {
		t.Fatal(serverErr)
	}
	return server
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startRealServer() (*realServer, error) {
	root := repoRoot()
	bin := filepath.Join(root, "node_modules", ".bin")
	if _, err := os.Stat(filepath.Join(bin, "wrangler")); err != nil {
		return nil, fmt.Errorf("the integration tests start the real server, which needs the repository's node_modules: %s is missing; run `npm ci` in %s first", filepath.Join(bin, "wrangler"), root)
	}
	node := filepath.Join(bin, "node")
	if _, err := os.Stat(node); err != nil {
		if node, err = exec.LookPath("node"); err != nil {
			return nil, fmt.Errorf("no node: neither %s nor one on PATH", filepath.Join(bin, "node"))
		}
	}
	var lastErr error
	for try := 0; try < 3; try++ { // the free port is only free until wrangler binds it
		s, err := launch(root, bin, node)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func launch(root, bin, node string) (*realServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	token := make([]byte, 18)
	rand.Read(token)
	state, err := os.MkdirTemp("", "datapool-go-sdk-")
	if err != nil {
		return nil, err
	}
	s := &realServer{url: fmt.Sprintf("http://127.0.0.1:%d", port), adminToken: hex.EncodeToString(token), state: state, output: &bytes.Buffer{}}
	cmd := exec.Command(node, "scripts/start.ts")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		fmt.Sprintf("PORT=%d", port), "ADMIN_TOKEN="+s.adminToken, "DATAPOOL_PERSIST_DIR="+state)
	out := &lockedWriter{buf: s.output}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own process group, killed whole on stop
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.cmd = cmd
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(120 * time.Second)
	for {
		select {
		case <-exited:
			s.stop()
			return nil, fmt.Errorf("the server exited early:\n%s", out.String())
		default:
		}
		status, _, err := s.admin("GET", "/api/admin/connectors", nil)
		if err == nil && status == 200 {
			return s, nil
		}
		if err == nil && status == 401 {
			s.stop()
			return nil, fmt.Errorf("port %d is served by another server", port)
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("the server did not become ready:\n%s", out.String())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func (s *realServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		pgid := s.cmd.Process.Pid
		syscall.Kill(-pgid, syscall.SIGTERM)
		for i := 0; i < 50 && syscall.Kill(-pgid, 0) == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
	os.RemoveAll(s.state)
}

func (s *realServer) admin(method, path string, body any) (int, []byte, error) {
	var reader io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.url+path, reader)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

func (s *realServer) mustAdmin(t *testing.T, method, path string, body any, into any) {
	t.Helper()
	status, data, err := s.admin(method, path, body)
	if err != nil || status >= 300 {
		t.Fatalf("%s %s: %d %s %v", method, path, status, data, err)
	}
	if into != nil {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(data, &env); err != nil || json.Unmarshal(env.Data, into) != nil {
			t.Fatalf("%s %s: %s", method, path, data)
		}
	}
}

// newStream makes a connector on a fresh stream and returns the stream's name and an ingest key.
func newStream(t *testing.T, s *realServer, itemKey string) (string, string) {
	t.Helper()
	stream, key, _ := newConnector(t, s, itemKey)
	return stream, key
}

// newConnector is newStream, with the connector's id too.
func newConnector(t *testing.T, s *realServer, itemKey string) (string, string, string) {
	t.Helper()
	suffix := make([]byte, 4)
	rand.Read(suffix)
	stream := "go-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	if len(stream) > 50 {
		stream = stream[:50]
	}
	stream += "-" + hex.EncodeToString(suffix)
	body := map[string]any{"name": stream, "stream": stream}
	if itemKey != "" {
		body["item_key"] = itemKey
	}
	var connector struct {
		ID string `json:"id"`
	}
	s.mustAdmin(t, "POST", "/api/admin/connectors", body, &connector)
	var key struct {
		Key string `json:"key"`
	}
	s.mustAdmin(t, "POST", "/api/admin/connectors/"+connector.ID+"/keys", map[string]any{}, &key)
	return stream, key.Key, connector.ID
}

type storedItem struct {
	Key   string         `json:"key"`
	Value map[string]any `json:"value"`
}

func (s *realServer) items(t *testing.T, stream string) []storedItem {
	t.Helper()
	var snapshot struct {
		Items []storedItem `json:"items"`
	}
	s.mustAdmin(t, "GET", "/api/streams/"+stream+"/items", nil, &snapshot)
	sort.Slice(snapshot.Items, func(i, j int) bool { return snapshot.Items[i].Key < snapshot.Items[j].Key })
	return snapshot.Items
}

// eventually reads the stream until check passes: 202 means queued, applied a moment later.
// The deadline only guards a hang; it is no performance threshold.
func eventually(t *testing.T, s *realServer, stream string, check func([]storedItem) error) []storedItem {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		items := s.items(t, stream)
		err := check(items)
		if err == nil {
			return items
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s: %v (items %v)", stream, err, items)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func values(items []storedItem, field string) string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprintf("%s=%v", it.Key, it.Value[field]))
	}
	return strings.Join(out, ",")
}

func wantValues(field, want string) func([]storedItem) error {
	return func(items []storedItem) error {
		if got := values(items, field); got != want {
			return fmt.Errorf("have %q, want %q", got, want)
		}
		return nil
	}
}

func liveClient(t *testing.T, baseURL, key string) *Client {
	t.Helper()
	c, err := NewClient(Options{Key: key, BaseURL: baseURL, Backoff: Backoff{Base: 50 * time.Millisecond, Cap: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIntegrationIngestThenReadBack(t *testing.T) {
	s := liveServer(t)
	stream, key := newStream(t, s, "region")
	c := liveClient(t, s.url, key)
	ctx := context.Background()
	res, err := c.Ingest(ctx, []map[string]any{{"region": "North", "revenue": 1200}, {"region": "South", "revenue": 900}}, &IngestOptions{Stream: stream})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stream != stream || res.ItemsReceived != 2 || !strings.HasPrefix(res.RequestID, "req_") || res.Replayed {
		t.Fatalf("result %+v", res)
	}
	eventually(t, s, stream, wantValues("revenue", "North=1200,South=900"))

	// The API's errors come back as *Error: an item without the item key, and another stream.
	_, err = c.Ingest(ctx, []map[string]any{{"region": "East"}, {"revenue": 1}}, nil)
	var e *Error
	if !errors.As(err, &e) || e.Status != 400 || e.Code != "INVALID_PAYLOAD" || !strings.HasPrefix(e.RequestID, "req_") ||
		len(e.Details) == 0 || e.Details[0].Index == nil || *e.Details[0].Index != 1 {
		t.Fatalf("missing item key: %v %+v", err, e)
	}
	_, err = c.Ingest(ctx, map[string]any{"region": "East"}, &IngestOptions{Stream: "another-stream"})
	if !errors.As(err, &e) || e.Status != 404 || e.Code != "STREAM_NOT_FOUND" {
		t.Fatalf("another stream: %v", err)
	}
	bad := liveClient(t, s.url, "ik_live_nope")
	if _, err = bad.Ingest(ctx, map[string]any{"region": "East"}, nil); !errors.As(err, &e) || e.Status != 401 || e.Code != "UNAUTHORIZED" {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestIntegrationABAEndsOnA(t *testing.T) {
	s := liveServer(t)
	stream, key := newStream(t, s, "id")
	c := liveClient(t, s.url, key)
	ctx := context.Background()
	for _, state := range []string{"on", "off", "on"} {
		res, err := c.Ingest(ctx, map[string]any{"id": "switch", "state": state}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// A fresh key per call: the third call, with the first one's body, is a new write, no replay.
		if res.Replayed {
			t.Fatalf("%s was taken for a replay", state)
		}
	}
	eventually(t, s, stream, wantValues("state", "switch=on"))
}

func TestIntegrationDeleteReplaceClear(t *testing.T) {
	s := liveServer(t)
	stream, key := newStream(t, s, "region")
	c := liveClient(t, s.url, key)
	ctx := context.Background()
	if _, err := c.Ingest(ctx, []map[string]any{{"region": "North", "v": 1}, {"region": "South", "v": 2}, {"region": "West", "v": 3}}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, s, stream, wantValues("v", "North=1,South=2,West=3"))
	if _, err := c.Delete(ctx, []string{"North", "Nowhere"}, "region", nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, s, stream, wantValues("v", "South=2,West=3"))
	if _, err := c.Replace(ctx, []map[string]any{{"region": "East", "v": 4}, {"region": "West", "v": 5}}, &IngestOptions{ItemKey: "region"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, s, stream, wantValues("v", "East=4,West=5"))
	if _, err := c.Clear(ctx, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, s, stream, wantValues("v", ""))
}

// A proxy in front of the real server forwards the first request, then drops the connection
// before the answer reaches the client: the client retries with the same Idempotency-Key, the
// API answers it as a replay, and the keyless item (appended under a generated key, so a second
// application would show as a second item) is in the stream once.
func TestIntegrationRetryAfterALostAnswerAppliesOnce(t *testing.T) {
	s := liveServer(t)
	stream, key, connectorID := newConnector(t, s, "")
	target, _ := url.Parse(s.url)
	forward := httputil.NewSingleHostReverseProxy(target)
	var seen atomic.Int32
	var keys sync.Map
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := seen.Add(1)
		keys.Store(r.Header.Get("Idempotency-Key"), true)
		if n == 1 {
			rec := httptest.NewRecorder()
			forward.ServeHTTP(rec, r) // the server accepts it ...
			if rec.Code != 202 {
				t.Errorf("the first attempt was answered %d: %s", rec.Code, rec.Body)
			}
			dropConnection(t, w) // ... and the answer is lost
			return
		}
		forward.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	c := liveClient(t, proxy.URL, key)
	res, err := c.Ingest(context.Background(), []map[string]any{{"note": "only once"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if seen.Load() < 2 || !res.Replayed {
		t.Fatalf("%d attempts, replayed %v: want a retry answered as a replay", seen.Load(), res.Replayed)
	}
	n := 0
	keys.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d different keys across the attempts", n)
	}
	// The connector's log: the original request processed (applied), every repeat a duplicate.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var logs []struct {
			Status string `json:"status"`
		}
		s.mustAdmin(t, "GET", "/api/admin/connectors/"+connectorID+"/logs", nil, &logs)
		statuses := map[string]int{}
		for _, l := range logs {
			statuses[l.Status]++
		}
		if statuses["processed"] == 1 && statuses["duplicate"] >= 1 && statuses["processed"]+statuses["duplicate"] == len(logs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("log statuses %v: want one processed, the rest duplicate", statuses)
		}
		time.Sleep(100 * time.Millisecond)
	}
	items := s.items(t, stream)
	if len(items) != 1 || items[0].Value["note"] != "only once" {
		t.Fatalf("items %v: want the item once", items)
	}
}

func TestIntegrationBatcherAndSchemaRejection(t *testing.T) {
	s := liveServer(t)
	stream, key := newStream(t, s, "sku")
	s.mustAdmin(t, "PATCH", "/api/admin/streams/"+stream, map[string]any{"schema": map[string]any{
		"type": "object", "required": []string{"sku", "price"},
		"properties": map[string]any{"price": map[string]any{"type": "number"}},
	}}, nil)
	c := liveClient(t, s.url, key)
	ctx := context.Background()
	b, err := c.NewBatcher(BatcherOptions{ItemKey: "sku", MaxItems: 40, FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// 100 good items in batches of 40; the second batch holds one item with a bad price.
	for i := 0; i < 100; i++ {
		item := map[string]any{"sku": fmt.Sprintf("s%03d", i), "price": i}
		if i == 45 {
			item["price"] = "free"
		}
		if err := b.Add(ctx, item); err != nil {
			t.Fatal(err)
		}
	}
	err = b.Close(ctx)
	var be *BatchError
	if !errors.As(err, &be) || len(be.Failures) != 1 {
		t.Fatalf("Close: %v", err)
	}
	f := be.Failures[0]
	if len(f.Rejected) != 1 || f.Rejected[0].Index != 5 || f.Rejected[0].Item.(map[string]any)["sku"] != "s045" ||
		len(f.Rejected[0].Problems) == 0 || fmt.Sprint(f.Rejected[0].Problems[0].Path) != "[price]" || len(f.NotRejected) != 39 {
		t.Fatalf("failure %+v", f)
	}
	// None of the refused batch was applied; the other 60 were. Send the good ones of it again.
	for _, item := range f.NotRejected {
		if _, err := c.Ingest(ctx, item, nil); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, s, stream, func(items []storedItem) error {
		if len(items) != 99 {
			return fmt.Errorf("%d items, want 99", len(items))
		}
		for _, it := range items {
			if it.Key == "s045" {
				return errors.New("the rejected item was stored")
			}
		}
		return nil
	})
}
