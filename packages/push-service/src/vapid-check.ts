import { VapidVerifier, WebPushError } from '@herald/webpush';
import type { VapidCheck } from './push-endpoint.js';

/**
 * The push service's VAPID check: `@herald/webpush`'s {@link VapidVerifier} (RFC 8292: either
 * header scheme, ES256 signature by the key the subscription was registered with, `aud` = the
 * service's origin, `exp` in the future and at most 24 h ahead), with every `ERR_VAPID_*` turned
 * into the reason of a 401 (autopush errno 109). The verifier caches a verified JWT until its
 * `exp`, so a sender reusing one JWT per audience costs one signature check, not one per push.
 * A subscription registered without a key accepts pushes without VAPID, and checks VAPID when
 * it is sent anyway.
 *
 * @example
 * ```ts
 * const check = createVapidCheck();
 * const problem = await check({ authorization, cryptoKey, expectedKey, audience: 'https://push.example' });
 * ```
 */
export function createVapidCheck(): VapidCheck {
  let verifier: VapidVerifier | undefined;
  return async ({ authorization, cryptoKey, expectedKey, audience }) => {
    if (authorization === undefined || authorization === '') {
      return expectedKey === null
        ? null
        : 'this subscription was created with an applicationServerKey: VAPID authorization is required';
    }
    if (verifier?.audience !== audience) verifier = new VapidVerifier({ audience });
    try {
      await verifier.verify({ authorization, cryptoKey, expectedPublicKey: expectedKey ?? undefined });
      return null;
    } catch (error) {
      if (error instanceof WebPushError) return error.message;
      throw error;
    }
  };
}
