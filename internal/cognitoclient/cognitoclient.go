// Package cognitoclient is the logic of the ConsoleClientOAuth custom
// resource (functions/cognito-client): it gives the console's Cognito app
// client its OAuth settings once both the client and the HTTP API exist.
//
// They cannot be set on the AWS::Cognito::UserPoolClient itself: its
// callback URL is the API's own URL (/callback, where the console is
// served), while the API's JWT authorizer names the client id as its
// audience, so each would depend on the other. The custom resource depends
// on both and sets the settings with UpdateUserPoolClient. That call resets
// whatever it is not given, so every other setting is read first with
// DescribeUserPoolClient and sent back as it was.
package cognitoclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

// API is what the custom resource calls of Cognito user pools.
type API interface {
	DescribeUserPoolClient(ctx context.Context, in *cip.DescribeUserPoolClientInput, opts ...func(*cip.Options)) (*cip.DescribeUserPoolClientOutput, error)
	UpdateUserPoolClient(ctx context.Context, in *cip.UpdateUserPoolClientInput, opts ...func(*cip.Options)) (*cip.UpdateUserPoolClientOutput, error)
}

// OAuth is what the custom resource sets on the client: the authorization
// code flow for the scopes, through the pool's own sign-in (COGNITO), back
// to the callback URLs, and to the logout URLs after signing out.
type OAuth struct {
	UserPoolID   string   `json:"UserPoolId"`
	ClientID     string   `json:"ClientId"`
	CallbackURLs []string `json:"CallbackURLs"`
	LogoutURLs   []string `json:"LogoutURLs"`
	Scopes       []string `json:"AllowedOAuthScopes"`
}

// ParseProperties reads the custom resource's properties (ServiceToken and
// ClientSettings, which only makes the resource run again when the client's
// settings change, are ignored). Empty URLs are dropped and repeated ones
// kept once; scopes default to openid email profile.
// Errors: properties that are not of this shape, or no UserPoolId, ClientId
// or callback URL.
func ParseProperties(props map[string]any) (OAuth, error) {
	b, err := json.Marshal(props)
	if err != nil {
		return OAuth{}, err
	}
	var o OAuth
	if err := json.Unmarshal(b, &o); err != nil {
		return OAuth{}, fmt.Errorf("ConsoleClientOAuth properties: %w", err)
	}
	o.CallbackURLs, o.LogoutURLs, o.Scopes = tidy(o.CallbackURLs), tidy(o.LogoutURLs), tidy(o.Scopes)
	if len(o.Scopes) == 0 {
		o.Scopes = []string{"openid", "email", "profile"}
	}
	switch {
	case o.UserPoolID == "":
		return OAuth{}, errors.New("ConsoleClientOAuth: UserPoolId is required")
	case o.ClientID == "":
		return OAuth{}, errors.New("ConsoleClientOAuth: ClientId is required")
	case len(o.CallbackURLs) == 0:
		return OAuth{}, errors.New("ConsoleClientOAuth: CallbackURLs needs at least one URL")
	}
	return o, nil
}

func tidy(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// deniedRetries are the waits before trying again a call refused for want
// of permission: the function's policy is created just before it runs, and
// IAM takes a few seconds to apply it everywhere.
var deniedRetries = []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second}

// retryDenied calls f until it succeeds, fails otherwise than with
// AccessDeniedException, or deniedRetries are spent or ctx is done.
func retryDenied(ctx context.Context, f func() error) error {
	for i := 0; ; i++ {
		err := f()
		var ae smithy.APIError
		if err == nil || !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || i == len(deniedRetries) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(deniedRetries[i]):
		}
	}
}

