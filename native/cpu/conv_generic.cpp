// Parameter checks and the portable direct convolution (no tiles, no packing): the fallback for shapes the
// tiled engine declines and the readable statement of what every path computes. Each parallel item owns a
// disjoint part of the output, so results do not depend on the thread count.
#include <algorithm>
#include <string>
#include <vector>

#include "../core/parallel.h"
#include "conv_common.h"

namespace mr::cpu::conv {

namespace {

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Output indices o with 0 <= o * s + off < in, clipped to [0, out): returns [lo, hi).
inline void valid_range(int64_t off, int64_t s, int64_t in, int64_t out, int64_t* lo, int64_t* hi) {
  *lo = std::max<int64_t>(0, floor_div(-off + s - 1, s));
  *hi = std::min<int64_t>(out, floor_div(in - 1 - off, s) + 1);
  if (*hi < *lo) *hi = *lo;
}

}  // namespace

Status make_geom(const ConvParams& p, Geom* g) {
  const int32_t v[] = {p.N, p.Cin, p.Cout, p.groups, p.inD, p.inH, p.inW, p.outD, p.outH, p.outW,
                       p.kD, p.kH, p.kW, p.strideD, p.strideH, p.strideW, p.dilD, p.dilH, p.dilW};
  for (int32_t x : v)
    if (x < 1) return InvalidArgument("conv: sizes, kernel, stride, dilation and groups must be >= 1");
  if (p.padD < 0 || p.padH < 0 || p.padW < 0) return InvalidArgument("conv: padding must be >= 0");
  if (p.Cin % p.groups || p.Cout % p.groups)
    return InvalidArgument("conv: channels " + std::to_string(p.Cin) + " -> " + std::to_string(p.Cout) +
                           " are not divisible by groups " + std::to_string(p.groups));
  if (p.hasBias != 0 && p.hasBias != 1) return InvalidArgument("conv: hasBias must be 0 or 1");
  g->N = p.N;
  g->Cin = p.Cin;
  g->Cout = p.Cout;
  g->G = p.groups;
  g->Cig = p.Cin / p.groups;
  g->Cog = p.Cout / p.groups;
  g->a[0] = {p.inD, p.outD, p.kD, p.strideD, p.padD, p.dilD};
  g->a[1] = {p.inH, p.outH, p.kH, p.strideH, p.padH, p.dilH};
  g->a[2] = {p.inW, p.outW, p.kW, p.strideW, p.padW, p.dilW};
  g->bias = p.hasBias != 0;
  // The output sizes come from the params. They normally follow the conv formula; a transposed conv with
  // output_padding >= stride (allowed when dilation > stride) has a larger "input", so only sanity is checked:
  // every index outside [0, in) reads as zero padding in all paths.
  const int64_t limit = int64_t(1) << 40;
  if (g->x_size() > limit || g->y_size() > limit || g->w_size() > limit)
    return InvalidArgument("conv: tensors are too large");
  return Status::Ok();
}

void generic_forward(const Geom& g, const float* x, const float* w, const float* bias, float* y) {
  const Axis &D = g.a[0], &H = g.a[1], &W = g.a[2];
  const int64_t taps = g.taps(), isp = g.in_sp(), plane = H.out * W.out;
  parallel_for(g.N * g.Cout * D.out, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t it = lo; it < hi; ++it) {
      const int64_t od = it % D.out, co = (it / D.out) % g.Cout, n = it / (D.out * g.Cout);
      const int64_t grp = co / g.Cog;
      float* yp = y + it * plane;
      std::fill(yp, yp + plane, bias ? bias[co] : 0.f);
      for (int64_t ci = 0; ci < g.Cig; ++ci) {
        const float* xc = x + (n * g.Cin + grp * g.Cig + ci) * isp;
        const float* wc = w + (co * g.Cig + ci) * taps;
        for (int64_t kd = 0; kd < D.k; ++kd) {
          const int64_t id = od * D.stride - D.pad + kd * D.dil;
          if (id < 0 || id >= D.in) continue;
          for (int64_t kh = 0; kh < H.k; ++kh) {
            int64_t oh0, oh1;
            valid_range(kh * H.dil - H.pad, H.stride, H.in, H.out, &oh0, &oh1);
            for (int64_t kw = 0; kw < W.k; ++kw) {
              const float wv = wc[(kd * H.k + kh) * W.k + kw];
              const int64_t off = kw * W.dil - W.pad;
              int64_t ow0, ow1;
              valid_range(off, W.stride, W.in, W.out, &ow0, &ow1);
              for (int64_t oh = oh0; oh < oh1; ++oh) {
                const float* xr = xc + (id * H.in + oh * H.stride - H.pad + kh * H.dil) * W.in + off;
                float* yr = yp + oh * W.out;
                if (W.stride == 1) {
                  for (int64_t ow = ow0; ow < ow1; ++ow) yr[ow] += wv * xr[ow];
                } else {
                  for (int64_t ow = ow0; ow < ow1; ++ow) yr[ow] += wv * xr[ow * W.stride];
                }
              }
            }
          }
        }
      }
    }
  });
}

