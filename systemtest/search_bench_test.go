package systemtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// BenchmarkConsoleSearch20k measures, in Debian's Chromium, the time from
// typing in the users page's search box to the list showing the answer, on
// a school of 20,000 users (median of 20 searches; the 250 ms debounce
// included). The users are written as an import writes them (held
// invitations) and indexed by the stack's own indexer from the stream.
//
//	go test ./systemtest -run '^$' -bench ConsoleSearch20k -benchtime 1x -timeout 30m
func BenchmarkConsoleSearch20k(b *testing.B) {
	const n = 20000
	node, root, chromium := browserTools(b)
	seedSchool(b, "big")
	firsts := []string{"Zoë", "Zola", "Amelia", "Amir", "Ben", "Bella", "Chloe", "Carlos", "Dmitri", "Daisy", "Elif", "Ethan", "Fatima", "Finn", "Grace", "Gabriel", "Hana", "Hugo", "Isla", "Ivan"}
	lasts := []string{"Smith", "Jones", "Nguyen", "Kowalski", "O'Brien", "García", "Müller", "Okafor", "Patel", "Rossi"}
	groups := []string{"students", "staff", "parents"}
	ctx := context.Background()
	st := store()
	began := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	var failed error
	var mu sync.Mutex
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				inv := roster.Invitation{SchoolID: "big", Email: fmt.Sprintf("u%05d@big.school", i),
					FirstName: firsts[i%len(firsts)], LastName: fmt.Sprintf("%s%d", lasts[i%len(lasts)], i),
					Groups: []string{groups[i%len(groups)]}, InvitedBy: "head@big.school", TokenHash: fmt.Sprintf("bench-%d", i),
					MailStatus: roster.MailHeld, InvitedAt: began}
				if _, _, err := st.CreateInvitation(ctx, inv); err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
	written := time.Since(began)
	// The list is ready when the last user written is found by name.
	tok := stack.Token("head@big.school")
	last := fmt.Sprintf("%s%d", lasts[(n-1)%len(lasts)], n-1)
	for {
		var page struct{ Users []struct{ Email string } }
		apiJSON(b, "GET", "/schools/big/users?q="+last, tok, nil, &page)
		if len(page.Users) == 1 {
			break
		}
		if time.Since(began) > 20*time.Minute {
			b.Fatal("the users list was not indexed within 20 minutes")
		}
		time.Sleep(time.Second)
	}
	b.Logf("%d users written in %s, indexed after %s", n, written.Round(time.Millisecond), time.Since(began).Round(time.Second))
	b.ResetTimer()
	for range b.N {
		runBrowserTest(b, node, root, chromium, "search.mjs", "SCHOOL_ID=big", "OWNER_EMAIL=head@big.school")
	}
}
