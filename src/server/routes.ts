// Every route of the local API: what it takes, what it answers, and how it
// is described in the OpenAPI document. Handlers only translate between
// HTTP and the core; all rules live in the core's schemas and services.
import * as z from 'zod';
import type { Core } from '../core/openCore';
import {
  BooleanQuerySchema,
  DEFAULT_NUM_OF_PREV_PROMPTS,
  ChatHistorySchema,
  ContextStrategyInfoSchema,
  CreateEndpointBodySchema,
  CreateSessionBodySchema,
  EndpointIdSchema,
  EndpointViewSchema,
  HistoryQuerySchema,
  NumOfPrevPromptsQuerySchema,
  PromptBodySchema,
  PromptTemplateSchema,
  SessionMetadataSchema,
  SuccessBodySchema,
  UpdateEndpointBodySchema,
} from '../core/schemas';
import { CONTEXT_STRATEGIES } from '../core/pipeline';
import { SUPPORTED_CONNECTOR_TYPES } from '../core/connectors';
import { parseOrThrow } from '../core/validation';
import { buildRedTeamRoutes } from './redTeamRoutes';
import { buildRunRoutes } from './runRoutes';
import { nameParam, objectBody, queryParam, sessionId, success } from './routeParams';
import { eventStreamRoute, type EventStreamOptions } from './eventStream';
import { JsonBytes, JsonPieces } from './reply';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RequestContext {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (undefined when the route takes none). */
  body: unknown;
}

export interface QueryDoc {
  name: string;
  schema: z.ZodType;
  description: string;
}

export interface Route {
  method: Method;
  /** `/v1/sessions/{session_id}`: segments in braces are path parameters. */
  path: string;
  summary: string;
  /** Answers without a token (a health check). */
  public?: boolean;
  /**
   * The JSON body the route takes: it documents the body (the OpenAPI
   * document) and tells the server to read one, but it is not parsed here.
   * The core validates what it is given, where it is used, so the API, the
   * VS Code commands and the headless CLI meet the same rules in one place;
   * handlers pass `ctx.body` (or one field of it) on unparsed.
   */
  body?: z.ZodType;
  query?: QueryDoc[];
  response: z.core.$ZodType;
  /** The success status (default 200); a handler answering another one returns a JsonReply with it. */
  status?: 200 | 202;
  /** What a success is (default JSON); a `text/event-stream` handler returns a StreamingReply. */
  produces?: 'application/json' | 'text/event-stream';
  /** Errors this route answers besides the ones every route can (for the OpenAPI document), by status. */
  errors?: Partial<Record<404 | 409 | 503, string>>;
  handle(ctx: RequestContext): Promise<unknown>;
}

export interface RouteOptions {
  eventStream?: EventStreamOptions;
}

const endpointId = (ctx: RequestContext) => parseOrThrow(EndpointIdSchema, ctx.params.endpoint_id, ['path', 'endpoint_id']);

