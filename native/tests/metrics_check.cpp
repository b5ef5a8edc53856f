// Checks of the statistics in native/metrics against brute-force definitions and analytic cases.
// Build: cmake -S . -B build-tests -DMR_BUILD_TESTS=ON && cmake --build build-tests --target metrics_check
#include <cmath>
#include <cstdio>
#include <cstring>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "metrics/fft.h"
#include "metrics/mc_tables.h"
#include "metrics/phase_stats.h"
#include "metrics/stats.h"

using namespace mr;
using namespace mr::stats;

static int failures = 0;
#define CHECK(cond, ...)                                  \
  do {                                                    \
    if (!(cond)) {                                        \
      ++failures;                                         \
      std::printf("FAIL %s:%d: ", __FILE__, __LINE__);    \
      std::printf(__VA_ARGS__);                           \
      std::printf("\n");                                  \
    }                                                     \
  } while (0)

struct Vol {
  Grid g;
  std::vector<uint8_t> v;
  Vol(int64_t nz, int64_t ny, int64_t nx) : g{nz, ny, nx}, v(nz * ny * nx, 0) {}
  uint8_t& at(int64_t z, int64_t y, int64_t x) { return v[(z * g.ny + y) * g.nx + x]; }
  uint8_t get(int64_t z, int64_t y, int64_t x) const {
    if (z < 0 || y < 0 || x < 0 || z >= g.nz || y >= g.ny || x >= g.nx) return 255;
    return v[(z * g.ny + y) * g.nx + x];
  }
};

static Vol random_vol(int64_t nz, int64_t ny, int64_t nx, double p1, unsigned seed, int phases = 2) {
  Vol a(nz, ny, nx);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  for (auto& x : a.v) x = phases == 2 ? (u(rng) < p1) : uint8_t(rng() % phases);
  return a;
}

// Blurred, thresholded noise: a smooth random two-phase medium (box blur applied `passes` times per axis).
static Vol blob_medium(int64_t n, int64_t nz, double stretch_x, unsigned seed, double frac = 0.5) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd;
  std::vector<double> f(nz * n * n);
  for (auto& x : f) x = nd(rng);
  auto blur = [&](int axis, int radius) {
    std::vector<double> g(f.size());
    const int64_t nn[3] = {n, n, nz};
    const int64_t st[3] = {1, n, n * n};
    for (int64_t i = 0; i < int64_t(f.size()); ++i) {
      const int64_t c = (i / st[axis]) % nn[axis];
      double s = 0;
      int cnt = 0;
      for (int k = -radius; k <= radius; ++k) {
        const int64_t cc = c + k;
        if (cc < 0 || cc >= nn[axis]) continue;
        s += f[i + k * st[axis]];
        ++cnt;
      }
      g[i] = s / cnt;
    }
    f.swap(g);
  };
  for (int pass = 0; pass < 2; ++pass) {
    blur(0, int(2 * stretch_x));
    blur(1, 2);
    if (nz > 1) blur(2, 2);
  }
  std::vector<double> sorted = f;
  std::nth_element(sorted.begin(), sorted.begin() + int64_t(frac * sorted.size()), sorted.end());
  const double t = sorted[int64_t(frac * sorted.size())];
  Vol a(nz, n, n);
  for (size_t i = 0; i < f.size(); ++i) a.v[i] = f[i] < t;
  return a;
}

