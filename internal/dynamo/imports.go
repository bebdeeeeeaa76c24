package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// importItem is an import as stored. Counters that confirm adds to are top
// level numbers so a transaction can ADD to them.
type importItem struct {
	PK              string               `dynamodbav:"PK"`
	SK              string               `dynamodbav:"SK"`
	Type            string               `dynamodbav:"type"`
	SchoolID        string               `dynamodbav:"schoolId"`
	ImportID        string               `dynamodbav:"importId"`
	Kind            string               `dynamodbav:"kind"`
	Status          string               `dynamodbav:"status"`
	FileName        string               `dynamodbav:"fileName"`
	DeclaredSize    int64                `dynamodbav:"declaredSize"`
	UploadedBy      string               `dynamodbav:"uploadedBy"`
	CreatedAt       time.Time            `dynamodbav:"createdAt"`
	UpdatedAt       time.Time            `dynamodbav:"updatedAt"`
	Claim           string               `dynamodbav:"claim,omitempty"`
	Counts          roster.PreviewCounts `dynamodbav:"counts"`
	ErrorCounts     map[string]int       `dynamodbav:"errorCounts,omitempty"`
	SkipReasons     map[string]int       `dynamodbav:"skipReasons,omitempty"`
	Warnings        []string             `dynamodbav:"warnings,omitempty"`
	Preview         []roster.PreviewRow  `dynamodbav:"preview,omitempty"`
	PreviewNote     string               `dynamodbav:"previewNote,omitempty"`
	FailureReason   string               `dynamodbav:"failureReason,omitempty"`
	ValidatedAt     *time.Time           `dynamodbav:"validatedAt,omitempty"`
	SendInvitations bool                 `dynamodbav:"sendInvitations"`
	ConfirmedBy     string               `dynamodbav:"confirmedBy,omitempty"`
	ConfirmedAt     *time.Time           `dynamodbav:"confirmedAt,omitempty"`
	ProgressDone    int                  `dynamodbav:"progressDone"`
	ProgressTotal   int                  `dynamodbav:"progressTotal"`
	Created         int                  `dynamodbav:"created"`
	Updated         int                  `dynamodbav:"updated"`
	Unchanged       int                  `dynamodbav:"unchanged"`
	SkippedMember   int                  `dynamodbav:"skippedMember"`
	SkippedInvited  int                  `dynamodbav:"skippedInvited"`
	Failed          int                  `dynamodbav:"failed"`
	SkippedRemoved  int                  `dynamodbav:"skippedRemoved"`
	UpdateExisting  bool                 `dynamodbav:"updateExisting"`
	LinksCreated    int                  `dynamodbav:"linksCreated"`
	LinksUpdated    int                  `dynamodbav:"linksUpdated"`
	LinksUnchanged  int                  `dynamodbav:"linksUnchanged"`
	LinksFailed     int                  `dynamodbav:"linksFailed"`
	ChunksDone      []string             `dynamodbav:"chunksDone,stringset,omitempty"`
	Failures        []string             `dynamodbav:"failures,omitempty"` // "row<TAB>reason"
	CompletedAt     *time.Time           `dynamodbav:"completedAt,omitempty"`
	Artifacts       map[string]string    `dynamodbav:"artifacts,omitempty"` // roster.Artifact -> object key
}

