package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/schoolroster/rosterimport/internal/roster"
)

type groupItem struct {
	PK          string    `dynamodbav:"PK"`
	SK          string    `dynamodbav:"SK"`
	Type        string    `dynamodbav:"type"`
	GroupID     string    `dynamodbav:"groupId"`
	Name        string    `dynamodbav:"name"`
	MemberCount int       `dynamodbav:"memberCount"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
}

// groupNameItem holds a group's name for the school, so that two groups
// cannot share a name (a put with attribute_not_exists).
type groupNameItem struct {
	PK      string `dynamodbav:"PK"`
	SK      string `dynamodbav:"SK"`
	Type    string `dynamodbav:"type"`
	GroupID string `dynamodbav:"groupId"`
}

func groupOf(schoolID string, g roster.Group) groupItem {
	return groupItem{PK: schoolPK(schoolID), SK: groupSK(g.ID), Type: typeGroup, GroupID: g.ID, Name: g.Name,
		MemberCount: g.MemberCount, CreatedAt: g.CreatedAt}
}

func groupNameOf(schoolID string, g roster.Group) groupNameItem {
	return groupNameItem{PK: schoolPK(schoolID), SK: groupNameSK(g.Name), Type: typeGroupName, GroupID: g.ID}
}

// ListGroups returns every group of a school in name order (a school has
// few), read consistently so counts are exact.
// Errors: EINTERNAL on a DynamoDB fault.
func (s *Store) ListGroups(ctx context.Context, schoolID string) ([]roster.Group, error) {
	kc := expression.Key(attrPK).Equal(expression.Value(schoolPK(schoolID))).
		And(expression.Key(attrSK).BeginsWith(groupPrefix))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, roster.Internal(err)
	}
	in := &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: expr.KeyCondition(), ConsistentRead: aws.Bool(true),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}
	var groups []roster.Group
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, roster.Internal(fmt.Errorf("query groups of %s: %w", schoolID, err))
		}
		var items []groupItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, roster.Internal(fmt.Errorf("decode groups of %s: %w", schoolID, err))
		}
		for _, it := range items {
			groups = append(groups, roster.Group{ID: it.GroupID, Name: it.Name, MemberCount: it.MemberCount, CreatedAt: it.CreatedAt})
		}
	}
	sort.Slice(groups, func(i, j int) bool { return roster.GroupKey(groups[i].Name) < roster.GroupKey(groups[j].Name) })
	return groups, nil
}

// CreateGroup adds a group with no members.
// Errors: ECONFLICT when the school has a group of that name (in any case);
// EINTERNAL.
func (s *Store) CreateGroup(ctx context.Context, schoolID string, g roster.Group) error {
	g.MemberCount = 0
	tx, err := s.puts(attributevalue.MarshalMap, groupOf(schoolID, g), groupNameOf(schoolID, g))
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) && conflicted(tc) {
		return roster.Errorf(roster.ECONFLICT, "The school's groups were changing. Try again.")
	}
	if errors.As(err, &tc) {
		return errGroupNameTaken(g.Name)
	}
	if err != nil {
		return roster.Internal(fmt.Errorf("create group: %w", err))
	}
	return nil
}

func errGroupNameTaken(name string) error {
	return roster.Errorf(roster.ECONFLICT, "A group named %s already exists.", name)
}

// puts makes a transaction of create-only puts.
func (s *Store) puts(marshal func(any) (map[string]types.AttributeValue, error), items ...any) ([]types.TransactWriteItem, error) {
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(attrPK))).Build()
	if err != nil {
		return nil, roster.Internal(err)
	}
	tx := make([]types.TransactWriteItem, 0, len(items))
	for _, v := range items {
		item, err := marshal(v)
		if err != nil {
			return nil, roster.Internal(err)
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: item, ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
		}})
	}
	return tx, nil
}

// RenameGroup gives group g (as read) a new name; its members, which hold
// its id, follow.
// Errors: ECONFLICT when another group has the name, or g changed or went
// since it was read; EINTERNAL.
func (s *Store) RenameGroup(ctx context.Context, schoolID string, g roster.Group, name string) error {
	upd, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name(attrName), expression.Value(name))).
		WithCondition(expression.Name(attrName).Equal(expression.Value(g.Name))).Build()
	if err != nil {
		return roster.Internal(err)
	}
	tx := []types.TransactWriteItem{{Update: &types.Update{
		TableName: &s.table, Key: key(schoolPK(schoolID), groupSK(g.ID)), UpdateExpression: upd.Update(),
		ConditionExpression: upd.Condition(), ExpressionAttributeNames: upd.Names(), ExpressionAttributeValues: upd.Values(),
	}}}
	if roster.GroupKey(name) != roster.GroupKey(g.Name) {
		renamed := g
		renamed.Name = name
		puts, err := s.puts(attributevalue.MarshalMap, groupNameOf(schoolID, renamed))
		if err != nil {
			return err
		}
		tx = append(tx, puts[0], types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(schoolPK(schoolID), groupNameSK(g.Name))}})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		if !conflicted(tc) && len(tc.CancellationReasons) > 1 && aws.ToString(tc.CancellationReasons[1].Code) == "ConditionalCheckFailed" {
			return errGroupNameTaken(name)
		}
		return roster.Errorf(roster.ECONFLICT, "The group was changed by someone else. Reload and try again.")
	}
	if err != nil {
		return roster.Internal(fmt.Errorf("rename group: %w", err))
	}
	return nil
}

// DeleteGroup deletes a group that has no members, with its name.
// Errors: ECONFLICT when it has members (now, whatever was read before);
// ENOTFOUND when it is gone; EINTERNAL.
func (s *Store) DeleteGroup(ctx context.Context, schoolID string, g roster.Group) error {
	cond, err := expression.NewBuilder().WithCondition(expression.Name(attrMemberCount).Equal(expression.Value(0))).Build()
	if err != nil {
		return roster.Internal(err)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName: &s.table, Key: key(schoolPK(schoolID), groupSK(g.ID)), ConditionExpression: cond.Condition(),
			ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		{Delete: &types.Delete{TableName: &s.table, Key: key(schoolPK(schoolID), groupNameSK(g.Name))}},
	}})
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		if conflicted(tc) {
			return roster.Errorf(roster.ECONFLICT, "The group was changing as it was deleted. Try again.")
		}
		if len(tc.CancellationReasons) > 0 && len(tc.CancellationReasons[0].Item) == 0 {
			return roster.Errorf(roster.ENOTFOUND, "Group not found.")
		}
		var was groupItem
		_ = attributevalue.UnmarshalMap(tc.CancellationReasons[0].Item, &was)
		return roster.Errorf(roster.ECONFLICT, "The group %s has %d members. Move or remove them before deleting it.", was.Name, was.MemberCount)
	}
	if err != nil {
		return roster.Internal(fmt.Errorf("delete group: %w", err))
	}
	return nil
}

func cancelled(err error) bool {
	var tc *types.TransactionCanceledException
	return errors.As(err, &tc)
}
