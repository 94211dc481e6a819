package ingest

import (
	"crypto/rand"
	"encoding/hex"
	"math/big"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Backoff is the wait between attempts when the server gives no Retry-After:
// uniformly random in [0, min(Cap, Base·2^(retry-1))) (full jitter).
type Backoff struct {
	Base time.Duration
	Cap  time.Duration
}

// DefaultBackoff is 500 ms doubling per retry, capped at 20 s.
var DefaultBackoff = Backoff{Base: 500 * time.Millisecond, Cap: 20 * time.Second}

// delay is the wait before retry number retry (1 for the first retry).
func (b Backoff) delay(retry int) time.Duration {
	ceiling := b.Base
	for i := 1; i < retry && ceiling < b.Cap; i++ {
		ceiling *= 2
	}
	if ceiling > b.Cap {
		ceiling = b.Cap
	}
	if ceiling <= 0 {
		return 0
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(ceiling)))
	if err != nil {
		return ceiling / 2
	}
	return time.Duration(n.Int64())
}

// retryDelay is the server's Retry-After when given, else jittered backoff.
func retryDelay(retry int, retryAfter time.Duration, b Backoff) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	return b.delay(retry)
}

var digits = regexp.MustCompile(`^\d+$`)

// parseRetryAfter reads a Retry-After header: delta-seconds or an HTTP date; 0 when absent or unreadable.
func parseRetryAfter(value string, now time.Time) time.Duration {
	text := strings.TrimSpace(value)
	if text == "" {
		return 0
	}
	if digits.MatchString(text) {
		seconds, err := strconv.ParseInt(text, 10, 64)
		if err != nil || seconds > 24*3600*365 {
			return 0
		}
		return time.Duration(seconds) * time.Second
	}
	when, err := http.ParseTime(text)
	if err != nil {
		return 0
	}
	d := when.Sub(now)
	if d <= 0 {
		return 0
	}
	// Whole seconds, rounded up, as the header counts them.
	return (d + time.Second - 1).Truncate(time.Second)
}

// isRetryableStatus: 429 and 5xx are worth retrying; every other status (400/401/404/413/422 among them) is not.
func isRetryableStatus(status int) bool {
	return status == http.StatusTooManyRequests || (status >= 500 && status <= 599)
}

// NewIdempotencyKey makes a fresh key for one operation: "sdk1_" and 128 random bits in hex, from crypto/rand.
func NewIdempotencyKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("datapool: crypto/rand failed: " + err.Error())
	}
	return "sdk1_" + hex.EncodeToString(b[:])
}