// Apply reads the client and writes it back with o's OAuth settings and
// every other setting as it was. A call refused with AccessDeniedException
// is tried again for about half a minute, while IAM applies the function's
// new policy.
// Errors: Cognito's, from either call (e.g. ResourceNotFoundException for a
// client that is not in the pool, InvalidParameterException for a URL
// Cognito refuses, AccessDeniedException).
func Apply(ctx context.Context, api API, o OAuth) error {
	var out *cip.DescribeUserPoolClientOutput
	err := retryDenied(ctx, func() (err error) {
		out, err = api.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &o.UserPoolID, ClientId: &o.ClientID})
		return err
	})
	if err != nil {
		return fmt.Errorf("describe the app client %s: %w", o.ClientID, err)
	}
	if out.UserPoolClient == nil {
		return fmt.Errorf("describe the app client %s: no client in the answer", o.ClientID)
	}
	in := UpdateInput(out.UserPoolClient, o)
	if err := retryDenied(ctx, func() error { _, err := api.UpdateUserPoolClient(ctx, in); return err }); err != nil {
		return fmt.Errorf("update the app client %s: %w", o.ClientID, err)
	}
	return nil
}

// UpdateInput is the update that sets o on client c: every setting of c that
// UpdateUserPoolClient takes, carried over, with the OAuth settings of o.
// A DefaultRedirectURI that is no longer a callback URL is dropped (Cognito
// refuses it).
func UpdateInput(c *types.UserPoolClientType, o OAuth) *cip.UpdateUserPoolClientInput {
	in := &cip.UpdateUserPoolClientInput{
		UserPoolId: &o.UserPoolID, ClientId: &o.ClientID,
		// Carried over.
		ClientName:                               c.ClientName,
		AccessTokenValidity:                      c.AccessTokenValidity,
		IdTokenValidity:                          c.IdTokenValidity,
		RefreshTokenValidity:                     c.RefreshTokenValidity,
		TokenValidityUnits:                       c.TokenValidityUnits,
		AuthSessionValidity:                      c.AuthSessionValidity,
		RefreshTokenRotation:                     c.RefreshTokenRotation,
		ReadAttributes:                           c.ReadAttributes,
		WriteAttributes:                          c.WriteAttributes,
		ExplicitAuthFlows:                        c.ExplicitAuthFlows,
		AnalyticsConfiguration:                   c.AnalyticsConfiguration,
		PreventUserExistenceErrors:               c.PreventUserExistenceErrors,
		EnableTokenRevocation:                    c.EnableTokenRevocation,
		EnablePropagateAdditionalUserContextData: c.EnablePropagateAdditionalUserContextData,
		DefaultRedirectURI:                       c.DefaultRedirectURI,
		// Set.
		AllowedOAuthFlows:               []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthFlowsUserPoolClient: true,
		AllowedOAuthScopes:              o.Scopes,
		SupportedIdentityProviders:      []string{"COGNITO"},
		CallbackURLs:                    o.CallbackURLs,
		LogoutURLs:                      o.LogoutURLs,
	}
	if in.DefaultRedirectURI != nil && !slices.Contains(o.CallbackURLs, *in.DefaultRedirectURI) {
		in.DefaultRedirectURI = nil
	}
	return in
}

// sendMargin is kept from the function's deadline to tell CloudFormation
// about a failure: a custom resource that never answers holds the stack
// for an hour.
const sendMargin = 5 * time.Second

// Handler is the custom resource's function, for cfn.LambdaWrap. Create and
// Update apply the properties; the physical id is the client id and
// "-oauth", so a new client (a replacement) makes a new resource and
// CloudFormation deletes the old one. Delete does nothing: the settings go
// with the client.
// Errors: the properties' (ParseProperties) and Apply's, which CloudFormation
// shows as the resource's reason for failing.
func Handler(api API) cfn.CustomResourceFunction {
	return func(ctx context.Context, ev cfn.Event) (string, map[string]any, error) {
		if ev.RequestType == cfn.RequestDelete {
			return ev.PhysicalResourceID, nil, nil
		}
		o, err := ParseProperties(ev.ResourceProperties)
		if err != nil {
			return "", nil, err
		}
		if d, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, d.Add(-sendMargin))
			defer cancel()
		}
		if err := Apply(ctx, api, o); err != nil {
			return "", nil, err
		}
		return o.ClientID + "-oauth", map[string]any{"CallbackURL": o.CallbackURLs[0]}, nil
	}
}
