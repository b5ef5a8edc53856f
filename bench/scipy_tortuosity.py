#!/usr/bin/env python3
"""Reference tortuosity solve with scipy, for bench/transport.mjs.

Builds the same finite-volume system as native/metrics/transport_tortuosity.cpp (TauFactor convention): voxels of
`label` conduct with D = 1; concentration 1 and 0 on planes half a voxel outside the two faces normal to the axis
(boundary voxels couple with conductance 2); closed side faces; face conductance 1 between conducting voxels;
clusters not 6-connected to both faces removed (scipy.ndimage.label). Solves it with scipy.sparse.linalg.cg and a
Jacobi preconditioner to ||b - A x|| / ||b|| <= tol, and prints JSON.

usage: scipy_tortuosity.py RAW NZ NY NX LABEL AXIS [TOL]   (RAW: uint8 labels, C order [z, y, x]; AXIS: 0 = z,
1 = y, 2 = x)
"""
import json
import resource
import sys
import time

import numpy as np
import scipy
import scipy.ndimage as ndi
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def main():
    path, nz, ny, nx, label, axis = sys.argv[1], *map(int, sys.argv[2:7])
    tol = float(sys.argv[7]) if len(sys.argv) > 7 else 1e-6
    t0 = time.perf_counter()
    vol = np.fromfile(path, dtype=np.uint8).reshape(nz, ny, nx)
    mask = np.moveaxis(vol == label, axis, 0)
    phase_voxels = int(mask.sum())
    lab, _ = ndi.label(mask)  # 6-connectivity
    both = np.intersect1d(np.unique(lab[0]), np.unique(lab[-1]))
    both = both[both > 0]
    mask = np.isin(lab, both)
    del lab
    n0, n1, n2 = mask.shape
    n = int(mask.sum())
    out = {"phaseVoxels": phase_voxels, "connectedVoxels": n, "scipy": scipy.__version__}
    if n == 0:
        out.update(relativeDiffusivity=0.0, percolates=False)
        print(json.dumps(out))
        return
    idx = np.full(mask.shape, -1, dtype=np.int64)
    idx[mask] = np.arange(n)
    rows, cols = [], []
    deg = np.zeros(n)
    for d in range(3):
        a = np.take(idx, range(0, mask.shape[d] - 1), axis=d).ravel()
        b = np.take(idx, range(1, mask.shape[d]), axis=d).ravel()
        keep = (a >= 0) & (b >= 0)
        a, b = a[keep], b[keep]
        rows += [a, b]
        cols += [b, a]
        np.add.at(deg, a, 1)
        np.add.at(deg, b, 1)
    inlet = idx[0][idx[0] >= 0]
    outlet = idx[-1][idx[-1] >= 0]
    deg[inlet] += 2
    deg[outlet] += 2
    rows = np.concatenate(rows + [np.arange(n)])
    cols = np.concatenate(cols + [np.arange(n)])
    vals = np.concatenate([-np.ones(len(rows) - n), deg])
    A = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    del rows, cols, vals
    bvec = np.zeros(n)
    bvec[inlet] = 2.0
    M = sp.diags(1.0 / deg)
    t1 = time.perf_counter()
    iterations = [0]

    def count(_xk):
        iterations[0] += 1

    try:
        x, info = spla.cg(A, bvec, rtol=tol, atol=0.0, M=M, maxiter=100000, callback=count)
    except TypeError:  # scipy < 1.12 calls it `tol`
        x, info = spla.cg(A, bvec, tol=tol, atol=0.0, M=M, maxiter=100000, callback=count)
    t2 = time.perf_counter()
    r = bvec - A @ x
    area = n1 * n2
    f_in = float(np.sum(2.0 * (1.0 - x[inlet])))
    f_out = float(np.sum(2.0 * x[outlet]))
    f_energy = f_in - float(x @ r)
    out.update(
        percolates=True,
        # the plain flux (mean of inlet and outlet) and the dissipation form used by microrecon
        relativeDiffusivityFlux=0.5 * (f_in + f_out) * n0 / area,
        relativeDiffusivity=f_energy * n0 / area,
        iterations=iterations[0],
        info=int(info),
        residual=float(np.linalg.norm(r) / np.linalg.norm(bvec)),
        buildSeconds=t1 - t0,
        solveSeconds=t2 - t1,
        seconds=t2 - t0,
        peakRssMB=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
