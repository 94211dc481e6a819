package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// BatcherOptions say how a Batcher groups items into requests. Zero fields take the defaults.
type BatcherOptions struct {
	// MaxItems per request, at most 10,000 (default 500).
	MaxItems int
	// MaxBytes of JSON per request, at most 1,048,576 (default 900 KiB).
	MaxBytes int
	// FlushInterval: what is buffered is sent this long after its first item arrived (default 1 s).
	FlushInterval time.Duration
	// MaxBufferedItems held (buffered, queued or in flight) before Add waits for room (default 10,000).
	MaxBufferedItems int
	// ItemKey is the field that identifies each item (X-Item-Key); also checked before an item is buffered.
	ItemKey string
	// Stream, when set, posts to /api/ingest/{stream}.
	Stream string
	// IdempotencyKey, when set, gives a batch's key (asked once per batch, sent on each of its retries);
	// default a fresh random key per batch. Return a deterministic key (source + Offset + len(Items))
	// to make a re-run of the same import a no-op within 24 hours.
	IdempotencyKey func(BatchInfo) string
	// OnBatch is called for each batch the API accepted, on the batcher's sending goroutine.
	OnBatch func(result Result, items []any)
	// OnError is called for each batch that failed for good, on the sending goroutine; Flush and
	// Close return it too. Callbacks must not call Add: re-add a failure's NotRejected after Flush.
	OnError func(failure *BatchFailure)
}

// BatchInfo is a batch about to be sent, as BatcherOptions.IdempotencyKey sees it.
type BatchInfo struct {
	Items []any
	// Offset counts the items added to the batcher before the batch's first one.
	Offset int
}

type entry struct {
	value any
	json  []byte
	seq   int64
}

// Batcher groups items into requests: a batch leaves when it holds MaxItems, when the next item
// would push it past MaxBytes, or FlushInterval after its first item. One request is in flight
// at a time, so batches reach the API in the order their items were added. A batch answered
// 400 INVALID_PAYLOAD naming some of its items (a stream schema they fail) is not retried; its
// failure lists those items in Rejected. Make one with Client.NewBatcher; always Close it.
type Batcher struct {
	client   *Client
	opts     BatcherOptions
	maxItems int
	maxBytes int
	interval time.Duration
	maxHeld  int

	sendCtx    context.Context
	cancelSend context.CancelFunc
	wake       chan struct{}
	done       chan struct{}

	mu           sync.Mutex
	pending      []entry
	pendingBytes int
	queue        [][]entry
	held         int
	room         chan struct{} // closed (and replaced) whenever held goes down
	progress     chan struct{} // closed (and replaced) whenever a batch settles
	timer        *time.Timer
	lastSeq      int64
	settledSeq   int64
	failures     []*BatchFailure
	closed       bool
	stopped      bool
}

// NewBatcher makes a Batcher that sends through c. It starts one goroutine, which Close ends.
func (c *Client) NewBatcher(opts BatcherOptions) (*Batcher, error) {
	b := &Batcher{client: c, opts: opts,
		maxItems: opts.MaxItems, maxBytes: opts.MaxBytes, interval: opts.FlushInterval, maxHeld: opts.MaxBufferedItems}
	if b.maxItems == 0 {
		b.maxItems = 500
	}
	if b.maxBytes == 0 {
		b.maxBytes = 900 * 1024
	}
	if b.interval == 0 {
		b.interval = time.Second
	}
	if b.maxHeld == 0 {
		b.maxHeld = 10_000
	}
	if b.maxItems < 1 || b.maxItems > MaxRequestItems {
		return nil, fmt.Errorf("datapool: MaxItems must be from 1 to %d", MaxRequestItems)
	}
	if b.maxBytes < 3 || b.maxBytes > MaxRequestBytes {
		return nil, fmt.Errorf("datapool: MaxBytes must be from 3 to %d", MaxRequestBytes)
	}
	if b.interval < 0 || b.maxHeld < 1 {
		return nil, errors.New("datapool: FlushInterval must not be negative and MaxBufferedItems must be positive")
	}
	b.sendCtx, b.cancelSend = context.WithCancel(context.Background())
	b.wake = make(chan struct{}, 1)
	b.done = make(chan struct{})
	b.room = make(chan struct{})
	b.progress = make(chan struct{})
	go b.run()
	return b, nil
}

