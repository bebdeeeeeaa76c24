package csvimport

import (
	"context"
	"maps"
	"sync"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// Look-ups in the Directory, in batches of at most Options.BatchSize keys,
// Options.LookupConcurrency batches at once.

// userIDs asks the Directory who carries each id.
func (v *validator) userIDs(ctx context.Context, ids []string) (map[string]string, error) {
	return inBatches(ctx, ids, v.opts.BatchSize, v.opts.LookupConcurrency, v.opts.Directory.UserIDs)
}

// inBatches asks ask for keys in calls of at most size keys, up to conc
// calls at once, and merges the answers.
func inBatches[K comparable, V any](ctx context.Context, keys []K, size, conc int, ask func(context.Context, []K) (map[K]V, error)) (map[K]V, error) {
	var chunks [][]K
	for len(keys) > 0 {
		n := min(len(keys), size)
		chunks, keys = append(chunks, keys[:n]), keys[n:]
	}
	answers := make([]map[K]V, len(chunks))
	errs := make([]error, len(chunks))
	if len(chunks) == 1 {
		answers[0], errs[0] = ask(ctx, chunks[0])
	} else {
		sem := make(chan struct{}, max(conc, 1))
		var wg sync.WaitGroup
		for i, c := range chunks {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				answers[i], errs[i] = ask(ctx, c)
			}()
		}
		wg.Wait()
	}
	out := map[K]V{}
	for i, m := range answers {
		if errs[i] != nil {
			return nil, errs[i]
		}
		maps.Copy(out, m)
	}
	return out, nil
}

// members asks the Directory in calls of at most BatchSize emails (a batch of
// relationship rows names up to twice as many people).
func (v *validator) members(ctx context.Context, emails []string) (map[string]roster.MemberState, error) {
	return inBatches(ctx, emails, v.opts.BatchSize, v.opts.LookupConcurrency, v.opts.Directory.Members)
}
