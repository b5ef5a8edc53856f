#!/usr/bin/env python3
"""Golden cases for test/ops/differential.test.ts and test/ops/gradcheck.test.ts, computed by PyTorch.

Run once from the repository root, with Debian's PyTorch 1.13 CPU (`apt-get install python3-torch`):

    /usr/bin/python3 test/golden/generate.py          (or: npm run golden)

It rewrites test/golden/cases/<op>.json and <op>.bin. Those files are checked in, so the tests need no Python;
rerun the script only when adding or changing cases (the seed is fixed, so unchanged cases stay byte-identical).

    /usr/bin/python3 test/golden/generate.py --large /tmp/golden-large
    MICRORECON_GOLDEN_DIR=/tmp/golden-large npx vitest run test/ops

writes and runs a tier of large cases (past the kernels' tiling and threading thresholds; ~115 MB, not checked
in), e.g. when bringing up a backend on a machine that has one.

Inputs are random float32 values (fixed seed, never all-zero; positive for log/sqrt; away from the kinks of
relu/leakyRelu/abs; distinct for every max so there are no ties). Forward values and gradients are computed in
float64 from those float32 inputs and stored rounded to float32, so a test measures the SDK's error only.
Gradients come from autograd with a random upstream gradient `dy` (stored with the case).

<op>.json: { "op", "bin": "<op>.bin", "cases": [case] }, where a case is
  { "name", "op", "options" (the SDK's option names; tensors such as bias/weight/runningMean are inputs),
    "inputs": {name: array}, "dy": array | null, "outputs": {name: array}, "grads": {input name: array} }
and an array is { "shape": [...], "offset": n }: prod(shape) little-endian float32 values at float index n of
<op>.bin.
"""
import json
import os
import zlib

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cases')
torch.set_default_dtype(torch.float64)


class Rng:
    def __init__(self, seed):
        self.r = np.random.RandomState(seed)

    def normal(self, shape, scale=1.0):
        return (self.r.standard_normal(shape) * scale).astype(np.float32)

    def uniform(self, shape, lo, hi):
        return self.r.uniform(lo, hi, shape).astype(np.float32)

    def away(self, shape, gap=0.1):
        """normal values pushed at least `gap` away from 0 (kinks of relu/abs)"""
        n = self.r.standard_normal(shape)
        return (np.sign(n) * (gap + np.abs(n))).astype(np.float32)

    def distinct(self, shape, lo=-1.0, hi=1.0):
        """a random permutation of evenly spaced values: no ties, gaps of (hi-lo)/(n-1)"""
        n = int(np.prod(shape))
        return self.r.permutation(np.linspace(lo, hi, n)).reshape(shape).astype(np.float32)


class Writer:
    """Collects the cases of one op; arrays go to the .bin, metadata to the .json."""

    def __init__(self, op, out=None):
        self.op, self.cases, self.data = op, [], []
        self.offset = 0
        self.out = out or OUT

    def arr(self, t):
        a = np.ascontiguousarray(t.detach().numpy() if torch.is_tensor(t) else t, dtype=np.float32)
        assert np.all(np.isfinite(a)), 'non-finite golden value'
        ref = {'shape': list(a.shape) if a.ndim else [1], 'offset': self.offset}
        self.data.append(a.reshape(-1))
        self.offset += a.size
        return ref

    def add(self, name, options, inputs, outputs, grads, dy, op=None):
        self.cases.append({
            'name': name, 'op': op or self.op, 'options': options,
            'inputs': {k: self.arr(v) for k, v in inputs.items()},
            'dy': self.arr(dy) if dy is not None else None,
            'outputs': {k: self.arr(v) for k, v in outputs.items()},
            'grads': {k: self.arr(v) for k, v in grads.items()},
        })

    def save(self):
        blob = np.concatenate(self.data).astype('<f4').tobytes() if self.data else b''
        with open(os.path.join(self.out, f'{self.op}.bin'), 'wb') as f:
            f.write(blob)
        with open(os.path.join(self.out, f'{self.op}.json'), 'w') as f:
            head = json.dumps({'op': self.op, 'bin': f'{self.op}.bin'})[:-1]
            f.write(head + ', "cases": [\n' + ',\n'.join(' ' + json.dumps(c) for c in self.cases) + '\n]}\n')
        return len(blob)


