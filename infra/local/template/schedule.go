package template

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// rateUnits are the units of rate(...) expressions, singular for a value of
// 1 and plural otherwise, as EventBridge requires.
var rateUnits = map[string]time.Duration{
	"minute": time.Minute, "minutes": time.Minute,
	"hour": time.Hour, "hours": time.Hour,
	"day": 24 * time.Hour, "days": 24 * time.Hour,
}

// ScheduleRate reads an EventBridge schedule expression: for rate(N unit) it
// returns the period, for cron(...) (six fields) zero.
// Errors: neither form; a rate whose value is not a positive integer or
// whose unit is not minute(s), hour(s) or day(s) in agreement with the
// value (rate(1 minutes) and rate(5 minute) are refused, as on AWS).
func ScheduleRate(expr string) (time.Duration, error) {
	if inner, ok := cutWrap(expr, "cron("); ok {
		if n := len(strings.Fields(inner)); n != 6 {
			return 0, fmt.Errorf("schedule %q: a cron expression has 6 fields, not %d", expr, n)
		}
		return 0, nil
	}
	inner, ok := cutWrap(expr, "rate(")
	if !ok {
		return 0, fmt.Errorf("schedule %q is neither rate(...) nor cron(...)", expr)
	}
	f := strings.Fields(inner)
	if len(f) != 2 {
		return 0, fmt.Errorf("schedule %q: a rate is a value and a unit", expr)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("schedule %q: the value is not a positive integer", expr)
	}
	unit, ok := rateUnits[f[1]]
	if !ok || (n == 1) == strings.HasSuffix(f[1], "s") {
		return 0, fmt.Errorf("schedule %q: the unit must be minute, hour or day for 1, minutes, hours or days otherwise", expr)
	}
	return time.Duration(n) * unit, nil
}

func cutWrap(s, prefix string) (string, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, ")") {
		return "", false
	}
	return s[len(prefix) : len(s)-1], true
}

// scheduleProperties are the properties of SAM's Schedule event.
var scheduleProperties = map[string]bool{
	"Schedule": true, "Enabled": true, "State": true, "Name": true, "Description": true,
	"Input": true, "DeadLetterConfig": true, "RetryPolicy": true,
}

// checkSchedule checks a Schedule event's properties as SAM's transform
// would: known properties, a valid Schedule, Input as a JSON text, Enabled a
// boolean and not with State.
func checkSchedule(where string, props map[string]any, problems *[]string) {
	for _, k := range slices.Sorted(maps.Keys(props)) {
		if !scheduleProperties[k] {
			*problems = append(*problems, fmt.Sprintf("%s: Schedule events have no property %s", where, k))
		}
	}
	switch s := props["Schedule"].(type) {
	case nil:
		*problems = append(*problems, where+": a Schedule event needs a Schedule")
	case string:
		if _, err := ScheduleRate(s); err != nil {
			*problems = append(*problems, where+": "+err.Error())
		}
	}
	if in, ok := props["Input"].(string); ok && !json.Valid([]byte(in)) {
		*problems = append(*problems, where+": Input is not JSON text")
	}
	if e, ok := props["Enabled"]; ok {
		if _, isBool := e.(bool); !isBool && !isIntrinsic(AsMap(e)) {
			*problems = append(*problems, fmt.Sprintf("%s: Enabled is %v, not true or false", where, e))
		}
		if _, both := props["State"]; both {
			*problems = append(*problems, where+": Enabled and State cannot both be given")
		}
	}
}
