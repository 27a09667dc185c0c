export {
  createDirectInvokeHandler,
  type DirectInvokeHandlerOptions,
  type DirectInvokeResponse,
} from './direct-invoke-handler.js';
