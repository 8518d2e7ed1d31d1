// The OpenAPI 3.1 document, generated from the route table and the same zod
// schemas that validate requests, so the two cannot drift apart.
import * as z from 'zod';
import type { Route } from './routes';
import { ErrorBodySchema } from '../core/schemas';

const jsonSchema = (schema: z.core.$ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });

const json = (schema: unknown) => ({ 'application/json': { schema } });

export function buildOpenApiDocument(routes: readonly Route[]): unknown {
  const error = jsonSchema(ErrorBodySchema, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const queryParams = (route.query ?? []).map((q) => ({
      name: q.name,
      in: 'query',
      required: false,
      description: q.description,
      schema: jsonSchema(q.schema, 'input'),
    }));
    const status = route.status ?? 200;
    const content =
      route.produces === 'text/event-stream'
        ? { 'text/event-stream': { schema: jsonSchema(route.response, 'output') } }
        : json(jsonSchema(route.response, 'output'));
    const responses: Record<string, unknown> = {
      [status]: { description: status === 202 ? 'Accepted: the work goes on after the answer' : 'Success', content },
    };
    if (!route.public) responses[401] = { description: 'Missing or wrong token', content: json(error) };
    if (route.body) {
      responses[400] = { description: 'Body is not JSON', content: json(error) };
      responses[413] = { description: 'Body larger than 1 MiB', content: json(error) };
    }
    if (route.body || pathParams.length || queryParams.length) responses[422] = { description: 'Validation failed', content: json(error) };
    if (pathParams.length) responses[404] = { description: 'Not found', content: json(error) };
    for (const [code, description] of Object.entries(route.errors ?? {})) responses[code] = { description, content: json(error) };
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      summary: route.summary,
      ...(route.public ? { security: [] } : {}),
      parameters: [...pathParams, ...queryParams],
      // A PUT may come without a body (Moonshot's clients send none).
      ...(route.body ? { requestBody: { required: route.method !== 'PUT', content: json(jsonSchema(route.body, 'input')) } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Moonshot Sessions local API',
      version: '1.0.0',
      description: "Moonshot's /v1 sessions API, served by the VS Code extension and by `moonshot-sessions serve`.",
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
