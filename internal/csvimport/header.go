package csvimport

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// Kind is what an import file holds: the domain's import kind.
type Kind = roster.ImportKind

// Kinds of import.
const (
	KindUsers         = roster.KindUsers
	KindRelationships = roster.KindRelationships
)

// Fields a column can map to.
const (
	fieldEmail        = "email"
	fieldFirstName    = "first_name"
	fieldLastName     = "last_name"
	fieldGroup        = "group"
	fieldUserID       = "user_id"
	fieldUsername     = "username"
	fieldStudentEmail = "student_email"
	fieldStudentID    = "student_id"
	fieldParentEmail  = "parent_email"
	fieldParentID     = "parent_id"
	fieldRelationType = "relationship_type"
	fieldStatus       = "status" // users: an export's status column (removed people are never invited)
)

// synonyms maps a normalised header (lower case, without spaces, hyphens,
// underscores or dots) to the field it holds, per kind. "Year Group" is
// deliberately absent: a year is not one of the school's groups.
var synonyms = map[Kind]map[string]string{
	KindUsers: {
		"email": fieldEmail, "emailaddress": fieldEmail, "mail": fieldEmail, "mailaddress": fieldEmail,
		"useremail": fieldEmail, "emailaddr": fieldEmail,
		"firstname": fieldFirstName, "forename": fieldFirstName, "forenames": fieldFirstName,
		"givenname": fieldFirstName, "first": fieldFirstName, "fname": fieldFirstName, "legalforename": fieldFirstName,
		"lastname": fieldLastName, "surname": fieldLastName, "familyname": fieldLastName, "last": fieldLastName,
		"lname": fieldLastName, "legalsurname": fieldLastName,
		"group": fieldGroup, "usergroup": fieldGroup, "groupname": fieldGroup, "role": fieldGroup, "usertype": fieldGroup,
		// The school's own id of the person: SIS/MIS ids, the UK's Unique
		// Pupil Number, OneRoster's and School Data Sync's sourcedId.
		"userid": fieldUserID, "id": fieldUserID, "studentid": fieldUserID, "pupilid": fieldUserID, "staffid": fieldUserID,
		"upn": fieldUserID, "sisid": fieldUserID, "misid": fieldUserID, "externalid": fieldUserID, "sourcedid": fieldUserID,
		"personid": fieldUserID, "employeeid": fieldUserID,
		// Sign-in names, which some exports fill where the email is blank.
		"username": fieldUsername, "login": fieldUsername, "loginname": fieldUsername, "userprincipalname": fieldUsername,
		"signinname": fieldUsername, "logonname": fieldUsername,
		"status": fieldStatus, "userstatus": fieldStatus, "accountstatus": fieldStatus,
	},
	KindRelationships: {
		"studentemail": fieldStudentEmail, "pupilemail": fieldStudentEmail, "childemail": fieldStudentEmail,
		"learneremail": fieldStudentEmail, "studentemailaddress": fieldStudentEmail, "pupilemailaddress": fieldStudentEmail,
		"parentemail": fieldParentEmail, "guardianemail": fieldParentEmail, "contactemail": fieldParentEmail,
		"careremail": fieldParentEmail, "parentemailaddress": fieldParentEmail,
		"guardianemailaddress": fieldParentEmail, "contactemailaddress": fieldParentEmail,
		"studentid": fieldStudentID, "pupilid": fieldStudentID, "childid": fieldStudentID, "learnerid": fieldStudentID,
		"studentupn": fieldStudentID, "pupilupn": fieldStudentID, "studentsourcedid": fieldStudentID,
		"usersourcedid": fieldStudentID, // School Data Sync: the student a row is about
		"parentid":      fieldParentID, "guardianid": fieldParentID, "contactid": fieldParentID, "carerid": fieldParentID,
		"parentsourcedid":           fieldParentID,
		"relationshipusersourcedid": fieldParentID, // School Data Sync: the person related to the student
		"relationshiptype":          fieldRelationType, "relationship": fieldRelationType, "relation": fieldRelationType,
		"relationshiprole": fieldRelationType, "type": fieldRelationType,
	},
}

// required lists each kind's required fields with the column name the
// template uses; a field with alternatives is met by any of them.
var required = map[Kind][][]string{
	KindUsers:         {{fieldEmail}},
	KindRelationships: {{fieldStudentEmail, fieldStudentID}, {fieldParentEmail, fieldParentID}},
}

// normalizeHeader folds a header cell for matching: case, spaces, hyphens,
// underscores and dots do not count.
func normalizeHeader(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		if unicode.IsSpace(r) || r == '-' || r == '_' || r == '.' || r == '\ufeff' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// columns is a header mapped onto fields.
type columns struct {
	index   map[string]int // field -> column index
	order   []int          // the mapped column indexes, left to right
	ignored []string       // header cells that map to nothing
	unused  []int          // their column indexes
	parents []parentColumn // users: the parent email columns, left to right
}

// mapHeader maps header cells to fields.
// Errors: a *FileError when two columns hold the same field or a required
// field has no column.
func mapHeader(kind Kind, header []string) (c columns, err error) {
	c = columns{index: map[string]int{}}
	syn := synonyms[kind]
	pc := parentColumns{}
	for i, h := range header {
		field, ok := syn[normalizeHeader(h)]
		if !ok && kind == KindUsers && pc.add(i, normalizeHeader(h)) {
			c.order = append(c.order, i)
			continue
		}
		if !ok {
			if strings.TrimSpace(h) != "" {
				c.ignored = append(c.ignored, strings.TrimSpace(h))
				c.unused = append(c.unused, i)
			}
			continue
		}
		if j, dup := c.index[field]; dup {
			return c, fileErrorf(ReasonDuplicateColumn, "Columns %q and %q both hold %s. Keep one of them and upload the file again.",
				strings.TrimSpace(header[j]), strings.TrimSpace(h), field)
		}
		c.index[field] = i
		c.order = append(c.order, i)
	}
	var missing []string
	for _, alternatives := range required[kind] {
		met := false
		for _, f := range alternatives {
			_, ok := c.index[f]
			met = met || ok
		}
		if !met && len(alternatives) == 2 && kind == KindRelationships {
			missing = append(missing, alternatives[0]+" or "+alternatives[1])
		} else if !met {
			missing = append(missing, alternatives[0])
		}
	}
	if len(missing) > 0 {
		var found []string
		for _, h := range header {
			if h = strings.TrimSpace(h); h != "" {
				found = append(found, fmt.Sprintf("%q", h))
			}
		}
		foundText := "none"
		if len(found) > 0 {
			foundText = strings.Join(found, ", ")
		}
		noun := "column"
		if len(missing) > 1 {
			noun = "columns"
		}
		return c, fileErrorf(ReasonMissingColumn, "The file has no %s %s. Columns found: %s. Download the template to see the expected columns.",
			strings.Join(missing, " and "), noun, foundText)
	}
	if c.parents, err = pc.columns(); err != nil {
		return c, err
	}
	sort.Strings(c.ignored)
	return c, nil
}
