import { z } from 'zod';

/** One OpenID Connect provider Parley offers for sign-in, as configured by environment. */
export interface OidcProviderConfig {
  /** URL-safe id used in routes and stored with linked identities: google, microsoft, acme-sso. */
  id: string;
  /** Button label: "Continue with <displayName>". */
  displayName: string;
  /** Issuer identifier; discovery reads `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  /** Key users by the Microsoft tenant + object id (`tid:oid`) instead of `sub`. */
  subjectFrom: 'sub' | 'tid_oid';
}

const SUFFIXES = ['ISSUER', 'CLIENT_ID', 'CLIENT_SECRET', 'SCOPES', 'DISPLAY_NAME', 'TENANT'] as const;
type Suffix = (typeof SUFFIXES)[number];
const KEY = new RegExp(`^OIDC_([A-Z0-9][A-Z0-9_]*?)_(${SUFFIXES.join('|')})$`);

/** Presets: only the client id and secret are needed (Microsoft may name a tenant; default `common`). */
const PRESETS: Record<string, (v: Partial<Record<Suffix, string>>) => Partial<OidcProviderConfig>> = {
  GOOGLE: () => ({ issuer: 'https://accounts.google.com', displayName: 'Google' }),
  // The bare multi-tenant issuer: openid-client accepts tenant-specific `iss` values for it.
  MICROSOFT: (v) => ({
    issuer: `https://login.microsoftonline.com/${v.TENANT ?? 'common'}/v2.0`,
    displayName: 'Microsoft',
    subjectFrom: 'tid_oid',
  }),
};

const ProviderEnv = z.object({
  issuer: z
    .string({ error: 'is required (or use the GOOGLE / MICROSOFT presets)' })
    .url()
    .refine((u) => !URL.canParse(u) || (!new URL(u).search && !new URL(u).hash), 'must have no query or fragment'),
  clientId: z.string({ error: 'is required' }).min(1),
  clientSecret: z.string({ error: 'is required' }).min(1),
  scopes: z
    .string()
    .regex(/^[\x21-\x7e]+( [\x21-\x7e]+)*$/, 'must be space-separated scope names')
    .refine((s) => s.split(' ').includes('openid'), 'must include "openid"'),
  displayName: z.string().trim().min(1).max(40),
  subjectFrom: z.enum(['sub', 'tid_oid']),
});

/**
 * Reads every `OIDC_<NAME>_{ISSUER,CLIENT_ID,CLIENT_SECRET,SCOPES,DISPLAY_NAME}` group (plus the
 * GOOGLE and MICROSOFT presets) from the environment and validates each with zod. Returns the
 * providers and a list of problems (the gateway refuses to start on any).
 */
export function loadOidcProviders(
  env: NodeJS.ProcessEnv,
  production: boolean,
  publicUrl: string | undefined,
): { providers: OidcProviderConfig[]; problems: string[] } {
  const groups = new Map<string, Partial<Record<Suffix, string>>>();
  for (const [key, value] of Object.entries(env)) {
    const m = KEY.exec(key);
    if (!m || value === undefined || value === '') continue;
    const group = groups.get(m[1]!) ?? {};
    group[m[2] as Suffix] = value;
    groups.set(m[1]!, group);
  }
  const providers: OidcProviderConfig[] = [];
  const problems: string[] = [];
  for (const [name, v] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const preset = PRESETS[name]?.(v) ?? {};
    const parsed = ProviderEnv.safeParse({
      issuer: v.ISSUER ?? preset.issuer,
      clientId: v.CLIENT_ID,
      clientSecret: v.CLIENT_SECRET,
      scopes: v.SCOPES ?? 'openid email profile',
      displayName: v.DISPLAY_NAME ?? preset.displayName ?? titleCase(name),
      subjectFrom: preset.subjectFrom ?? 'sub',
    });
    if (!parsed.success) {
      const fieldEnv = { issuer: 'ISSUER', clientId: 'CLIENT_ID', clientSecret: 'CLIENT_SECRET' } as const;
      for (const i of parsed.error.issues) {
        const field = String(i.path[0]);
        const suffix =
          fieldEnv[field as keyof typeof fieldEnv] ?? field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
        problems.push(`OIDC_${name}_${suffix} ${i.message}`);
      }
      continue;
    }
    if (production && new URL(parsed.data.issuer).protocol !== 'https:')
      problems.push(`OIDC_${name}_ISSUER must use https in production`);
    providers.push({ id: name.toLowerCase().replace(/_/g, '-'), ...parsed.data });
  }
  if (providers.length && production && !publicUrl)
    problems.push('PUBLIC_URL must be set when OIDC providers are configured (it fixes their callback URLs)');
  return { providers, problems };
}

function titleCase(name: string): string {
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}
