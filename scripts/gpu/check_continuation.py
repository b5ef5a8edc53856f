#!/usr/bin/env python3
"""train_torch.py's depth continuation (continue_depth, behind --conn-continue) against the SDK's Reconstructor.

    python3 scripts/gpu/check_continuation.py --sdk case.json

case.json (test/model/continuation.test.ts writes it): the model dir, the input slice [H, W] (labels), the noise the
Reconstructor drew for its first two depth blocks (one tile), and the labels of its output volume. The PyTorch
reference generator (float64) runs the first block and continue_depth the second; the argmax of the chain must give
the SDK's labels on the slices the two blocks make alone (1 .. 2 S - S / 8 - 5; the third block of a 64^3 output
blends the last S / 8). Prints one JSON line: {"agreement": fraction of equal voxels, "voxels": n, "pass": bool}.
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from train_torch import continue_depth, ref  # noqa: E402  (train_torch puts the reference on the path)
import torch  # noqa: E402

# float64 here, float32 in the SDK: a voxel whose two phase probabilities are within ~1e-6 may flip, and a flip in
# the slice the second block starts from moves that block locally (builtin:berea on its bundled slice: all 221184
# voxels agree). Measured on that case: starting the second block one slice early agrees on 0.971 of the voxels,
# leaving the shared slices unblended on 0.9971.
MIN_AGREEMENT = 0.9995


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--sdk', required=True)
    c = json.load(open(p.parse_args().sdk))
    torch.set_default_dtype(torch.float64)
    cfg = json.load(open(os.path.join(c['model'], 'config.json')))
    P, S = cfg['phases'], cfg['size']
    net = ref.Net(cfg, {n: torch.tensor(v, dtype=torch.float64) for n, v in ref.read_safetensors(os.path.join(c['model'], 'model.safetensors')).items()})
    H, W = c['inputShape']
    noise = [tuple(torch.tensor(n[k], dtype=torch.float64).view(*n[f'{k}Shape']) for k in ('map', 'volume')) for n in c['noise']]

    def block(labels, nz):  # labels [1, 1, H, W] -> probs [1, P, S, H, W]
        slices = torch.stack([(labels[:, 0] == q) for q in range(P)], 1).to(torch.float64)
        with torch.no_grad():
            return net.generator(slices, None, *nz)[1]

    first = block(torch.tensor(c['input'], dtype=torch.uint8).view(1, 1, H, W), noise[0])
    chain = continue_depth(first, lambda lab: block(lab, noise[1]))
    got = chain[0].argmax(0).numpy().astype(np.uint8)
    want = np.asarray(c['labels'], dtype=np.uint8).reshape(-1, H, W)
    hi = 2 * S - S // 8 - 5  # exclusive: slices a 64^3 output's third block does not touch
    eq = got[1:hi] == want[1:hi]
    agreement = float(eq.mean())
    print(json.dumps({'agreement': agreement, 'voxels': int(eq.size), 'depth': int(chain.shape[2]), 'pass': agreement >= MIN_AGREEMENT}))
    sys.exit(0 if agreement >= MIN_AGREEMENT else 1)


if __name__ == '__main__':
    main()
