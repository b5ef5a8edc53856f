// Tortuosity factor / effective diffusivity (TauFactor convention) by preconditioned conjugate gradients.
// Vectors: x, r, q in float64, p and z in float32 (they only feed the stencil and the preconditioner); all
// reductions in float64 over fixed blocks, so the result does not depend on the thread count. Convergence is
// judged on the true residual b - A x recomputed in float64 (the recurrence is restarted if they disagree).
#include <chrono>
#include <cmath>
#include <new>
#include <string>

#include "metrics/transport_grid.h"
#include "metrics/transport_multigrid.h"
#include "metrics/transport_solver.h"

namespace mr {

namespace {

using transport::FineGrid;
using transport::PaddedVec;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Dot product and vector updates over the compact unknowns, blocked for deterministic sums.
template <typename F>
double reduce_n(int64_t n, F&& f) {
  std::vector<double> part(static_cast<size_t>(transport::num_blocks(n, 1 << 15)), 0.0);
  transport::for_blocks(n, 1 << 15, [&](int64_t blk, int64_t lo, int64_t hi) { part[blk] = f(lo, hi); });
  return transport::ordered_sum(part);
}

Status solve(const FineGrid& g, const TortuosityOptions& opt, const Control& ctl, TortuosityResult* out) {
  const int64_t n = g.n;
  PaddedVec<double> x;
  PaddedVec<float> p, z;
  x.resize(n);
  p.resize(n);
  z.resize(n);
  std::vector<double> r(static_cast<size_t>(n)), q(static_cast<size_t>(n));
  transport::Multigrid mg;
  bool use_mg = opt.preconditioner != 0;
  if (use_mg) mg.build(g);
  out->levels = use_mg ? mg.levels() : 1;
  std::vector<float> inv_diag;
  auto use_jacobi = [&] {
    use_mg = false;
    out->levels = 1;
    inv_diag.resize(static_cast<size_t>(n));
    transport::fine_inverse_diagonal(g, inv_diag.data());
  };
  if (!use_mg) use_jacobi();
  auto precondition = [&](const double* rv, float* zv) {
    if (use_mg) {
      mg.apply(rv, zv);
    } else {
      transport::for_blocks(n, 1 << 15, [&](int64_t, int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) zv[i] = static_cast<float>(rv[i] * inv_diag[i]);
      });
    }
  };

