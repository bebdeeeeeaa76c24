package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/backoff"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// The users list is served from index items, one small item per user and
// facet, sorted by name (roster.SortKey). A facet is a combination of the
// list's filters: a search prefix (the first one or two letters of one of the
// user's words), a group and a status; each is optional, and no status means
// invited or active. A page is one Query of the facet that matches the
// filters, then one BatchGetItem of the page's users, so a page reads about
// twice as many items as it shows, whatever the school's size. Searches
// longer than the prefix filter the facet's items on their words.
//
// The indexer keeps index items in step with user items from the table
// stream (Reindex), so the list lags a change by the stream's delay; every
// page is checked against the users as they are now.

// prefixLengths are the lengths of the search prefixes indexed.
var prefixLengths = []int{1, 2}

type userIndexItem struct {
	PK    string `dynamodbav:"PK"`
	SK    string `dynamodbav:"SK"`
	Type  string `dynamodbav:"type"`
	Email string `dynamodbav:"email"`
	Words string `dynamodbav:"words"`
}

type indexKey struct{ pk, sk string }

// userIndexItems are the index items of m, by key.
func userIndexItems(m roster.Member) map[indexKey]userIndexItem {
	words := roster.SearchWords(m.FirstName, m.LastName, m.Email)
	prefixes := map[string]bool{"": true}
	for _, w := range words[:len(words)-1] { // the whole email starts as its first word does
		for _, n := range prefixLengths {
			if utf8.RuneCountInString(w) >= n {
				prefixes[string([]rune(w)[:n])] = true
			}
		}
	}
	groups := append([]string{""}, m.Groups...)
	statuses := []roster.UserStatus{"", m.Status}
	if m.Status == roster.StatusRemoved {
		statuses = []roster.UserStatus{m.Status} // not in the default (current) list
	}
	sk := roster.SortKey(m.FirstName, m.LastName, m.Email)
	item := userIndexItem{SK: sk, Type: typeUserIndex, Email: m.Email, Words: " " + strings.Join(words, " ")}
	out := map[indexKey]userIndexItem{}
	for p := range prefixes {
		for _, g := range groups {
			for _, st := range statuses {
				item.PK = userIndexPK(m.SchoolID, facet(p, g, st))
				out[indexKey{item.PK, sk}] = item
			}
		}
	}
	return out
}

// Reindex brings a user's index items from what before had to what after
// has (either nil: a new or deleted user). Writing the same change twice
// changes nothing, so a redelivered stream record is harmless.
// Errors: EINTERNAL after retrying unprocessed writes.
func (s *Store) Reindex(ctx context.Context, before, after *roster.Member) error {
	var old, cur map[indexKey]userIndexItem
	if before != nil {
		old = userIndexItems(*before)
	}
	if after != nil {
		cur = userIndexItems(*after)
	}
	var writes []types.WriteRequest
	for k := range old {
		if _, ok := cur[k]; !ok {
			writes = append(writes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(k.pk, k.sk)}})
		}
	}
	for k, it := range cur {
		if was, ok := old[k]; ok && was == it {
			continue
		}
		item, err := attributevalue.MarshalMap(it)
		if err != nil {
			return roster.Internal(err)
		}
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	return s.batchWrite(ctx, s.indexTable, writes)
}

// batchWrite writes to table in batches of 25, retrying unprocessed items
// with backoff.
func (s *Store) batchWrite(ctx context.Context, table string, writes []types.WriteRequest) error {
	for len(writes) > 0 {
		n := min(len(writes), 25)
		req := map[string][]types.WriteRequest{table: writes[:n]}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 0 {
				if attempt > 8 {
					return roster.Internal(errors.New("batch write: items still unprocessed after 8 retries"))
				}
				if err := backoff.Sleep(ctx, backoff.Exponential(attempt, 50*time.Millisecond, 5*time.Second)); err != nil {
					return err
				}
			}
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
			if err != nil {
				return roster.Internal(fmt.Errorf("batch write: %w", err))
			}
			req = out.UnprocessedItems
		}
		writes = writes[n:]
	}
	return nil
}

// maxIndexReads bounds the index items one page reads when a long search
// filters most of a facet away; the page then ends early with a cursor.
const maxIndexReads = 2000