static void check_fft() {
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int n : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 16, 25, 27, 30, 49, 60, 64, 77, 120}) {
    Fft f(n);
    std::vector<cd> x(n), y(n), s(n);
    for (auto& v : x) v = {u(rng), u(rng)};
    y = x;
    f.forward(y.data(), s.data());
    double err = 0;
    for (int k = 0; k < n; ++k) {
      double re = 0, im = 0;
      for (int j = 0; j < n; ++j) {
        const double a = -2 * M_PI * double((int64_t(j) * k) % n) / n;
        re += x[j].re * std::cos(a) - x[j].im * std::sin(a);
        im += x[j].re * std::sin(a) + x[j].im * std::cos(a);
      }
      err = std::max(err, std::hypot(re - y[k].re, im - y[k].im));
    }
    f.inverse(y.data(), s.data());
    double err2 = 0;
    for (int k = 0; k < n; ++k) err2 = std::max(err2, std::hypot(y[k].re / n - x[k].re, y[k].im / n - x[k].im));
    CHECK(err < 1e-10 * n && err2 < 1e-12 * n, "fft n=%d err %g inverse %g", n, err, err2);
    // Batched: three transforms interleaved give the same bits as one at a time.
    std::vector<cd> b3(3 * n), s3(3 * n), one(n);
    for (int j = 0; j < n; ++j)
      for (int b = 0; b < 3; ++b) b3[j * 3 + b] = {x[j].re * (b + 1), x[j].im - b};
    f.forward(b3.data(), 3, s3.data());
    bool same = true;
    for (int b = 0; b < 3; ++b) {
      for (int j = 0; j < n; ++j) one[j] = {x[j].re * (b + 1), x[j].im - b};
      f.forward(one.data(), s.data());
      for (int j = 0; j < n; ++j) same = same && one[j].re == b3[j * 3 + b].re && one[j].im == b3[j * 3 + b].im;
    }
    CHECK(same, "batched fft n=%d differs", n);
  }
  CHECK(Fft::good_size(401) == 405 && Fft::good_size(600) == 600 && Fft::good_size(1) == 1, "good_size");
}

static void check_two_point() {
  for (auto dims : std::vector<std::array<int64_t, 3>>{{9, 11, 150}, {1, 40, 70}, {20, 3, 65}, {5, 5, 5}}) {
    Vol a = random_vol(dims[0], dims[1], dims[2], 0.4, 7);
    std::array<int64_t, 3> lag = {dims[2] - 1, dims[1] - 1, dims[0] - 1};
    std::array<std::vector<double>, 3> s2;
    Status st = two_point_directional(a.v.data(), a.g, 1, lag, &s2, {});
    CHECK(st.ok(), "two_point status");
    for (int axis = 0; axis < 3; ++axis) {
      const int64_t n = a.g.extent(axis);
      for (int64_t r = 0; r < n; ++r) {
        int64_t c = 0, pairs = 0;
        for (int64_t z = 0; z < a.g.nz; ++z)
          for (int64_t y = 0; y < a.g.ny; ++y)
            for (int64_t x = 0; x < a.g.nx; ++x) {
              int64_t p[3] = {x, y, z};
              p[axis] += r;
              if (p[0] >= a.g.nx || p[1] >= a.g.ny || p[2] >= a.g.nz) continue;
              ++pairs;
              c += a.get(z, y, x) == 1 && a.get(p[2], p[1], p[0]) == 1;
            }
        CHECK(s2[axis].size() == size_t(n) && s2[axis][r] == double(c) / double(pairs),
              "S2 axis %d lag %ld: %g vs %g", axis, long(r), s2[axis].size() > size_t(r) ? s2[axis][r] : -1.0,
              double(c) / pairs);
      }
    }
  }
}

static void check_radial() {
  for (auto dims : std::vector<std::array<int64_t, 3>>{{13, 17, 19}, {1, 21, 30}, {8, 8, 8}}) {
    Vol a = random_vol(dims[0], dims[1], dims[2], 0.35, 3);
    int64_t mn = 1 << 30;
    for (int k = 0; k < 3; ++k)
      if (dims[k] > 1) mn = std::min(mn, dims[k]);
    const int64_t R = mn / 2;
    RadialS2 rs;
    Status st = two_point_radial(a.v.data(), a.g, 1, R, &rs, {});
    CHECK(st.ok(), "radial status %s", st.message.c_str());
    std::vector<int64_t> c(R + 1, 0), q(R + 1, 0);
    const Grid& g = a.g;
    for (int64_t dz = -(g.nz - 1); dz <= g.nz - 1; ++dz)
      for (int64_t dy = -(g.ny - 1); dy <= g.ny - 1; ++dy)
        for (int64_t dx = -(g.nx - 1); dx <= g.nx - 1; ++dx) {
          const int64_t b = int64_t(std::floor(std::sqrt(double(dz * dz + dy * dy + dx * dx)) + 0.5));
          if (b > R) continue;
          for (int64_t z = 0; z < g.nz; ++z)
            for (int64_t y = 0; y < g.ny; ++y)
              for (int64_t x = 0; x < g.nx; ++x) {
                const int64_t z2 = z + dz, y2 = y + dy, x2 = x + dx;
                if (z2 < 0 || y2 < 0 || x2 < 0 || z2 >= g.nz || y2 >= g.ny || x2 >= g.nx) continue;
                ++q[b];
                c[b] += a.get(z, y, x) == 1 && a.get(z2, y2, x2) == 1;
              }
        }
    for (int64_t b = 0; b <= R; ++b)
      CHECK(rs.pairs[b] == double(q[b]) && rs.value[b] == double(c[b]) / double(q[b]),
            "radial bin %ld: %g/%g vs %ld/%ld", long(b), rs.value[b], rs.pairs[b], long(c[b]), long(q[b]));
  }
}