def run(fn, inputs, diff, rng):
    """fn(**float64 tensors) -> dict of outputs ('y' is differentiated); returns outputs, grads, dy."""
    ts = {k: torch.tensor(v.astype(np.float64), requires_grad=k in diff) for k, v in inputs.items()}
    outs = fn(**ts)
    y = outs['y']
    dy = None
    grads = {}
    if diff:
        dy = rng.normal(tuple(y.shape))
        y.backward(torch.tensor(dy.astype(np.float64)))
        grads = {k: ts[k].grad for k in diff}
    return outs, grads, dy


def case(w, name, options, inputs, fn, diff, op=None):
    rng = Rng(zlib.crc32(f'{w.op}/{name}'.encode()))  # per-case seed: adding a case changes no other
    ins = inputs(rng) if callable(inputs) else inputs
    outs, grads, dy = run(fn, ins, diff, rng)
    w.add(name, options, ins, outs, grads, dy, op)


# ---------------------------------------------------------------------------------------------------- convs
def conv_cases(total):
    fns = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
    tfns = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
    spec = {
        1: [
            ('bias_pad1', [2, 3, 11], [4, 3, 3], True, dict(padding=1)),
            ('groups2_stride2_dil2', [2, 4, 13], [6, 2, 4], False, dict(stride=2, padding=2, dilation=2, groups=2)),
        ],
        2: [
            ('bias_tuple_stride_pad', [2, 3, 7, 9], [5, 3, 3, 3], True, dict(stride=[2, 1], padding=[1, 0])),
            ('depthwise_dil', [2, 4, 8, 7], [4, 1, 3, 2], True, dict(padding=[2, 1], dilation=[2, 1], groups=4)),
            ('groups2_1x1_stride3', [1, 6, 9, 10], [4, 3, 1, 1], False, dict(stride=3, groups=2)),
        ],
        3: [
            ('bias_k3_pad1', [2, 3, 5, 6, 7], [4, 3, 3, 3, 3], True, dict(padding=1)),
            ('groups2_tuples', [2, 4, 7, 6, 5], [6, 2, 3, 2, 3], True,
             dict(stride=[2, 1, 2], padding=[1, 0, 1], dilation=[1, 2, 1], groups=2)),
            ('k1_nobias', [1, 2, 4, 5, 3], [3, 2, 1, 1, 1], False, {}),
            ('k4_stride2_pad1', [2, 2, 8, 7, 6], [3, 2, 4, 4, 4], True, dict(stride=2, padding=1)),
        ],
    }
    tspec = {
        1: [
            ('bias_s2_p1_op1', [2, 3, 7], [3, 4, 3], True, dict(stride=2, padding=1, outputPadding=1)),
            ('groups2_s3_dil2', [2, 4, 5], [4, 3, 4], False, dict(stride=3, padding=2, dilation=2, groups=2, outputPadding=2)),
        ],
        2: [
            ('bias_s2_p1_op', [2, 3, 5, 4], [3, 2, 3, 3], True, dict(stride=2, padding=1, outputPadding=[1, 0])),
            ('groups2_tuples', [2, 4, 4, 5], [4, 1, 2, 3], False, dict(stride=[1, 2], padding=[1, 1], dilation=[2, 1], groups=2)),
        ],
        3: [
            ('bias_k3_s2_p1_op1', [2, 4, 3, 4, 3], [4, 2, 3, 3, 3], True, dict(stride=2, padding=1, outputPadding=1)),
            ('k4_s2_p1', [1, 3, 3, 3, 3], [3, 2, 4, 4, 4], True, dict(stride=2, padding=1)),
            ('groups2_tuples', [2, 4, 3, 3, 4], [4, 3, 3, 2, 3], False,
             dict(stride=[1, 2, 2], padding=[0, 1, 1], dilation=[2, 1, 1], outputPadding=[0, 1, 0], groups=2)),
        ],
    }
    torch_names = {'outputPadding': 'output_padding'}
    for transposed, table in ((False, spec), (True, tspec)):
        for nd, cases in table.items():
            op = f'convTranspose{nd}d' if transposed else f'conv{nd}d'
            w = Writer(op)
            for name, xs, ws, bias, opts in cases:
                cout = ws[1] * opts.get('groups', 1) if transposed else ws[0]

                def inputs(rng, xs=xs, ws=ws, bias=bias, cout=cout):
                    d = {'x': rng.normal(xs), 'weight': rng.normal(ws, 0.3)}
                    if bias:
                        d['bias'] = rng.normal([cout], 0.5)
                    return d

                targs = {torch_names.get(k, k): v for k, v in opts.items()}
                fn = (tfns if transposed else fns)[nd]

                def f(x, weight, bias=None, fn=fn, targs=targs):
                    return {'y': fn(x, weight, bias, **targs)}

                diff = ['x', 'weight'] + (['bias'] if bias else [])
                case(w, name, opts, inputs, f, diff)
            total.append(w.save())


