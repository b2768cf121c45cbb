import { describe, expect, it } from 'vitest';
import { ConfigError } from '@parley/protocol';
import { loadGatewayConfig } from '../config/config';
import { loadOidcProviders } from './config';
import { sameOriginPath } from './flows';
import { accountFrom, OidcFailure } from './service';

describe('OpenID Connect provider configuration', () => {
  it('configures nothing without OIDC_* variables', () => {
    expect(loadGatewayConfig({ NODE_ENV: 'test' }).oidcProviders).toEqual([]);
  });

  it('reads the Google and Microsoft presets and any number of generic issuers', () => {
    const { providers, problems } = loadOidcProviders(
      {
        OIDC_GOOGLE_CLIENT_ID: 'g-id',
        OIDC_GOOGLE_CLIENT_SECRET: 'g-secret',
        OIDC_MICROSOFT_CLIENT_ID: 'm-id',
        OIDC_MICROSOFT_CLIENT_SECRET: 'm-secret',
        OIDC_ACME_SSO_ISSUER: 'https://sso.acme.example/realms/staff',
        OIDC_ACME_SSO_CLIENT_ID: 'parley',
        OIDC_ACME_SSO_CLIENT_SECRET: 's',
        OIDC_ACME_SSO_SCOPES: 'openid email',
        OIDC_ACME_SSO_DISPLAY_NAME: 'Acme staff',
      },
      true,
      'https://parley.example',
    );
    expect(problems).toEqual([]);
    expect(providers).toEqual([
      {
        id: 'acme-sso',
        displayName: 'Acme staff',
        issuer: 'https://sso.acme.example/realms/staff',
        clientId: 'parley',
        clientSecret: 's',
        scopes: 'openid email',
        subjectFrom: 'sub',
      },
      expect.objectContaining({ id: 'google', issuer: 'https://accounts.google.com', displayName: 'Google' }),
      expect.objectContaining({
        id: 'microsoft',
        // The bare multi-tenant issuer, not its discovery URL.
        issuer: 'https://login.microsoftonline.com/common/v2.0',
        displayName: 'Microsoft',
        subjectFrom: 'tid_oid',
        scopes: 'openid email profile',
      }),
    ]);
  });

  it('refuses to start on an incomplete or unsafe provider, naming the variable', () => {
    expect(() =>
      loadGatewayConfig({
        NODE_ENV: 'test',
        OIDC_KEYCLOAK_ISSUER: 'not a url',
        OIDC_KEYCLOAK_CLIENT_ID: 'x',
        OIDC_KEYCLOAK_SCOPES: 'email profile',
      }),
    ).toThrow(ConfigError);
    const { problems } = loadOidcProviders(
      {
        OIDC_KEYCLOAK_ISSUER: 'not a url',
        OIDC_KEYCLOAK_CLIENT_ID: 'x',
        OIDC_KEYCLOAK_SCOPES: 'email profile',
        OIDC_OKTA_ISSUER: 'http://okta.example',
        OIDC_OKTA_CLIENT_ID: 'x',
        OIDC_OKTA_CLIENT_SECRET: 'y',
      },
      true,
      undefined,
    );
    expect(problems).toEqual([
      expect.stringMatching(/^OIDC_KEYCLOAK_ISSUER /),
      expect.stringMatching(/^OIDC_KEYCLOAK_CLIENT_SECRET is required/),
      'OIDC_KEYCLOAK_SCOPES must include "openid"',
      'OIDC_OKTA_ISSUER must use https in production',
      'PUBLIC_URL must be set when OIDC providers are configured (it fixes their callback URLs)',
    ]);
  });
});

describe('post-sign-in destination', () => {
  it('keeps same-origin paths and drops everything else', () => {
    expect(sameOriginPath('/history?q=sea#x')).toBe('/history?q=sea#x');
    expect(sameOriginPath('/call')).toBe('/call');
    for (const bad of [
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      '/\t/evil.example',
      'evil.example',
      'javascript:alert(1)',
      '/api/auth/logout',
      '/' + 'a'.repeat(600),
      ['/call'],
      undefined,
    ])
      expect(sameOriginPath(bad), String(bad)).toBeNull();
  });
});

describe('provider account from verified claims', () => {
  const generic = {
    id: 'acme',
    displayName: 'Acme',
    issuer: 'https://acme.example',
    clientId: 'x',
    clientSecret: 'y',
    scopes: 'openid',
    subjectFrom: 'sub' as const,
  };
  const microsoft = { ...generic, id: 'microsoft', subjectFrom: 'tid_oid' as const };

  it('keys Microsoft users by tenant and object id, others by sub', () => {
    const claims = { sub: 'pairwise-sub', tid: 'tenant-1', oid: 'object-1', email: 'a@b.example', name: 'Al' };
    expect(accountFrom(microsoft, claims, claims)).toMatchObject({
      subject: 'tenant-1:object-1',
      provider: 'microsoft',
    });
    expect(accountFrom(generic, claims, claims)).toMatchObject({ subject: 'pairwise-sub', displayName: 'Al' });
    expect(() => accountFrom(microsoft, { sub: 's' }, {})).toThrow(OidcFailure);
  });

  it('counts an email as verified only when the provider says so', () => {
    const base = { sub: 's', email: 'a@b.example' };
    expect(accountFrom(generic, base, base).emailVerified).toBe(false);
    expect(accountFrom(generic, base, { ...base, email_verified: true }).emailVerified).toBe(true);
    expect(accountFrom(generic, base, { ...base, email_verified: 'false' }).emailVerified).toBe(false);
    expect(accountFrom(generic, base, base).displayName).toBe('a');
  });
});
