import { packageProject } from '../../vitest.shared.js';

export default packageProject('function-url', { sharedModules: true });
