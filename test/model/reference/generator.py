#!/usr/bin/env python3
"""PyTorch reference of microrecon's generator, critics and losses (src/model), for test/model/reference.test.ts.

Run from the repository root with Debian's PyTorch 1.13 (no pip packages; numpy and scipy come with it):

    /usr/bin/python3 test/model/reference/generator.py

For every case directory test/model/reference/<case>/ holding a complete config.json, it builds the SAME networks
(an independent, functional re-implementation: parameter names and shapes, layer order, every formula), draws
random weights, inputs and noise (fixed seed), and writes, checked in and small:

  model.safetensors   the generator's weights (the case dir is a valid microrecon model dir)
  critic.safetensors  the critic's weights
  golden.safetensors  inputs (slices, baseline, noise, real volume / slices, GP epsilon), outputs (logits, probs),
                      losses, and the gradients of one training step: generator loss w.r.t. generator weights,
                      critic loss (WGAN-GP) w.r.t. critic weights, and the penalty term alone w.r.t. critic
                      weights (double backward, create_graph=True); plus an Adam trajectory (torch.optim.Adam)

Computation is float64 from the float32-rounded weights and inputs, so the goldens measure the SDK's error only.
safetensors is written and read by hand (struct + json + numpy), as the SDK does.

    /usr/bin/python3 test/model/reference/generator.py --time <model dir> [threads]

loads a model dir written by the SDK (saveModel) and times PyTorch float32 on the same weights: one forward of a
size^3 output and one paired training iteration (batch 2), for speed comparisons (test/model/bench-model.ts).
"""
import json
import math
import os
import struct
import sys

import numpy as np
import scipy.ndimage as ndi
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- safetensors by hand
def write_safetensors(path, tensors, metadata=None):
    header, off, blobs = {}, 0, []
    if metadata:
        header['__metadata__'] = metadata
    for name, a in tensors.items():
        a = np.ascontiguousarray(np.asarray(a, dtype='<f4'))
        b = a.tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        b, c = e['data_offsets']
        out[name] = np.frombuffer(raw[8 + n + b:8 + n + c], dtype='<f4').reshape(e['shape'])
    return out


# ---------------------------------------------------------------- parameter shapes (mirrors src/model)
def hidden_of(c, r):
    return max(2, math.ceil(c / r))


def conv_shapes(name, cin, cout, k, nd, bias=True):
    s = {f'{name}.weight': [cout, cin] + [k] * nd}
    if bias:
        s[f'{name}.bias'] = [cout]
    return s


