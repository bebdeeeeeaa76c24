package local

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// provision creates the tables, buckets and email templates the template
// declares, leaving ones that already exist (a persistent make run) as they are.
func (s *Stack) provision(ctx context.Context) error {
	for _, id := range sortedKeys(s.Template.Resources) {
		res := s.Template.Resources[id]
		var err error
		switch res.Type {
		case "AWS::DynamoDB::Table":
			err = s.createTable(ctx, id, res)
		case "AWS::S3::Bucket":
			err = s.createBucket(ctx, id, res)
		case "AWS::SES::Template":
			err = s.createEmailTemplate(ctx, id, res)
		}
		if err != nil {
			return fmt.Errorf("create %s: %w", id, err)
		}
	}
	return nil
}

// decodeInto resolves v and decodes it into out through JSON, so template
// properties map onto SDK input shapes by name.
func (s *Stack) decodeInto(v any, out any) error {
	rv, err := s.resolver.Resolve(v)
	if err != nil {
		return err
	}
	b, err := json.Marshal(rv)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func (s *Stack) createTable(ctx context.Context, id string, res Resource) error {
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
	if err := s.decodeInto(res.Properties, &p); err != nil {
		return err
	}
	name := s.Tables[id]
	keys := func(ks []struct{ AttributeName, KeyType string }) []ddbtypes.KeySchemaElement {
		var out []ddbtypes.KeySchemaElement
		for _, k := range ks {
			out = append(out, ddbtypes.KeySchemaElement{AttributeName: ptr(k.AttributeName), KeyType: ddbtypes.KeyType(k.KeyType)})
		}
		return out
	}
	in := &dynamodb.CreateTableInput{TableName: &name, KeySchema: keys(p.KeySchema), BillingMode: ddbtypes.BillingModePayPerRequest}
	for _, a := range p.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: ptr(a.AttributeName), AttributeType: ddbtypes.ScalarAttributeType(a.AttributeType)})
	}
	for _, g := range p.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndex{
			IndexName: ptr(g.IndexName), KeySchema: keys(g.KeySchema),
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(g.Projection.ProjectionType), NonKeyAttributes: g.Projection.NonKeyAttributes},
		})
	}
	if p.StreamSpecification != nil {
		in.StreamSpecification = &ddbtypes.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: ddbtypes.StreamViewType(p.StreamSpecification.StreamViewType)}
	}
	_, err := s.DynamoDB.CreateTable(ctx, in)
	var inUse *ddbtypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return err
	}
	out, err := s.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
	if err != nil {
		return err
	}
	if arn := out.Table.LatestStreamArn; arn != nil {
		s.resolver.Attrs[id]["StreamArn"] = *arn
	}
	return nil
}

func (s *Stack) createBucket(ctx context.Context, id string, res Resource) error {
	name := s.Buckets[id]
	_, err := s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name})
	var owned *s3types.BucketAlreadyOwnedByYou
	var exists *s3types.BucketAlreadyExists
	switch {
	case errors.As(err, &owned):
	case errors.As(err, &exists):
		// The S3 gateway says "exists" for its own buckets too; ours if we can read it.
		if _, herr := s.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &name}); herr != nil {
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
	if err := s.decodeInto(res.Properties, &p); err != nil {
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
	_, err = s.S3.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: &name, CORSConfiguration: &s3types.CORSConfiguration{CORSRules: rules}})
	return err
}

func (s *Stack) createEmailTemplate(ctx context.Context, id string, res Resource) error {
	var p struct {
		Template struct{ TemplateName, SubjectPart, TextPart, HtmlPart string }
	}
	if err := s.decodeInto(res.Properties, &p); err != nil {
		return err
	}
	content := &sestypes.EmailTemplateContent{Subject: &p.Template.SubjectPart, Text: &p.Template.TextPart, Html: &p.Template.HtmlPart}
	name := s.EmailTemplates[id]
	_, err := s.SES.CreateEmailTemplate(ctx, &sesv2.CreateEmailTemplateInput{TemplateName: &name, TemplateContent: content})
	var exists *sestypes.AlreadyExistsException
	if errors.As(err, &exists) {
		_, err = s.SES.UpdateEmailTemplate(ctx, &sesv2.UpdateEmailTemplateInput{TemplateName: &name, TemplateContent: content})
	}
	return err
}

