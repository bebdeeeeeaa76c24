package csvimport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// collect is a Sink that keeps everything.
type collect struct {
	header []string
	rows   []RowResult
}

func (c *collect) Start(h []string) error { c.header = h; return nil }
func (c *collect) Row(r *RowResult) error { c.rows = append(c.rows, *r); return nil }

var schoolGroups = []string{"Students", "Staff", "Parents", "Year 7"}

func validate(t *testing.T, kind Kind, file string, dir Directory) (*Summary, *collect) {
	t.Helper()
	sink := &collect{}
	sum, err := Validate(context.Background(), strings.NewReader(file), Options{Kind: kind, Groups: schoolGroups, Directory: dir}, sink)
	if err != nil {
		t.Fatal(err)
	}
	return sum, sink
}

type wantRow struct {
	row    int
	status Status
	text   string // the error, or the reason
}

func checkRows(t *testing.T, got []RowResult, want []wantRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		text := g.Error
		if g.Status != StatusInvalid {
			text = g.Reason
		}
		if g.Row != w.row || g.Status != w.status || text != w.text {
			t.Errorf("result %d = row %d %s %q, want row %d %s %q", i, g.Row, g.Status, text, w.row, w.status, w.text)
		}
	}
}

func TestValidateUsers(t *testing.T) {
	long := strings.Repeat("x", 1001)
	file := "Email,First Name,Last Name,Group,Notes\n" +
		"ann@hill.school,Ann,Lee,Staff,\n" + // 2 valid
		",Bo,Brown,,\n" + // 3 required
		"not-an-email,Cy,Cole,,\n" + // 4 format
		"d an@hill.school,Dan,Dee,,\n" + // 5 spaces
		" ANN@Hill.school ,Ann,Again,,\n" + // 6 duplicate of 2
		"eve@hill.school,Eve,Eden,Teachers,\n" + // 7 unknown group
		"fay@hill.school,Fay,Fox,year 7,\n" + // 8 valid, group matched case-insensitively
		"gus@hill.school,Gus,Gray,,\n" + // 9 already a member
		"hal@hill.school,Hal,Hart,,\n" + // 10 already invited
		"ida@hill.school,Ida,Ives,,\n" + // 11 removed: invited again
		"jo@hill.school,Jo,Jay,,,extra\n" + // 12 more values than columns
		"kay@hill.school," + long + ",Kim,,\n" + // 13 cell too long
		"lee@x y.school,Lee,Lo,,\n" + // 14 spaces beat format
		"d an@hill.school,Dan,Again,,\n" + // 15 spaces beat duplicate
		"ann@hill.school,Ann,Third,Nope,\n" + // 16 duplicate beats unknown group
		"eve@hill.school,Eve,Twice,Staff,\n" // 17 duplicate of 7, whose group was unknown
	dir := &fakeDirectory{members: map[string]roster.UserStatus{
		"gus@hill.school": roster.StatusActive, "hal@hill.school": roster.StatusInvited, "ida@hill.school": roster.StatusRemoved,
	}}
	sum, sink := validate(t, KindUsers, file, dir)
	checkRows(t, sink.rows, []wantRow{
		{2, StatusValid, ""},
		{3, StatusInvalid, "Email is required"},
		{4, StatusInvalid, "Invalid email format"},
		{5, StatusInvalid, "Email contains spaces"},
		{6, StatusInvalid, "Duplicate email (same as row 2)"},
		{7, StatusInvalid, "Unknown group: Teachers"},
		{8, StatusValid, ""},
		{9, StatusSkipped, "Already a member"},
		{10, StatusSkipped, "Already invited"},
		{11, StatusValid, "Was removed; will be invited again"},
		{12, StatusInvalid, "Row has 1 more value(s) than the file has columns"},
		{13, StatusInvalid, "First Name is longer than 1,000 characters"},
		{14, StatusInvalid, "Email contains spaces"},
		{15, StatusInvalid, "Email contains spaces"},
		{16, StatusInvalid, "Duplicate email (same as row 2)"},
		{17, StatusInvalid, "Duplicate email (same as row 7)"},
	})
	r := sink.rows[0]
	if r.Email != "ann@hill.school" || r.FirstName != "Ann" || r.LastName != "Lee" || r.Group != "Staff" {
		t.Errorf("row 2 normalised to %+v", r)
	}
	if sink.rows[6].Group != "Year 7" {
		t.Errorf("row 8 group = %q, want the school's spelling Year 7", sink.rows[6].Group)
	}
	if sink.rows[9].Group != "Students" {
		t.Errorf("blank group = %q, want Students", sink.rows[9].Group)
	}
	want := roster.PreviewCounts{Total: 16, Valid: 3, Invalid: 11, Skipped: 2}
	if sum.Total != want.Total || sum.Valid != want.Valid || sum.Invalid != want.Invalid || sum.Skipped != want.Skipped {
		t.Errorf("counts = %d/%d/%d/%d, want %d/%d/%d/%d", sum.Total, sum.Valid, sum.Invalid, sum.Skipped, want.Total, want.Valid, want.Invalid, want.Skipped)
	}
	wantErrors := map[string]int{"Email is required": 1, "Invalid email format": 1, "Email contains spaces": 3,
		"Duplicate email": 3, "Unknown group: Teachers": 1, keyExtraCells: 1, keyCellTooLong: 1}
	if fmt.Sprint(sum.ErrorCounts) != fmt.Sprint(wantErrors) {
		t.Errorf("error counts = %v, want %v", sum.ErrorCounts, wantErrors)
	}
	if sum.SkipReasons["Already a member"] != 1 || sum.SkipReasons["Already invited"] != 1 {
		t.Errorf("skip reasons = %v", sum.SkipReasons)
	}
	if strings.Join(sum.Warnings, "|") != "Ignored columns: Notes" {
		t.Errorf("warnings = %q", sum.Warnings)
	}
	if sum.Columns["email"] != "Email" || sum.Columns["first_name"] != "First Name" {
		t.Errorf("columns = %v", sum.Columns)
	}
}

