package template

import (
	"strings"
	"testing"
)

func TestValidateFindsProblems(t *testing.T) {
	const head = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Name: { Type: String }
Resources:
`
	tests := []struct {
		name, resources, want string
	}{
		{
			name: "bucket policy Ref closes a cycle through the S3 event",
			resources: `
  Bucket:
    Type: AWS::S3::Bucket
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Policies:
        - S3ReadPolicy: { BucketName: !Ref Bucket }
      Events:
        Up: { Type: S3, Properties: { Bucket: !Ref Bucket, Events: "s3:ObjectCreated:*" } }
`,
			want: "circular dependency: Bucket -> Fn -> Bucket",
		},
		{
			name: "function refers to its own API",
			resources: `
  Api:
    Type: AWS::Serverless::HttpApi
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Environment: { Variables: { URL: !Sub "https://${Api}.example" } }
      Events:
        Get: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /x, Method: GET } }
`,
			want: "circular dependency: Api -> Fn -> Api",
		},
		{
			name: "unknown Ref",
			resources: `
  Queue:
    Type: AWS::SQS::Queue
    Properties: { QueueName: !Ref Nope }
`,
			want: "Queue: Ref Nope names nothing in the template",
		},
		{
			name: "unknown GetAtt and Sub",
			resources: `
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${Name}-${Missing.Arn}-${AWS::Region}-${!Literal}"
      Tags: [{ Key: k, Value: !GetAtt Ghost.Arn }]
`,
			want: "Queue: GetAtt Ghost names no resource; Queue: Sub ${Missing.Arn} names no resource",
		},
		{
			name: "missing CodeUri folder and build target",
			resources: `
  Fn:
    Type: AWS::Serverless::Function
    Properties: { CodeUri: no/such/dir }
  Made:
    Type: AWS::Serverless::Function
    Metadata: { BuildMethod: makefile }
    Properties: { CodeUri: testdata }
`,
			want: `Fn: CodeUri "no/such/dir" is not a folder; Made: make has no target build-Made in testdata`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := ParseTemplate([]byte(head + tt.resources))
			if err != nil {
				t.Fatal(err)
			}
			err = tmpl.Validate(".")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