// s3Subscriptions reads the functions' S3 events.
func (s *Stack) s3Subscriptions() ([]s3Subscription, error) {
	var subs []s3Subscription
	for _, id := range s.Template.FunctionIDs() {
		for _, ev := range s.Template.Events(id) {
			if ev.Type != "S3" {
				continue
			}
			var p struct {
				Bucket string
				Events any
				Filter struct {
					S3Key struct {
						Rules []struct{ Name, Value string }
					}
				}
			}
			if err := s.decodeInto(ev.Properties, &p); err != nil {
				return nil, fmt.Errorf("%s event %s: %w", id, ev.Name, err)
			}
			sub := s3Subscription{function: id, bucket: p.Bucket}
			switch e := p.Events.(type) {
			case string:
				sub.events = []string{e}
			case []any:
				for _, x := range e {
					sub.events = append(sub.events, fmt.Sprint(x))
				}
			}
			for _, r := range p.Filter.S3Key.Rules {
				switch strings.ToLower(r.Name) {
				case "prefix":
					sub.prefix = r.Value
				case "suffix":
					sub.suffix = r.Value
				}
			}
			subs = append(subs, sub)
		}
	}
	return subs, nil
}

// startAPI serves every HttpApi event of every function on one port.
func (s *Stack) startAPI() error {
	g := &gateway{invoke: s.invoke, signer: s.Signer, region: localRegion, account: localAccount}
	authorizers := map[string]map[string]*jwtAuthorizer{} // api id -> authorizer name -> authorizer
	defaults := map[string]string{}
	for _, id := range sortedKeys(s.Template.Resources) {
		res := s.Template.Resources[id]
		if res.Type != "AWS::Serverless::HttpApi" {
			continue
		}
		var p struct {
			Auth struct {
				DefaultAuthorizer string
				Authorizers       map[string]struct {
					JwtConfiguration struct {
						Issuer   string   `json:"issuer"`
						Audience []string `json:"audience"`
					}
				}
			}
			CorsConfiguration *struct {
				AllowOrigins, AllowHeaders, AllowMethods []string
				MaxAge                                   int
			}
		}
		if err := s.decodeInto(res.Properties, &p); err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		authorizers[id] = map[string]*jwtAuthorizer{}
		for name, a := range p.Auth.Authorizers {
			authorizers[id][name] = &jwtAuthorizer{issuer: a.JwtConfiguration.Issuer, audiences: a.JwtConfiguration.Audience,
				keys: s.signerKeys()}
		}
		defaults[id] = p.Auth.DefaultAuthorizer
		if c := p.CorsConfiguration; c != nil {
			g.cors = corsConfig{origins: c.AllowOrigins, headers: c.AllowHeaders, methods: c.AllowMethods, maxAge: c.MaxAge}
		}
	}
	for _, fn := range s.Template.FunctionIDs() {
		for _, ev := range s.Template.Events(fn) {
			if ev.Type != "HttpApi" {
				continue
			}
			api := "ServerlessHttpApi"
			if ref, ok := asMap(ev.Properties["ApiId"])["Ref"].(string); ok {
				api = ref
			}
			path, _ := ev.Properties["Path"].(string)
			method, _ := ev.Properties["Method"].(string)
			method = strings.ToUpper(method)
			if method == "" {
				method = "ANY"
			}
			authName := defaults[api]
			if a, ok := asMap(ev.Properties["Auth"])["Authorizer"].(string); ok {
				authName = a
			}
			rt := route{method: method, path: path, key: method + " " + path, function: fn,
				segments: strings.Split(strings.Trim(path, "/"), "/")}
			if authName != "" && authName != "NONE" {
				a, ok := authorizers[api][authName]
				if !ok {
					return fmt.Errorf("%s event %s: no authorizer %s on %s", fn, ev.Name, authName, api)
				}
				rt.auth = a
			}
			g.routes = append(g.routes, rt)
		}
	}
	sortRoutes(g.routes)
	if s.opts.Ports.API == 0 {
		p, err := freePort()
		if err != nil {
			return err
		}
		s.opts.Ports.API = p
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(s.opts.Ports.API))
	if err != nil {
		return fmt.Errorf("HTTP API port: %w", err)
	}
	s.APIURL = "http://" + ln.Addr().String()
	s.serve(ln, g)
	return nil
}

