package csvimport

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// linkSink is a collect that also keeps the links.
type linkSink struct {
	collect
	links []roster.PreviewRow
}

func (s *linkSink) Link(l *roster.PreviewRow) error { s.links = append(s.links, *l); return nil }

var _ LinkSink = (*linkSink)(nil)

func TestExistingUsersAndUpdates(t *testing.T) {
	dir := &fakeDirectory{members: map[string]roster.UserStatus{}, states: map[string]roster.MemberState{
		"ann@hill.school": {Status: roster.StatusActive, FirstName: "Ann", LastName: "Lee", Groups: []string{"Staff"}, UserID: "T1"},
		"bo@hill.school":  {Status: roster.StatusInvited, FirstName: "Bo", LastName: "Brown", Groups: []string{"Students"}},
		"cy@hill.school":  {Status: roster.StatusActive, FirstName: "Cy", LastName: "Cole", Groups: []string{"Staff", "Parents"}},
		"dee@hill.school": {Status: roster.StatusRemoved, FirstName: "Dee", LastName: "Dale", Groups: []string{"Students"}},
		"eve@hill.school": {Status: roster.StatusRemoved, FirstName: "Eve", LastName: "Eden"},
		"fay@hill.school": {Status: roster.StatusActive, FirstName: "Fay", LastName: "Fox", Groups: []string{"Students"}},
	}}
	file := "email,first_name,last_name,group,user_id,status\n" +
		"ann@hill.school,Ann,Lee,Staff,T1,active\n" + // 2 unchanged
		"bo@hill.school,Bob,Brown,,,invited\n" + // 3 a new first name; blank group and id change nothing
		"cy@hill.school,Cy,Cole,parents; STAFF,,\n" + // 4 the same groups in another order and case
		"dee@hill.school,Dee,Dale,Students,,\n" + // 5 removed: invited again, or left removed by an update
		"eve@hill.school,Eve,Eden,,,removed\n" + // 6 removed, as the file says
		"fay@hill.school,,,Year 7;Staff,S9,active\n" + // 7 groups replaced, an id given
		"gus@hill.school,Gus,Gray,,,removed\n" + // 8 new, but the file says removed: never invited
		"hal@hill.school,Hal,Hart,Staff;Teachers,,\n" // 9 one group of two unknown
	sum, got := validate(t, KindUsers, file, dir)
	checkRows(t, got.rows, []wantRow{
		{2, StatusSkipped, ReasonAlreadyMember},
		{3, StatusSkipped, ReasonAlreadyInvited},
		{4, StatusSkipped, ReasonAlreadyMember},
		{5, StatusValid, ReasonReinvite},
		{6, StatusSkipped, ReasonMarkedRemoved},
		{7, StatusSkipped, ReasonAlreadyMember},
		{8, StatusSkipped, ReasonMarkedRemoved},
		{9, StatusInvalid, "Unknown group: Teachers"},
	})
	type update struct {
		outcome string
		changes []roster.FieldChange
	}
	want := map[int]update{
		2: {roster.UpdateUnchanged, nil},
		3: {roster.UpdateChanges, []roster.FieldChange{{Field: "first_name", Before: "Bo", After: "Bob"}}},
		4: {roster.UpdateUnchanged, nil},
		5: {roster.UpdateRemoved, nil},
		6: {roster.UpdateUnchanged, nil},
		7: {roster.UpdateChanges, []roster.FieldChange{
			{Field: "group", Before: "Students", After: "Staff; Year 7"},
			{Field: "user_id", Before: "", After: "S9"},
		}},
		8: {"", nil},
		9: {"", nil},
	}
	for _, r := range got.rows {
		w := want[r.Row]
		if r.UpdateOutcome != w.outcome || !reflect.DeepEqual(r.Changes, w.changes) {
			t.Errorf("row %d: update %q %+v, want %q %+v", r.Row, r.UpdateOutcome, r.Changes, w.outcome, w.changes)
		}
	}
	if got, want := got.rows[5].Group, "Year 7; Staff"; got != want {
		t.Errorf("row 7 group = %q, want %q (the school's names, in the file's order)", got, want)
	}
	if !got.rows[1].GroupDefaulted || got.rows[0].GroupDefaulted {
		t.Errorf("GroupDefaulted: row 3 %v, row 2 %v; want true, false", got.rows[1].GroupDefaulted, got.rows[0].GroupDefaulted)
	}
	c := sum.PreviewCounts
	if c.Valid != 1 || c.Skipped != 6 || c.Invalid != 1 || c.UpdateChanges != 2 || c.UpdateUnchanged != 3 || c.UpdateRemoved != 1 {
		t.Errorf("counts = %+v, want valid 1, skipped 6, invalid 1, updateChanges 2, updateUnchanged 3, updateRemoved 1", c)
	}
	if sum.Columns["status"] != "status" {
		t.Errorf("status column not read: %v", sum.Columns)
	}
}

