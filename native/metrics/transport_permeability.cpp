// Permeability by a D3Q19 two-relaxation-time lattice Boltzmann scheme in the Stokes limit.
//  - Linear equilibrium (no u^2 terms): the steady state solves the discrete Stokes problem exactly, so k does
//    not depend on the force. Populations are stored as deviations from the rest state (f - w_i), which keeps
//    float32 precise at any force.
//  - TRT with the "magic" Lambda = (tau+ - 1/2)(tau- - 1/2) = 3/16: halfway bounce-back puts the wall exactly
//    half a voxel outside the fluid for straight channels, and k does not depend on the viscosity.
//  - Body force (Guo) along the axis inside the sample; periodic along the axis with open reservoir layers
//    before and after the sample; bounce-back (or periodic) side faces.
//  - Pull scheme with a precomputed source index per population (bounce-back folded in), two lattices, stored
//    direction-major and processed in blocks of 16 nodes; every node is written by one thread only, sums are
//    blocked: results do not depend on the thread count. The step is bound by the gathers (about 40 ns per node on
//    one core of the test machine); the populations stream in near-sequential order.
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
constexpr int kLbmBlock = 16;  // nodes per block of the step; node counts are padded to a multiple of it
// Directions 1..9 and their opposites 10..18 (i + 9), components along (axis 0, axis 1, axis 2).
constexpr int E[Q][3] = {{0, 0, 0},  {1, 0, 0},  {0, 1, 0},  {0, 0, 1},   {1, 1, 0},  {1, -1, 0}, {1, 0, 1},
                         {1, 0, -1}, {0, 1, 1},  {0, 1, -1}, {-1, 0, 0},  {0, -1, 0}, {0, 0, -1}, {-1, -1, 0},
                         {-1, 1, 0}, {-1, 0, -1}, {-1, 0, 1}, {0, -1, -1}, {0, -1, 1}};
inline int opp(int i) { return i == 0 ? 0 : (i <= 9 ? i + 9 : i - 9); }

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Lattice {
  int64_t n0, n1, n2, m, mp;      // grid (axis 0 = flow), fluid node count, padded to a multiple of the block
  std::vector<int64_t> plane;     // first node of each plane, n0 + 1
  std::vector<int32_t> src;       // (Q - 1) * mp flat source indices into f (direction-major)
  std::vector<float> f, g;        // Q * mp populations (direction-major: f[i * mp + n])
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
  const int64_t mp = (m + kLbmBlock - 1) / kLbmBlock * kLbmBlock;
  L->mp = mp;
  if (int64_t(Q) * mp >= (int64_t(1) << 31))
    return Error(Code::NotSupported, "permeability: more than 2^31 / 19 fluid nodes");
  L->src.assign(static_cast<size_t>((Q - 1) * mp), 0);
  int32_t* src = L->src.data();
  // Padding nodes bounce back onto themselves and stay at rest.
  for (int64_t n = m; n < mp; ++n)
    for (int i = 1; i < Q; ++i) src[(i - 1) * mp + n] = static_cast<int32_t>(opp(i) * mp + n);
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
          src[(i - 1) * mp + node] = s >= 0 ? static_cast<int32_t>(i * mp + s)
                                            : static_cast<int32_t>(opp(i) * mp + node);
        }
      }
    }
  });
  L->f.assign(static_cast<size_t>(Q * mp), 0.0f);
  L->g.assign(static_cast<size_t>(Q * mp), 0.0f);
  return Status::Ok();
}

// Mean density (pressure * 3) over the fluid nodes of plane a, from the populations in L.f (collisions conserve
// mass, so post-collision populations give the same density).
double plane_density(const Lattice& L, int64_t a) {
  const int64_t lo = L.plane[a], hi = L.plane[a + 1];
  if (hi <= lo) return 0;
  double s = 0;
  for (int i = 0; i < Q; ++i)
    for (int64_t n = lo; n < hi; ++n) s += L.f[i * L.mp + n];
  return s / double(hi - lo);
}

// Populations and sources are stored direction-major: f[i * mp + n], src[(i - 1) * mp + n] = flat index into f of
// the post-collision population that streams into (n, i) (bounce-back folded in).
struct LbmStep {
  const float* f;
  float* g;
  const int32_t* src;
  int64_t mp;              // padded node count
  float wp, wm;            // relaxation rates of the symmetric / antisymmetric parts
  float force;             // body force along axis 0, applied to the nodes [s_lo, s_hi)
  float src_scale;         // (1 - wm / 2) * 3
  int64_t s_lo, s_hi;
};