func TestValidateRelationships(t *testing.T) {
	file := "student_email,parent_email,relationship_type\n" +
		"kid@hill.school,mum@hill.school,Mother\n" + // 2 valid (created)
		",mum@hill.school,\n" + // 3
		"kid@hill.school,,\n" + // 4
		"kid@hill.school,KID@hill.school,\n" + // 5 same person
		"kid@hill.school,dad@hill.school,neighbour\n" + // 6 invalid type
		"kid@hill.school,mum@hill.school,father\n" + // 7 duplicate of 2
		"ghost@hill.school,mum@hill.school,\n" + // 8 student not found
		"kid@hill.school,ghost@hill.school,\n" + // 9 parent not found
		"kid@hill.school,gran@hill.school,Grand-Parent\n" + // 10 existing pair, other type: updated
		"kid2@hill.school,dad@hill.school,\n" + // 11 existing pair, same type (guardian default): unchanged
		"kid2@hill.school,gone@hill.school,step parent\n" // 12 removed parent: not found
	dir := &fakeDirectory{
		members: map[string]roster.UserStatus{
			"kid@hill.school": roster.StatusInvited, "kid2@hill.school": roster.StatusActive, "mum@hill.school": roster.StatusActive,
			"dad@hill.school": roster.StatusActive, "gran@hill.school": roster.StatusInvited, "gone@hill.school": roster.StatusRemoved,
		},
		relationships: map[Pair]string{{Student: "kid@hill.school", Parent: "gran@hill.school"}: "guardian", {Student: "kid2@hill.school", Parent: "dad@hill.school"}: "guardian"},
	}
	sum, sink := validate(t, KindRelationships, file, dir)
	checkRows(t, sink.rows, []wantRow{
		{2, StatusValid, ""},
		{3, StatusInvalid, "Student email: email is required"},
		{4, StatusInvalid, "Parent email: email is required"},
		{5, StatusInvalid, "Student and parent cannot be the same person"},
		{6, StatusInvalid, "Invalid relationship type"},
		{7, StatusInvalid, "Duplicate of row 2"},
		{8, StatusInvalid, "Student not found in organisation"},
		{9, StatusInvalid, "Parent not found in organisation"},
		{10, StatusUpdated, "Type changes from guardian to grandparent"},
		{11, StatusUnchanged, ""},
		{12, StatusInvalid, "Parent not found in organisation"},
	})
	if r := sink.rows[0]; r.StudentEmail != "kid@hill.school" || r.ParentEmail != "mum@hill.school" || r.RelationshipType != "mother" {
		t.Errorf("row 2 = %+v", r)
	}
	if sum.Total != 11 || sum.Valid != 1 || sum.Updated != 1 || sum.Unchanged != 1 || sum.Invalid != 8 {
		t.Errorf("summary = %+v", sum)
	}
}

