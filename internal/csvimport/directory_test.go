package csvimport

import (
	"context"
	"sync"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// fakeDirectory is a Directory over maps that records its calls.
type fakeDirectory struct {
	members       map[string]roster.UserStatus
	states        map[string]roster.MemberState // the whole record, where a test needs more than the status
	relationships map[Pair]string
	userIDs       map[string]string // id -> email
	memberCalls   []int             // keys asked per call
	pairCalls     []int
	idCalls       []int
	err           error

	mu             sync.Mutex // the engine calls it from several goroutines at once
	inFlight, peak int        // calls running, and the most at once
}

// call counts a call of n keys into calls while it runs.
func (f *fakeDirectory) call(calls *[]int, n int) func() {
	f.mu.Lock()
	*calls = append(*calls, n)
	f.inFlight++
	f.peak = max(f.peak, f.inFlight)
	f.mu.Unlock()
	time.Sleep(time.Millisecond) // long enough for the others to start
	return func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}
}

func (f *fakeDirectory) UserIDs(_ context.Context, ids []string) (map[string]string, error) {
	defer f.call(&f.idCalls, len(ids))()
	out := map[string]string{}
	for _, id := range ids {
		if e, ok := f.userIDs[id]; ok {
			out[id] = e
		}
	}
	return out, f.err
}

func (f *fakeDirectory) Members(_ context.Context, emails []string) (map[string]roster.MemberState, error) {
	defer f.call(&f.memberCalls, len(emails))()
	out := map[string]roster.MemberState{}
	for _, e := range emails {
		if s, ok := f.states[e]; ok {
			out[e] = s
		} else if s, ok := f.members[e]; ok {
			out[e] = roster.MemberState{Status: s}
		}
	}
	return out, f.err
}

func (f *fakeDirectory) Relationships(_ context.Context, pairs []Pair) (map[Pair]string, error) {
	defer f.call(&f.pairCalls, len(pairs))()
	out := map[Pair]string{}
	for _, p := range pairs {
		if t, ok := f.relationships[p]; ok {
			out[p] = t
		}
	}
	return out, f.err
}
