// Package backoff waits between attempts: exponential delays, and a sleep
// that ends early when its context does.
package backoff

import (
	"context"
	"time"
)

// Sleep waits for d, or until ctx ends.
// Errors: ctx's error when it ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Exponential is the delay before retry number attempt (1, 2, ...):
// base·2^attempt, at most limit.
func Exponential(attempt int, base, limit time.Duration) time.Duration {
	if attempt < 0 {
		attempt = 0
	}
	d := base
	for i := 0; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
