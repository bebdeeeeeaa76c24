package csvimport

import (
	"context"
	"fmt"
	"hash/maphash"
	"strings"
	"unicode"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// Parents on a users sheet: a student row may name its parents in columns
// such as "parent_email", "Parent 1 Email", "Parent 2 Email", "Guardian
// Email", "Mother Email", each with an optional type column ("Parent 1
// Relationship", "Guardian Type"). Once the users exist, each student is
// linked to each parent who is in the school: a row of the file (not
// invalid) or a user already there (invited or active).

// maxParentColumns is how many parent email columns a users file may have.
const maxParentColumns = 6

// parentColumn is one parent email column and the type column that goes
// with it (-1: none).
type parentColumn struct {
	email, typ  int
	defaultType string // the type when the type cell is blank: guardian, or mother/father by the column's name
}

// Words a parent column's name starts with, and the type each implies.
var parentPrefixes = []struct{ word, typ string }{
	{"parent", defaultRelationType}, {"guardian", defaultRelationType}, {"carer", "carer"}, {"contact", defaultRelationType},
	{"mother", "mother"}, {"mum", "mother"}, {"father", "father"}, {"dad", "father"},
}

var (
	parentEmailWords = []string{"emailaddress", "email", "mail"}
	parentTypeWords  = []string{"relationshiptype", "relationship", "relationtype", "relation", "type"}
)

// parentColumns gathers parent columns while a header is mapped, by key:
// the column name's prefix and number ("parent1", "guardian").
type parentColumns struct {
	keys   []string       // email columns' keys, left to right
	emails map[string]int // key -> email column
	types  map[string]int // key -> type column; "" for a bare "Relationship" column
	defs   map[string]string
}

// add takes column i if its folded name h is a parent email or type
// column, and reports whether it did.
func (pc *parentColumns) add(i int, h string) bool {
	if pc.emails == nil {
		pc.emails, pc.types, pc.defs = map[string]int{}, map[string]int{}, map[string]string{}
	}
	for _, w := range parentTypeWords {
		if h == w || h == "parent"+w || h == "guardian"+w {
			return pc.put(pc.types, "", i)
		}
	}
	for _, p := range parentPrefixes {
		rest, ok := strings.CutPrefix(h, p.word)
		if !ok {
			continue
		}
		rest = cutAlternatives(rest)
		num := strings.TrimLeftFunc(rest, unicode.IsDigit)
		digits := rest[:len(rest)-len(num)]
		for _, w := range parentEmailWords {
			if n, ok := strings.CutPrefix(num, w); ok && (n == "" || digits == "" && isDigits(n)) {
				key := p.word + digits + n
				if _, dup := pc.emails[key]; dup {
					return false // the duplicate column is reported as ignored
				}
				pc.keys = append(pc.keys, key)
				pc.defs[key] = p.typ
				return pc.put(pc.emails, key, i)
			}
		}
		for _, w := range parentTypeWords {
			if n, ok := strings.CutPrefix(num, w); ok && (n == "" || digits == "" && isDigits(n)) {
				return pc.put(pc.types, p.word+digits+n, i)
			}
		}
	}
	return false
}

// cutAlternatives drops the other parent words of a name such as
// "Parent/Carer Email" or "Parent or Guardian Email", after the first.
func cutAlternatives(rest string) string {
	for {
		cut := false
		for _, sep := range []string{"/", "or", "and", "&", ""} {
			for _, p := range parentPrefixes {
				if r, ok := strings.CutPrefix(rest, sep+p.word); ok {
					rest, cut = r, true
				}
			}
		}
		if !cut {
			return rest
		}
	}
}

func (pc *parentColumns) put(m map[string]int, key string, i int) bool {
	if _, dup := m[key]; dup {
		return false
	}
	m[key] = i
	return true
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// columns pairs each parent email column with its type column: the one of
// the same key, or a bare "Relationship" column when there is one parent
// column.
// Errors: a *FileError when there are more than maxParentColumns.
func (pc *parentColumns) columns() ([]parentColumn, error) {
	if len(pc.keys) > maxParentColumns {
		return nil, fileErrorf(ReasonDuplicateColumn, "The file has %d parent email columns; at most %d are read. Keep one column per parent and upload the file again.", len(pc.keys), maxParentColumns)
	}
	var out []parentColumn
	for _, k := range pc.keys {
		c := parentColumn{email: pc.emails[k], typ: -1, defaultType: pc.defs[k]}
		if t, ok := pc.types[k]; ok {
			c.typ = t
		} else if t, ok := pc.types[""]; ok && len(pc.keys) == 1 {
			c.typ = t
		}
		out = append(out, c)
	}
	return out, nil
}

// checkParents reads the parents a users row names: a parent whose address
// or type is wrong, or who is the row's own person, fails its link (the
// row itself stays as it is).
func (v *validator) checkParents(r *RowResult, cells []string) {
	for _, pc := range v.cols.parents {
		raw := cell(cells, pc.email)
		if strings.TrimSpace(raw) == "" {
			continue
		}
		email, flags := normalizeEmailFlags(raw)
		link := roster.ParentLink{Email: email, Type: pc.defaultType}
		if t, word, ok := relationshipType(cell(cells, pc.typ)); !ok {
			link.Error = msgInvalidRelType
		} else if strings.TrimSpace(cell(cells, pc.typ)) != "" {
			link.Type = t
			if word != "" {
				v.typeWords[word+"\x00"+t]++
			}
		}
		if msg := checkEmailFlags(email, flags); msg != "" {
			link.Error = "Parent email: " + msg
		} else if email == r.Email {
			link.Error = msgSamePerson
		}
		if dupParent(r.Parents, email) {
			continue
		}
		r.Parents = append(r.Parents, link)
	}
}

func dupParent(links []roster.ParentLink, email string) bool {
	for _, l := range links {
		if l.Email == email {
			return true
		}
	}
	return false
}

// pendingLink is a link whose parent was not in the school nor the file so
// far: the rest of the file may name them.
type pendingLink struct {
	row     int
	student string
	link    roster.ParentLink
	index   int // in the row's Parents
}

// peopleSet holds a hash of each address of the file that will be a user;
// 8 bytes a row, and only for files with parent columns.
type peopleSet struct {
	seed maphash.Seed
	m    map[uint64]struct{}
}

func newPeopleSet() *peopleSet { return &peopleSet{seed: maphash.MakeSeed(), m: map[uint64]struct{}{}} }

func (p *peopleSet) add(email string) { p.m[maphash.String(p.seed, email)] = struct{}{} }

func (p *peopleSet) has(email string) bool {
	_, ok := p.m[maphash.String(p.seed, email)]
	return ok
}

// settleParents runs once a batch's users are settled: rows that will be
// users join the file's people, and each link of such a row is decided
// now (its parent is in the file so far, or a user of the school), or left
// for the end of the file.
func (v *validator) settleParents(ctx context.Context) error {
	if len(v.cols.parents) == 0 {
		return nil
	}
	var ask []string
	for _, r := range v.pending {
		if r.Status != StatusInvalid && !r.MarkedRemoved {
			v.people.add(r.Email)
		}
	}
	for _, r := range v.pending {
		if !v.linksRow(r) {
			continue
		}
		for i := range r.Parents {
			if l := &r.Parents[i]; l.Error == "" && !v.people.has(l.Email) {
				ask = append(ask, l.Email)
			}
		}
	}
	found := map[string]roster.MemberState{}
	if len(ask) > 0 && v.opts.Directory != nil {
		var err error
		if found, err = v.members(ctx, ask); err != nil {
			return err
		}
	}
	for _, r := range v.pending {
		if !v.linksRow(r) {
			r.Parents = nil
			continue
		}
		for i := range r.Parents {
			l := &r.Parents[i]
			st, ok := found[l.Email]
			switch {
			case l.Error != "" || v.people.has(l.Email) || ok && st.Status != roster.StatusRemoved:
				v.settled = append(v.settled, linkLine(r.Row, r.Email, *l))
			default:
				v.later = append(v.later, pendingLink{row: r.Row, student: r.Email, link: *l, index: i})
			}
		}
	}
	return nil
}

// linksRow reports whether a row's parents are linked: the row's person
// will be a user of the school after the import.
func (v *validator) linksRow(r *RowResult) bool {
	return len(r.Parents) > 0 && r.Status != StatusInvalid && !r.MarkedRemoved && r.UpdateOutcome != roster.UpdateRemoved
}

// settleLaterLinks decides the links left for the end of the file: their
// parent is a row of the file after all, or not in the school.
func (v *validator) settleLaterLinks() {
	kept := map[int]*RowResult{} // the preview's rows, to show how their links were decided
	for _, list := range [][]RowResult{v.invalid, v.others} {
		for i := range list {
			kept[list[i].Row] = &list[i]
		}
	}
	for _, p := range v.later {
		if !v.people.has(p.link.Email) {
			p.link.Error = msgParentNotFound
			if r, ok := kept[p.row]; ok && p.index < len(r.Parents) {
				r.Parents[p.index].Error = msgParentNotFound
			}
		}
		v.settled = append(v.settled, linkLine(p.row, p.student, p.link))
	}
	v.later = nil
}

// linkLine is a link as the rows file keeps it: a row with the student and
// parent, valid or invalid.
func linkLine(row int, student string, l roster.ParentLink) roster.PreviewRow {
	line := roster.PreviewRow{Row: row, Status: StatusValid, StudentEmail: student, ParentEmail: l.Email, RelationshipType: l.Type}
	if l.Error != "" {
		line.Status, line.Error = StatusInvalid, l.Error
	}
	return line
}

// LinkSink is a Sink that also takes the parent links of users rows, each
// once decided: most after their row's batch, the rest after the last row.
type LinkSink interface {
	Link(l *roster.PreviewRow) error
}

// sendLinks counts the decided links and hands them to the sink.
func (v *validator) sendLinks(sink Sink) error {
	ls, _ := sink.(LinkSink)
	for i := range v.settled {
		l := &v.settled[i]
		if l.Status == StatusInvalid {
			v.sum.LinkErrors++
		} else {
			v.sum.Links++
		}
		if ls != nil {
			if err := ls.Link(l); err != nil {
				return err
			}
		}
	}
	v.settled = v.settled[:0]
	return nil
}

// parentWarning says which columns were read as parents.
func (v *validator) parentWarning() string {
	if len(v.cols.parents) == 0 {
		return ""
	}
	var names []string
	for _, pc := range v.cols.parents {
		names = append(names, fmt.Sprintf("%q", strings.TrimSpace(v.rd.Header[pc.email])))
	}
	return fmt.Sprintf("Parents are read from %s: each student is linked to the parents named on their row once the users exist.", strings.Join(names, ", "))
}
