package local

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/schoolroster/rosterimport/infra/local/gateway"
	"github.com/schoolroster/rosterimport/infra/local/template"
)

// names resolves parameters and the local names of resources.
func (s *Stack) names() error {
	params := map[string]string{}
	for name, p := range s.Template.Parameters {
		if d, ok := p["Default"]; ok {
			params[name] = fmt.Sprint(d)
		}
	}
	// The local provider, never a Cognito user pool (CreateUserPool is false).
	params["JwtIssuer"], params["JwtAudience"] = s.OIDCURL, gateway.LocalAudience
	// The console is served on the API's origin, as on AWS by default; the
	// template's default ("" for the API's own URL) would name the deployed
	// API's URL, which Ref HttpApi cannot give locally.
	for _, p := range []string{"AppBaseUrl", "ConsoleOrigin"} {
		if _, declared := s.Template.Parameters[p]; declared && s.APIURL != "" {
			params[p] = s.APIURL
		}
	}
	for k, v := range s.opts.Params {
		params[k] = v
	}
	for name := range s.Template.Parameters {
		if _, ok := params[name]; !ok {
			return fmt.Errorf("template parameter %s has no default and no local value", name)
		}
	}
	r := template.NewResolver(s.Template, params, map[string]string{
		"AWS::StackName": s.opts.StackName, "AWS::Region": localRegion, "AWS::AccountId": localAccount,
		"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
	})
	s.resolver = r
	// Resources whose Condition does not hold locally do not exist.
	for _, id := range slices.Sorted(maps.Keys(s.Template.Resources)) {
		exists, err := r.Exists(id)
		if err != nil {
			return fmt.Errorf("resource %s: %w", id, err)
		}
		if !exists {
			delete(s.Template.Resources, id)
		}
	}
	s.Tables, s.Buckets, s.EmailTemplates = map[string]string{}, map[string]string{}, map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(s.Template.Resources)) {
		res := s.Template.Resources[id]
		name := id
		var nameProp any
		switch res.Type {
		case "AWS::DynamoDB::Table":
			nameProp = res.Properties["TableName"]
		case "AWS::S3::Bucket":
			nameProp = res.Properties["BucketName"]
			name = strings.ToLower(s.opts.StackName + "-" + id)
		case "AWS::SES::Template":
			nameProp = template.AsMap(res.Properties["Template"])["TemplateName"]
		case "AWS::Serverless::Function":
			nameProp = res.Properties["FunctionName"]
		case "AWS::SQS::Queue":
			nameProp = res.Properties["QueueName"]
		case "AWS::SecretsManager::Secret":
			nameProp = res.Properties["Name"]
			name = s.opts.StackName + "-" + id
		}
		if nameProp != nil {
			n, err := r.ResolveString(nameProp)
			if err != nil {
				return fmt.Errorf("name of %s: %w", id, err)
			}
			name = n
		}
		r.Refs[id] = name
		attrs := map[string]string{}
		switch res.Type {
		case "AWS::DynamoDB::Table":
			s.Tables[id] = name
			attrs["Arn"] = fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", localRegion, localAccount, name)
		case "AWS::S3::Bucket":
			s.Buckets[id] = name
			attrs["Arn"] = "arn:aws:s3:::" + name
			attrs["DomainName"] = name + ".s3.amazonaws.com"
		case "AWS::SES::Template":
			s.EmailTemplates[id] = name
		case "AWS::SQS::Queue":
			attrs["Arn"] = fmt.Sprintf("arn:aws:sqs:%s:%s:%s", localRegion, localAccount, name)
			attrs["QueueName"] = name
			r.Refs[id] = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", localRegion, localAccount, name)
		case "AWS::Serverless::Function":
			attrs["Arn"] = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", localRegion, localAccount, name)
		case "AWS::SecretsManager::Secret":
			r.Refs[id] = fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s", localRegion, localAccount, name)
		}
		r.Attrs[id] = attrs
	}
	return nil
}