static void check_runs() {
  Vol a = random_vol(7, 9, 80, 0.6, 11);
  std::array<AxisRuns, 3> runs;
  CHECK(lineal_chord(a.v.data(), a.g, 1, {79, 8, 6}, &runs, {}).ok(), "lineal status");
  for (int axis = 0; axis < 3; ++axis) {
    const int64_t n = a.g.extent(axis);
    // lineal path brute force
    for (int64_t r = 0; r < n; ++r) {
      int64_t c = 0, t = 0;
      for (int64_t z = 0; z < a.g.nz; ++z)
        for (int64_t y = 0; y < a.g.ny; ++y)
          for (int64_t x = 0; x < a.g.nx; ++x) {
            int64_t p[3] = {x, y, z};
            if (p[axis] + r >= n) continue;
            ++t;
            bool all = true;
            for (int64_t k = 0; k <= r && all; ++k) {
              int64_t q[3] = {x, y, z};
              q[axis] += k;
              all = a.get(q[2], q[1], q[0]) == 1;
            }
            c += all;
          }
      CHECK(runs[axis].lineal[r] == double(c) / double(t), "lineal axis %d r %ld", axis, long(r));
    }
  }
  // Stripes along x: period 7 = 3 phase + 4 other, starting with 2 other voxels.
  Vol s(4, 5, 70);
  for (int64_t z = 0; z < 4; ++z)
    for (int64_t y = 0; y < 5; ++y)
      for (int64_t x = 0; x < 70; ++x) s.at(z, y, x) = ((x + 5) % 7) < 3;
  CHECK(lineal_chord(s.v.data(), s.g, 1, {35, 2, 2}, &runs, {}).ok(), "stripes");
  // x = 2..4, 9..11, ..., 65..67: ten runs of 3 in each of 20 rows, none at the faces.
  CHECK(runs[0].chord_count == 200 && runs[0].chords.size() == 4 && runs[0].chords[3] == 200 &&
            runs[0].mean_chord == 3.0 && runs[0].boundary_runs == 0,
        "stripe chords: %ld chords, mean %g", long(runs[0].chord_count), runs[0].mean_chord);
  // along y and z every run touches both faces: excluded
  CHECK(runs[1].chord_count == 0 && runs[1].boundary_runs == 4 * 30, "stripe y runs %ld", long(runs[1].boundary_runs));
}

