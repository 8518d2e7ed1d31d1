// How the core tells a person what no caller is waiting to hear: an odd
// entry skipped in the storage folder, a failure while following another
// process's writes. Each host routes it: `serve` to stderr, the extension to
// its output channel.
export type LogLevel = 'info' | 'warn' | 'error';

export type Log = (level: LogLevel, message: string) => void;

export const noLog: Log = () => undefined;
