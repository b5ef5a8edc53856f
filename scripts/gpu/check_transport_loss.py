#!/usr/bin/env python3
"""Checks transport_loss.py (the connectivity term of train_torch.py); prints one JSON line, exits 1 on a failure.

- analytic cases: an all-pore block (D = 1), layers in series (harmonic mean), strips in parallel (arithmetic mean);
- the flux on a real-like random binary 10^3 block against a direct sparse solve (scipy) of the same finite volumes;
- the envelope gradient against central finite differences on a random conductivity field, every axis;
- optional: --sdk FILE compares with the SDK's tortuosity() D_eff/D on a block (a JSON written by the vitest test);
- correlation_loss.py (train_torch.py --s2-weight): zero for a field against itself, its autograd gradient against
  finite differences, and (with --sdk) the S2 it counts against the SDK trainer's twoPoint() on the same block;
  soft_surface (--surface-weight) of the labels against the SDK's face-count surface;
- depth_change / depth_change_loss (--depth-weight): the changed-voxel count per slice of labels, the loss against
  numpy, and its gradient against finite differences;
- quantile_loss (--conn-statistic quantile): against numpy's 'hazen' quantiles, zero for a batch against itself,
  and its gradient against finite differences.
Tolerances: 1e-9 (analytic, direct; float64, CG to 1e-13), 1e-6 relative (gradients).
"""
import argparse
import json
import os
import sys

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from correlation_loss import correlation_loss, depth_change, depth_change_loss, s2_axis, soft_surface  # noqa: E402
from transport_loss import quantile_loss, relative_diffusivity  # noqa: E402

torch.set_default_dtype(torch.float64)
TOL, GRAD_TOL, IT = 1e-9, 1e-6, (4000, 1e-13)


def direct(c):
    """D_eff / D along axis 0 of c [L, H, W] by a sparse direct solve (independent assembly)."""
    L, H, W = c.shape
    n = c.size
    idx = np.arange(n).reshape(c.shape)
    rows, cols, vals, diag, rhs = [], [], [], np.zeros(n), np.zeros(n)
    for ax in range(3):
        a = [slice(None)] * 3
        b = [slice(None)] * 3
        a[ax], b[ax] = slice(0, -1), slice(1, None)
        ca, cb = c[tuple(a)], c[tuple(b)]
        g = (2 * ca * cb / (ca + cb)).ravel()
        i, j = idx[tuple(a)].ravel(), idx[tuple(b)].ravel()
        rows += [i, j]
        cols += [j, i]
        vals += [-g, -g]
        np.add.at(diag, i, g)
        np.add.at(diag, j, g)
    g0, g1 = 2 * c[0].ravel(), 2 * c[-1].ravel()
    diag[idx[0].ravel()] += g0
    diag[idx[-1].ravel()] += g1
    rhs[idx[0].ravel()] = g0
    A = sp.csc_matrix((np.concatenate(vals + [diag]), (np.concatenate(rows + [np.arange(n)]), np.concatenate(cols + [np.arange(n)]))), shape=(n, n))
    u = spl.spsolve(A, rhs).reshape(c.shape)
    return float((c[0].ravel() * 2 * (1 - u[0].ravel())).sum() * L / (H * W))


