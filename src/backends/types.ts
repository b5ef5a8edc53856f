/** The interface every compute backend implements (native cpu/cuda, wasm, webgpu). */
import type { BackendName, StorageOwner } from '../core/tensor.js';

export interface Backend extends StorageOwner {
  readonly name: BackendName;
  /** Higher wins for backend: 'auto'. */
  readonly priority: number;
  /** Feature check + loading; throws (any error) with the reason when the backend cannot run here. */
  init(): Promise<void>;
  /** Whether this backend implements a kernel (unsupported means "fall back", never "crash"). */
  supports(kernel: string): boolean;
  /** Uninitialised device memory for `size` floats. */
  alloc(size: number): unknown;
  /** Runs a kernel; inputs/outputs are handles of this backend; params are the packed struct bytes. */
  run(kernel: string, inputs: unknown[], outputs: unknown[], params: Uint8Array): Promise<void>;
  /** Free-form facts for `backends()` (instruction set, threads, device name). */
  details?(): Record<string, unknown>;
  /** A one-line notice to print (once) when 'auto' picks this backend because better ones failed (`reasons`). */
  autoNotice?(reasons: Record<string, string>): string | undefined;
}

export interface BackendStatus {
  name: BackendName;
  available: boolean;
  /** why the backend is unavailable */
  reason?: string;
  priority?: number;
  details?: Record<string, unknown>;
}