  // Initial guess.
  if (opt.initial_guess == 1) {
    transport::for_blocks(g.rows, g.rows_per_block, [&](int64_t, int64_t lo, int64_t hi) {
      for (int64_t rr = lo; rr < hi; ++rr) {
        const double c = 1.0 - (double(rr / g.n1) + 0.5) / double(g.n0);
        for (int64_t i = g.rs[rr]; i < g.rs[rr + 1]; ++i) x.v[i] = c;
      }
    });
  }
  // ||b||: b = 2 on every unknown of the first plane.
  const double bnorm = 2.0 * std::sqrt(double(g.rs[g.n1] - g.rs[0]));
  const double target = opt.tolerance * bnorm;
  const int64_t max_it = opt.max_iterations > 0 ? opt.max_iterations : 10000;
  double rr = transport::fine_residual(g, x.v, r.data());
  const double r0 = std::sqrt(rr);
  double res = r0;
  int64_t it = 0;
  bool converged = res <= target;
  bool restart = true;
  double rz = 0;
  const double log_span = std::log(std::max(r0 / std::max(target, 1e-300), 1.0 + 1e-12));
  double best_progress = 0;
  while (!converged && it < max_it) {
    if (ctl.cancelled()) return Error(Code::Aborted, "tortuosity: the solve was cancelled");
    if (restart) {
      precondition(r.data(), z.v);
      rz = reduce_n(n, [&](int64_t lo, int64_t hi) {
        double s = 0;
        for (int64_t i = lo; i < hi; ++i) s += r[i] * double(z.v[i]);
        return s;
      });
      transport::for_blocks(n, 1 << 15, [&](int64_t, int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) p.v[i] = z.v[i];
      });
      restart = false;
    }
    const double pq = transport::fine_matvec_dot(g, p.v, q.data());
    if (!(pq > 0) || !(rz > 0)) {
      // Cannot happen in exact arithmetic (A and the V-cycle are symmetric positive definite); if rounding ever
      // breaks it, continue with the Jacobi preconditioner from the current iterate.
      if (!use_mg) break;
      use_jacobi();
      restart = true;
      continue;
    }
    const double alpha = rz / pq;
    rr = reduce_n(n, [&](int64_t lo, int64_t hi) {
      double s = 0;
      for (int64_t i = lo; i < hi; ++i) {
        x.v[i] += alpha * double(p.v[i]);
        r[i] -= alpha * q[i];
        s += r[i] * r[i];
      }
      return s;
    });
    ++it;
    res = std::sqrt(rr);
    if (res <= target) {
      // Confirm with the true residual; restart the recurrence from it if it has drifted.
      rr = transport::fine_residual(g, x.v, r.data());
      res = std::sqrt(rr);
      if (res <= target) {
        converged = true;
        break;
      }
      restart = true;
      continue;
    }
    precondition(r.data(), z.v);
    const double rz_new = reduce_n(n, [&](int64_t lo, int64_t hi) {
      double s = 0;
      for (int64_t i = lo; i < hi; ++i) s += r[i] * double(z.v[i]);
      return s;
    });
    const double beta = rz_new / rz;
    rz = rz_new;
    transport::for_blocks(n, 1 << 15, [&](int64_t, int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) p.v[i] = static_cast<float>(double(z.v[i]) + beta * double(p.v[i]));
    });
    if (log_span > 0) {
      const double f = std::log(std::max(r0 / std::max(res, 1e-300), 1.0)) / log_span;
      if (f > best_progress) best_progress = f;
      ctl.progress(0.05 + 0.95 * best_progress);
    }
  }
  if (!converged) {
    rr = transport::fine_residual(g, x.v, r.data());
    res = std::sqrt(rr);
    converged = res <= target;
  }
  out->iterations = it;
  out->residual = bnorm > 0 ? res / bnorm : 0;
  out->converged = converged;
  transport::fine_flux(g, x.v, &out->flux_in, &out->flux_out);
  // The flux as the dissipation E(x) = sum over links of (dc)^2 (inlet/outlet links included): E = F_in - x.r
  // with r = b - A x. E is stationary at the solution, so its error is quadratic in the error of x (the plain
  // inlet or outlet flux is only linear in it).
  const double xr = reduce_n(n, [&](int64_t lo, int64_t hi) {
    double s = 0;
    for (int64_t i = lo; i < hi; ++i) s += x.v[i] * r[i];
    return s;
  });
  out->flux = out->flux_in - xr;
  return Status::Ok();
}

}  // namespace

Status tortuosity(const LabelVolume& vol, int label, const TortuosityOptions& opt, const Control& ctl,
                  TortuosityResult* out) {
  *out = TortuosityResult{};
  if (vol.nz <= 0 || vol.ny <= 0 || vol.nx <= 0 || !vol.labels)
    return InvalidArgument("tortuosity: the volume is empty");
  if (opt.axis < 0 || opt.axis > 2) return InvalidArgument("tortuosity: axis must be 0, 1 or 2");
  if (label < 0 || label > 255) return InvalidArgument("tortuosity: label must be in 0..255");
  if (!(opt.tolerance > 0) || !(opt.tolerance < 1)) return InvalidArgument("tortuosity: tolerance must be in (0, 1)");
  const auto t0 = std::chrono::steady_clock::now();
  try {
    transport::AxisMask mask;
    out->phase_voxels = transport::build_axis_mask(vol, label, opt.axis, 0, &mask);
    ctl.progress(0.01);
    if (out->phase_voxels == 0) {
      out->converged = true;
      out->setup_seconds = seconds_since(t0);
      return Status::Ok();
    }
    const int64_t kept = transport::keep_spanning(&mask, 0, mask.n0, 6);
    out->connected_voxels = kept < 0 ? out->phase_voxels : kept;
    if (ctl.cancelled()) return Error(Code::Aborted, "tortuosity: the solve was cancelled");
    if (out->connected_voxels == 0) {
      out->converged = true;
      out->setup_seconds = seconds_since(t0);
      return Status::Ok();
    }
    FineGrid g;
    g.init(mask);
    ctl.progress(0.03);
    out->setup_seconds = seconds_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    MR_RETURN_IF_ERROR(solve(g, opt, ctl, out));
    out->solve_seconds = seconds_since(t1);
    out->percolates = true;
    const double area = double(mask.n1) * double(mask.n2);
    out->relative_diffusivity = out->flux * double(mask.n0) / area;
    ctl.progress(1.0);
    return Status::Ok();
  } catch (const std::bad_alloc&) {
    return Error(Code::OutOfMemory, "tortuosity: out of memory for a volume of " + std::to_string(vol.nz) + "x" +
                                        std::to_string(vol.ny) + "x" + std::to_string(vol.nx));
  }
}

}  // namespace mr