// Streams and collides the nodes [lo, hi) (multiples of kLbmBlock) from f into g; returns the sum over the sample
// nodes among them of the momentum along axis 0. Blocks of 16 nodes keep the gathers and the arithmetic in
// short, vectorisable loops. Directions 1..9 (opposites i + 9) as in E: the moments and e_i . j are spelled out.
inline double lbm_step_body(const LbmStep& s, int64_t lo, int64_t hi) {
  constexpr int B = kLbmBlock;
  constexpr float w0 = 1.0f / 3, w1 = 1.0f / 18, w2 = 1.0f / 36;
  const int64_t mp = s.mp;
  const float* f = s.f;
  float* g = s.g;
  double acc = 0;
  for (int64_t n0 = lo; n0 < hi; n0 += B) {
    alignas(64) float p[Q][B];
    for (int l = 0; l < B; ++l) p[0][l] = f[n0 + l];
    for (int i = 1; i < Q; ++i) {
      const int32_t* si = s.src + (i - 1) * mp + n0;
      for (int l = 0; l < B; ++l) p[i][l] = f[si[l]];
    }
    alignas(64) float rho[B], j0[B], j1[B], j2[B], F[B];
    for (int l = 0; l < B; ++l) {
      const int64_t n = n0 + l;
      F[l] = (n >= s.s_lo && n < s.s_hi) ? s.force : 0.0f;
      float r = p[0][l];
      for (int i = 1; i < Q; ++i) r += p[i][l];
      rho[l] = r;
      j0[l] = (p[1][l] + p[4][l] + p[5][l] + p[6][l] + p[7][l]) - (p[10][l] + p[13][l] + p[14][l] + p[15][l] + p[16][l]) +
              0.5f * F[l];
      j1[l] = (p[2][l] + p[4][l] - p[5][l] + p[8][l] + p[9][l]) - (p[11][l] + p[13][l] - p[14][l] + p[17][l] + p[18][l]);
      j2[l] = (p[3][l] + p[6][l] - p[7][l] + p[8][l] - p[9][l]) - (p[12][l] + p[15][l] - p[16][l] + p[17][l] - p[18][l]);
    }
    if (n0 < s.s_hi && n0 + B > s.s_lo) {
      for (int l = 0; l < B; ++l) {
        const int64_t n = n0 + l;
        if (n >= s.s_lo && n < s.s_hi) acc += j0[l];
      }
    }
    for (int l = 0; l < B; ++l) g[n0 + l] = p[0][l] - s.wp * (p[0][l] - w0 * rho[l]);
    // One opposite pair (i, i + 9) with weight w, e_i . j = eu, e_i . F = ef * F.
    auto pair = [&](int i, float w, const float* eu, float ef) {
      float* gi = g + i * mp + n0;
      float* go = g + (i + 9) * mp + n0;
      for (int l = 0; l < B; ++l) {
        const float a = p[i][l], b = p[i + 9][l];
        const float dp = s.wp * (0.5f * (a + b) - w * rho[l]);
        const float dm = s.wm * (0.5f * (a - b) - 3.0f * w * eu[l]);
        const float src = s.src_scale * w * ef * F[l];
        gi[l] = a - dp - dm + src;
        go[l] = b - dp + dm - src;
      }
    };
    alignas(64) float e4[B], e5[B], e6[B], e7[B], e8[B], e9[B];
    for (int l = 0; l < B; ++l) {
      e4[l] = j0[l] + j1[l];
      e5[l] = j0[l] - j1[l];
      e6[l] = j0[l] + j2[l];
      e7[l] = j0[l] - j2[l];
      e8[l] = j1[l] + j2[l];
      e9[l] = j1[l] - j2[l];
    }
    pair(1, w1, j0, 1);
    pair(2, w1, j1, 0);
    pair(3, w1, j2, 0);
    pair(4, w2, e4, 1);
    pair(5, w2, e5, 1);
    pair(6, w2, e6, 1);
    pair(7, w2, e7, 1);
    pair(8, w2, e8, 0);
    pair(9, w2, e9, 0);
  }
  return acc;
}

// One stream + collide step from L.f into L.g (then swapped); when `measure`, returns the momentum along the axis
// summed over the sample's nodes [s_lo, s_hi).
double step(Lattice& L, double wp, double wm, double force, int64_t s_lo, int64_t s_hi, bool measure) {
  LbmStep st;
  st.f = L.f.data();
  st.g = L.g.data();
  st.src = L.src.data();
  st.mp = L.mp;
  st.wp = static_cast<float>(wp);
  st.wm = static_cast<float>(wm);
  st.force = static_cast<float>(force);
  // Guo forcing for the linear TRT: source (1 - wm/2) * 3 w_i e_i.F, momentum j = sum f e + F/2.
  st.src_scale = static_cast<float>((1.0 - wm / 2.0) * 3.0);
  st.s_lo = s_lo;
  st.s_hi = s_hi;
  const int64_t block = 1 << 12;  // a multiple of kLbmBlock
  std::vector<double> part(static_cast<size_t>(transport::num_blocks(L.mp, block)), 0.0);
  transport::for_blocks(L.mp, block, [&](int64_t blk, int64_t lo, int64_t hi) { part[blk] = lbm_step_body(st, lo, hi); });
  L.f.swap(L.g);
  return measure ? transport::ordered_sum(part) : 0.0;
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