func TestNewSchoolMarkedRemoved(t *testing.T) {
	_, got := validate(t, KindUsers, "email,status\nann@hill.school,Removed\nbo@hill.school,active\n", nil)
	checkRows(t, got.rows, []wantRow{{2, StatusSkipped, ReasonMarkedRemoved}, {3, StatusValid, ""}})
}

func TestParentColumns(t *testing.T) {
	tests := []struct {
		header string
		want   []parentColumn
	}{
		{"email,parent_email", []parentColumn{{email: 1, typ: -1, defaultType: "guardian"}}},
		{"email,Parent Email,Relationship", []parentColumn{{email: 1, typ: 2, defaultType: "guardian"}}},
		{"Email,Parent 1 Email,Parent 1 Relationship,Parent 2 Email,Parent 2 Type,Guardian Email",
			[]parentColumn{{email: 1, typ: 2, defaultType: "guardian"}, {email: 3, typ: 4, defaultType: "guardian"}, {email: 5, typ: -1, defaultType: "guardian"}}},
		{"email,Mother Email,Father Email Address,Relationship", []parentColumn{{email: 1, typ: -1, defaultType: "mother"}, {email: 2, typ: -1, defaultType: "father"}}},
		{"email,ParentEmail2,ParentEmail1", []parentColumn{{email: 1, typ: -1, defaultType: "guardian"}, {email: 2, typ: -1, defaultType: "guardian"}}},
		{"email,Parent/Carer Email,Parent or Guardian 2 Email", []parentColumn{{email: 1, typ: -1, defaultType: "guardian"}, {email: 2, typ: -1, defaultType: "guardian"}}},
		{"email,first_name", nil},
	}
	for _, tt := range tests {
		c, err := mapHeader(KindUsers, strings.Split(tt.header, ","))
		if err != nil {
			t.Fatalf("%s: %v", tt.header, err)
		}
		if !reflect.DeepEqual(c.parents, tt.want) {
			t.Errorf("%s: parents = %+v, want %+v", tt.header, c.parents, tt.want)
		}
		if len(c.ignored) != 0 {
			t.Errorf("%s: ignored %v", tt.header, c.ignored)
		}
	}
}