func (it importItem) record() roster.Import {
	return roster.Import{
		SchoolID: it.SchoolID, ID: it.ImportID, Kind: roster.ImportKind(it.Kind), Status: roster.ImportStatus(it.Status),
		FileName: it.FileName, DeclaredSize: it.DeclaredSize, UploadedBy: it.UploadedBy, CreatedAt: it.CreatedAt,
		UpdatedAt: it.UpdatedAt, Counts: it.Counts, ErrorCounts: it.ErrorCounts, SkipReasons: it.SkipReasons,
		Warnings: it.Warnings, Preview: it.Preview, PreviewNote: it.PreviewNote, FailureReason: it.FailureReason,
		ValidatedAt: it.ValidatedAt, SendInvitations: it.SendInvitations, ConfirmedBy: it.ConfirmedBy,
		ConfirmedAt: it.ConfirmedAt, Progress: roster.Progress{Done: it.ProgressDone, Total: it.ProgressTotal},
		Results: roster.ImportResults{Created: it.Created, Updated: it.Updated, Unchanged: it.Unchanged,
			SkippedMember: it.SkippedMember, SkippedInvited: it.SkippedInvited, Failed: it.Failed, SkippedRemoved: it.SkippedRemoved,
			Links: roster.LinkCounts{Created: it.LinksCreated, Updated: it.LinksUpdated, Unchanged: it.LinksUnchanged, Failed: it.LinksFailed}},
		UpdateExisting: it.UpdateExisting,
		CompletedAt:    it.CompletedAt,
		Claim:          it.Claim, ChunksDone: it.ChunksDone, Failures: parseFailures(it.Failures), Artifacts: artifactsOf(it.Artifacts),
	}
}

func artifactsOf(m map[string]string) map[roster.Artifact]string {
	if m == nil {
		return nil
	}
	out := make(map[roster.Artifact]string, len(m))
	for k, v := range m {
		out[roster.Artifact(k)] = v
	}
	return out
}

func parseFailures(list []string) map[int]string {
	if len(list) == 0 {
		return nil
	}
	m := make(map[int]string, len(list))
	for _, f := range list {
		row, reason, _ := strings.Cut(f, "\t")
		if n, err := strconv.Atoi(row); err == nil {
			m[n] = reason
		}
	}
	return m
}

// CreateImport stores a new import.
// Errors: ECONFLICT if the id is taken; EINTERNAL.
func (s *Store) CreateImport(ctx context.Context, imp roster.Import, artifacts map[roster.Artifact]string) error {
	it := importItem{
		PK: schoolPK(imp.SchoolID), SK: importSK(imp.ID), Type: typeImport, SchoolID: imp.SchoolID, ImportID: imp.ID,
		Kind: string(imp.Kind), Status: string(imp.Status), FileName: imp.FileName, DeclaredSize: imp.DeclaredSize,
		UploadedBy: imp.UploadedBy, CreatedAt: imp.CreatedAt, UpdatedAt: imp.CreatedAt, Artifacts: map[string]string{},
	}
	for k, v := range artifacts {
		it.Artifacts[string(k)] = v
	}
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		return roster.Internal(err)
	}
	cond, _ := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(attrPK))).Build()
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: item, ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
	})
	if isConditionFailed(err) {
		return roster.Errorf(roster.ECONFLICT, "Import %s already exists.", imp.ID)
	}
	if err != nil {
		return roster.Internal(fmt.Errorf("create import: %w", err))
	}
	return nil
}

// GetImport returns an import of a school, read consistently.
// Errors: ENOTFOUND (also for another school's import id); EINTERNAL.
func (s *Store) GetImport(ctx context.Context, schoolID, importID string) (roster.Import, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(schoolPK(schoolID), importSK(importID)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return roster.Import{}, roster.Internal(fmt.Errorf("get import: %w", err))
	}
	if out.Item == nil {
		return roster.Import{}, errImportNotFound
	}
	return decodeImport(out.Item)
}

func decodeImport(item map[string]types.AttributeValue) (roster.Import, error) {
	var it importItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return roster.Import{}, roster.Internal(fmt.Errorf("decode import: %w", err))
	}
	return it.record(), nil
}

