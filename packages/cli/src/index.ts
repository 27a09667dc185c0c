export { type BannerInput, renderBanner } from './banner.js';
export { type CliIo, runCli } from './cli.js';
export { CONFIG_NAMES, findConfig, loadDefinition } from './config.js';
export { type DevIo, type DevOptions, dev } from './dev.js';
export { UserError } from './errors.js';
export { type InitOptions, type InitResult, init, mergePackageJson } from './init.js';
export { sampleValue } from './sample-input.js';
