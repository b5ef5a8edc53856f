/** The native addon seen through one feature's typed surface (statistics, transport solvers). */
import { BackendUnavailableError } from '../core/errors.js';
import { loadNativeBinding } from '../backends/native-binding.js';

/**
 * Loads the addon and checks that it exports `functions`; BackendUnavailableError naming `feature` and the reason
 * (addon missing, or built without the feature) otherwise.
 */
export async function loadAddonFeature<T>(feature: string, functions: string[]): Promise<T> {
  let binding: unknown;
  try {
    binding = await loadNativeBinding();
  } catch (err) {
    const why = (err as Error).message;
    throw new BackendUnavailableError(`the native ${feature} need the native addon: ${why}`, { native: why });
  }
  const b = binding as Record<string, unknown>;
  if (functions.some((f) => typeof b[f] !== 'function')) {
    const why = `the native addon was built without the ${feature}: run \`npm run build:native\``;
    throw new BackendUnavailableError(why, { native: why });
  }
  return binding as T;
}
