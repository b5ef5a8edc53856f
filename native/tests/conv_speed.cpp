// Quick C++-level timing of the conv kernels on the bench workloads (bench/conv.mjs is the real benchmark,
// side by side with PyTorch and onnxruntime). Usage: conv_speed [reps] [filter]
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/kernel.h"
#include "core/parallel.h"
#include "core/params.h"

namespace {

// Process CPU time: on a shared, loaded machine wall time says little; CPU seconds x threads estimates it.
double cpu_now() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

struct Work {
  const char* name;
  const char* kernel;
  int N, Cin, Cout, G, D, H, W, kD, kH, kW, s, p;
};

double run(const Work& w, int reps) {
  mr::ConvParams p{};
  p.N = w.N, p.Cin = w.Cin, p.Cout = w.Cout, p.groups = w.G;
  p.inD = w.D, p.inH = w.H, p.inW = w.W;
  p.kD = w.kD, p.kH = w.kH, p.kW = w.kW;
  p.strideD = w.D > 1 ? w.s : 1, p.strideH = w.s, p.strideW = w.s;
  p.padD = w.kD > 1 ? w.p : 0, p.padH = w.p, p.padW = w.p;
  p.dilD = p.dilH = p.dilW = 1;
  p.outD = (p.inD + 2 * p.padD - p.kD) / p.strideD + 1;
  p.outH = (p.inH + 2 * p.padH - p.kH) / p.strideH + 1;
  p.outW = (p.inW + 2 * p.padW - p.kW) / p.strideW + 1;
  const int64_t xs = int64_t(p.N) * p.Cin * p.inD * p.inH * p.inW;
  const int64_t ys = int64_t(p.N) * p.Cout * p.outD * p.outH * p.outW;
  const int64_t ws = int64_t(p.Cout) * (p.Cin / p.groups) * p.kD * p.kH * p.kW;
  std::vector<float> x(xs), y(ys), wt(ws);
  for (int64_t i = 0; i < xs; ++i) x[i] = float((i * 7919) % 1000) / 1000.f - 0.5f;
  for (int64_t i = 0; i < ys; ++i) y[i] = float((i * 104729) % 1000) / 1000.f - 0.5f;
  for (int64_t i = 0; i < ws; ++i) wt[i] = float((i * 31) % 1000) / 1000.f - 0.5f;
  const std::string k = w.kernel;
  const float* in[2];
  int64_t is[2], os[1];
  float* out[1];
  if (k == "conv_forward") in[0] = x.data(), is[0] = xs, in[1] = wt.data(), is[1] = ws, out[0] = y.data(), os[0] = ys;
  else if (k == "conv_backward_data") in[0] = y.data(), is[0] = ys, in[1] = wt.data(), is[1] = ws, out[0] = x.data(), os[0] = xs;
  else in[0] = x.data(), is[0] = xs, in[1] = y.data(), is[1] = ys, out[0] = wt.data(), os[0] = ws;
  mr::KernelArgs a{in, is, 2, out, os, 1, &p, sizeof(p)};
  std::vector<double> t, c;
  for (int r = 0; r < reps + 2; ++r) {
    const double c0 = cpu_now();
    auto t0 = std::chrono::steady_clock::now();
    mr::Status st = mr::run_kernel(k, a);
    auto t1 = std::chrono::steady_clock::now();
    if (r >= 2) c.push_back(cpu_now() - c0);
    if (!st.ok()) {
      std::printf("%s: %s\n", w.name, st.message.c_str());
      return 0;
    }
    if (r >= 2) t.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(t.begin(), t.end());
  std::sort(c.begin(), c.end());
  const double med = t[t.size() / 2], cmed = c[0];  // CPU time: the least disturbed run
  const double flops = 2.0 * ys * (p.Cin / p.groups) * p.kD * p.kH * p.kW;
  std::printf("%-28s %8.2f ms  %7.1f GFLOP/s wall  %7.1f GFLOP/cpu-s(best) x%d = %6.1f  (min %.2f ms)\n", w.name, med * 1e3,
              flops / med * 1e-9, flops / cmed * 1e-9, mr::num_threads(), flops / cmed * 1e-9 * mr::num_threads(),
              t[0] * 1e3);
  return flops / med * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 7;
  const char* filter = argc > 2 ? argv[2] : "";
  std::printf("isa %s, %d threads\n", mr::isa_name(mr::active_isa()), mr::num_threads());
  const Work works[] = {
      {"W1 fwd 64ch 32^3 k3", "conv_forward", 1, 64, 64, 1, 32, 32, 32, 3, 3, 3, 1, 1},
      {"W2 fwd 16ch 64^3 k3", "conv_forward", 1, 16, 16, 1, 64, 64, 64, 3, 3, 3, 1, 1},
      {"W3 fwd 64ch 128^2 k3", "conv_forward", 1, 64, 64, 1, 1, 128, 128, 1, 3, 3, 1, 1},
      {"W1 bwd data", "conv_backward_data", 1, 64, 64, 1, 32, 32, 32, 3, 3, 3, 1, 1},
      {"W1 bwd weight", "conv_backward_weight", 1, 64, 64, 1, 32, 32, 32, 3, 3, 3, 1, 1},
      {"down k4s2p1 32->64 32^3", "conv_forward", 1, 32, 64, 1, 32, 32, 32, 4, 4, 4, 2, 1},
      {"down k2s2 64->128 32^3", "conv_forward", 1, 64, 128, 1, 32, 32, 32, 2, 2, 2, 2, 0},
      {"upT k2s2 128->64 16^3", "conv_backward_data", 1, 64, 128, 1, 32, 32, 32, 2, 2, 2, 2, 0},
      {"upT k4s2p1 64->32 16^3", "conv_backward_data", 1, 32, 64, 1, 32, 32, 32, 4, 4, 4, 2, 1},
      {"down k4s2p1 bwd weight", "conv_backward_weight", 1, 32, 64, 1, 32, 32, 32, 4, 4, 4, 2, 1},
      {"deep k3 256ch 8^3", "conv_forward", 1, 256, 256, 1, 8, 8, 8, 3, 3, 3, 1, 1},
      {"deep k3 256ch 8^3 bw", "conv_backward_weight", 1, 256, 256, 1, 8, 8, 8, 3, 3, 3, 1, 1},
      {"1x1 64->64 32^3", "conv_forward", 1, 64, 64, 1, 32, 32, 32, 1, 1, 1, 1, 0},
      {"depthwise 64 32^3 k3", "conv_forward", 1, 64, 64, 64, 32, 32, 32, 3, 3, 3, 1, 1},
      {"depthwise 64 32^3 k3 bd", "conv_backward_data", 1, 64, 64, 64, 32, 32, 32, 3, 3, 3, 1, 1},
      {"depthwise 64 32^3 k3 bw", "conv_backward_weight", 1, 64, 64, 64, 32, 32, 32, 3, 3, 3, 1, 1},
      {"groups 4 64ch 32^3 k3", "conv_forward", 1, 64, 64, 4, 32, 32, 32, 3, 3, 3, 1, 1},
      {"out 16->1 64^3 k3", "conv_forward", 1, 16, 1, 1, 64, 64, 64, 3, 3, 3, 1, 1},
      {"out 16->1 64^3 k3 bd", "conv_backward_data", 1, 16, 1, 1, 64, 64, 64, 3, 3, 3, 1, 1},
      {"out 16->1 64^3 k3 bw", "conv_backward_weight", 1, 16, 1, 1, 64, 64, 64, 3, 3, 3, 1, 1},
      {"in 1->16 64^3 k3", "conv_forward", 1, 1, 16, 1, 64, 64, 64, 3, 3, 3, 1, 1},
  };
  for (const Work& w : works)
    if (!*filter || std::strstr(w.name, filter)) run(w, reps);
  return 0;
}
