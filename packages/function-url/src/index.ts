export { createFunctionUrlHandler, type FunctionUrlHandlerOptions } from './function-url-handler.js';
