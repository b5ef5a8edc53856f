/** Reverse-mode autograd over the ops: Var/Parameter/Graph, grad/backward, the differentiable functions (F). */
export { Var, Parameter, Graph, attach, type GraphOptions, type BackwardFn, type Node } from './var.js';
export { grad, backward, zeroGrad, type GradOptions } from './engine.js';
export * as F from './functions/index.js';
export { NonFiniteError, isFinite, firstNonFinite, assertFinite, gradsFinite, gradNorm, clipGradNorm } from './numerics.js';
