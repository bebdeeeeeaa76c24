import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import type { ConsoleConfig } from './config';

// Sign-in is OpenID Connect authorization code with PKCE (oidc-client-ts),
// against the configured issuer: Cognito's hosted UI on AWS, the local
// stack's development provider locally. The API takes the ID token, which
// carries the verified email.
export class Auth {
  private readonly manager: UserManager;
  private readonly logoutUrl: string | null;

  constructor(config: ConsoleConfig, origin = window.location.origin) {
    this.logoutUrl = config.logoutEndpoint ? logoutUrl(config.logoutEndpoint, config.clientId, origin) : null;
    this.manager = new UserManager({
      authority: config.issuer,
      client_id: config.clientId,
      redirect_uri: `${origin}/callback`,
      post_logout_redirect_uri: `${origin}/`,
      response_type: 'code',
      scope: config.scope || 'openid email profile',
      // Tokens live for the tab only.
      userStore: new WebStorageStateStore({ store: window.sessionStorage }),
      automaticSilentRenew: false,
    });
  }

  /** The signed-in person, or null when nobody is or the session expired. */
  async user(): Promise<User | null> {
    const u = await this.manager.getUser();
    return u && !u.expired ? u : null;
  }

  /** Sends the browser to the issuer; returnTo is where to come back after. */
  async signIn(returnTo: string): Promise<void> {
    await this.manager.signinRedirect({ state: { returnTo } });
  }

  /** Completes a sign-in on /callback and returns where to go next. */
  async completeSignIn(): Promise<string> {
    const user = await this.manager.signinRedirectCallback();
    const state = user.state as { returnTo?: string } | undefined;
    return safeReturn(state?.returnTo);
  }

  /**
   * Signs out here and at the issuer, so that on a shared computer the
   * next person is asked who they are: Cognito's /logout, or the issuer's
   * end_session_endpoint, or (an issuer with neither) this tab only.
   */
  async signOut(): Promise<void> {
    const user = await this.manager.getUser();
    await this.manager.removeUser();
    if (this.logoutUrl) {
      window.location.assign(this.logoutUrl);
      return;
    }
    try {
      await this.manager.signoutRedirect({ id_token_hint: user?.id_token });
    } catch {
      window.location.assign('/');
    }
  }
}

/** logoutUrl is Cognito's sign-out address, which comes back to the console. */
export function logoutUrl(endpoint: string, clientId: string, origin: string): string {
  const u = new URL(endpoint);
  u.searchParams.set('client_id', clientId);
  u.searchParams.set('logout_uri', `${origin}/`);
  return u.toString();
}

/** Only paths of this origin are followed after sign-in. */
export function safeReturn(to: string | undefined): string {
  if (!to || !to.startsWith('/') || to.startsWith('//')) {
    return '/';
  }
  return to;
}
