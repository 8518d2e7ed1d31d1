// Checks every request passes before it reaches a route: the Host header
// (DNS rebinding), the Origin header (CSRF from web pages) and the token.
import { createHash, timingSafeEqual } from 'node:crypto';

/** Host names that cannot be rebound by DNS: loopback literals, and what Moonshot's web UI sends. */
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]', '0.0.0.0'];

export function allowedHosts(boundHost: string, port: number): Set<string> {
  const hosts = new Set(LOOPBACK_HOSTS.map((h) => `${h}:${port}`));
  const configured = boundHost.includes(':') && !boundHost.startsWith('[') ? `[${boundHost}]` : boundHost;
  hosts.add(`${configured}:${port}`);
  return hosts;
}

export function isAllowedHost(hostHeader: string | undefined, allowed: Set<string>): boolean {
  return hostHeader !== undefined && allowed.has(hostHeader.toLowerCase());
}

/** No Origin header (curl, scripts, other programs): allowed. A web page's Origin: only if listed. */
export function isAllowedOrigin(origin: string | undefined, allowList: readonly string[]): boolean {
  return origin === undefined || allowList.includes(origin);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Whether a client can send `token` in a header and have it match: printable
 * ASCII (header bytes are read as Latin-1, so other characters never arrive
 * as written), spaces only inside. The empty string is never a token.
 */
export function isUsableToken(token: string): boolean {
  return /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(token);
}

/**
 * `Authorization: Bearer <token>`, compared as sent but for ASCII spaces and
 * tabs around the token (String#trim would also strip U+00A0 and others), in
 * constant time, so the token cannot be guessed a character at a time.
 */
export function hasValidToken(authorization: string | undefined, token: string): boolean {
  if (!isUsableToken(token)) return false;
  const match = /^Bearer[ \t]+(.*)$/i.exec(authorization ?? '');
  const sent = match?.[1]?.replace(/^[ \t]+|[ \t]+$/g, '') ?? '';
  return sent !== '' && timingSafeEqual(digest(sent), digest(token));
}
