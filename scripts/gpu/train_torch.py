#!/usr/bin/env python3
"""GPU training of a builtin model with the PyTorch port of microrecon's generator and critics.

The networks are the functional re-implementation in test/model/reference/generator.py (same parameter names,
shapes and formulas; test/model/reference.test.ts checks it against the SDK to 1e-4), so the weights written here
load unchanged into the SDK (`Reconstructor.load(dir)`). The training recipe mirrors src/trainer: random crops of
the training region only (the held-out split exported by scripts/gpu/export-data.ts, exactly the SDK trainer's),
WGAN-GP critic(s), L1 + cross-entropy (depth-faded in single mode) + phase-fraction terms, Adam, gradient clipping,
EMA weights, a linear ramp of the adversarial weight. It exists because a lent H200 does in minutes what the CPU
trainer does in days; the SDK trainer (`microrecon train`) remains the reference and runs the same recipe on CPU.

    python3 scripts/gpu/train_torch.py --name nmc --sections 5 --data .gpu/data --init models/nmc \
        --seconds 400 --out /tmp/out/nmc-k5

Writes <out>/best/{config.json,model.safetensors} (EMA weights with the best held-out validation score),
<out>/last/..., and <out>/log.jsonl (losses, it/s, validation). Non-finite steps are skipped and counted.
"""
import argparse
import copy
import gzip
import io
import json
import math
import os
import queue
import sys
import threading
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'test', 'model', 'reference'))
import generator as ref  # noqa: E402  (the reference sets float64 as default; we train in float32)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from correlation_loss import correlation_loss, depth_change_loss, s2_axis, soft_surface  # noqa: E402
from transport_loss import conductivity, hard_conductivity, quantile_loss, relative_diffusivity  # noqa: E402

torch.set_default_dtype(torch.float32)
AX = {'z': 0, 'y': 1, 'x': 2}
# 2D mode: the generator axis whose slices each plane image trains (src/trainer/data.ts PLANE_AXIS)
PLANE_OF_AXIS = {'z': 'xy', 'y': 'xz', 'x': 'yz'}


def load_npy_gz(path):
    """<name>.npy.gz, or <name>.npy as scripts/gpu/export-data.ts writes it (gzip it for the trip to a device)."""
    if not os.path.exists(path) and os.path.exists(path[:-3]):
        return np.load(path[:-3])
    return np.lib.format.read_array(io.BytesIO(gzip.decompress(open(path, 'rb').read())))


def one_hot_t(labels, P):
    """labels uint8 tensor [...] -> float [P, ...] one-hot on the labels' device."""
    return torch.stack([(labels == p) for p in range(P)]).float()


def continue_depth(probs, next_block):
    """Two depth blocks chained as Reconstructor.stream() chains them (single mode, its default depthOverlap S / 8):
    probs [N, P, S, H, W] of a first block; next_block(labels [N, 1, H, W] uint8) -> the second block's probs, from
    the argmax of the first block's slice `step` = S - 1 - S / 8; the S / 8 shared slices after it blend the two
    blocks (the new block's weight z / (S / 8 + 1)). Returns [N, P, 2 S - S / 8 - 1, H, W] (59 at S = 32), the first
    59 slices of a 64^3 output. A 64^3 output is such a chain; without it, blocks conditioned on generated slices are
    never trained, and the flux of 32-deep crops misses how two halves connect (session 10).
    scripts/gpu/check_continuation.py checks it against the SDK's Reconstructor."""
    S = probs.shape[2]
    ov = S // 8
    step = S - 1 - ov
    pb = next_block(probs[:, :, step].detach().argmax(1, keepdim=True).to(torch.uint8))
    t = (torch.arange(1, ov + 1, device=probs.device, dtype=probs.dtype) / (ov + 1)).view(1, 1, ov, 1, 1)
    shared = t * pb[:, :, 1:ov + 1] + (1 - t) * probs[:, :, step + 1:]
    return torch.cat([probs[:, :, :step + 1], shared, pb[:, :, ov + 1:]], dim=2)


def volume_slices(v, axis):
    """[N, P, D, H, W] -> slices across `axis` as 2D images, the SDK's volumeSlices layout."""
    N, P, D, H, W = v.shape
    if axis == 'z':
        return v.permute(0, 2, 1, 3, 4).reshape(N * D, P, H, W)
    if axis == 'y':
        return v.permute(0, 3, 1, 2, 4).reshape(N * H, P, D, W)
    return v.permute(0, 4, 1, 2, 3).reshape(N * W, P, D, H)


def ssim_uniform(a, b, win=7):
    """Mean 3D SSIM of [N, 1, D, H, W] in [0, 1] (uniform win^3 window, data range 1, sample covariances)."""
    pool = lambda t: F.avg_pool3d(t, win, stride=1)
    ua, ub = pool(a), pool(b)
    n = win ** 3
    c = n / (n - 1)
    va = c * (pool(a * a) - ua * ua)
    vb = c * (pool(b * b) - ub * ub)
    vab = c * (pool(a * b) - ua * ub)
    C1, C2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * ua * ub + C1) * (2 * vab + C2)) / ((ua * ua + ub * ub + C1) * (va + vb + C2))
    return s.mean(dim=(1, 2, 3, 4))