# ------------------------------------------------------------------------------------------------- upsample
def upsample_cases(total):
    w = Writer('upsample')
    torch_mode = {'nearest': 'nearest', 'linear': 'linear', 'bilinear': 'bilinear', 'trilinear': 'trilinear'}
    specs = [
        ('5d_nearest_x2', [2, 3, 3, 4, 5], dict(scaleFactor=2, mode='nearest')),
        ('5d_nearest_size_mixed', [1, 2, 3, 4, 6], dict(size=[5, 7, 4], mode='nearest')),
        ('5d_trilinear_x2', [1, 2, 3, 4, 3], dict(scaleFactor=2, mode='trilinear', alignCorners=False)),
        ('5d_trilinear_x2_align', [1, 2, 3, 4, 3], dict(scaleFactor=2, mode='trilinear', alignCorners=True)),
        ('5d_trilinear_size_mixed', [2, 2, 4, 5, 6], dict(size=[5, 7, 4], mode='trilinear', alignCorners=False)),
        ('5d_trilinear_size_mixed_align', [2, 2, 4, 5, 6], dict(size=[5, 7, 4], mode='trilinear', alignCorners=True)),
        ('4d_nearest_x2x3', [2, 3, 4, 5], dict(scaleFactor=[2, 3], mode='nearest')),
        ('4d_bilinear_x2', [2, 3, 4, 5], dict(scaleFactor=2, mode='bilinear')),
        ('4d_bilinear_x2_align', [2, 3, 4, 5], dict(scaleFactor=2, mode='bilinear', alignCorners=True)),
        ('4d_bilinear_down', [1, 2, 7, 9], dict(size=[3, 5], mode='bilinear')),
        ('4d_bilinear_down_align', [1, 2, 7, 9], dict(size=[3, 5], mode='bilinear', alignCorners=True)),
        ('4d_nearest_x1.5', [1, 2, 5, 6], dict(scaleFactor=1.5, mode='nearest')),
        ('4d_bilinear_x1.5', [1, 2, 5, 6], dict(scaleFactor=1.5, mode='bilinear')),
        ('3d_nearest_x3', [2, 3, 5], dict(scaleFactor=3, mode='nearest')),
        ('3d_linear_size9', [2, 3, 5], dict(size=9, mode='linear')),
        ('3d_linear_size9_align', [2, 3, 5], dict(size=9, mode='linear', alignCorners=True)),
        ('edge_3d_linear_from1', [1, 2, 1], dict(size=4, mode='linear')),
        ('edge_3d_linear_from1_align', [1, 2, 1], dict(size=4, mode='linear', alignCorners=True)),
        ('edge_3d_linear_to1', [1, 2, 5], dict(size=1, mode='linear')),
        ('edge_3d_linear_to1_align', [1, 2, 5], dict(size=1, mode='linear', alignCorners=True)),
        ('edge_4d_nearest_down', [1, 1, 7, 5], dict(size=[3, 2], mode='nearest')),
        ('edge_5d_identity_trilinear', [1, 2, 3, 2, 3], dict(scaleFactor=1, mode='trilinear')),
    ]
    for name, xs, opts in specs:
        targs = {'mode': torch_mode[opts['mode']]}
        if 'size' in opts:
            targs['size'] = opts['size']
        else:
            targs['scale_factor'] = opts['scaleFactor']
            targs['recompute_scale_factor'] = True
        if opts['mode'] != 'nearest':
            targs['align_corners'] = opts.get('alignCorners', False)
        case(w, name, opts, lambda rng, xs=xs: {'x': rng.normal(xs)}, lambda x, targs=targs: {'y': F.interpolate(x, **targs)}, ['x'])
    total.append(w.save())


# ------------------------------------------------------------------------------------------------------ norms
def stats(x, dims, eps):
    mean = x.mean(dim=dims)
    var = x.var(dim=dims, unbiased=False)
    return mean, 1 / torch.sqrt(var + eps)


