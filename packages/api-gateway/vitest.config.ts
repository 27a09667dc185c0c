import { packageProject } from '../../vitest.shared.js';

export default packageProject('api-gateway', { sharedModules: true });
