package ingest

import (
	"fmt"
	"strings"
	"time"
)

// Codes of the SDK's own, for failures that got no answer from the API. The API's
// codes (INVALID_PAYLOAD, UNAUTHORIZED, STREAM_NOT_FOUND, PAYLOAD_TOO_LARGE,
// IDEMPOTENCY_KEY_REUSED, RATE_LIMITED, INTERNAL_ERROR, …) arrive as they are.
const (
	CodeNetworkError       = "NETWORK_ERROR"
	CodeTimeout            = "TIMEOUT"
	CodeUnexpectedResponse = "UNEXPECTED_RESPONSE"
	CodeInvalidPayload     = "INVALID_PAYLOAD"
	CodePayloadTooLarge    = "PAYLOAD_TOO_LARGE"
	CodeBatcherClosed      = "BATCHER_CLOSED"
)

// Detail is one entry of an error's details. For a problem of one item of the
// request, Index is the item's position in the body and Path starts with it
// ([2, "price"]); other details have a nil Index. Path holds strings and ints.
type Detail struct {
	Index   *int
	Path    []any
	Message string
}

// Error is the one error type of the SDK: an API error envelope, or a failure to
// get an answer. Use errors.As(err, &e) with e of type *Error.
type Error struct {
	// Code is the API's error code, or one of the SDK's own (CodeNetworkError, CodeTimeout, …).
	Code string
	// Status is the HTTP status, 0 when no answer came or the SDK refused before sending.
	Status int
	// RequestID is the API's request id (the envelope's request_id or X-Request-Id), "" when none.
	RequestID string
	// RetryAfter is what the server's Retry-After asked to wait, 0 when it did not.
	RetryAfter time.Duration
	// Details are the envelope's well-formed details; empty when it sent none.
	Details []Detail
	// Message is the API's human text, or the SDK's.
	Message string
	// Retryable says whether sending the same request again may succeed.
	Retryable bool
	// Err is the underlying cause (a transport error), if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("datapool: ")
	b.WriteString(e.Code)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Message != "" && e.Message != e.Code {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" [")
		b.WriteString(e.RequestID)
		b.WriteString("]")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ItemProblem is one problem the API found in an item: where in the item (empty Path for the item itself), and what.
type ItemProblem struct {
	Path    []any
	Message string
}

// RejectedItem is an item of a batch that the API refused (the stream's schema or the item key).
type RejectedItem struct {
	// Index is the item's position in the batch (BatchFailure.Items).
	Index int
	// Item is the item as it was added.
	Item     any
	Problems []ItemProblem
}

// BatchFailure is a batch the batcher could not deliver. A batch is one request,
// applied whole or not at all: none of its items were applied.
type BatchFailure struct {
	// Err is why: usually an *Error; the context's error when Close's context ended first.
	Err error
	// Items are every item of the batch, in the order they were added.
	Items          []any
	IdempotencyKey string
	// Rejected are the items a 400 INVALID_PAYLOAD named by index; empty for any other failure.
	// The API lists at most 100 problems, so the list may be partial: see RejectedTotal.
	Rejected []RejectedItem
	// RejectedTotal is how many of the batch's items the API said failed in all.
	RejectedTotal int
	// NotRejected are the batch's other items: not applied either, ready to Add again.
	NotRejected []any
}

// BatchError is returned by Flush and Close when batches failed for good; it lists each of them.
type BatchError struct {
	Failures []*BatchFailure
	// Cause is set when the context of Close or Flush ended before every batch was answered.
	Cause error
}

func (e *BatchError) Error() string {
	items := 0
	for _, f := range e.Failures {
		items += len(f.Items)
	}
	msg := fmt.Sprintf("datapool: %d batch(es) with %d item(s) were not accepted", len(e.Failures), items)
	if len(e.Failures) > 0 && e.Failures[0].Err != nil {
		msg += ": " + e.Failures[0].Err.Error()
	}
	if e.Cause != nil {
		msg += " (" + e.Cause.Error() + ")"
	}
	return msg
}

// Unwrap gives each failure's error (and the context's), so errors.As and errors.Is look into them.
func (e *BatchError) Unwrap() []error {
	var errs []error
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	for _, f := range e.Failures {
		if f.Err != nil {
			errs = append(errs, f.Err)
		}
	}
	return errs
}
