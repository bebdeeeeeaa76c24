package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

var _ app.ExportStore = (*Store)(nil)

// exportItem is a users export. Writing it queued is what starts it: the
// stream delivers it to the function that runs background work.
type exportItem struct {
	PK            string    `dynamodbav:"PK"`
	SK            string    `dynamodbav:"SK"`
	Type          string    `dynamodbav:"type"`
	SchoolID      string    `dynamodbav:"schoolId"`
	ExportID      string    `dynamodbav:"exportId"`
	Status        string    `dynamodbav:"status"`
	RequestedBy   string    `dynamodbav:"requestedBy"`
	CreatedAt     time.Time `dynamodbav:"createdAt"`
	UpdatedAt     time.Time `dynamodbav:"updatedAt"`
	Rows          int       `dynamodbav:"rows"`
	FileName      string    `dynamodbav:"fileName"`
	ObjectKey     string    `dynamodbav:"objectKey,omitempty"`
	Claim         string    `dynamodbav:"claim,omitempty"`
	Attempts      int       `dynamodbav:"attempts"`
	FailureReason string    `dynamodbav:"failureReason,omitempty"`
}

func (it exportItem) export() roster.Export {
	return roster.Export{SchoolID: it.SchoolID, ID: it.ExportID, Status: roster.ExportStatus(it.Status), RequestedBy: it.RequestedBy,
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, Rows: it.Rows, FailureReason: it.FailureReason,
		FileName: it.FileName, ObjectKey: it.ObjectKey, Claim: it.Claim, Attempts: it.Attempts}
}

// CreateExport stores a queued export, which starts it.
// Errors: ECONFLICT if the id is taken; EINTERNAL.
func (s *Store) CreateExport(ctx context.Context, e roster.Export) error {
	item, err := attributevalue.MarshalMap(exportItem{
		PK: schoolPK(e.SchoolID), SK: exportSK(e.ID), Type: typeExport, SchoolID: e.SchoolID, ExportID: e.ID,
		Status: string(roster.ExportQueued), RequestedBy: e.RequestedBy, CreatedAt: e.CreatedAt, UpdatedAt: e.CreatedAt,
		FileName: e.FileName,
	})
	if err != nil {
		return roster.Internal(err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	if _, ok := conditionFailure(err); ok {
		return roster.Errorf(roster.ECONFLICT, "Export %s already exists.", e.ID)
	}
	if err != nil {
		return roster.Internal(fmt.Errorf("create export: %w", err))
	}
	return nil
}

// GetExport returns one of the school's exports, read consistently.
// Errors: ENOTFOUND for an id that is not one of the school's exports; EINTERNAL.
func (s *Store) GetExport(ctx context.Context, schoolID, exportID string) (roster.Export, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(schoolPK(schoolID), exportSK(exportID)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return roster.Export{}, roster.Internal(fmt.Errorf("get export: %w", err))
	}
	if len(out.Item) == 0 {
		return roster.Export{}, errExportNotFound
	}
	var it exportItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return roster.Export{}, roster.Internal(err)
	}
	return it.export(), nil
}

var errExportNotFound = roster.Errorf(roster.ENOTFOUND, "Export not found.")

// LatestExport returns the school's newest export (ids sort by creation
// time); found is false when the school has none.
// Errors: EINTERNAL.
func (s *Store) LatestExport(ctx context.Context, schoolID string) (e roster.Export, found bool, err error) {
	kc := expression.Key(attrPK).Equal(expression.Value(schoolPK(schoolID))).And(expression.Key(attrSK).BeginsWith(exportPrefix))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return roster.Export{}, false, roster.Internal(err)
	}
	list, _, err := queryPage(ctx, s.db, &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(false), Limit: aws.Int32(1), ConsistentRead: aws.Bool(true),
	}, "latest export", exportItem.export)
	if err != nil || len(list) == 0 {
		return roster.Export{}, false, err
	}
	return list[0], true, nil
}

