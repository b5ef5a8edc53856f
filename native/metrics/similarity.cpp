// Volume similarity as scikit-image's structural_similarity computes it (K1 = 0.01, K2 = 0.03, data range 1):
// the local means, variances and covariance from a separable window, S = (2 ux uy + C1)(2 vxy + C2) /
// ((ux^2 + uy^2 + C1)(vx + vy + C2)), averaged over the voxels at least `pad` from every face (skimage crops the
// rest, so the filters never need a boundary rule). Gaussian: sigma 1.5, radius 5 (truncate 3.5), population
// covariance; uniform: 7 taps, sample covariance (N / (N - 1)). One output plane per task, planes summed in order.
#include <algorithm>
#include <atomic>
#include <cmath>

#include "core/parallel.h"
#include "metrics/stats.h"

namespace mr {
namespace stats {

namespace {

double ssim(const uint8_t* a, const uint8_t* b, Grid g, const double* val, const std::vector<double>& w,
            double cov_norm, std::atomic<bool>& stop, const Progress& p) {
  const int64_t nx = g.nx, ny = g.ny, nz = g.nz;
  const int64_t taps = int64_t(w.size()), pad = taps / 2;
  const bool two_d = g.is2d();
  const int64_t z0 = two_d ? 0 : pad, z1 = two_d ? 1 : nz - pad;
  const double C1 = 0.01 * 0.01, C2 = 0.03 * 0.03;
  std::vector<double> plane_sum(nz, 0.0);
  std::atomic<int64_t> done{0};
  parallel_for(z1 - z0, 1, [&](int64_t lo, int64_t hi) {
    // Rows filtered along z, kept in a ring of `taps` rows (5 quantities each); then y and x filters.
    std::vector<double> ring(taps * 5 * nx), Y(5 * nx), X(5 * nx);
    const int64_t plane = ny * nx, vx_n = nx - 2 * pad;
    const int64_t ztaps = two_d ? 1 : taps;
    for (int64_t zi = lo; zi < hi; ++zi) {
      if (stop || p.cancelled()) {
        stop = true;
        return;
      }
      const int64_t z = z0 + zi;
      auto z_row = [&](int64_t y) {  // the z-filtered row y into its ring slot
        double* r = ring.data() + (y % taps) * 5 * nx;
        std::fill(r, r + 5 * nx, 0.0);
        for (int64_t k = 0; k < ztaps; ++k) {
          const double wk = two_d ? 1.0 : w[k];
          const int64_t zz = two_d ? 0 : z + k - pad;
          const uint8_t* pa = a + zz * plane + y * nx;
          const uint8_t* pb = b + zz * plane + y * nx;
          for (int64_t x = 0; x < nx; ++x) {
            const double va = val[pa[x]], vb = val[pb[x]];
            r[x] += wk * va;
            r[nx + x] += wk * vb;
            r[2 * nx + x] += wk * (va * va);
            r[3 * nx + x] += wk * (vb * vb);
            r[4 * nx + x] += wk * (va * vb);
          }
        }
      };
      for (int64_t y = 0; y < 2 * pad; ++y) z_row(y);
      double sum = 0;
      for (int64_t y = pad; y < ny - pad; ++y) {
        z_row(y + pad);
        std::fill(Y.begin(), Y.end(), 0.0);
        for (int64_t k = 0; k < taps; ++k) {
          const double wk = w[k];
          const double* src = ring.data() + ((y + k - pad) % taps) * 5 * nx;
          for (int64_t i = 0; i < 5 * nx; ++i) Y[i] += wk * src[i];
        }
        for (int q = 0; q < 5; ++q) {
          double* dst = X.data() + q * vx_n;
          std::fill(dst, dst + vx_n, 0.0);
          for (int64_t k = 0; k < taps; ++k) {
            const double wk = w[k];
            const double* src = Y.data() + q * nx + k;
            for (int64_t x = 0; x < vx_n; ++x) dst[x] += wk * src[x];
          }
        }
        for (int64_t x = 0; x < vx_n; ++x) {
          const double ux = X[x], uy = X[vx_n + x];
          const double vx = cov_norm * (X[2 * vx_n + x] - ux * ux), vy = cov_norm * (X[3 * vx_n + x] - uy * uy);
          const double vxy = cov_norm * (X[4 * vx_n + x] - ux * uy);
          const double A1 = 2 * ux * uy + C1, A2 = 2 * vxy + C2;
          const double B1 = ux * ux + uy * uy + C1, B2 = vx + vy + C2;
          sum += (A1 * A2) / (B1 * B2);
        }
      }
      plane_sum[z] = sum;
      p.report(double(done.fetch_add(1) + 1) / double(z1 - z0));
    }
  });
  double total = 0;
  for (int64_t z = z0; z < z1; ++z) total += plane_sum[z];
  const double count = double(z1 - z0) * double(ny - 2 * pad) * double(nx - 2 * pad);
  return total / count;
}

}  // namespace

Status similarity(const uint8_t* a, const uint8_t* b, Grid g, int phases, Similarity* out, const Progress& p) {
  const int64_t need = 11;
  if (g.nx < need || g.ny < need || (!g.is2d() && g.nz < need))
    return InvalidArgument("SSIM needs every extent (z too, unless z = 1) to be at least 11 voxels");
  const double scale = phases > 1 ? 1.0 / double(phases - 1) : 0.0;
  double val[256];
  for (int i = 0; i < 256; ++i) val[i] = double(i) * scale;
  // Gaussian weights as scipy.ndimage: exp(-x^2 / (2 sigma^2)) for |x| <= 5, normalised.
  std::vector<double> gw(11);
  double gs = 0;
  for (int i = 0; i < 11; ++i) gs += gw[i] = std::exp(-0.5 / (1.5 * 1.5) * double((i - 5) * (i - 5)));
  for (double& v : gw) v /= gs;
  std::vector<double> uw(7, 1.0 / 7.0);
  const double np = g.is2d() ? 49.0 : 343.0;
  std::atomic<bool> stop{false};
  out->ssim_gaussian = ssim(a, b, g, val, gw, 1.0, stop, p.sub(0, 0.5));
  if (stop) return aborted();
  out->ssim_uniform = ssim(a, b, g, val, uw, np / (np - 1), stop, p.sub(0.5, 1.0));
  if (stop) return aborted();
  // MSE from integer label differences (exact).
  const int64_t n = g.size();
  constexpr int64_t kBlock = 1 << 20;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::atomic<int64_t> sq{0};
  parallel_for(blocks, 1, [&](int64_t lo, int64_t hi) {
    int64_t s = 0;
    for (int64_t i = lo * kBlock; i < std::min(n, hi * kBlock); ++i) {
      const int64_t d = int64_t(a[i]) - int64_t(b[i]);
      s += d * d;
    }
    sq += s;
  });
  out->mse = double(sq.load()) * scale * scale / double(n);
  return Status::Ok();
}

}  // namespace stats
}  // namespace mr
