/** `ops`: every op and its gradient, each validating its inputs in TypeScript before any backend runs. */
export * from './conv.js';
export * from './elementwise.js';
export * from './upsample.js';
export * from './norm.js';
export * from './softmax.js';
export * from './reduce.js';
export * from './linear.js';
export * from './concat.js';
export * from './strided.js';
