import { z } from 'zod';
import { CreatedShare, CreateShareBody, SharedConversation, ShareList } from '../shares';
import { IdParams } from './common';
import { defineRoute } from './route';

/** Share links (schemas: ../shares.ts): read-only links to one conversation, opened signed out. */
export const sharesRoutes = {
  create: defineRoute({
    method: 'post',
    path: '/api/shares',
    summary: 'Create a read-only link to one of your conversations (the token is shown once)',
    tag: 'shares',
    auth: 'user',
    body: CreateShareBody,
    response: CreatedShare,
    status: 201,
  }),
  list: defineRoute({
    method: 'get',
    path: '/api/shares',
    summary: 'Your share links that still open',
    tag: 'shares',
    auth: 'user',
    response: ShareList,
  }),
  revoke: defineRoute({
    method: 'delete',
    path: '/api/shares/:id',
    summary: 'Revoke a share link (it answers 404 from now on)',
    tag: 'shares',
    auth: 'user',
    params: IdParams,
  }),
  open: defineRoute({
    method: 'get',
    path: '/api/shared/:token',
    summary: 'A shared conversation, signed out; unknown, revoked and expired links are the same 404',
    tag: 'shares',
    params: z.object({ token: z.string() }),
    response: SharedConversation,
  }),
};
