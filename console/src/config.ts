// The console's runtime configuration, served by the console function as
// /config.json so that one build runs on any stack.
export interface ConsoleConfig {
  issuer: string;
  clientId: string;
  scope: string;
  /** Cognito's /logout, where its hosted UI session ends; absent when the issuer's discovery names one. */
  logoutEndpoint?: string;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch('/config.json', { cache: 'no-store' });
  if (!res.ok) {
    throw new Error(`The console's configuration could not be loaded (${res.status}).`);
  }
  return (await res.json()) as ConsoleConfig;
}
