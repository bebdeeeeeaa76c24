package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// sendJobItem is a send-all-held job. Writing it queued is what starts it:
// the stream delivers it to the function that runs jobs.
type sendJobItem struct {
	PK          string    `dynamodbav:"PK"`
	SK          string    `dynamodbav:"SK"`
	Type        string    `dynamodbav:"type"`
	SchoolID    string    `dynamodbav:"schoolId"`
	JobID       string    `dynamodbav:"jobId"`
	Status      string    `dynamodbav:"status"`
	RequestedBy string    `dynamodbav:"requestedBy"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
	UpdatedAt   time.Time `dynamodbav:"updatedAt"`
	Sent        int       `dynamodbav:"sent"`
	Claim       string    `dynamodbav:"claim,omitempty"`
	Cursor      string    `dynamodbav:"cursor,omitempty"`
}

func (it sendJobItem) job() roster.SendJob {
	return roster.SendJob{SchoolID: it.SchoolID, ID: it.JobID, Status: roster.JobStatus(it.Status), RequestedBy: it.RequestedBy,
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, Sent: it.Sent, Claim: it.Claim, Cursor: it.Cursor}
}

// CreateSendJob stores a queued job.
// Errors: ECONFLICT if the id is taken; EINTERNAL.
func (s *Store) CreateSendJob(ctx context.Context, j roster.SendJob) error {
	tx, err := s.puts(attributevalue.MarshalMap, sendJobItem{
		PK: schoolPK(j.SchoolID), SK: sendJobSK(j.ID), Type: typeSendJob, SchoolID: j.SchoolID, JobID: j.ID,
		Status: string(roster.JobQueued), RequestedBy: j.RequestedBy, CreatedAt: j.CreatedAt, UpdatedAt: j.CreatedAt,
	})
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	if cancelled(err) {
		return roster.Errorf(roster.ECONFLICT, "Job %s already exists.", j.ID)
	}
	if err != nil {
		return roster.Internal(fmt.Errorf("create send job: %w", err))
	}
	return nil
}

// updateSendJob runs a conditional update of a job and returns it as it is now.
// Errors: ECONFLICT when the condition fails; ENOTFOUND; EINTERNAL.
func (s *Store) updateSendJob(ctx context.Context, schoolID, jobID string, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (roster.SendJob, error) {
	return updateItem(ctx, s, key(schoolPK(schoolID), sendJobSK(jobID)), upd, cond, "send job",
		roster.Errorf(roster.ENOTFOUND, "Job not found."), roster.Errorf(roster.ECONFLICT, "The job has moved on."), sendJobItem.job)
}

// updateItem runs a conditional update of the item at k, which must exist,
// and returns the item as it is now, decoded as an I and converted by conv.
// Errors: notFound when there is no such item, movedOn when cond fails;
// EINTERNAL, wrapping DynamoDB's error (so a caller may look into it).
func updateItem[I, T any](ctx context.Context, s *Store, k map[string]types.AttributeValue, upd expression.UpdateBuilder, cond expression.ConditionBuilder,
	what string, notFound, movedOn error, conv func(I) T) (T, error) {
	var zero T
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(expression.AttributeExists(expression.Name(attrPK)).And(cond)).Build()
	if err != nil {
		return zero, roster.Internal(err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: k, UpdateExpression: expr.Update(),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValues: types.ReturnValueAllNew, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := conditionFailure(err); ok {
		if len(ccf.Item) == 0 {
			return zero, notFound
		}
		return zero, movedOn
	}
	if err != nil {
		return zero, roster.Internal(fmt.Errorf("update %s: %w", what, err))
	}
	var it I
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return zero, roster.Internal(fmt.Errorf("decode %s: %w", what, err))
	}
	return conv(it), nil
}

// ClaimSendJob moves a queued job to running for claim (a stream record); the
// same claim may take it again after a crash.
// Errors: ECONFLICT when it is not queued nor held by claim; ENOTFOUND; EINTERNAL.
func (s *Store) ClaimSendJob(ctx context.Context, schoolID, jobID, claim string, now time.Time) (roster.SendJob, error) {
	upd := expression.Set(expression.Name(attrStatus), expression.Value(string(roster.JobRunning))).
		Set(expression.Name(attrClaim), expression.Value(claim)).Set(expression.Name(attrUpdatedAt), expression.Value(now))
	cond := expression.Name(attrStatus).Equal(expression.Value(string(roster.JobQueued))).
		Or(expression.Name(attrStatus).Equal(expression.Value(string(roster.JobRunning))).And(expression.Name(attrClaim).Equal(expression.Value(claim))))
	return s.updateSendJob(ctx, schoolID, jobID, upd, cond)
}

// SendJobProgress records a page of held invitations queued: the cursor
// moves on and sent grows, while claim holds the job. With next set the job
// is handed to a fresh invocation (queued); with done, it ends.
// Errors: ECONFLICT when claim no longer holds it; ENOTFOUND; EINTERNAL.
func (s *Store) SendJobProgress(ctx context.Context, schoolID, jobID, claim, cursor string, sent int, status roster.JobStatus, now time.Time) (roster.SendJob, error) {
	upd := expression.Set(expression.Name(attrCursor), expression.Value(cursor)).
		Add(expression.Name(attrSent), expression.Value(sent)).
		Set(expression.Name(attrStatus), expression.Value(string(status))).
		Set(expression.Name(attrUpdatedAt), expression.Value(now))
	if status != roster.JobRunning {
		upd = upd.Remove(expression.Name(attrClaim))
	}
	cond := expression.Name(attrStatus).Equal(expression.Value(string(roster.JobRunning))).And(expression.Name(attrClaim).Equal(expression.Value(claim)))
	return s.updateSendJob(ctx, schoolID, jobID, upd, cond)
}

// HeldInvitations returns up to limit members of a school whose invitation
// is held, in email order after the email after, and the email to continue
// after ("" at the end). A background job's read: it queries the school's
// users with a filter.
// Errors: EINTERNAL.
func (s *Store) HeldInvitations(ctx context.Context, schoolID, after string, limit int) ([]roster.Member, string, error) {
	filter := expression.Name(attrStatus).Equal(expression.Value(string(roster.StatusInvited))).
		And(expression.Name(attrMailStatus).Equal(expression.Value(string(roster.MailHeld))))
	return s.userPage(ctx, schoolID, after, limit, "held invitations", func(b expression.Builder) expression.Builder { return b.WithFilter(filter) })
}

// userPage reads one page (at most limit items) of the school's users in
// email order, from the first email past after, read consistently; shape
// adds a filter or a projection to the Query. It returns the email to go on
// from, "" after the last page.
// Errors: EINTERNAL.
func (s *Store) userPage(ctx context.Context, schoolID, after string, limit int, what string, shape func(expression.Builder) expression.Builder) ([]roster.Member, string, error) {
	kc := expression.Key(attrPK).Equal(expression.Value(schoolPK(schoolID))).And(expression.Key(attrSK).BeginsWith(userPrefix))
	expr, err := shape(expression.NewBuilder().WithKeyCondition(kc)).Build()
	if err != nil {
		return nil, "", roster.Internal(err)
	}
	in := &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: expr.KeyCondition(), FilterExpression: expr.Filter(),
		ProjectionExpression: expr.Projection(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ConsistentRead: aws.Bool(true), Limit: aws.Int32(int32(limit)),
	}
	if after != "" {
		in.ExclusiveStartKey = key(schoolPK(schoolID), userSK(after))
	}
	members, lek, err := queryPage(ctx, s.db, in, what, userItem.member)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if lek != nil {
		next = strings.TrimPrefix(lastSK(lek), userPrefix)
	}
	return members, next, nil
}

// queryPage runs one Query and decodes its items with conv; it returns them
// with the LastEvaluatedKey (nil on the last page).
// Errors: EINTERNAL.
func queryPage[I, T any](ctx context.Context, db API, in *dynamodb.QueryInput, what string, conv func(I) T) ([]T, map[string]types.AttributeValue, error) {
	out, err := db.Query(ctx, in)
	if err != nil {
		return nil, nil, roster.Internal(fmt.Errorf("query %s: %w", what, err))
	}
	var items []I
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, nil, roster.Internal(fmt.Errorf("decode %s: %w", what, err))
	}
	list := make([]T, len(items))
	for i, it := range items {
		list[i] = conv(it)
	}
	return list, out.LastEvaluatedKey, nil
}

// lastSK is the sort key of a Query's LastEvaluatedKey.
func lastSK(lek map[string]types.AttributeValue) string {
	var last struct {
		SK string `dynamodbav:"SK"`
	}
	_ = attributevalue.UnmarshalMap(lek, &last)
	return last.SK
}
