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

/** Compares in constant time, so the token cannot be guessed a character at a time. */
export function hasValidToken(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!.trim()), digest(token));
}
