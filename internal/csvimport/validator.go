package csvimport

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// validator checks rows one by one, then settles what needs the school's
// data (members, existing relationships) a batch at a time.
type validator struct {
	opts   Options
	rd     *Reader
	cols   columns
	groups map[string]string // lower-case name -> name
	dups   *dupIndex
	// addressCols are ignored columns seen holding an address where the
	// email was missing.
	addressCols map[int]bool
	// Column of each field, -1 when the file has none.
	colEmail, colFirst, colLast, colGroup, colStudent, colParent, colType int
	colUserID, colUsername, colStudentID, colParentID, colStatus          int
	// idRows is the first row of each user id in the file.
	idRows map[string]int
	// fromUsername counts rows whose email came from the username column.
	fromUsername int
	// typeWords counts the relationship type words mapped to a type.
	typeWords map[string]int
	// pairRows is the first row of each pair once ids are resolved, when
	// the file names people by id (one pair written by email on one row
	// and by id on another is still a duplicate).
	pairRows map[Pair]int
	// groupCache maps a group cell as written to the school's group name,
	// "" when unknown, so a repeated cell costs one map read.
	groupCache map[string]string
	// slab backs the pending rows; it is reused after each flush.
	slab    []RowResult
	hashes  []uint64
	touched uint32 // keeps the slot reads of checkDuplicates from being optimised away
	sum     Summary
	pending []*RowResult // rows waiting for their lookups, in file order
	lookups int          // rows in pending that need a lookup
	invalid []RowResult  // the first PreviewRows invalid rows
	others  []RowResult  // the first PreviewRows other rows
	// Parent links of users rows: the file's people so far, links decided
	// and not yet sent, and links waiting for the end of the file.
	people  *peopleSet
	settled []roster.PreviewRow
	later   []pendingLink
}

func newValidator(opts Options, rd *Reader, cols columns) *validator {
	v := &validator{opts: opts, rd: rd, cols: cols, groups: map[string]string{}, dups: newDupIndex(int(opts.SizeHint / bytesPerRowGuess)), addressCols: map[int]bool{},
		groupCache: map[string]string{}, idRows: map[string]int{}, typeWords: map[string]int{}}
	col := func(f string) int {
		if i, ok := cols.index[f]; ok {
			return i
		}
		return -1
	}
	v.colEmail, v.colFirst, v.colLast, v.colGroup = col(fieldEmail), col(fieldFirstName), col(fieldLastName), col(fieldGroup)
	v.colStudent, v.colParent, v.colType = col(fieldStudentEmail), col(fieldParentEmail), col(fieldRelationType)
	v.colUserID, v.colUsername, v.colStudentID, v.colParentID = col(fieldUserID), col(fieldUsername), col(fieldStudentID), col(fieldParentID)
	v.colStatus = col(fieldStatus)
	if len(cols.parents) > 0 {
		v.people = newPeopleSet()
	}
	for _, g := range opts.Groups {
		v.groups[roster.GroupKey(g)] = g
	}
	v.sum = Summary{
		Kind: opts.Kind, Encoding: rd.Encoding, Delimiter: DelimiterName(rd.Delimiter), Header: rd.Header,
		Columns: map[string]string{}, SkipReasons: map[string]int{}, ErrorCounts: map[string]int{}, Warnings: []string{},
	}
	for f, i := range cols.index {
		v.sum.Columns[f] = strings.TrimSpace(rd.Header[i])
	}
	return v
}

func (v *validator) fail(r *RowResult, msg, key string) {
	r.Status, r.Error, r.errorKey = StatusInvalid, msg, key
}

// check runs the checks that need nothing but the file, in the documented
// order, and queues the row.
func (v *validator) check(rec Record) {
	r := v.newRow()
	*r = RowResult{PreviewRow: roster.PreviewRow{Row: rec.Row, Status: StatusValid}, Cells: rec.Cells}
	v.pending = append(v.pending, r)
	if n := nonEmptyBeyond(rec.Cells, len(v.rd.Header)); n > 0 {
		v.fail(r, fmt.Sprintf("Row has %d more value(s) than the file has columns", n), keyExtraCells)
		return
	}
	for _, i := range v.cols.order {
		if i < len(rec.Cells) && len(rec.Cells[i]) > v.opts.Limits.MaxCellChars && utf8.RuneCountInString(rec.Cells[i]) > v.opts.Limits.MaxCellChars {
			v.fail(r, fmt.Sprintf("%s is longer than %s characters", strings.TrimSpace(v.rd.Header[i]), Thousands(v.opts.Limits.MaxCellChars)), keyCellTooLong)
			return
		}
	}
	if v.opts.Kind == KindUsers {
		v.checkUser(r, rec.Cells)
	} else {
		v.checkRelationship(r, rec.Cells)
	}
	if r.Status == StatusValid {
		v.lookups++
	}
}

