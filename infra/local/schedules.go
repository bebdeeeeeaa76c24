package local

import (
	"context"
	"fmt"
	"time"

	"github.com/schoolroster/rosterimport/infra/local/lambdart"
	"github.com/schoolroster/rosterimport/infra/local/schedule"
)

// startSchedules reads the functions' Schedule events and, with
// Options.Schedules, runs them on their rate.
func (s *Stack) startSchedules(ctx context.Context) error {
	rules, err := schedule.Rules(s.Template, s.resolver, schedule.Config{StackName: s.opts.StackName, Region: localRegion, Account: localAccount})
	if err != nil {
		return err
	}
	s.schedules = rules
	if !s.opts.Schedules {
		return nil
	}
	r := &schedule.Runner{Rules: rules, Invoke: s.invoke, Log: s.log}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); r.Run(ctx) }()
	return nil
}

// RunSchedule invokes function now, synchronously, with the event its
// (first, by name) Schedule event sends: EventBridge's Scheduled Event with
// "time" at, or the event's Input if it has one. Tests use it as their
// clock, with Options.Schedules off. It runs whether or not the schedule is
// enabled.
// Errors: the function has no Schedule event; the invocation could not be
// made (ctx ended, the stack is closing). A function error is in the result.
func (s *Stack) RunSchedule(ctx context.Context, function string, at time.Time) (lambdart.InvokeResult, error) {
	for _, r := range s.schedules {
		if r.Function == function {
			return s.invoke(ctx, function, r.Payload(at))
		}
	}
	return lambdart.InvokeResult{}, fmt.Errorf("function %s has no Schedule event", function)
}
