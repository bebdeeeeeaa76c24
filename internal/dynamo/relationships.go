package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// relationshipItem is a student-parent link. It lives in the school's
// partition under the student (a student's parents are one Query), and GSI2
// holds it under the parent (a parent's students are one Query there).
type relationshipItem struct {
	PK          string    `dynamodbav:"PK"`
	SK          string    `dynamodbav:"SK"`
	Type        string    `dynamodbav:"type"`
	GSI2PK      string    `dynamodbav:"GSI2PK"`
	GSI2SK      string    `dynamodbav:"GSI2SK"`
	SchoolID    string    `dynamodbav:"schoolId"`
	Student     string    `dynamodbav:"studentEmail"`
	Parent      string    `dynamodbav:"parentEmail"`
	RelType     string    `dynamodbav:"relType"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
	UpdatedAt   time.Time `dynamodbav:"updatedAt"`
	LastImport  string    `dynamodbav:"lastImport,omitempty"`
	LastOutcome string    `dynamodbav:"lastOutcome,omitempty"`
}

func relationshipOf(r roster.Relationship) relationshipItem {
	return relationshipItem{
		PK: schoolPK(r.SchoolID), SK: relSK(r.Student, r.Parent), Type: typeRelationship,
		GSI2PK: parentPK(r.SchoolID, r.Parent), GSI2SK: relPrefix + r.Student,
		SchoolID: r.SchoolID, Student: r.Student, Parent: r.Parent, RelType: r.Type, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		LastImport: r.LastImport, LastOutcome: string(r.LastOutcome),
	}
}

func (it relationshipItem) relationship() roster.Relationship {
	return roster.Relationship{SchoolID: it.SchoolID, Student: it.Student, Parent: it.Parent, Type: it.RelType,
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, LastImport: it.LastImport, LastOutcome: roster.LinkOutcome(it.LastOutcome)}
}

// userIDItem holds a user id for one user of the school, so ids stay unique
// and a file can name people by id.
type userIDItem struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	Type   string `dynamodbav:"type"`
	UserID string `dynamodbav:"userId"`
	Email  string `dynamodbav:"email"`
}

// UserIDs returns the email of the user who carries each id (BatchGetItem
// of the school's UID# items).
// Errors: EINTERNAL.
func (s *Store) UserIDs(ctx context.Context, schoolID string, ids []string) (map[string]string, error) {
	sks := make([]string, len(ids))
	for i, id := range ids {
		sks[i] = userIDSK(id)
	}
	out := make(map[string]string, len(ids))
	_, err := s.batchGet(ctx, schoolID, sks, false, "", nil, func(item map[string]types.AttributeValue) {
		var it userIDItem
		if attributevalue.UnmarshalMap(item, &it) == nil {
			out[it.UserID] = it.Email
		}
	})
	return out, err
}

// Relationships returns the links that exist among pairs (BatchGetItem).
// Errors: EINTERNAL.
func (s *Store) Relationships(ctx context.Context, schoolID string, pairs []roster.Pair, consistent bool) (map[roster.Pair]roster.Relationship, error) {
	sks := make([]string, len(pairs))
	for i, p := range pairs {
		sks[i] = relSK(p.Student, p.Parent)
	}
	out := make(map[roster.Pair]roster.Relationship, len(pairs))
	_, err := s.batchGet(ctx, schoolID, sks, consistent, "", nil, func(item map[string]types.AttributeValue) {
		var it relationshipItem
		if attributevalue.UnmarshalMap(item, &it) == nil {
			out[roster.Pair{Student: it.Student, Parent: it.Parent}] = it.relationship()
		}
	})
	return out, err
}

// SaveRelationship writes a link as it is to be, if the pair is still as
// was read (nil: not there).
// Errors: ECONFLICT when the pair changed since it was read; EINTERNAL.
func (s *Store) SaveRelationship(ctx context.Context, was *roster.Relationship, r roster.Relationship) error {
	item, err := attributevalue.MarshalMap(relationshipOf(r))
	if err != nil {
		return roster.Internal(err)
	}
	cond := expression.AttributeNotExists(expression.Name(attrPK))
	if was != nil {
		cond = expression.Name(attrRelType).Equal(expression.Value(was.Type)).
			And(expression.Name(attrUpdatedAt).Equal(expression.Value(was.UpdatedAt)))
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return roster.Internal(err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: item, ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	if isConditionFailed(err) {
		return roster.Errorf(roster.ECONFLICT, "The relationship changed meanwhile.")
	}
	if err != nil {
		return roster.Internal(fmt.Errorf("save relationship: %w", err))
	}
	return nil
}

// DeleteRelationship removes a link.
// Errors: ENOTFOUND when there is none; EINTERNAL.
func (s *Store) DeleteRelationship(ctx context.Context, schoolID string, p roster.Pair) error {
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeExists(expression.Name(attrPK))).Build()
	if err != nil {
		return roster.Internal(err)
	}
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: key(schoolPK(schoolID), relSK(p.Student, p.Parent)),
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
	})
	if isConditionFailed(err) {
		return roster.Errorf(roster.ENOTFOUND, "These two people are not linked.")
	}
	if err != nil {
		return roster.Internal(fmt.Errorf("delete relationship: %w", err))
	}
	return nil
}

// LinksOf returns a page of one person's links, in email order of the
// other party: a student's parents (a Query of the school's partition) or a
// parent's students (a Query of GSI2), after the email after, and the email
// to continue after ("" at the end).
// Errors: EINTERNAL.
func (s *Store) LinksOf(ctx context.Context, schoolID, email string, asParent bool, after string, limit int) ([]roster.Relationship, string, error) {
	kc := expression.Key(attrPK).Equal(expression.Value(schoolPK(schoolID))).And(expression.Key(attrSK).BeginsWith(relSK(email, "")))
	in := &dynamodb.QueryInput{TableName: &s.table, Limit: aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true)}
	start := func(other string) map[string]types.AttributeValue {
		return key(schoolPK(schoolID), relSK(email, other))
	}
	if asParent {
		kc = expression.Key(attrGSI2PK).Equal(expression.Value(parentPK(schoolID, email)))
		in.IndexName, in.ConsistentRead = aws.String(GSI2), nil
		start = func(other string) map[string]types.AttributeValue {
			k := key(schoolPK(schoolID), relSK(other, email))
			k[attrGSI2PK] = &types.AttributeValueMemberS{Value: parentPK(schoolID, email)}
			k[attrGSI2SK] = &types.AttributeValueMemberS{Value: relPrefix + other}
			return k
		}
	}
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, "", roster.Internal(err)
	}
	in.KeyConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = expr.KeyCondition(), expr.Names(), expr.Values()
	if after != "" {
		in.ExclusiveStartKey = start(after)
	}
	links, lek, err := queryPage(ctx, s.db, in, "links", relationshipItem.relationship)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if lek != nil && len(links) > 0 {
		if last := links[len(links)-1]; asParent {
			next = last.Student
		} else {
			next = last.Parent
		}
	}
	return links, next, nil
}
