import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  decodeBase64Url,
  encodeBase64Url,
  generateVapidKeys,
  importVapidKeys,
  importVapidPublicKey,
  parseVapidAuthorization,
  VapidSigner,
  VapidVerifier,
  validateVapidSubject,
  vapidAudience,
  vapidKeysToJwk,
  vapidKeysToPem,
  vapidPublicKeyToPem,
  WebPushError,
} from '../src/index.js';
import { backends } from './backends.js';

/** Runs `action`; anything thrown or rejected must be a WebPushError. Returns the value or undefined. */
async function typed<T>(action: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof WebPushError))
      throw new Error(`threw a non-WebPushError: ${String(error)}`, { cause: error });
    return undefined;
  }
}

const base64urlChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');

/** A DER mutation: flip a byte, cut, insert or change a length byte. */
const mutation = fc.record({
  kind: fc.constantFrom('flip', 'truncate', 'insert', 'set'),
  position: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
});

function mutate(der: Uint8Array, m: { kind: string; position: number; value: number }): Uint8Array {
  const at = m.position % der.length;
  if (m.kind === 'truncate') return der.subarray(0, at);
  if (m.kind === 'insert') return new Uint8Array([...der.subarray(0, at), m.value, ...der.subarray(at)]);
  const out = Uint8Array.from(der);
  out[at] = m.kind === 'flip' ? out[at]! ^ (1 << (m.value % 8)) : m.value;
  return out;
}

function pem(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64')}\n-----END ${label}-----\n`;
}

function derOf(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
}

describe.each(backends.map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  test('mutated PKCS#8, SEC1 and SPKI keys fail with WebPushError or import as the very same key', async () => {
    const keys = await generateVapidKeys(backend);
    const pkcs8 = derOf(vapidKeysToPem(keys, 'pkcs8'));
    const sec1 = derOf(vapidKeysToPem(keys, 'sec1'));
    const spki = derOf(vapidPublicKeyToPem(keys.publicKey));
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        let a = pkcs8;
        let b = sec1;
        let c = spki;
        for (const m of mutations) {
          a = mutate(a, m);
          b = mutate(b, m);
          c = mutate(c, m);
        }
        for (const [label, der] of [
          ['PRIVATE KEY', a],
          ['EC PRIVATE KEY', b],
        ] as const) {
          const result = await typed(() => importVapidKeys(pem(label, der), backend));
          if (result !== undefined) expect(result).toEqual(keys);
        }
        const result = await typed(() => importVapidPublicKey(pem('PUBLIC KEY', c), backend));
        if (result !== undefined) expect(result).toBe(keys.publicKey);
      }),
      { numRuns: 150 },
    );
  });

  test('arbitrary text and objects never import as a key', async () => {
    const keys = await generateVapidKeys(backend);
    const jwk = vapidKeysToJwk(keys);
    const hostile = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc
        .string({ unit: 'binary', maxLength: 100 })
        .map((s) => `-----BEGIN PRIVATE KEY-----\n${s}\n-----END PRIVATE KEY-----`),
      fc
        .base64String({ maxLength: 400 })
        .map((s) => `-----BEGIN EC PRIVATE KEY-----\n${s}\n-----END EC PRIVATE KEY-----`),
      fc.jsonValue(),
      fc.record({
        kty: fc.jsonValue(),
        crv: fc.jsonValue(),
        x: fc.jsonValue(),
        y: fc.jsonValue(),
        d: fc.jsonValue(),
      }),
      fc.record({ publicKey: fc.jsonValue(), privateKey: fc.jsonValue() }),
      fc.record({
        kty: fc.constant('EC'),
        crv: fc.constant('P-256'),
        x: fc.string({ unit: base64urlChar, maxLength: 50 }),
        y: fc.constant(jwk.y),
        d: fc.constant(jwk.d),
      }),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (input) => {
        expect(await typed(() => importVapidKeys(input as never, backend))).toBeUndefined();
        const asPublic = await typed(() => importVapidPublicKey(input as never, backend));
        if (asPublic !== undefined)
          expect(typeof input === 'string' && decodeBase64Url(input).length).toBe(65);
      }),
      { numRuns: 300 },
    );
  });

  test('tampered tokens and keys never verify', async () => {
    const keys = await generateVapidKeys(backend);
    const now = Date.UTC(2026, 10, 27, 12);
    const signer = await VapidSigner.create({
      subject: 'mailto:push@example.com',
      ...keys,
      clock: () => now,
      backend,
    });
    const { token } = await signer.token('https://push.example.net/x');
    const verifier = new VapidVerifier({ audience: 'https://push.example.net', clock: () => now, backend });
    await verifier.verify({ authorization: `vapid t=${token}, k=${keys.publicKey}` });
    const edit = fc.record({
      position: fc.nat(),
      replacement: fc.oneof(base64urlChar, fc.constantFrom('.', '=', ' ', ',', '"', 'é', '\u0000')),
      remove: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), fc.boolean(), async (edits, onKey) => {
        let t = token;
        let k = keys.publicKey;
        for (const e of edits) {
          const s = onKey ? k : t;
          const at = e.position % s.length;
          const next = s.slice(0, at) + (e.remove ? '' : e.replacement) + s.slice(at + 1);
          if (onKey) k = next;
          else t = next;
        }
        fc.pre(t !== token || k !== keys.publicKey);
        // A trailing '=' on the key is padding, the same key: that one may verify.
        fc.pre(!(t === token && k.replace(/=+$/, '') === keys.publicKey));
        for (const authorization of [`vapid t=${t}, k=${k}`, `WebPush ${t}`]) {
          const result = await typed(() =>
            verifier.verify({
              authorization,
              cryptoKey: `p256ecdsa=${k}`,
              expectedPublicKey: onKey ? undefined : k,
            }),
          );
          expect(result).toBeUndefined();
        }
      }),
      { numRuns: 300 },
    );
  });

  test('arbitrary Authorization and Crypto-Key values fail with WebPushError', async () => {
    const verifier = new VapidVerifier({ audience: 'https://push.example.net', backend });
    const header = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc
        .tuple(
          fc.constantFrom('vapid ', 'WebPush ', 'VAPID t=', 'vapid t=', 'webpush '),
          fc.string({ maxLength: 300 }),
        )
        .map(([a, b]) => a + b),
      fc
        .tuple(
          fc.string({ unit: base64urlChar, maxLength: 60 }),
          fc.string({ unit: base64urlChar, maxLength: 60 }),
          fc.string({ unit: base64urlChar, maxLength: 90 }),
        )
        .map(([h, p, s]) => `vapid t=${h}.${p}.${s}, k=${s}`),
      fc.constant(undefined),
      fc.constant(null),
    );
    await fc.assert(
      fc.asyncProperty(header, fc.option(fc.string({ maxLength: 200 })), async (authorization, cryptoKey) => {
        expect(await typed(() => verifier.verify({ authorization, cryptoKey }))).toBeUndefined();
        await typed(() => parseVapidAuthorization(authorization, cryptoKey));
      }),
      { numRuns: 400 },
    );
  });
});

