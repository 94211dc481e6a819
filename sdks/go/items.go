package ingest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxItemKeyLength is the API's limit on an item key's length.
const maxItemKeyLength = 512

// checkItem checks an item as the API will and returns its JSON text. A batch is
// accepted or refused whole, so one bad item would sink every item sent with it:
// it is refused here instead, alone.
func checkItem(item any, itemKey string) ([]byte, error) {
	data, err := json.Marshal(item)
	if err != nil {
		return nil, &Error{Code: CodeInvalidPayload, Message: "the item cannot be serialised to JSON: " + err.Error(), Err: err}
	}
	if len(data) == 0 || data[0] != '{' {
		return nil, &Error{Code: CodeInvalidPayload, Message: "each item must serialise to a JSON object"}
	}
	if itemKey != "" {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(data, &fields); err != nil {
			return nil, &Error{Code: CodeInvalidPayload, Message: "the item is not a JSON object: " + err.Error(), Err: err}
		}
		if !validKeyValue(fields[itemKey]) {
			return nil, &Error{Code: CodeInvalidPayload, Message: fmt.Sprintf("the item needs %q as a non-empty string or a finite number", itemKey)}
		}
	}
	return data, nil
}

func validKeyValue(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return false
		}
		return s != "" && utf8.RuneCountInString(s) <= maxItemKeyLength
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return true
	}
	return false
}

// jsonArrayBytes is the size of a JSON array of count items whose texts add up to itemBytes.
func jsonArrayBytes(count, itemBytes int) int {
	if count == 0 {
		return 2
	}
	return itemBytes + count - 1 + 2
}

var failedCount = regexp.MustCompile(`^(\d[\d,]*) of \d[\d,]* items? `)

// rejectionOf maps a batch's refusal to the items it names: a 400 INVALID_PAYLOAD whose
// details carry item indexes within the batch. Anything else names no item.
func rejectionOf(err error, items []any) (rejected []RejectedItem, total int, notRejected []any) {
	problems := map[int][]ItemProblem{}
	apiErr, ok := err.(*Error)
	if ok && apiErr.Status == 400 && apiErr.Code == CodeInvalidPayload {
		for _, d := range apiErr.Details {
			// An index the batch does not have is the server's mistake: it names none of our items.
			if d.Index == nil || *d.Index >= len(items) {
				continue
			}
			i := *d.Index
			path := d.Path
			if len(path) > 0 && path[0] == any(i) {
				path = path[1:]
			}
			problems[i] = append(problems[i], ItemProblem{Path: append([]any{}, path...), Message: d.Message})
		}
	}
	rejected = []RejectedItem{}
	notRejected = []any{}
	for i, item := range items {
		if p, ok := problems[i]; ok {
			rejected = append(rejected, RejectedItem{Index: i, Item: item, Problems: p})
		} else {
			notRejected = append(notRejected, item)
		}
	}
	total = len(rejected)
	if total > 0 {
		// The message counts every item that failed, while details list at most 100 problems.
		if m := failedCount.FindStringSubmatch(apiErr.Message); m != nil {
			if n, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", "")); err == nil && n > total {
				total = min(n, len(items))
			}
		}
	}
	return rejected, total, notRejected
}
