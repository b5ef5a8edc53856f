// Permeability by a D3Q19 two-relaxation-time lattice Boltzmann scheme in the Stokes limit.
//  - Linear equilibrium (no u^2 terms): the steady state solves the discrete Stokes problem exactly, so k does
//    not depend on the force. Populations are stored as deviations from the rest state (f - w_i), which keeps
//    float32 precise at any force.
//  - TRT with the "magic" Lambda = (tau+ - 1/2)(tau- - 1/2) = 3/16: halfway bounce-back puts the wall exactly
//    half a voxel outside the fluid for straight channels, and k does not depend on the viscosity.
//  - Body force (Guo) along the axis inside the sample; periodic along the axis with open reservoir layers
//    before and after the sample; bounce-back (or periodic) side faces.
//  - Pull scheme with a precomputed source index per population (bounce-back folded in), two lattices; every
//    node is written by one thread only, sums are blocked: results do not depend on the thread count.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "metrics/transport_grid.h"
#include "metrics/transport_solver.h"

namespace mr {

namespace {

constexpr int Q = 19;
// Directions 1..9 and their opposites 10..18 (i + 9), components along (axis 0, axis 1, axis 2).
constexpr int E[Q][3] = {{0, 0, 0},  {1, 0, 0},  {0, 1, 0},  {0, 0, 1},   {1, 1, 0},  {1, -1, 0}, {1, 0, 1},
                         {1, 0, -1}, {0, 1, 1},  {0, 1, -1}, {-1, 0, 0},  {0, -1, 0}, {0, 0, -1}, {-1, -1, 0},
                         {-1, 1, 0}, {-1, 0, -1}, {-1, 0, 1}, {0, -1, -1}, {0, -1, 1}};
constexpr double W[Q] = {1.0 / 3,  1.0 / 18, 1.0 / 18, 1.0 / 18, 1.0 / 36, 1.0 / 36, 1.0 / 36,
                         1.0 / 36, 1.0 / 36, 1.0 / 36, 1.0 / 18, 1.0 / 18, 1.0 / 18, 1.0 / 36,
                         1.0 / 36, 1.0 / 36, 1.0 / 36, 1.0 / 36, 1.0 / 36};
inline int opp(int i) { return i == 0 ? 0 : (i <= 9 ? i + 9 : i - 9); }

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Lattice {
  int64_t n0, n1, n2, m;          // grid (axis 0 = flow) and fluid node count
  std::vector<int64_t> plane;     // first node of each plane, n0 + 1
  std::vector<uint32_t> src;      // m * (Q - 1) flat source indices into f (directions 1..18), node-major
  std::vector<float> f, g;        // m * Q populations, node-major (f[n * Q + i])
};

Status build_lattice(const transport::AxisMask& mask, bool periodic_sides, Lattice* L) {
  L->n0 = mask.n0;
  L->n1 = mask.n1;
  L->n2 = mask.n2;
  const int64_t n0 = L->n0, n1 = L->n1, n2 = L->n2, pl = n1 * n2, N = n0 * pl;
  std::vector<int32_t> id(static_cast<size_t>(N), -1);
  L->plane.assign(static_cast<size_t>(n0 + 1), 0);
  int64_t m = 0;
  for (int64_t a = 0; a < n0; ++a) {
    L->plane[a] = m;
    for (int64_t k = a * pl; k < (a + 1) * pl; ++k)
      if (mask.m[k]) id[k] = static_cast<int32_t>(m++);
  }
  L->plane[n0] = m;
  L->m = m;
  if (int64_t(Q) * m >= (int64_t(1) << 32))
    return Error(Code::NotSupported, "permeability: more than 2^32 / 19 fluid nodes");
  L->src.assign(static_cast<size_t>((Q - 1) * m), 0);
  uint32_t* src = L->src.data();
  parallel_for(n0 * n1, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t a = r / n1, b = r % n1;
      for (int64_t c = 0; c < n2; ++c) {
        const int32_t node = id[r * n2 + c];
        if (node < 0) continue;
        for (int i = 1; i < Q; ++i) {
          // population i at `node` comes from node - e_i
          int64_t aa = a - E[i][0], bb = b - E[i][1], cc = c - E[i][2];
          aa = (aa + n0) % n0;  // periodic along the flow axis
          bool inside = true;
          if (periodic_sides) {
            bb = (bb + n1) % n1;
            cc = (cc + n2) % n2;
          } else {
            inside = bb >= 0 && bb < n1 && cc >= 0 && cc < n2;
          }
          const int32_t s = inside ? id[(aa * n1 + bb) * n2 + cc] : -1;
          src[int64_t(node) * (Q - 1) + (i - 1)] = s >= 0 ? static_cast<uint32_t>(int64_t(s) * Q + i)
                                                          : static_cast<uint32_t>(int64_t(node) * Q + opp(i));
        }
      }
    }
  });
  L->f.assign(static_cast<size_t>(Q * m), 0.0f);
  L->g.assign(static_cast<size_t>(Q * m), 0.0f);
  return Status::Ok();
}

