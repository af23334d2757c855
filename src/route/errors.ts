// What a failed route lookup means to a packet and to a socket: the ICMP code a router sends for
// it (ip_error: EHOSTUNREACH → host unreachable 1, ENETUNREACH → net unreachable 0, EACCES →
// communication administratively prohibited 13, EINVAL (blackhole) → nothing), the errno's name
// and words as strerror gives them, and whether a route delivers locally (local, broadcast).
import type { RouteResult } from './policy.ts';
import {
  EACCES,
  EHOSTUNREACH,
  EINVAL,
  ENETUNREACH,
  formatRoute,
  RTN_BROADCAST,
  RTN_LOCAL,
  tableName,
  type Route,
} from './table.ts';

/** ip_error's ICMP destination-unreachable code for each errno (absent: silent drop). */
export const ROUTE_ICMP_CODE: Readonly<Record<number, number>> = {
  [ENETUNREACH]: 0,
  [EHOSTUNREACH]: 1,
  [EACCES]: 13,
};

/** strerror's words. */
export const ERRNO_TEXT: Readonly<Record<number, string>> = {
  [ENETUNREACH]: 'Network is unreachable',
  [EHOSTUNREACH]: 'No route to host',
  [EACCES]: 'Permission denied',
  [EINVAL]: 'Invalid argument',
};

export const ERRNO_NAME: Readonly<Record<number, string>> = {
  [ENETUNREACH]: 'ENETUNREACH',
  [EHOSTUNREACH]: 'EHOSTUNREACH',
  [EACCES]: 'EACCES',
  [EINVAL]: 'EINVAL',
};

/** A route that delivers to this host (RTN_LOCAL, RTN_BROADCAST). */
export function isLocalType(r: Route | undefined): boolean {
  return r !== undefined && (r.type === RTN_LOCAL || r.type === RTN_BROADCAST);
}

/** What decided a failed lookup, in words: `unreachable default (table 100, rule 1000)`. */
export function routeErrorText(err: number, res: RouteResult): string {
  const where = res.route
    ? `${formatRoute(res.route)} (table ${tableName(res.table)}${res.rulePref >= 0 ? `, rule ${res.rulePref}` : ''})`
    : res.rulePref >= 0
      ? `rule ${res.rulePref}`
      : 'no route';
  return `${ERRNO_NAME[err] ?? err}: ${where}`;
}

/** The socket's error for a failed output lookup: `EHOSTUNREACH (No route to host)`. */
export function errnoWords(err: number): string {
  return `${ERRNO_NAME[err] ?? `errno ${err}`} (${ERRNO_TEXT[err] ?? 'error'})`;
}