// ListImports returns a page of a school's imports, newest first, and the
// cursor of the next page ("" at the end). The cursor is opaque to clients.
// Errors: EINVALID for a cursor that is not one of this school's; EINTERNAL.
func (s *Store) ListImports(ctx context.Context, schoolID, cursor string, limit int) ([]roster.Import, string, error) {
	kc := expression.Key(attrPK).Equal(expression.Value(schoolPK(schoolID))).And(expression.Key(attrSK).BeginsWith(importPrefix))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, "", roster.Internal(err)
	}
	in := &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit)),
	}
	if cursor != "" {
		sk, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", roster.Errorf(roster.EINVALID, "The cursor is not valid.")
		}
		in.ExclusiveStartKey = key(schoolPK(schoolID), importSK(sk))
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", roster.Internal(fmt.Errorf("list imports: %w", err))
	}
	imports := make([]roster.Import, 0, len(out.Items))
	for _, item := range out.Items {
		rec, err := decodeImport(item)
		if err != nil {
			return nil, "", err
		}
		rec.Preview = nil // history is a summary
		imports = append(imports, rec)
	}
	next := ""
	if out.LastEvaluatedKey != nil && len(imports) > 0 {
		next = encodeCursor(imports[len(imports)-1].ID)
	}
	return imports, next, nil
}

