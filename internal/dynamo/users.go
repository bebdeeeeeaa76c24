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

	"github.com/schoolroster/rosterimport/internal/backoff"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// CreateInvitation writes an invited user if no user has that email in the
// school (a conditional put, one write). When one exists, it returns false
// and that user's state, so the caller can tell its own earlier write (same
// import) from a real member.
// Errors: EINTERNAL (throttling is retried by the client first).
func (s *Store) CreateInvitation(ctx context.Context, inv roster.Invitation) (bool, roster.MemberState, error) {
	item, err := attributevalue.MarshalMap(userOf(inv.Member()))
	if err != nil {
		return false, roster.MemberState{}, roster.Internal(err)
	}
	cond, _ := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(attrPK))).Build()
	put := &types.Put{
		TableName: &s.table, Item: item, ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if inv.UserID != "" {
		return s.createWithID(ctx, inv, put)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
		ExpressionAttributeNames: put.ExpressionAttributeNames, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := conditionFailure(err); ok {
		return false, memberState(ccf.Item), nil
	}
	if err != nil {
		return false, roster.MemberState{}, roster.Internal(fmt.Errorf("create invitation: %w", err))
	}
	return true, roster.MemberState{}, nil
}

// createWithID creates an invited user and the item of its id in one
// transaction.
// Errors: EINVALID when another user has the id; EINTERNAL.
func (s *Store) createWithID(ctx context.Context, inv roster.Invitation, put *types.Put) (bool, roster.MemberState, error) {
	ids, err := s.userIDWrites(inv.SchoolID, inv.Email, "", inv.UserID)
	if err != nil {
		return false, roster.MemberState{}, err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append([]types.TransactWriteItem{{Put: put}}, ids...)})
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		if r := tc.CancellationReasons; len(r) > 0 && aws.ToString(r[0].Code) == "ConditionalCheckFailed" {
			return false, memberState(r[0].Item), nil
		}
		if taken := idTaken(tc, 1, inv.UserID); taken != nil {
			return false, roster.MemberState{}, taken
		}
	}
	if err != nil {
		return false, roster.MemberState{}, roster.Internal(fmt.Errorf("create invitation: %w", err))
	}
	return true, roster.MemberState{}, nil
}

// ReinviteRemoved invites again a user who was removed: status removed →
// invited with a fresh token, no role unless the invitation gives one, and
// the invitation's groups. It reports false when the user is not removed
// (any more). The groups' member counts are the caller's to add.
// Errors: EINTERNAL.
func (s *Store) ReinviteRemoved(ctx context.Context, inv roster.Invitation) (bool, error) {
	m := inv.Member()
	upd := expression.Set(expression.Name(attrStatus), expression.Value(string(roster.StatusInvited))).
		Set(expression.Name(attrMailStatus), expression.Value(string(m.MailStatus))).
		Set(expression.Name(attrGSI1PK), expression.Value(tokenPK(inv.TokenHash))).
		Set(expression.Name(attrGSI1SK), expression.Value(schoolPK(inv.SchoolID))).
		Set(expression.Name(attrInvitedByImport), expression.Value(inv.InvitedByImport)).
		Set(expression.Name(attrInvitedBy), expression.Value(inv.InvitedBy)).
		Set(expression.Name(attrInvitedAt), expression.Value(inv.InvitedAt)).
		Set(expression.Name(attrGroups), expression.Value(inv.Groups)).
		Add(expression.Name(attrVersion), expression.Value(1)).
		Remove(expression.Name(attrJoinedAt)).Remove(expression.Name(attrSub)).Remove(expression.Name(attrMailError)).
		Remove(expression.Name(attrRemovedAt)).Remove(expression.Name(attrRemovedBy))
	if m.MailStatus == roster.MailQueued {
		upd = upd.Set(expression.Name(attrSealedToken), expression.Value(inv.SealedToken)).
			Set(expression.Name(attrMailQueuedAt), expression.Value(inv.InvitedAt)).
			Add(expression.Name(attrSendCount), expression.Value(1))
	} else {
		upd = upd.Remove(expression.Name(attrSealedToken))
	}
	// In GSI3 and GSI4 as userOf would put the re-invited member: while its mail waits.
	upd = setDue(upd, schoolPK(inv.SchoolID), userSK(inv.Email), mailDue(m))
	upd = setQueued(upd, inv.SchoolID, inMailQueue(m))
	upd = upd.Remove(expression.Name(attrMailNote)).Remove(expression.Name(attrMailDueAt)).Remove(expression.Name(attrRedrives))
	if inv.Role != roster.RoleNone {
		upd = upd.Set(expression.Name(attrRole), expression.Value(string(inv.Role)))
	} else {
		upd = upd.Remove(expression.Name(attrRole))
	}
	if inv.FirstName != "" {
		upd = upd.Set(expression.Name(attrFirstName), expression.Value(inv.FirstName))
	}
	if inv.LastName != "" {
		upd = upd.Set(expression.Name(attrLastName), expression.Value(inv.LastName))
	}
	if inv.UserID != "" {
		upd = upd.Set(expression.Name(attrUserID), expression.Value(inv.UserID))
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).
		WithCondition(expression.Name(attrStatus).Equal(expression.Value(string(roster.StatusRemoved)))).Build()
	if err != nil {
		return false, roster.Internal(err)
	}
	update := &types.Update{
		TableName: &s.table, Key: key(schoolPK(inv.SchoolID), userSK(inv.Email)), UpdateExpression: expr.Update(),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}
	// The id's item comes in the same transaction (an id the user had
	// before stays theirs).
	ids, err := s.userIDWrites(inv.SchoolID, inv.Email, "", inv.UserID)
	if err != nil {
		return false, err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append([]types.TransactWriteItem{{Update: update}}, ids...)})
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		if taken := idTaken(tc, 1, inv.UserID); taken != nil {
			return false, taken
		}
		return false, nil // not removed (any more)
	}
	if err != nil {
		return false, roster.Internal(fmt.Errorf("reinvite: %w", err))
	}
	return true, nil
}