def norm_cases(total):
    w = Writer('instanceNorm')
    for name, xs, affine, eps in [
        ('3d_affine', [2, 3, 4, 5, 6], 'both', 1e-5),
        ('2d_plain', [2, 4, 5, 6], None, 1e-5),
        ('1d_affine_eps1e-3', [1, 2, 7], 'both', 1e-3),
        ('2d_weight_only', [2, 3, 4, 3], 'weight', 1e-5),
        ('edge_S3', [3, 2, 3], None, 1e-5),
    ]:
        c = xs[1]

        def inputs(rng, xs=xs, c=c, affine=affine):
            d = {'x': rng.normal(xs, 2.0) + 0.5}
            if affine in ('both', 'weight'):
                d['weight'] = 1 + rng.normal([c], 0.5)
            if affine in ('both', 'bias'):
                d['bias'] = rng.normal([c], 0.5)
            return d

        def f(x, weight=None, bias=None, eps=eps):
            dims = tuple(range(2, x.dim()))
            mean, rstd = stats(x.detach(), dims, eps)
            return {'y': F.instance_norm(x, weight=weight, bias=bias, eps=eps), 'mean': mean, 'rstd': rstd}

        diff = ['x'] + {'both': ['weight', 'bias'], 'weight': ['weight'], None: []}[affine]
        case(w, name, {'eps': eps}, inputs, f, diff)
    total.append(w.save())

    w = Writer('batchNorm')
    for name, xs, affine, running, training, momentum in [
        ('train_3d_affine_running', [4, 3, 4, 5, 3], True, True, True, 0.1),
        ('train_1d_plain', [3, 4, 5], False, False, True, None),
        ('train_2d_bias_only', [2, 3, 4, 3], 'bias', False, True, None),
        ('train_rank2_affine_running_m0.3', [6, 5], True, True, True, 0.3),
        ('eval_3d_affine', [2, 3, 4, 4, 4], True, True, False, None),
        ('eval_rank2_plain', [2, 5], False, True, False, None),
    ]:
        c = xs[1]
        eps = 1e-5

        def inputs(rng, xs=xs, c=c, affine=affine, running=running):
            d = {'x': rng.normal(xs, 1.5) - 0.3}
            if affine is True:
                d['weight'] = 1 + rng.normal([c], 0.5)
            if affine:
                d['bias'] = rng.normal([c], 0.5)
            if running:
                d['runningMean'] = rng.normal([c], 0.5)
                d['runningVar'] = rng.uniform([c], 0.5, 2.0)
            return d

        def f(x, weight=None, bias=None, runningMean=None, runningVar=None, training=training, momentum=momentum):
            rm = runningMean.detach().clone() if runningMean is not None else None
            rv = runningVar.detach().clone() if runningVar is not None else None
            y = F.batch_norm(x, rm, rv, weight, bias, training=training, momentum=momentum or 0.1, eps=eps)
            out = {'y': y}
            if training:
                dims = tuple(k for k in range(x.dim()) if k != 1)
                out['mean'], out['rstd'] = stats(x.detach(), dims, eps)
                if rm is not None:
                    out['runningMean'], out['runningVar'] = rm, rv
            return out

        opts = {'training': training, 'eps': eps}
        if momentum is not None:
            opts['momentum'] = momentum
        case(w, name, opts, inputs, f, ['x'] + {True: ['weight', 'bias'], 'bias': ['bias'], False: []}[affine])
    total.append(w.save())


# ---------------------------------------------------------------------------------------------- elementwise
def unary_cases(total):
    specs = {
        'relu': (lambda rng, s: rng.away(s), lambda x: F.relu(x), {}),
        'leakyRelu': (lambda rng, s: rng.away(s), lambda x: F.leaky_relu(x, 0.2), {'negativeSlope': 0.2}),
        'sigmoid': (lambda rng, s: rng.normal(s, 3.0), torch.sigmoid, {}),
        'tanh': (lambda rng, s: rng.normal(s, 2.0), torch.tanh, {}),
        'exp': (lambda rng, s: rng.uniform(s, -4, 4), torch.exp, {}),
        'log': (lambda rng, s: rng.uniform(s, 0.2, 5), torch.log, {}),
        'abs': (lambda rng, s: rng.away(s), torch.abs, {}),
        'square': (lambda rng, s: rng.normal(s, 2.0), torch.square, {}),
        'sqrt': (lambda rng, s: rng.uniform(s, 0.2, 5), torch.sqrt, {}),
    }
    for op, (gen, fn, opts) in specs.items():
        w = Writer(op)
        for name, xs in [('4d', [2, 3, 4, 5]), ('odd_2d', [7, 13])]:
            case(w, name, opts, lambda rng, xs=xs, gen=gen: {'x': gen(rng, xs)}, lambda x, fn=fn: {'y': fn(x)}, ['x'])
        total.append(w.save())


