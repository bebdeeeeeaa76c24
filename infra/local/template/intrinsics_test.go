package template

import "testing"

func TestConditions(t *testing.T) {
	tmpl, err := ParseTemplate([]byte(`
Parameters:
  Stage: { Type: String }
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Equals [dev, !Ref Stage]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Condition NotProd]
  Either: !Or [!Condition IsProd, !Equals [!Ref "AWS::Region", us-east-1]]
  Loop: !Not [!Condition Loop]
Resources:
  Always: { Type: AWS::SQS::Queue, Properties: { DelaySeconds: !If [IsProd, 5, !Ref AWS::NoValue], Tags: [!If [IsDev, {Key: a, Value: b}, !Ref AWS::NoValue]] } }
  ProdOnly: { Type: AWS::SQS::Queue, Condition: IsProd }
`))
	if err != nil {
		t.Fatal(err)
	}
	r := NewResolver(tmpl, map[string]string{"Stage": "dev"}, map[string]string{"AWS::Region": "eu-west-1"})
	for name, want := range map[string]bool{"IsProd": false, "IsDev": true, "NotProd": true, "Both": true, "Either": false} {
		if got, err := r.Condition(name); err != nil || got != want {
			t.Errorf("Condition(%s) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, name := range []string{"Loop", "Missing"} {
		if _, err := r.Condition(name); err == nil {
			t.Errorf("Condition(%s) has no error", name)
		}
	}
	if ok, err := r.Exists("ProdOnly"); ok || err != nil {
		t.Errorf("Exists(ProdOnly) = %v, %v in dev", ok, err)
	}
	if ok, err := r.Exists("Always"); !ok || err != nil {
		t.Errorf("Exists(Always) = %v, %v", ok, err)
	}
	props, err := r.Resolve(tmpl.Resources["Always"].Properties)
	if err != nil {
		t.Fatal(err)
	}
	m := props.(map[string]any)
	if _, ok := m["DelaySeconds"]; ok {
		t.Errorf("AWS::NoValue kept the key: %v", m)
	}
	if tags := m["Tags"].([]any); len(tags) != 1 {
		t.Errorf("Tags = %v, want the dev tag", tags)
	}
}

func TestSelectAndSplit(t *testing.T) {
	tp, err := ParseTemplate([]byte(`
Parameters:
  Sender: { Type: String }
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub
        - "identity/${Domain}"
        - Domain: !Select [1, !Split ["@", !Ref Sender]]
`))
	if err != nil {
		t.Fatal(err)
	}
	r := NewResolver(tp, map[string]string{"Sender": "no-reply@example.com"}, nil)
	got, err := r.ResolveString(tp.Resources["Q"].Properties["QueueName"])
	if err != nil || got != "identity/example.com" {
		t.Errorf("Sub with Select and Split = %q, %v", got, err)
	}
	bad := map[string]any{"Fn::Select": []any{5, map[string]any{"Fn::Split": []any{"@", "a@b"}}}}
	if _, err := r.Resolve(bad); err == nil {
		t.Error("Select out of range resolved")
	}
}
