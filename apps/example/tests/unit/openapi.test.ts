import { readFileSync } from 'node:fs';
import { buildOpenApiDocument } from '@baton/http';
import { HTTP_ROUTES } from '@baton/http/routes';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { service } from '../../baton.config.js';
import { registry } from '../../src/operations/index.js';

const committedFile = new URL('../../docs/openapi.json', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** What `baton openapi` writes for this service (`pnpm openapi`), from its definition, package and registry. */
const generated = buildOpenApiDocument(registry, { title: service.name, version });

describe('docs/openapi.json', () => {
  it('is the document the operations and the route table give today', () => {
    // Compared as JSON, keys in order: `pnpm openapi` writes it and Biome formats it.
    const committed = JSON.parse(readFileSync(committedFile, 'utf8'));
    if (JSON.stringify(committed) !== JSON.stringify(generated)) {
      // The message says what to do; the difference that follows says what changed.
      expect(
        committed,
        'apps/example/docs/openapi.json is out of date: an operation schema or a route changed. Run `pnpm openapi` and commit the file.',
      ).toEqual(generated);
      expect.fail(
        'apps/example/docs/openapi.json has its keys in another order than `baton openapi` writes them. Run `pnpm openapi`.',
      );
    }
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(generated));
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every route of the table and every operation, each behind SigV4', () => {
    const document = JSON.parse(JSON.stringify(generated));
    for (const route of HTTP_ROUTES) {
      expect(document.paths[route.path]?.[route.method.toLowerCase()]).toMatchObject({
        operationId: route.operationId,
        security: [{ sigv4: [] }],
      });
    }
    expect(Object.keys(document.components.schemas.SubmitJobRequest.discriminator.mapping)).toEqual(
      [...registry.names].sort(),
    );
  });
});
