package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// An invitation's mail moves queued → sending (claimed) → sent | failed |
// deferred | held; deferred and stuck mail go back to queued by the
// sweeper. Every move is conditional on the send it is for (sendCount) and
// the status it comes from, so a resend, a cancellation or another worker's
// claim in between is never overwritten; each bumps the version, so an
// administrator's change read before it fails instead of undoing it.

// mailIs is the condition "the invitation's send n is in one of statuses".
func mailIs(sendCount int, statuses ...roster.MailStatus) expression.ConditionBuilder {
	cond := expression.Name(attrMailStatus).Equal(expression.Value(string(statuses[0])))
	for _, st := range statuses[1:] {
		cond = cond.Or(expression.Name(attrMailStatus).Equal(expression.Value(string(st))))
	}
	return expression.Name(attrStatus).Equal(expression.Value(string(roster.StatusInvited))).
		And(expression.Name(attrSendCount).Equal(expression.Value(sendCount))).And(cond)
}

// setDue puts the item in GSI3 at due, or takes it out for a zero due.
func setDue(upd expression.UpdateBuilder, pk, sk string, due time.Time) expression.UpdateBuilder {
	if due.IsZero() {
		return clearDue(upd)
	}
	return upd.Set(expression.Name(attrGSI3PK), expression.Value(dueShard(pk, sk))).
		Set(expression.Name(attrGSI3SK), expression.Value(dueAt(due)))
}

// setQueued puts an invitation in its school's mail queue (GSI4), or takes
// it out.
func setQueued(upd expression.UpdateBuilder, schoolID string, queued bool) expression.UpdateBuilder {
	if !queued {
		return upd.Remove(expression.Name(attrGSI4PK))
	}
	return upd.Set(expression.Name(attrGSI4PK), expression.Value(mailQueuePK(schoolID)))
}

// inMailQueue reports whether m's mail waits in its school's queue.
func inMailQueue(m roster.Member) bool {
	return m.Status == roster.StatusInvited && m.MailStatus == roster.MailQueued && m.MailQueuedAt != nil
}

// clearDue takes the item out of GSI3: nothing about it waits any more.
func clearDue(upd expression.UpdateBuilder) expression.UpdateBuilder {
	return upd.Remove(expression.Name(attrGSI3PK)).Remove(expression.Name(attrGSI3SK))
}

// asFound is the condition "the item's bound is the one the sweeper found".
func asFound(d roster.DueItem) expression.ConditionBuilder {
	return expression.Name(attrGSI3SK).Equal(expression.Value(dueAt(d.Due)))
}

// failedMail ends a mail for good with the reason an administrator reads:
// the sealed token, the note and the bound go.
func failedMail(reason string) expression.UpdateBuilder {
	return setQueued(clearDue(expression.Set(expression.Name(attrMailStatus), expression.Value(string(roster.MailFailed))).
		Set(expression.Name(attrMailError), expression.Value(reason)).
		Remove(expression.Name(attrSealedToken)).Remove(expression.Name(attrMailNote)).
		Remove(expression.Name(attrMailDueAt))), "", false)
}

