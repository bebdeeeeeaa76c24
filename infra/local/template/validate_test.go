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
		{
			name: "Schedule event with a bad rate, an unknown property and Input that is not JSON",
			resources: `
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Events:
        Tick: { Type: Schedule, Properties: { Schedule: rate(1 minutes), Input: "{", Cron: x } }
`,
			want: `Fn.Events.Tick: Input is not JSON text; Fn.Events.Tick: Schedule events have no property Cron; Fn.Events.Tick: schedule "rate(1 minutes)": the unit must be`,
		},
		{
			name: "Schedule event without a schedule",
			resources: `
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Events:
        Tick: { Type: Schedule, Properties: { Enabled: yes please } }
`,
			want: `Fn.Events.Tick: Enabled is yes please, not true or false; Fn.Events.Tick: a Schedule event needs a Schedule`,
		},
		{
			name: "unknown conditions",
			resources: `
  Fn:
    Type: AWS::Serverless::Function
    Condition: Nope
    Properties:
      CodeUri: .
      MemorySize: !If [AlsoNope, 256, 128]
`,
			want: "Fn: Condition Nope is not in Conditions; Fn: condition AlsoNope is not in Conditions",
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

// TestValidateAccepts is what SAM accepts and the checks must not refuse.
func TestValidateAccepts(t *testing.T) {
	const head = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: { Type: String, Default: dev }
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
Resources:
`
	tests := []struct{ name, resources string }{
		{"a Schedule event with every property", `
  Sweeper:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Events:
        Every5:
          Type: Schedule
          Properties:
            Schedule: rate(5 minutes)
            Enabled: true
            Name: !Sub "${AWS::StackName}-sweep"
            Description: Re-drives stuck work.
            Input: '{"mode": "sweep"}'
`},
		{"rate(1 minute), hours, days and cron", `
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Events:
        A: { Type: Schedule, Properties: { Schedule: rate(1 minute) } }
        B: { Type: Schedule, Properties: { Schedule: rate(2 hours), Enabled: false } }
        C: { Type: Schedule, Properties: { Schedule: rate(1 day) } }
        D: { Type: Schedule, Properties: { Schedule: "cron(0 3 * * ? *)" } }
`},
		{"ReservedConcurrentExecutions and a Condition on a function", `
  Fn:
    Type: AWS::Serverless::Function
    Condition: NotProd
    Properties:
      CodeUri: .
      ReservedConcurrentExecutions: 1
      MemorySize: !If [IsProd, 512, !Ref AWS::NoValue]
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := ParseTemplate([]byte(head + tt.resources))
			if err != nil {
				t.Fatal(err)
			}
			if err := tmpl.Validate("."); err != nil {
				t.Error(err)
			}
		})
	}
}
