/** Options every op takes. */
import { checkBackendChoice, type BackendChoice } from '../backends/registry.js';

export interface BackendOption {
  /** where to run: 'auto' (default) picks the best available backend, preferring where the inputs live */
  backend?: BackendChoice;
}

export function backendOf(o: BackendOption | undefined, op: string): BackendChoice {
  return checkBackendChoice(o?.backend, `${op}: backend`);
}