// Cursors carry only the last import id; the school comes from the route, so
// a cursor cannot reach another school's partition.
func encodeCursor(importID string) string {
	b, _ := json.Marshal(map[string]string{"after": importID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", err
	}
	var v map[string]string
	if err := json.Unmarshal(b, &v); err != nil || v["after"] == "" {
		return "", errors.New("bad cursor")
	}
	return v["after"], nil
}

// update runs a conditional update of an import and returns the new item.
// A failed condition returns the item as it was, so a missing import is told
// from one that has moved on without a second read.
// Errors: ECONFLICT when the condition fails; ENOTFOUND when there is no
// such import; ETOOLARGE when it would pass DynamoDB's item size; EINTERNAL.
func (s *Store) update(ctx context.Context, schoolID, importID string, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (roster.Import, error) {
	imp, err := updateItem(ctx, s, key(schoolPK(schoolID), importSK(importID)), upd, cond, "import "+importID,
		errImportNotFound, errImportMovedOn, importItem.record)
	if tooLarge(err) {
		return roster.Import{}, roster.Errorf(roster.ETOOLARGE, "The import would be larger than DynamoDB keeps in one item.")
	}
	return imp, err
}

var (
	errImportNotFound = roster.Errorf(roster.ENOTFOUND, "Import not found.")
	errImportMovedOn  = roster.Errorf(roster.ECONFLICT, "The import has moved on.")
)

func statusIs(s roster.ImportStatus) expression.ConditionBuilder {
	return expression.Name(attrStatus).Equal(expression.Value(string(s)))
}

// ClaimValidation moves an import from awaiting_upload to validating for
// claim (the upload's identity). The same claim may take it again, so a
// retried event can finish what a crashed attempt started; another claim,
// or any later status, gets ECONFLICT.
func (s *Store) ClaimValidation(ctx context.Context, schoolID, importID, claim string, now time.Time) (roster.Import, error) {
	upd := setDue(expression.Set(expression.Name(attrStatus), expression.Value(string(roster.ImportValidating))).
		Set(expression.Name(attrClaim), expression.Value(claim)).Set(expression.Name(attrUpdatedAt), expression.Value(now)),
		schoolPK(schoolID), importSK(importID), now.Add(roster.ValidateTimeout))
	cond := statusIs(roster.ImportAwaitingUpload).Or(statusIs(roster.ImportValidating).And(expression.Name(attrClaim).Equal(expression.Value(claim))))
	return s.update(ctx, schoolID, importID, upd, cond)
}

// SavePreview records a finished validation: validating (held by claim) → ready.
// Errors: ECONFLICT if the claim was lost; ENOTFOUND; EINTERNAL.
func (s *Store) SavePreview(ctx context.Context, schoolID, importID, claim string, p roster.PreviewResult, now time.Time) (roster.Import, error) {
	upd := expression.Set(expression.Name(attrStatus), expression.Value(string(roster.ImportReady))).
		Set(expression.Name(attrCounts), expression.Value(p.Counts)).
		Set(expression.Name(attrErrorCounts), expression.Value(nonNilMap(p.ErrorCounts))).
		Set(expression.Name(attrSkipReasons), expression.Value(nonNilMap(p.SkipReasons))).
		Set(expression.Name(attrWarnings), expression.Value(nonNilSlice(p.Warnings))).
		Set(expression.Name(attrPreview), expression.Value(nonNilSlice(p.Preview))).
		Set(expression.Name(attrPreviewNote), expression.Value(p.PreviewNote)).
		Set(expression.Name(attrProgressTotal), expression.Value(p.ToImport)).
		Set(expression.Name(attrValidatedAt), expression.Value(now)).
		Set(expression.Name(attrUpdatedAt), expression.Value(now)).
		Remove(expression.Name(attrClaim))
	upd = clearDue(upd)
	for k, v := range p.Artifacts {
		upd = upd.Set(expression.Name(artifactPath(k)), expression.Value(v))
	}
	cond := statusIs(roster.ImportValidating).And(expression.Name(attrClaim).Equal(expression.Value(claim)))
	return s.update(ctx, schoolID, importID, upd, cond)
}

// FailImport ends an import with a reason an administrator can read, from
// one of the given statuses, when held by claim ("" for any holder).
// Errors: ECONFLICT if the import is elsewhere; ENOTFOUND; EINTERNAL.
func (s *Store) FailImport(ctx context.Context, schoolID, importID, claim, reason string, from []roster.ImportStatus, now time.Time) (roster.Import, error) {
	upd := clearDue(expression.Set(expression.Name(attrStatus), expression.Value(string(roster.ImportFailed))).
		Set(expression.Name(attrFailureReason), expression.Value(reason)).
		Set(expression.Name(attrUpdatedAt), expression.Value(now)).Remove(expression.Name(attrClaim)))
	cond := statusIs(from[0])
	for _, st := range from[1:] {
		cond = cond.Or(statusIs(st))
	}
	if claim != "" {
		cond = cond.And(expression.Name(attrClaim).Equal(expression.Value(claim)))
	}
	return s.update(ctx, schoolID, importID, upd, cond)
}

// ConfirmImport moves a ready import to queued, with the administrator's
// choices and the rows it will import (its progress's total): the table
// stream hands it to the confirm function.
// Errors: ECONFLICT when it is not ready; ENOTFOUND; EINTERNAL.
func (s *Store) ConfirmImport(ctx context.Context, schoolID, importID, by string, opts roster.ConfirmOptions, total int, now time.Time) (roster.Import, error) {
	upd := expression.Set(expression.Name(attrStatus), expression.Value(string(roster.ImportQueued))).
		Set(expression.Name(attrSendInvitations), expression.Value(opts.SendInvitations)).
		Set(expression.Name(attrUpdateExisting), expression.Value(opts.UpdateExisting)).
		Set(expression.Name(attrProgressTotal), expression.Value(total)).
		Set(expression.Name(attrConfirmedBy), expression.Value(by)).
		Set(expression.Name(attrConfirmedAt), expression.Value(now)).
		Set(expression.Name(attrUpdatedAt), expression.Value(now))
	upd = setDue(upd, schoolPK(schoolID), importSK(importID), now.Add(roster.ImportStallAfter))
	return s.update(ctx, schoolID, importID, upd, statusIs(roster.ImportReady))
}

// ClaimImport moves a queued import to importing for claim (the stream
// record's sequence number). The same claim may take it again (a redelivered
// record resumes a crashed attempt); anything else gets ECONFLICT.
func (s *Store) ClaimImport(ctx context.Context, schoolID, importID, claim string, now time.Time) (roster.Import, error) {
	upd := setDue(expression.Set(expression.Name(attrStatus), expression.Value(string(roster.ImportImporting))).
		Set(expression.Name(attrClaim), expression.Value(claim)).Set(expression.Name(attrUpdatedAt), expression.Value(now)),
		schoolPK(schoolID), importSK(importID), now.Add(roster.ImportStallAfter))
	cond := statusIs(roster.ImportQueued).Or(statusIs(roster.ImportImporting).And(expression.Name(attrClaim).Equal(expression.Value(claim))))
	return s.update(ctx, schoolID, importID, upd, cond)
}

// RequeueImport hands an import that is still being imported by claim to a
// fresh invocation: importing → queued, which the stream delivers again.
// Errors: ECONFLICT if claim no longer holds it; ENOTFOUND; EINTERNAL.
func (s *Store) RequeueImport(ctx context.Context, schoolID, importID, claim string, now time.Time) (roster.Import, error) {
	upd := setDue(expression.Set(expression.Name(attrStatus), expression.Value(string(roster.ImportQueued))).
		Set(expression.Name(attrUpdatedAt), expression.Value(now)).Remove(expression.Name(attrClaim)),
		schoolPK(schoolID), importSK(importID), now.Add(roster.ImportStallAfter))
	cond := statusIs(roster.ImportImporting).And(expression.Name(attrClaim).Equal(expression.Value(claim)))
	return s.update(ctx, schoolID, importID, upd, cond)
}

// CompleteImport ends an import held by claim as completed or
// completed_with_errors, with the key of its results file.
// Errors: ECONFLICT if claim no longer holds it; ENOTFOUND; EINTERNAL.
func (s *Store) CompleteImport(ctx context.Context, schoolID, importID, claim string, status roster.ImportStatus, resultsKey string, now time.Time) (roster.Import, error) {
	upd := clearDue(expression.Set(expression.Name(attrStatus), expression.Value(string(status))).
		Set(expression.Name(artifactPath(roster.ArtifactResults)), expression.Value(resultsKey)).
		Set(expression.Name(attrCompletedAt), expression.Value(now)).
		Set(expression.Name(attrUpdatedAt), expression.Value(now)).Remove(expression.Name(attrClaim)))
	cond := statusIs(roster.ImportImporting).And(expression.Name(attrClaim).Equal(expression.Value(claim)))
	return s.update(ctx, schoolID, importID, upd, cond)
}

// maxStoredFailures bounds the failure reasons kept on an import item.
const maxStoredFailures = 100

// ApplyChunk adds a chunk's outcome to the import's counts and progress and
// to its groups' member counts, once: the chunk joins the import's set of done
// chunks in the same transaction, and a chunk already in the set changes
// nothing. It reports whether this call applied it.
// Errors: ECONFLICT if claim no longer holds the import; EINTERNAL.
func (s *Store) ApplyChunk(ctx context.Context, schoolID, importID, claim string, o roster.ChunkOutcome, storedFailures int, now time.Time) (bool, error) {
	chunk := roster.ChunkKey(o.Chunk, o.LinkPass)
	upd := expression.Add(expression.Name(attrChunksDone), expression.Value(&types.AttributeValueMemberSS{Value: []string{chunk}})).
		Add(expression.Name(attrProgressDone), expression.Value(o.Rows)).
		Add(expression.Name(attrCreated), expression.Value(o.Created)).
		Add(expression.Name(attrUpdated), expression.Value(o.Updated)).
		Add(expression.Name(attrUnchanged), expression.Value(o.Unchanged)).
		Add(expression.Name(attrSkippedMember), expression.Value(o.SkippedMember)).
		Add(expression.Name(attrSkippedInvited), expression.Value(o.SkippedInvited)).
		Add(expression.Name(attrFailed), expression.Value(o.Failed)).
		Add(expression.Name(attrSkippedRemoved), expression.Value(o.SkippedRemoved)).
		Add(expression.Name(attrLinksCreated), expression.Value(o.Links.Created)).
		Add(expression.Name(attrLinksUpdated), expression.Value(o.Links.Updated)).
		Add(expression.Name(attrLinksUnchanged), expression.Value(o.Links.Unchanged)).
		Add(expression.Name(attrLinksFailed), expression.Value(o.Links.Failed)).
		Set(expression.Name(attrUpdatedAt), expression.Value(now)).
		Set(expression.Name(attrGSI3SK), expression.Value(dueAt(now.Add(roster.ImportStallAfter))))
	cond := expression.Not(expression.Contains(expression.Name(attrChunksDone), chunk)).
		And(statusIs(roster.ImportImporting)).And(expression.Name(attrClaim).Equal(expression.Value(claim)))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return false, roster.Internal(err)
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName: &s.table, Key: key(schoolPK(schoolID), importSK(importID)), UpdateExpression: expr.Update(),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}}
	for name, n := range o.Groups {
		if n == 0 {
			continue
		}
		gexpr, err := expression.NewBuilder().WithUpdate(expression.Add(expression.Name(attrMemberCount), expression.Value(n))).
			WithCondition(expression.AttributeExists(expression.Name(attrPK))).Build()
		if err != nil {
			return false, roster.Internal(err)
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(schoolPK(schoolID), groupSK(name)), UpdateExpression: gexpr.Update(),
			ConditionExpression: gexpr.Condition(), ExpressionAttributeNames: gexpr.Names(), ExpressionAttributeValues: gexpr.Values(),
		}})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		if r := canceled.CancellationReasons; len(r) > 0 && aws.ToString(r[0].Code) == "ConditionalCheckFailed" {
			// The import as it was tells a chunk applied before from an
			// import that has moved on.
			if len(r[0].Item) == 0 {
				return false, errImportNotFound
			}
			var was importItem
			if err := attributevalue.UnmarshalMap(r[0].Item, &was); err != nil {
				return false, roster.Internal(fmt.Errorf("decode import %s: %w", importID, err))
			}
			if roster.ImportStatus(was.Status) == roster.ImportImporting && was.Claim == claim {
				return false, nil
			}
			return false, errImportMovedOn
		}
		return false, roster.Internal(fmt.Errorf("apply chunk %d: %w", o.Chunk, err))
	}
	if err != nil {
		return false, roster.Internal(fmt.Errorf("apply chunk %d: %w", o.Chunk, err))
	}
	if len(o.Failures) > 0 && storedFailures < maxStoredFailures {
		s.storeFailures(ctx, schoolID, importID, o.Failures, maxStoredFailures-storedFailures)
	}
	return true, nil
}