func memberState(item map[string]types.AttributeValue) roster.MemberState {
	var it userItem
	_ = attributevalue.UnmarshalMap(item, &it)
	return it.state()
}

// MemberStates returns the state of each email that is a user of the school,
// reading in batches of 100 keys and retrying unprocessed keys; consistently
// when asked (confirm asks about users it has just written).
// Errors: EINTERNAL.
func (s *Store) MemberStates(ctx context.Context, schoolID string, emails []string, consistent bool) (map[string]roster.MemberState, error) {
	out := make(map[string]roster.MemberState, len(emails))
	_, err := s.batchGet(ctx, schoolID, userSKs(emails), consistent, "#e, #s, #i, #u, #f, #l, #g, #d",
		map[string]string{"#e": attrEmail, "#s": attrStatus, "#i": attrInvitedByImport, "#u": attrUpdatedByImport,
			"#f": attrFirstName, "#l": attrLastName, "#g": attrGroups, "#d": attrUserID},
		func(item map[string]types.AttributeValue) {
			var it userItem
			if attributevalue.UnmarshalMap(item, &it) == nil {
				out[it.Email] = it.state()
			}
		})
	return out, err
}

// Members reads users of one school by email (eventually consistent).
// Errors: EINTERNAL.
func (s *Store) Members(ctx context.Context, schoolID string, emails []string) (map[string]roster.Member, error) {
	out := make(map[string]roster.Member, len(emails))
	_, err := s.batchGet(ctx, schoolID, userSKs(emails), false, "", nil, func(item map[string]types.AttributeValue) {
		var it userItem
		if attributevalue.UnmarshalMap(item, &it) == nil {
			out[it.Email] = it.member()
		}
	})
	return out, err
}

// MailStates reads users of one school consistently, for the mailer.
// Errors: EINTERNAL.
func (s *Store) MailStates(ctx context.Context, schoolID string, emails []string) (map[string]roster.MailState, error) {
	out := make(map[string]roster.MailState, len(emails))
	_, err := s.batchGet(ctx, schoolID, userSKs(emails), true, "", nil, func(item map[string]types.AttributeValue) {
		var it userItem
		if attributevalue.UnmarshalMap(item, &it) == nil {
			out[it.Email] = roster.MailState{SchoolID: it.SchoolID, Email: it.Email, FirstName: it.FirstName, Status: roster.UserStatus(it.Status),
				MailStatus: roster.MailStatus(it.MailStatus), SendCount: it.SendCount, SealedToken: it.SealedToken}
		}
	})
	return out, err
}

