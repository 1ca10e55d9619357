import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultBackend, encodeBase64Url, encrypt, type RawKeyPair } from '@herald/webpush';
import { WebSocket } from 'ws';
import type { HeadlessSubscription } from '../src/index.js';

const encoder = new TextEncoder();

/** A VAPID key pair as raw bytes plus its base64url public key. */
export async function vapidKeys(): Promise<RawKeyPair & { publicKeyText: string }> {
  const pair = await defaultBackend.generateKeyPair();
  return { ...pair, publicKeyText: encodeBase64Url(pair.publicKey) };
}

/** An ES256 JWT for `aud`, signed with `keys` (RFC 8292 §2). */
export async function vapidJwt(
  keys: RawKeyPair,
  aud: string,
  expSeconds = Math.floor(Date.now() / 1000) + 3600,
  alg = 'ES256',
): Promise<string> {
  const header = encodeBase64Url(encoder.encode(JSON.stringify({ typ: 'JWT', alg })));
  const payload = encodeBase64Url(
    encoder.encode(JSON.stringify({ aud, exp: expSeconds, sub: 'mailto:ops@example.com' })),
  );
  const signature = await defaultBackend.sign(
    await defaultBackend.importSigningKey(keys),
    encoder.encode(`${header}.${payload}`),
  );
  return `${header}.${payload}.${encodeBase64Url(signature)}`;
}

/** Encrypts `payload` for a subscription and POSTs it with fetch; extra headers override. */
export async function push(
  subscription: Pick<HeadlessSubscription, 'endpoint' | 'keys'>,
  payload: string | Uint8Array | null,
  options: {
    vapid?: RawKeyPair;
    encoding?: 'aes128gcm' | 'aesgcm';
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ttl: '60' };
  let body: Uint8Array | undefined;
  const encoding = options.encoding ?? 'aes128gcm';
  if (payload !== null) {
    const encrypted = await encrypt(
      payload,
      {
        p256dh: decode(subscription.keys.p256dh),
        auth: decode(subscription.keys.auth),
      },
      { contentEncoding: encoding },
    );
    body = encrypted.body;
    headers['content-encoding'] = encoding;
    Object.assign(headers, encrypted.headers);
  }
  if (options.vapid) {
    const jwt = await vapidJwt(options.vapid, new URL(subscription.endpoint).origin);
    const k = encodeBase64Url(options.vapid.publicKey);
    if (encoding === 'aesgcm') {
      headers.authorization = `WebPush ${jwt}`;
      headers['crypto-key'] = headers['crypto-key']
        ? `${headers['crypto-key']};p256ecdsa=${k}`
        : `p256ecdsa=${k}`;
    } else {
      headers.authorization = `vapid t=${jwt}, k=${k}`;
    }
  }
  Object.assign(headers, options.headers);
  for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name];
  return fetch(subscription.endpoint, { method: 'POST', headers, body: body as BodyInit | undefined });
}

function decode(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'base64url'));
}

/** A raw protocol client: send JSON or text, read the next frame, see the close code. */
export class RawClient {
  readonly ws: WebSocket;
  readonly frames: string[] = [];
  readonly #waiting: Array<(frame: string) => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const frame = data.toString();
      const waiter = this.#waiting.shift();
      if (waiter) waiter(frame);
      else this.frames.push(frame);
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static async open(url: string, protocol = 'push-notification'): Promise<RawClient> {
    const ws = new WebSocket(url, protocol);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new RawClient(ws);
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  next(timeoutMs = 2000): Promise<string> {
    const frame = this.frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs);
      this.#waiting.push((f) => {
        clearTimeout(timer);
        resolve(f);
      });
    });
  }

  async nextJson(timeoutMs?: number): Promise<Record<string, unknown>> {
    return JSON.parse(await this.next(timeoutMs));
  }

  async request(message: unknown): Promise<Record<string, unknown>> {
    this.send(message);
    return this.nextJson();
  }

  close(): void {
    this.ws.close();
  }
}

/** A self-signed P-256 certificate for 127.0.0.1, written to a fresh directory. */
export interface TestCertificate {
  dir: string;
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
}

/**
 * Makes a certificate for TLS tests with the `openssl` CLI (`node:crypto` cannot issue one).
 * The caller removes `dir` when done.
 */
export function selfSignedCertificate(prefix: string): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: 'ignore' },
  );
  return { dir, certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) };
}