export function buildRoutes(core: Core, options: RouteOptions = {}): Route[] {
  const { sessions, endpoints, templates } = core;
  return [
    {
      method: 'GET',
      path: '/',
      summary: 'Health check (no token needed)',
      public: true,
      response: z.object({ status: z.string() }),
      handle: async () => ({ status: 'web api is up and running' }),
    },
    {
      method: 'GET',
      path: '/v1/sessions',
      summary: 'All sessions, newest first, without history',
      response: z.array(SessionMetadataSchema),
      handle: async () => new JsonBytes((await sessions.listJson()).sessions),
    },
    {
      method: 'GET',
      path: '/v1/sessions/name',
      summary: 'The ids of all sessions, newest first',
      response: z.array(z.string()),
      handle: async () => new JsonBytes((await sessions.listJson()).names),
    },
    {
      method: 'GET',
      path: '/v1/sessions/{session_id}',
      summary: 'One session, with its chat history if asked',
      query: [{ name: 'include_history', schema: BooleanQuerySchema, description: 'true/false (also 1/0); default false' }],
      response: z.object({ session: SessionMetadataSchema }),
      handle: async (ctx) => {
        const id = sessionId(ctx);
        const includeHistory = queryParam(ctx, 'include_history', BooleanQuerySchema, false);
        if (includeHistory) {
          const history = await sessions.historyJson(id, 'session');
          return new JsonPieces(history.pieces, history.release);
        }
        return { session: await sessions.get(id) };
      },
    },
    {
      method: 'POST',
      path: '/v1/sessions',
      summary: 'Create a session',
      body: CreateSessionBodySchema,
      response: z.object({ session: SessionMetadataSchema }),
      handle: async (ctx) => ({ session: await sessions.create(ctx.body) }),
    },
    {
      method: 'DELETE',
      path: '/v1/sessions/{session_id}',
      summary: 'Delete a session and every file of it',
      response: SuccessBodySchema,
      handle: async (ctx) => {
        await sessions.delete(sessionId(ctx));
        return success;
      },
    },
    {
      method: 'POST',
      path: '/v1/sessions/{session_id}/prompt',
      summary: "Send a prompt to all the session's endpoints at once",
      body: PromptBodySchema,
      query: [
        {
          name: 'history',
          schema: HistoryQuerySchema,
          description: '"all" (default): every chat\'s whole history, as Moonshot; "new": only the records this prompt made',
        },
      ],
      response: ChatHistorySchema,
      handle: async (ctx) => {
        const id = sessionId(ctx);
        const which = queryParam(ctx, 'history', HistoryQuerySchema, 'all');
        const made = await sessions.prompt(id, objectBody(ctx).prompt);
        if (which === 'new') return made;
        const history = await sessions.historyJson(id, 'chats');
        return new JsonPieces(history.pieces, history.release);
      },
    },
    {
      method: 'PUT',
      path: '/v1/sessions/{session_id}/prompt_templates/{name}',
      summary: "Set the session's prompt template",
      response: SuccessBodySchema,
      handle: async (ctx) => {
        await sessions.setPromptTemplate(sessionId(ctx), nameParam(ctx));
        return success;
      },
    },
    {
      method: 'DELETE',
      path: '/v1/sessions/{session_id}/prompt_templates/{name}',
      summary: "Clear the session's prompt template (if it is this one)",
      response: SuccessBodySchema,
      handle: async (ctx) => {
        await sessions.clearPromptTemplate(sessionId(ctx), nameParam(ctx));
        return success;
      },
    },
    {
      method: 'PUT',
      path: '/v1/sessions/{session_id}/context_strategies/{name}',
      summary: "Set the session's context strategy",
      query: [
        {
          name: 'num_of_prev_prompts',
          schema: NumOfPrevPromptsQuerySchema,
          description: `How many earlier records it uses (default ${DEFAULT_NUM_OF_PREV_PROMPTS})`,
        },
      ],
      response: SuccessBodySchema,
      handle: async (ctx) => {
        const id = sessionId(ctx);
        const n = queryParam(ctx, 'num_of_prev_prompts', NumOfPrevPromptsQuerySchema, DEFAULT_NUM_OF_PREV_PROMPTS);
        await sessions.setContextStrategy(id, nameParam(ctx), n);
        return success;
      },
    },
    {
      method: 'DELETE',
      path: '/v1/sessions/{session_id}/context_strategies/{name}',
      summary: "Clear the session's context strategy (if it is this one)",
      response: SuccessBodySchema,
      handle: async (ctx) => {
        await sessions.clearContextStrategy(sessionId(ctx), nameParam(ctx));
        return success;
      },
    },
    {
      method: 'GET',
      path: '/v1/prompt_templates',
      summary: 'The prompt templates that sessions can use',
      response: z.array(PromptTemplateSchema),
      handle: async () => templates.list(),
    },
    {
      method: 'GET',
      path: '/v1/context_strategies',
      summary: 'The context strategies: names, or objects with ?detail=true',
      query: [{ name: 'detail', schema: BooleanQuerySchema, description: 'true: objects with name and description' }],
      response: z.union([z.array(z.string()), z.array(ContextStrategyInfoSchema)]),
      handle: async (ctx) => {
        const detail = queryParam(ctx, 'detail', BooleanQuerySchema, false);
        const all = [...CONTEXT_STRATEGIES.values()];
        return detail ? all.map(({ name, description }) => ({ name, description })) : all.map((s) => s.name);
      },
    },
    {
      method: 'GET',
      path: '/v1/connectors',
      summary: 'The connector types this build can call',
      response: z.array(z.string()),
      handle: async () => [...SUPPORTED_CONNECTOR_TYPES],
    },
    {
      method: 'GET',
      path: '/v1/llm_endpoints',
      summary: 'All endpoints (tokens redacted)',
      response: z.array(EndpointViewSchema),
      handle: () => endpoints.list(),
    },
    {
      method: 'POST',
      path: '/v1/llm_endpoints',
      summary: 'Create an endpoint (its token goes to the secret store)',
      body: CreateEndpointBodySchema,
      response: EndpointViewSchema,
      handle: (ctx) => endpoints.create(ctx.body),
    },
    {
      method: 'GET',
      path: '/v1/llm_endpoints/{endpoint_id}',
      summary: 'One endpoint (token redacted)',
      response: EndpointViewSchema,
      handle: (ctx) => endpoints.view(endpointId(ctx)),
    },
    {
      method: 'PUT',
      path: '/v1/llm_endpoints/{endpoint_id}',
      summary: 'Change an endpoint created through the API, or set any endpoint\'s token',
      body: UpdateEndpointBodySchema,
      response: SuccessBodySchema,
      handle: async (ctx) => {
        await endpoints.update(endpointId(ctx), ctx.body);
        return success;
      },
    },
    {
      method: 'DELETE',
      path: '/v1/llm_endpoints/{endpoint_id}',
      summary: 'Delete an endpoint created through the API',
      response: SuccessBodySchema,
      handle: async (ctx) => {
        await endpoints.delete(endpointId(ctx));
        return success;
      },
    },
    ...buildRedTeamRoutes(core),
    ...buildRunRoutes(core),
    eventStreamRoute(core.events, options.eventStream),
  ];
}
