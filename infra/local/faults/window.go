package faults

import (
	"math"
	"time"
)

// sendLog remembers recent sends, to hold them to a rate and to find the
// most sent within any one second.
type sendLog struct {
	sends []send // oldest first, none older than the longest window in use
	peak  int64
}

type send struct {
	at time.Time
	n  int64
}

// rateWindow is the window a rate is held over and how many emails it
// allows in it: a second and floor(rate) for rates of 1 or more; for slower
// rates, one email per 1/rate seconds.
func rateWindow(rate float64) (time.Duration, int64) {
	if rate >= 1 {
		return time.Second, int64(math.Floor(rate))
	}
	return time.Duration(float64(time.Second) / rate), 1
}

// allows reports whether n more emails at now stay within rate (emails a
// second; 0 or less: no limit).
func (l *sendLog) allows(now time.Time, n int64, rate float64) bool {
	if rate <= 0 {
		return true
	}
	window, max := rateWindow(rate)
	return l.since(now.Add(-window))+n <= max
}

// add records n emails sent at now and prunes what no window needs.
func (l *sendLog) add(now time.Time, n int64, rate float64) {
	if n <= 0 {
		return
	}
	l.sends = append(l.sends, send{now, n})
	l.peak = max(l.peak, l.since(now.Add(-time.Second)))
	keep := time.Second
	if rate > 0 {
		w, _ := rateWindow(rate)
		keep = max(keep, w)
	}
	i := 0
	for i < len(l.sends) && !l.sends[i].at.After(now.Add(-keep)) {
		i++
	}
	l.sends = l.sends[i:]
}

// since sums the sends strictly after t.
func (l *sendLog) since(t time.Time) int64 {
	var sum int64
	for i := len(l.sends) - 1; i >= 0 && l.sends[i].at.After(t); i-- {
		sum += l.sends[i].n
	}
	return sum
}
