import pino, { type Logger } from 'pino';
import { logLevel } from './config';

export type { Logger };

// Field names that may carry secrets are censored wherever they appear in a log object.
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'env.RESTIC_PASSWORD',
  '*.env.RESTIC_PASSWORD',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'secretAccessKey',
  '*.secretAccessKey',
  'env.AWS_SECRET_ACCESS_KEY',
  '*.env.AWS_SECRET_ACCESS_KEY',
];

export function createLogger(name: string, level = logLevel()): Logger {
  return pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
