export {
  API_GATEWAY_INTEGRATION_TIMEOUT_MS,
  type ApiGatewayHandlerOptions,
  createApiGatewayHandler,
} from './api-gateway-handler.js';
export {
  type GatewayResponseContext,
  type GatewayResponseDefinition,
  type GatewayResponseType,
  PROBLEM_GATEWAY_RESPONSES,
  renderGatewayResponse,
  renderGatewayResponseTemplate,
} from './gateway-responses.js';
