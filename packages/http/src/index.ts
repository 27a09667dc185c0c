export { createInvokeLine } from './access-line.js';
export { createHttpApi, type HttpApiOptions, type HttpRequest, type HttpResponse } from './http-api.js';
export {
  fromRestEvent,
  fromV2Event,
  gatewayReceivedAt,
  NotAnHttpEvent,
  ownerOfIamArn,
  toProxyResult,
} from './lambda-events.js';
export { buildOpenApiDocument, type OpenApiDocument, type OpenApiInfo } from './openapi.js';
export { parseOperationRequest } from './operation-request.js';
export { type Preferences, parsePrefer } from './prefer.js';
export {
  doorProblem,
  operationFailedProblem,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  toJsonPointer,
  toProblem,
} from './problem.js';
export {
  HTTP_ROUTES,
  type HttpRoute,
  type HttpRouteId,
  routeParameters,
  routePattern,
} from './routes.js';
export { requestLogger, serveHttpEvent } from './serve-http-event.js';
