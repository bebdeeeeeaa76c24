package cognitoclient

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

// fakeCognito holds one client and records the updates; it refuses the
// first denials calls with AccessDeniedException.
type fakeCognito struct {
	client              types.UserPoolClientType
	describeErr, updErr error
	denials             int
	updates             []*cip.UpdateUserPoolClientInput
}

func (f *fakeCognito) denied() error {
	if f.denials > 0 {
		f.denials--
		return &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: cognito-idp:DescribeUserPoolClient"}
	}
	return nil
}

func (f *fakeCognito) DescribeUserPoolClient(_ context.Context, in *cip.DescribeUserPoolClientInput, _ ...func(*cip.Options)) (*cip.DescribeUserPoolClientOutput, error) {
	if err := f.denied(); err != nil {
		return nil, err
	}
	if f.describeErr != nil {
		return nil, f.describeErr
	}
	if aws.ToString(in.ClientId) != aws.ToString(f.client.ClientId) || aws.ToString(in.UserPoolId) != aws.ToString(f.client.UserPoolId) {
		return nil, &types.ResourceNotFoundException{Message: aws.String("User pool client does not exist.")}
	}
	c := f.client
	return &cip.DescribeUserPoolClientOutput{UserPoolClient: &c}, nil
}

func (f *fakeCognito) UpdateUserPoolClient(_ context.Context, in *cip.UpdateUserPoolClientInput, _ ...func(*cip.Options)) (*cip.UpdateUserPoolClientOutput, error) {
	if err := f.denied(); err != nil {
		return nil, err
	}
	if f.updErr != nil {
		return nil, f.updErr
	}
	f.updates = append(f.updates, in)
	return &cip.UpdateUserPoolClientOutput{}, nil
}

const api = "https://abc123.execute-api.eu-west-2.amazonaws.com"

