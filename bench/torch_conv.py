#!/usr/bin/env python3
"""PyTorch CPU side of bench/conv.mjs: a small server that times convolutions on request.

Reads one JSON request per line on stdin and answers one JSON line on stdout:
  {"kind": "forward" | "backward_data" | "backward_weight", "N": 1, "Cin": 64, "Cout": 64, "groups": 1,
   "in": [32, 32, 32], "k": [3, 3, 3], "stride": [...], "pad": [...], "dil": [...], "warmup": 2, "reps": 7}
  -> {"ms": [t1, t2, ...]}   (wall-clock milliseconds of each timed run)
The first line it prints is {"ready": true, "torch": version, "threads": n, "mkldnn": bool}.
Usage: python3 bench/torch_conv.py THREADS
"""
import json
import sys
import time

try:
    import torch
except Exception as e:  # reported by the caller
    print(json.dumps({"ready": False, "error": f"cannot import torch: {e}"}), flush=True)
    sys.exit(0)


def conv_fn(nd):
    return {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d, 3: torch.nn.functional.conv3d}[nd]


def make(req):
    nd = len(req["in"])
    g = torch.Generator().manual_seed(0)
    x = torch.rand([req["N"], req["Cin"], *req["in"]], generator=g) - 0.5
    w = torch.rand([req["Cout"], req["Cin"] // req["groups"], *req["k"]], generator=g) - 0.5
    conv = conv_fn(nd)
    args = dict(stride=req["stride"], padding=req["pad"], dilation=req["dil"], groups=req["groups"])
    with torch.no_grad():
        y = conv(x, w, **args)
    dy = torch.rand(y.shape, generator=g) - 0.5
    kind = req["kind"]
    if kind == "forward":
        def run():
            with torch.no_grad():
                return conv(x, w, **args)
    else:
        mask = [True, False, False] if kind == "backward_data" else [False, True, False]

        def run():
            return torch.ops.aten.convolution_backward(
                dy, x, w, None, req["stride"], req["pad"], req["dil"], False, [0] * nd, req["groups"], mask)
    return run


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else torch.get_num_threads()
    torch.set_num_threads(threads)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "mkldnn": bool(torch.backends.mkldnn.is_available())}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            run = make(req)
            for _ in range(req.get("warmup", 2)):
                run()
            ms = []
            for _ in range(req.get("reps", 7)):
                t0 = time.perf_counter()
                run()
                ms.append((time.perf_counter() - t0) * 1e3)
            print(json.dumps({"ms": ms}), flush=True)
        except Exception as e:  # keep serving; the caller prints the reason
            print(json.dumps({"error": repr(e)}), flush=True)


if __name__ == "__main__":
    main()
