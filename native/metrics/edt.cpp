// Exact squared Euclidean distance transform (Felzenszwalb & Huttenlocher's lower envelope of parabolas), one
// separable pass per axis, parallel over lines; columns are processed 16 at a time so the strided passes read
// whole cache lines.
#include <algorithm>
#include <atomic>
#include <cmath>

#include "core/parallel.h"
#include "metrics/stats.h"

namespace mr {
namespace stats {

namespace {

constexpr uint32_t kInf = 0xffffffffu;
constexpr int64_t kTile = 16;

// out[q] = min_p f[p] + (q - p)^2 over p with f[p] != kInf; kInf when there is none. v, zb: scratch n, n + 1.
void envelope(const uint32_t* f, int64_t n, uint32_t* out, int64_t* v, double* zb) {
  int64_t k = -1;
  for (int64_t q = 0; q < n; ++q) {
    if (f[q] == kInf) continue;
    const double fq = double(f[q]) + double(q) * double(q);
    double s = -HUGE_VAL;
    while (k >= 0) {
      const int64_t p = v[k];
      s = (fq - (double(f[p]) + double(p) * double(p))) / (2.0 * double(q - p));
      if (s <= zb[k]) --k;
      else break;
    }
    ++k;
    v[k] = q;
    zb[k] = k == 0 ? -HUGE_VAL : s;
    zb[k + 1] = HUGE_VAL;
  }
  if (k < 0) {
    std::fill(out, out + n, kInf);
    return;
  }
  int64_t j = 0;
  for (int64_t q = 0; q < n; ++q) {
    while (zb[j + 1] < double(q)) ++j;
    const int64_t d = q - v[j];
    const uint64_t val = uint64_t(f[v[j]]) + uint64_t(d * d);
    out[q] = val >= kInf ? kInf - 1 : uint32_t(val);
  }
}

// Envelope along an axis of extent n and stride `stride` for the lines starting at base + t (t < width).
void column_pass(uint32_t* d, int64_t base, int64_t width, int64_t n, int64_t stride, std::vector<uint32_t>& in,
                 std::vector<uint32_t>& res, std::vector<int64_t>& v, std::vector<double>& zb) {
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t* src = d + base + i * stride;
    for (int64_t t = 0; t < width; ++t) in[t * n + i] = src[t];
  }
  for (int64_t t = 0; t < width; ++t) envelope(in.data() + t * n, n, res.data() + t * n, v.data(), zb.data());
  for (int64_t i = 0; i < n; ++i) {
    uint32_t* dst = d + base + i * stride;
    for (int64_t t = 0; t < width; ++t) dst[t] = res[t * n + i];
  }
}

}  // namespace

Status squared_edt(const uint8_t* labels, Grid g, uint8_t phase, std::vector<uint32_t>* out, const Progress& p) {
  const int64_t nx = g.nx, ny = g.ny, nz = g.nz;
  if (std::max({nx, ny, nz}) > 37000) return Error(Code::NotSupported, "distance transform: an extent over 37000");
  std::vector<uint32_t>& d = *out;
  d.assign(g.size(), 0);
  std::atomic<bool> any_bg{false}, stop{false};
  // x: distance to the nearest other label along the row.
  parallel_for(nz * ny, 64, [&](int64_t lo, int64_t hi) {
    bool bg = false;
    for (int64_t r = lo; r < hi; ++r) {
      const uint8_t* row = labels + r * nx;
      uint32_t* o = d.data() + r * nx;
      int64_t last = -1;
      for (int64_t x = 0; x < nx; ++x) {
        if (row[x] != phase) last = x, bg = true;
        o[x] = row[x] != phase ? 0 : last < 0 ? kInf : uint32_t((x - last) * (x - last));
      }
      last = -1;
      for (int64_t x = nx - 1; x >= 0; --x) {
        if (row[x] != phase) {
          last = x;
        } else if (last >= 0) {
          const uint32_t v = uint32_t((last - x) * (last - x));
          if (v < o[x]) o[x] = v;
        }
      }
    }
    if (bg) any_bg = true;
  });
  if (!any_bg) {
    for (int64_t i = 0; i < g.size(); ++i) d[i] = labels[i] == phase ? kNoBackground : 0;
    return Status::Ok();
  }
  if (p.cancelled()) return aborted();
  p.report(0.3);
  const int64_t xt = (nx + kTile - 1) / kTile;
  for (int axis = 1; axis <= 2; ++axis) {
    const int64_t n = axis == 1 ? ny : nz;
    if (n <= 1) continue;
    const int64_t stride = axis == 1 ? nx : nx * ny;
    const int64_t outer = axis == 1 ? nz : ny;  // y pass: slices; z pass: rows y
    parallel_for(outer * xt, 4, [&](int64_t lo, int64_t hi) {
      if (stop || p.cancelled()) {
        stop = true;
        return;
      }
      std::vector<uint32_t> in(kTile * n), res(kTile * n);
      std::vector<int64_t> v(n);
      std::vector<double> zb(n + 1);
      for (int64_t item = lo; item < hi; ++item) {
        const int64_t o = item / xt, x0 = (item % xt) * kTile, w = std::min(kTile, nx - x0);
        const int64_t base = axis == 1 ? o * ny * nx + x0 : o * nx + x0;
        column_pass(d.data(), base, w, n, stride, in, res, v, zb);
      }
    });
    if (stop) return aborted();
    p.report(axis == 1 ? 0.65 : 1.0);
  }
  return Status::Ok();
}

}  // namespace stats
}  // namespace mr
