export {
  Reconstructor, builtinModels, tileStarts, readInput, MAX_IN_MEMORY_SIZE, MAX_STREAM_SIZE, MAX_WORK_BYTES,
  type ReconstructorInfo, type ReconstructOptions, type ReconstructInput,
} from './reconstructor.js';
export { TiffStreamWriter } from './tiff-stream.js';
