// Nearest and (tri)linear resampling of x [N, C, D, H, W] with PyTorch's source-index arithmetic (float, as
// its CPU kernels: nearest src = min(floor(dst * (in/out)), in - 1), exact for out == in and out == 2 in;
// linear with align_corners or half-pixel centres clamped at 0; an axis with in == out is copied, so bilinear
// is D = 1 and size-1 axes never interpolate). The backward pass is race-free without atomics: each task owns
// one (n, c, id) slab of dx and gathers the dy planes that read it (transposed D and W lists of (output index,
// weight) pairs), adding each W-reduced dy row into the dx rows its oh reads. The order is fixed by the
// params, not by the threads.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <vector>

#include "../core/params.h"
#include "../core/parallel.h"
#include "kernels.h"

namespace mr::cpu {
namespace {

// One axis: output o reads inputs i0[o], i1[o] with weights l0[o], l1[o] (nearest: l0 = 1, l1 = 0, i1 = i0).
struct Axis {
  std::vector<int32_t> i0, i1;
  std::vector<float> l0, l1;
  // Transposed lists for the backward gather: input j is read by out[k] with weight w[k], ptr[j] <= k < ptr[j+1].
  std::vector<int32_t> ptr, out;
  std::vector<float> w;
};

void build_axis(int32_t in, int32_t out, bool linear, bool align, bool transpose, Axis& ax) {
  ax.i0.resize(out), ax.i1.resize(out), ax.l0.resize(out), ax.l1.resize(out);
  const float scale = linear && align ? (out > 1 ? float(in - 1) / float(out - 1) : 0.0f) : float(in) / float(out);
  for (int32_t o = 0; o < out; ++o) {
    int32_t i0 = o;
    float l1 = 0.0f;
    if (in == out) {
    } else if (!linear) {
      i0 = out == 2 * in ? o >> 1 : std::min(static_cast<int32_t>(std::floor(float(o) * scale)), in - 1);
    } else {
      float real = align ? scale * float(o) : scale * (float(o) + 0.5f) - 0.5f;
      if (!align && real < 0.0f) real = 0.0f;
      i0 = std::min(static_cast<int32_t>(std::floor(real)), in - 1);
      l1 = std::min(std::max(real - float(i0), 0.0f), 1.0f);
    }
    ax.i0[o] = i0;
    ax.i1[o] = linear && i0 < in - 1 ? i0 + 1 : i0;
    ax.l0[o] = 1.0f - l1;
    ax.l1[o] = l1;
  }
  if (!transpose) return;
  ax.ptr.assign(in + 1, 0);
  for (int32_t o = 0; o < out; ++o) {
    ++ax.ptr[ax.i0[o] + 1];
    if (linear) ++ax.ptr[ax.i1[o] + 1];
  }
  for (int32_t j = 0; j < in; ++j) ax.ptr[j + 1] += ax.ptr[j];
  ax.out.resize(ax.ptr[in]), ax.w.resize(ax.ptr[in]);
  std::vector<int32_t> fill(ax.ptr.begin(), ax.ptr.end() - 1);
  for (int32_t o = 0; o < out; ++o) {  // in increasing o for every input: a fixed summation order
    ax.out[fill[ax.i0[o]]] = o, ax.w[fill[ax.i0[o]]++] = ax.l0[o];
    if (linear) ax.out[fill[ax.i1[o]]] = o, ax.w[fill[ax.i1[o]]++] = ax.l1[o];
  }
}

Status check(const KernelArgs& a, const UpsampleParams& p, bool backward) {
  const int32_t dims[] = {p.N, p.C, p.inD, p.inH, p.inW, p.outD, p.outH, p.outW};
  for (int32_t d : dims)
    if (d < 1) return InvalidArgument("upsample: every size must be positive (N, C, in and out D, H, W)");
  if (p.mode != 0 && p.mode != 1) return InvalidArgument("upsample: unknown mode " + std::to_string(p.mode));
  if (p.alignCorners != 0 && p.alignCorners != 1) return InvalidArgument("upsample: alignCorners must be 0 or 1");
  int64_t xs = 1, ys = 1;  // products kept below 2^62
  const int64_t big = int64_t(1) << 62;
  for (int32_t d : {p.N, p.C, p.inD, p.inH, p.inW}) {
    if (xs > big / d) return InvalidArgument("upsample: x is too large");
    xs *= d;
  }
  for (int32_t d : {p.N, p.C, p.outD, p.outH, p.outW}) {
    if (ys > big / d) return InvalidArgument("upsample: y is too large");
    ys *= d;
  }
  if (!backward) {
    MR_RETURN_IF_ERROR(expect_size("upsample: x", a.in_size[0], xs));
    return expect_size("upsample: y", a.out_size[0], ys);
  }
  MR_RETURN_IF_ERROR(expect_size("upsample_backward: dy", a.in_size[0], ys));
  return expect_size("upsample_backward: dx", a.out_size[0], xs);
}

}  // namespace

Status upsample_forward(const KernelArgs& a) {
  const auto& p = params_of<UpsampleParams>(a);
  MR_RETURN_IF_ERROR(check(a, p, false));
  const bool linear = p.mode == 1, align = p.alignCorners == 1;
  Axis ad, ah, aw;
  build_axis(p.inD, p.outD, linear, align, false, ad);
  build_axis(p.inH, p.outH, linear, align, false, ah);
  build_axis(p.inW, p.outW, linear, align, false, aw);
  const int64_t in_hw = int64_t(p.inH) * p.inW, in_plane = p.inD * in_hw;
  const int64_t out_hw = int64_t(p.outH) * p.outW, out_plane = p.outD * out_hw;
  const float* x = a.in[0];
  float* y = a.out[0];
  const int32_t* wi0 = aw.i0.data();
  const int32_t* wi1 = aw.i1.data();
  const float* wl0 = aw.l0.data();
  const float* wl1 = aw.l1.data();
  const int64_t rows = int64_t(p.N) * p.C * p.outD;
  parallel_for(rows, std::max<int64_t>(1, 32768 / out_hw), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t nc = r / p.outD, od = r % p.outD;
      const float* xp = x + nc * in_plane;
      float* yp = y + nc * out_plane + od * out_hw;
      for (int32_t oh = 0; oh < p.outH; ++oh) {
        float* yr = yp + int64_t(oh) * p.outW;
        if (!linear) {
          const float* xr = xp + ad.i0[od] * in_hw + int64_t(ah.i0[oh]) * p.inW;
          for (int32_t ow = 0; ow < p.outW; ++ow) yr[ow] = xr[wi0[ow]];
          continue;
        }
        const float *d0 = xp + ad.i0[od] * in_hw, *d1 = xp + ad.i1[od] * in_hw;
        const int64_t h0 = int64_t(ah.i0[oh]) * p.inW, h1 = int64_t(ah.i1[oh]) * p.inW;
        const float *r00 = d0 + h0, *r01 = d0 + h1, *r10 = d1 + h0, *r11 = d1 + h1;
        const float t0 = ad.l0[od], t1 = ad.l1[od], u0 = ah.l0[oh], u1 = ah.l1[oh];
        for (int32_t ow = 0; ow < p.outW; ++ow) {
          const int32_t j0 = wi0[ow], j1 = wi1[ow];
          const float v0 = wl0[ow], v1 = wl1[ow];
          yr[ow] = t0 * (u0 * (v0 * r00[j0] + v1 * r00[j1]) + u1 * (v0 * r01[j0] + v1 * r01[j1])) +
                   t1 * (u0 * (v0 * r10[j0] + v1 * r10[j1]) + u1 * (v0 * r11[j0] + v1 * r11[j1]));
        }
      }
    }
  });
  return Status::Ok();
}

