import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ReferencePageOptions {
  /** The OpenAPI document to show, asked for on each `GET /openapi.json` (so it follows a reloaded service). */
  readonly openapi: () => unknown | Promise<unknown>;
  /** The page's title. Default: the document's `info.title`, else "API reference". */
  readonly title?: string;
  /** Where the handler is mounted, without a trailing slash: `/api` serves `/api/reference`. Default: the root. */
  readonly basePath?: string;
}

/** Answers a request if it is one of its routes (true), or leaves it to the caller (false). */
export type ReferencePageHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

const ASSET = 'api-reference.js';

/**
 * A request handler for node:http that serves an API reference page for an OpenAPI document, offline: `GET
 * /reference` (the page), `GET /reference/api-reference.js` (Scalar's standalone renderer, read from the
 * `@scalar/api-reference` package installed beside this one — no CDN) and `GET /openapi.json` (the document).
 * Scalar's network features are off: no fonts from its CDN, no telemetry, no agent chat.
 */
export function createReferencePage(options: ReferencePageOptions): ReferencePageHandler {
  const base = options.basePath ?? '';
  const pagePath = `${base}/reference`;
  const assetPath = `${base}/reference/${ASSET}`;
  const documentPath = `${base}/openapi.json`;

  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== pagePath && path !== `${pagePath}/` && path !== assetPath && path !== documentPath)
      return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(
        response,
        request,
        405,
        { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' },
        'GET only.\n',
      );
      return true;
    }
    void answer(path).then(
      ({ status, headers, body }) => send(response, request, status, headers, body),
      (error: unknown) =>
        send(
          response,
          request,
          500,
          { 'content-type': 'text/plain; charset=utf-8' },
          `The API reference failed: ${error instanceof Error ? error.message : String(error)}\n`,
        ),
    );
    return true;
  };

  async function answer(
    path: string | undefined,
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    if (path === assetPath) {
      return {
        status: 200,
        headers: {
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'public, max-age=3600',
        },
        body: await rendererScript(),
      };
    }
    const document = await options.openapi();
    if (path === documentPath) {
      return {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(document),
      };
    }
    const title =
      options.title ??
      (document as { info?: { title?: unknown } } | undefined)?.info?.title ??
      'API reference';
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
      body: rendererInstalled()
        ? page(String(title), assetPath, documentPath)
        : withoutRenderer(String(title), documentPath),
    };
  }
}

function send(
  response: ServerResponse,
  request: IncomingMessage,
  status: number,
  headers: Record<string, string>,
  body: string,
): void {
  const bytes = Buffer.from(body, 'utf8');
  response.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
  response.end(request.method === 'HEAD' ? undefined : bytes);
}

let script: Promise<string> | undefined;

/**
 * The renderer is an optional peer: it brings about 400 packages, which every project installing Baton would
 * otherwise download for a page it may never open (decision 0017). Without it the page says how to get it.
 */
function rendererInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@scalar/api-reference');
    return true;
  } catch {
    return false;
  }
}

function withoutRenderer(title: string, documentPath: string): string {
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>${escapeHtml(title)} — API reference</title></head>
  <body style="font-family: system-ui, sans-serif; margin: 2rem; max-width: 40rem">
    <h1>${escapeHtml(title)}</h1>
    <p>The API reference is rendered by Scalar, which is not installed in this project. Add it with
    <code>npm install --save-dev @scalar/api-reference</code> and reload this page.</p>
    <p>The OpenAPI document itself: <a href="${escapeHtml(documentPath)}">${escapeHtml(documentPath)}</a>.</p>
  </body>
</html>
`;
}

/**
 * Scalar's standalone bundle, read once. It is found from the package's main module (its exports map does not
 * name the bundle), and its source map comment is dropped: the map is not served.
 */
function rendererScript(): Promise<string> {
  script ??= (async () => {
    const require = createRequire(import.meta.url);
    const main = require.resolve('@scalar/api-reference');
    const text = await readFile(join(dirname(main), 'browser', 'standalone.js'), 'utf8');
    return text.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n');
  })();
  script.catch(() => {
    script = undefined;
  });
  return script;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function page(title: string, assetPath: string, documentPath: string): string {
  const configuration = {
    url: documentPath,
    // Offline and quiet: the system fonts, no telemetry, no agent chat, no developer tools toolbar.
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    showDeveloperTools: 'never',
    hideDownloadButton: false,
  };
  // `<` escaped so that no text of the configuration can close the script element.
  const json = JSON.stringify(configuration).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeHtml(title)} — API reference</title>
  </head>
  <body>
    <div id="app"></div>
    <script src="${escapeHtml(assetPath)}"></script>
    <script>Scalar.createApiReference('#app', ${json});</script>
  </body>
</html>
`;
}