static void check_surface_euler_connectivity() {
  // Cube 10^3 inside 20^3: 600 faces exactly.
  Vol c(20, 20, 20);
  for (int z = 5; z < 15; ++z)
    for (int y = 5; y < 15; ++y)
      for (int x = 5; x < 15; ++x) c.at(z, y, x) = 1;
  Surface s;
  CHECK(surface(c.v.data(), c.g, 1, &s, {}).ok(), "surface");
  CHECK(s.faces == 600, "cube faces %ld", long(s.faces));
  CHECK(euler_characteristic(c.v.data(), c.g, 1) == 1, "cube euler");
  // Sphere r = 20 in 64^3 centred at 31.5.
  Vol b(64, 64, 64);
  for (int z = 0; z < 64; ++z)
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x) {
        const double dz = z - 31.5, dy = y - 31.5, dx = x - 31.5;
        b.at(z, y, x) = dz * dz + dy * dy + dx * dx <= 400;
      }
  CHECK(surface(b.v.data(), b.g, 1, &s, {}).ok(), "sphere");
  const double exact = 4 * M_PI * 400;
  std::printf("sphere r=20: mesh %.4f (%.4f x exact), corrected %.4f (%.4f), bias3d %.6f bias2d %.6f\n", s.mesh,
              s.mesh / exact, s.mesh_corrected, s.mesh_corrected / exact, mesh_bias(false), mesh_bias(true));
  CHECK(std::fabs(s.mesh_corrected / exact - 1) < 0.02, "corrected sphere area off by more than 2%%");
  CHECK(euler_characteristic(b.v.data(), b.g, 1) == 1, "ball euler");
  CHECK(euler_characteristic(b.v.data(), b.g, 0) == 2, "ball complement euler (cavity seen from outside) ");
  // Hollow sphere: shell 12 <= r <= 20 encloses a cavity: chi = 2.
  Vol h(64, 64, 64);
  for (int z = 0; z < 64; ++z)
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x) {
        const double r2 = (z - 31.5) * (z - 31.5) + (y - 31.5) * (y - 31.5) + (x - 31.5) * (x - 31.5);
        h.at(z, y, x) = r2 <= 400 && r2 >= 144;
      }
  CHECK(euler_characteristic(h.v.data(), h.g, 1) == 2, "hollow sphere euler %ld",
        long(euler_characteristic(h.v.data(), h.g, 1)));
  // Torus R = 16, r = 6 in the xy plane.
  Vol t(48, 48, 48);
  for (int z = 0; z < 48; ++z)
    for (int y = 0; y < 48; ++y)
      for (int x = 0; x < 48; ++x) {
        const double dx = x - 23.5, dy = y - 23.5, dz = z - 23.5;
        const double q = std::sqrt(dx * dx + dy * dy) - 16;
        t.at(z, y, x) = q * q + dz * dz <= 36;
      }
  CHECK(euler_characteristic(t.v.data(), t.g, 1) == 0, "torus euler %ld", long(euler_characteristic(t.v.data(), t.g, 1)));
  Connectivity cn;
  CHECK(connectivity(t.v.data(), t.g, 1, &cn, {}).ok() && cn.components == 1, "torus components");
  CHECK(connectivity(h.v.data(), h.g, 0, &cn, {}).ok() && cn.components == 2, "hollow sphere complement: 2");
  // Two blobs, and a channel along y.
  Vol two(20, 30, 40);
  for (int z = 2; z < 8; ++z)
    for (int y = 2; y < 8; ++y)
      for (int x = 2; x < 8; ++x) two.at(z, y, x) = 1, two.at(z + 10, y + 15, x + 25) = 1;
  CHECK(connectivity(two.v.data(), two.g, 1, &cn, {}).ok() && cn.components == 2 && cn.largest == 216, "two blobs");
  Vol ch(20, 30, 40);
  for (int z = 8; z < 12; ++z)
    for (int y = 0; y < 30; ++y)
      for (int x = 18; x < 22; ++x) ch.at(z, y, x) = 1;
  CHECK(connectivity(ch.v.data(), ch.g, 1, &cn, {}).ok() && cn.components == 1 && !cn.percolates[0] &&
            cn.percolates[1] && !cn.percolates[2],
        "channel percolation");
  // Random volumes against a BFS; and the Euler number of random 2D/3D volumes against V - E + F - C counted
  // directly on the complex.
  for (unsigned seed = 1; seed <= 3; ++seed) {
    Vol r = seed == 3 ? random_vol(1, 50, 60, 0.55, seed) : random_vol(17, 23, 29, 0.3 + 0.1 * seed, seed);
    std::vector<int> lab(r.v.size(), -1);
    int64_t comps = 0, largest = 0;
    for (int64_t i = 0; i < int64_t(r.v.size()); ++i) {
      if (r.v[i] != 1 || lab[i] >= 0) continue;
      int64_t size = 0;
      std::queue<int64_t> qu;
      qu.push(i);
      lab[i] = int(comps);
      while (!qu.empty()) {
        int64_t k = qu.front();
        qu.pop();
        ++size;
        const int64_t x = k % r.g.nx, y = (k / r.g.nx) % r.g.ny, z = k / (r.g.nx * r.g.ny);
        const int64_t nb[6][3] = {{z, y, x - 1}, {z, y, x + 1}, {z, y - 1, x}, {z, y + 1, x}, {z - 1, y, x}, {z + 1, y, x}};
        for (auto& n : nb) {
          if (r.get(n[0], n[1], n[2]) != 1) continue;
          const int64_t j = (n[0] * r.g.ny + n[1]) * r.g.nx + n[2];
          if (lab[j] < 0) lab[j] = int(comps), qu.push(j);
        }
      }
      largest = std::max(largest, size);
      ++comps;
    }
    CHECK(connectivity(r.v.data(), r.g, 1, &cn, {}).ok() && cn.components == comps && cn.largest == largest,
          "random components %ld vs %ld", long(cn.components), long(comps));
  }
}

