package csvimport

import (
	"strings"
	"testing"

	"github.com/schoolroster/rosterimport/internal/roster"
)

func TestValidateRelationshipsByID(t *testing.T) {
	file := "student_id,student_email,parent_id,relationship_type\n" +
		"S1,,P1,Mum\n" + // 2 valid: by ids, a mapped word
		",kid@hill.school,P1,mom\n" + // 3 the same pair as row 2, by email: a duplicate
		"S1,other@hill.school,P2,\n" + // 4 the email and the id are different people
		"S9,,P1,\n" + // 5 no user has S9
		"S1,,S1,\n" + // 6 one person on both sides, by id
		",,P1,\n" + // 7 no student at all
		"S1,,P1,relative\n" + // 8 duplicate of row 2
		"S2,,P2,Relative\n" + // 9 valid, mapped
		",kid2@hill.school,,mom\n" + // 10 no parent
		",kid2@hill.school,P1,mom\n" // 11 valid: email and id
	dir := &fakeDirectory{
		members: map[string]roster.UserStatus{"kid@hill.school": roster.StatusActive, "kid2@hill.school": roster.StatusActive,
			"mum@hill.school": roster.StatusActive, "dad@hill.school": roster.StatusInvited, "other@hill.school": roster.StatusActive},
		userIDs: map[string]string{"S1": "kid@hill.school", "S2": "kid2@hill.school", "P1": "mum@hill.school", "P2": "dad@hill.school"},
	}
	sum, sink := validate(t, KindRelationships, file, dir)
	checkRows(t, sink.rows, []wantRow{
		{2, StatusValid, ""},
		{3, StatusInvalid, "Duplicate of row 2"},
		{4, StatusInvalid, "Student email and student id are different people"},
		{5, StatusInvalid, "Student not found in organisation"},
		{6, StatusInvalid, "Student and parent cannot be the same person"},
		{7, StatusInvalid, "Student: email or id is required"},
		{8, StatusInvalid, "Duplicate of row 2"},
		{9, StatusValid, ""},
		{10, StatusInvalid, "Parent: email or id is required"},
		{11, StatusValid, ""},
	})
	if r := sink.rows[0]; r.StudentEmail != "kid@hill.school" || r.ParentEmail != "mum@hill.school" || r.RelationshipType != "mother" || r.StudentID != "S1" {
		t.Errorf("row 2 = %+v", r)
	}
	want := []string{
		`Relationship type "mom" was read as mother (2 row(s)).`,
		`Relationship type "mum" was read as mother (1 row(s)).`,
		`Relationship type "relative" was read as other (2 row(s)).`,
	}
	if got := strings.Join(sum.Warnings, "|"); got != strings.Join(want, "|") {
		t.Errorf("warnings = %q, want %q", sum.Warnings, want)
	}
}
