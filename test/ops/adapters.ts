/**
 * How each golden case's op is called through the public SDK: forward (every output a case may hold) and, where
 * the SDK exposes one, the gradient (keyed by the input names of the case). Shared by the differential suite and
 * the finite-difference gradient check.
 */
import { ops, type BackendName, type Tensor } from '../../src/index.js';

export type Named = Record<string, Tensor>;
type Opts = Record<string, unknown>;

export interface OpAdapter {
  forward(ins: Named, options: Opts, backend: BackendName): Promise<Named>;
  /** gradients of <y, dy> w.r.t. the inputs, given the forward's outputs; absent when the SDK exposes none */
  backward?(dy: Tensor, ins: Named, options: Opts, fwd: Named, backend: BackendName): Promise<Named>;
  /** the SDK's exported gradient functions this adapter exercises */
  backwardNames: string[];
  /** why there is no backward (reported by the suites) */
  noBackward?: string;
}

/** Drops undefined entries (gradients of absent inputs). */
function defined(r: Record<string, Tensor | undefined>): Named {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Named;
}

const adapters: Record<string, OpAdapter> = {};

// ---------------------------------------------------------------------------------------------------- convs
for (const nd of [1, 2, 3] as const) {
  for (const transposed of [false, true]) {
    const name = transposed ? `convTranspose${nd}d` : `conv${nd}d`;
    const fwd = ops[name as 'conv3d'];
    const bwd = ops[`${name}Backward` as 'conv3dBackward'];
    adapters[name] = {
      forward: async ({ x, weight, bias }, o, backend) => ({ y: await fwd(x, weight, { ...o, bias, backend }) }),
      backward: async (dy, { x, weight, bias }, o, _f, backend) => {
        const g = await bwd(dy, x, weight, { ...o, bias, backend });
        return defined({ x: g.dx, weight: g.dw, bias: g.db });
      },
      backwardNames: [`${name}Backward`],
    };
  }
}

// ------------------------------------------------------------------------------------------ upsample, softmax
adapters.upsample = {
  forward: async ({ x }, o, backend) => ({ y: await ops.upsample(x, { ...o, backend }) }),
  backward: async (dy, { x }, o, _f, backend) => ({ x: await ops.upsampleBackward(dy, x, { ...o, backend }) }),
  backwardNames: ['upsampleBackward'],
};
adapters.softmax = {
  forward: async ({ x }, o, backend) => ({ y: await ops.softmax(x, { ...o, backend }) }),
  backward: async (dy, _ins, o, { y }, backend) => ({ x: await ops.softmaxBackward(dy, y, { ...o, backend }) }),
  backwardNames: ['softmaxBackward'],
};

// ------------------------------------------------------------------------------------------------------ norms
adapters.instanceNorm = {
  forward: async ({ x, weight, bias }, o, backend) => {
    const r = await ops.instanceNormForward(x, { ...o, weight, bias, backend });
    return { y: r.y, mean: r.mean, rstd: r.rstd };
  },
  backward: async (dy, { x, weight, bias }, o, { mean, rstd }, backend) => {
    const g = await ops.instanceNormBackward(dy, x, { mean, rstd }, { ...o, weight, bias, backend });
    return defined({ x: g.dx, weight: g.dweight, bias: g.dbias });
  },
  backwardNames: ['instanceNormBackward'],
};
adapters.batchNorm = {
  forward: async ({ x, weight, bias, runningMean, runningVar }, o, backend) => {
    const opts = { ...o, weight, bias, runningMean, runningVar, backend };
    if (o.training) return defined({ ...(await ops.batchNorm(x, { ...opts, training: true })) });
    return { y: await ops.batchNorm(x, { ...opts, training: false }) };
  },
  backward: async (dy, { x, weight, bias, runningMean, runningVar }, o, fwd, backend) => {
    const saved = o.training ? { mean: fwd.mean, rstd: fwd.rstd } : undefined;
    const g = await ops.batchNormBackward(dy, x, saved, { ...o, weight, bias, runningMean, runningVar, backend });
    return defined({ x: g.dx, weight: g.dweight, bias: g.dbias });
  },
  backwardNames: ['batchNormBackward'],
};

// ---------------------------------------------------------------------------------------------- elementwise
for (const name of ['relu', 'leakyRelu', 'sigmoid', 'tanh', 'exp', 'log', 'abs', 'square', 'sqrt'] as const) {
  const bwd = `${name}Backward` as const;
  adapters[name] = {
    forward: async ({ x }, o, backend) => ({ y: await ops[name](x, { ...o, backend }) }),
    backward: async (dy, { x }, o, { y }, backend) => ({ x: await ops[bwd](dy, x, y, { ...o, backend }) }),
    backwardNames: [bwd],
  };
}
for (const name of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const) {
  adapters[name] = {
    forward: async ({ a, b }, _o, backend) => ({ y: await ops[name](a, b, { backend }) }),
    backward: async (dy, { a, b }, _o, _f, backend) => {
      const g = await ops.binaryBackward(name, dy, a, b, { backend });
      return { a: g.da, b: g.db };
    },
    backwardNames: ['binaryBackward'],
  };
}
for (const kind of ['sum', 'mean', 'max'] as const) {
  adapters[kind] = {
    forward: async ({ x }, o, backend) => ({ y: await ops[kind](x, { ...o, backend }) }),
    backward: async (dy, { x }, o, { y }, backend) => ({ x: await ops.reduceBackward(dy, x, { ...o, kind, y, backend }) }),
    backwardNames: ['reduceBackward'],
  };
}