def binary_cases(total):
    shapes = [
        ('same', [2, 3, 4], [2, 3, 4]),
        ('channel_bias', [2, 3, 4, 5], [3, 1, 1]),
        ('two_sided', [4, 1, 5], [3, 1]),
        ('scalar_b', [3, 4], [1]),
    ]
    fns = {'add': torch.add, 'sub': torch.sub, 'mul': torch.mul, 'div': torch.div,
           'maximum': torch.maximum, 'minimum': torch.minimum}
    for op, fn in fns.items():
        w = Writer(op)
        for name, sa, sb in shapes:
            def inputs(rng, sa=sa, sb=sb, op=op):
                if op in ('maximum', 'minimum'):
                    # on two grids 0.05 apart: |a - b| >= 0.05 for every broadcast pair, no ties
                    return {'a': (np.round(rng.normal(sa) * 10) / 10 + 0.05).astype(np.float32),
                            'b': (np.round(rng.normal(sb) * 10) / 10).astype(np.float32)}
                b = rng.away(sb, 0.5) if op == 'div' else rng.normal(sb)
                return {'a': rng.normal(sa), 'b': b}
            case(w, name, {}, inputs, lambda a, b, fn=fn: {'y': fn(a, b)}, ['a', 'b'])
        total.append(w.save())


def reduce_cases(total):
    specs = [
        ('axes_1_3', [2, 3, 4, 5], {'axis': [1, 3]}),
        ('axes_2_3_keep', [2, 3, 4, 5], {'axis': [2, 3], 'keepDims': True}),
        ('all', [3, 4], {}),
        ('last_neg', [2, 3, 4], {'axis': -1}),
        ('axes_0_2_keep', [3, 2, 4], {'axis': [0, 2], 'keepDims': True}),
        ('edge_size1_axis', [2, 1, 3], {'axis': 1}),
    ]
    for op in ('sum', 'mean', 'max'):
        w = Writer(op)
        for name, xs, opts in specs:
            axis = opts.get('axis')
            dims = tuple(range(len(xs))) if axis is None else (tuple(axis) if isinstance(axis, list) else (axis,))
            keep = opts.get('keepDims', False)

            def f(x, dims=dims, keep=keep, op=op):
                if op == 'sum':
                    y = x.sum(dim=dims, keepdim=keep)
                elif op == 'mean':
                    y = x.mean(dim=dims, keepdim=keep)
                else:
                    y = x.amax(dim=dims, keepdim=keep)
                return {'y': y.reshape(1) if y.dim() == 0 else y}

            gen = (lambda rng, xs=xs: {'x': rng.distinct(xs)}) if op == 'max' else (lambda rng, xs=xs: {'x': rng.normal(xs)})
            case(w, name, opts, gen, f, ['x'])
        total.append(w.save())


# -------------------------------------------------------------------------------------- softmax, pool, linear
def softmax_cases(total):
    w = Writer('softmax')
    for name, xs, opts, scale in [
        ('channels_4d', [2, 5, 3, 4], {}, 1.0),
        ('last_axis', [3, 7], {'axis': -1}, 1.0),
        ('axis2_3d', [2, 4, 6], {'axis': 2}, 1.0),
        ('large_values', [2, 6, 5], {}, 30.0),
        ('edge_one_channel', [2, 1, 3], {}, 1.0),
    ]:
        axis = opts.get('axis', 1)
        case(w, name, opts, lambda rng, xs=xs, scale=scale: {'x': rng.normal(xs, scale)},
             lambda x, axis=axis: {'y': torch.softmax(x, dim=axis)}, ['x'])
    total.append(w.save())


def pool_cases(total):
    for op in ('globalAvgPool', 'globalMaxPool', 'channelMean', 'channelMax'):
        w = Writer(op)
        for name, xs in [('3d', [2, 3, 4, 5, 6]), ('2d', [2, 4, 7, 5])]:
            spatial = op.startswith('global')
            dims = tuple(range(2, len(xs))) if spatial else (1,)
            mx = op.endswith('Max') or op.endswith('MaxPool')

            def f(x, dims=dims, mx=mx):
                return {'y': x.amax(dim=dims, keepdim=True) if mx else x.mean(dim=dims, keepdim=True)}

            gen = (lambda rng, xs=xs: {'x': rng.distinct(xs)}) if mx else (lambda rng, xs=xs: {'x': rng.normal(xs)})
            case(w, name, {}, gen, f, ['x'])
        total.append(w.save())


