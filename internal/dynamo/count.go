package dynamo

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Counter wraps the client and counts requests, for the functions' metrics
// (write requests per imported row, reads per preview).
type Counter struct {
	API
	Writes atomic.Int64 // PutItem, UpdateItem, DeleteItem, TransactWriteItems, BatchWriteItem requests
	Reads  atomic.Int64 // GetItem, Query, BatchGetItem requests
}

var _ API = (*Counter)(nil)

// Count returns api with request counters.
func Count(api API) *Counter { return &Counter{API: api} }

func (c *Counter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.Writes.Add(1)
	return c.API.PutItem(ctx, in, o...)
}

func (c *Counter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.Writes.Add(1)
	return c.API.UpdateItem(ctx, in, o...)
}

func (c *Counter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.Writes.Add(1)
	return c.API.TransactWriteItems(ctx, in, o...)
}

func (c *Counter) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.Writes.Add(1)
	return c.API.BatchWriteItem(ctx, in, o...)
}

func (c *Counter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.Writes.Add(1)
	return c.API.DeleteItem(ctx, in, o...)
}

func (c *Counter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.Reads.Add(1)
	return c.API.GetItem(ctx, in, o...)
}

func (c *Counter) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.Reads.Add(1)
	return c.API.Query(ctx, in, o...)
}

func (c *Counter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.Reads.Add(1)
	return c.API.BatchGetItem(ctx, in, o...)
}