// updateExport runs a conditional update of an export and returns it as it is now.
// Errors: ECONFLICT when the condition fails; ENOTFOUND; EINTERNAL.
func (s *Store) updateExport(ctx context.Context, schoolID, exportID string, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (roster.Export, error) {
	return updateItem(ctx, s, key(schoolPK(schoolID), exportSK(exportID)), upd, cond, "export",
		errExportNotFound, roster.Errorf(roster.ECONFLICT, "The export has moved on."), exportItem.export)
}

// heldBy is the condition that claim is working on the export.
func heldBy(claim string) expression.ConditionBuilder {
	return expression.Name(attrStatus).Equal(expression.Value(string(roster.ExportRunning))).
		And(expression.Name(attrClaim).Equal(expression.Value(claim)))
}

// ClaimExport moves a queued export to running for claim (a stream record);
// the same claim may take it again after a crash, and then starts over: the
// row count goes back to 0. Every claim adds one to its attempts.
// Errors: ECONFLICT when it is neither queued nor held by claim (done,
// failed, or another record's); ENOTFOUND; EINTERNAL.
func (s *Store) ClaimExport(ctx context.Context, schoolID, exportID, claim string, now time.Time) (roster.Export, error) {
	upd := expression.Set(expression.Name(attrStatus), expression.Value(string(roster.ExportRunning))).
		Set(expression.Name(attrClaim), expression.Value(claim)).
		Set(expression.Name(attrRows), expression.Value(0)).
		Add(expression.Name(attrAttempts), expression.Value(1)).
		Set(expression.Name(attrUpdatedAt), expression.Value(now))
	cond := expression.Name(attrStatus).Equal(expression.Value(string(roster.ExportQueued))).Or(heldBy(claim))
	return s.updateExport(ctx, schoolID, exportID, upd, cond)
}

// ExportProgress records the rows written so far while claim holds the export.
// Errors: ECONFLICT when claim no longer holds it; ENOTFOUND; EINTERNAL.
func (s *Store) ExportProgress(ctx context.Context, schoolID, exportID, claim string, rows int, now time.Time) (roster.Export, error) {
	upd := expression.Set(expression.Name(attrRows), expression.Value(rows)).Set(expression.Name(attrUpdatedAt), expression.Value(now))
	return s.updateExport(ctx, schoolID, exportID, upd, heldBy(claim))
}

// FinishExport marks an export done, with its rows and the key of its
// file, while claim holds it.
// Errors: ECONFLICT when claim no longer holds it; ENOTFOUND; EINTERNAL.
func (s *Store) FinishExport(ctx context.Context, schoolID, exportID, claim string, rows int, objectKey string, now time.Time) (roster.Export, error) {
	upd := expression.Set(expression.Name(attrStatus), expression.Value(string(roster.ExportDone))).
		Set(expression.Name(attrRows), expression.Value(rows)).
		Set(expression.Name(attrObjectKey), expression.Value(objectKey)).
		Set(expression.Name(attrUpdatedAt), expression.Value(now)).
		Remove(expression.Name(attrClaim))
	return s.updateExport(ctx, schoolID, exportID, upd, heldBy(claim))
}

// FailExport marks an export failed with a reason safe to show, while
// claim holds it.
// Errors: ECONFLICT when claim no longer holds it; ENOTFOUND; EINTERNAL.
func (s *Store) FailExport(ctx context.Context, schoolID, exportID, claim, reason string, now time.Time) (roster.Export, error) {
	upd := expression.Set(expression.Name(attrStatus), expression.Value(string(roster.ExportFailed))).
		Set(expression.Name(attrFailureReason), expression.Value(reason)).
		Set(expression.Name(attrUpdatedAt), expression.Value(now)).
		Remove(expression.Name(attrClaim))
	return s.updateExport(ctx, schoolID, exportID, upd, heldBy(claim))
}

// exportedAttrs are the user attributes an export reads.
var exportedAttrs = []string{attrSchoolID, attrEmail, attrFirstName, attrLastName, attrGroups, attrUserID, attrStatus}

// SchoolUsers returns up to limit users of a school, every status, in email
// order after the email after, and the email to continue after ("" at the
// end). A background job's read: one consistent Query of the school's user
// items, projected to what an export writes (the other fields are zero).
// Errors: EINTERNAL.
func (s *Store) SchoolUsers(ctx context.Context, schoolID, after string, limit int) ([]roster.Member, string, error) {
	proj := expression.NamesList(expression.Name(exportedAttrs[0]))
	for _, a := range exportedAttrs[1:] {
		proj = proj.AddNames(expression.Name(a))
	}
	return s.userPage(ctx, schoolID, after, limit, "school users", func(b expression.Builder) expression.Builder { return b.WithProjection(proj) })
}