func TestUsersWithParents(t *testing.T) {
	dir := &fakeDirectory{members: map[string]roster.UserStatus{
		"mum@home.school":  roster.StatusActive,
		"gone@home.school": roster.StatusRemoved,
		"kid4@hill.school": roster.StatusActive,
	}}
	file := "Email,First Name,Group,Parent 1 Email,Parent 1 Relationship,Parent 2 Email,Parent 2 Relationship\n" +
		"kid1@hill.school,Kid,,dad@home.school,Dad,mum@home.school,\n" + // 2 dad later in the file, mum a user
		"kid2@hill.school,Kid,,gone@home.school,,nobody@home.school,\n" + // 3 removed parent, unknown parent
		"kid3@hill.school,Kid,,not-an-email,,kid3@hill.school,\n" + // 4 a bad address, the student themselves
		"dad@home.school,Dan,Parents,,,,\n" + // 5
		"kid4@hill.school,Kid,,dad@home.school,Uncle Bob,dad@home.school,father\n" + // 6 existing student; a bad type; the same parent twice
		"kid5@hill.school,Kid,Teachers,dad@home.school,,,\n" // 7 invalid row: no links
	sink := &linkSink{}
	sum, err := Validate(context.Background(), strings.NewReader(file), Options{Kind: KindUsers, Groups: schoolGroups, Directory: dir}, sink)
	if err != nil {
		t.Fatal(err)
	}
	type link struct {
		row                  int
		student, parent, typ string
		status               Status
		err                  string
	}
	var got []link
	for _, l := range sink.links {
		got = append(got, link{l.Row, l.StudentEmail, l.ParentEmail, l.RelationshipType, l.Status, l.Error})
	}
	// Decided at the end of their batch (dad is a row of the same batch),
	// then those left for the end of the file.
	want := []link{
		{2, "kid1@hill.school", "dad@home.school", "father", StatusValid, ""},
		{2, "kid1@hill.school", "mum@home.school", "guardian", StatusValid, ""},
		{4, "kid3@hill.school", "not-an-email", "guardian", StatusInvalid, "Parent email: Invalid email format"},
		{4, "kid3@hill.school", "kid3@hill.school", "guardian", StatusInvalid, msgSamePerson},
		{6, "kid4@hill.school", "dad@home.school", "guardian", StatusInvalid, msgInvalidRelType},
		{3, "kid2@hill.school", "gone@home.school", "guardian", StatusInvalid, msgParentNotFound},
		{3, "kid2@hill.school", "nobody@home.school", "guardian", StatusInvalid, msgParentNotFound},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("links:\n got %+v\nwant %+v", got, want)
	}
	if sum.Links != 2 || sum.LinkErrors != 5 {
		t.Errorf("links %d, errors %d; want 2, 5", sum.Links, sum.LinkErrors)
	}
	// The preview's rows show each row's links as decided at the end.
	var row3 []roster.ParentLink
	for _, r := range sum.Preview {
		if r.Row == 3 {
			row3 = r.Parents
		}
	}
	wantRow3 := []roster.ParentLink{{Email: "gone@home.school", Type: "guardian", Error: msgParentNotFound}, {Email: "nobody@home.school", Type: "guardian", Error: msgParentNotFound}}
	if !reflect.DeepEqual(row3, wantRow3) {
		t.Errorf("row 3 parents = %+v, want %+v", row3, wantRow3)
	}
	if !strings.Contains(strings.Join(sum.Warnings, "\n"), `Parents are read from "Parent 1 Email", "Parent 2 Email"`) {
		t.Errorf("warnings %q lack the parent columns", sum.Warnings)
	}
	if !strings.Contains(strings.Join(sum.Warnings, "\n"), `Relationship type "dad" was read as father`) {
		t.Errorf("warnings %q lack the type word", sum.Warnings)
	}
}

// TestWorkbookWithParents: a users sheet saved by LibreOffice from
// family.csv, its students naming their parents, gives exact links.
func TestWorkbookWithParents(t *testing.T) {
	f, err := os.Open(fixture("family.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sink := &linkSink{}
	sum, err := Validate(context.Background(), f, Options{Kind: KindUsers, Groups: schoolGroups}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Encoding != EncodingXLSX || sum.Valid != 6 || sum.Links != 4 || sum.LinkErrors != 1 {
		t.Fatalf("summary: %s, %d valid, %d links, %d link errors; want xlsx, 6, 4, 1", sum.Encoding, sum.Valid, sum.Links, sum.LinkErrors)
	}
	var got []string
	for _, l := range sink.links {
		got = append(got, fmt.Sprintf("%d %s>%s %s %s", l.Row, l.StudentEmail, l.ParentEmail, l.RelationshipType, l.Error))
	}
	want := []string{
		"2 amy.khan@oak.school>sara.khan@home.school mother ",
		"2 amy.khan@oak.school>omar.khan@home.school father ",
		"3 ben.ode@oak.school>sara.khan@home.school step_parent ",
		"4 cal.ode@oak.school>grace.ode@home.school guardian ",
		"4 cal.ode@oak.school>unknown.parent@home.school father Parent not found in organisation",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("links:\n got %q\nwant %q", got, want)
	}
}