func TestRelationshipTypes(t *testing.T) {
	tests := []struct{ in, want, word string }{
		{"", "guardian", ""}, {"Mother", "mother", ""}, {"FATHER", "father", ""}, {" guardian ", "guardian", ""},
		{"Step Parent", "step_parent", ""}, {"step-parent", "step_parent", ""}, {"stepparent", "step_parent", ""},
		{"Grandparent", "grandparent", ""}, {"carer", "carer", ""}, {"Other", "other", ""},
		// Words other systems export are read as one of the seven, and said.
		{"aunt", "other", "aunt"}, {"Parent", "guardian", "parent"}, {"Mum", "mother", "mum"}, {"mom", "mother", "mom"},
		{"Dad", "father", "dad"}, {"Step-Mother", "step_parent", "step-mother"}, {"stepfather", "step_parent", "stepfather"},
		{"Grandmother", "grandparent", "grandmother"}, {"grand father", "grandparent", "grand father"},
		{"Foster Carer", "carer", "foster carer"}, {"relative", "other", "relative"}, {"aide", "other", "aide"},
		{"ninja", "", ""}, {"mother-in-law", "", ""},
	}
	for _, tt := range tests {
		got, word, ok := relationshipType(tt.in)
		if got != tt.want || word != tt.word || ok != (tt.want != "") {
			t.Errorf("relationshipType(%q) = %q %q %v, want %q %q", tt.in, got, word, ok, tt.want, tt.word)
		}
	}
}

func TestLookupsAreBatched(t *testing.T) {
	var b strings.Builder
	b.WriteString("email\n")
	for i := 0; i < 250; i++ {
		fmt.Fprintf(&b, "p%d@hill.school\n", i)
	}
	dir := &fakeDirectory{members: map[string]roster.UserStatus{"p249@hill.school": roster.StatusActive}}
	sum, _ := validate(t, KindUsers, b.String(), dir)
	total := 0
	for _, n := range dir.memberCalls {
		if n > 100 {
			t.Errorf("a lookup asked for %d emails, over the batch of 100", n)
		}
		total += n
	}
	if total != 250 || len(dir.memberCalls) != 3 {
		t.Errorf("lookups = %v, want 3 calls for 250 emails", dir.memberCalls)
	}
	if dir.peak != 3 {
		t.Errorf("at most %d lookups ran at once, want the 3 together", dir.peak)
	}
	if sum.Skipped != 1 || sum.Valid != 249 {
		t.Errorf("valid %d skipped %d", sum.Valid, sum.Skipped)
	}

	b.Reset()
	b.WriteString("student_email,parent_email\n")
	for i := 0; i < 120; i++ {
		fmt.Fprintf(&b, "s%d@hill.school,p%d@hill.school\n", i, i)
	}
	rdir := &fakeDirectory{}
	validate(t, KindRelationships, b.String(), rdir)
	for _, n := range append(rdir.memberCalls, rdir.pairCalls...) {
		if n > 100 {
			t.Errorf("a lookup asked for %d keys", n)
		}
	}
}

func TestDirectoryErrorStopsValidation(t *testing.T) {
	boom := errors.New("throttled")
	_, err := Validate(context.Background(), strings.NewReader("email\na@hill.school\n"), Options{Kind: KindUsers, Groups: schoolGroups, Directory: &fakeDirectory{err: boom}}, &collect{})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the directory's error", err)
	}
}

func TestPreview(t *testing.T) {
	build := func(invalidEvery, rows int) string {
		var b strings.Builder
		b.WriteString("email\n")
		for i := 0; i < rows; i++ {
			if invalidEvery > 0 && i%invalidEvery == 0 {
				fmt.Fprintf(&b, "bad%d\n", i)
			} else {
				fmt.Fprintf(&b, "ok%d@hill.school\n", i)
			}
		}
		return b.String()
	}
	t.Run("errors first, then others, each in file order", func(t *testing.T) {
		sum, _ := validate(t, KindUsers, build(10, 120), nil) // 12 invalid
		if len(sum.Preview) != 50 {
			t.Fatalf("preview has %d rows", len(sum.Preview))
		}
		for i, r := range sum.Preview {
			if wantInvalid := i < 12; (r.Status == StatusInvalid) != wantInvalid {
				t.Fatalf("preview[%d] is %s", i, r.Status)
			}
			if i > 0 && (r.Status == sum.Preview[i-1].Status) && r.Row <= sum.Preview[i-1].Row {
				t.Errorf("preview not in file order at %d", i)
			}
		}
		if sum.Preview[0].Row != 2 || sum.Preview[12].Row != 3 {
			t.Errorf("preview starts at rows %d and %d", sum.Preview[0].Row, sum.Preview[12].Row)
		}
		if sum.PreviewNote != "Showing 50 of 120 rows, rows with errors first. Download the results to see every row." {
			t.Errorf("note = %q", sum.PreviewNote)
		}
	})
	t.Run("more than 50 errors", func(t *testing.T) {
		sum, _ := validate(t, KindUsers, build(1, 80), nil)
		if len(sum.Preview) != 50 || sum.Preview[49].Row != 51 {
			t.Errorf("preview = %d rows ending at %d", len(sum.Preview), sum.Preview[len(sum.Preview)-1].Row)
		}
	})
	t.Run("small file has no note", func(t *testing.T) {
		sum, _ := validate(t, KindUsers, build(0, 3), nil)
		if len(sum.Preview) != 3 || sum.PreviewNote != "" {
			t.Errorf("preview %d rows, note %q", len(sum.Preview), sum.PreviewNote)
		}
	})
}

