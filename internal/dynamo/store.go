package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var (
	_ API              = (*dynamodb.Client)(nil)
	_ app.ImportStore  = (*Store)(nil)
	_ app.PreviewStore = (*Store)(nil)
	_ app.ConfirmStore = (*Store)(nil)
	_ app.MailerStore  = (*Store)(nil)
	_ app.SchoolStore  = (*Store)(nil)
)

// Store reads and writes the roster table.
type Store struct {
	db    API
	table string
}

// NewStore returns a Store over the named table.
func NewStore(db API, table string) *Store { return &Store{db: db, table: table} }

type schoolItem struct {
	PK        string    `dynamodbav:"PK"`
	SK        string    `dynamodbav:"SK"`
	Type      string    `dynamodbav:"type"`
	ID        string    `dynamodbav:"schoolId"`
	Name      string    `dynamodbav:"name"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
}

type groupItem struct {
	PK          string    `dynamodbav:"PK"`
	SK          string    `dynamodbav:"SK"`
	Type        string    `dynamodbav:"type"`
	Name        string    `dynamodbav:"name"`
	MemberCount int       `dynamodbav:"memberCount"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
}

type userItem struct {
	PK         string     `dynamodbav:"PK"`
	SK         string     `dynamodbav:"SK"`
	Type       string     `dynamodbav:"type"`
	SchoolID   string     `dynamodbav:"schoolId"`
	Email      string     `dynamodbav:"email"`
	FirstName  string     `dynamodbav:"firstName,omitempty"`
	LastName   string     `dynamodbav:"lastName,omitempty"`
	Role       string     `dynamodbav:"role,omitempty"`
	Groups     []string   `dynamodbav:"groups,omitempty"`
	Status     string     `dynamodbav:"status"`
	MailStatus string     `dynamodbav:"mailStatus,omitempty"`
	InvitedAt  time.Time  `dynamodbav:"invitedAt"`
	JoinedAt   *time.Time `dynamodbav:"joinedAt,omitempty"`
}

func (u userItem) member() roster.Member {
	return roster.Member{
		SchoolID: u.SchoolID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Role: roster.Role(u.Role), Groups: u.Groups, Status: roster.UserStatus(u.Status),
		MailStatus: roster.MailStatus(u.MailStatus), InvitedAt: u.InvitedAt, JoinedAt: u.JoinedAt,
	}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// GetSchool returns the school with the given id.
// Errors: ENOTFOUND if there is none; EINTERNAL on a DynamoDB fault.
func (s *Store) GetSchool(ctx context.Context, schoolID string) (roster.School, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(schoolPK(schoolID), schoolSK),
	})
	if err != nil {
		return roster.School{}, roster.Internal(fmt.Errorf("get school %s: %w", schoolID, err))
	}
	if out.Item == nil {
		return roster.School{}, roster.Errorf(roster.ENOTFOUND, "School not found.")
	}
	var it schoolItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return roster.School{}, roster.Internal(fmt.Errorf("decode school %s: %w", schoolID, err))
	}
	return roster.School{ID: it.ID, Name: it.Name, CreatedAt: it.CreatedAt}, nil
}

// ListGroups returns every group of a school in name order (a school has few).
// Errors: EINTERNAL on a DynamoDB fault.
func (s *Store) ListGroups(ctx context.Context, schoolID string) ([]roster.Group, error) {
	kc := expression.Key(attrPK).Equal(expression.Value(schoolPK(schoolID))).
		And(expression.Key(attrSK).BeginsWith(groupPrefix))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, roster.Internal(err)
	}
	in := &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: expr.KeyCondition(),
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
			groups = append(groups, roster.Group{Name: it.Name, MemberCount: it.MemberCount, CreatedAt: it.CreatedAt})
		}
	}
	return groups, nil
}

// GetMember returns the membership of email (already normalised) in a school.
// Errors: ENOTFOUND if there is none; EINTERNAL on a DynamoDB fault.
func (s *Store) GetMember(ctx context.Context, schoolID, email string) (roster.Member, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(schoolPK(schoolID), userSK(email)),
	})
	if err != nil {
		return roster.Member{}, roster.Internal(fmt.Errorf("get member of %s: %w", schoolID, err))
	}
	if out.Item == nil {
		return roster.Member{}, roster.Errorf(roster.ENOTFOUND, "User not found.")
	}
	var it userItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return roster.Member{}, roster.Internal(fmt.Errorf("decode member of %s: %w", schoolID, err))
	}
	return it.member(), nil
}

// CreateSchool writes a new school with the default groups and its owner, all
// or nothing. Creating a school that already exists changes nothing.
// Errors: ECONFLICT if the school exists; EINTERNAL on a DynamoDB fault.
func (s *Store) CreateSchool(ctx context.Context, school roster.School, ownerEmail string) error {
	notExists := expression.AttributeNotExists(expression.Name(attrPK))
	cond, err := expression.NewBuilder().WithCondition(notExists).Build()
	if err != nil {
		return roster.Internal(err)
	}
	put := func(v any) (types.TransactWriteItem, error) {
		item, err := attributevalue.MarshalMap(v)
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		return types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: item, ConditionExpression: cond.Condition(),
			ExpressionAttributeNames: cond.Names(),
		}}, nil
	}
	now := school.CreatedAt
	items := []any{
		schoolItem{PK: schoolPK(school.ID), SK: schoolSK, Type: typeSchool, ID: school.ID, Name: school.Name, CreatedAt: now},
		userItem{
			PK: schoolPK(school.ID), SK: userSK(ownerEmail), Type: typeUser, SchoolID: school.ID,
			Email: ownerEmail, Role: string(roster.RoleOwner), Groups: []string{"Staff"},
			Status: string(roster.StatusActive), InvitedAt: now, JoinedAt: &now,
		},
	}
	for _, g := range roster.DefaultGroups {
		count := 0
		if g == "Staff" {
			count = 1
		}
		items = append(items, groupItem{PK: schoolPK(school.ID), SK: groupSK(g), Type: typeGroup, Name: g, MemberCount: count, CreatedAt: now})
	}
	var tx []types.TransactWriteItem
	for _, v := range items {
		w, err := put(v)
		if err != nil {
			return roster.Internal(err)
		}
		tx = append(tx, w)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		return roster.Errorf(roster.ECONFLICT, "School %s already exists.", school.ID)
	}
	if err != nil {
		return roster.Internal(fmt.Errorf("create school %s: %w", school.ID, err))
	}
	return nil
}