// Len is the number of items added and not yet answered by the API.
func (b *Batcher) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.held
}

// Add buffers an item (anything that marshals to a JSON object). It returns once the item is
// buffered, which waits while MaxBufferedItems are held (backpressure) or until ctx ends.
// An item the API would refuse (not an object, without the item key, too large for a batch)
// is refused at once, alone, with an *Error. After Close it returns an *Error BATCHER_CLOSED.
func (b *Batcher) Add(ctx context.Context, item any) error {
	data, err := checkItem(item, b.opts.ItemKey)
	if err != nil {
		return err
	}
	if jsonArrayBytes(1, len(data)) > b.maxBytes {
		return &Error{Code: CodePayloadTooLarge, Message: fmt.Sprintf("the item is %d bytes of JSON; a batch holds at most %d", len(data), b.maxBytes)}
	}
	b.mu.Lock()
	for {
		if b.closed {
			b.mu.Unlock()
			return &Error{Code: CodeBatcherClosed, Message: "the batcher is closed"}
		}
		if b.held < b.maxHeld {
			break
		}
		// Full: send what is buffered to make room, and wait.
		b.cutLocked(true)
		room := b.room
		b.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return fmt.Errorf("datapool: %w", ctx.Err())
		}
		b.mu.Lock()
	}
	b.lastSeq++
	b.held++
	b.pending = append(b.pending, entry{value: item, json: data, seq: b.lastSeq})
	b.pendingBytes += len(data)
	if len(b.pending) >= b.maxItems || jsonArrayBytes(len(b.pending), b.pendingBytes) > b.maxBytes {
		b.cutLocked(false)
	} else if b.timer == nil {
		b.timer = time.AfterFunc(b.interval, b.timerFired)
	}
	b.mu.Unlock()
	return nil
}

func (b *Batcher) timerFired() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timer = nil
	b.cutLocked(true)
}

// cutLocked moves buffered items into batches to send: all of them, or only the full ones.
func (b *Batcher) cutLocked(all bool) {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	var batches [][]entry
	start, bytes := 0, 0
	for i, e := range b.pending {
		n := i - start
		if n > 0 && (n >= b.maxItems || jsonArrayBytes(n+1, bytes+len(e.json)) > b.maxBytes) {
			batches = append(batches, b.pending[start:i])
			start, bytes = i, 0
		}
		bytes += len(e.json)
	}
	if start < len(b.pending) {
		last := b.pending[start:]
		if all || len(last) >= b.maxItems {
			batches = append(batches, last)
			start = len(b.pending)
		}
	}
	if len(batches) == 0 {
		if len(b.pending) > 0 {
			b.timer = time.AfterFunc(b.interval, b.timerFired)
		}
		return
	}
	b.queue = append(b.queue, batches...)
	rest := append([]entry(nil), b.pending[start:]...)
	b.pending = rest
	b.pendingBytes = 0
	for _, e := range rest {
		b.pendingBytes += len(e.json)
	}
	if len(rest) > 0 {
		b.timer = time.AfterFunc(b.interval, b.timerFired)
	}
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// run is the sending goroutine: one batch in flight at a time, in order.
func (b *Batcher) run() {
	defer close(b.done)
	for {
		b.mu.Lock()
		if len(b.queue) == 0 {
			stopped := b.stopped
			b.mu.Unlock()
			if stopped {
				return
			}
			<-b.wake
			continue
		}
		batch := b.queue[0]
		b.queue = b.queue[1:]
		b.mu.Unlock()
		b.sendBatch(batch)
	}
}

func (b *Batcher) sendBatch(batch []entry) {
	items := make([]any, len(batch))
	size := 2 + len(batch) - 1
	for i, e := range batch {
		items[i] = e.value
		size += len(e.json)
	}
	body := make([]byte, 0, size)
	body = append(body, '[')
	for i, e := range batch {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, e.json...)
	}
	body = append(body, ']')

	key := ""
	if b.opts.IdempotencyKey != nil {
		key = b.opts.IdempotencyKey(BatchInfo{Items: items, Offset: int(batch[0].seq - 1)})
	}
	if key == "" {
		// One key per batch, made once: the client's retries of this batch all send it.
		key = NewIdempotencyKey()
	}
	result, err := b.client.IngestJSON(b.sendCtx, body, &IngestOptions{ItemKey: b.opts.ItemKey, Stream: b.opts.Stream, IdempotencyKey: key})
	var failure *BatchFailure
	if err != nil {
		failure = &BatchFailure{Err: err, Items: items, IdempotencyKey: key}
		failure.Rejected, failure.RejectedTotal, failure.NotRejected = rejectionOf(err, items)
		if b.opts.OnError != nil {
			safeCall(func() { b.opts.OnError(failure) })
		}
	} else if b.opts.OnBatch != nil {
		safeCall(func() { b.opts.OnBatch(result, items) })
	}

	b.mu.Lock()
	if failure != nil {
		b.failures = append(b.failures, failure)
	}
	b.held -= len(batch)
	b.settledSeq = batch[len(batch)-1].seq
	close(b.room)
	b.room = make(chan struct{})
	close(b.progress)
	b.progress = make(chan struct{})
	b.mu.Unlock()
}

