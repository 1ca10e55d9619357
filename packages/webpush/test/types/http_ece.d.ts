// Types for the parts of Mozilla's `http_ece` (no published types) that the interop tests use.
declare module 'http_ece' {
  interface EceParams {
    version?: 'aes128gcm' | 'aesgcm';
    key?: string;
    keyid?: string;
    salt?: string;
    rs?: number;
    pad?: number;
    dh?: string;
    privateKey?: import('node:crypto').ECDH;
    authSecret?: string;
  }
  const ece: {
    encrypt(buffer: Buffer, params: EceParams): Buffer;
    decrypt(buffer: Buffer, params: EceParams | Record<string, unknown>): Buffer;
  };
  export default ece;
}
