import { packageProject } from '../../vitest.shared.js';

export default packageProject('core', { sharedModules: true });
