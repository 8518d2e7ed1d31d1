// A Server-Sent Events client over node:http for tests: it parses the
// stream as it arrives (events with id, type and JSON data; comments), can
// wait for an event, and can stop reading (a slow client) or hang up.
import http from 'node:http';

export interface SseEvent {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: SseEvent[];
  /** The comment lines (": ..."), without the colon. */
  comments: string[];
  /** Resolves with the first event (already received or to come) that matches; rejects if the stream ends first. */
  next(match: (event: SseEvent) => boolean): Promise<SseEvent>;
  /** Resolves with the first comment (already received or to come) that matches. */
  comment(match: (text: string) => boolean): Promise<string>;
  /** Resolves when the server ended the stream or the connection closed. */
  ended: Promise<void>;
  /** Stops reading from the socket (the kernel's buffers fill, then the server's). */
  pause(): void;
  resume(): void;
  close(): void;
}

export interface SseOptions {
  token?: string | null;
  headers?: Record<string, string>;
}

/** Opens the stream; resolves once the response headers are in (also for an error answer: then `events` stays empty). */
export function openEvents(port: number, path = '/v1/events', options: SseOptions = {}): Promise<SseClient> {
  const headers: Record<string, string> = { accept: 'text/event-stream', 'accept-encoding': 'gzip, deflate, br', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path, headers, agent: false }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      let over = false;
      let endedResolve!: () => void;
      const ended = new Promise<void>((r) => (endedResolve = r));
      const finish = () => {
        over = true;
        endedResolve();
        for (const w of [...waiters]) w();
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else {
              const colon = line.indexOf(':');
              if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
            }
          }
          if (fields.data !== undefined)
            events.push({
              id: Number(fields.id),
              type: fields.event ?? 'message',
              data: JSON.parse(fields.data) as Record<string, unknown>,
            });
        }
        for (const w of [...waiters]) w();
      });
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      const waitFor = <T>(find: () => T | undefined, what: string): Promise<T> =>
        new Promise((resolveWait, rejectWait) => {
          const check = () => {
            const found = find();
            if (found !== undefined) {
              waiters.delete(check);
              resolveWait(found);
            } else if (over) {
              waiters.delete(check);
              rejectWait(new Error(`the stream ended before ${what}`));
            }
          };
          waiters.add(check);
          check();
        });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        next: (match) => waitFor(() => events.find(match), 'the event waited for'),
        comment: (match) => waitFor(() => comments.find(match), 'the comment waited for'),
        ended,
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
