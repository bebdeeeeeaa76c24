package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var (
	_ API              = (*dynamodb.Client)(nil)
	_ app.ImportStore  = (*Store)(nil)
	_ app.PreviewStore = (*Store)(nil)
	_ app.ConfirmStore = (*Store)(nil)
	_ app.MailerStore  = (*Store)(nil)
	_ app.SchoolStore  = (*Store)(nil)
	_ app.UserStore    = (*Store)(nil)
	_ app.GroupStore   = (*Store)(nil)
	_ app.InviteeStore = (*Store)(nil)
	_ app.SendJobStore = (*Store)(nil)
	_ app.LinkStore    = (*Store)(nil)
)

// Store reads and writes the roster table, and the users list's index.
type Store struct {
	db         API
	table      string
	indexTable string // the users list's index items; the roster table unless set
}

// NewStore returns a Store over the named table, which also holds the users
// list's index until UsersIndex names a table of its own.
func NewStore(db API, table string) *Store { return &Store{db: db, table: table, indexTable: table} }

// UsersIndex keeps the users list's index items in their own table (one
// without a stream, as template.yaml declares it) and returns the store.
func (s *Store) UsersIndex(table string) *Store {
	if table != "" {
		s.indexTable = table
	}
	return s
}

type schoolItem struct {
	PK        string    `dynamodbav:"PK"`
	SK        string    `dynamodbav:"SK"`
	Type      string    `dynamodbav:"type"`
	ID        string    `dynamodbav:"schoolId"`
	Name      string    `dynamodbav:"name"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
}

// userItem is a user with its invitation state: every field of roster.Member.
type userItem struct {
	PK              string     `dynamodbav:"PK"`
	SK              string     `dynamodbav:"SK"`
	Type            string     `dynamodbav:"type"`
	GSI1PK          string     `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK          string     `dynamodbav:"GSI1SK,omitempty"`
	GSI2PK          string     `dynamodbav:"GSI2PK"`
	GSI2SK          string     `dynamodbav:"GSI2SK"`
	GSI3PK          string     `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK          int64      `dynamodbav:"GSI3SK,omitempty"`
	GSI4PK          string     `dynamodbav:"GSI4PK,omitempty"`
	SchoolID        string     `dynamodbav:"schoolId"`
	Email           string     `dynamodbav:"email"`
	FirstName       string     `dynamodbav:"firstName,omitempty"`
	LastName        string     `dynamodbav:"lastName,omitempty"`
	Role            string     `dynamodbav:"role,omitempty"`
	Groups          []string   `dynamodbav:"groups,omitempty"` // group ids
	UserID          string     `dynamodbav:"userId,omitempty"`
	Status          string     `dynamodbav:"status"`
	MailStatus      string     `dynamodbav:"mailStatus,omitempty"`
	InvitedAt       time.Time  `dynamodbav:"invitedAt"`
	InvitedBy       string     `dynamodbav:"invitedBy,omitempty"`
	InvitedByImport string     `dynamodbav:"invitedByImport,omitempty"`
	UpdatedByImport string     `dynamodbav:"updatedByImport,omitempty"`
	JoinedAt        *time.Time `dynamodbav:"joinedAt,omitempty"`
	SealedToken     string     `dynamodbav:"sealedToken,omitempty"`
	SendCount       int        `dynamodbav:"sendCount"`
	MailQueuedAt    *time.Time `dynamodbav:"mailQueuedAt,omitempty"`
	MailMessageID   string     `dynamodbav:"mailMessageId,omitempty"`
	MailSentAt      *time.Time `dynamodbav:"mailSentAt,omitempty"`
	MailError       string     `dynamodbav:"mailError,omitempty"`
	MailNote        string     `dynamodbav:"mailNote,omitempty"`
	MailDueAt       *time.Time `dynamodbav:"mailDueAt,omitempty"`
	Redrives        int        `dynamodbav:"redrives,omitempty"`
	UpdatedAt       *time.Time `dynamodbav:"updatedAt,omitempty"`
	UpdatedBy       string     `dynamodbav:"updatedBy,omitempty"`
	RemovedAt       *time.Time `dynamodbav:"removedAt,omitempty"`
	RemovedBy       string     `dynamodbav:"removedBy,omitempty"`
	Sub             string     `dynamodbav:"sub,omitempty"`
	Version         int        `dynamodbav:"version"`
}

// state is what an import needs to know of the user.
func (u userItem) state() roster.MemberState {
	return roster.MemberState{Status: roster.UserStatus(u.Status), InvitedByImport: u.InvitedByImport, UpdatedByImport: u.UpdatedByImport,
		FirstName: u.FirstName, LastName: u.LastName, Groups: u.Groups, UserID: u.UserID}
}

func (u userItem) member() roster.Member {
	return roster.Member{
		SchoolID: u.SchoolID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Role: roster.Role(u.Role), Groups: u.Groups, UserID: u.UserID, Status: roster.UserStatus(u.Status),
		MailStatus: roster.MailStatus(u.MailStatus), InvitedAt: u.InvitedAt, InvitedBy: u.InvitedBy, UpdatedByImport: u.UpdatedByImport,
		InvitedByImport: u.InvitedByImport, JoinedAt: u.JoinedAt, SealedToken: u.SealedToken,
		SendCount: u.SendCount, MailQueuedAt: u.MailQueuedAt, MailMessageID: u.MailMessageID,
		MailSentAt: u.MailSentAt, MailError: u.MailError, MailNote: u.MailNote, MailDueAt: u.MailDueAt, UpdatedAt: u.UpdatedAt, UpdatedBy: u.UpdatedBy,
		RemovedAt: u.RemovedAt, RemovedBy: u.RemovedBy, Sub: u.Sub, TokenHash: strings.TrimPrefix(u.GSI1PK, tokenPK("")),
		Version: u.Version,
	}
}

// userOf is the item that stores m. The token's GSI1 keys stand while m has
// a live token.
func userOf(m roster.Member) userItem {
	it := userItem{
		PK: schoolPK(m.SchoolID), SK: userSK(m.Email), Type: typeUser, GSI2PK: memberPK(m.Email), GSI2SK: schoolPK(m.SchoolID),
		SchoolID: m.SchoolID, Email: m.Email, FirstName: m.FirstName, LastName: m.LastName, Role: string(m.Role),
		Groups: m.Groups, UserID: m.UserID, Status: string(m.Status), MailStatus: string(m.MailStatus), InvitedAt: m.InvitedAt,
		InvitedBy: m.InvitedBy, InvitedByImport: m.InvitedByImport, UpdatedByImport: m.UpdatedByImport, JoinedAt: m.JoinedAt, SealedToken: m.SealedToken,
		SendCount: m.SendCount, MailQueuedAt: m.MailQueuedAt, MailMessageID: m.MailMessageID, MailSentAt: m.MailSentAt,
		MailError: m.MailError, MailNote: m.MailNote, MailDueAt: m.MailDueAt, UpdatedAt: m.UpdatedAt, UpdatedBy: m.UpdatedBy, RemovedAt: m.RemovedAt,
		RemovedBy: m.RemovedBy, Sub: m.Sub, Version: m.Version,
	}
	if m.TokenHash != "" {
		it.GSI1PK, it.GSI1SK = tokenPK(m.TokenHash), schoolPK(m.SchoolID)
	}
	if due := mailDue(m); !due.IsZero() {
		it.GSI3PK, it.GSI3SK = dueShard(it.PK, it.SK), dueAt(due)
	}
	if inMailQueue(m) {
		it.GSI4PK = mailQueuePK(m.SchoolID)
	}
	return it
}

// mailDue is when the sweeper looks at m's invitation mail: queued mail a
// while after it was queued, claimed or deferred mail at its due time;
// zero for mail that does not wait.
func mailDue(m roster.Member) time.Time {
	switch {
	case m.Status != roster.StatusInvited:
	case m.MailStatus == roster.MailQueued && m.MailQueuedAt != nil:
		return m.MailQueuedAt.Add(roster.MailRedriveAfter)
	case (m.MailStatus == roster.MailSending || m.MailStatus == roster.MailDeferred) && m.MailDueAt != nil:
		return *m.MailDueAt
	}
	return time.Time{}
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

// GetMember returns the membership of email (already normalised) in a
// school, read consistently: a role just taken away is gone.
// Errors: ENOTFOUND if there is none; EINTERNAL on a DynamoDB fault.
func (s *Store) GetMember(ctx context.Context, schoolID, email string) (roster.Member, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(schoolPK(schoolID), userSK(email)), ConsistentRead: aws.Bool(true),
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

// CreateSchool writes a new school with the default groups and its first
// owner (active or invited), all or nothing.
// Errors: ECONFLICT if the school exists (nothing changes); EINTERNAL.
func (s *Store) CreateSchool(ctx context.Context, school roster.School, owner roster.Member) error {
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(attrPK))).Build()
	if err != nil {
		return roster.Internal(err)
	}
	owner.SchoolID, owner.Role, owner.Version = school.ID, roster.RoleOwner, 1
	items := []any{
		schoolItem{PK: schoolPK(school.ID), SK: schoolSK, Type: typeSchool, ID: school.ID, Name: school.Name, CreatedAt: school.CreatedAt},
		userOf(owner),
	}
	counted := map[string]bool{}
	for _, id := range owner.CountedGroups() {
		counted[id] = true
	}
	for _, g := range roster.DefaultGroups {
		g.MemberCount, g.CreatedAt = 0, school.CreatedAt
		if counted[g.ID] {
			g.MemberCount = 1
		}
		items = append(items, groupOf(school.ID, g), groupNameOf(school.ID, g))
	}
	tx := make([]types.TransactWriteItem, 0, len(items))
	for _, v := range items {
		item, err := attributevalue.MarshalMap(v)
		if err != nil {
			return roster.Internal(err)
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: item, ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
		}})
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