test('values of any type given to any VAPID parser fail with WebPushError, never another exception', async () => {
  const verifier = new VapidVerifier({ audience: 'https://push.example.net' });
  await fc.assert(
    fc.asyncProperty(fc.anything(), fc.anything(), fc.anything(), async (a, b, c) => {
      expect(await typed(() => importVapidKeys(a as never))).toBeUndefined();
      expect(await typed(() => importVapidPublicKey(a as never))).toBeUndefined();
      expect(
        await typed(() => verifier.verify({ authorization: a, cryptoKey: b, expectedPublicKey: c } as never)),
      ).toBeUndefined();
      expect(await typed(() => verifier.verify(a as never))).toBeUndefined();
      expect(
        await typed(() => VapidSigner.create({ subject: a, publicKey: b, privateKey: c } as never)),
      ).toBeUndefined();
      await typed(() => parseVapidAuthorization(a as never, b as never));
      await typed(() => vapidKeysToJwk(a as never));
      await typed(() => vapidKeysToPem(a as never, b as never));
      await typed(() => vapidPublicKeyToPem(a as never));
      await typed(() => vapidAudience(a as never));
      await typed(() => validateVapidSubject(a as never));
    }),
    { numRuns: 300 },
  );
});

test('vapidAudience agrees with the URL parser on every input it accepts', async () => {
  const endpoint = fc.oneof(
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc
      .tuple(
        fc.constantFrom(
          'https://',
          'http://',
          'https:',
          'https:///',
          'HTTPS://',
          'https:\\\\',
          ' https://',
          'https://u@',
        ),
        fc.domain(),
        fc.constantFrom('', ':443', ':80', ':8443', ':0', ':99999', '.'),
        fc.constantFrom('', '/', '/p?q#f', '?x', '#y', '\\p', '@evil.com/'),
      )
      .map((parts) => parts.join('')),
    fc.string({ maxLength: 60 }),
  );
  await fc.assert(
    fc.asyncProperty(endpoint, async (text) => {
      // Twice: the second answer comes from the memo.
      for (let i = 0; i < 2; i++) {
        const origin = await typed(() => vapidAudience(text));
        let expected: string | undefined;
        try {
          const url = new URL(text);
          if (url.protocol === 'https:' || url.protocol === 'http:') expected = url.origin;
        } catch {
          expected = undefined;
        }
        expect(origin).toBe(expected);
      }
    }),
    { numRuns: 1000 },
  );
});

test('validateVapidSubject only ever throws WebPushError', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string(),
        fc
          .tuple(fc.constantFrom('mailto:', 'https://', 'http://', 'MAILTO:'), fc.string())
          .map(([a, b]) => a + b),
        fc.emailAddress().map((e) => `mailto:${e}`),
        fc.jsonValue(),
      ),
      async (subject) => {
        const result = await typed(() => validateVapidSubject(subject as string));
        if (result !== undefined) expect(result).toBe(subject);
      },
    ),
    { numRuns: 1000 },
  );
});

test('encodeBase64Url of random scalars always round-trips through the JWK and PEM exports', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      (d, xy) => {
        const keys = {
          publicKey: encodeBase64Url(new Uint8Array([4, ...xy])),
          privateKey: encodeBase64Url(d),
        };
        const jwk = vapidKeysToJwk(keys);
        expect(decodeBase64Url(jwk.d)).toEqual(d);
        expect(derOf(vapidKeysToPem(keys, 'sec1')).subarray(7, 39)).toEqual(d);
      },
    ),
    { numRuns: 100 },
  );
});
