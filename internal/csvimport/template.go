package csvimport

import (
	"encoding/csv"
	"io"
	"strings"
)

// UsersTemplate writes the users template: the columns and one example row
// for each of the school's groups (up to three), so the admin sees real group
// names. The examples are at example.com, which the email rule refuses, so
// rows left in by mistake invite nobody.
func UsersTemplate(w io.Writer, groups []string) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	_ = cw.Write([]string{"email", "first_name", "last_name", "group"})
	examples := [][2]string{{"Alex", "Morgan"}, {"Sam", "Patel"}, {"Jo", "Williams"}}
	if len(groups) == 0 {
		groups = []string{""}
	}
	for i, g := range groups {
		if i == len(examples) {
			break
		}
		first, last := examples[i][0], examples[i][1]
		email := strings.ToLower(first+"."+last) + "@example.com"
		_ = cw.Write([]string{email, first, last, SafeCell(g)})
	}
	cw.Flush()
	return cw.Error()
}

// RelationshipsTemplate writes the relationships template: the columns and
// one example row for each of the seven relationship types.
func RelationshipsTemplate(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	_ = cw.Write([]string{"student_email", "parent_email", "relationship_type"})
	for i, t := range RelationshipTypes {
		student := "student" + string(rune('1'+i/4)) + "@example.com"
		parent := "parent" + string(rune('1'+i)) + "@example.com"
		_ = cw.Write([]string{student, parent, t})
	}
	cw.Flush()
	return cw.Error()
}
