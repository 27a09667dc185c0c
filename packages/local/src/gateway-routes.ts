import { HTTP_ROUTES, routePattern } from '@baton/http/routes';

/** A route an emulated API declares: a method and a path template (`/jobs/{id}`), as API Gateway writes them. */
export interface EmulatedRoute {
  readonly method: string;
  readonly path: string;
}

/**
 * The routes an emulated API Gateway API serves: a list of routes, or `'any'` for every method and path (a
 * proxy resource / `$default` route, as `LambdaRestApi` or a bare HTTP API deploys it).
 */
export type EmulatedRoutes = readonly EmulatedRoute[] | 'any';

/** What the REST and HTTP API emulators serve by default: the routes Baton's doors declare on API Gateway. */
export const DEFAULT_EMULATED_ROUTES: EmulatedRoutes = HTTP_ROUTES;

/** The route a request reaches, or why none does. */
export type RouteMatch =
  | { kind: 'any' }
  | { kind: 'route'; route: EmulatedRoute; parameters: Record<string, string> }
  | { kind: 'none' };

/** Compiles the routes once, when the emulator starts; the matcher takes a path without any stage prefix. */
export function routeMatcher(
  title: string,
  routes: EmulatedRoutes,
): (method: string, path: string) => RouteMatch {
  if (routes === 'any') return () => ({ kind: 'any' });
  if (!Array.isArray(routes)) {
    throw new Error(`${title}: routes must be 'any' or an array of { method, path }`);
  }
  const compiled = routes.map((route, index) => {
    if (typeof route?.method !== 'string' || !/^[A-Z]+$/.test(route.method)) {
      throw new Error(`${title}: routes[${index}].method must be an HTTP method such as 'GET'`);
    }
    if (typeof route.path !== 'string' || !route.path.startsWith('/')) {
      throw new Error(`${title}: routes[${index}].path must be a path template starting with '/'`);
    }
    const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
    return { route, names, pattern: routePattern(route.path) };
  });
  return (method, path) => {
    // A trailing slash reaches the same route, as the doors themselves read it.
    const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
    for (const { route, names, pattern } of compiled) {
      if (route.method !== method) continue;
      const match = pattern.exec(trimmed);
      if (match === null) continue;
      const parameters: Record<string, string> = Object.fromEntries(
        names.map((name, index) => [name, match[index + 1] as string]),
      );
      return { kind: 'route', route, parameters };
    }
    return { kind: 'none' };
  };
}