// A callback that panics must not break the batcher; the failure itself is still reported by Flush and Close.
func safeCall(f func()) {
	defer func() { _ = recover() }()
	f()
}

// Flush sends everything added so far and returns once the API has answered all of it, or ctx
// ended. It returns a *BatchError listing the batches that failed since the previous Flush or
// Close: each failure is reported once.
func (b *Batcher) Flush(ctx context.Context) error {
	b.mu.Lock()
	target := b.lastSeq
	for b.settledSeq < target {
		b.cutLocked(true)
		progress := b.progress
		b.mu.Unlock()
		select {
		case <-progress:
		case <-ctx.Done():
			return b.takeFailures(fmt.Errorf("datapool: flush: %w", ctx.Err()))
		}
		b.mu.Lock()
	}
	b.mu.Unlock()
	return b.takeFailures(nil)
}

func (b *Batcher) takeFailures(cause error) error {
	b.mu.Lock()
	failures := b.failures
	b.failures = nil
	b.mu.Unlock()
	if len(failures) == 0 && cause == nil {
		return nil
	}
	return &BatchError{Failures: failures, Cause: cause}
}

// Close refuses further items, sends everything buffered and returns once the API has answered
// all of it. It returns a *BatchError listing every batch that failed for good (with its items,
// and the rejected ones named). If ctx ends first, the requests in flight are cancelled, every
// batch not yet accepted is listed as failed, and the BatchError's Cause is ctx's error.
func (b *Batcher) Close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	err := b.Flush(ctx)
	var cause error
	var be *BatchError
	if errors.As(err, &be) && be.Cause != nil {
		cause = be.Cause
	}
	if cause != nil {
		// Abandon what is left: every batch still queued or in flight fails with the cancellation.
		b.cancelSend()
		var abandoned *BatchError
		if errors.As(b.Flush(context.Background()), &abandoned) {
			be.Failures = append(be.Failures, abandoned.Failures...)
		}
	}
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	<-b.done
	b.cancelSend()
	rest := b.takeFailures(nil)
	var failures []*BatchFailure
	if be != nil {
		failures = append(failures, be.Failures...)
	}
	var rb *BatchError
	if errors.As(rest, &rb) {
		failures = append(failures, rb.Failures...)
	}
	if len(failures) == 0 && cause == nil {
		return nil
	}
	return &BatchError{Failures: failures, Cause: cause}
}
