/** Every differentiable function (torch.nn.functional's role): import as `F`. */
export * from './pointwise.js';
export * from './shape.js';
export * from './reduce.js';
export * from './conv.js';
export * from './layers.js';
