package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// SaveMember writes a change to a member in one transaction: the user item,
// if it is still the version that was read (or absent, to create it); the
// member counts of the groups it joins or leaves; and that the administrator
// making it still may. After's version is Before's plus one.
// Errors: ECONFLICT when the member changed meanwhile (read again and retry)
// or already exists; EFORBIDDEN when the administrator has lost the role;
// EINVALID when a group it joins no longer exists; EINTERNAL.
func (s *Store) SaveMember(ctx context.Context, c app.MemberChange) (roster.Member, error) {
	after := c.After
	var cond expression.ConditionBuilder
	if c.Before == nil {
		after.Version = 1
		cond = expression.AttributeNotExists(expression.Name(attrPK))
	} else {
		after.Version = c.Before.Version + 1
		cond = expression.Name(attrVersion).Equal(expression.Value(c.Before.Version))
	}
	selfChange := c.By != "" && c.By == after.Email
	if selfChange {
		// A transaction may touch an item once: an administrator changing
		// their own record is checked on it as it was read.
		cond = cond.And(mayAdminister(c.OwnerOnly))
	}
	item, err := attributevalue.MarshalMap(userOf(after))
	if err != nil {
		return roster.Member{}, roster.Internal(err)
	}
	ce, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return roster.Member{}, roster.Internal(err)
	}
	tx := []types.TransactWriteItem{{Put: &types.Put{
		TableName: &s.table, Item: item, ConditionExpression: ce.Condition(),
		ExpressionAttributeNames: ce.Names(), ExpressionAttributeValues: ce.Values(),
	}}}
	deltas := groupDeltas(c.Before, after)
	groupIDs := make([]string, 0, len(deltas))
	for id, n := range deltas {
		upd, err := expression.NewBuilder().WithUpdate(expression.Add(expression.Name(attrMemberCount), expression.Value(n))).
			WithCondition(expression.AttributeExists(expression.Name(attrPK))).Build()
		if err != nil {
			return roster.Member{}, roster.Internal(err)
		}
		groupIDs = append(groupIDs, id)
		tx = append(tx, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(schoolPK(after.SchoolID), groupSK(id)), UpdateExpression: upd.Update(),
			ConditionExpression: upd.Condition(), ExpressionAttributeNames: upd.Names(), ExpressionAttributeValues: upd.Values(),
		}})
	}
	if c.By != "" && !selfChange {
		check, err := s.adminCheck(after.SchoolID, c.By, c.OwnerOnly)
		if err != nil {
			return roster.Member{}, err
		}
		tx = append(tx, check)
	}
	idAt := len(tx)
	oldID := ""
	if c.Before != nil {
		oldID = c.Before.UserID
	}
	ids, err := s.userIDWrites(after.SchoolID, after.Email, oldID, after.UserID)
	if err != nil {
		return roster.Member{}, err
	}
	tx = append(tx, ids...)
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		if taken := idTaken(tc, idAt, after.UserID); taken != nil {
			return roster.Member{}, taken
		}
		return roster.Member{}, saveFailure(tc, groupIDs, c.By != "" && !selfChange)
	}
	if err != nil {
		return roster.Member{}, roster.Internal(fmt.Errorf("save member: %w", err))
	}
	return after, nil
}

// saveFailure says which part of SaveMember's transaction stopped it.
func saveFailure(tc *types.TransactionCanceledException, groupIDs []string, checkedAdmin bool) error {
	failed := func(i int) bool {
		return i < len(tc.CancellationReasons) && aws.ToString(tc.CancellationReasons[i].Code) == "ConditionalCheckFailed"
	}
	if conflicted(tc) {
		return errChangedMeanwhile // another transaction on the same items: read again and retry
	}
	switch {
	case failed(0):
		return errChangedMeanwhile
	case checkedAdmin && failed(1+len(groupIDs)):
		return roster.Errorf(roster.EFORBIDDEN, "You are no longer allowed to make this change.")
	}
	for i := range groupIDs {
		if failed(1 + i) {
			return roster.Errorf(roster.EINVALID, "A group of this user no longer exists. Reload and try again.")
		}
	}
	return roster.Internal(fmt.Errorf("save member: %w", tc))
}

// groupDeltas are the changes to group member counts from before to after.
func groupDeltas(before *roster.Member, after roster.Member) map[string]int {
	d := map[string]int{}
	if before != nil {
		for _, g := range before.CountedGroups() {
			d[g]--
		}
	}
	for _, g := range after.CountedGroups() {
		d[g]++
	}
	for g, n := range d {
		if n == 0 {
			delete(d, g)
		}
	}
	return d
}

var errChangedMeanwhile = roster.Errorf(roster.ECONFLICT, "The user was changed by someone else meanwhile. Reload and try again.")

// conflicted reports whether a transaction was cancelled because another
// one was writing the same items (TransactionConflict): it may be retried.
func conflicted(tc *types.TransactionCanceledException) bool {
	for _, r := range tc.CancellationReasons {
		if aws.ToString(r.Code) == "TransactionConflict" {
			return true
		}
	}
	return false
}

// mayAdminister is the condition that a user item is an active owner (or
// manager, unless ownerOnly).
func mayAdminister(ownerOnly bool) expression.ConditionBuilder {
	role := expression.Name(attrRole).Equal(expression.Value(string(roster.RoleOwner)))
	if !ownerOnly {
		role = role.Or(expression.Name(attrRole).Equal(expression.Value(string(roster.RoleManager))))
	}
	return expression.Name(attrStatus).Equal(expression.Value(string(roster.StatusActive))).And(role)
}