Status upsample_backward(const KernelArgs& a) {
  const auto& p = params_of<UpsampleParams>(a);
  MR_RETURN_IF_ERROR(check(a, p, true));
  const bool linear = p.mode == 1, align = p.alignCorners == 1;
  Axis ad, ah, aw;
  build_axis(p.inD, p.outD, linear, align, true, ad);
  build_axis(p.inH, p.outH, linear, align, false, ah);  // H is scattered into the owned slab
  build_axis(p.inW, p.outW, linear, align, true, aw);
  const int64_t in_hw = int64_t(p.inH) * p.inW, in_plane = p.inD * in_hw;
  const int64_t out_hw = int64_t(p.outH) * p.outW, out_plane = p.outD * out_hw;
  const float* dy = a.in[0];
  float* dx = a.out[0];
  // One (n, c, id) slab of dx per task, owned by it. For every dy row (od, oh) read by the slab: the row is
  // reduced along W by the transposed W lists (a gather), then added into the one or two dx rows that oh reads.
  const int64_t slabs = int64_t(p.N) * p.C * p.inD;
  const int threads = std::max(1, num_threads());
  std::vector<float> scratch(size_t(threads) * size_t(p.inW));
  std::atomic<int64_t> next{0};
  parallel_run([&](int tid, int) {
    if (tid >= threads) return;  // the pool grew after `threads` was read: the others take the slabs
    float* rw = scratch.data() + int64_t(tid) * p.inW;
    for (int64_t s; (s = next.fetch_add(1)) < slabs;) {
      const int64_t nc = s / p.inD, id = s % p.inD;
      const float* gp = dy + nc * out_plane;
      float* dp = dx + nc * in_plane + id * in_hw;
      std::fill(dp, dp + in_hw, 0.0f);
      for (int32_t kd = ad.ptr[id]; kd < ad.ptr[id + 1]; ++kd) {
        const float* gd = gp + ad.out[kd] * out_hw;
        const float wd = ad.w[kd];
        for (int32_t oh = 0; oh < p.outH; ++oh) {
          const float* gr = gd + int64_t(oh) * p.outW;
          for (int32_t iw = 0; iw < p.inW; ++iw) {
            float acc = 0.0f;
            for (int32_t kw = aw.ptr[iw]; kw < aw.ptr[iw + 1]; ++kw) acc += aw.w[kw] * gr[aw.out[kw]];
            rw[iw] = acc;
          }
          const float w0 = wd * ah.l0[oh];
          float* d0 = dp + int64_t(ah.i0[oh]) * p.inW;
          for (int32_t iw = 0; iw < p.inW; ++iw) d0[iw] += w0 * rw[iw];
          if (linear) {
            const float w1 = wd * ah.l1[oh];
            float* d1 = dp + int64_t(ah.i1[oh]) * p.inW;
            for (int32_t iw = 0; iw < p.inW; ++iw) d1[iw] += w1 * rw[iw];
          }
        }
      }
    }
  });
  return Status::Ok();
}

}  // namespace mr::cpu