static void check_edt_thickness() {
  Vol a = random_vol(9, 12, 14, 0.8, 5);
  std::vector<uint32_t> d2;
  CHECK(squared_edt(a.v.data(), a.g, 1, &d2, {}).ok(), "edt");
  const Grid& g = a.g;
  bool ok = true;
  for (int64_t i = 0; i < g.size(); ++i) {
    const int64_t x = i % g.nx, y = (i / g.nx) % g.ny, z = i / (g.nx * g.ny);
    int64_t best = INT64_MAX;
    if (a.v[i] != 1) best = 0;
    else
      for (int64_t j = 0; j < g.size(); ++j)
        if (a.v[j] != 1) {
          const int64_t x2 = j % g.nx, y2 = (j / g.nx) % g.ny, z2 = j / (g.nx * g.ny);
          best = std::min(best, (x - x2) * (x - x2) + (y - y2) * (y - y2) + (z - z2) * (z - z2));
        }
    ok = ok && int64_t(d2[i]) == best;
  }
  CHECK(ok, "edt differs from brute force");
  // Local thickness vs the brute-force definition (max over all centres, no ridge skipping).
  Thickness th;
  CHECK(local_thickness(a.v.data(), g, 1, &th, {}).ok() && th.defined, "thickness");
  std::vector<int64_t> hist;
  double sum = 0;
  int64_t cnt = 0;
  for (int64_t i = 0; i < g.size(); ++i) {
    if (a.v[i] != 1) continue;
    const int64_t x = i % g.nx, y = (i / g.nx) % g.ny, z = i / (g.nx * g.ny);
    uint32_t best = 0;
    for (int64_t j = 0; j < g.size(); ++j) {
      if (a.v[j] != 1) continue;
      const int64_t x2 = j % g.nx, y2 = (j / g.nx) % g.ny, z2 = j / (g.nx * g.ny);
      const int64_t dd = (x - x2) * (x - x2) + (y - y2) * (y - y2) + (z - z2) * (z - z2);
      if (dd < int64_t(d2[j])) best = std::max(best, d2[j]);
    }
    const double dia = 2 * std::sqrt(double(best)) - 1;
    const size_t bin = size_t(std::floor(dia + 0.5));
    if (hist.size() <= bin) hist.resize(bin + 1, 0);
    ++hist[bin];
    sum += dia;
    ++cnt;
  }
  CHECK(hist == th.counts, "local thickness histogram differs from brute force");
  CHECK(std::fabs(th.mean - sum / cnt) < 1e-9, "thickness mean %g vs %g", th.mean, sum / cnt);
  // A ball of radius 36 (d2 > 1024: balls made per centre): every voxel gets the central ball's diameter.
  {
    Vol ball(80, 80, 80);
    int64_t inside = 0;
    for (int z = 0; z < 80; ++z)
      for (int y = 0; y < 80; ++y)
        for (int x = 0; x < 80; ++x) {
          const int64_t r2 = (z - 40) * (z - 40) + (y - 40) * (y - 40) + (x - 40) * (x - 40);
          ball.at(z, y, x) = r2 <= 36 * 36;
          inside += r2 <= 36 * 36;
        }
    CHECK(local_thickness(ball.v.data(), ball.g, 1, &th, {}).ok(), "big ball");
    int64_t nonzero = 0;
    for (auto c : th.counts) nonzero += c > 0;
    CHECK(nonzero == 1 && th.counts.back() == inside && std::fabs(th.mean - th.max) < 1e-9 &&
              std::fabs(th.max - (2 * std::sqrt(1297.0) - 1)) < 1e-9,
          "big ball thickness: %ld bins, mean %g max %g", long(nonzero), th.mean, th.max);
  }
  // Slabs of thickness t normal to z: thickness t (odd) or t - 1 (even).
  for (int t = 3; t <= 8; ++t) {
    Vol s(30, 20, 20);
    for (int z = 10; z < 10 + t; ++z)
      for (int y = 0; y < 20; ++y)
        for (int x = 0; x < 20; ++x) s.at(z, y, x) = 1;
    CHECK(local_thickness(s.v.data(), s.g, 1, &th, {}).ok(), "slab");
    CHECK(std::fabs(th.mean - t) <= 1 && th.counts.size() == size_t(t % 2 ? t + 1 : t), "slab %d: mean %g", t,
          th.mean);
  }
}

