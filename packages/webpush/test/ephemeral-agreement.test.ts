import { expect, test } from 'vitest';
import { backends } from './backends.js';

// RFC 8291 §3.1: a new ephemeral key pair for every message. The node backend reuses one ECDH
// object (generateKeys() replaces its pair), so this pins that no pair is ever handed out twice
// and that each secret belongs to its own public key, also when calls come in a burst.
test.each(backends.map((b) => [b.name, b] as const))(
  '%s backend: every agreement has its own key pair, and its secret matches it',
  async (_name, backend) => {
    const receiver = await backend.generateKeyPair();
    const key = await backend.importEcdhPrivateKey(receiver);
    const agreements = await Promise.all(
      Array.from({ length: 50 }, () => backend.ephemeralAgreement(receiver.publicKey)),
    );
    const publicKeys = new Set(agreements.map((a) => Buffer.from(a.publicKey).toString('hex')));
    expect(publicKeys.size).toBe(agreements.length);
    for (const { publicKey, secret } of agreements) {
      expect(await backend.agree(key, publicKey)).toEqual(secret);
    }
  },
);
