package csvimport

import (
	"errors"
	"strings"
	"testing"
)

func TestMapHeader(t *testing.T) {
	tests := []struct {
		name        string
		kind        Kind
		header      []string
		wantFields  map[string]int
		wantIgnored []string
		wantReason  string
		wantInMsg   string
	}{
		{name: "template names", kind: KindUsers, header: []string{"email", "first_name", "last_name", "group"},
			wantFields: map[string]int{fieldEmail: 0, fieldFirstName: 1, fieldLastName: 2, fieldGroup: 3}},
		{name: "case, spaces, hyphens, underscores", kind: KindUsers, header: []string{" E-Mail ", "FIRST NAME", "Last_Name", "Group"},
			wantFields: map[string]int{fieldEmail: 0, fieldFirstName: 1, fieldLastName: 2, fieldGroup: 3}},
		{name: "MIS synonyms", kind: KindUsers, header: []string{"Forename", "Surname", "Email Address", "Year Group"},
			wantFields: map[string]int{fieldFirstName: 0, fieldLastName: 1, fieldEmail: 2}, wantIgnored: []string{"Year Group"}},
		{name: "more synonyms", kind: KindUsers, header: []string{"Mail", "Given Name", "Family Name", "User Group"},
			wantFields: map[string]int{fieldEmail: 0, fieldFirstName: 1, fieldLastName: 2, fieldGroup: 3}},
		{name: "role means group", kind: KindUsers, header: []string{"Email", "Role"},
			wantFields: map[string]int{fieldEmail: 0, fieldGroup: 1}},
		{name: "BOM stuck to the first header", kind: KindUsers, header: []string{"\ufeffemail"},
			wantFields: map[string]int{fieldEmail: 0}},
		{name: "two email columns", kind: KindUsers, header: []string{"Email", "E-mail"},
			wantReason: ReasonDuplicateColumn, wantInMsg: `Columns "Email" and "E-mail" both hold email`},
		{name: "no email column", kind: KindUsers, header: []string{"ID", "First Name", "Secondary Email"},
			wantReason: ReasonMissingColumn, wantInMsg: `The file has no email column. Columns found: "ID", "First Name", "Secondary Email".`},
		{name: "relationship synonyms", kind: KindRelationships, header: []string{"Pupil Email", "Guardian Email", "Relationship"},
			wantFields: map[string]int{fieldStudentEmail: 0, fieldParentEmail: 1, fieldRelationType: 2}},
		{name: "relationship more synonyms", kind: KindRelationships, header: []string{"Student Email", "Contact Email", "Relationship Type"},
			wantFields: map[string]int{fieldStudentEmail: 0, fieldParentEmail: 1, fieldRelationType: 2}},
		{name: "relationships by id (School Data Sync)", kind: KindRelationships, header: []string{"userSourcedId", "relationshipUserSourcedId", "relationshipRole"},
			wantFields: map[string]int{fieldStudentID: 0, fieldParentID: 1, fieldRelationType: 2}},
		{name: "relationships with neither", kind: KindRelationships, header: []string{"Student", "Parent"},
			wantReason: ReasonMissingColumn, wantInMsg: "no student_email or student_id and parent_email or parent_id columns"},
		{name: "users with ids and usernames", kind: KindUsers, header: []string{"sourcedId", "username", "email", "UPN"},
			wantReason: ReasonDuplicateColumn, wantInMsg: `Columns "sourcedId" and "UPN" both hold user_id`},
		{name: "users: a username is no email column", kind: KindUsers, header: []string{"username", "first name"},
			wantReason: ReasonMissingColumn, wantInMsg: "no email column"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mapHeader(tt.kind, tt.header)
			if tt.wantReason != "" {
				var fe *FileError
				if !errors.As(err, &fe) || fe.Reason != tt.wantReason || !strings.Contains(fe.Message, tt.wantInMsg) {
					t.Fatalf("err = %v, want %s containing %q", err, tt.wantReason, tt.wantInMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.index) != len(tt.wantFields) {
				t.Errorf("fields = %v, want %v", got.index, tt.wantFields)
			}
			for f, i := range tt.wantFields {
				if got.index[f] != i {
					t.Errorf("field %s at %d, want %d", f, got.index[f], i)
				}
			}
			if strings.Join(got.ignored, "|") != strings.Join(tt.wantIgnored, "|") {
				t.Errorf("ignored = %v, want %v", got.ignored, tt.wantIgnored)
			}
		})
	}
}
