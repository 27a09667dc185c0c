export * from './bundling.js';
export * from './definition.js';
export * from './names.js';