// readStats count what a read cost: items returned and capacity consumed.
type readStats struct {
	items    int
	capacity float64
}

// userSKs are the sort keys of the users with these emails.
func userSKs(emails []string) []string {
	sks := make([]string, len(emails))
	for i, e := range emails {
		sks[i] = userSK(e)
	}
	return sks
}

// batchGet reads items of a school by sort key in batches of 100, retrying
// UnprocessedKeys with backoff; each item found goes to found.
func (s *Store) batchGet(ctx context.Context, schoolID string, sks []string, consistent bool, projection string, names map[string]string, found func(map[string]types.AttributeValue)) (readStats, error) {
	var stats readStats
	seen := map[string]bool{}
	var keys []map[string]types.AttributeValue
	for _, sk := range sks {
		if !seen[sk] {
			seen[sk] = true
			keys = append(keys, key(schoolPK(schoolID), sk))
		}
	}
	for len(keys) > 0 {
		n := min(len(keys), 100)
		ka := types.KeysAndAttributes{Keys: keys[:n], ConsistentRead: aws.Bool(consistent)}
		if projection != "" {
			ka.ProjectionExpression, ka.ExpressionAttributeNames = &projection, names
		}
		req := map[string]types.KeysAndAttributes{s.table: ka}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 0 {
				if attempt > 8 {
					return stats, roster.Internal(errors.New("batch get: keys still unprocessed after 8 retries"))
				}
				if err := backoff.Sleep(ctx, backoff.Exponential(attempt, 50*time.Millisecond, 5*time.Second)); err != nil {
					return stats, err
				}
			}
			out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
			if err != nil {
				return stats, roster.Internal(fmt.Errorf("batch get: %w", err))
			}
			for _, item := range out.Responses[s.table] {
				found(item)
			}
			stats.items += len(out.Responses[s.table])
			for _, c := range out.ConsumedCapacity {
				stats.capacity += aws.ToFloat64(c.CapacityUnits)
			}
			req = out.UnprocessedKeys
		}
		keys = keys[n:]
	}
	return stats, nil
}

// SchoolDirectory reads what a preview looks up about a school's people in
// one Query of its partition's UID# and USER# items (adjacent key ranges):
// each user's state by email, and the email carrying each user id. It stops
// once more than maxItems were read and reports complete false; a preview
// then looks people up in batches instead (see app.Previewer).
// Errors: EINTERNAL.
func (s *Store) SchoolDirectory(ctx context.Context, schoolID string, maxItems int) (members map[string]roster.MemberState, ids map[string]string, complete bool, err error) {
	// "UID#" < "USER#..." < "USER$": the two ranges and nothing between.
	kc := expression.Key(attrPK).Equal(expression.Value(schoolPK(schoolID))).
		And(expression.Key(attrSK).Between(expression.Value(userIDSK("")), expression.Value("USER$")))
	proj := expression.NamesList(expression.Name(attrSK), expression.Name(attrEmail), expression.Name(attrStatus),
		expression.Name(attrInvitedByImport), expression.Name(attrUserID), expression.Name(attrUpdatedByImport),
		expression.Name(attrFirstName), expression.Name(attrLastName), expression.Name(attrGroups))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).WithProjection(proj).Build()
	if err != nil {
		return nil, nil, false, roster.Internal(err)
	}
	in := &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: expr.KeyCondition(), ProjectionExpression: expr.Projection(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		Limit: aws.Int32(int32(min(maxItems+1, 1000))), // pages small enough to stop near the budget
	}
	members, ids = map[string]roster.MemberState{}, map[string]string{}
	read := 0
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		if read > maxItems {
			return nil, nil, false, nil // more to read, and past the budget
		}
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, false, roster.Internal(fmt.Errorf("read school directory: %w", err))
		}
		read += len(out.Items)
		for _, item := range out.Items {
			var it userItem
			if attributevalue.UnmarshalMap(item, &it) != nil {
				continue
			}
			if strings.HasPrefix(it.SK, userPrefix) {
				members[it.Email] = it.state()
			} else {
				ids[it.UserID] = it.Email
			}
		}
	}
	return members, ids, true, nil
}