// adminCheck is a transaction's check that email is still an active owner
// (or manager, unless ownerOnly) of the school.
func (s *Store) adminCheck(schoolID, email string, ownerOnly bool) (types.TransactWriteItem, error) {
	ce, err := expression.NewBuilder().WithCondition(mayAdminister(ownerOnly)).Build()
	if err != nil {
		return types.TransactWriteItem{}, roster.Internal(err)
	}
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.table, Key: key(schoolPK(schoolID), userSK(email)), ConditionExpression: ce.Condition(),
		ExpressionAttributeNames: ce.Names(), ExpressionAttributeValues: ce.Values(),
	}}, nil
}

// BindSub records the login of a member who has none yet (an owner created
// by an operator, at their first sign-in).
// Errors: ECONFLICT when the member has a login already; EINTERNAL.
func (s *Store) BindSub(ctx context.Context, schoolID, email, sub string) error {
	// The version moves on, so a change read before cannot write the login away.
	expr, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name(attrSub), expression.Value(sub)).
		Add(expression.Name(attrVersion), expression.Value(1))).
		WithCondition(expression.AttributeExists(expression.Name(attrPK)).And(expression.AttributeNotExists(expression.Name(attrSub)))).Build()
	if err != nil {
		return roster.Internal(err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(schoolPK(schoolID), userSK(email)), UpdateExpression: expr.Update(),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	if isConditionFailed(err) {
		return roster.Errorf(roster.ECONFLICT, "The user has a login already.")
	}
	if err != nil {
		return roster.Internal(fmt.Errorf("bind login: %w", err))
	}
	return nil
}

// MemberSchools returns every membership of email, in any school (GSI2).
// Errors: EINTERNAL.
func (s *Store) MemberSchools(ctx context.Context, email string) ([]roster.Member, error) {
	kc := expression.Key(attrGSI2PK).Equal(expression.Value(memberPK(email)))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, roster.Internal(err)
	}
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(GSI2), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	var out []roster.Member
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, roster.Internal(fmt.Errorf("query schools of a member: %w", err))
		}
		for _, item := range page.Items {
			var it userItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, roster.Internal(fmt.Errorf("decode membership: %w", err))
			}
			out = append(out, it.member())
		}
	}
	return out, nil
}

// TokenHolder returns the school and email of the member whose invitation
// token has hash, from GSI1 (eventually consistent: read the member again).
// Errors: ENOTFOUND for a token no one holds; EINTERNAL.
func (s *Store) TokenHolder(ctx context.Context, hash string) (schoolID, email string, err error) {
	kc := expression.Key(attrGSI1PK).Equal(expression.Value(tokenPK(hash)))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return "", "", roster.Internal(err)
	}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(GSI1), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), Limit: aws.Int32(1),
	})
	if err != nil {
		return "", "", roster.Internal(fmt.Errorf("query invitation token: %w", err))
	}
	if len(out.Items) == 0 {
		return "", "", roster.Errorf(roster.ENOTFOUND, "This invitation is not valid any more.")
	}
	var it userItem // the keys say who it is
	if err := attributevalue.UnmarshalMap(out.Items[0], &it); err != nil {
		return "", "", roster.Internal(fmt.Errorf("decode invitation: %w", err))
	}
	return strings.TrimPrefix(it.PK, schoolPK("")), strings.TrimPrefix(it.SK, userPrefix), nil
}

// userIDWrites are the transaction items that move a user's id from oldID to
// newID: the new id's item, put unless another user has it, and the old
// one's deleted.
func (s *Store) userIDWrites(schoolID, email, oldID, newID string) ([]types.TransactWriteItem, error) {
	if oldID == newID {
		return nil, nil
	}
	var tx []types.TransactWriteItem
	mine := expression.Name(attrEmail).Equal(expression.Value(email))
	if newID != "" {
		item, err := attributevalue.MarshalMap(userIDItem{PK: schoolPK(schoolID), SK: userIDSK(newID), Type: typeUserID, UserID: newID, Email: email})
		if err != nil {
			return nil, roster.Internal(err)
		}
		ce, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(attrPK)).Or(mine)).Build()
		if err != nil {
			return nil, roster.Internal(err)
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: item, ConditionExpression: ce.Condition(), ExpressionAttributeNames: ce.Names(),
			ExpressionAttributeValues: ce.Values(), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	if oldID != "" {
		ce, err := expression.NewBuilder().WithCondition(mine).Build()
		if err != nil {
			return nil, roster.Internal(err)
		}
		tx = append(tx, types.TransactWriteItem{Delete: &types.Delete{
			TableName: &s.table, Key: key(schoolPK(schoolID), userIDSK(oldID)), ConditionExpression: ce.Condition(),
			ExpressionAttributeNames: ce.Names(), ExpressionAttributeValues: ce.Values(),
		}})
	}
	return tx, nil
}

// idTaken is the error for a transaction that failed because the user id
// put at index at belongs to someone else, or nil.
func idTaken(tc *types.TransactionCanceledException, at int, id string) error {
	if id == "" || at >= len(tc.CancellationReasons) || aws.ToString(tc.CancellationReasons[at].Code) != "ConditionalCheckFailed" {
		return nil
	}
	var owner userIDItem
	_ = attributevalue.UnmarshalMap(tc.CancellationReasons[at].Item, &owner)
	return roster.Errorf(roster.EINVALID, "User id %s already belongs to %s", id, owner.Email)
}