static void check_anisotropy_ssim_threads() {
  PhaseStatsOptions opt;
  PhaseStats iso, fib;
  Vol m = blob_medium(64, 64, 1.0, 21);
  CHECK(phase_stats(m.v.data(), m.g, 1, opt, &iso, nullptr).ok(), "phase_stats iso");
  Vol f = blob_medium(64, 64, 4.0, 22);
  CHECK(phase_stats(f.v.data(), f.g, 1, opt, &fib, nullptr).ok(), "phase_stats fibres");
  std::printf("isotropic medium: DA %.4f, xi %.3f %.3f %.3f -> %d\n", iso.fabric.degree, iso.corr_length[0],
              iso.corr_length[1], iso.corr_length[2], iso.isotropic);
  std::printf("fibres along x:  DA %.4f, axis (%.3f %.3f %.3f), xi %.3f %.3f %.3f -> %d\n", fib.fabric.degree,
              fib.fabric.axes[0][0], fib.fabric.axes[0][1], fib.fabric.axes[0][2], fib.corr_length[0],
              fib.corr_length[1], fib.corr_length[2], fib.isotropic);
  CHECK(iso.isotropic == 1 && fib.isotropic == 0 && std::fabs(fib.fabric.axes[0][0]) > 0.95, "anisotropy");
  // Thread-count independence: every number bit-identical.
  Vol r = random_vol(40, 50, 60, 0.45, 9, 3);
  PhaseStats one, many;
  set_num_threads(1);
  CHECK(phase_stats(r.v.data(), r.g, 2, opt, &one, nullptr).ok(), "1 thread");
  Similarity s1, s4;
  Vol r2 = random_vol(40, 50, 60, 0.45, 10, 3);
  CHECK(similarity(r.v.data(), r2.v.data(), r.g, 3, &s1, {}).ok(), "ssim");
  set_num_threads(4);
  CHECK(phase_stats(r.v.data(), r.g, 2, opt, &many, nullptr).ok(), "4 threads");
  CHECK(similarity(r.v.data(), r2.v.data(), r.g, 3, &s4, {}).ok(), "ssim");
  set_num_threads(0);
  bool same = one.s2 == many.s2 && one.radial.value == many.radial.value && one.surface.mesh == many.surface.mesh &&
              one.surface.faces == many.surface.faces && one.conn.components == many.conn.components &&
              one.euler == many.euler && one.thickness.counts == many.thickness.counts &&
              one.thickness.mean == many.thickness.mean && one.fabric.degree == many.fabric.degree &&
              one.runs[0].lineal == many.runs[0].lineal && one.runs[2].chords == many.runs[2].chords &&
              std::memcmp(&s1, &s4, sizeof s1) == 0;
  CHECK(same, "results depend on the thread count");
  Similarity self;
  CHECK(similarity(r.v.data(), r.v.data(), r.g, 3, &self, {}).ok() && self.ssim_gaussian == 1.0 &&
            self.ssim_uniform == 1.0 && self.mse == 0.0,
        "ssim of a volume with itself");
  std::printf("ssim random/random: gaussian %.6f uniform %.6f mse %.6f\n", s1.ssim_gaussian, s1.ssim_uniform, s1.mse);
}

int main(int argc, char** argv) {
  std::string t = mc_table_check();
  CHECK(t.empty(), "marching cubes table: %s", t.c_str());
  check_fft();
  check_two_point();
  check_radial();
  check_runs();
  check_surface_euler_connectivity();
  check_edt_thickness();
  check_anisotropy_ssim_threads();
  std::printf(failures ? "%d FAILED\n" : "all metrics checks passed\n", failures);
  return failures ? 1 : 0;
}