// deployed is a client as CloudFormation made it, before the custom resource ran.
func deployed() types.UserPoolClientType {
	return types.UserPoolClientType{
		UserPoolId: aws.String("eu-west-2_Pool"), ClientId: aws.String("client1"), ClientName: aws.String("roster-import-console"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		IdTokenValidity:   aws.Int32(60), AccessTokenValidity: aws.Int32(60), RefreshTokenValidity: 1,
		TokenValidityUnits:         &types.TokenValidityUnitsType{IdToken: types.TimeUnitsTypeMinutes, AccessToken: types.TimeUnitsTypeMinutes, RefreshToken: types.TimeUnitsTypeDays},
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled, EnableTokenRevocation: aws.Bool(true),
		AuthSessionValidity: aws.Int32(3),
	}
}

func properties() map[string]any {
	return map[string]any{
		"ServiceToken": "arn:aws:lambda:eu-west-2:1:function:x", "UserPoolId": "eu-west-2_Pool", "ClientId": "client1",
		"CallbackURLs": []any{api + "/callback", "", api + "/callback"}, "LogoutURLs": []any{api + "/"},
		"AllowedOAuthScopes": []any{"openid", "email", "profile"},
		"ClientSettings":     map[string]any{"ClientName": "roster-import-console", "GenerateSecret": "false"},
	}
}

func TestHandler(t *testing.T) {
	deniedRetries = []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond}
	notFound := &types.ResourceNotFoundException{Message: aws.String("User pool client does not exist.")}
	tests := []struct {
		name        string
		request     cfn.RequestType
		props       func(map[string]any)
		fake        func(*fakeCognito)
		wantID      string
		wantErr     string
		wantUpdates int
	}{
		{"create", cfn.RequestCreate, nil, nil, "client1-oauth", "", 1},
		{"update", cfn.RequestUpdate, nil, nil, "client1-oauth", "", 1},
		{"delete does nothing", cfn.RequestDelete, nil, nil, "client1-oauth", "", 0},
		{"no callback", cfn.RequestCreate, func(p map[string]any) { p["CallbackURLs"] = []any{""} }, nil, "", "CallbackURLs", 0},
		{"no client", cfn.RequestCreate, func(p map[string]any) { delete(p, "ClientId") }, nil, "", "ClientId is required", 0},
		{"no pool", cfn.RequestUpdate, func(p map[string]any) { p["UserPoolId"] = "" }, nil, "", "UserPoolId is required", 0},
		{"not a list", cfn.RequestCreate, func(p map[string]any) { p["LogoutURLs"] = "https://x/" }, nil, "", "properties", 0},
		{"client not in the pool", cfn.RequestCreate, func(p map[string]any) { p["ClientId"] = "other" }, nil, "", "describe the app client other", 0},
		{"describe fails", cfn.RequestUpdate, nil, func(f *fakeCognito) { f.describeErr = notFound }, "", "does not exist", 0},
		{"policy not yet applied", cfn.RequestCreate, nil, func(f *fakeCognito) { f.denials = 3 }, "client1-oauth", "", 1},
		{"never allowed", cfn.RequestCreate, nil, func(f *fakeCognito) { f.denials = 100 }, "", "AccessDeniedException", 0},
		{"update fails", cfn.RequestCreate, nil, func(f *fakeCognito) {
			f.updErr = &types.InvalidParameterException{Message: aws.String("Invalid callback URL")}
		}, "", "update the app client client1: InvalidParameterException", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeCognito{client: deployed()}
			if tt.fake != nil {
				tt.fake(f)
			}
			props := properties()
			if tt.props != nil {
				tt.props(props)
			}
			id, data, err := Handler(f)(context.Background(), cfn.Event{RequestType: tt.request, ResourceProperties: props, PhysicalResourceID: "client1-oauth"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if id != tt.wantID || len(f.updates) != tt.wantUpdates {
				t.Fatalf("id %q, %d updates; want %q, %d", id, len(f.updates), tt.wantID, tt.wantUpdates)
			}
			if tt.wantUpdates == 0 {
				return
			}
			if data["CallbackURL"] != api+"/callback" {
				t.Errorf("data %v", data)
			}
			in := f.updates[0]
			if !slices.Equal(in.CallbackURLs, []string{api + "/callback"}) || !slices.Equal(in.LogoutURLs, []string{api + "/"}) ||
				!slices.Equal(in.AllowedOAuthFlows, []types.OAuthFlowType{types.OAuthFlowTypeCode}) || !in.AllowedOAuthFlowsUserPoolClient ||
				!slices.Equal(in.AllowedOAuthScopes, []string{"openid", "email", "profile"}) || !slices.Equal(in.SupportedIdentityProviders, []string{"COGNITO"}) {
				t.Errorf("OAuth settings not set: %+v", in)
			}
			// What CloudFormation set is sent back as it was.
			c := deployed()
			if aws.ToString(in.ClientName) != "roster-import-console" || !reflect.DeepEqual(in.ExplicitAuthFlows, c.ExplicitAuthFlows) ||
				aws.ToInt32(in.IdTokenValidity) != 60 || in.RefreshTokenValidity != 1 || !reflect.DeepEqual(in.TokenValidityUnits, c.TokenValidityUnits) ||
				in.PreventUserExistenceErrors != types.PreventUserExistenceErrorTypesEnabled || !aws.ToBool(in.EnableTokenRevocation) ||
				aws.ToInt32(in.AuthSessionValidity) != 3 {
				t.Errorf("settings lost: %+v", in)
			}
		})
	}
}

// TestUpdateInputCarriesOverEverySetting fills every field of a described
// client and checks that each one UpdateUserPoolClient also takes is sent
// back, so a setting added to the SDK (and the API) is not silently reset.
func TestUpdateInputCarriesOverEverySetting(t *testing.T) {
	var c types.UserPoolClientType
	fill(reflect.ValueOf(&c).Elem())
	o := OAuth{UserPoolID: aws.ToString(c.UserPoolId), ClientID: aws.ToString(c.ClientId), CallbackURLs: []string{aws.ToString(c.DefaultRedirectURI)},
		LogoutURLs: []string{api + "/"}, Scopes: []string{"openid"}}
	in := reflect.ValueOf(UpdateInput(&c, o)).Elem()
	set := []string{"AllowedOAuthFlows", "AllowedOAuthFlowsUserPoolClient", "AllowedOAuthScopes", "SupportedIdentityProviders", "CallbackURLs", "LogoutURLs"}
	src := reflect.ValueOf(c)
	for i := range in.NumField() {
		name := in.Type().Field(i).Name
		if !in.Type().Field(i).IsExported() || slices.Contains(set, name) {
			continue
		}
		from := src.FieldByName(name)
		if !from.IsValid() {
			t.Errorf("UpdateUserPoolClientInput.%s is not in the described client: decide whether the custom resource sets it", name)
			continue
		}
		if !reflect.DeepEqual(in.Field(i).Interface(), from.Interface()) {
			t.Errorf("%s = %v, not carried over from %v", name, in.Field(i).Interface(), from.Interface())
		}
	}
}

// fill gives every settable field of v a non-zero value.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.Struct && v.Type().Elem().PkgPath() == "time" {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.String:
		v.SetString("x-" + v.Type().Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int32, reflect.Int64, reflect.Int:
		v.SetInt(7)
	}
}

func TestDefaultRedirectNoLongerACallbackIsDropped(t *testing.T) {
	c := deployed()
	c.DefaultRedirectURI = aws.String("https://old.example/callback")
	if in := UpdateInput(&c, OAuth{CallbackURLs: []string{api + "/callback"}}); in.DefaultRedirectURI != nil {
		t.Errorf("DefaultRedirectURI = %q, want none", *in.DefaultRedirectURI)
	}
	c.DefaultRedirectURI = aws.String(api + "/callback")
	if in := UpdateInput(&c, OAuth{CallbackURLs: []string{api + "/callback"}}); aws.ToString(in.DefaultRedirectURI) != api+"/callback" {
		t.Errorf("DefaultRedirectURI = %v, want kept", in.DefaultRedirectURI)
	}
}

func TestApplyPassesTheIDs(t *testing.T) {
	f := &fakeCognito{client: deployed()}
	err := Apply(context.Background(), f, OAuth{UserPoolID: "eu-west-2_Pool", ClientID: "client1", CallbackURLs: []string{api + "/callback"}})
	if err != nil || aws.ToString(f.updates[0].ClientId) != "client1" || aws.ToString(f.updates[0].UserPoolId) != "eu-west-2_Pool" {
		t.Fatalf("%v %+v", err, f.updates)
	}
	if err := Apply(context.Background(), &fakeCognito{client: deployed(), describeErr: errors.New("boom")}, OAuth{}); err == nil {
		t.Error("no error from a failed describe")
	}
}
