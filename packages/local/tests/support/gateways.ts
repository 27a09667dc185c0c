import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LambdaService, startLambdaService } from '../../src/index.js';
import { fixture } from './helpers.js';

const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/** A real event sample kept by another package's tests (the shapes the emulators must reproduce). */
export function sampleEvent(relativePath: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(repositoryRoot, relativePath), 'utf8')) as Record<string, unknown>;
}

/** The Lambda service with the gateway fixture as `gateway`, and as `gateway-short` with a 0.5 s timeout. */
export function startGatewayFunctions(): Promise<LambdaService> {
  return startLambdaService({
    functions: [
      { name: 'gateway', entry: fixture('gateway'), timeoutSeconds: 10 },
      { name: 'gateway-short', entry: fixture('gateway'), timeoutSeconds: 0.5 },
    ],
    logs: 'quiet',
  });
}

export interface CurlResult {
  status: number;
  body: string;
}

/** Runs the real curl; the status comes from `-w`, after the body. */
export function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'curl',
      ['--silent', '--show-error', '--max-time', '10', '--write-out', '\n%{http_code}', ...args],
      { maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`curl failed: ${stderr || error.message}`));
        const newline = stdout.lastIndexOf('\n');
        resolve({ status: Number(stdout.slice(newline + 1)), body: stdout.slice(0, newline) });
      },
    );
  });
}

/** fetch, with the answer's body as text and JSON-parsed when it parses. */
export async function request(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; text: string; json: unknown; elapsedMs: number }> {
  const started = Date.now();
  const response = await fetch(url, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json, elapsedMs: Date.now() - started };
}

/**
 * The event the echoing fixture received, from a default-path answer. Loosely typed on purpose: the tests probe
 * it field by field, including fields the community types do not have.
 */
// biome-ignore lint/suspicious/noExplicitAny: an echoed event is probed in assertions, not used as a type
export type Echoed = Record<string, any>;

export function echoedEvent(response: { json: unknown }): Echoed {
  return response.json as Echoed;
}

export const sortedKeys = (value: unknown): string[] => Object.keys(value as object).sort();
