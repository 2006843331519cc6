import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AUTH_SUBPROTOCOL_PREFIX } from './protocol.js';

/** Who made a request, and whether they may act (halt, cancel, flatten) or only watch. */
export interface Principal {
  readonly user: string;
  readonly control: boolean;
}

/** What an authorization check sees. */
export interface AuthRequest {
  /** The bearer token (Authorization header, or the browser's WebSocket subprotocol), if any. */
  readonly token: string | undefined;
  readonly kind: 'http' | 'websocket';
  readonly method: string;
  readonly path: string;
  readonly remoteAddress: string | undefined;
  /** The request's headers, lower-cased names (Node's own shape, spelled out so the types need no @types/node). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** One bearer token and whose it is. */
export interface TokenGrant {
  readonly token: string;
  readonly user: string;
  /** May this token halt, resume, cancel and flatten? (Default false: watch only.) */
  readonly control?: boolean;
}

/**
 * How the server authenticates: a list of bearer tokens, or your own check (an SSO header, an
 * mTLS identity, a token introspection call) answering a principal, or undefined to refuse.
 */
export type ServerAuth = { readonly tokens: readonly TokenGrant[] } | { readonly verify: (request: AuthRequest) => Principal | undefined | Promise<Principal | undefined> };

/** The token a request carries: `Authorization: Bearer …`, or a `tradewire.auth.<base64url>` WebSocket subprotocol. */
export function requestToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim() || undefined;
  const protocols = request.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    for (const offered of protocols.split(',')) {
      const p = offered.trim();
      if (p.startsWith(AUTH_SUBPROTOCOL_PREFIX)) return Buffer.from(p.slice(AUTH_SUBPROTOCOL_PREFIX.length), 'base64url').toString('utf8') || undefined;
    }
  }
  return undefined;
}

/** Builds the check for `auth`: tokens are compared in constant time (as digests, so lengths leak nothing either). */
export function authenticator(auth: ServerAuth | undefined): (request: AuthRequest) => Promise<Principal | undefined> {
  if (!auth) return async () => ({ user: 'anonymous', control: false });
  if ('verify' in auth) return async (request) => auth.verify(request);
  const grants = auth.tokens.map((g) => ({ digest: digest(g.token), principal: { user: g.user, control: g.control === true } }));
  return async (request) => {
    if (request.token === undefined) return undefined;
    const offered = digest(request.token);
    let found: Principal | undefined;
    // Compare against every grant (no early exit), so timing does not say which one matched.
    for (const g of grants) if (timingSafeEqual(g.digest, offered)) found = g.principal;
    return found;
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
