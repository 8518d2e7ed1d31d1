// What a route's handler may answer besides a JSON body with status 200:
// another status (202 Accepted), or a stream that keeps the response open.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A JSON body with a status other than 200. */
export class JsonReply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** A 200 JSON body already serialised (a cached listing): sent as it is. */
export class JsonBytes {
  constructor(readonly bytes: Buffer) {}
}

/** A 200 JSON body sent in pieces as they come (chunked), for bodies too large to hold whole. */
export class JsonPieces {
  constructor(
    readonly pieces: AsyncIterable<Buffer>,
    /** Called with each piece once it is written, so that its buffer can be used again. */
    readonly release?: (piece: Buffer) => void,
  ) {}
}

/** 202: the work goes on after the answer. */
export const accepted = (body: unknown) => new JsonReply(202, body);

/**
 * A response the route writes itself, for as long as it likes (Server-Sent
 * Events). The server ends every open stream with close() when it stops,
 * so streams never hold up a shutdown.
 */
export abstract class StreamingReply {
  /** Writes the response; resolves when it is over. `headers` are the server's own (CORS, no-store), to send with the route's. */
  abstract serve(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Promise<void>;
  /** Ends the stream soon (the server stops); safe to call at any time, also before serve(). */
  abstract close(): void;
}
