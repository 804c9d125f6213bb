import type { TSchema } from '@sinclair/typebox';
import { ErrorCodes, type ErrorCode } from '../../schemas/errors';
import { ErrorResponseSchema } from '../../schemas/rest';
import { packageVersion } from '../http/version';
import type { RestRoute } from './routes';

/** OpenAPI 3.0 document built from the same route table and TypeBox schemas the server validates with. */
export function openApiDocument(routes: readonly RestRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (route.query) {
      const props = (route.query as unknown as { properties: Record<string, TSchema> }).properties;
      for (const [name, schema] of Object.entries(props)) parameters.push({ name, in: 'query', required: false, schema: plain(schema) as { type: string } });
    }
    const responses: Record<string, unknown> = {
      [route.status]: route.response
        ? { description: 'OK', content: { 'application/json': { schema: plain(route.response) } } }
        : { description: 'No content' },
    };
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of route.errors as ErrorCode[]) {
      const status = ErrorCodes[code].status;
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, codes] of byStatus) {
      responses[status] = { description: codes.join(', '), content: { 'application/json': { schema: plain(ErrorResponseSchema) } } };
    }
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      summary: route.summary,
      ...(route.auth ? { security: [{ apiKey: [] }] } : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: plain(route.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Cascade REST API', version: packageVersion() },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: '<api-key>:<api-secret> from auth.apiKeys, or an admin JWT' },
      },
    },
    paths,
  };
}

/** TypeBox schemas are JSON Schema plus symbol keys; JSON.stringify drops the symbols. */
function plain(schema: TSchema): unknown {
  return JSON.parse(JSON.stringify(schema));
}
