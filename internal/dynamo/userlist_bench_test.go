package dynamo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// The users list of a large school on DynamoDB Local: what one page of 50
// reads (index items and users), the capacity it consumes and how long it
// takes, for the list's usual filters. Every page is also checked: sorted by
// name, only users that match, and a full page while more users match.
//
//	go test ./internal/dynamo -run '^$' -bench UsersList -benchtime 20x -timeout 60m
//
// The school is generated once per test process, and only when a benchmark
// runs: plain `go test` never pays for it. -userlist.users sets its size.

var userListSize = flag.Int("userlist.users", 20000, "users (the owner included) in the school BenchmarkUsersList generates")

const (
	userListPageSize = 50
	userListWorkers  = 8 // concurrent writers while generating
)

// userListSchool is the generated school: every user as written, the owner
// included, sorted by name, so each page can be checked against what it
// should hold.
type userListSchool struct {
	id      string
	members []roster.Member
	keys    []string   // members' sort keys
	words   [][]string // members' search words
	took    time.Duration
	retries int64 // writes retried (transaction conflicts on the group counts)
	err     error
}

var (
	userListOnce sync.Once
	userListData userListSchool
)

// benchUserList generates the school on first use, with the store's own
// writes: SaveMember (the user and its group counts) and Reindex (the index
// items the indexer would write from the stream).
func benchUserList(b *testing.B, s *dynamo.Store) *userListSchool {
	b.Helper()
	userListOnce.Do(func() {
		start := time.Now()
		userListData = generateUserList(s, *userListSize)
		userListData.took = time.Since(start)
	})
	if userListData.err != nil {
		b.Fatalf("generating the school: %v", userListData.err)
	}
	return &userListData
}

func BenchmarkUsersList(b *testing.B) {
	s := dynamo.NewStore(emulators.DynamoDB, emulators.Tables["RosterTable"])
	school := benchUserList(b, s)
	counts := map[string]int{}
	for _, m := range school.members {
		counts[string(m.Status)]++
		for _, g := range m.Groups {
			counts["group "+g]++
		}
		if len(m.Groups) > 1 {
			counts["in 2 groups"]++
		}
	}
	// A parent benchmark's log shows only with -v: the first page to run logs it.
	generated := fmt.Sprintf("school %s: %d users generated in %v (%.0f users/s; %d writers, %d writes retried); %v",
		school.id, len(school.members), school.took.Round(time.Second), float64(len(school.members))/school.took.Seconds(),
		userListWorkers, school.retries, counts)

	queries := []struct {
		name   string
		search string
		group  string
		status roster.UserStatus
	}{
		{name: "NoFilter"},
		{name: "Group=parents", group: "parents"},
		{name: "Status=active", status: roster.StatusActive},
		{name: "Search=a", search: "a"},
		{name: "Search=zo", search: "zo"},
		{name: "Group=students,Status=invited,Search=m", group: "students", status: roster.StatusInvited, search: "m"},
	}
	logged := false
	logGeneration := func(b *testing.B) {
		if !logged {
			logged = true
			b.Log(generated)
		}
	}
	for _, qc := range queries {
		q := app.UserQuery{SchoolID: school.id, Search: roster.ParseSearch(qc.search), GroupID: qc.group, Status: qc.status, Limit: userListPageSize}
		b.Run(qc.name, func(b *testing.B) {
			logGeneration(b)
			benchPage(b, s, school, q)
		})
	}
	b.Run("NoFilterPage2", func(b *testing.B) {
		logGeneration(b)
		q := app.UserQuery{SchoolID: school.id, Limit: userListPageSize}
		first, err := s.ListUsers(context.Background(), q)
		if err != nil {
			b.Fatal(err)
		}
		checkUserPage(b, school, q, first)
		if first.Next == "" {
			b.Fatal("the first page has no cursor")
		}
		q.After = first.Next
		benchPage(b, s, school, q)
	})
}

