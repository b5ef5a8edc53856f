// Radially averaged two-point correlation from the zero-padded (non-periodic) FFT autocorrelation of the phase
// indicator. Padding each axis to n + R (R = largest lag kept) makes the circular correlation equal the linear one
// for |d_k| <= R. Memory is kept to one complex half-spectrum of the unpadded z/y extent:
//   A: real FFT along x of every row (two rows per complex FFT), stored as planes [kx][z][y];
//   B: per kx plane, FFT along y and z (zero-padded), |F|^2, inverse along z and y, keeping dz in [0, R] and
//      dy in [-R, R] (written back into the plane);
//   C: per (dz, dy) row, inverse real FFT along x; the counts are rounded to the exact integers and binned by
//      round(|d|), with d and -d both counted.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <new>

#include "core/parallel.h"
#include "metrics/fft.h"
#include "metrics/stats.h"

namespace mr {
namespace stats {

namespace {

struct Layout {
  int64_t R, Rx, Ry, Rz, Mx, My, Mz, Hx, plane;
  Layout(Grid g, int64_t max_r) {
    R = std::max<int64_t>(max_r, 0);
    Rx = std::min(R, g.nx - 1);
    Ry = std::min(R, g.ny - 1);
    Rz = std::min(R, g.nz - 1);
    Mx = Fft::good_size(g.nx + Rx);
    My = Fft::good_size(g.ny + Ry);
    Mz = Fft::good_size(g.nz + Rz);
    Hx = Mx / 2 + 1;
    plane = std::max(g.nz * g.ny, (Rz + 1) * (2 * Ry + 1));
  }
};

inline cd conj(cd a) { return {a.re, -a.im}; }

}  // namespace

int64_t two_point_radial_bytes(Grid g, int64_t max_r) {
  Layout L(g, max_r);
  const int64_t per_thread = (g.nz * L.My + (L.Rz + 1) * L.My + 2 * std::max({L.Mx, L.My, L.Mz}) + 16 * L.Hx) * 16;
  return L.Hx * L.plane * 16 + per_thread * num_threads();
}

Status two_point_radial(const uint8_t* labels, Grid g, uint8_t phase, int64_t max_r, RadialS2* out,
                        const Progress& p) {
  const Layout L(g, max_r);
  const int64_t nx = g.nx, ny = g.ny, nz = g.nz;
  std::vector<cd> A;
  try {
    A.assign(static_cast<size_t>(L.Hx * L.plane), cd{0, 0});
  } catch (const std::bad_alloc&) {
    return Error(Code::OutOfMemory, "radial S2 needs " + std::to_string(L.Hx * L.plane * 16) + " bytes");
  }
  const Fft fx(L.Mx), fy(L.My), fz(L.Mz);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0};

  // A: x transforms, 16 rows of one slice at a time (pairs of rows share one complex FFT).
  constexpr int64_t kTile = 16;
  const int64_t ytiles = (ny + kTile - 1) / kTile;
  parallel_for(nz * ytiles, 1, [&](int64_t lo, int64_t hi) {
    std::vector<cd> buf(L.Mx), scratch(L.Mx), spec(kTile * L.Hx);
    for (int64_t t = lo; t < hi && !stop; ++t) {
      if (p.cancelled()) {
        stop = true;
        return;
      }
      const int64_t z = t / ytiles, y0 = (t % ytiles) * kTile, y1 = std::min(ny, y0 + kTile);
      for (int64_t y = y0; y < y1; y += 2) {
        const uint8_t* ra = labels + (z * ny + y) * nx;
        const uint8_t* rb = y + 1 < y1 ? ra + nx : nullptr;
        for (int64_t x = 0; x < nx; ++x) buf[x] = {double(ra[x] == phase), rb ? double(rb[x] == phase) : 0.0};
        std::fill(buf.begin() + nx, buf.end(), cd{0, 0});
        fx.forward(buf.data(), scratch.data());
        cd* sa = spec.data() + (y - y0) * L.Hx;
        cd* sb = sa + L.Hx;
        for (int64_t k = 0; k < L.Hx; ++k) {
          const cd zk = buf[k], zm = conj(buf[(L.Mx - k) % L.Mx]);
          sa[k] = {0.5 * (zk.re + zm.re), 0.5 * (zk.im + zm.im)};
          if (rb) sb[k] = {0.5 * (zk.im - zm.im), -0.5 * (zk.re - zm.re)};
        }
      }
      for (int64_t k = 0; k < L.Hx; ++k) {
        cd* dst = A.data() + k * L.plane + z * ny;
        for (int64_t y = y0; y < y1; ++y) dst[y] = spec[(y - y0) * L.Hx + k];
      }
      p.report(0.2 * double(done.fetch_add(1) + 1) / double(nz * ytiles));
    }
  });
  if (stop) return aborted();

