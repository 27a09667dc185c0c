export {
  createDirectInvokeHandler,
  type DirectInvokeHandlerOptions,
  type DirectInvokeResponse,
  INVOKE_CALLER_MAX_LENGTH,
  INVOKE_CALLER_PREFIX,
} from './direct-invoke-handler.js';
