package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// Sending is shared between schools in turns (docs/architecture.md, "Term
// start"): each school's queued mail is in GSI4, its turn in the MAILTURN
// item, whose stream record is the school's next turn; and every mailer
// takes its slots at the account's sending rate from the SENDPACE item.

// mailTurnItem is a school's turn at sending.
type mailTurnItem struct {
	PK     string    `dynamodbav:"PK"`
	SK     string    `dynamodbav:"SK"`
	Type   string    `dynamodbav:"type"`
	School string    `dynamodbav:"schoolId"`
	Turn   int       `dynamodbav:"turn"`
	Open   bool      `dynamodbav:"open"`
	Empty  int       `dynamodbav:"empty"`
	At     time.Time `dynamodbav:"turnAt"`
}

// sendPaceItem is when the account may next send.
type sendPaceItem struct {
	TAT int64 `dynamodbav:"tat"`
}

// queuedMailItem is what GSI4 projects of a queued invitation.
type queuedMailItem struct {
	Email     string `dynamodbav:"email"`
	SendCount int    `dynamodbav:"sendCount"`
}

// QueuedMails returns up to limit of a school's queued invitation mails,
// oldest first. The index is eventually consistent: a mail just queued may
// be missing, and one just claimed may still be there (its claim then
// fails), so callers read each mail's state before they act on it.
// Errors: EINTERNAL.
func (s *Store) QueuedMails(ctx context.Context, schoolID string, limit int) ([]roster.MailRef, error) {
	kc := expression.Key(attrGSI4PK).Equal(expression.Value(mailQueuePK(schoolID)))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, roster.Internal(err)
	}
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(GSI4), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), Limit: aws.Int32(int32(limit)),
	}
	refs, _, err := queryPage(ctx, s.db, in, "queued mail", func(it queuedMailItem) roster.MailRef {
		return roster.MailRef{SchoolID: schoolID, Email: it.Email, SendCount: it.SendCount}
	})
	return refs, err
}

// MailTurn reads a school's turn at sending, consistently; a school that
// never sent has the zero turn.
// Errors: EINTERNAL.
func (s *Store) MailTurn(ctx context.Context, schoolID string) (roster.MailTurn, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(schoolPK(schoolID), mailTurnSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return roster.MailTurn{}, roster.Internal(fmt.Errorf("read mail turn: %w", err))
	}
	var it mailTurnItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return roster.MailTurn{}, roster.Internal(err)
	}
	return roster.MailTurn{Turn: it.Turn, Open: it.Open, Empty: it.Empty, At: it.At}, nil
}

// OpenMailTurn opens the school's next turn after was (its stream record
// is that turn), with empty the count of turns in a row that found
// nothing. It reports false when another worker moved the turn on first.
// Errors: EINTERNAL.
func (s *Store) OpenMailTurn(ctx context.Context, schoolID string, was roster.MailTurn, empty int, now time.Time) (bool, error) {
	it := mailTurnItem{PK: schoolPK(schoolID), SK: mailTurnSK, Type: typeMailTurn, School: schoolID,
		Turn: was.Turn + 1, Open: true, Empty: empty, At: now}
	return s.putMailTurn(ctx, it, was)
}

// CloseMailTurn closes the school's turn: it has no queued mail left, and
// the next queued mail's own stream record opens a new turn. It reports
// false when another worker moved the turn on first.
// Errors: EINTERNAL.
func (s *Store) CloseMailTurn(ctx context.Context, schoolID string, was roster.MailTurn, now time.Time) (bool, error) {
	it := mailTurnItem{PK: schoolPK(schoolID), SK: mailTurnSK, Type: typeMailTurn, School: schoolID,
		Turn: was.Turn, Open: false, At: now}
	return s.putMailTurn(ctx, it, was)
}

func (s *Store) putMailTurn(ctx context.Context, it mailTurnItem, was roster.MailTurn) (bool, error) {
	cond := expression.Name(attrTurn).Equal(expression.Value(was.Turn))
	if was.Turn == 0 {
		cond = expression.AttributeNotExists(expression.Name(attrPK))
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return false, roster.Internal(err)
	}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return false, roster.Internal(err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: av, ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, roster.Internal(fmt.Errorf("write mail turn: %w", err))
	}
	return true, nil
}

// ReserveSend takes the account's next sending slot of length d and returns
// when it starts: now if the account is idle, else when the slots already
// taken end. Every mailer takes its slots here, so together they keep to the
// account's rate. Two conditional updates, no read: the common case (slots
// taken ahead) moves the time on; an idle account starts it at now.
// Errors: EINTERNAL.
func (s *Store) ReserveSend(ctx context.Context, now time.Time, d time.Duration) (time.Time, error) {
	nowMS, dMS := now.UnixMilli(), max(d.Milliseconds(), 1)
	k := key(accountPK, sendPaceSK)
	for range 20 {
		out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: k,
			UpdateExpression:          aws.String("SET #tat = #tat + :d"),
			ConditionExpression:       aws.String("#tat >= :now"),
			ExpressionAttributeNames:  map[string]string{"#tat": attrTAT},
			ExpressionAttributeValues: map[string]types.AttributeValue{":d": number(dMS), ":now": number(nowMS)},
			ReturnValues:              types.ReturnValueUpdatedOld,
		})
		if err == nil {
			var old sendPaceItem
			if err := attributevalue.UnmarshalMap(out.Attributes, &old); err != nil {
				return time.Time{}, roster.Internal(err)
			}
			return time.UnixMilli(old.TAT), nil
		}
		if !isConditionFailed(err) {
			return time.Time{}, roster.Internal(fmt.Errorf("reserve send: %w", err))
		}
		_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: k,
			UpdateExpression:          aws.String("SET #tat = :end, #type = :type"),
			ConditionExpression:       aws.String("attribute_not_exists(#tat) OR #tat < :now"),
			ExpressionAttributeNames:  map[string]string{"#tat": attrTAT, "#type": attrType},
			ExpressionAttributeValues: map[string]types.AttributeValue{":end": number(nowMS + dMS), ":now": number(nowMS), ":type": &types.AttributeValueMemberS{Value: typeSendPace}},
		})
		if err == nil {
			return now, nil
		}
		if !isConditionFailed(err) {
			return time.Time{}, roster.Internal(fmt.Errorf("reserve send: %w", err))
		}
		// Another mailer moved it between the two: try again.
	}
	return time.Time{}, roster.Internal(fmt.Errorf("reserve send: too much contention"))
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