def linear_cases(total):
    w = Writer('linear')
    for name, xs, ws, bias in [('2d_bias', [5, 7], [4, 7], True), ('3d_nobias', [2, 3, 6], [5, 6], False), ('1d_bias', [9], [3, 9], True),
                               ('edge_1x1', [1, 1], [1, 1], True)]:
        def inputs(rng, xs=xs, ws=ws, bias=bias):
            d = {'x': rng.normal(xs), 'weight': rng.normal(ws, 0.4)}
            if bias:
                d['bias'] = rng.normal([ws[0]])
            return d
        case(w, name, {}, inputs, lambda x, weight, bias=None: {'y': F.linear(x, weight, bias)},
             ['x', 'weight'] + (['bias'] if bias else []))
    total.append(w.save())
    w = Writer('matmul')
    for name, sa, sb in [('4x6_6x5', [4, 6], [6, 5]), ('row', [1, 9], [9, 3])]:
        case(w, name, {}, lambda rng, sa=sa, sb=sb: {'a': rng.normal(sa), 'b': rng.normal(sb)},
             lambda a, b: {'y': a @ b}, ['a', 'b'])
    total.append(w.save())


# ------------------------------------------------------------------------------------- concat, views, pad
def shape_cases(total):
    w = Writer('concat')
    for name, shapes, axis in [
        ('three_axis1', [[2, 3, 4], [2, 5, 4], [2, 1, 4]], 1),
        ('eighteen_axis0_chained', [[k % 3 + 1, 2, 3] for k in range(18)], 0),
        ('last_neg', [[2, 3], [2, 4]], -1),
        ('edge_single', [[2, 3]], 0),
    ]:
        names = [f'x{k}' for k in range(len(shapes))]

        def f(axis=axis, names=names, **kw):
            return {'y': torch.cat([kw[n] for n in names], dim=axis)}

        case(w, name, {'axis': axis}, lambda rng, shapes=shapes, names=names: {n: rng.normal(s) for n, s in zip(names, shapes)}, f, names)
    total.append(w.save())

    w = Writer('split')
    for name, xs, sizes, axis in [('three_axis1', [5, 6], [2, 1, 3], 1), ('eighteen_axis0', [36, 2], [2] * 18, 0)]:
        def f(x, sizes=sizes, axis=axis):
            parts = torch.split(x, sizes, dim=axis)
            return {'y': parts[0], **{f'y{k}': p for k, p in enumerate(parts)}}

        rng = Rng(zlib.crc32(f'{w.op}/{name}'.encode()))
        ins = {'x': rng.normal(xs)}
        outs, _, _ = run(f, ins, [], rng)
        del outs['y']
        w.add(name, {'sizes': sizes, 'axis': axis}, ins, outs, {}, None)
    total.append(w.save())

    w = Writer('permute')
    for name, xs, dims in [('4d', [2, 3, 4, 5], [0, 2, 3, 1]), ('3d', [2, 3, 4], [2, 0, 1]), ('5d_reverse', [3, 4, 5, 2, 2], [4, 3, 2, 1, 0]),
                           ('edge_7d_simplifies', [2, 1, 3, 1, 2, 1, 2], [6, 5, 4, 3, 2, 1, 0]), ('edge_identity', [3, 4], [0, 1])]:
        case(w, name, {'dims': dims}, lambda rng, xs=xs: {'x': rng.normal(xs)}, lambda x, dims=dims: {'y': x.permute(*dims)}, ['x'])
    total.append(w.save())

    w = Writer('slice')
    for name, xs, begin, size in [('3d', [4, 5, 6], [1, 0, 2], [2, -1, 3]), ('5d', [2, 3, 8, 8, 8], [0, 1, 2, 0, 3], [2, 2, 4, 8, 5]),
                                  ('neg_begin', [6, 7], [-3, 1], [2, 5]), ('edge_whole', [3, 4], [0, 0], [-1, -1])]:
        def f(x, begin=begin, size=size):
            idx = tuple(slice(b % d, (b % d) + (d - b % d if s == -1 else s)) for b, s, d in zip(begin, size, x.shape))
            return {'y': x[idx]}
        case(w, name, {'begin': begin, 'size': size}, lambda rng, xs=xs: {'x': rng.normal(xs)}, f, ['x'])
    total.append(w.save())

    w = Writer('expand')
    for name, xs, shape in [('middle_and_lead', [3, 1, 4], [2, 3, 5, 4]), ('rows', [1, 4], [3, 4]), ('keep_minus1', [2, 1], [-1, 6]),
                           ('edge_scalar_to_3d', [1], [3, 1, 2]), ('edge_identity', [2, 3], [2, 3])]:
        case(w, name, {'shape': shape}, lambda rng, xs=xs: {'x': rng.normal(xs)},
             lambda x, shape=shape: {'y': x.expand(*shape).contiguous()}, ['x'])
    total.append(w.save())

    w = Writer('pad')
    for name, xs, pads, value in [('zero', [2, 3, 4], [[0, 0], [1, 2], [2, 0]], 0.0), ('value', [2, 2, 3, 3], [[0, 1], [0, 0], [1, 1], [2, 1]], 1.5),
                                    ('edge_no_padding', [2, 3], [[0, 0], [0, 0]], 0.0)]:
        flat = [p for pr in reversed(pads) for p in pr]
        opts = {'pads': pads} if value == 0 else {'pads': pads, 'value': value}
        case(w, name, opts, lambda rng, xs=xs: {'x': rng.normal(xs)},
             lambda x, flat=flat, value=value: {'y': F.pad(x, flat, value=value)}, ['x'])
    total.append(w.save())


