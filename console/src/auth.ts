import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import type { ConsoleConfig } from './config';

// Sign-in is OpenID Connect authorization code with PKCE (oidc-client-ts),
// against the configured issuer: Cognito's hosted UI on AWS, the local
// stack's development provider locally. The API takes the ID token, which
// carries the verified email.
export class Auth {
  private readonly manager: UserManager;

  constructor(config: ConsoleConfig, origin = window.location.origin) {
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

  async signOut(): Promise<void> {
    await this.manager.removeUser();
    window.location.assign('/');
  }
}

/** Only paths of this origin are followed after sign-in. */
export function safeReturn(to: string | undefined): string {
  if (!to || !to.startsWith('/') || to.startsWith('//')) {
    return '/';
  }
  return to;
}
