package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"time"
)

func resultFromResponse(resp *http.Response, text []byte) (Result, error) {
	var body struct {
		Success bool `json:"success"`
		Data    *struct {
			Stream        *string  `json:"stream"`
			ItemsReceived *float64 `json:"items_received"`
			RequestID     *string  `json:"request_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(text, &body); err != nil || !body.Success || body.Data == nil ||
		body.Data.Stream == nil || body.Data.ItemsReceived == nil || body.Data.RequestID == nil {
		return Result{}, &Error{
			Code:      CodeUnexpectedResponse,
			Status:    resp.StatusCode,
			RequestID: resp.Header.Get("X-Request-Id"),
			Message:   fmt.Sprintf("HTTP %d with a body that is not the ingest answer", resp.StatusCode),
		}
	}
	return Result{
		Stream:        *body.Data.Stream,
		ItemsReceived: int(*body.Data.ItemsReceived),
		RequestID:     *body.Data.RequestID,
		Replayed:      resp.Header.Get("Idempotent-Replayed") == "true",
	}, nil
}

func errorFromResponse(resp *http.Response, text []byte) error {
	e := &Error{
		Status:     resp.StatusCode,
		RequestID:  resp.Header.Get("X-Request-Id"),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Retryable:  isRetryableStatus(resp.StatusCode),
		Details:    []Detail{},
	}
	var body struct {
		RequestID *string `json:"request_id"`
		Error     *struct {
			Code    *string         `json:"code"`
			Message *string         `json:"message"`
			Details json.RawMessage `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(text, &body) == nil && body.Error != nil && body.Error.Code != nil {
		if body.RequestID != nil {
			e.RequestID = *body.RequestID
		}
		e.Code = *body.Error.Code
		e.Message = e.Code
		if body.Error.Message != nil {
			e.Message = *body.Error.Message
		}
		e.Details = readDetails(body.Error.Details)
		return e
	}
	e.Code = CodeUnexpectedResponse
	e.Message = fmt.Sprintf("HTTP %d without the API's error envelope", resp.StatusCode)
	return e
}

// readDetails keeps the well-formed entries: a message string, a path of strings and whole numbers
// (any other path is dropped: a partial path would name the wrong field), an index that is a count.
func readDetails(raw json.RawMessage) []Detail {
	out := []Detail{}
	var list []json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &list) != nil {
		return out
	}
	for _, entry := range list {
		var d struct {
			Index   any             `json:"index"`
			Path    json.RawMessage `json:"path"`
			Message *string         `json:"message"`
		}
		dec := json.NewDecoder(bytes.NewReader(entry))
		if dec.Decode(&d) != nil || d.Message == nil {
			continue
		}
		detail := Detail{Message: *d.Message, Path: []any{}}
		var segments []any
		if json.Unmarshal(d.Path, &segments) != nil {
			segments = nil
		}
		if path, ok := readPath(segments); ok {
			detail.Path = path
		}
		if n, ok := d.Index.(float64); ok && n >= 0 && n == math.Trunc(n) && n <= 1<<53 {
			idx := int(n)
			detail.Index = &idx
		}
		out = append(out, detail)
	}
	return out
}

func readPath(path []any) ([]any, bool) {
	out := make([]any, 0, len(path))
	for _, seg := range path {
		switch v := seg.(type) {
		case string:
			out = append(out, v)
		case float64:
			if v != math.Trunc(v) || math.IsInf(v, 0) {
				return nil, false
			}
			out = append(out, int(v))
		default:
			return nil, false
		}
	}
	return out, true
}