void generic_backward_data(const Geom& g, const float* dy, const float* w, float* dx) {
  const Axis &D = g.a[0], &H = g.a[1], &W = g.a[2];
  const int64_t taps = g.taps(), osp = g.out_sp(), plane = H.in * W.in;
  parallel_for(g.N * g.Cin * D.in, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t it = lo; it < hi; ++it) {
      const int64_t id = it % D.in, ci = (it / D.in) % g.Cin, n = it / (D.in * g.Cin);
      const int64_t grp = ci / g.Cig, cil = ci % g.Cig;
      float* xp = dx + it * plane;
      std::fill(xp, xp + plane, 0.f);
      for (int64_t j = 0; j < g.Cog; ++j) {
        const int64_t co = grp * g.Cog + j;
        const float* dyc = dy + (n * g.Cout + co) * osp;
        const float* wc = w + (co * g.Cig + cil) * taps;
        for (int64_t kd = 0; kd < D.k; ++kd) {
          const int64_t t = id + D.pad - kd * D.dil;
          if (t < 0 || t % D.stride) continue;
          const int64_t od = t / D.stride;
          if (od >= D.out) continue;
          for (int64_t kh = 0; kh < H.k; ++kh) {
            int64_t oh0, oh1;
            valid_range(kh * H.dil - H.pad, H.stride, H.in, H.out, &oh0, &oh1);
            for (int64_t kw = 0; kw < W.k; ++kw) {
              const float wv = wc[(kd * H.k + kh) * W.k + kw];
              const int64_t off = kw * W.dil - W.pad;
              int64_t ow0, ow1;
              valid_range(off, W.stride, W.in, W.out, &ow0, &ow1);
              for (int64_t oh = oh0; oh < oh1; ++oh) {
                float* xr = xp + (oh * H.stride - H.pad + kh * H.dil) * W.in + off;
                const float* dyr = dyc + (od * H.out + oh) * W.out;
                if (W.stride == 1) {
                  for (int64_t ow = ow0; ow < ow1; ++ow) xr[ow] += wv * dyr[ow];
                } else {
                  for (int64_t ow = ow0; ow < ow1; ++ow) xr[ow * W.stride] += wv * dyr[ow];
                }
              }
            }
          }
        }
      }
    }
  });
}

void generic_backward_weight(const Geom& g, const float* x, const float* dy, float* dw, float* db) {
  const Axis &D = g.a[0], &H = g.a[1], &W = g.a[2];
  const int64_t taps = g.taps(), isp = g.in_sp(), osp = g.out_sp();
  parallel_for(g.Cout * g.Cig, 1, [&](int64_t lo, int64_t hi) {
    std::vector<double> acc(taps);
    for (int64_t it = lo; it < hi; ++it) {
      const int64_t co = it / g.Cig, cil = it % g.Cig, grp = co / g.Cog;
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t n = 0; n < g.N; ++n) {
        const float* xc = x + (n * g.Cin + grp * g.Cig + cil) * isp;
        const float* dyc = dy + (n * g.Cout + co) * osp;
        for (int64_t kd = 0; kd < D.k; ++kd) {
          int64_t od0, od1;
          valid_range(kd * D.dil - D.pad, D.stride, D.in, D.out, &od0, &od1);
          for (int64_t kh = 0; kh < H.k; ++kh) {
            int64_t oh0, oh1;
            valid_range(kh * H.dil - H.pad, H.stride, H.in, H.out, &oh0, &oh1);
            for (int64_t kw = 0; kw < W.k; ++kw) {
              const int64_t off = kw * W.dil - W.pad;
              int64_t ow0, ow1;
              valid_range(off, W.stride, W.in, W.out, &ow0, &ow1);
              float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
              for (int64_t od = od0; od < od1; ++od) {
                const int64_t id = od * D.stride - D.pad + kd * D.dil;
                for (int64_t oh = oh0; oh < oh1; ++oh) {
                  const float* xr =
                      xc + (id * H.in + oh * H.stride - H.pad + kh * H.dil) * W.in + off;
                  const float* dyr = dyc + (od * H.out + oh) * W.out;
                  int64_t ow = ow0;
                  for (; ow + 8 <= ow1; ow += 8)
                    for (int l = 0; l < 8; ++l) part[l] += dyr[ow + l] * xr[(ow + l) * W.stride];
                  for (; ow < ow1; ++ow) part[0] += dyr[ow] * xr[ow * W.stride];
                }
              }
              double s = 0;
              for (float v : part) s += v;
              acc[(kd * H.k + kh) * W.k + kw] += s;
            }
          }
        }
      }
      float* dwp = dw + it * taps;
      for (int64_t t = 0; t < taps; ++t) dwp[t] = static_cast<float>(acc[t]);
    }
  });
  if (db) {
    parallel_for(g.Cout, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t co = lo; co < hi; ++co) {
        double s = 0;
        for (int64_t n = 0; n < g.N; ++n) {
          const float* p = dy + (n * g.Cout + co) * osp;
          float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
          int64_t i = 0;
          for (; i + 8 <= osp; i += 8)
            for (int l = 0; l < 8; ++l) part[l] += p[i + l];
          for (; i < osp; ++i) part[0] += p[i];
          for (float v : part) s += v;
        }
        db[co] = static_cast<float>(s);
      }
    });
  }
}

}  // namespace mr::cpu::conv