func TestValidateFileErrors(t *testing.T) {
	tests := []struct {
		name, file, reason string
	}{
		{"header only", "email,first_name\n", ReasonNoRows},
		{"header then blank rows", "email,first_name\n\n,\n", ReasonNoRows},
		{"no email column", "name,group\nAnn,Staff\n", ReasonMissingColumn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Validate(context.Background(), strings.NewReader(tt.file), Options{Kind: KindUsers, Groups: schoolGroups}, &collect{})
			var fe *FileError
			if !errors.As(err, &fe) || fe.Reason != tt.reason {
				t.Errorf("err = %v, want %s", err, tt.reason)
			}
		})
	}
}

func TestErrorFile(t *testing.T) {
	file := "email,first_name,last_name,group\n" +
		"ok@hill.school,Ok,Fine,Staff\n" +
		"=HYPERLINK(\"http://x\"),+44,-1,@SUM(A1)\n" +
		"two@@hill.school,\"Lee, Ann\",\tTab,Staff,extra\n"
	var out bytes.Buffer
	ef := NewErrorFile(&out)
	if _, err := Validate(context.Background(), strings.NewReader(file), Options{Kind: KindUsers, Groups: schoolGroups}, ef); err != nil {
		t.Fatal(err)
	}
	if err := ef.Close(); err != nil {
		t.Fatal(err)
	}
	want := "\uFEFFemail,first_name,last_name,group,error\r\n" +
		"\"'=HYPERLINK(\"\"http://x\"\")\",'+44,'-1,'@SUM(A1),Invalid email format\r\n" +
		"two@@hill.school,\"Lee, Ann\",'\tTab,Staff,Row has 1 more value(s) than the file has columns,extra\r\n"
	if got := out.String(); got != want {
		t.Errorf("error file:\n%q\nwant:\n%q", got, want)
	}
	if ef.Rows != 2 {
		t.Errorf("Rows = %d", ef.Rows)
	}

	// The admin fixes the rows in the error file and uploads it again.
	fixed := strings.Replace(out.String(), `"'=HYPERLINK(""http://x"")"`, "fixed@hill.school", 1)
	fixed = strings.Replace(fixed, ",extra", "", 1)
	fixed = strings.Replace(fixed, "two@@hill.school", "two@hill.school", 1)
	sum, sink := validate(t, KindUsers, fixed, nil)
	if sum.Valid != 1 || sum.Invalid != 1 || sum.Total != 2 {
		t.Fatalf("re-upload: %+v", sum)
	}
	if got := sink.rows[0]; got.Email != "fixed@hill.school" || got.FirstName != "+44" || got.LastName != "-1" || got.Status != StatusInvalid || got.Error != "Unknown group: @SUM(A1)" {
		t.Errorf("re-uploaded row 2 = %+v", got)
	}
	if got := sink.rows[1]; got.Email != "two@hill.school" || got.FirstName != "Lee, Ann" || got.LastName != "Tab" || got.Status != StatusValid {
		t.Errorf("re-uploaded row 3 = %+v", got)
	}
	if strings.Join(sum.Warnings, "|") != "Ignored columns: error" {
		t.Errorf("warnings = %q", sum.Warnings)
	}
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+44 20": "'+44 20", "-x": "'-x", "@a": "'@a", "\tx": "'\tx", "\rx": "'\rx",
		"Ann": "Ann", "": "", "a=b": "a=b", "O'Brien": "O'Brien", "me@x.school": "me@x.school",
		// After white space, a no-break space, a zero-width space or a BOM.
		" =1": "' =1", "\u00a0=HYPERLINK(\"x\")": "'\u00a0=HYPERLINK(\"x\")", "\ufeff@SUM(A1)": "'\ufeff@SUM(A1)", "\u200b+1": "'\u200b+1",
		// Full-width forms.
		"\uff1dcmd": "'\uff1dcmd",
		// A locale whose separator is ";" splits the cell there.
		"Ann;=cmd|' /C calc'!A0": "Ann;'=cmd|' /C calc'!A0", "a; -1; b": "a;' -1; b", "=1;=2": "'=1;'=2", "a;b": "a;b",
	} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"  Ann  ": "Ann", "Mary\nJane": "Mary Jane", "Jo  \t Ann": "Jo Ann", "Zoë": "Zoë",
		"'=cmd": "=cmd", "'+44": "+44", "'Neill": "'Neill", "a\x07b": "ab", "\ufeffAnn": "Ann",
		"Ann\u00a0Lee": "Ann Lee", "Ann\u2003Lee": "Ann Lee", "Ann\u3000Lee": "Ann Lee", "Jo\u0085": "Jo",
		"Trần": "Trần", "Ngọc": "Ngọc", "Łukasz": "Łukasz", "'\tTab": "Tab",
	} {
		if got := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTemplates(t *testing.T) {
	var u bytes.Buffer
	if err := UsersTemplate(&u, []string{"Students", "Staff", "Parents", "Year 7"}); err != nil {
		t.Fatal(err)
	}
	wantU := "\uFEFFemail,first_name,last_name,group\r\nalex.morgan@example.com,Alex,Morgan,Students\r\n" +
		"sam.patel@example.com,Sam,Patel,Staff\r\njo.williams@example.com,Jo,Williams,Parents\r\n"
	if u.String() != wantU {
		t.Errorf("users template = %q", u.String())
	}
	// The template reads cleanly for the school it was made for, and its
	// example rows, left in by mistake, invite nobody: example.com is
	// reserved and never receives mail.
	sum, _ := validate(t, KindUsers, u.String(), nil)
	if want := "Email domain example.com is reserved and never receives mail"; sum.Invalid != 3 || sum.ErrorCounts[want] != 3 || len(sum.Warnings) != 0 {
		t.Errorf("users template validates as %+v", sum)
	}

	var r bytes.Buffer
	if err := RelationshipsTemplate(&r); err != nil {
		t.Fatal(err)
	}
	for _, typ := range RelationshipTypes {
		if !strings.Contains(r.String(), ","+typ+"\r\n") {
			t.Errorf("relationships template lacks %s: %q", typ, r.String())
		}
	}
	dir := &fakeDirectory{members: map[string]roster.UserStatus{}}
	for i := 1; i <= 7; i++ {
		dir.members[fmt.Sprintf("student%d@example.com", (i+3)/4)] = roster.StatusActive
		dir.members[fmt.Sprintf("parent%d@example.com", i)] = roster.StatusActive
	}
	sum, _ = validate(t, KindRelationships, r.String(), dir)
	if sum.Valid != 7 {
		t.Errorf("relationships template validates as %+v", sum)
	}
}

func TestValidateUserIDsAndUsernames(t *testing.T) {
	file := "email,username,first_name,user_id\n" +
		"ann@hill.school,,Ann,S1\n" + // 2 valid with an id
		",bo@hill.school,Bo,S2\n" + // 3 email from the username
		",not-an-address,Cy,S3\n" + // 4 never guessed: email is required
		"di@hill.school,,Di,S1\n" + // 5 duplicate id
		"ed@hill.school,,Ed,T9\n" + // 6 an id another user has
		"kid@hill.school,,Kid,K1\n" + // 7 the user who has that id already (skipped: invited)
		"fi@hill.school,,Fi," + strings.Repeat("9", 101) + "\n" + // 8 id too long
		"gu@hill.school,,Gu,\n" // 9 no id: fine
	dir := &fakeDirectory{members: map[string]roster.UserStatus{"kid@hill.school": roster.StatusInvited},
		userIDs: map[string]string{"T9": "someone@hill.school", "K1": "kid@hill.school"}}
	sum, sink := validate(t, KindUsers, file, dir)
	checkRows(t, sink.rows, []wantRow{
		{2, StatusValid, ""},
		{3, StatusValid, ""},
		{4, StatusInvalid, "Email is required"},
		{5, StatusInvalid, "Duplicate user id (same as row 2)"},
		{6, StatusInvalid, "User id T9 already belongs to someone@hill.school"},
		{7, StatusSkipped, "Already invited"},
		{8, StatusInvalid, "User id is longer than 100 characters"},
		{9, StatusValid, ""},
	})
	if r := sink.rows[1]; r.Email != "bo@hill.school" || r.UserID != "S2" {
		t.Errorf("row 3 = %+v", r)
	}
	if !strings.Contains(strings.Join(sum.Warnings, "|"), `1 row(s) had no email: the address in the "username" column was used.`) {
		t.Errorf("warnings = %q", sum.Warnings)
	}
}
