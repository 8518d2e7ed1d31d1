// Reading a request body within bounds: its size (1 MiB, 413), the time it
// may take to arrive (30 s from the request's start, 408: a prompt may take
// minutes to answer, but its body must not take long to send), and, for
// JSON, how deep it nests (64 levels, 422: see src/core/jsonDepth.ts).
import type { IncomingMessage } from 'node:http';
import { CoreError, invalidField } from '../core/errors';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../core/jsonDepth';

export const MAX_BODY_BYTES = 1024 * 1024;
export const BODY_TIMEOUT_MS = 30_000;

const tooLarge = () => new CoreError('too-large', `Request body is larger than ${MAX_BODY_BYTES} bytes.`);

/**
 * The body of one request. The clock starts when the request arrives and
 * stops when its body has arrived whole; if it runs out first, a read in
 * progress fails with a 408, and a body nobody reads any more (the request
 * was answered before it, e.g. 401) has its connection closed.
 */
export class RequestBody {
  private readonly timer: ReturnType<typeof setTimeout>;
  private onExpire: (() => void) | undefined;
  private expired = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly timeoutMs = BODY_TIMEOUT_MS,
  ) {
    this.timer = setTimeout(() => this.expire(), timeoutMs);
    const stop = () => clearTimeout(this.timer);
    req.once('end', stop);
    req.once('close', stop);
  }

  private expire(): void {
    if (this.req.complete) return;
    this.expired = true;
    if (this.onExpire) this.onExpire();
    else this.req.socket.destroy();
  }

  private timeoutError(): CoreError {
    return new CoreError('timeout', `Request body did not arrive completely within ${Number((this.timeoutMs / 1000).toFixed(3))} s.`);
  }

  /** The whole body, or a 413 as soon as it is over the limit, or a 408 when time runs out. */
  read(): Promise<Buffer> {
    const { req } = this;
    if (Number(req.headers['content-length'] ?? '0') > MAX_BODY_BYTES) return Promise.reject(tooLarge());
    if (this.expired) return Promise.reject(this.timeoutError());
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (err: Error | undefined) => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
        this.onExpire = undefined;
        if (err) {
          // Nothing more is read; the answer goes out and the connection is closed.
          req.pause();
          reject(err);
        } else resolve(Buffer.concat(chunks));
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) finish(tooLarge());
        else chunks.push(chunk);
      };
      const onEnd = () => finish(undefined);
      const onError = () => finish(new CoreError('bad-request', 'Request body was cut off before it ended.'));
      this.onExpire = () => finish(this.timeoutError());
      req.on('data', onData);
      req.once('end', onEnd);
      req.once('error', onError);
    });
  }

  /** The body as JSON; `whenEmpty` stands for a body with nothing in it, else that is a 400. */
  async json(whenEmpty?: unknown): Promise<unknown> {
    const raw = (await this.read()).toString('utf8');
    if (raw.trim() === '') {
      if (whenEmpty !== undefined) return whenEmpty;
      throw new CoreError('bad-request', 'Request body is empty; send a JSON object.');
    }
    if (nestsDeeperThan(raw, MAX_JSON_DEPTH)) {
      throw invalidField(['body'], `Request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`);
    }
    try {
      return JSON.parse(raw);
    } catch {
      throw new CoreError('bad-request', 'Request body is not valid JSON');
    }
  }

  /** Reads and drops a body the route does not take, so that the connection stays usable. */
  async discard(): Promise<undefined> {
    await this.read();
    return undefined;
  }
}
