/**
 * Structured JSON logging (pino). Every line passes through `redact`, so NHS numbers are masked and
 * tokens never written whatever the call site hands in; a correlation id is attached to every line
 * (`child({ correlationId })`, or `-` when the line is not about a request).
 */
import pino, { type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { redact, redactText } from './redact';

export type Logger = PinoLogger;

export interface LoggerOptions {
  level?: LevelWithSilent;
  name?: string;
  /** Where lines go; defaults to stderr so command output on stdout stays clean. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? (process.env.PCA_HARNESS_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  const logger = pino(
    {
      level,
      name: opts.name ?? 'pca-harness',
      base: undefined,
      // A line not bound to a request still says so, rather than having no correlation id.
      mixin: (_obj: object, _level: number, current: PinoLogger) =>
        'correlationId' in current.bindings() ? {} : { correlationId: '-' },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        // Runs on the merged bindings of child loggers too.
        bindings: (bindings) => redact(bindings),
        log: (obj) => redact(obj),
      },
      hooks: {
        logMethod(args, method) {
          const cleaned = args.map((a) => (typeof a === 'string' ? redactText(a) : redact(a))) as Parameters<
            typeof method
          >;
          return method.apply(this, cleaned);
        },
      },
      serializers: {
        err: (e: unknown) => redact(pino.stdSerializers.err(e as Error)),
      },
    },
    opts.destination ?? pino.destination(2),
  );
  // Child bindings are serialised once at child() time and bypass the formatters, so clean them here.
  // Children inherit this override through their prototype, and `this` is the logger being extended.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(this) below
  const originalChild = (Object.getPrototypeOf(logger) as PinoLogger).child;
  logger.child = function child(this: PinoLogger, bindings, options) {
    return originalChild.call(this, redact(bindings), options);
  } as PinoLogger['child'];
  return logger;
}

/** A logger that writes nothing: the default for in-process services under test. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Collects redacted log lines in memory, for tests that assert on what would have been written. */
export function memoryLogger(level: LevelWithSilent = 'trace'): { logger: Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const destination: DestinationStream = {
    write: (s: string) => {
      chunks.push(s);
    },
  };
  return { logger: createLogger({ level, destination }), lines: () => chunks.join('').split('\n').filter(Boolean) };
}
