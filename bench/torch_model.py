#!/usr/bin/env python3
"""PyTorch CPU side of bench/model.mjs: times the generator and one paired training iteration on request, float32,
on the SAME weights, inputs and noise as microrecon (the networks are test/model/reference/generator.py's).

Reads one JSON request per line on stdin, answers one JSON line on stdout:
  {"op": "forward", "model": dir, "inputs": file, "out": file|null, "warmup": 1, "reps": 3}
      inputs: safetensors with slices [N,kP,H,W], baseline (sections mode), noise.map, noise.volume.
      -> {"ms": [...], "cpu": [...]} (wall and process CPU milliseconds per run); with "out", the probabilities of the first run are written there (raw little-endian f32).
  {"op": "train", "key": name, "model": dir, "critic": file, "inputs": file, "check": bool, "warmup": 1, "reps": 3}
      inputs: slices, baseline, real [2,P,S,S,S], noise.map, noise.volume (the noise of microrecon's noiseSeed),
      eps [2] (the gradient-penalty mixing weights microrecon's rng draws). One iteration = one critic step (fakes
      without grad, WGAN-GP by double backward, Adam with the config's gradClip) + one generator step (adv + L1,
      Adam, clip, EMA), as src/model/steps.ts. State (weights, Adam moments) persists per key across requests.
      -> {"ms": [[critic, generator], ...], "cpu": [...], "losses": {...} of the first iteration when "check"}
The first line printed is {"ready": true, "torch": version, "threads": n}.
Usage: /usr/bin/python3 bench/torch_model.py THREADS
"""
import json
import os
import sys
import time

try:
    import numpy as np
    import torch
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'model', 'reference'))
    import generator as ref  # sets float64 as default; set back below
except Exception as e:  # reported by the caller
    print(json.dumps({"ready": False, "error": f"cannot import torch / the reference: {e!r}"}), flush=True)
    sys.exit(0)

torch.set_default_dtype(torch.float32)
_models, _inputs, _train = {}, {}, {}


def model(d):
    if d not in _models:
        cfg = json.load(open(os.path.join(d, 'config.json')))
        w = ref.read_safetensors(os.path.join(d, 'model.safetensors'))
        shapes = ref.generator_shapes(cfg)
        assert set(w) == set(shapes), f'{d}: parameter names differ from the reference'
        _models[d] = (cfg, {n: torch.tensor(a.copy()) for n, a in w.items()})
    return _models[d]


def inputs(f):
    if f not in _inputs:
        _inputs[f] = {n: torch.tensor(a.copy()) for n, a in ref.read_safetensors(f).items()}
    return _inputs[f]


def timed(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    ms, cpu = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return ms, cpu


def forward(req):
    cfg, p = model(req['model'])
    x = inputs(req['inputs'])
    G = ref.Net(cfg, p)
    args = (x['slices'], x.get('baseline'), x.get('noise.map'), x.get('noise.volume'))

    def run():
        with torch.no_grad():
            return G.generator(*args)[1]
    if req.get('out'):
        run().numpy().astype('<f4').tofile(req['out'])
    ms, cpu = timed(run, req.get('warmup', 1), req.get('reps', 3))
    return {"ms": ms, "cpu": cpu}


def train_state(req):
    key = req['key']
    if key not in _train:
        cfg, p0 = model(req['model'])
        o = cfg['optim']
        gp_ = {n: a.clone().requires_grad_(True) for n, a in p0.items()}
        cp_ = {n: torch.tensor(a.copy(), requires_grad=True) for n, a in ref.read_safetensors(req['critic']).items()}
        assert set(cp_) == set(ref.critic_shapes(cfg, 3)), 'critic parameter names differ from the reference'
        _train[key] = dict(
            cfg=cfg, G=ref.Net(cfg, gp_), D=ref.Net(cfg, cp_), gp=gp_, cp=cp_,
            optG=torch.optim.Adam(list(gp_.values()), lr=o['lrG'], betas=tuple(o['betas']), eps=o['eps']),
            optD=torch.optim.Adam(list(cp_.values()), lr=o['lrD'], betas=tuple(o['betas']), eps=o['eps']),
            ema={n: a.detach().clone() for n, a in gp_.items()})
    return _train[key]


def iteration(st, x):
    cfg = st['cfg']
    lc, o = cfg['loss'], cfg['optim']
    G, D = st['G'], st['D']
    gargs = (x['slices'], x.get('baseline'), x.get('noise.map'), x.get('noise.volume'))
    real = x['real']
    N = real.shape[0]
    t0 = time.perf_counter()
    with torch.no_grad():
        fake = G.generator(*gargs)[1]
    e = x['eps'].view(N, 1, 1, 1, 1)
    d_real = D.critic(real)
    d_fake = D.critic(fake)
    xhat = (fake + e * (real - fake)).requires_grad_(True)
    (gx,) = torch.autograd.grad(D.critic(xhat).sum(), xhat, create_graph=True)
    gp = ((torch.sqrt((gx.reshape(N, -1) ** 2).sum(1) + 1e-12) - 1) ** 2).mean()
    wd = d_real.mean() - d_fake.mean()
    loss_d = -wd + lc['gpLambda'] * gp + lc['drift'] * (d_real ** 2).mean()
    st['optD'].zero_grad()
    loss_d.backward()
    if o.get('gradClip'):
        torch.nn.utils.clip_grad_norm_(list(st['cp'].values()), o['gradClip'])
    st['optD'].step()
    t1 = time.perf_counter()
    probs = G.generator(*gargs)[1]
    adv = -D.critic(probs).mean()
    l1 = (probs - real).abs().mean()
    loss_g = lc['advWeight'] * adv + lc['l1Weight'] * l1
    # gradients w.r.t. G only, as microrecon's backward(loss, gen.parameters()): no critic weight gradients
    names = list(st['gp'])
    for n, g in zip(names, torch.autograd.grad(loss_g, [st['gp'][n] for n in names])):
        st['gp'][n].grad = g
    if o.get('gradClip'):
        torch.nn.utils.clip_grad_norm_(list(st['gp'].values()), o['gradClip'])
    st['optG'].step()
    with torch.no_grad():
        for n, a in st['gp'].items():
            st['ema'][n].mul_(o['emaDecay']).add_(a, alpha=1 - o['emaDecay'])
    t2 = time.perf_counter()
    losses = {'critic': loss_d.item(), 'gp': gp.item(), 'wasserstein': wd.item(), 'generator': loss_g.item(),
              'adv': adv.item(), 'l1': l1.item()}
    return (t1 - t0) * 1e3, (t2 - t1) * 1e3, losses


def train(req):
    st = train_state(req)
    x = inputs(req['inputs'])
    first = None
    if req.get('check'):
        first = iteration(st, x)[2]
    for _ in range(req.get('warmup', 1)):
        iteration(st, x)
    ms, cpu = [], []
    for _ in range(req.get('reps', 3)):
        c0 = time.process_time()
        c, g, _l = iteration(st, x)
        cpu.append((time.process_time() - c0) * 1e3)
        ms.append([c, g])
    return {"ms": ms, "cpu": cpu, **({"losses": first} if first else {})}


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else torch.get_num_threads()
    torch.set_num_threads(threads)
    # microrecon's thread pool runs with flush-to-zero / denormals-are-zero (native/core/parallel.cpp): same here
    torch.set_flush_denormal(True)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            out = {'forward': forward, 'train': train}[req['op']](req)
            print(json.dumps(out), flush=True)
        except Exception as e:  # keep serving; the caller prints the reason
            print(json.dumps({"error": repr(e)}), flush=True)


if __name__ == '__main__':
    main()
