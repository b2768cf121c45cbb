import { CreatedToken, CreateTokenBody, TokenList } from '../tokens';
import { IdParams } from './common';
import { defineRoute } from './route';

/** Personal API tokens (schemas: ../tokens.ts). Managed with the session cookie only: a token cannot manage tokens. */
export const tokensRoutes = {
  create: defineRoute({
    method: 'post',
    path: '/api/tokens',
    summary: 'Create a personal API token (the token is shown once)',
    tag: 'tokens',
    auth: 'user',
    body: CreateTokenBody,
    response: CreatedToken,
    status: 201,
  }),
  list: defineRoute({
    method: 'get',
    path: '/api/tokens',
    summary: 'Your API tokens that still work (names, scopes, expiry, last use; never the token)',
    tag: 'tokens',
    auth: 'user',
    response: TokenList,
  }),
  revoke: defineRoute({
    method: 'delete',
    path: '/api/tokens/:id',
    summary: 'Revoke an API token (refused from the next request on)',
    tag: 'tokens',
    auth: 'user',
    params: IdParams,
  }),
};