// benchPage reads the same page b.N times, checks each, and reports what a
// page reads per page.
func benchPage(b *testing.B, s *dynamo.Store, school *userListSchool, q app.UserQuery) {
	ctx := context.Background()
	var pages, items, users int
	var rcu float64
	for b.Loop() {
		page, err := s.ListUsers(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		checkUserPage(b, school, q, page)
		pages++
		items += page.ItemsRead
		users += len(page.Members)
		rcu += page.Capacity
		b.StartTimer()
	}
	b.ReportMetric(float64(items)/float64(pages), "items-read/page")
	b.ReportMetric(rcu/float64(pages), "rcu/page")
	b.ReportMetric(float64(users)/float64(pages), "users/page")
	b.ReportMetric(float64(items)/float64(max(users, 1)), "items-read/user")
	b.ReportMetric(float64(len(wantedUsers(school, q, ""))), "matches")
}

// wantedUsers are the users a query matches, sorted by name, after the
// sort key after ("" from the start).
func wantedUsers(school *userListSchool, q app.UserQuery, after string) []roster.Member {
	var out []roster.Member
	for i, m := range school.members {
		if school.keys[i] > after && matchesUserQuery(m, school.words[i], q) {
			out = append(out, m)
		}
	}
	return out
}

// matchesUserQuery is the list's filter: words are m's search words.
func matchesUserQuery(m roster.Member, words []string, q app.UserQuery) bool {
	switch {
	case q.Status == "" && m.Status == roster.StatusRemoved, q.Status != "" && m.Status != q.Status:
		return false
	case q.GroupID != "" && !slices.Contains(m.Groups, q.GroupID):
		return false
	}
	return q.Search.Matches(words)
}

func sortKey(m roster.Member) string { return roster.SortKey(m.FirstName, m.LastName, m.Email) }

// checkUserPage fails the benchmark unless the page holds only users that
// match, sorted by name after the cursor, a full page while more match,
// and exactly the users that come next.
func checkUserPage(b *testing.B, school *userListSchool, q app.UserQuery, page app.UserPage) {
	b.Helper()
	want := wantedUsers(school, q, q.After)
	prev := q.After
	for i, m := range page.Members {
		if !matchesUserQuery(m, roster.SearchWords(m.FirstName, m.LastName, m.Email), q) {
			b.Fatalf("%+v: user %d %s (%s %s, %s, groups %v) does not match", q, i, m.Email, m.FirstName, m.LastName, m.Status, m.Groups)
		}
		k := sortKey(m)
		if k <= prev {
			b.Fatalf("%+v: user %d %q sorts before or with %q", q, i, k, prev)
		}
		prev = k
	}
	if len(want) > q.Limit && len(page.Members) < q.Limit {
		b.Fatalf("%+v: %d users on the page, want %d: %d users match", q, len(page.Members), q.Limit, len(want))
	}
	if len(want) > q.Limit && page.Next == "" {
		b.Fatalf("%+v: no cursor, but %d users match", q, len(want))
	}
	for i := range min(len(want), q.Limit, len(page.Members)) {
		if page.Members[i].Email != want[i].Email {
			b.Fatalf("%+v: user %d is %s, want %s", q, i, page.Members[i].Email, want[i].Email)
		}
	}
}

// generateUserList writes a school of n users (the owner among them) and
// their index items, with a few writers at once.
func generateUserList(s *dynamo.Store, n int) userListSchool {
	ctx := context.Background()
	id := "bench" + strconv.Itoa(n)
	if n%1000 == 0 {
		id = "bench" + strconv.Itoa(n/1000) + "k"
	}
	school := userListSchool{id: id}
	created := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	ownerEmail := "head@" + id + ".school"
	if err := s.CreateSchool(ctx, roster.School{ID: id, Name: "Benchmark School", CreatedAt: created}, roster.ActiveOwner(ownerEmail, created)); err != nil {
		school.err = err
		return school
	}
	owner, err := s.GetMember(ctx, id, ownerEmail)
	if err != nil {
		school.err = err
		return school
	}
	if err := s.Reindex(ctx, nil, &owner); err != nil {
		school.err = err
		return school
	}
	members := generatedMembers(id, ownerEmail, n-1, created)

	var retries atomic.Int64
	var failed atomic.Pointer[error]
	work := make(chan int)
	var wg sync.WaitGroup
	for range userListWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				m, err := saveGenerated(ctx, s, members[i], &retries)
				if err != nil {
					failed.CompareAndSwap(nil, &err)
					continue
				}
				members[i] = m
			}
		}()
	}
	for i := range members {
		if failed.Load() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if err := failed.Load(); err != nil {
		school.err = *err
		return school
	}
	type sorted struct {
		key string
		m   roster.Member
	}
	all := []sorted{{sortKey(owner), owner}}
	for _, m := range members {
		all = append(all, sorted{sortKey(m), m})
	}
	slices.SortFunc(all, func(x, y sorted) int { return strings.Compare(x.key, y.key) })
	for _, u := range all {
		school.members = append(school.members, u.m)
		school.keys = append(school.keys, u.key)
		school.words = append(school.words, roster.SearchWords(u.m.FirstName, u.m.LastName, u.m.Email))
	}
	school.retries = retries.Load()
	return school
}

