package local_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/schoolroster/rosterimport/infra/local"
	"github.com/schoolroster/rosterimport/infra/local/template"
)

func loadServiceTemplate(t *testing.T) *template.Template {
	t.Helper()
	root, err := local.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := template.LoadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// TestTemplateClientOAuthRunsAgainWhenTheClientChanges: CloudFormation's
// update of ConsoleClient resets its OAuth settings, so ConsoleClientOAuth
// must change whenever the client does, to run again after it.
func TestTemplateClientOAuthRunsAgainWhenTheClientChanges(t *testing.T) {
	tmpl := loadServiceTemplate(t)
	client, custom := tmpl.Resources["ConsoleClient"], tmpl.Resources["ConsoleClientOAuth"]
	if client.Type != "AWS::Cognito::UserPoolClient" || custom.Type != "Custom::CognitoClientOAuth" {
		t.Fatalf("types %q %q", client.Type, custom.Type)
	}
	if got := custom.Properties["ClientSettings"]; !reflect.DeepEqual(got, client.Properties) {
		t.Errorf("ConsoleClientOAuth.ClientSettings = %v,\nwant ConsoleClient's properties %v", got, client.Properties)
	}
	if _, ok := client.Properties["CallbackURLs"]; ok {
		t.Error("ConsoleClient names its callback URLs: the API's URL on the client is the dependency cycle ConsoleClientOAuth breaks")
	}
}

// TestTemplateIdentity resolves the identity parts of the template both
// ways: by default a Cognito user pool of the stack; with JwtIssuer, the
// external issuer and no Cognito resource.
func TestTemplateIdentity(t *testing.T) {
	tmpl := loadServiceTemplate(t)
	const apiURL = "https://abc123.execute-api.eu-west-2.amazonaws.com"
	bucketOrigin := "https://roster-import-imports-123456789012-eu-west-2.s3.eu-west-2.amazonaws.com"
	cognito := []string{"UserPool", "UserPoolDomain", "ConsoleClient", "ConsoleClientOAuth", "CognitoClientFunction"}
	tests := []struct {
		name                                 string
		params                               map[string]string
		wantCognito                          bool
		wantIssuer, wantAudience             string
		wantConnect, wantAppBase, wantS3Cors string
		wantAPICors                          bool
		wantCallbacks                        []any
	}{
		{"defaults: a user pool", nil, true,
			"https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Pool", "client1",
			bucketOrigin + " https://roster-import-123456789012.auth.eu-west-2.amazoncognito.com", apiURL, apiURL, false,
			[]any{apiURL + "/callback"}},
		{"console elsewhere", map[string]string{"AppBaseUrl": "https://console.school", "ConsoleOrigin": "https://console.school"}, true,
			"https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Pool", "client1",
			bucketOrigin + " https://roster-import-123456789012.auth.eu-west-2.amazoncognito.com", "https://console.school", "https://console.school", true,
			[]any{apiURL + "/callback", "https://console.school/callback"}},
		{"an external issuer", map[string]string{"JwtIssuer": "https://login.example.com/", "JwtAudience": "console"}, false,
			"https://login.example.com/", "console", bucketOrigin, apiURL, apiURL, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := map[string]string{}
			for name, p := range tmpl.Parameters {
				if d, ok := p["Default"]; ok {
					params[name] = fmt.Sprint(d)
				}
			}
			for k, v := range tt.params {
				params[k] = v
			}
			r := template.NewResolver(tmpl, params, map[string]string{
				"AWS::StackName": "roster-import", "AWS::Region": "eu-west-2", "AWS::AccountId": "123456789012", "AWS::URLSuffix": "amazonaws.com",
				"AWS::Partition": "aws", "HttpApi": "abc123", "UserPool": "eu-west-2_Pool", "ConsoleClient": "client1",
				"UserPoolDomain": "roster-import-123456789012", "RosterTable": "roster", "UsersIndexTable": "index",
				"InvitationTemplate": "invitation", "TokenSealingSecret": "arn:secret", "ImportsBucket": "roster-import-imports-123456789012-eu-west-2",
			})
			r.Attrs["UserPool"] = map[string]string{"ProviderURL": "cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Pool", "Arn": "arn:pool"}
			r.Attrs["CognitoClientFunction"] = map[string]string{"Arn": "arn:fn"}
			for _, id := range cognito {
				if exists, err := r.Exists(id); err != nil || exists != tt.wantCognito {
					t.Errorf("%s exists = %v (%v), want %v", id, exists, err, tt.wantCognito)
				}
			}
			var api struct {
				Auth struct {
					Authorizers map[string]struct {
						JwtConfiguration struct {
							Issuer   string   `json:"issuer"`
							Audience []string `json:"audience"`
						}
					}
				}
				CorsConfiguration map[string]any
			}
			if err := r.Decode(tmpl.Resources["HttpApi"].Properties, &api); err != nil {
				t.Fatal(err)
			}
			jwt := api.Auth.Authorizers["JwtAuthorizer"].JwtConfiguration
			if jwt.Issuer != tt.wantIssuer || !reflect.DeepEqual(jwt.Audience, []string{tt.wantAudience}) {
				t.Errorf("authorizer %q %v, want %q [%s]", jwt.Issuer, jwt.Audience, tt.wantIssuer, tt.wantAudience)
			}
			if (api.CorsConfiguration != nil) != tt.wantAPICors {
				t.Errorf("API CORS %v, want it: %v", api.CorsConfiguration, tt.wantAPICors)
			}
			env := func(fn, name string) string {
				v, err := r.ResolveString(template.AsMap(template.AsMap(tmpl.Resources[fn].Properties["Environment"])["Variables"])[name])
				if err != nil {
					t.Fatalf("%s %s: %v", fn, name, err)
				}
				return v
			}
			if got := env("ConsoleFunction", "OIDC_ISSUER"); got != tt.wantIssuer {
				t.Errorf("OIDC_ISSUER = %q, want %q", got, tt.wantIssuer)
			}
			if got := env("ConsoleFunction", "OIDC_CLIENT_ID"); got != tt.wantAudience {
				t.Errorf("OIDC_CLIENT_ID = %q, want %q", got, tt.wantAudience)
			}
			if got := env("ConsoleFunction", "CONNECT_SRC"); got != tt.wantConnect {
				t.Errorf("CONNECT_SRC = %q, want %q", got, tt.wantConnect)
			}
			if got := env("MailerFunction", "APP_BASE_URL"); got != tt.wantAppBase {
				t.Errorf("APP_BASE_URL = %q, want %q", got, tt.wantAppBase)
			}
			var bucket struct {
				CorsConfiguration struct {
					CorsRules []struct{ AllowedOrigins []string }
				}
			}
			if err := r.Decode(tmpl.Resources["ImportsBucket"].Properties, &bucket); err != nil {
				t.Fatal(err)
			}
			if got := bucket.CorsConfiguration.CorsRules[0].AllowedOrigins; !reflect.DeepEqual(got, []string{tt.wantS3Cors}) {
				t.Errorf("bucket CORS %v, want [%s]", got, tt.wantS3Cors)
			}
			if !tt.wantCognito {
				return
			}
			custom, err := r.Resolve(tmpl.Resources["ConsoleClientOAuth"].Properties)
			if err != nil {
				t.Fatal(err)
			}
			m := custom.(map[string]any)
			if !reflect.DeepEqual(m["CallbackURLs"], tt.wantCallbacks) || m["ClientId"] != "client1" || m["UserPoolId"] != "eu-west-2_Pool" {
				t.Errorf("ConsoleClientOAuth %v, want callbacks %v", m, tt.wantCallbacks)
			}
		})
	}
}