func (s *Stack) signerKeys() map[string]*rsa.PublicKey {
	return map[string]*rsa.PublicKey{s.Signer.kid: &s.Signer.key.PublicKey}
}

// startStreams starts a poller for every DynamoDB event of every function.
func (s *Stack) startStreams(ctx context.Context) error {
	for _, fn := range s.Template.FunctionIDs() {
		for _, ev := range s.Template.Events(fn) {
			if ev.Type != "DynamoDB" {
				continue
			}
			m, err := s.streamMapping(fn, ev)
			if err != nil {
				return err
			}
			p := &streamPoller{m: m, client: s.Streams, invoke: s.invoke, region: localRegion, log: s.log,
				poll: s.opts.StreamPoll, backoff: s.opts.RetryBackoff, stateDir: s.opts.StateDir}
			if !s.opts.Persist {
				p.stateDir = s.opts.StateDir // dead letters still land in the state dir
			}
			s.pollers = append(s.pollers, p)
			s.wg.Add(1)
			go func() { defer s.wg.Done(); p.run(ctx) }()
		}
	}
	return nil
}

func (s *Stack) streamMapping(fn string, ev Event) (streamMapping, error) {
	var p struct {
		StartingPosition           string
		BatchSize                  *int
		BisectBatchOnFunctionError bool
		MaximumRetryAttempts       *int
		FunctionResponseTypes      []string
		DestinationConfig          struct{ OnFailure struct{ Destination string } }
		FilterCriteria             struct{ Filters []struct{ Pattern string } }
	}
	if err := s.decodeInto(withoutKey(ev.Properties, "Stream"), &p); err != nil {
		return streamMapping{}, fmt.Errorf("%s event %s: %w", fn, ev.Name, err)
	}
	// The stream is named by GetAtt Table.StreamArn; read it after the table exists.
	arn, err := s.resolver.ResolveString(ev.Properties["Stream"])
	if err != nil {
		return streamMapping{}, fmt.Errorf("%s event %s: %w", fn, ev.Name, err)
	}
	m := streamMapping{function: fn, event: ev.Name, streamARN: arn, startingPosition: p.StartingPosition,
		batchSize: 100, bisect: p.BisectBatchOnFunctionError, maxRetries: -1, destination: p.DestinationConfig.OnFailure.Destination}
	if p.BatchSize != nil {
		m.batchSize = *p.BatchSize
	}
	if p.MaximumRetryAttempts != nil {
		m.maxRetries = *p.MaximumRetryAttempts
	}
	for _, t := range p.FunctionResponseTypes {
		m.reportItemFailures = m.reportItemFailures || t == "ReportBatchItemFailures"
	}
	for _, f := range p.FilterCriteria.Filters {
		c, err := CompileFilter(f.Pattern)
		if err != nil {
			return streamMapping{}, fmt.Errorf("%s event %s: %w", fn, ev.Name, err)
		}
		m.filters = append(m.filters, c)
	}
	return m, nil
}

func withoutKey(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}
