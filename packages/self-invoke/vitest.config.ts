import { packageProject } from '../../vitest.shared.js';

export default packageProject('self-invoke', { sharedModules: true });
