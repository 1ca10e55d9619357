// A self-signed P-256 certificate for the sink, made fresh at every run with the openssl CLI
// (Node cannot issue certificates). Both contenders trust it explicitly as their only CA: no
// TLS check is turned off.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function createCertificate(dir) {
  const keyPath = join(dir, 'sink-key.pem');
  const certPath = join(dir, 'sink-cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { keyPath, certPath, cert: readFileSync(certPath, 'utf8') };
}