// saveGenerated writes a new user and its index items, retrying what the
// emulator refuses for a while (concurrent transactions on the same group
// counts conflict). A user found written on a retry was written by the
// attempt before.
func saveGenerated(ctx context.Context, s *dynamo.Store, m roster.Member, retries *atomic.Int64) (roster.Member, error) {
	const attempts = 12
	var saved roster.Member
	var err error
	for attempt := range attempts {
		if attempt > 0 {
			retries.Add(1)
			time.Sleep(time.Duration(attempt*attempt) * 10 * time.Millisecond)
		}
		saved, err = s.SaveMember(ctx, app.MemberChange{After: m})
		if err == nil {
			break
		}
		if attempt > 0 && roster.ErrorCode(err) == roster.ECONFLICT {
			saved, err = s.GetMember(ctx, m.SchoolID, m.Email)
			if err == nil {
				break
			}
		}
	}
	if err != nil {
		return roster.Member{}, fmt.Errorf("save %s: %w", m.Email, err)
	}
	for attempt := range attempts {
		if attempt > 0 {
			retries.Add(1)
			time.Sleep(time.Duration(attempt*attempt) * 10 * time.Millisecond)
		}
		if err = s.Reindex(ctx, nil, &saved); err == nil {
			return saved, nil
		}
	}
	return roster.Member{}, fmt.Errorf("index %s: %w", m.Email, err)
}

// Names as a school's roster has them: accents, apostrophes, Mc/Mac,
// hyphens, names of several words, and a few common names far more often
// than the rest.
var (
	benchFirstNames = []string{
		"Emma", "Liam", "Olivia", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Isabella", "James",
		"Mia", "William", "Amelia", "Benjamin", "Harper", "Lucas", "Evelyn", "Henry", "Abigail", "Alexander",
		"Emily", "Mason", "Ella", "Michael", "Zoë", "Ethan", "Chloé", "Daniel", "Zoe", "Jacob",
		"Zoey", "Logan", "Zara", "Jackson", "Sofía", "Sebastian", "Lucía", "Mateo", "Renée", "José",
		"Noémie", "André", "Élodie", "François", "Anaïs", "Jérôme", "Inès", "Maëlle", "Søren", "Björn",
		"Åsa", "Jürgen", "Łukasz", "Małgorzata", "Siobhán", "Seán", "Niamh", "Aoife", "Órla", "Ciarán",
		"Zoltán", "Ágnes", "Dóra", "Martín", "Nicolás", "Ramón", "Çağla", "Mohammed", "Aisha", "Fatima",
		"Omar", "Yusuf", "Priya", "Arjun", "Ananya", "Wei", "Mei", "Hiroshi", "Yuki", "Kwame",
		"Amara", "Chidi", "Nkechi", "Mary-Kate", "Jean-Luc", "Anne-Marie", "Zachary", "Zane", "Marco", "Matilda",
		"Maximilian", "Magnus", "Nora", "Hugo", "Ida", "Tomás", "Bartłomiej", "Dagný", "Eoin", "Grace",
	}
	benchLastNames = []string{
		"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodríguez", "Martínez",
		"Hernández", "López", "González", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
		"Lee", "Pérez", "Thompson", "White", "Harris", "Sánchez", "Clark", "Ramírez", "Lewis", "Robinson",
		"McAllister", "MacDonald", "O'Brien", "O'Connor", "O'Neill", "D'Angelo", "McCarthy", "MacLeod", "McKenzie", "García",
		"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyễn", "Nguyen", "Hill",
		"Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter",
		"Müller", "Schröder", "Weiß", "Øvergaard", "Åberg", "Löfgren", "Kowalski", "Wiśniewski", "Dvořák", "Novák",
		"Čapek", "Brontë", "van der Berg", "de la Cruz", "Smith-Jones", "Ó Súilleabháin", "Ní Bhriain", "Zhang", "Wang", "Li",
		"Chen", "Liu", "Kim", "Park", "Patel", "Singh", "Okafor", "Mensah", "Abara", "Zouari",
		"Zorić", "Zola", "Zimmermann", "Moreau", "Lefèvre", "Fournier", "Bianchi", "Romano", "Sørensen", "Yılmaz",
	}
	benchEmailLetters = strings.NewReplacer("ł", "l", "ø", "o", "æ", "ae", "đ", "d", "ı", "i")
)