def fd_error(f, x, samples, h=1e-6):
    """Worst relative difference between the autograd gradient of the scalar f(x) and central finite differences at
    `samples` random coordinates of x."""
    (g,) = torch.autograd.grad(f(x), x)
    worst = 0.0
    for _ in range(samples):
        i = tuple(int(torch.randint(n, ())) for n in x.shape)
        xp, xm = x.detach().clone(), x.detach().clone()
        xp[i] += h
        xm[i] -= h
        fd = (f(xp) - f(xm)).item() / (2 * h)
        worst = max(worst, abs(fd - g[i].item()) / max(abs(fd), 1e-12))
    return worst


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--sdk', help='JSON {shape, data (0/1 list, pore = 0), eps, diffusivity: [z, y, x], s2: [z, y, x] lags 0..L, surface} from the SDK')
    a = p.parse_args()
    res, ok = {}, True
    D = lambda c, ax: relative_diffusivity(torch.as_tensor(c)[None], ax, *IT).item()
    c = np.ones((8, 5, 5))
    res['uniform'] = abs(D(c, 1) - 1)
    c[3] = 0.1
    res['series'] = abs(D(c, 1) - 8 / (7 + 1 / 0.1))
    c = np.full((8, 4, 4), 0.02)
    c[:, :2] = 1
    res['parallel'] = abs(D(c, 1) - (8 + 8 * 0.02) / 16)
    rng = np.random.RandomState(3)
    c = 1e-3 + (1 - 1e-3) * (rng.rand(10, 10, 10) < 0.45)
    res['direct'] = max(abs(D(c, ax) - direct(np.moveaxis(c, ax - 1, 0))) / direct(np.moveaxis(c, ax - 1, 0)) for ax in (1, 2, 3))
    ok &= all(res[k] < TOL for k in ('uniform', 'series', 'parallel', 'direct'))
    torch.manual_seed(0)
    c = (0.05 + torch.rand(2, 6, 5, 4)).requires_grad_(True)
    res['gradient'] = max(fd_error(lambda x: relative_diffusivity(x, ax, *IT).sum(), c, 6) for ax in (1, 2, 3))
    ok &= res['gradient'] < GRAD_TOL
    # correlation term: soft random fields (float64), a few coordinates by central differences
    g0 = (0.1 + 0.8 * torch.rand(2, 7, 6, 5)).requires_grad_(True)
    r0 = (torch.rand(2, 7, 6, 5) < 0.3).double()
    res['s2Self'] = correlation_loss(r0, r0, lags=4).item()
    res['s2Gradient'] = fd_error(lambda x: correlation_loss(x, r0, lags=4), g0, 8)
    ok &= res['s2Self'] < TOL and res['s2Gradient'] < GRAD_TOL
    # depth term (--depth-weight): on 0/1 labels the count of changed voxels per slice; the loss against numpy;
    # its gradient at the sharpening the trainer uses (0.05), on probabilities near 1/2 (sharpened, the others carry
    # gradients below float64's finite-difference resolution)
    h0 = (0.45 + 0.1 * torch.rand(2, 7, 6, 5)).requires_grad_(True)
    want_c = (r0[:, 1:] != r0[:, :-1]).double().mean(dim=(0, 2, 3)).numpy()
    res['depthCount'] = float(np.abs(depth_change(r0).numpy() - want_c).max())
    cg = depth_change(g0.detach()).numpy()
    want_l = np.mean((np.log(cg + 0.01) - np.log(want_c.mean() + 0.01)) ** 2)
    res['depthLoss'] = abs(depth_change_loss(g0.detach(), r0).item() - want_l)
    res['depthGradient'] = fd_error(lambda x: depth_change_loss(x, r0), h0, 8)
    ok &= res['depthCount'] < TOL and res['depthLoss'] < TOL and res['depthGradient'] < GRAD_TOL
    # quantile term: distinct random D values (sorting has no ties, so the gradient exists everywhere near them)
    d0 = (0.01 + 0.1 * torch.rand(5, dtype=torch.float64)).requires_grad_(True)
    ref = torch.sort(0.2 * torch.rand(13, dtype=torch.float64)).values
    q = np.quantile(ref.numpy(), (np.arange(5) + 0.5) / 5, method='hazen')
    want = np.mean((np.log(np.sort(d0.detach().numpy()) + 0.002) - np.log(q + 0.002)) ** 2)
    res['quantileNumpy'] = abs(quantile_loss(d0, ref).item() - want)
    res['quantileSelf'] = quantile_loss(d0, torch.sort(d0.detach()).values).item()
    res['quantileGradient'] = fd_error(lambda x: quantile_loss(x, ref), d0, 5)
    ok &= res['quantileNumpy'] < TOL and res['quantileSelf'] < TOL and res['quantileGradient'] < GRAD_TOL
    if a.sdk:
        s = json.load(open(a.sdk))
        lab = np.array(s['data'], dtype=np.uint8).reshape(s['shape'])
        c = s['eps'] + (1 - s['eps']) * (lab == 0)
        got = [D(c, ax) for ax in (1, 2, 3)]
        res['sdk'] = max(abs(g - w) / w for g, w in zip(got, s['diffusivity']))
        res['sdkValues'] = {'loss': got, 'sdk': s['diffusivity']}
        ok &= res['sdk'] < s.get('tol', 0.02)
        ind = torch.as_tensor((lab == 0).astype(np.float64))[None]
        if 's2' in s:
            res['s2Sdk'] = max(abs(v - w) for d in (1, 2, 3) for v, w in zip(s2_axis(ind, d, len(s['s2'][d - 1]) - 1).tolist(), s['s2'][d - 1]))
            ok &= res['s2Sdk'] < TOL
        if 'surface' in s:
            res['surfaceSdk'] = abs(soft_surface(ind).item() - s['surface'])
            ok &= res['surfaceSdk'] < TOL
    res['pass'] = bool(ok)
    print(json.dumps(res))
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