// ListUsers returns a page of the users list, sorted by name.
// Errors: EINTERNAL.
func (s *Store) ListUsers(ctx context.Context, q app.UserQuery) (app.UserPage, error) {
	prefix := ""
	if len(q.Search) > 0 {
		// The facet of the first word's first letters; an email searched
		// whole is indexed under its local part's first word.
		if words := strings.Fields(roster.Fold(q.Search[0])); len(words) > 0 {
			r := []rune(words[0])
			prefix = string(r[:min(len(r), prefixLengths[len(prefixLengths)-1])])
		}
	}
	kc := expression.Key(attrPK).Equal(expression.Value(userIndexPK(q.SchoolID, facet(prefix, q.GroupID, q.Status))))
	b := expression.NewBuilder().WithKeyCondition(kc)
	if filter, ok := wordsFilter(q.Search, prefix); ok {
		b = b.WithFilter(filter)
	}
	expr, err := b.Build()
	if err != nil {
		return app.UserPage{}, roster.Internal(err)
	}
	in := &dynamodb.QueryInput{
		TableName: &s.indexTable, KeyConditionExpression: expr.KeyCondition(), FilterExpression: expr.Filter(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		Limit: aws.Int32(int32(q.Limit)), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
	if q.After != "" {
		in.ExclusiveStartKey = key(userIndexPK(q.SchoolID, facet(prefix, q.GroupID, q.Status)), q.After)
	}
	var page app.UserPage
	var entries []userIndexItem
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return app.UserPage{}, roster.Internal(fmt.Errorf("query users list: %w", err))
		}
		page.ItemsRead += int(out.ScannedCount)
		page.Capacity += capacity(out.ConsumedCapacity)
		var items []userIndexItem
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
			return app.UserPage{}, roster.Internal(fmt.Errorf("decode users list: %w", err))
		}
		for _, it := range items {
			if len(entries) < q.Limit {
				entries = append(entries, it)
			}
		}
		if len(entries) == q.Limit {
			if out.LastEvaluatedKey != nil {
				page.Next = entries[len(entries)-1].SK // there may be more after it
			}
			break
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		if page.ItemsRead >= maxIndexReads {
			page.Next = lastSK(out.LastEvaluatedKey)
			break
		}
		in.Limit = aws.Int32(int32(q.Limit - len(entries)))
	}
	emails := make([]string, len(entries))
	for i, e := range entries {
		emails[i] = e.Email
	}
	users := map[string]roster.Member{}
	stats, err := s.batchGet(ctx, q.SchoolID, userSKs(emails), false, "", nil, func(item map[string]types.AttributeValue) {
		var it userItem
		if attributevalue.UnmarshalMap(item, &it) == nil {
			users[it.Email] = it.member()
		}
	})
	if err != nil {
		return app.UserPage{}, err
	}
	page.ItemsRead += stats.items
	page.Capacity += stats.capacity
	for _, e := range entries {
		if m, ok := users[e.Email]; ok && matches(m, q) {
			page.Members = append(page.Members, m)
		}
	}
	return page, nil
}

// wordsFilter keeps the index items whose words start with each search word,
// when the prefix of the facet does not say it all.
func wordsFilter(search roster.SearchQuery, prefix string) (expression.ConditionBuilder, bool) {
	var conds []expression.ConditionBuilder
	for i, w := range search {
		if i == 0 && w == prefix {
			continue
		}
		conds = append(conds, expression.Name(attrWords).Contains(" "+w))
	}
	switch len(conds) {
	case 0:
		return expression.ConditionBuilder{}, false
	case 1:
		return conds[0], true
	}
	return expression.And(conds[0], conds[1], conds[2:]...), true
}

// matches checks a user as it is now against the query its index item
// answered: an item the indexer has not caught up with is left out.
func matches(m roster.Member, q app.UserQuery) bool {
	switch {
	case q.Status == "" && m.Status == roster.StatusRemoved, q.Status != "" && m.Status != q.Status:
		return false
	case q.GroupID != "" && !contains(m.Groups, q.GroupID):
		return false
	}
	return q.Search.Matches(roster.SearchWords(m.FirstName, m.LastName, m.Email))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func capacity(c *types.ConsumedCapacity) float64 {
	if c == nil || c.CapacityUnits == nil {
		return 0
	}
	return *c.CapacityUnits
}
