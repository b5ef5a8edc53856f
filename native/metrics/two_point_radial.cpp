// Radially averaged two-point correlation from the zero-padded (non-periodic) FFT autocorrelation of the phase
// indicator. Padding each axis to n + R (R = largest lag kept) makes the circular correlation equal the linear one
// for |d_k| <= R. Memory: one complex half-spectrum of the unpadded y/z extent (~12 bytes per voxel for a cube).
//   A: FFT along x of two slices at once (slice z + i slice z+1), split into the two real half-spectra, stored as
//      planes [kx][y][z];
//   B: per kx plane: FFT along z of each row, along y, |F|^2, inverse along y; for the kept rows dy in [-R, R]
//      inverse along z, keeping dz in [0, R], written back into the plane as [dz][dy];
//   C: per pair of dz, inverse along x (both dz in one complex transform); the counts are rounded to the exact
//      integers and binned by round(|d|), with d and -d both counted.
// Every transform runs on tiles of kTile lines held side by side (element j of line t at j * kTile + t), which
// keeps a tile in L1/L2 and lets the butterflies vectorise across lines.
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
  int64_t R, Rx, Ry, Rz, Mx, My, Mz, Hx, wy, plane;
  Layout(Grid g, int64_t max_r) {
    R = std::min(std::max<int64_t>(max_r, 0), std::max({g.nx, g.ny, g.nz}) - 1);  // beyond: no pairs
    Rx = std::min(R, g.nx - 1);
    Ry = std::min(R, g.ny - 1);
    Rz = std::min(R, g.nz - 1);
    Mx = Fft::good_size(g.nx + Rx);
    My = Fft::good_size(g.ny + Ry);
    Mz = Fft::good_size(g.nz + Rz);
    Hx = Mx / 2 + 1;
    wy = 2 * Ry + 1;
    plane = std::max(g.nz * g.ny, (Rz + 1) * wy);
  }
};

inline cd conj(cd a) { return {a.re, -a.im}; }

constexpr int64_t kTile = 8;

}  // namespace

