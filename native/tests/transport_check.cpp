// Stand-alone checks of the transport solvers (build with -DMR_BUILD_TESTS=ON and run transport_check).
//   transport_check                      analytic cases; exit status 1 on a failure
//   transport_check raw FILE NZ NY NX LABEL [tortuosity|permeability] [AXIS] [options key=value...]
//                                        solves a raw uint8 volume and prints JSON (for experiments and benches)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "metrics/transport_solver.h"

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures;
}

mr::TortuosityResult tau(const std::vector<uint8_t>& v, int64_t nz, int64_t ny, int64_t nx, int label, int axis,
                         int guess = 0, int pre = 1) {
  mr::LabelVolume vol{v.data(), nz, ny, nx};
  mr::TortuosityOptions o;
  o.axis = axis;
  o.initial_guess = guess;
  o.preconditioner = pre;
  mr::TortuosityResult r;
  mr::Status st = mr::tortuosity(vol, label, o, mr::Control{}, &r);
  if (!st.ok()) std::printf("error: %s\n", st.message.c_str());
  return r;
}

// Smoothed random field thresholded at a volume fraction: a connected random medium.
std::vector<uint8_t> random_medium(int64_t n, double phi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> U(0, 1);
  std::vector<float> f(n * n * n), t(n * n * n);
  for (auto& v : f) v = U(rng);
  for (int pass = 0; pass < 3; ++pass) {
    for (int axis = 0; axis < 3; ++axis) {
      const int64_t s = axis == 0 ? n * n : axis == 1 ? n : 1;
      for (int64_t i = 0; i < n * n * n; ++i) {
        const int64_t c = (i / s) % n;
        float acc = f[i], w = 1;
        if (c > 0) acc += f[i - s], w += 1;
        if (c + 1 < n) acc += f[i + s], w += 1;
        t[i] = acc / w;
      }
      f.swap(t);
    }
  }
  std::vector<float> sorted(f);
  std::nth_element(sorted.begin(), sorted.begin() + int64_t(phi * sorted.size()), sorted.end());
  const float thr = sorted[int64_t(phi * sorted.size())];
  std::vector<uint8_t> v(f.size());
  for (size_t i = 0; i < f.size(); ++i) v[i] = f[i] < thr ? 1 : 0;
  return v;
}

int analytic() {
  // Straight channels along every axis: tau = 1.
  {
    const int64_t n = 24;
    for (int axis = 0; axis < 3; ++axis) {
      std::vector<uint8_t> v(n * n * n, 0);
      for (int64_t z = 0; z < n; ++z)
        for (int64_t y = 0; y < n; ++y)
          for (int64_t x = 0; x < n; ++x) {
            const int64_t c[3] = {z, y, x};
            const int64_t u = c[(axis + 1) % 3], w = c[(axis + 2) % 3];
            v[(z * n + y) * n + x] = (u % 4 < 2 && w % 5 < 3) ? 1 : 0;
          }
      auto r = tau(v, n, n, n, 1, axis);
      double phi = double(r.phase_voxels) / double(n * n * n);
      expect(r.converged && std::fabs(phi / r.relative_diffusivity - 1) < 1e-6,
             "channels axis " + std::to_string(axis) + ": tau = " + std::to_string(phi / r.relative_diffusivity));
    }
  }
  // A slab normal to the axis blocks it.
  {
    const int64_t n = 16;
    std::vector<uint8_t> v(n * n * n, 1);
    for (int64_t i = 0; i < n * n; ++i) v[7 * n * n + i] = 0;
    auto r = tau(v, n, n, n, 1, 0);
    expect(!r.percolates && r.relative_diffusivity == 0, "slab blocks axis 0");
    auto r1 = tau(v, n, n, n, 1, 2);
    expect(r1.percolates && std::fabs(r1.relative_diffusivity - 15.0 / 16.0) < 1e-6, "slab: axis 2 open");
  }
  // Random medium: multigrid = Jacobi; thread counts; initial guesses.
  {
    const int64_t n = 48;
    auto v = random_medium(n, 0.45, 7);
    auto a = tau(v, n, n, n, 1, 2, 0, 1);
    auto b = tau(v, n, n, n, 1, 2, 0, 0);
    auto c = tau(v, n, n, n, 1, 2, 1, 1);
    mr::set_num_threads(1);
    auto d = tau(v, n, n, n, 1, 2, 0, 1);
    mr::set_num_threads(0);
    std::printf("random 48^3: D = %.10f (mg %lld it, levels %d), jacobi %.10f (%lld it), linear guess %.10f, "
                "1 thread %.10f\n",
                a.relative_diffusivity, (long long)a.iterations, a.levels, b.relative_diffusivity,
                (long long)b.iterations, c.relative_diffusivity, d.relative_diffusivity);
    expect(a.converged && b.converged && c.converged, "random: converged");
    expect(std::fabs(a.relative_diffusivity / b.relative_diffusivity - 1) < 1e-5, "random: mg = jacobi");
    expect(std::fabs(a.relative_diffusivity / c.relative_diffusivity - 1) < 1e-5, "random: guess-independent");
    expect(a.relative_diffusivity == d.relative_diffusivity, "random: thread-independent (bitwise)");
  }
  // Permeability: parallel plates (periodic sides) and a square duct.
  {
    for (int h : {10, 20}) {
      const int64_t nz = 4, ny = h + 2, nx = 4;
      std::vector<uint8_t> v(nz * ny * nx, 0);
      for (int64_t z = 0; z < nz; ++z)
        for (int64_t y = 1; y <= h; ++y)
          for (int64_t x = 0; x < nx; ++x) v[(z * ny + y) * nx + x] = 1;
      mr::LabelVolume vol{v.data(), nz, ny, nx};
      mr::PermeabilityOptions o;
      o.axis = 2;
      o.reservoir_layers = 0;
      o.periodic_sides = true;
      mr::PermeabilityResult r;
      auto t0 = std::chrono::steady_clock::now();
      mr::Status st = mr::permeability(vol, 1, o, mr::Control{}, &r);
      double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double exact = double(h) * h / 12.0 * double(h) / double(h + 2);
      std::printf("plates h=%d: k = %.6f exact %.6f err %.2e steps %lld %.2fs\n", h, r.permeability, exact,
                  r.permeability / exact - 1, (long long)r.steps, sec);
      expect(st.ok() && std::fabs(r.permeability / exact - 1) < 0.05, "plates h=" + std::to_string(h));
    }
    for (int a : {10, 20}) {
      const int64_t nz = 4;
      std::vector<uint8_t> v(nz * a * a, 1);
      mr::LabelVolume vol{v.data(), a, a, nz};
      mr::PermeabilityOptions o;
      o.axis = 2;
      o.reservoir_layers = 0;
      mr::PermeabilityResult r;
      auto t0 = std::chrono::steady_clock::now();
      mr::Status st = mr::permeability(vol, 1, o, mr::Control{}, &r);
      double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      double sum = 0;
      for (int k = 1; k < 200; k += 2) sum += std::tanh(k * M_PI / 2) / std::pow(double(k), 5);
      const double exact = double(a) * a / 12.0 * (1 - 192.0 / std::pow(M_PI, 5) * sum);
      std::printf("duct a=%d: k = %.6f exact %.6f err %.2e steps %lld %.2fs\n", a, r.permeability, exact,
                  r.permeability / exact - 1, (long long)r.steps, sec);
      expect(st.ok() && std::fabs(r.permeability / exact - 1) < 0.05, "duct a=" + std::to_string(a));
    }
  }
  return failures ? 1 : 0;
}

