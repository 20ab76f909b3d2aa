/**
 * Structured JSON logs (pino) with secrets redacted: access tokens, API keys and authorization
 * headers never reach a log line, wherever they sit in the logged object.
 *
 * @module
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Paths pino censors (fast-redact syntax; `*` matches one level). */
export const REDACT_PATHS = [
  'accessToken', '*.accessToken', '*.*.accessToken', 'token', '*.token', '*.*.token',
  'apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'headers["access-token"]', '*.headers["access-token"]', '["access-token"]',
  // The simulator's control secret (an AccountsSource of kind 'sim' carries it).
  'secret', '*.secret', '*.*.secret', 'controlSecret', '*.controlSecret',
];

/** Removes secrets from free text (URLs with `token=`, bearer keys, JWT-looking strings). */
export function redactText(text: string): string {
  return text
    .replace(/([?&](?:token|accessToken|access-token)=)[^&\s"']+/gi, '$1[REDACTED]')
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/-]+=*/g, '$1[REDACTED]')
    .replace(/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '[REDACTED-JWT]');
}

function redactError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const s = pino.stdSerializers.err(e) as { message: string; stack: string };
  s.message = redactText(s.message);
  s.stack = redactText(s.stack ?? '');
  return s;
}

/** Creates the process logger (JSON lines on stdout, or on `destination`). */
export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: redactError, error: redactError },
      hooks: {
        logMethod(args, method) {
          // Messages can carry URLs (the feed URL has the token in its query): scrub strings too.
          const scrubbed = args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as typeof args;
          return method.apply(this, scrubbed);
        },
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