int64_t two_point_radial_bytes(Grid g, int64_t max_r) {
  Layout L(g, max_r);
  const int64_t per_thread = (L.My * L.Mz + 2 * kTile * std::max({L.Mx, L.My, L.Mz})) * 16;
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
    return Error(Code::OutOfMemory, "radial S2 needs " + std::to_string(two_point_radial_bytes(g, max_r)) + " bytes");
  }
  const Fft fx(L.Mx), fy(L.My), fz(L.Mz);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0};

  // A: x transforms of slice pairs, kTile rows at a time.
  const int64_t zpairs = (nz + 1) / 2;
  const int64_t ytiles = (ny + kTile - 1) / kTile;
  parallel_for(zpairs * ytiles, 1, [&](int64_t lo, int64_t hi) {
    std::vector<cd> T(L.Mx * kTile), scratch(L.Mx * kTile);
    for (int64_t item = lo; item < hi && !stop; ++item) {
      if (p.cancelled()) {
        stop = true;
        return;
      }
      const int64_t z = 2 * (item / ytiles), y0 = (item % ytiles) * kTile, w = std::min(kTile, ny - y0);
      const bool two = z + 1 < nz;
      std::fill(T.begin(), T.end(), cd{0, 0});
      for (int64_t t = 0; t < w; ++t) {
        const uint8_t* ra = labels + (z * ny + y0 + t) * nx;
        const uint8_t* rb = two ? ra + ny * nx : nullptr;
        for (int64_t x = 0; x < nx; ++x) T[x * kTile + t] = {double(ra[x] == phase), rb ? double(rb[x] == phase) : 0.0};
      }
      fx.forward(T.data(), kTile, scratch.data());
      for (int64_t k = 0; k < L.Hx; ++k) {
        const cd* zk = T.data() + k * kTile;
        const cd* zm = T.data() + ((L.Mx - k) % L.Mx) * kTile;
        cd* dst = A.data() + k * L.plane + y0 * nz + z;
        for (int64_t t = 0; t < w; ++t) {
          const cd a = zk[t], b = conj(zm[t]);
          dst[t * nz] = {0.5 * (a.re + b.re), 0.5 * (a.im + b.im)};
          if (two) dst[t * nz + 1] = {0.5 * (a.im - b.im), -0.5 * (a.re - b.re)};
        }
      }
      p.report(0.2 * double(done.fetch_add(1) + 1) / double(zpairs * ytiles));
    }
  });
  if (stop) return aborted();

  // B: z and y per kx plane. W holds the plane as [y][kz].
  done = 0;
  parallel_for(L.Hx, 1, [&](int64_t lo, int64_t hi) {
    std::vector<cd> W(L.My * L.Mz), T(kTile * std::max(L.My, L.Mz)), scratch(kTile * std::max(L.My, L.Mz));
    for (int64_t k = lo; k < hi && !stop; ++k) {
      if (p.cancelled()) {
        stop = true;
        return;
      }
      cd* P = A.data() + k * L.plane;
      // z forward on rows y < ny.
      for (int64_t y0 = 0; y0 < ny; y0 += kTile) {
        const int64_t w = std::min(kTile, ny - y0);
        std::fill(T.begin(), T.begin() + L.Mz * kTile, cd{0, 0});
        for (int64_t t = 0; t < w; ++t)
          for (int64_t z = 0; z < nz; ++z) T[z * kTile + t] = P[(y0 + t) * nz + z];
        fz.forward(T.data(), kTile, scratch.data());
        for (int64_t t = 0; t < w; ++t)
          for (int64_t q = 0; q < L.Mz; ++q) W[(y0 + t) * L.Mz + q] = T[q * kTile + t];
      }
      // y forward, |F|^2, y inverse per tile of kz columns; only the kept rows dy go back into W.
      for (int64_t q0 = 0; q0 < L.Mz; q0 += kTile) {
        const int64_t w = std::min(kTile, L.Mz - q0);
        std::fill(T.begin(), T.begin() + L.My * kTile, cd{0, 0});
        for (int64_t y = 0; y < ny; ++y)
          for (int64_t t = 0; t < w; ++t) T[y * kTile + t] = W[y * L.Mz + q0 + t];
        fy.forward(T.data(), kTile, scratch.data());
        for (int64_t i = 0; i < L.My * kTile; ++i) T[i] = {T[i].re * T[i].re + T[i].im * T[i].im, 0.0};
        fy.inverse(T.data(), kTile, scratch.data());
        for (int64_t dy = -L.Ry; dy <= L.Ry; ++dy) {
          const int64_t row = (dy + L.My) % L.My;
          for (int64_t t = 0; t < w; ++t) W[row * L.Mz + q0 + t] = T[row * kTile + t];
        }
      }
      // z inverse on the kept rows, keeping dz in [0, Rz].
      for (int64_t d0 = -L.Ry; d0 <= L.Ry; d0 += kTile) {
        const int64_t w = std::min(kTile, L.Ry + 1 - d0);
        for (int64_t t = 0; t < w; ++t) {
          const cd* src = W.data() + ((d0 + t + L.My) % L.My) * L.Mz;
          for (int64_t q = 0; q < L.Mz; ++q) T[q * kTile + t] = src[q];
        }
        fz.inverse(T.data(), kTile, scratch.data());
        for (int64_t dz = 0; dz <= L.Rz; ++dz)
          for (int64_t t = 0; t < w; ++t) P[dz * L.wy + d0 + t + L.Ry] = T[dz * kTile + t];
      }
      p.report(0.2 + 0.6 * double(done.fetch_add(1) + 1) / double(L.Hx));
    }
  });
  if (stop) return aborted();

  // C: x inverse per pair of dz, exact counts, radial bins.
  done = 0;
  const double norm = 1.0 / (double(L.Mx) * double(L.My) * double(L.Mz));
  std::vector<int64_t> cnt(L.R + 1, 0), pairs(L.R + 1, 0);
  std::mutex mu;
  const int64_t dzpairs = (L.Rz + 2) / 2;
  const int64_t dytiles = (L.wy + kTile - 1) / kTile;
  parallel_for(dzpairs * dytiles, 1, [&](int64_t lo, int64_t hi) {
    std::vector<cd> T(L.Mx * kTile), scratch(L.Mx * kTile);
    std::vector<int64_t> c(L.R + 1, 0), q(L.R + 1, 0);
    for (int64_t item = lo; item < hi && !stop; ++item) {
      if (p.cancelled()) {
        stop = true;
        return;
      }
      const int64_t dz0 = 2 * (item / dytiles), j0 = (item % dytiles) * kTile, w = std::min(kTile, L.wy - j0);
      const bool two = dz0 + 1 <= L.Rz;
      std::fill(T.begin(), T.end(), cd{0, 0});
      for (int64_t k = 0; k < L.Hx; ++k) {
        const cd* sa = A.data() + k * L.plane + dz0 * L.wy + j0;
        const cd* sb = sa + L.wy;
        const bool mirror = k > 0 && L.Mx - k >= L.Hx;
        for (int64_t t = 0; t < w; ++t) {
          const cd a = sa[t], b = two ? sb[t] : cd{0, 0};
          T[k * kTile + t] = {a.re - b.im, a.im + b.re};                              // a + i b
          if (mirror) T[(L.Mx - k) * kTile + t] = {a.re + b.im, -a.im + b.re};  // conj(a) + i conj(b)
        }
      }
      fx.inverse(T.data(), kTile, scratch.data());
      for (int half = 0; half < (two ? 2 : 1); ++half) {
        const int64_t dz = dz0 + half;
        const int64_t mult = dz > 0 ? 2 : 1;
        for (int64_t dx = -L.Rx; dx <= L.Rx; ++dx) {
          const cd* row = T.data() + ((dx + L.Mx) % L.Mx) * kTile;
          for (int64_t t = 0; t < w; ++t) {
            const int64_t dy = j0 + t - L.Ry;
            const int64_t d2 = dz * dz + dy * dy + dx * dx;
            if (d2 > (L.R + 1) * (L.R + 1)) continue;
            const int64_t bin = static_cast<int64_t>(std::floor(std::sqrt(double(d2)) + 0.5));
            if (bin > L.R) continue;
            const int64_t count = std::llround((half ? row[t].im : row[t].re) * norm);
            c[bin] += mult * count;
            q[bin] += mult * (nz - dz) * (ny - std::abs(dy)) * (nx - std::abs(dx));
          }
        }
      }
      p.report(0.8 + 0.2 * double(done.fetch_add(1) + 1) / double(dzpairs * dytiles));
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