// -------------------------------------------------------------------------------------------------- pooling
for (const name of ['globalAvgPool', 'channelMean'] as const) {
  const bwd = `${name}Backward` as const;
  adapters[name] = {
    forward: async ({ x }, _o, backend) => ({ y: await ops[name](x, { backend }) }),
    backward: async (dy, { x }, _o, _f, backend) => ({ x: await ops[bwd](dy, x, { backend }) }),
    backwardNames: [bwd],
  };
}
for (const name of ['globalMaxPool', 'channelMax'] as const) {
  const bwd = `${name}Backward` as const;
  adapters[name] = {
    forward: async ({ x }, _o, backend) => ({ y: await ops[name](x, { backend }) }),
    // y left out: the backward recomputes it (reduceBackward's adapter covers the path with y given)
    backward: async (dy, { x }, _o, _f, backend) => ({ x: await ops[bwd](dy, x, undefined, { backend }) }),
    backwardNames: [bwd],
  };
}

// ------------------------------------------------------------------------------------------- linear, matmul
adapters.linear = {
  forward: async ({ x, weight, bias }, _o, backend) => ({ y: await ops.linear(x, weight, { bias, backend }) }),
  backward: async (dy, { x, weight, bias }, _o, _f, backend) => {
    const g = await ops.linearBackward(dy, x, weight, { bias, backend });
    return defined({ x: g.dx, weight: g.dw, bias: g.db });
  },
  backwardNames: ['linearBackward'],
};
adapters.matmul = {
  forward: async ({ a, b }, _o, backend) => ({ y: await ops.matmul(a, b, { backend }) }),
  backward: async (dy, { a, b }, _o, _f, backend) => {
    const g = await ops.matmulBackward(dy, a, b, { backend });
    return { a: g.da, b: g.db };
  },
  backwardNames: ['matmulBackward'],
};

// ------------------------------------------------------------------------------------- concat, views, pad
adapters.concat = {
  forward: async (ins, o, backend) => ({ y: await ops.concat(Object.values(ins), { ...o, backend }) }),
  backward: async (dy, ins, o, _f, backend) => {
    const parts = await ops.concatBackward(dy, Object.values(ins), { ...o, backend });
    return Object.fromEntries(Object.keys(ins).map((k, i) => [k, parts[i]]));
  },
  backwardNames: ['concatBackward'],
};
adapters.split = {
  forward: async ({ x }, { sizes, ...o }, backend) => {
    const parts = await ops.split(x, sizes as number[], { ...o, backend });
    return Object.fromEntries(parts.map((t, i) => [`y${i}`, t]));
  },
  backwardNames: [],
  noBackward: 'the gradient of split is concat (no splitBackward is exposed)',
};
adapters.permute = {
  forward: async ({ x }, { dims }, backend) => ({ y: await ops.permute(x, dims as number[], { backend }) }),
  backward: async (dy, { x }, { dims }, _f, backend) => ({ x: await ops.permuteBackward(dy, x, dims as number[], { backend }) }),
  backwardNames: ['permuteBackward'],
};
adapters.slice = {
  forward: async ({ x }, { begin, size }, backend) => ({ y: await ops.slice(x, begin as number[], size as number[], { backend }) }),
  backward: async (dy, { x }, { begin, size }, _f, backend) => ({ x: await ops.sliceBackward(dy, x, begin as number[], size as number[], { backend }) }),
  backwardNames: ['sliceBackward'],
};
adapters.expand = {
  forward: async ({ x }, { shape }, backend) => ({ y: await ops.expand(x, shape as number[], { backend }) }),
  backward: async (dy, { x }, _o, _f, backend) => ({ x: await ops.expandBackward(dy, x, { backend }) }),
  backwardNames: ['expandBackward'],
};
adapters.pad = {
  forward: async ({ x }, { pads, ...o }, backend) => ({ y: await ops.pad(x, pads as Array<[number, number]>, { ...o, backend }) }),
  backward: async (dy, { x }, { pads }, _f, backend) => ({ x: await ops.padBackward(dy, x, pads as Array<[number, number]>, { backend }) }),
  backwardNames: ['padBackward'],
};

export const ADAPTERS: Readonly<Record<string, OpAdapter>> = adapters;

/** The gradient functions the SDK exports (every `ops.*Backward`), which the gradient check must all cover. */
export function exportedBackwards(): string[] {
  return Object.keys(ops).filter((k) => k.endsWith('Backward')).sort();
}
