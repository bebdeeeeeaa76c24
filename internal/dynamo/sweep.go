package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// DueWork returns up to limit items of GSI3 partition shard due by now.
// Errors: EINTERNAL.
func (s *Store) DueWork(ctx context.Context, shard int, now time.Time, limit int) ([]roster.DueItem, error) {
	kc := expression.Key(attrGSI3PK).Equal(expression.Value(dueShardPK(shard))).
		And(expression.Key(attrGSI3SK).LessThanEqual(expression.Value(now.Unix())))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, roster.Internal(err)
	}
	var out []roster.DueItem
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(GSI3), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), Limit: aws.Int32(int32(min(limit, 500))),
	})
	for p.HasMorePages() && len(out) < limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, roster.Internal(fmt.Errorf("due work: %w", err))
		}
		for _, item := range page.Items {
			var it dueItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, roster.Internal(err)
			}
			out = append(out, it.due())
		}
	}
	return out[:min(len(out), limit)], nil
}

// dueItem is what GSI3 projects.
type dueItem struct {
	Type       string `dynamodbav:"type"`
	SchoolID   string `dynamodbav:"schoolId"`
	Email      string `dynamodbav:"email"`
	ImportID   string `dynamodbav:"importId"`
	Status     string `dynamodbav:"status"`
	MailStatus string `dynamodbav:"mailStatus"`
	SendCount  int    `dynamodbav:"sendCount"`
	Redrives   int    `dynamodbav:"redrives"`
	GSI3SK     int64  `dynamodbav:"GSI3SK"`
}

func (it dueItem) due() roster.DueItem {
	d := roster.DueItem{SchoolID: it.SchoolID, Redrives: it.Redrives, Due: time.Unix(it.GSI3SK, 0).UTC()}
	if it.Type == typeUser {
		d.Email, d.Status, d.SendCount = it.Email, it.MailStatus, it.SendCount
	} else {
		d.ImportID, d.Status = it.ImportID, it.Status
	}
	return d
}

// stillDue is the condition "the item is as the sweeper found it".
func stillDue(d roster.DueItem) expression.ConditionBuilder {
	return expression.Name(attrStatus).Equal(expression.Value(d.Status)).And(asFound(d))
}

// RequeueStuckImport re-drives an import the sweeper found stalled: queued
// again without a claim (a new stream record; the confirm function resumes
// from the chunks already counted), with a new bound.
// Errors: ECONFLICT when it moved on since it was found; ENOTFOUND; EINTERNAL.
func (s *Store) RequeueStuckImport(ctx context.Context, d roster.DueItem, now time.Time) (roster.Import, error) {
	upd := setDue(expression.Set(expression.Name(attrStatus), expression.Value(string(roster.ImportQueued))).
		Set(expression.Name(attrUpdatedAt), expression.Value(now)).Remove(expression.Name(attrClaim)).
		Add(expression.Name(attrRedrives), expression.Value(1)),
		schoolPK(d.SchoolID), importSK(d.ImportID), now.Add(roster.ImportStallAfter))
	return s.update(ctx, d.SchoolID, d.ImportID, upd, stillDue(d))
}

// FailStuckImport ends an import the sweeper found past its bound, with the
// reason an administrator reads.
// Errors: ECONFLICT when it moved on since it was found; ENOTFOUND; EINTERNAL.
func (s *Store) FailStuckImport(ctx context.Context, d roster.DueItem, reason string, now time.Time) (roster.Import, error) {
	upd := setDue(expression.Set(expression.Name(attrStatus), expression.Value(string(roster.ImportFailed))).
		Set(expression.Name(attrFailureReason), expression.Value(reason)).
		Set(expression.Name(attrUpdatedAt), expression.Value(now)).Remove(expression.Name(attrClaim)),
		schoolPK(d.SchoolID), importSK(d.ImportID), time.Time{})
	return s.update(ctx, d.SchoolID, d.ImportID, upd, stillDue(d))
}