// checkDuplicates runs the duplicate check for the queued rows in file
// order. It hashes the batch and touches each key's slot first, so the cache
// misses of the batch overlap rather than queue.
func (v *validator) checkDuplicates() {
	if cap(v.hashes) < len(v.pending) {
		v.hashes = make([]uint64, len(v.pending))
	}
	hashes := v.hashes[:len(v.pending)]
	var sink uint32
	for i, r := range v.pending {
		if r.dupKey != "" {
			hashes[i] = v.dups.hash(r.dupKey)
			sink += v.dups.touch(hashes[i])
		}
	}
	v.touched += sink
	for i, r := range v.pending {
		if r.dupKey == "" {
			continue
		}
		first, dup := v.dups.firstRowHash(hashes[i], r.Row)
		if !dup {
			continue
		}
		if r.Status == StatusValid {
			v.lookups--
		}
		if v.opts.Kind == KindUsers {
			r.Group = "" // set by the group check, which the duplicate outranks
			v.fail(r, fmt.Sprintf("Duplicate email (same as row %d)", first), keyDuplicateEmail)
		} else {
			v.fail(r, fmt.Sprintf("Duplicate of row %d", first), keyDuplicatePair)
		}
	}
}

// noteAddressColumns remembers ignored columns that hold an address on a row
// whose email is missing (School Data Sync exports put it in "username"), so
// the preview can say where the addresses are.
func (v *validator) noteAddressColumns(cells []string) {
	for _, i := range v.cols.unused {
		if i < len(cells) && !v.addressCols[i] && checkEmail(normalizeEmail(cells[i])) == "" {
			v.addressCols[i] = true
		}
	}
}

// flush looks up the queued rows' people in the Directory, settles their
// status and sends them to the sink in file order.
func (v *validator) flush(ctx context.Context, sink Sink) error {
	v.checkDuplicates()
	var err error
	switch {
	case v.opts.Kind == KindUsers && v.lookups > 0:
		err = v.settleUsers(ctx)
	case v.lookups > 0 && v.opts.Directory != nil:
		err = v.settleRelationships(ctx)
	}
	if err == nil && v.opts.Kind == KindUsers {
		err = v.settleParents(ctx)
	}
	if err != nil {
		return err
	}
	for _, r := range v.pending {
		v.count(r)
		if err := sink.Row(r); err != nil {
			return err
		}
	}
	if err := v.sendLinks(sink); err != nil {
		return err
	}
	v.pending, v.lookups, v.slab = v.pending[:0], 0, v.slab[:0]
	v.rd.Release()
	return nil
}

// newRow returns a RowResult to fill from the slab, which the sink has
// finished with at each flush; a full slab is replaced, not overwritten.
func (v *validator) newRow() *RowResult {
	if len(v.slab) == cap(v.slab) {
		v.slab = make([]RowResult, 0, 4*v.opts.BatchSize)
	}
	v.slab = v.slab[:len(v.slab)+1]
	return &v.slab[len(v.slab)-1]
}

func cell(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	return cells[i]
}

func (v *validator) count(r *RowResult) {
	s := &v.sum
	s.Total++
	switch r.Status {
	case StatusValid:
		s.Valid++
	case StatusInvalid:
		s.Invalid++
		s.ErrorCounts[v.errorKey(r.errorKey)]++
	case StatusSkipped:
		s.Skipped++
		s.SkipReasons[r.Reason]++
	case StatusUpdated:
		s.Updated++
	case StatusUnchanged:
		s.Unchanged++
	}
	switch r.UpdateOutcome {
	case roster.UpdateChanges:
		s.UpdateChanges++
	case roster.UpdateUnchanged:
		s.UpdateUnchanged++
	case roster.UpdateRemoved:
		s.UpdateRemoved++
	}
	keep := &v.others
	if r.Status == StatusInvalid {
		keep = &v.invalid
	}
	if len(*keep) < PreviewRows {
		*keep = append(*keep, shown(r))
	}
}

// The preview and its counts are kept on the import item, which DynamoDB
// limits to 400 KB: what a file can make them hold is bounded.
const (
	maxShownChars   = 100 // of each value a preview row shows
	maxErrorKinds   = 50  // distinct error texts counted apart
	otherErrorsKind = "Other errors"
)

// errorKey is the key a row's error is counted under: the first
// maxErrorKinds distinct texts, shortened, then all others together.
func (v *validator) errorKey(key string) string {
	key = clipText(key, maxShownChars)
	if _, ok := v.sum.ErrorCounts[key]; ok || len(v.sum.ErrorCounts) < maxErrorKinds {
		return key
	}
	return otherErrorsKind
}