def large_cases(out, total):
    """Shapes past the kernels' tiling and threading thresholds (tens of MB: written to `out`, never checked in)."""
    def group(op, specs):
        w = Writer(op, out)
        for name, options, inputs, fn, diff in specs:
            case(w, name, options, inputs, fn, diff)
        total.append(w.save())

    n = lambda *shapes, scale=1.0: (lambda rng: {k: rng.normal(s, scale) for k, s in zip(('x', 'weight', 'bias'), shapes)})
    group('conv3d', [('large_k3_pad1', {'padding': 1}, n([2, 8, 20, 20, 20], [16, 8, 3, 3, 3], [16], scale=0.3),
                      lambda x, weight, bias: {'y': F.conv3d(x, weight, bias, padding=1)}, ['x', 'weight', 'bias'])])
    group('convTranspose3d', [('large_k4_s2_p1', {'stride': 2, 'padding': 1}, n([1, 16, 10, 10, 10], [16, 8, 4, 4, 4], [8], scale=0.3),
                               lambda x, weight, bias: {'y': F.conv_transpose3d(x, weight, bias, stride=2, padding=1)}, ['x', 'weight', 'bias'])])
    group('upsample', [
        (f'large_{m}_{a}', dict(scaleFactor=2, mode=m, **({'alignCorners': a} if m != 'nearest' else {})), n([1, 4, 16, 16, 16]),
         lambda x, m=m, a=a: {'y': F.interpolate(x, scale_factor=2, mode=m, **({'align_corners': a} if m != 'nearest' else {}))}, ['x'])
        for m, a in (('nearest', False), ('trilinear', False), ('trilinear', True))])
    group('instanceNorm', [('large_S32768', {'eps': 1e-5}, lambda rng: {'x': rng.normal([2, 3, 32, 32, 32], 2.0) + 1, 'weight': rng.normal([3]), 'bias': rng.normal([3])},
                            lambda x, weight, bias: {'y': F.instance_norm(x, weight=weight, bias=bias)}, ['x', 'weight', 'bias'])])
    group('batchNorm', [('large_train', {'training': True, 'eps': 1e-5}, lambda rng: {'x': rng.normal([4, 8, 16, 16, 16], 2.0) + 1, 'weight': rng.normal([8]), 'bias': rng.normal([8])},
                         lambda x, weight, bias: {'y': F.batch_norm(x, None, None, weight, bias, training=True)}, ['x', 'weight', 'bias'])])
    group('softmax', [('large_channels', {}, n([2, 16, 32, 32], scale=3.0), lambda x: {'y': torch.softmax(x, 1)}, ['x']),
                      ('large_last', {'axis': -1}, n([64, 1000], scale=3.0), lambda x: {'y': torch.softmax(x, -1)}, ['x'])])
    for op, mx, spatial in (('globalAvgPool', False, True), ('globalMaxPool', True, True), ('channelMean', False, False), ('channelMax', True, False)):
        xs = [2, 4, 40, 40, 40] if spatial else [2, 32, 32, 32, 32]
        dims = (2, 3, 4) if spatial else (1,)
        gen = (lambda rng, xs=xs: {'x': rng.distinct(xs, -10, 10)}) if mx else n(xs)
        group(op, [('large', {}, gen, lambda x, dims=dims, mx=mx: {'y': x.amax(dims, True) if mx else x.mean(dims, True)}, ['x'])])
    for op in ('sum', 'mean', 'max'):
        f = {'sum': torch.sum, 'mean': torch.mean, 'max': torch.amax}[op]
        gen = (lambda xs: (lambda rng: {'x': rng.distinct(xs, -10, 10)})) if op == 'max' else (lambda xs: n(xs))
        group(op, [('large_rows', {'axis': 1}, gen([8, 40000]), lambda x, f=f: {'y': f(x, 1)}, ['x']),
                   ('large_axes_0_2', {'axis': [0, 2]}, gen([40, 50, 60]), lambda x, f=f: {'y': f(x, (0, 2))}, ['x'])])
    group('linear', [('large_bias', {}, lambda rng: {'x': rng.normal([300, 500]), 'weight': rng.normal([260, 500], 0.1), 'bias': rng.normal([260])},
                      lambda x, weight, bias: {'y': F.linear(x, weight, bias)}, ['x', 'weight', 'bias'])])
    group('matmul', [('large_odd', {}, lambda rng: {'a': rng.normal([129, 257]), 'b': rng.normal([257, 65])}, lambda a, b: {'y': a @ b}, ['a', 'b'])])
    group('add', [('large_channel_bias', {}, lambda rng: {'a': rng.normal([4, 32, 32, 32]), 'b': rng.normal([32, 1, 1])}, lambda a, b: {'y': a + b}, ['a', 'b'])])
    group('mul', [('large_two_sided', {}, lambda rng: {'a': rng.normal([64, 1, 700]), 'b': rng.normal([50, 1])}, lambda a, b: {'y': a * b}, ['a', 'b'])])
    for op, gen, fn in (('exp', lambda rng: {'x': rng.uniform([200000], -8, 8)}, torch.exp), ('sigmoid', n([200000], scale=5.0), torch.sigmoid),
                        ('tanh', n([200000], scale=3.0), torch.tanh), ('log', lambda rng: {'x': rng.uniform([200000], 0.01, 100)}, torch.log)):
        group(op, [('large', {}, gen, lambda x, fn=fn: {'y': fn(x)}, ['x'])])
    group('concat', [('large_20', {'axis': 1}, lambda rng: {f'x{k}': rng.normal([3, 1000 + k]) for k in range(20)},
                      lambda **kw: {'y': torch.cat([kw[f'x{k}'] for k in range(20)], 1)}, [f'x{k}' for k in range(20)])])
    group('permute', [('large', {'dims': [0, 3, 1, 2]}, n([16, 32, 33, 17]), lambda x: {'y': x.permute(0, 3, 1, 2)}, ['x'])])
    group('expand', [('large', {'shape': [64, 50, 100]}, n([64, 1, 100]), lambda x: {'y': x.expand(64, 50, 100).contiguous()}, ['x'])])
    group('pad', [('large', {'pads': [[0, 0], [3, 2], [1, 4], [2, 2]]}, n([2, 30, 40, 50]),
                   lambda x: {'y': F.pad(x, [2, 2, 1, 4, 3, 2])}, ['x'])])


def main():
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == '--large':
        out = sys.argv[2]
        os.makedirs(out, exist_ok=True)
        total = []
        large_cases(out, total)
        print(f'wrote {len(total)} large groups, {sum(total) / 1e6:.1f} MB to {out} '
              f'(run: MICRORECON_GOLDEN_DIR={out} npx vitest run test/ops)')
        return
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith('.json') or f.endswith('.bin'):
            os.remove(os.path.join(OUT, f))
    total = []
    conv_cases(total)
    upsample_cases(total)
    norm_cases(total)
    unary_cases(total)
    binary_cases(total)
    reduce_cases(total)
    softmax_cases(total)
    pool_cases(total)
    linear_cases(total)
    shape_cases(total)
    n = sum(total)
    print(f'wrote {len(total)} ops, {n / 1e6:.2f} MB of float data to {OUT}')


if __name__ == '__main__':
    main()