  // B: y and z per kx plane.
  done = 0;
  const int64_t wy = 2 * L.Ry + 1;
  parallel_for(L.Hx, 1, [&](int64_t lo, int64_t hi) {
    std::vector<cd> W(nz * L.My), G((L.Rz + 1) * L.My), buf(std::max(L.My, L.Mz)), scratch(std::max(L.My, L.Mz));
    for (int64_t k = lo; k < hi && !stop; ++k) {
      if (p.cancelled()) {
        stop = true;
        return;
      }
      cd* P = A.data() + k * L.plane;
      for (int64_t z = 0; z < nz; ++z) {
        cd* row = W.data() + z * L.My;
        std::copy(P + z * ny, P + z * ny + ny, row);
        std::fill(row + ny, row + L.My, cd{0, 0});
        fy.forward(row, scratch.data());
      }
      for (int64_t ky = 0; ky < L.My; ++ky) {
        for (int64_t z = 0; z < nz; ++z) buf[z] = W[z * L.My + ky];
        std::fill(buf.begin() + nz, buf.begin() + L.Mz, cd{0, 0});
        fz.forward(buf.data(), scratch.data());
        for (int64_t q = 0; q < L.Mz; ++q) buf[q] = {buf[q].re * buf[q].re + buf[q].im * buf[q].im, 0.0};
        fz.inverse(buf.data(), scratch.data());
        for (int64_t dz = 0; dz <= L.Rz; ++dz) G[dz * L.My + ky] = buf[dz];
      }
      for (int64_t dz = 0; dz <= L.Rz; ++dz) {
        cd* row = G.data() + dz * L.My;
        fy.inverse(row, scratch.data());
        cd* dst = P + dz * wy;
        for (int64_t dy = -L.Ry; dy <= L.Ry; ++dy) dst[dy + L.Ry] = row[(dy + L.My) % L.My];
      }
      p.report(0.2 + 0.6 * double(done.fetch_add(1) + 1) / double(L.Hx));
    }
  });
  if (stop) return aborted();

  // C: x inverse per (dz, dy) row, exact counts, radial bins.
  done = 0;
  const double norm = 1.0 / (double(L.Mx) * double(L.My) * double(L.Mz));
  std::vector<int64_t> cnt(L.R + 1, 0), pairs(L.R + 1, 0);
  std::mutex mu;
  parallel_for(L.Rz + 1, 1, [&](int64_t lo, int64_t hi) {
    std::vector<cd> buf(L.Mx), scratch(L.Mx);
    std::vector<int64_t> c(L.R + 1, 0), q(L.R + 1, 0);
    for (int64_t dz = lo; dz < hi && !stop; ++dz) {
      if (p.cancelled()) {
        stop = true;
        return;
      }
      const int64_t mult = dz > 0 ? 2 : 1;
      for (int64_t dy = -L.Ry; dy <= L.Ry; dy += 2) {
        const bool two = dy + 1 <= L.Ry;
        const int64_t ia = dz * wy + dy + L.Ry;
        for (int64_t k = 0; k < L.Hx; ++k) {
          const cd a = A[k * L.plane + ia];
          const cd b = two ? A[k * L.plane + ia + 1] : cd{0, 0};
          buf[k] = {a.re - b.im, a.im + b.re};  // a + i b
          if (k > 0 && L.Mx - k >= L.Hx) buf[L.Mx - k] = {a.re + b.im, -a.im + b.re};  // conj(a) + i conj(b)
        }
        fx.inverse(buf.data(), scratch.data());
        for (int half = 0; half < (two ? 2 : 1); ++half) {
          const int64_t yy = dy + half;
          for (int64_t dx = -L.Rx; dx <= L.Rx; ++dx) {
            const int64_t d2 = dz * dz + yy * yy + dx * dx;
            const int64_t bin = static_cast<int64_t>(std::floor(std::sqrt(double(d2)) + 0.5));
            if (bin > L.R) continue;
            const cd v = buf[(dx + L.Mx) % L.Mx];
            const int64_t count = std::llround((half ? v.im : v.re) * norm);
            c[bin] += mult * count;
            q[bin] += mult * (nz - dz) * (ny - std::abs(yy)) * (nx - std::abs(dx));
          }
        }
      }
      p.report(0.8 + 0.2 * double(done.fetch_add(1) + 1) / double(L.Rz + 1));
    }
    std::lock_guard<std::mutex> lk(mu);  // integer sums: order-free
    for (int64_t b = 0; b <= L.R; ++b) cnt[b] += c[b], pairs[b] += q[b];
  });
  if (stop) return aborted();
  out->value.assign(L.R + 1, 0.0);
  out->pairs.assign(L.R + 1, 0.0);
  for (int64_t b = 0; b <= L.R; ++b) {
    out->pairs[b] = double(pairs[b]);
    out->value[b] = pairs[b] > 0 ? double(cnt[b]) / double(pairs[b]) : 0.0;
  }
  return Status::Ok();
}

}  // namespace stats
}  // namespace mr
