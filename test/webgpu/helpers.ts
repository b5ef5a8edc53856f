/** The webgpu test files' shared start: is the backend here, and if not, say why loudly (never a silent pass). */
import { backends } from '../../src/index.js';

const status = (await backends()).find((b) => b.name === 'webgpu');
export const WEBGPU = status?.available === true;
export const WEBGPU_REASON = status?.reason ?? 'not listed';
if (!WEBGPU) console.warn(`[webgpu] backend unavailable, its tests are skipped: ${WEBGPU_REASON}`);
