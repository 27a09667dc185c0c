import { packageProject } from '../../vitest.shared.js';

export default packageProject('direct-invoke', { sharedModules: true });