// shown is a row as the preview shows it: its values shortened, without the
// cells (the reader reuses them after a flush). The rows file keeps them whole.
func shown(r *RowResult) RowResult {
	k := *r
	k.Cells = nil
	k.Changes = slices.Clone(k.Changes)
	k.Parents = slices.Clone(k.Parents) // settleLaterLinks fills in the links decided at the end
	for i := range k.Parents {
		k.Parents[i].Email = clipText(k.Parents[i].Email, maxShownChars)
	}
	for i := range k.Changes {
		c := &k.Changes[i]
		c.Before, c.After = clipText(c.Before, maxShownChars), clipText(c.After, maxShownChars)
	}
	for _, f := range []*string{&k.Error, &k.Reason, &k.Email, &k.FirstName, &k.LastName, &k.Group, &k.UserID,
		&k.StudentEmail, &k.StudentID, &k.ParentEmail, &k.ParentID} {
		*f = clipText(*f, maxShownChars)
	}
	return k
}

// clipText shortens s to n characters, marking the cut with an ellipsis.
func clipText(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func (v *validator) finish() {
	s := &v.sum
	s.Preview = append(s.Preview, v.invalid...)
	for _, r := range v.others {
		if len(s.Preview) == PreviewRows {
			break
		}
		s.Preview = append(s.Preview, r)
	}
	if s.Total > len(s.Preview) {
		s.PreviewNote = fmt.Sprintf("Showing %d of %s rows, rows with errors first. Download the results to see every row.", len(s.Preview), Thousands(s.Total))
	}
	s.Warnings = append(s.Warnings, v.rd.Warnings...) // how a workbook was read: which sheet
	if w := v.parentWarning(); w != "" {
		s.Warnings = append(s.Warnings, w)
	}
	if len(v.cols.ignored) > 0 {
		s.Warnings = append(s.Warnings, "Ignored columns: "+strings.Join(v.cols.ignored, ", "))
	}
	if v.fromUsername > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s row(s) had no email: the address in the %q column was used.",
			Thousands(v.fromUsername), v.sum.Columns[fieldUsername]))
	}
	words := make([]string, 0, len(v.typeWords))
	for w := range v.typeWords {
		words = append(words, w)
	}
	sort.Strings(words)
	for _, w := range words {
		word, t, _ := strings.Cut(w, "\x00")
		s.Warnings = append(s.Warnings, fmt.Sprintf("Relationship type %q was read as %s (%s row(s)).", word, t, Thousands(v.typeWords[w])))
	}
	for _, i := range v.cols.unused {
		if v.addressCols[i] {
			col := strings.TrimSpace(v.rd.Header[i])
			s.Warnings = append(s.Warnings, fmt.Sprintf("Column %q holds email addresses on rows whose email is empty. If those are the addresses to invite, put them in the %q column.", col, v.sum.Columns[fieldEmail]))
		}
	}
	switch s.Encoding {
	case EncodingWindows1252, EncodingUTF16LE, EncodingUTF16BE:
		s.Warnings = append(s.Warnings, "The file was read as "+s.Encoding+" text.")
	}
	if v.rd.Fallbacks > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%d row(s) were not valid UTF-8 and were read as Windows-1252.", v.rd.Fallbacks))
	}
	if v.rd.Delimiter != ',' {
		s.Warnings = append(s.Warnings, "Columns are separated by "+DelimiterName(v.rd.Delimiter)+"s.")
	}
}

// isCleanText reports whether cleanText would leave s as it is.
func isCleanText(s string) bool {
	f := flagsOf(s)
	// The reader only returns valid UTF-8, so no decoding is needed here.
	if f&(fCtl|fOdd) == 0 {
		return f&fSpace == 0 || !strings.Contains(s, "  ")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || (c == ' ' && i+1 < len(s) && s[i+1] == ' ') {
				return false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\uFEFF' || r == utf8.RuneError {
			return false
		}
		i += size - 1
	}
	return true
}

func nonEmptyBeyond(cells []string, n int) int {
	extra := 0
	for i := n; i < len(cells); i++ {
		if strings.TrimSpace(cells[i]) != "" {
			extra++
		}
	}
	return extra
}

// cleanText trims a cell, folds runs of white space (line breaks included)
// to one space, drops control characters, and removes the apostrophe the
// error file puts before a cell that starts like a formula, so a fixed
// error file reads back as it was.
func cleanText(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 1 && s[0] == '\'' && (startsFormula(s[1:]) || s[1] == '\t' || s[1] == '\r') {
		s = strings.TrimSpace(s[1:])
	}
	if isCleanText(s) {
		return s
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
		case unicode.IsControl(r) || r == '\uFEFF':
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return b.String()
}
