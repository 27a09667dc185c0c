export {
  API_GATEWAY_INTEGRATION_TIMEOUT_MS,
  type ApiGatewayHandlerOptions,
  createApiGatewayHandler,
} from './api-gateway-handler.js';