def psnr(a, b):
    mse = ((a - b) ** 2).mean(dim=(1, 2, 3, 4)).clamp_min(1e-12)
    return 10 * torch.log10(1 / mse)


class Trainer:
    def __init__(self, a):
        self.a = a
        self.dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
        torch.backends.cudnn.benchmark = True
        cfg = json.load(open(os.path.join(a.init, 'config.json')))
        self.cfg = cfg = copy.deepcopy(cfg)
        if a.sections:
            cfg['sections'] = a.sections
        if a.size:
            # a new block size: the channels-to-depth lifts (size-dependent shapes) start fresh, the rest carries over
            cfg['size'] = a.size
        for k, v in (('lrG', a.lr_g), ('lrD', a.lr_d), ('batchSize', a.batch), ('emaDecay', a.ema), ('criticSteps', a.critic_steps)):
            if v is not None:
                cfg['optim'][k] = v
        if a.adv_weight is not None:
            cfg['loss']['advWeight'] = a.adv_weight
        self.S, self.P, self.k = cfg['size'], cfg['phases'], cfg['sections']
        self.mode, self.training = cfg['mode'], cfg['training']
        tr = cfg['notes']['trainer']
        self.ce_w, self.pf_w = tr['ceWeight'], tr['pfWeight']
        if a.ce_weight is not None:
            self.ce_w = tr['ceWeight'] = a.ce_weight
        if a.pf_weight is not None:
            self.pf_w = tr['pfWeight'] = a.pf_weight
        if a.pf_sharp:
            tr['pfSharpness'] = a.pf_sharp
        if a.pf_paired:
            tr['pfTarget'] = 'paired block'
        if a.l1_weight is not None:
            cfg['loss']['l1Weight'] = a.l1_weight
        # sections mode: 1 - SSIM (7^3 uniform window) between the expected label map and the real one, the
        # protocol's own measure; L1 / cross-entropy alone blur the far-from-section planes into the majority phase
        self.ssim_w = a.ssim_weight or 0.0
        if self.ssim_w:
            tr['ssimWeight'] = self.ssim_w
        # single mode: match the batch's diffusive flux (D_eff / D of the pore phase) along one axis per step to the
        # real blocks'; L1 / cross-entropy alone thin the throats far from the input slice and the pores stop
        # percolating (see transport_loss.py)
        self.conn_w = a.conn_weight or 0.0
        if a.conn_geometric and a.conn_target_blocks:
            raise SystemExit('--conn-geometric needs the paired batch (no --conn-target-blocks)')
        # options that act on the fixed target (connectivity_target), which only --conn-target-blocks computes
        for flag, on in ((f'--conn-statistic {a.conn_statistic}', a.conn_statistic != 'mean'), ('--conn-symmetric-xy', a.conn_symmetric_xy),
                         ('--conn-continue', a.conn_continue)):
            if on and not a.conn_target_blocks:
                raise SystemExit(f'{flag} needs --conn-target-blocks')
        if a.pf_chain and not (a.conn_continue and a.pf_paired and self.conn_w):
            raise SystemExit('--pf-chain needs --conn-continue, --pf-paired and --conn-weight')
        if a.depth_weight:
            if not a.conn_continue:
                raise SystemExit('--depth-weight needs --conn-continue (it guards the chain)')
            tr['depthWeight'] = a.depth_weight
        if a.pf_chain:
            tr['pfTarget'] = 'paired block, over the two-block chain (59 deep at size 32)'
        if self.conn_w:
            tr['connectivity'] = {'weight': self.conn_w, 'eps': a.conn_eps, 'temperature': a.conn_temp, 'iterations': a.conn_iters,
                                  'straightThrough': a.conn_straight_through, 'geometric': a.conn_geometric,
                                  **({'symmetricXY': True} if a.conn_symmetric_xy else {}),
                                  **({'continuation': 'two depth blocks as the Reconstructor chains them'} if a.conn_continue else {}),
                                  'term': 'scripts/gpu/transport_loss.py'}
        # single mode: match the batch's pore two-point correlation per axis (soft probabilities, lags 1..20) to the
        # paired real blocks'; holds S2 in place while the connectivity term reshapes throats
        self.s2_w = a.s2_weight or 0.0
        if self.s2_w:
            tr['s2Weight'] = self.s2_w
        if a.surface_weight:
            tr['surfaceWeight'] = a.surface_weight
        if a.augment_xy:
            if cfg['training'] != 'paired':
                raise SystemExit('--augment-xy is for paired training (2D-only mode keeps each plane as imaged)')
            tr['augment'] = 'xy dihedral: random swap and flips of y/x on every training crop'
        self.adv_start = a.adv_start if a.adv_start is not None else tr['advStartIterations']
        self.adv_ramp = a.adv_ramp if a.adv_ramp is not None else tr['advRampIterations']
        self.rng = np.random.RandomState(a.seed)
        torch.manual_seed(a.seed)
        meta = json.load(open(os.path.join(a.data, f'{a.name}.json')))
        self.meta = meta
        self.fractions = torch.tensor(meta['fractions'], device=self.dev)
        if self.training == 'paired':
            self.vol = torch.from_numpy(load_npy_gz(os.path.join(a.data, f'{a.name}.npy.gz'))).to(self.dev)
        else:
            self.planes = {p: torch.from_numpy(load_npy_gz(os.path.join(a.data, f'{a.name}_{p}.npy.gz'))).to(self.dev)
                           for p in ('xy', 'xz', 'yz')}
        # weights: the init model's where names and shapes match, else fresh (as the SDK initialises)
        shapes = ref.generator_shapes(cfg)
        init = ref.read_safetensors(os.path.join(a.init, 'model.safetensors'))
        fresh = ref.random_weights(shapes, self.rng)
        self.reinit = [n for n in shapes if n not in init or list(init[n].shape) != shapes[n]]
        for n in self.reinit:
            if '.norm' in n:
                fresh[n] = np.ones(shapes[n], np.float32) if n.endswith('.weight') else np.zeros(shapes[n], np.float32)
        self.G = {n: torch.tensor(fresh[n] if n in self.reinit else init[n].copy(), device=self.dev, requires_grad=True)
                  for n in shapes}
        self.ema = {n: t.detach().clone() for n, t in self.G.items()}
        nd = 3 if self.training == 'paired' else 2
        axes = ['vol'] if self.training == 'paired' else ['x', 'y', 'z']
        self.D = {}
        for ax in axes:
            w = ref.random_weights(ref.critic_shapes(cfg, nd), self.rng)
            self.D[ax] = {n: torch.tensor(v, device=self.dev, requires_grad=True) for n, v in w.items()}
        o = cfg['optim']
        self.optG = torch.optim.Adam(list(self.G.values()), lr=o['lrG'], betas=tuple(o['betas']), eps=o['eps'])
        self.optD = {ax: torch.optim.Adam(list(d.values()), lr=o['lrD'], betas=tuple(o['betas']), eps=o['eps']) for ax, d in self.D.items()}
        self.gnet = ref.Net(cfg, self.G)
        self.enet = ref.Net(cfg, self.ema)
        self.dnet = {ax: ref.Net(cfg, d) for ax, d in self.D.items()}
        f = 2 ** (len(cfg['generator']['encoderChannels']) - 1)
        # paired single mode may train on [S, tile, tile] crops: the generator is convolutional across x/y, and
        # connectivity across x/y over the Reconstructor's 64-wide tiles is what 32-wide crops do not see
        self.T = a.tile or self.S
        if self.T % f or (self.T != self.S and (self.training != 'paired' or self.mode != 'single')):
            raise SystemExit(f'--tile must be a multiple of {f}, and only in paired single mode')
        if self.T != self.S:
            # the Reconstructor runs the model with tiles of the width it learned lateral structure at
            cfg['inference'] = {**cfg.get('inference', {}), 'tile': self.T}
        self.noise_shapes = lambda N, hw=None: ((N, cfg['generator']['noiseChannels'], hw or self.S, hw or self.S),
                                                (N, cfg['generator']['noise3dChannels'], self.S // f, (hw or self.S) // f, (hw or self.S) // f))
        dd = tr.get('depthDecay', 0)
        if self.mode == 'single' and self.training == 'paired' and dd > 0:
            w = torch.exp(-torch.arange(self.S, dtype=torch.float32) / dd)
            self.depth_w = (w / w.mean()).view(1, 1, self.S, 1, 1).to(self.dev)
        else:
            self.depth_w = None
        self.positions = ref.section_positions(self.S, self.k)
        self.val = self.validation_set()
        self.conn_target = self.connectivity_target() if self.conn_w and a.conn_target_blocks else None
        self.it = 0
        self.skipped = 0

    # ------------------------------------------------------------ data
    def train_hi(self):
        hi = list(self.vol.shape)
        hi[AX[self.meta['heldOut']['axis']]] = self.meta['heldOut']['from']
        return hi

    def crop(self, at, hw=None, depth=None):
        S, T = depth or self.S, hw or self.S
        return self.vol[at[0]:at[0] + S, at[1]:at[1] + T, at[2]:at[2] + T]

    def random_blocks(self, N, rng, depth=None):
        hi = self.train_hi()
        ext = [depth or self.S, self.T, self.T]
        blocks = [self.crop([rng.randint(h - e + 1) for h, e in zip(hi, ext)], self.T, depth) for _ in range(N)]
        if self.a.augment_xy:
            blocks = [self.dihedral_xy(b, rng) for b in blocks]
        return torch.stack(blocks)

    @staticmethod
    def dihedral_xy(b, rng):
        """One of the 8 symmetries of the square on a [S, T, T] crop (swap y/x, flip y, flip x): for media isotropic
        in the slice plane. Without it a generator learned a preferred lateral direction (the shipped ketton was
        2.8x less connected along its y than its x; with input and output transposed the weakness moved to x)."""
        t, fy, fx = (rng.randint(2) for _ in range(3))
        if t:
            b = b.transpose(1, 2)
        dims = [d for d, f in ((1, fy), (2, fx)) if f]
        return (b.flip(dims) if dims else b).contiguous()

    def held_out_blocks(self, N, rng):
        ax = AX[self.meta['heldOut']['axis']]
        frm = self.meta['heldOut']['from']
        ext = [self.S, self.T, self.T]  # with --tile, validation sees the training crops' width too
        out = []
        for _ in range(N):
            at = [(frm if a == ax else 0) + rng.randint(self.vol.shape[a] - ext[a] - (frm if a == ax else 0) + 1) for a in range(3)]
            out.append(self.crop(at, self.T))
        return torch.stack(out)

    def plane_crops(self, plane, N, rng, held_out=False):
        img = self.planes[plane]
        h, w = img.shape
        cut = max(math.ceil(h * self.meta['heldOut']['fraction'] - 1e-9), self.S)
        lo, hi = (h - cut, h - self.S + 1) if held_out else (0, h - cut - self.S + 1)
        out = []
        for _ in range(N):
            y, x = lo + rng.randint(hi - lo), rng.randint(w - self.S + 1)
            out.append(img[y:y + self.S, x:x + self.S])
        return torch.stack(out)

    def inputs(self, sections):
        """sections: uint8 [N, k, H, W] on device -> (slices [N, k*P, H, W], baseline [N, P, S, H, W] or None)."""
        N = sections.shape[0]
        oh = one_hot_t(sections, self.P)  # [P, N, k, H, W]
        slices = oh.permute(1, 2, 0, 3, 4).reshape(N, self.k * self.P, *sections.shape[-2:])
        if self.mode != 'sections':
            return slices, None
        secs = sections.cpu().numpy()
        base = np.stack([ref.baseline_logits([secs[n, i] for i in range(self.k)], self.cfg) for n in range(N)])
        return slices, torch.from_numpy(base).to(self.dev)

    def batch(self, rng):
        N = self.cfg['optim']['batchSize']
        if self.training == 'paired':
            # --pf-chain: crops as deep as the chain; the first S slices are the paired block of every other term
            blocks = self.random_blocks(N, rng, self.conn_depth() if self.a.pf_chain else None)
            sections = blocks[:, self.positions]
            slices, base = self.inputs(sections)
            real = one_hot_t(blocks, self.P).permute(1, 0, 2, 3, 4).contiguous()
            out = {'slices': slices, 'baseline': base, 'real': real[:, :, :self.S].contiguous()}
            if self.a.pf_chain:
                out['realChain'] = real
            return out
        sections = self.plane_crops('xy', N, rng).unsqueeze(1)
        slices, _ = self.inputs(sections)
        reals = {}
        for ax in ('x', 'y', 'z'):
            c = self.plane_crops(PLANE_OF_AXIS[ax], N * self.S, rng)
            reals[ax] = one_hot_t(c, self.P).permute(1, 0, 2, 3).contiguous()
        return {'slices': slices, 'baseline': None, 'reals': reals}

    def noise(self, N, gen=None, hw=None):
        a, b = self.noise_shapes(N, hw)
        return (torch.randn(a, device=self.dev, generator=gen), torch.randn(b, device=self.dev, generator=gen))

    @torch.no_grad()
    def connectivity_target(self):
        """conn_statistic of the soft-conductivity D_eff / D per axis (z, y, x) over --conn-target-blocks random
        training crops: a fixed target for the connectivity term. A 4-block batch's own mean varies two-fold."""
        rng = np.random.RandomState(4321)
        n = self.a.conn_target_blocks
        pore = self.random_blocks(n, rng, self.conn_depth()) == 0
        # what the term measures on generated blocks: the labels' own conductivity with --conn-straight-through,
        # else the soft one (of a 0/1 field: the solid conducts eps + sigmoid(-0.5 / T), 0.0067 at T = 0.1)
        c = hard_conductivity(pore, self.a.conn_eps) if self.a.conn_straight_through else \
            conductivity(pore.float(), self.a.conn_eps, self.a.conn_temp)
        t = [torch.cat([relative_diffusivity(c[i:i + 8], ax, iters=self.a.conn_iters) for i in range(0, n, 8)]) for ax in (1, 2, 3)]
        if self.a.conn_symmetric_xy:
            # y and x interchangeable (with --augment-xy): one lateral target from both axes' fluxes. With 48 crops
            # their own targets differed by 12 % (resistance y 38.6, x 34.6) and the generated y stayed the worse
            # axis on every input; with it (session 9, Berea) x/y evened out (seed 1 6.7 / 7.9) but the surface fell
            t[1] = t[2] = torch.cat([t[1], t[2]])
        target = torch.stack([self.conn_statistic(x) for x in t])
        self.conn_sorted = [torch.sort(x).values for x in t]  # the target distribution, for 'quantile'
        self.cfg['notes']['trainer']['connectivity']['target'] = {'blocks': n, 'statistic': self.a.conn_statistic, 'zyx': target.tolist(),
                                                                  'dStd': [x.std().item() for x in t]}
        print(f'connectivity target (z, y, x) over {n} blocks: {target.tolist()}', flush=True)
        return target

    def conn_depth(self):
        """Depth of the blocks the connectivity term measures: the model size, or with --conn-continue two depth
        blocks chained as the Reconstructor does (2 S - overlap - 1: 59 at size 32)."""
        return 2 * self.S - self.S // 8 - 1 if self.a.conn_continue else self.S

    def continued(self, probs, N):
        """probs [N, P, S, T, T] of a first depth block -> [N, P, conn_depth, T, T], the chain the Reconstructor makes."""
        nxt = lambda lab: self.gnet.generator(*self.inputs(lab), *self.noise(N, hw=probs.shape[-1]))[1]
        return continue_depth(probs, nxt)

    def conn_statistic(self, d):
        """What the connectivity term matches, from blocks' D_eff / D [N]: their mean ('mean'), or their mean resistance
        1 / (D + 0.005) ('resistance'), which like a set's mean tortuosity is ruled by the worst-connected blocks.
        'quantile' matches the whole distribution (transport_loss.quantile_loss); its logged statistic is the
        resistance. Matching the mean resistance let the model trade real crops' mix of blocked and well-connected
        blocks for uniformly marginal ones (every block percolating through thin paths), which a set's mean
        tortuosity over percolating blocks sees as twice the rock's (session 9)."""
        return d.mean() if self.a.conn_statistic == 'mean' else (1 / (d + 0.005)).mean()

    # ------------------------------------------------------------ steps
    def adv_weight(self):
        if self.it < self.adv_start:
            return 0.0
        r = self.adv_ramp
        return self.cfg['loss']['advWeight'] * min(1.0, (self.it - self.adv_start + 1) / r if r > 0 else 1.0)

    def critic_loss(self, net, real, fake):
        lc = self.cfg['loss']
        e = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=self.dev)
        xhat = (fake + e * (real - fake)).requires_grad_(True)
        (gx,) = torch.autograd.grad(net.critic(xhat).sum(), xhat, create_graph=True)
        gp = ((torch.sqrt((gx.reshape(gx.shape[0], -1) ** 2).sum(1) + 1e-12) - 1) ** 2).mean()
        d_real = net.critic(real)
        w = d_real.mean() - net.critic(fake).mean()
        return -w + lc['gpLambda'] * gp + lc['drift'] * (d_real ** 2).mean(), w, gp

    def critic_view(self, v):
        """The 3D critic sees size^3 blocks: a random size^3 window of wider (--tile) crops."""
        if v.shape[-1] == self.S:
            return v
        y, x = (int(torch.randint(v.shape[d] - self.S + 1, ())) for d in (-2, -1))
        return v[..., y:y + self.S, x:x + self.S]

    def step(self, b):
        N = b['slices'].shape[0]
        advw = self.adv_weight()
        out = {}
        if advw > 0 or self.it >= self.adv_start - min(100, self.adv_start):
            for _ in range(self.cfg['optim']['criticSteps']):
                with torch.no_grad():
                    fake = self.gnet.generator(b['slices'], b['baseline'], *self.noise(N, hw=b['slices'].shape[-1]))[1]
                for ax, net in self.dnet.items():
                    if ax == 'vol':
                        loss, w, gp = self.critic_loss(net, self.critic_view(b['real']), self.critic_view(fake))
                    else:
                        loss, w, gp = self.critic_loss(net, b['reals'][ax], volume_slices(fake, ax))
                    if not torch.isfinite(loss):
                        self.skipped += 1
                        continue
                    self.optD[ax].zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(list(self.D[ax].values()), self.cfg['optim']['gradClip'])
                    self.optD[ax].step()
                    out[f'd_{ax}'], out[f'w_{ax}'] = loss.item(), w.item()
        probs = self.gnet.generator(b['slices'], b['baseline'], *self.noise(N, hw=b['slices'].shape[-1]))[1]
        cp = probs  # with --conn-continue, the two-block chain (the connectivity term makes it)
        parts = []
        if advw > 0:
            if 'vol' in self.dnet:
                adv = -self.dnet['vol'].critic(self.critic_view(probs)).mean()
            else:
                adv = sum(-self.dnet[ax].critic(volume_slices(probs, ax)).mean() for ax in ('x', 'y', 'z'))
            parts.append(advw * adv)
            out['adv'] = adv.item()
        if self.training == 'paired':
            real, w = b['real'], self.depth_w
            d = (probs - real).abs()
            l1 = (d * w).mean() if w is not None else d.mean()
            t = torch.log(probs + 1e-7) * real
            ce = -self.P * ((t * w).mean() if w is not None else t.mean())
            parts += [self.cfg['loss']['l1Weight'] * l1, self.ce_w * ce]
            out['l1'], out['ce'] = l1.item(), ce.item()
            if self.ssim_w:
                lab = torch.arange(self.P, device=self.dev, dtype=probs.dtype).view(1, -1, 1, 1, 1) / (self.P - 1)
                soft = (probs * lab).sum(1, keepdim=True)
                hard = (real * lab).sum(1, keepdim=True)
                ss = ssim_uniform(soft, hard).mean()
                parts.append(self.ssim_w * (1 - ss))
                out['ssim'] = ss.item()
        else:
            got = probs[:, :, 0]
            l1 = (got - b['slices'].view_as(got)).abs().mean()
            parts.append(self.cfg['loss']['l1Weight'] * l1)
            out['l1'] = l1.item()
        if self.conn_w and self.training == 'paired':
            ax = 1 + self.it % 3
            eps = self.a.conn_eps
            cond = lambda p: conductivity(p, eps, self.a.conn_temp)
            cp = self.continued(probs, N) if self.a.conn_continue else probs
            cg = cond(cp[:, 0])
            if self.a.conn_straight_through:
                # the flux of the labels argmax gives (what is evaluated), the gradient of the soft field
                hard = hard_conductivity(cp.argmax(1) == 0, eps)
                cg = hard + cg - cg.detach()
            dg = relative_diffusivity(cg, ax, iters=self.a.conn_iters)
            dr = self.conn_target[ax - 1] if self.conn_target is not None else \
                relative_diffusivity(cond(b['real'][:, 0]), ax, iters=self.a.conn_iters)
            if self.a.conn_geometric:
                # mean log: poorly connected blocks weigh in, as they do in a set's mean tortuosity
                conn = (torch.log(dg + 0.005).mean() - torch.log(dr + 0.005).mean()) ** 2
            elif self.a.conn_statistic == 'quantile':
                conn = quantile_loss(dg, self.conn_sorted[ax - 1])
            elif self.a.conn_statistic == 'resistance':
                conn = (torch.log(self.conn_statistic(dg)) - torch.log(dr)) ** 2
            else:
                conn = (torch.log(dg.mean() + 0.01) - torch.log(dr.mean() + 0.01)) ** 2
            parts.append(self.conn_w * conn)
            out['conn'], out['dGen'], out['dReal'] = conn.item(), dg.mean().item(), dr.mean().item()
            if self.conn_target is not None:
                out['connGen'] = self.conn_statistic(dg).item()  # against dReal, the fixed target
        if self.s2_w and self.training == 'paired':
            s2 = correlation_loss(probs[:, 0], b['real'][:, 0])
            parts.append(self.s2_w * s2)
            out['s2'] = s2.item()
        if self.a.surface_weight and self.training == 'paired':
            # interface area of the soft pore field vs the paired real blocks' face count (log ratio): the
            # connectivity term otherwise widens throats and the surface falls
            sf = (torch.log(soft_surface(probs[:, 0])) - torch.log(soft_surface(b['real'][:, 0]))) ** 2
            parts.append(self.a.surface_weight * sf)
            out['surface'] = sf.item()
        fsrc, freal = (cp, b['realChain']) if self.a.pf_chain else (probs, b['real'])
        if self.a.depth_weight and self.training == 'paired':
            dep = depth_change_loss(cp[:, 0], freal[:, 0], self.a.pf_sharp or 0.05)
            parts.append(self.a.depth_weight * dep)
            out['depth'] = dep.item()
        if self.a.pf_sharp:
            # the fractions argmax will give: probabilities sharpened to near one-hot (softmax of log p / T); the
            # plain mean let the labels' porosity drift 0.01-0.02 above the target while the soft mean held it
            fp = torch.softmax(torch.log(fsrc + 1e-7) / self.a.pf_sharp, dim=1)
        else:
            fp = fsrc
        if self.a.pf_paired and self.training == 'paired':
            # each block's fractions against its own real block's: the porosity follows the input slice's region
            # (held-out Berea blocks sit at 0.19 against the training region's 0.20)
            pf = ((fp.mean(dim=(2, 3, 4)) - freal.mean(dim=(2, 3, 4))) ** 2).sum(1).mean()
        else:
            pf = ((fp.mean(dim=(0, 2, 3, 4)) - self.fractions) ** 2).sum()
        parts.append(self.pf_w * pf)
        loss = sum(parts)
        out['g'], out['pf'] = loss.item(), pf.item()
        if not math.isfinite(out['g']):
            self.skipped += 1
        else:
            self.optG.zero_grad(set_to_none=True)
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(list(self.G.values()), self.cfg['optim']['gradClip'])
            if torch.isfinite(gn):
                self.optG.step()
                dec = self.cfg['optim']['emaDecay']
                with torch.no_grad():
                    for n, p in self.G.items():
                        self.ema[n].mul_(dec).add_(p.detach(), alpha=1 - dec)
            else:
                self.skipped += 1
        self.it += 1
        out['advWeight'] = advw
        return out

    # ------------------------------------------------------------ validation (EMA weights, fixed blocks and noise)
    def validation_set(self):
        rng = np.random.RandomState(12345)
        n = self.a.val_blocks
        if self.training == 'paired':
            blocks = self.held_out_blocks(n, rng)
            return {'blocks': blocks, 'sections': blocks[:, self.positions]}
        return {'xy': self.plane_crops('xy', n, rng, True), 'xz': self.plane_crops('xz', n, rng, True),
                'yz': self.plane_crops('yz', n, rng, True)}

    @torch.no_grad()
    def generate(self, sections, seed=7):
        gen = torch.Generator(device=self.dev)
        gen.manual_seed(seed)
        labs = []
        for i in range(0, sections.shape[0], 4):
            s = sections[i:i + 4]
            slices, base = self.inputs(s)
            labs.append(self.enet.generator(slices, base, *self.noise(s.shape[0], gen, s.shape[-1]))[1].argmax(1))
        return torch.cat(labs).to(torch.uint8)

    @torch.no_grad()
    def validate(self):
        v, P = self.val, self.P
        if self.training == 'paired':
            gen = self.generate(v['sections'])
            real = v['blocks']
            m = {}
            if self.mode == 'sections':
                a = gen.float().unsqueeze(1) / (P - 1)
                b = real.float().unsqueeze(1) / (P - 1)
                m['ssim'] = ssim_uniform(a, b).mean().item()
                m['psnr'] = psnr(a, b).mean().item()
                if 'baseline_ssim' not in v:
                    _, base = self.inputs(v['sections'])
                    bl = base.argmax(1).float().unsqueeze(1) / (P - 1)
                    v['baseline_ssim'] = ssim_uniform(bl, b).mean().item()
                    v['baseline_psnr'] = psnr(bl, b).mean().item()
                m['baselineSsim'], m['baselinePsnr'] = v['baseline_ssim'], v['baseline_psnr']
                m['score'] = m['ssim']
            else:
                fg, fr = (gen == 0).float().mean().item(), (real == 0).float().mean().item()
                s2 = [(s2_axis((gen == 0).float(), d) - s2_axis((real == 0).float(), d)).pow(2).mean().sqrt().item() for d in (1, 2, 3)]
                sg, sr = soft_surface((gen == 0).float()).item(), soft_surface((real == 0).float()).item()
                agree = (gen[:, 1:5] == real[:, 1:5]).float().mean().item()
                m.update(fractionError=fg - fr, s2Rmse=s2, surfaceRel=sg / sr - 1, agreement=agree)
                m['score'] = -(abs(fg - fr) / 0.02 + max(s2) / 0.01 + abs(sg / sr - 1) / 0.1)
                if self.conn_w:
                    # pore-phase D_eff / D of the labels (eps 1e-3: solid nearly blocks), log ratio of set means per axis
                    dg = [relative_diffusivity(hard_conductivity(gen == 0, 1e-3), d, iters=1500).mean().item() for d in (1, 2, 3)]
                    dr = [relative_diffusivity(hard_conductivity(real == 0, 1e-3), d, iters=1500).mean().item() for d in (1, 2, 3)]
                    m['diffusivity'], m['diffusivityReal'] = dg, dr
                    m['score'] -= max(abs(math.log(g / r)) for g, r in zip(dg, dr)) / 0.2
            return m
        # 2d: slices of generated volumes vs held-out crops of each plane's micrograph
        gen = self.generate(v['xy'].unsqueeze(1))
        m, score = {}, 0.0
        for ax, plane in PLANE_OF_AXIS.items():
            sl = volume_slices(gen.unsqueeze(1), ax)[:, 0]  # [M, rows, cols]
            real = v[plane]
            fe = (sl == 0).float().mean().item() - (real == 0).float().mean().item()
            s2 = [(s2_axis((sl == 0).float(), d) - s2_axis((real == 0).float(), d)).pow(2).mean().sqrt().item() for d in (1, 2)]
            m[plane] = {'fractionError': fe, 's2Rmse': s2}
            score -= abs(fe) / 0.02 + max(s2) / 0.01
        m['score'] = score
        return m

    # ------------------------------------------------------------ output
    def save(self, sub, validation):
        d = os.path.join(self.a.out, sub)
        os.makedirs(d, exist_ok=True)
        cfg = copy.deepcopy(self.cfg)
        notes = cfg.setdefault('notes', {})
        notes['validation'] = {**validation, 'iteration': self.it}
        notes['gpuTraining'] = {
            'script': 'scripts/gpu/train_torch.py', 'device': torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu',
            'torch': torch.__version__, 'iterations': self.it, 'seconds': round(time.time() - self.t0),
            'initFrom': self.a.init, 'reinitialised': self.reinit, 'skippedSteps': self.skipped,
            'batchSize': cfg['optim']['batchSize'], 'advStartIterations': self.adv_start, 'advRampIterations': self.adv_ramp,
        }
        notes.pop('checkpointId', None)
        cfg.pop('checkpointId', None)
        ref.write_safetensors(os.path.join(d, 'model.safetensors'), {n: t.detach().cpu().numpy() for n, t in self.ema.items()},
                              {'format': 'microrecon-model'})
        with open(os.path.join(d, 'config.json'), 'w') as f:
            json.dump(cfg, f, indent=2)

    def run(self):
        a = self.a
        os.makedirs(a.out, exist_ok=True)
        log = open(os.path.join(a.out, 'log.jsonl'), 'a')
        self.t0 = time.time()
        best = -float('inf')
        # batches are made by a feeder thread (the shape-based baseline runs on the CPU)
        q = queue.Queue(maxsize=6)
        stop = threading.Event()
        rng = np.random.RandomState(a.seed + 1)

        def feed():
            while not stop.is_set():
                try:
                    q.put(self.batch(rng), timeout=1)
                except queue.Full:
                    continue
                except Exception as err:  # surface feeder errors in the main loop
                    q.put(err)
                    return

        th = threading.Thread(target=feed, daemon=True)
        th.start()
        last_val = time.time()
        m = self.validate()
        log.write(json.dumps({'it': 0, 'val': m}) + '\n')
        log.flush()
        print(f'[{a.out}] start: validation {json.dumps(m)}', flush=True)
        tl = time.time()
        while time.time() - self.t0 < a.seconds and (a.iterations is None or self.it < a.iterations):
            b = q.get()
            if isinstance(b, Exception):
                raise b
            out = self.step(b)
            if self.it % 50 == 0:
                rate = 50 / (time.time() - tl)
                tl = time.time()
                log.write(json.dumps({'it': self.it, 't': round(time.time() - self.t0, 1), 'itps': round(rate, 2), **out}) + '\n')
                log.flush()
            if a.save_every and self.it % a.save_every == 0:
                self.save(f'it{self.it}', {'snapshot': True})
            if time.time() - last_val > a.validate_seconds:
                last_val = time.time()
                m = self.validate()
                log.write(json.dumps({'it': self.it, 'val': m}) + '\n')
                log.flush()
                print(f'[{a.out}] it {self.it} ({self.it / (time.time() - self.t0):.1f} it/s): {json.dumps(m)}', flush=True)
                if m['score'] > best and self.it >= a.min_best_it:
                    best = m['score']
                    self.save('best', m)
        stop.set()
        m = self.validate()
        log.write(json.dumps({'it': self.it, 'val': m, 'final': True}) + '\n')
        log.close()
        self.save('last', m)
        if m['score'] > best or not os.path.exists(os.path.join(a.out, 'best')):
            self.save('best', m)
        print(f'[{a.out}] done: {self.it} it in {time.time() - self.t0:.0f} s, skipped {self.skipped}, final {json.dumps(m)}', flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--name', required=True)
    p.add_argument('--data', default='.gpu/data')
    p.add_argument('--init', required=True, help='model dir whose config (and matching weights) to start from')
    p.add_argument('--out', required=True)
    p.add_argument('--sections', type=int)
    p.add_argument('--size', type=int, help='block size (default: the init model\'s); e.g. 64 for 64^3 single-mode models')
    p.add_argument('--seconds', type=float, default=300)
    p.add_argument('--iterations', type=int)
    p.add_argument('--validate-seconds', type=float, default=40)
    p.add_argument('--val-blocks', type=int, default=16)
    p.add_argument('--min-best-it', type=int, default=0)
    p.add_argument('--batch', type=int)
    p.add_argument('--tile', type=int, help='paired single mode: train on [size, tile, tile] crops (default: size)')
    p.add_argument('--lr-g', type=float)
    p.add_argument('--lr-d', type=float)
    p.add_argument('--ema', type=float)
    p.add_argument('--critic-steps', type=int)
    p.add_argument('--adv-weight', type=float)
    p.add_argument('--adv-start', type=int)
    p.add_argument('--adv-ramp', type=int)
    p.add_argument('--ce-weight', type=float)
    p.add_argument('--l1-weight', type=float)
    p.add_argument('--ssim-weight', type=float)
    p.add_argument('--conn-weight', type=float, help='single mode: weight of the diffusive-flux (connectivity) term')
    p.add_argument('--conn-straight-through', action='store_true', help='connectivity term: flux of the argmax labels, gradient through the soft field')
    p.add_argument('--conn-geometric', action='store_true', help='connectivity term: match the mean log flux of the blocks (default: log of the mean)')
    p.add_argument('--conn-eps', type=float, default=0.02, help='connectivity term: conductivity of the solid')
    p.add_argument('--conn-temp', type=float, default=0.1, help='connectivity term: sigmoid temperature of the pore probability')
    p.add_argument('--conn-target-blocks', type=int, default=0, help='connectivity term: match the mean of this many random training crops (computed once) instead of the paired batch\'s')
    p.add_argument('--conn-statistic', choices=['mean', 'resistance', 'quantile'], default='mean', help='connectivity term: match the log of the batch\'s mean D_eff/D, or of its mean resistance 1/(D + 0.005), or the distribution of log(D + 0.002) by sorted quantiles (the last two need --conn-target-blocks)')
    p.add_argument('--conn-iters', type=int, default=400, help='connectivity term: conjugate-gradient iterations')
    p.add_argument('--s2-weight', type=float, help='paired single mode: weight of the pore two-point correlation term')
    p.add_argument('--surface-weight', type=float, help='paired mode: weight of the (log) interface-area term of the soft pore field')
    p.add_argument('--conn-continue', action='store_true', help='connectivity term on two chained depth blocks (the second from the first\'s generated slice, as the Reconstructor continues), against 2S-S/8-1 deep target crops')
    p.add_argument('--conn-symmetric-xy', action='store_true', help='connectivity target: the same for y and x, from both axes\' fluxes of the target crops')
    p.add_argument('--augment-xy', action='store_true', help='paired mode: random swaps and flips of y/x on every training crop (media isotropic in the slice plane)')
    p.add_argument('--save-every', type=int, help='also save the EMA weights every N iterations (it<N>/) for selection')
    p.add_argument('--pf-weight', type=float, help='phase-fraction term weight (default: the config\'s)')
    p.add_argument('--pf-paired', action='store_true', help='paired mode: phase-fraction term per block against its real block (default: the training region\'s fractions)')
    p.add_argument('--pf-chain', action='store_true', help='with --conn-continue and --pf-paired: the paired fraction term over the whole chain against as deep real crops (the continued block\'s porosity drifts otherwise)')
    p.add_argument('--depth-weight', type=float, help='with --conn-continue: weight of the depth-homogeneity term (per-slice phase change rate of the chain against the real crops\' mean)')
    p.add_argument('--pf-sharp', type=float, help='phase-fraction term on probabilities sharpened with this temperature (e.g. 0.05: what argmax gives)')
    p.add_argument('--threads', type=int, help='CPU threads for torch (default: torch\'s)')
    p.add_argument('--seed', type=int, default=1)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    Trainer(a).run()


if __name__ == '__main__':
    main()