def generator_shapes(cfg):
    S, P, k, mode = cfg['size'], cfg['phases'], cfg['sections'], cfg['mode']
    gc = cfg['generator']
    ec, dc = gc['encoderChannels'], gc['decoderChannels']
    L = len(ec)
    base = P if mode == 'sections' else 0
    s = {}
    for l in range(L):
        cin = k * P + gc['noiseChannels'] if l == 0 else ec[l - 1]
        s.update(conv_shapes(f'enc.{l}.conv', cin, ec[l], 3, 2))
        b = max(1, ec[l] // 2)
        nb = len(gc['dilations'])
        for j in range(nb):
            s.update(conv_shapes(f'enc.{l}.mcam.branch{j}', ec[l], b, 3, 2))
        h = hidden_of(b * nb, gc['seReduction'])
        s[f'enc.{l}.mcam.se.fc1.weight'] = [h, b * nb]
        s[f'enc.{l}.mcam.se.fc1.bias'] = [h]
        s[f'enc.{l}.mcam.se.fc2.weight'] = [b * nb, h]
        s[f'enc.{l}.mcam.se.fc2.bias'] = [b * nb]
        s.update(conv_shapes(f'enc.{l}.mcam.fuse', b * nb, ec[l], 1, 2))
        s[f'enc.{l}.mcam.norm.weight'] = [ec[l]]
        s[f'enc.{l}.mcam.norm.bias'] = [ec[l]]
    for l in range(L):
        s.update(conv_shapes(f'lift.{l}', ec[l], dc[l] * (S >> l), 1, 2))
    s.update(conv_shapes('bottleneck.conv', dc[L - 1] + gc['noise3dChannels'] + base, dc[L - 1], 3, 3))
    s['bottleneck.norm.weight'] = [dc[L - 1]]
    s['bottleneck.norm.bias'] = [dc[L - 1]]
    for l in range(L - 2, -1, -1):
        s[f'dec.{l}.up.weight'] = [dc[l + 1], dc[l], 2, 2, 2]
        s[f'dec.{l}.up.bias'] = [dc[l]]
        h = hidden_of(dc[l], gc['cbamReduction'])
        s[f'dec.{l}.cbam.fc1.weight'] = [h, dc[l]]
        s[f'dec.{l}.cbam.fc1.bias'] = [h]
        s[f'dec.{l}.cbam.fc2.weight'] = [dc[l], h]
        s[f'dec.{l}.cbam.fc2.bias'] = [dc[l]]
        s.update(conv_shapes(f'dec.{l}.cbam.spatial', 2, 1, gc['cbamKernel'], 3))
        s.update(conv_shapes(f'dec.{l}.conv1', 2 * dc[l] + base, dc[l], 3, 3))
        if l > 0:
            s[f'dec.{l}.norm1.weight'] = [dc[l]]
            s[f'dec.{l}.norm1.bias'] = [dc[l]]
            s.update(conv_shapes(f'dec.{l}.conv2', dc[l], dc[l], 3, 3))
            s[f'dec.{l}.norm2.weight'] = [dc[l]]
            s[f'dec.{l}.norm2.bias'] = [dc[l]]
    for j, c in enumerate(reversed(dc)):
        s.update(conv_shapes(f'head.proj{j}', c, gc['headChannels'], 1, 3))
    s.update(conv_shapes('head.out', gc['headChannels'] * L, P, 1, 3))
    return s


def critic_shapes(cfg, nd):
    ch = cfg['critic']['channels']
    s, cin = {}, cfg['phases']
    for j, c in enumerate(ch):
        s.update(conv_shapes(f'layers.{j}', cin, c, 4, nd))
        cin = c
    s.update(conv_shapes('out', cin, 1, cfg['size'] >> len(ch), nd))
    return s


def random_weights(shapes, rng):
    w = {}
    for name, shape in shapes.items():
        if '.norm' in name and name.endswith('.weight'):
            w[name] = (1 + 0.2 * rng.standard_normal(shape)).astype(np.float32)
        elif '.norm' in name:
            w[name] = (0.2 * rng.standard_normal(shape)).astype(np.float32)
        else:
            wshape = shapes[name[:-len('.bias')] + '.weight'] if name.endswith('.bias') else shape
            fan_in = wshape[1] * int(np.prod(wshape[2:]))
            bound = 1 / math.sqrt(fan_in)
            w[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    return w


# ---------------------------------------------------------------- the networks, functionally
class Net:
    def __init__(self, cfg, params):
        self.cfg, self.p = cfg, params
        self.slope = cfg['generator']['slope']

    def conv(self, x, name, stride=1, padding=0, dilation=1):
        nd = x.dim() - 2
        fn = {2: F.conv2d, 3: F.conv3d}[nd]
        return fn(x, self.p[f'{name}.weight'], self.p.get(f'{name}.bias'), stride, padding, dilation)

    def linear(self, x, name):
        return F.linear(x, self.p[f'{name}.weight'], self.p[f'{name}.bias'])

    def inorm(self, x, name):
        return F.instance_norm(x, weight=self.p[f'{name}.weight'], bias=self.p[f'{name}.bias'], eps=1e-5)

    def lrelu(self, x):
        return F.leaky_relu(x, self.slope)

    def se(self, x, name):
        N, C = x.shape[:2]
        s = x.mean(dim=tuple(range(2, x.dim())))
        a = torch.sigmoid(self.linear(torch.relu(self.linear(s, f'{name}.fc1')), f'{name}.fc2'))
        return x * a.view(N, C, *([1] * (x.dim() - 2)))

    def mcam(self, x, name):
        ds = self.cfg['generator']['dilations']
        outs = [self.lrelu(self.conv(x, f'{name}.branch{j}', padding=d, dilation=d)) for j, d in enumerate(ds)]
        y = self.se(torch.cat(outs, 1), f'{name}.se')
        return self.lrelu(self.inorm(self.conv(y, f'{name}.fuse'), f'{name}.norm'))

    def cbam(self, x, name, scale):
        N, C = x.shape[:2]
        sp = list(x.shape[2:])
        dims = tuple(range(2, x.dim()))
        ones = [1] * len(sp)
        mlp = lambda v: self.linear(torch.relu(self.linear(v, f'{name}.fc1')), f'{name}.fc2')
        ca = torch.sigmoid(mlp(x.mean(dim=dims)) + mlp(x.amax(dim=dims)))
        x1 = x * ca.view(N, C, *ones)
        desc = torch.cat([x1.mean(1, keepdim=True), x1.amax(1, keepdim=True)], 1)
        mode = 'trilinear' if len(sp) == 3 else 'bilinear'
        if scale > 1:
            small = [max(1, int(math.floor(n / scale + 0.5))) for n in sp]
            desc = F.interpolate(desc, size=small, mode=mode, align_corners=False)
        k = self.cfg['generator']['cbamKernel']
        s = torch.sigmoid(self.conv(desc, f'{name}.spatial', padding=(k - 1) // 2))
        if scale > 1:
            s = F.interpolate(s, size=sp, mode=mode, align_corners=False)
        return x1 * s

    def mshfa(self, feats, name):
        full = list(feats[-1].shape[2:])
        parts = []
        for j, f in enumerate(feats):
            p = self.lrelu(self.conv(f, f'{name}.proj{j}'))
            if list(p.shape[2:]) != full:
                p = F.interpolate(p, size=full, mode='trilinear', align_corners=False)
            parts.append(p)
        return self.conv(torch.cat(parts, 1), f'{name}.out')

    def generator(self, slices, baseline, noise_map, noise_vol):
        cfg = self.cfg
        S, mode = cfg['size'], cfg['mode']
        gc = cfg['generator']
        ec, dc = gc['encoderChannels'], gc['decoderChannels']
        L = len(ec)
        N, _, H, W = slices.shape
        h = torch.cat([slices, noise_map], 1) if gc['noiseChannels'] else slices
        feats = []
        for l in range(L):
            h = self.lrelu(self.conv(h, f'enc.{l}.conv', stride=1 if l == 0 else 2, padding=1))
            h = self.mcam(h, f'enc.{l}.mcam')
            feats.append(h)
        lifted = [self.lrelu(self.conv(feats[l], f'lift.{l}').reshape(N, dc[l], S >> l, H >> l, W >> l)) for l in range(L)]
        base = []
        if mode == 'sections':
            base.append(torch.softmax(baseline, 1))
            for l in range(1, L):
                base.append(F.interpolate(base[-1], size=[S >> l, H >> l, W >> l], mode='trilinear', align_corners=False))
        b = [lifted[L - 1]] + ([noise_vol] if gc['noise3dChannels'] else []) + ([base[L - 1]] if base else [])
        d = self.lrelu(self.inorm(self.conv(torch.cat(b, 1), 'bottleneck.conv', padding=1), 'bottleneck.norm'))
        decs = [d]
        for l in range(L - 2, -1, -1):
            up = F.conv_transpose3d(d, self.p[f'dec.{l}.up.weight'], self.p[f'dec.{l}.up.bias'], stride=2)
            skip = self.cbam(lifted[l], f'dec.{l}.cbam', 2 if l == 0 else 1)
            cat = torch.cat([up, skip] + ([base[l]] if base else []), 1)
            c1 = self.conv(cat, f'dec.{l}.conv1', padding=1)
            if l > 0:
                a1 = self.lrelu(self.inorm(c1, f'dec.{l}.norm1'))
                d = self.lrelu(self.inorm(self.conv(a1, f'dec.{l}.conv2', padding=1), f'dec.{l}.norm2'))
            else:
                d = self.lrelu(c1)
            decs.append(d)
        logits = self.mshfa(decs, 'head')
        if mode == 'sections':
            logits = logits + baseline
        return logits, torch.softmax(logits, 1)

    def critic(self, x):
        ch = self.cfg['critic']['channels']
        h = x
        for j in range(len(ch)):
            h = F.leaky_relu(self.conv(h, f'layers.{j}', stride=2, padding=1), self.cfg['critic']['slope'])
        return self.conv(h, 'out').reshape(x.shape[0])


# ---------------------------------------------------------------- inputs: label volumes, sections, baseline
def section_positions(depth, k):
    if k == 1:
        return [0]
    return [int(math.floor(i * (depth - 1) / (k - 1) + 0.5)) for i in range(k)]


def random_labels(rng, S, P):
    f = ndi.gaussian_filter(rng.standard_normal((S, S, S)), 1.5, mode='wrap')
    qs = np.quantile(f, np.linspace(0, 1, P + 1)[1:-1] + 0.05 * rng.standard_normal(P - 1))
    return np.digitize(f, np.sort(qs)).astype(np.uint8)


def signed_distance(sl, p):
    H, W = sl.shape
    big = H + W
    inside = sl == p
    if inside.all():
        return np.full(sl.shape, -big, np.float64)
    if not inside.any():
        return np.full(sl.shape, big, np.float64)
    d_in = ndi.distance_transform_edt(inside)     # inside: distance to the nearest outside pixel
    d_out = ndi.distance_transform_edt(~inside)   # outside: distance to the nearest inside pixel
    return np.where(inside, -(d_in - 0.5), d_out - 0.5)


def baseline_logits(sections, cfg):
    S, P = cfg['size'], cfg['phases']
    gc = cfg['generator']
    pos = section_positions(S, len(sections))
    H, W = sections[0].shape
    out = np.zeros((P, S, H, W))
    for p in range(P):
        sd = [signed_distance(s, p) for s in sections]
        for z in range(S):
            i = 0
            while i + 1 < len(pos) and pos[i + 1] <= z:
                i += 1
            if i + 1 >= len(pos) or z <= pos[0]:
                out[p, z] = sd[0 if z <= pos[0] else i]
                continue
            t = (z - pos[i]) / (pos[i + 1] - pos[i])
            out[p, z] = (1 - t) * sd[i] + t * sd[i + 1]
    tb = gc['baselineTemperature'] * gc['baselineBound']
    return (-gc['baselineBound'] * np.tanh(out / tb)).astype(np.float32)


def one_hot(labels, P):
    return np.stack([(labels == p) for p in range(P)]).astype(np.float32)


# ---------------------------------------------------------------- one case
def t64(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float32), dtype=torch.float64, requires_grad=grad)


def run_case(case_dir):
    cfg = json.load(open(os.path.join(case_dir, 'config.json')))
    seed = cfg.get('notes', {}).get('referenceSeed', 1234)
    rng = np.random.RandomState(seed)
    S, P, k, mode = cfg['size'], cfg['phases'], cfg['sections'], cfg['mode']
    gc, lc = cfg['generator'], cfg['loss']
    N = cfg['optim']['batchSize']
    L = len(gc['encoderChannels'])
    f = 2 ** (L - 1)
    critic_nd = 3 if cfg['training'] == 'paired' else 2

    gw = random_weights(generator_shapes(cfg), rng)
    cw = random_weights(critic_shapes(cfg, critic_nd), rng)
    vols = [random_labels(rng, S, P) for _ in range(N)]
    pos = section_positions(S, k)
    sections = [[v[z] for z in pos] for v in vols]
    slices = np.stack([np.concatenate([one_hot(s, P) for s in secs]) for secs in sections])
    baseline = np.stack([baseline_logits(secs, cfg) for secs in sections]) if mode == 'sections' else None
    noise_map = rng.standard_normal((N, gc['noiseChannels'], S, S)).astype(np.float32)
    noise_vol = rng.standard_normal((N, gc['noise3dChannels'], S // f, S // f, S // f)).astype(np.float32)
    real = np.stack([one_hot(v, P) for v in vols])
    eps_count = N if critic_nd == 3 else N * S
    eps = rng.uniform(0, 1, eps_count).astype(np.float32)
    real_slices = None
    if critic_nd == 2:
        real_slices = np.stack([one_hot(random_labels(rng, S, P)[0], P) for _ in range(N * S)])

    gp_ = {n: t64(a, True) for n, a in gw.items()}
    cp_ = {n: t64(a, True) for n, a in cw.items()}
    G, D = Net(cfg, gp_), Net(cfg, cp_)
    logits, probs = G.generator(t64(slices), t64(baseline) if baseline is not None else None, t64(noise_map), t64(noise_vol))

    def critic_input(v):
        if critic_nd == 3:
            return v
        n_, p_, d_, h_, w_ = v.shape  # slices across y, as volumeSlices(v, 'y')
        return v.permute(0, 3, 1, 2, 4).reshape(n_ * h_, p_, d_, w_)

    # generator loss and its gradients (the critic is fixed)
    adv = -D.critic(critic_input(probs)).mean()
    l1 = (probs - t64(real)).abs().mean()
    loss_g = lc['advWeight'] * adv + lc['l1Weight'] * l1
    names_g = list(gw)
    grads_g = torch.autograd.grad(loss_g, [gp_[n] for n in names_g])

    # critic loss (WGAN-GP) and its gradients, the penalty by double backward
    fake = critic_input(probs.detach())
    real_c = t64(real) if critic_nd == 3 else t64(real_slices)
    e = t64(eps).view(-1, *([1] * (fake.dim() - 1)))
    xhat = (fake + e * (real_c - fake)).detach().requires_grad_(True)
    d_hat = D.critic(xhat)
    (gx,) = torch.autograd.grad(d_hat.sum(), xhat, create_graph=True)
    norms = torch.sqrt((gx.reshape(gx.shape[0], -1) ** 2).sum(1) + 1e-12)
    gp = ((norms - 1) ** 2).mean()
    d_real = D.critic(real_c)
    wdist = d_real.mean() - D.critic(fake).mean()
    loss_d = -wdist + lc['gpLambda'] * gp + lc['drift'] * (d_real ** 2).mean()
    names_c = list(cw)
    grads_d = torch.autograd.grad(loss_d, [cp_[n] for n in names_c], retain_graph=True)
    grads_gp = torch.autograd.grad(lc['gpLambda'] * gp, [cp_[n] for n in names_c], allow_unused=True)
    grads_gp = [torch.zeros_like(cp_[n]) if g is None else g for n, g in zip(names_c, grads_gp)]

    gold = {
        'in.slices': slices, 'in.noiseMap': noise_map, 'in.noiseVolume': noise_vol, 'in.real': real, 'in.eps': eps,
        'out.logits': logits.detach().numpy(), 'out.probs': probs.detach().numpy(),
        'loss.g': [loss_g.item()], 'loss.adv': [adv.item()], 'loss.l1': [l1.item()],
        'loss.d': [loss_d.item()], 'loss.gp': [gp.item()], 'loss.wasserstein': [wdist.item()],
    }
    if baseline is not None:
        gold['in.baseline'] = baseline
    if real_slices is not None:
        gold['in.realSlices'] = real_slices
    for n, g in zip(names_g, grads_g):
        gold[f'grad.generator.{n}'] = g.numpy()
    for n, g in zip(names_c, grads_d):
        gold[f'grad.critic.{n}'] = g.numpy()
    for n, g in zip(names_c, grads_gp):
        gold[f'grad.gp.{n}'] = g.numpy()
    # section label planes (for checking the SDK's interpolation against scipy's EDT)
    for b, secs in enumerate(sections):
        for i, s in enumerate(secs):
            gold[f'sections.{b}.{i}'] = s.astype(np.float32)

    # Adam: three steps of torch.optim.Adam on a fixed gradient sequence
    p0 = rng.standard_normal(7).astype(np.float32)
    gs = rng.standard_normal((3, 7)).astype(np.float32)
    w = torch.tensor(p0, dtype=torch.float32, requires_grad=True)
    opt = torch.optim.Adam([w], lr=1e-2, betas=(0.5, 0.9), eps=1e-8, weight_decay=0.01)
    gold['adam.p0'] = p0
    gold['adam.grads'] = gs
    traj = []
    for t in range(3):
        w.grad = torch.tensor(gs[t])
        opt.step()
        traj.append(w.detach().numpy().copy())
    gold['adam.traj'] = np.stack(traj)

    write_safetensors(os.path.join(case_dir, 'model.safetensors'), gw, {'format': 'microrecon-model'})
    write_safetensors(os.path.join(case_dir, 'critic.safetensors'), cw)
    write_safetensors(os.path.join(case_dir, 'golden.safetensors'), gold)
    # round trip of our own writer
    back = read_safetensors(os.path.join(case_dir, 'model.safetensors'))
    assert all(np.array_equal(back[n], gw[n]) for n in gw)
    print(f'{os.path.basename(case_dir)}: generator {sum(a.size for a in gw.values())} weights, critic '
          f'{sum(a.size for a in cw.values())}, loss_g {loss_g.item():.6f}, loss_d {loss_d.item():.6f}, gp {gp.item():.6f}')


def time_model(model_dir, threads=2, reps=3):
    """PyTorch float32 timings of a model dir written by the SDK (saveModel): one forward of a size^3 output and one
    paired training iteration (batch 2: critic step with the gradient penalty, generator step), same weights."""
    import time
    torch.set_num_threads(threads)
    torch.set_default_dtype(torch.float32)
    cfg = json.load(open(os.path.join(model_dir, 'config.json')))
    weights = read_safetensors(os.path.join(model_dir, 'model.safetensors'))
    shapes = generator_shapes(cfg)
    assert set(weights) == set(shapes), 'parameter names differ from the SDK model'
    for n, a in weights.items():
        assert list(a.shape) == shapes[n], f'{n}: {a.shape} vs {shapes[n]}'
    rng = np.random.RandomState(0)
    S, P, k, mode = cfg['size'], cfg['phases'], cfg['sections'], cfg['mode']
    gc, lc = cfg['generator'], cfg['loss']
    f = 2 ** (len(gc['encoderChannels']) - 1)
    gp_ = {n: torch.tensor(a.copy(), requires_grad=True) for n, a in weights.items()}
    cp_ = {n: torch.tensor(a, requires_grad=True) for n, a in random_weights(critic_shapes(cfg, 3), rng).items()}
    G, D = Net(cfg, gp_), Net(cfg, cp_)

    def batch(n):
        vols = [random_labels(rng, S, P) for _ in range(n)]
        secs = [[v[z] for z in section_positions(S, k)] for v in vols]
        slices = torch.tensor(np.stack([np.concatenate([one_hot(s, P) for s in ss]) for ss in secs]))
        base = torch.tensor(np.stack([baseline_logits(ss, cfg) for ss in secs])) if mode == 'sections' else None
        nm = torch.randn(n, gc['noiseChannels'], S, S)
        nv = torch.randn(n, gc['noise3dChannels'], S // f, S // f, S // f)
        return slices, base, nm, nv, torch.tensor(np.stack([one_hot(v, P) for v in vols]))

    one = batch(1)
    with torch.no_grad():
        G.generator(*one[:4])
        t = []
        for _ in range(reps):
            t0 = time.perf_counter()
            G.generator(*one[:4])
            t.append(time.perf_counter() - t0)
    print(f'pytorch {threads} threads: forward one {S}^3: median {sorted(t)[len(t) // 2] * 1e3:.0f} ms ({", ".join(f"{x * 1e3:.0f}" for x in t)})')
    two = batch(2)
    optG = torch.optim.Adam(list(gp_.values()), lr=1e-4)
    optD = torch.optim.Adam(list(cp_.values()), lr=1e-4)
    times = []
    for r in range(reps + 1):
        t0 = time.perf_counter()
        with torch.no_grad():
            fake = G.generator(*two[:4])[1]
        real = two[4]
        e = torch.rand(2, 1, 1, 1, 1)
        xhat = (fake + e * (real - fake)).requires_grad_(True)
        (gx,) = torch.autograd.grad(D.critic(xhat).sum(), xhat, create_graph=True)
        gp = ((torch.sqrt((gx.reshape(2, -1) ** 2).sum(1) + 1e-12) - 1) ** 2).mean()
        d_real = D.critic(real)
        loss_d = D.critic(fake).mean() - d_real.mean() + lc['gpLambda'] * gp + lc['drift'] * (d_real ** 2).mean()
        optD.zero_grad()
        loss_d.backward()
        optD.step()
        t1 = time.perf_counter()
        probs = G.generator(*two[:4])[1]
        loss_g = lc['advWeight'] * -D.critic(probs).mean() + lc['l1Weight'] * (probs - real).abs().mean()
        optG.zero_grad()
        loss_g.backward()
        optG.step()
        t2 = time.perf_counter()
        if r:
            times.append((t1 - t0, t2 - t1))
    tot = sorted(a + b for a, b in times)[len(times) // 2]
    print(f'pytorch {threads} threads: training iteration (batch 2, 1 critic step): median {tot * 1e3:.0f} ms '
          f'(critic {sorted(a for a, _ in times)[len(times) // 2] * 1e3:.0f}, generator {sorted(b for _, b in times)[len(times) // 2] * 1e3:.0f})')


if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[1] == '--time':
        time_model(sys.argv[2], threads=int(sys.argv[3]) if len(sys.argv) > 3 else 2)
        sys.exit(0)
    cases = sys.argv[1:] or sorted(d for d in os.listdir(HERE) if os.path.isfile(os.path.join(HERE, d, 'config.json')))
    for c in cases:
        run_case(os.path.join(HERE, c))