// Mean density (pressure * 3) over the fluid nodes of plane a, from the populations in L.f (collisions conserve
// mass, so post-collision populations give the same density).
double plane_density(const Lattice& L, int64_t a) {
  const int64_t lo = L.plane[a], hi = L.plane[a + 1];
  if (hi <= lo) return 0;
  double s = 0;
  for (int64_t n = lo; n < hi; ++n)
    for (int i = 0; i < Q; ++i) s += L.f[n * Q + i];
  return s / double(hi - lo);
}

// One stream + collide step from L.f into L.g; when `measure`, returns the sums needed for k.
// One stream + collide step from L.f into L.g (then swapped); when `measure`, returns the momentum along the axis
// summed over the sample's nodes [s_lo, s_hi).
double step(Lattice& L, double wp, double wm, double force, int64_t s_lo, int64_t s_hi, bool measure) {
  const int64_t m = L.m;
  const float* f = L.f.data();
  float* g = L.g.data();
  const uint32_t* src = L.src.data();
  const int64_t block = 1 << 12;
  std::vector<double> part(measure ? static_cast<size_t>(transport::num_blocks(m, block)) : 0);
  const float fwp = static_cast<float>(wp), fwm = static_cast<float>(wm);
  // Guo forcing for the linear TRT: source (1 - wm/2) * 3 w_i e_i.F, momentum j = sum f e + F/2.
  const float src_scale = static_cast<float>((1.0 - wm / 2.0) * 3.0);
  transport::for_blocks(m, block, [&](int64_t blk, int64_t lo, int64_t hi) {
    double acc = 0;
    for (int64_t n = lo; n < hi; ++n) {
      float p[Q];
      p[0] = f[n * Q];
      const uint32_t* sn = src + n * (Q - 1);
      for (int i = 1; i < Q; ++i) p[i] = f[sn[i - 1]];
      float rho = 0, j0 = 0, j1 = 0, j2 = 0;
      for (int i = 0; i < Q; ++i) {
        rho += p[i];
        j0 += E[i][0] * p[i];
        j1 += E[i][1] * p[i];
        j2 += E[i][2] * p[i];
      }
      const float F = (n >= s_lo && n < s_hi) ? static_cast<float>(force) : 0.0f;
      j0 += 0.5f * F;
      if (measure && n >= s_lo && n < s_hi) acc += j0;
      float* gn = g + n * Q;
      gn[0] = p[0] - fwp * (p[0] - static_cast<float>(W[0]) * rho);
      for (int i = 1; i <= 9; ++i) {
        const int o = i + 9;
        const float w = static_cast<float>(W[i]);
        const float eu = E[i][0] * j0 + E[i][1] * j1 + E[i][2] * j2;
        const float fp = 0.5f * (p[i] + p[o]), fm = 0.5f * (p[i] - p[o]);
        const float dp = fwp * (fp - w * rho), dm = fwm * (fm - 3.0f * w * eu);
        const float s = src_scale * w * E[i][0] * F;
        gn[i] = p[i] - dp - dm + s;
        gn[o] = p[o] - dp + dm - s;
      }
    }
    if (measure) part[blk] = acc;
  });
  L.f.swap(L.g);
  return transport::ordered_sum(part);
}

}  // namespace

