package emulators

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/schoolroster/rosterimport/infra/local/template"
	"github.com/schoolroster/rosterimport/internal/backoff"
)

// Provision creates the tables, buckets and email templates t declares,
// leaving ones that already exist (a persistent make run) as they are. Each
// gets its local name, its Ref in r; r resolves the properties and learns
// each table's StreamArn.
func Provision(ctx context.Context, c Clients, t *template.Template, r *template.Resolver) error {
	pr := provisioner{Clients: c, r: r}
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		res := t.Resources[id]
		var err error
		switch res.Type {
		case "AWS::DynamoDB::Table":
			err = pr.createTable(ctx, id, res)
		case "AWS::S3::Bucket":
			err = pr.createBucket(ctx, id, res)
		case "AWS::SES::Template":
			err = pr.createEmailTemplate(ctx, id, res)
		}
		if err != nil {
			return fmt.Errorf("create %s: %w", id, err)
		}
	}
	return nil
}

// provisioner creates resources with the clients; r names them and resolves
// their properties.
type provisioner struct {
	Clients
	r *template.Resolver
}

func (pr provisioner) createTable(ctx context.Context, id string, res template.Resource) error {
	var p struct {
		AttributeDefinitions   []struct{ AttributeName, AttributeType string }
		KeySchema              []struct{ AttributeName, KeyType string }
		GlobalSecondaryIndexes []struct {
			IndexName  string
			KeySchema  []struct{ AttributeName, KeyType string }
			Projection struct {
				ProjectionType   string
				NonKeyAttributes []string
			}
		}
		StreamSpecification *struct{ StreamViewType string }
	}
	if err := pr.r.Decode(res.Properties, &p); err != nil {
		return err
	}
	name := pr.r.Refs[id]
	keys := func(ks []struct{ AttributeName, KeyType string }) []ddbtypes.KeySchemaElement {
		var out []ddbtypes.KeySchemaElement
		for _, k := range ks {
			out = append(out, ddbtypes.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: ddbtypes.KeyType(k.KeyType)})
		}
		return out
	}
	in := &dynamodb.CreateTableInput{TableName: &name, KeySchema: keys(p.KeySchema), BillingMode: ddbtypes.BillingModePayPerRequest}
	for _, a := range p.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String(a.AttributeName), AttributeType: ddbtypes.ScalarAttributeType(a.AttributeType)})
	}
	for _, g := range p.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName), KeySchema: keys(g.KeySchema),
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(g.Projection.ProjectionType), NonKeyAttributes: g.Projection.NonKeyAttributes},
		})
	}
	if p.StreamSpecification != nil {
		in.StreamSpecification = &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewType(p.StreamSpecification.StreamViewType)}
	}
	_, err := pr.DynamoDB.CreateTable(ctx, in)
	var inUse *ddbtypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return err
	}
	out, err := pr.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
	if err != nil {
		return err
	}
	if err := pr.addIndexes(ctx, in, out.Table); err != nil {
		return err
	}
	if arn := out.Table.LatestStreamArn; arn != nil {
		pr.r.Attrs[id]["StreamArn"] = *arn
	}
	return nil
}

// addIndexes adds to a table kept from an earlier run (make run's) the
// global secondary indexes the template has gained since, one at a time, as
// a stack update would; DynamoDB Local fills them from the items.
func (pr provisioner) addIndexes(ctx context.Context, want *dynamodb.CreateTableInput, have *ddbtypes.TableDescription) error {
	existing := map[string]bool{}
	for _, g := range have.GlobalSecondaryIndexes {
		existing[aws.ToString(g.IndexName)] = true
	}
	for _, g := range want.GlobalSecondaryIndexes {
		if existing[aws.ToString(g.IndexName)] {
			continue
		}
		_, err := pr.DynamoDB.UpdateTable(ctx, &dynamodb.UpdateTableInput{
			TableName: want.TableName, AttributeDefinitions: want.AttributeDefinitions,
			GlobalSecondaryIndexUpdates: []ddbtypes.GlobalSecondaryIndexUpdate{{Create: &ddbtypes.CreateGlobalSecondaryIndexAction{
				IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection,
			}}},
		})
		if err != nil {
			return fmt.Errorf("table %s: add index %s: %w", aws.ToString(want.TableName), aws.ToString(g.IndexName), err)
		}
		if err := pr.waitIndex(ctx, want.TableName, g.IndexName); err != nil {
			return err
		}
	}
	return nil
}

// waitIndex waits until a new index is ACTIVE, so no function queries it
// while it is being filled.
func (pr provisioner) waitIndex(ctx context.Context, table, index *string) error {
	for range 600 {
		out, err := pr.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: table})
		if err != nil {
			return err
		}
		for _, g := range out.Table.GlobalSecondaryIndexes {
			if aws.ToString(g.IndexName) == aws.ToString(index) && g.IndexStatus == ddbtypes.IndexStatusActive {
				return nil
			}
		}
		if err := backoff.Sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("table %s: index %s did not become active in a minute", aws.ToString(table), aws.ToString(index))
}

func (pr provisioner) createBucket(ctx context.Context, id string, res template.Resource) error {
	name := pr.r.Refs[id]
	_, err := pr.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name})
	var owned *s3types.BucketAlreadyOwnedByYou
	var exists *s3types.BucketAlreadyExists
	switch {
	case errors.As(err, &owned):
	case errors.As(err, &exists):
		// The S3 gateway says "exists" for its own buckets too; ours if we can read it.
		if _, herr := pr.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &name}); herr != nil {
			return err
		}
	case err != nil:
		return err
	}
	var p struct {
		CorsConfiguration *struct {
			CorsRules []struct {
				AllowedOrigins, AllowedMethods, AllowedHeaders, ExposedHeaders []string
				MaxAge                                                         *int32
			}
		}
	}
	if err := pr.r.Decode(res.Properties, &p); err != nil {
		return err
	}
	if p.CorsConfiguration == nil {
		return nil
	}
	var rules []s3types.CORSRule
	for _, r := range p.CorsConfiguration.CorsRules {
		rules = append(rules, s3types.CORSRule{AllowedOrigins: r.AllowedOrigins, AllowedMethods: r.AllowedMethods,
			AllowedHeaders: r.AllowedHeaders, ExposeHeaders: r.ExposedHeaders, MaxAgeSeconds: r.MaxAge})
	}
	_, err = pr.S3.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: &name, CORSConfiguration: &s3types.CORSConfiguration{CORSRules: rules}})
	return err
}

func (pr provisioner) createEmailTemplate(ctx context.Context, id string, res template.Resource) error {
	var p struct {
		Template struct{ TemplateName, SubjectPart, TextPart, HtmlPart string }
	}
	if err := pr.r.Decode(res.Properties, &p); err != nil {
		return err
	}
	content := &sestypes.EmailTemplateContent{Subject: &p.Template.SubjectPart, Text: &p.Template.TextPart, Html: &p.Template.HtmlPart}
	name := pr.r.Refs[id]
	_, err := pr.SES.CreateEmailTemplate(ctx, &sesv2.CreateEmailTemplateInput{TemplateName: &name, TemplateContent: content})
	var exists *sestypes.AlreadyExistsException
	if errors.As(err, &exists) {
		_, err = pr.SES.UpdateEmailTemplate(ctx, &sesv2.UpdateEmailTemplateInput{TemplateName: &name, TemplateContent: content})
	}
	return err
}