// updateMail applies upd to one user under cond and reports whether it did
// (false: the condition failed).
func (s *Store) updateMail(ctx context.Context, schoolID, email string, upd expression.UpdateBuilder, cond expression.ConditionBuilder, what string) (bool, error) {
	expr, err := expression.NewBuilder().WithUpdate(upd.Add(expression.Name(attrVersion), expression.Value(1))).WithCondition(cond).Build()
	if err != nil {
		return false, roster.Internal(err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(schoolPK(schoolID), userSK(email)), UpdateExpression: expr.Update(),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, roster.Internal(fmt.Errorf("%s: %w", what, err))
	}
	return true, nil
}

// ClaimMail takes send sendCount of an invitation for sending: queued →
// sending until due (when the sweeper may re-drive it). It reports false
// when the mail is not queued for that send any more (sent, claimed by
// another worker, resent, cancelled): then nothing must be sent.
// Errors: EINTERNAL.
func (s *Store) ClaimMail(ctx context.Context, schoolID, email string, sendCount int, due time.Time) (bool, error) {
	upd := setDue(expression.Set(expression.Name(attrMailStatus), expression.Value(string(roster.MailSending))).
		Set(expression.Name(attrMailDueAt), expression.Value(due)), schoolPK(schoolID), userSK(email), due)
	upd = setQueued(upd, schoolID, false)
	return s.updateMail(ctx, schoolID, email, upd, mailIs(sendCount, roster.MailQueued), "claim mail")
}

// DeferMail puts a claimed mail back to wait until due, with a note for the
// administrator saying why (sending → deferred). A mail that has moved on is
// left as it is.
// Errors: EINTERNAL.
func (s *Store) DeferMail(ctx context.Context, schoolID, email string, sendCount int, note string, due time.Time) error {
	upd := setDue(expression.Set(expression.Name(attrMailStatus), expression.Value(string(roster.MailDeferred))).
		Set(expression.Name(attrMailNote), expression.Value(note)).
		Set(expression.Name(attrMailDueAt), expression.Value(due)), schoolPK(schoolID), userSK(email), due)
	_, err := s.updateMail(ctx, schoolID, email, upd, mailIs(sendCount, roster.MailSending), "defer mail")
	return err
}

// HoldMail holds a claimed mail with a note (sending → held): it waits for
// an administrator to send it again, with a fresh token, so the sealed one
// goes.
// Errors: EINTERNAL.
func (s *Store) HoldMail(ctx context.Context, schoolID, email string, sendCount int, note string) error {
	upd := setDue(expression.Set(expression.Name(attrMailStatus), expression.Value(string(roster.MailHeld))).
		Set(expression.Name(attrMailNote), expression.Value(note)).
		Remove(expression.Name(attrSealedToken)).Remove(expression.Name(attrMailDueAt)), schoolPK(schoolID), userSK(email), time.Time{})
	_, err := s.updateMail(ctx, schoolID, email, upd, mailIs(sendCount, roster.MailSending), "hold mail")
	return err
}

// MarkSent records sent invitations: mail status sent, the message id, and
// the sealed token, the note and the due time dropped. A mail that has moved
// on since its claim (resent, cancelled) is left as it is.
// Errors: EINTERNAL.
func (s *Store) MarkSent(ctx context.Context, sent []roster.SentMail, now time.Time) error {
	errs := make([]error, len(sent))
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for i, m := range sent {
		upd := setDue(expression.Set(expression.Name(attrMailStatus), expression.Value(string(roster.MailSent))).
			Set(expression.Name(attrMailMessageID), expression.Value(m.MessageID)).
			Set(expression.Name(attrMailSentAt), expression.Value(now)).
			Remove(expression.Name(attrSealedToken)).Remove(expression.Name(attrMailError)).
			Remove(expression.Name(attrMailNote)).Remove(expression.Name(attrMailDueAt)), schoolPK(m.SchoolID), userSK(m.Email), time.Time{})
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, errs[i] = s.updateMail(ctx, m.SchoolID, m.Email, upd, mailIs(m.SendCount, roster.MailSending), "mark sent")
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// MarkMailFailed ends a mail that can never be sent (refused by SES, an
// address or token that cannot be used), queued or claimed, with the
// reason an administrator reads; the sealed token goes.
// Errors: EINTERNAL.
func (s *Store) MarkMailFailed(ctx context.Context, schoolID, email string, sendCount int, reason string) error {
	_, err := s.updateMail(ctx, schoolID, email, failedMail(reason), mailIs(sendCount, roster.MailQueued, roster.MailSending, roster.MailDeferred), "mark mail failed")
	return err
}

// RequeueMail re-drives a waiting mail the sweeper found past its bound:
// back to queued (a new stream record, so the mailer sees it again) with a
// new bound. count says whether this is a re-drive of lost or stuck work
// (counted against roster.MaxRedrives) or a deferred mail whose time has
// come. It reports false when the mail moved on since it was found.
// Errors: EINTERNAL.
func (s *Store) RequeueMail(ctx context.Context, d roster.DueItem, count bool, now time.Time) (bool, error) {
	pk, sk := schoolPK(d.SchoolID), userSK(d.Email)
	upd := setDue(expression.Set(expression.Name(attrMailStatus), expression.Value(string(roster.MailQueued))).
		Set(expression.Name(attrMailQueuedAt), expression.Value(now)).
		Remove(expression.Name(attrMailDueAt)), pk, sk, now.Add(roster.MailRedriveAfter))
	upd = setQueued(upd, d.SchoolID, true)
	if count {
		upd = upd.Add(expression.Name(attrRedrives), expression.Value(1))
	}
	cond := mailIs(d.SendCount, roster.MailStatus(d.Status)).And(asFound(d))
	return s.updateMail(ctx, d.SchoolID, d.Email, upd, cond, "requeue mail")
}

// FailStuckMail ends a waiting mail the sweeper has re-driven too often,
// if it is still as found.
// Errors: EINTERNAL.
func (s *Store) FailStuckMail(ctx context.Context, d roster.DueItem, reason string) (bool, error) {
	cond := mailIs(d.SendCount, roster.MailStatus(d.Status)).And(asFound(d))
	return s.updateMail(ctx, d.SchoolID, d.Email, failedMail(reason), cond, "fail stuck mail")
}

type mailDayItem struct {
	Sent int `dynamodbav:"sent"`
}

// ReserveDailyMail takes up to n of a school's limit of invitations a UTC
// day (day: yyyy-mm-dd) and returns how many it got: n, fewer as the limit
// nears, or 0 once it is reached.
// Errors: EINTERNAL.
func (s *Store) ReserveDailyMail(ctx context.Context, schoolID, day string, n, limit int) (int, error) {
	k := key(schoolPK(schoolID), mailDaySK(day))
	for attempt := 0; attempt < 5 && n > 0; attempt++ {
		upd := expression.Add(expression.Name(attrSent), expression.Value(n)).Set(expression.Name(attrType), expression.Value("mailday"))
		cond := expression.AttributeNotExists(expression.Name(attrSent)).Or(expression.Name(attrSent).LessThanEqual(expression.Value(limit - n)))
		expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
		if err != nil {
			return 0, roster.Internal(err)
		}
		_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: k, UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			return n, nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return 0, roster.Internal(fmt.Errorf("reserve daily mail: %w", err))
		}
		var was mailDayItem
		if err := attributevalue.UnmarshalMap(ccf.Item, &was); err != nil {
			return 0, roster.Internal(err)
		}
		n = min(n, limit-was.Sent) // what is left, tried again: others may take it first
	}
	return max(n, 0), nil
}