Status permeability(const LabelVolume& vol, int label, const PermeabilityOptions& opt, const Control& ctl,
                    PermeabilityResult* out) {
  *out = PermeabilityResult{};
  if (vol.nz <= 0 || vol.ny <= 0 || vol.nx <= 0 || !vol.labels)
    return InvalidArgument("permeability: the volume is empty");
  if (opt.axis < 0 || opt.axis > 2) return InvalidArgument("permeability: axis must be 0, 1 or 2");
  if (label < 0 || label > 255) return InvalidArgument("permeability: label must be in 0..255");
  if (opt.reservoir_layers < 0 || opt.reservoir_layers == 1 || opt.reservoir_layers > 64)
    return InvalidArgument("permeability: reservoirLayers must be 0 or in 2..64");
  if (!(opt.tau > 0.5) || !(opt.tau < 10)) return InvalidArgument("permeability: tau must be in (0.5, 10)");
  if (!(opt.tolerance > 0) || !(opt.tolerance < 1)) return InvalidArgument("permeability: tolerance must be in (0, 1)");
  if (opt.check_every < 1) return InvalidArgument("permeability: checkEvery must be >= 1");
  const auto t0 = std::chrono::steady_clock::now();
  try {
    const int64_t R = opt.reservoir_layers;
    transport::AxisMask mask;
    const int64_t phase = transport::build_axis_mask(vol, label, opt.axis, R, &mask);
    const int64_t Ls = mask.n0 - 2 * R;
    out->porosity = double(phase) / (double(Ls) * double(mask.n1) * double(mask.n2));
    if (phase == 0) {
      out->converged = true;
      out->seconds = seconds_since(t0);
      return Status::Ok();
    }
    // Lattice Boltzmann links reach the 18 face and edge neighbours, so the pruning uses 18-connectivity.
    const int64_t kept = transport::keep_spanning(&mask, R, R + Ls, 18);
    if (kept == 0) {
      out->converged = true;
      out->seconds = seconds_since(t0);
      return Status::Ok();
    }
    Lattice L;
    MR_RETURN_IF_ERROR(build_lattice(mask, opt.periodic_sides, &L));
    mask.m.clear();
    mask.m.shrink_to_fit();
    out->fluid_nodes = L.m;
    if (ctl.cancelled()) return Error(Code::Aborted, "permeability: the solve was cancelled");
    const double tau_p = opt.tau;
    const double nu = (tau_p - 0.5) / 3.0;
    const double tau_m = 0.5 + (3.0 / 16.0) / (tau_p - 0.5);
    const double wp = 1.0 / tau_p, wm = 1.0 / tau_m;
    const double force = 1e-4;
    const int64_t s_lo = L.plane[R], s_hi = L.plane[R + Ls];
    const double area = double(L.n1) * double(L.n2);
    const int64_t max_steps = opt.max_steps > 0 ? opt.max_steps : 200000;
    // Convergence: the late approach to the steady state is geometric, k_t = k_inf + C r^t, so with d_t the change
    // of k between two checks and r = d_t / d_{t-1}, the remaining error is about d_t r / (1 - r). Stop when that
    // estimate is below the tolerance at two checks in a row.
    double k_prev = 0, k = 0, change = 1, d_prev = 0, estimate = 1;
    int64_t steps = 0;
    int below = 0;
    bool converged = false;
    double first_estimate = 0;
    const bool trace = std::getenv("MICRORECON_LBM_TRACE") != nullptr;
    while (steps < max_steps) {
      if (ctl.cancelled()) return Error(Code::Aborted, "permeability: the solve was cancelled");
      const bool measure = (steps + 1) % opt.check_every == 0;
      const double j0 = step(L, wp, wm, force, s_lo, s_hi, measure);
      ++steps;
      if (!measure) continue;
      const double U = j0 / (double(Ls) * area);
      double dp = 0;  // pressure at the inlet face - at the outlet face (p = rho / 3)
      if (R >= 2) {
        // Extrapolated linearly from the two reservoir planes next to each face to the face itself.
        const double in = 1.5 * plane_density(L, R - 1) - 0.5 * plane_density(L, R - 2);
        const double out = 1.5 * plane_density(L, R + Ls) - 0.5 * plane_density(L, R + Ls + 1);
        dp = (in - out) / 3.0;
      }
      const double G = force + dp / double(Ls);
      k = G != 0 ? nu * U / G : 0;
      out->darcy_velocity = U;
      out->pressure_gradient = G;
      if (!std::isfinite(k)) return Error(Code::Internal, "permeability: the lattice Boltzmann solve diverged");
      const double d = std::fabs(k - k_prev);
      change = k != 0 ? d / std::fabs(k) : 1;
      const double ratio = d_prev > 0 ? d / d_prev : 1;
      // Monotone decay: the geometric tail; damped oscillation (ratio >= 1 at times): about ten more changes.
      estimate = ratio > 0 && ratio < 0.999 ? change * std::max(1.0, ratio / (1 - ratio)) : 10 * change;
      if (trace) std::fprintf(stderr, "lbm step %lld k %.10g change %.3g ratio %.4f estimate %.3g\n", (long long)steps, k, change, ratio, estimate);
      k_prev = k;
      d_prev = d;
      if (steps < 3 * int64_t(opt.check_every)) continue;
      below = estimate <= opt.tolerance ? below + 1 : 0;
      if (below >= 2) {
        converged = true;
        break;
      }
      if (first_estimate == 0) first_estimate = std::max(estimate, 10 * opt.tolerance);
      const double f = std::log(first_estimate / std::max(estimate, opt.tolerance)) / std::log(first_estimate / opt.tolerance);
      ctl.progress(std::max(0.0, std::min(0.99, f)));
    }
    out->percolates = true;
    out->permeability = k;
    out->steps = steps;
    out->change = change;
    out->error_estimate = estimate;
    out->converged = converged;
    out->viscosity = nu;
    out->seconds = seconds_since(t0);
    ctl.progress(1.0);
    return Status::Ok();
  } catch (const std::bad_alloc&) {
    return Error(Code::OutOfMemory, "permeability: out of memory");
  }
}

}  // namespace mr