// emailPart is a name as an email's local part has it: folded, in ASCII
// letters, without spaces.
func emailPart(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, benchEmailLetters.Replace(roster.Fold(name)))
}

// generatedMembers are n users of school, reproducibly: 70% invited, 28%
// active, 2% removed; 60% students, 10% staff, 30% parents, and 6% in a
// second group; emails made of their names.
func generatedMembers(school, owner string, n int, created time.Time) []roster.Member {
	rng := rand.New(rand.NewPCG(20000, 50))
	pick := func(names []string) string { // the first names of a list are the most common
		u := rng.Float64()
		return names[int(u*u*float64(len(names)))]
	}
	groupIDs := []string{"students", "staff", "parents"}
	taken := map[string]bool{owner: true}
	members := make([]roster.Member, 0, n)
	for i := range n {
		first, last := pick(benchFirstNames), pick(benchLastNames)
		f, l := emailPart(first), emailPart(last)
		var group, domain string
		switch u := rng.Float64(); {
		case u < 0.60:
			group, domain = "students", school+".school"
		case u < 0.70:
			group, domain = "staff", school+".school"
		default:
			group, domain = "parents", []string{"mail.school", "post.school", "inbox.school"}[rng.IntN(3)]
		}
		var local string
		switch u := rng.Float64(); {
		case u < 0.70:
			local = f + "." + l
		case u < 0.90:
			local = f[:1] + l
		default:
			local = l + "_" + f
		}
		email := local + "@" + domain
		for k := 2; taken[email]; k++ {
			email = local + strconv.Itoa(k) + "@" + domain
		}
		taken[email] = true
		groups := []string{group}
		if rng.Float64() < 0.06 {
			other := groupIDs[rng.IntN(3)]
			for other == group {
				other = groupIDs[rng.IntN(3)]
			}
			groups = append(groups, other)
		}
		invitedAt := created.Add(time.Duration(i) * time.Second)
		hash := sha256.Sum256([]byte(email))
		m := roster.Member{
			SchoolID: school, Email: email, FirstName: first, LastName: last, Groups: groups,
			InvitedAt: invitedAt, InvitedBy: owner, InvitedByImport: "IMPBENCH", SendCount: 1, MailStatus: roster.MailSent,
			MailQueuedAt: &invitedAt, MailSentAt: &invitedAt, MailMessageID: "msg-" + strconv.Itoa(i),
		}
		switch u := rng.Float64(); {
		case u < 0.70:
			m.Status, m.TokenHash = roster.StatusInvited, hex.EncodeToString(hash[:])
		case u < 0.98:
			joined := invitedAt.Add(36 * time.Hour)
			m.Status, m.TokenHash, m.JoinedAt, m.Sub = roster.StatusActive, hex.EncodeToString(hash[:]), &joined, "sub-"+strconv.Itoa(i)
		default:
			removed := invitedAt.Add(72 * time.Hour)
			m.Status, m.RemovedAt, m.RemovedBy = roster.StatusRemoved, &removed, owner
		}
		members = append(members, m)
	}
	return members
}
