import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferencePage } from '../../src/index.js';

const document = { openapi: '3.1.0', info: { title: 'reports <beta>', version: '1.0.0' }, paths: {} };

let server: Server;
let base = '';
let served = 0;
beforeAll(async () => {
  const reference = createReferencePage({
    openapi: () => {
      served += 1;
      return document;
    },
  });
  const mounted = createReferencePage({ openapi: async () => document, basePath: '/api', title: 'Mounted' });
  server = createServer((request, response) => {
    if (reference(request, response) || mounted(request, response)) return;
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('the API reference page', () => {
  it('serves the page, pointing at its own renderer and document, its title escaped', async () => {
    const response = await fetch(`${base}/reference`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('<title>reports &#60;beta&#62; — API reference</title>');
    expect(html).toContain('<script src="/reference/api-reference.js"></script>');
    expect(html).toContain('"url":"/openapi.json"');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("serves the renderer from the installed package, no CDN, without its source map's comment", async () => {
    const response = await fetch(`${base}/reference/api-reference.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const script = await response.text();
    expect(script).toContain('createApiReference');
    expect(script).not.toMatch(/sourceMappingURL=\S+\s*$/);
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(script));
  });

  it('serves the document as asked for on each request, and leaves other paths alone', async () => {
    const before = served;
    const response = await fetch(`${base}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual(document);
    expect(served).toBe(before + 1);
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
    expect((await fetch(`${base}/openapi.json`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/reference`, { method: 'HEAD' })).status).toBe(200);
  });

  it('can be mounted under a base path', async () => {
    const html = await (await fetch(`${base}/api/reference`)).text();
    expect(html).toContain('<title>Mounted — API reference</title>');
    expect(html).toContain('<script src="/api/reference/api-reference.js"></script>');
    expect((await fetch(`${base}/api/openapi.json`)).status).toBe(200);
    expect((await fetch(`${base}/api/reference/api-reference.js`)).status).toBe(200);
  });
});