// storeFailures keeps the reasons of failed rows on the import, for the
// results file; a lost write only loses a reason, never a count.
func (s *Store) storeFailures(ctx context.Context, schoolID, importID string, failures map[int]string, room int) {
	var list []string
	for row, reason := range failures {
		if len(list) == room {
			break
		}
		list = append(list, fmt.Sprintf("%d\t%s", row, reason))
	}
	upd := expression.Set(expression.Name(attrFailures),
		expression.ListAppend(expression.IfNotExists(expression.Name(attrFailures), expression.Value([]string{})), expression.Value(list)))
	expr, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		return
	}
	_, _ = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(schoolPK(schoolID), importSK(importID)), UpdateExpression: expr.Update(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
}

func isConditionFailed(err error) bool {
	_, ok := conditionFailure(err)
	return ok
}

// tooLarge reports DynamoDB refusing an item over its size limit (400 KB):
// no retry can mend that.
func tooLarge(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException" && strings.Contains(strings.ToLower(ae.ErrorMessage()), "size")
}

// conditionFailure returns the failed condition's error, with the item as
// it was when ReturnValuesOnConditionCheckFailure asked for it.
func conditionFailure(err error) (*types.ConditionalCheckFailedException, bool) {
	var ccf *types.ConditionalCheckFailedException
	ok := errors.As(err, &ccf)
	return ccf, ok
}

func nonNilMap(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