int raw(int argc, char** argv) {
  if (argc < 8) {
    std::fprintf(stderr, "usage: transport_check raw FILE NZ NY NX LABEL [tortuosity|permeability] [AXIS] [k=v...]\n");
    return 2;
  }
  const int64_t nz = std::atoll(argv[3]), ny = std::atoll(argv[4]), nx = std::atoll(argv[5]);
  const int label = std::atoi(argv[6]);
  const std::string what = argc > 7 ? argv[7] : "tortuosity";
  const int axis = argc > 8 ? std::atoi(argv[8]) : 0;
  std::vector<uint8_t> v(nz * ny * nx);
  FILE* f = std::fopen(argv[2], "rb");
  if (!f || std::fread(v.data(), 1, v.size(), f) != v.size()) {
    std::fprintf(stderr, "cannot read %s\n", argv[2]);
    return 2;
  }
  std::fclose(f);
  mr::LabelVolume vol{v.data(), nz, ny, nx};
  auto t0 = std::chrono::steady_clock::now();
  if (what == "tortuosity") {
    mr::TortuosityOptions o;
    o.axis = axis;
    for (int i = 9; i < argc; ++i) {
      std::string kv = argv[i];
      auto eq = kv.find('=');
      std::string k = kv.substr(0, eq), val = kv.substr(eq + 1);
      if (k == "tol") o.tolerance = std::atof(val.c_str());
      if (k == "guess") o.initial_guess = std::atoi(val.c_str());
      if (k == "pre") o.preconditioner = std::atoi(val.c_str());
      if (k == "threads") mr::set_num_threads(std::atoi(val.c_str()));
    }
    mr::TortuosityResult r;
    mr::Status st = mr::tortuosity(vol, label, o, mr::Control{}, &r);
    double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!st.ok()) {
      std::printf("{\"error\": \"%s\"}\n", st.message.c_str());
      return 1;
    }
    std::printf("{\"relativeDiffusivity\": %.12g, \"phaseVoxels\": %lld, \"connectedVoxels\": %lld, "
                "\"iterations\": %lld, \"residual\": %.3g, \"converged\": %s, \"levels\": %d, \"setup\": %.3f, "
                "\"solve\": %.3f, \"seconds\": %.3f}\n",
                r.relative_diffusivity, (long long)r.phase_voxels, (long long)r.connected_voxels,
                (long long)r.iterations, r.residual, r.converged ? "true" : "false", r.levels, r.setup_seconds,
                r.solve_seconds, sec);
  } else {
    mr::PermeabilityOptions o;
    o.axis = axis;
    for (int i = 9; i < argc; ++i) {
      std::string kv = argv[i];
      auto eq = kv.find('=');
      std::string k = kv.substr(0, eq), val = kv.substr(eq + 1);
      if (k == "tol") o.tolerance = std::atof(val.c_str());
      if (k == "tau") o.tau = std::atof(val.c_str());
      if (k == "res") o.reservoir_layers = std::atoi(val.c_str());
      if (k == "steps") o.max_steps = std::atoll(val.c_str());
      if (k == "threads") mr::set_num_threads(std::atoi(val.c_str()));
    }
    mr::PermeabilityResult r;
    mr::Status st = mr::permeability(vol, label, o, mr::Control{}, &r);
    double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!st.ok()) {
      std::printf("{\"error\": \"%s\"}\n", st.message.c_str());
      return 1;
    }
    std::printf("{\"permeability\": %.10g, \"porosity\": %.6f, \"fluidNodes\": %lld, \"steps\": %lld, "
                "\"change\": %.3g, \"errorEstimate\": %.3g, \"converged\": %s, \"seconds\": %.3f}\n",
                r.permeability, r.porosity, (long long)r.fluid_nodes, (long long)r.steps, r.change, r.error_estimate,
                r.converged ? "true" : "false", sec);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "raw") == 0) return raw(argc, argv);
  return analytic();
}
