#include "metrics/transport_multigrid.h"

#include <algorithm>
#include <cmath>

#include "core/cpu_features.h"
#include "core/parallel.h"
#include "metrics/transport_walk.h"

namespace mr {
namespace transport {

bool walk_avx512_usable() {
#if defined(MR_X86) && defined(__GNUC__)
  static const bool ok = active_isa() == Isa::Avx512 && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return ok;
#else
  return false;
#endif
}

void FineGrid::init(const AxisMask& mask) {
  n0 = mask.n0;
  n1 = mask.n1;
  n2 = mask.n2;
  rows = n0 * n1;
  m = mask.m.data();
  zero.assign(static_cast<size_t>(n2 + 1), 0);
  rs.assign(static_cast<size_t>(rows + 1), 0);
  parallel_for(rows, 64, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const uint8_t* row = m + r * n2;
      int64_t c = 0;
      for (int64_t x = 0; x < n2; ++x) c += row[x];
      rs[r + 1] = c;
    }
  });
  for (int64_t r = 0; r < rows; ++r) rs[r + 1] += rs[r];
  n = rs[rows];
  rows_per_block = std::max<int64_t>(1, kBlock / std::max<int64_t>(n2, 1));
}

namespace {

// One row of the fine grid with running indices into the neighbouring rows.
struct Walk {
  const uint8_t *mc, *ym, *yp, *zm, *zp;
  int64_t pc, pym, pyp, pzm, pzp;
  int64_t a, b;
  double dir;  // Dirichlet conductance on the diagonal
  Walk(const FineGrid& g, int64_t r) {
    a = r / g.n1;
    b = r % g.n1;
    const int64_t n2 = g.n2, plane = g.n1 * n2;
    const uint8_t* z = g.zero.data();
    mc = g.m + r * n2;
    pc = g.rs[r];
    ym = b > 0 ? mc - n2 : z;
    pym = b > 0 ? g.rs[r - 1] : 0;
    yp = b + 1 < g.n1 ? mc + n2 : z;
    pyp = b + 1 < g.n1 ? g.rs[r + 1] : 0;
    zm = a > 0 ? mc - plane : z;
    pzm = a > 0 ? g.rs[r - g.n1] : 0;
    zp = a + 1 < g.n0 ? mc + plane : z;
    pzp = a + 1 < g.n0 ? g.rs[r + g.n1] : 0;
    dir = (a == 0 ? 2.0 : 0.0) + (a == g.n0 - 1 ? 2.0 : 0.0);
  }
};

// Calls f(i, x, c, diag, neighbour_sum(v)) for every voxel of row r, conducting (c = 1) or not (c = 0; then i is
// the next conducting voxel's index and diag/sum are meaningless). Branch-free: neighbours are multiplied by their
// 0/1 mask (reads stay inside the padded vector `v`), and the callers store through a pointer chosen by c, because
// a data-dependent branch per voxel (40 % / 60 % in a porous medium) costs more than the arithmetic.
template <typename T, typename F>
inline void walk_row(const FineGrid& g, int64_t r, const T* v, F&& f) {
  Walk w(g, r);
  const int64_t n2 = g.n2;
  uint32_t left = 0;
  auto body = [&](int64_t x, uint32_t c, uint32_t right) {
    const uint32_t a0 = w.ym[x], a1 = w.yp[x], a2 = w.zm[x], a3 = w.zp[x];
    const int64_t i = w.pc;
    const double diag = double(left + right + a0 + a1 + a2 + a3) + w.dir;
    const double s = double(left) * double(v[i - 1]) + double(right) * double(v[i + 1]) +
                     double(a0) * double(v[w.pym]) + double(a1) * double(v[w.pyp]) +
                     double(a2) * double(v[w.pzm]) + double(a3) * double(v[w.pzp]);
    f(i, x, c, diag, s);
    w.pc += c;
    w.pym += a0;
    w.pyp += a1;
    w.pzm += a2;
    w.pzp += a3;
    left = c;
  };
  for (int64_t x = 0; x + 1 < n2; ++x) body(x, w.mc[x], w.mc[x + 1]);
  body(n2 - 1, w.mc[n2 - 1], 0);
}

template <typename F>
double reduce_rows(const FineGrid& g, F&& per_row) {
  const int64_t nb = g.row_blocks();
  std::vector<double> part(static_cast<size_t>(nb), 0.0);
  for_blocks(g.rows, g.rows_per_block, [&](int64_t blk, int64_t lo, int64_t hi) {
    double s = 0;
    for (int64_t r = lo; r < hi; ++r)
      if (g.rs[r + 1] > g.rs[r]) s += per_row(r);
    part[blk] = s;
  });
  return ordered_sum(part);
}

}  // namespace

double fine_matvec_dot(const FineGrid& g, const float* p, double* q) {
#if defined(MR_X86)
  if (walk_avx512_usable()) {
    std::vector<double> part(static_cast<size_t>(g.row_blocks()), 0.0);
    for_blocks(g.rows, g.rows_per_block, [&](int64_t blk, int64_t lo, int64_t hi) {
      part[blk] = avx512::matvec_rows(g, lo, hi, p, q);
    });
    return ordered_sum(part);
  }
#endif
  return reduce_rows(g, [&](int64_t r) {
    double s = 0;
    double dummy;
    walk_row(g, r, p, [&](int64_t i, int64_t, uint32_t c, double diag, double nb) {
      const double v = diag * double(p[i]) - nb;
      *(c ? &q[i] : &dummy) = v;
      s += double(c) * (double(p[i]) * v);
    });
    return s;
  });
}

double fine_residual(const FineGrid& g, const double* x, double* res) {
  return reduce_rows(g, [&](int64_t r) {
    double s = 0;
    const double bval = (r / g.n1 == 0) ? 2.0 : 0.0;
    double dummy;
    walk_row(g, r, x, [&](int64_t i, int64_t, uint32_t c, double diag, double nb) {
      const double v = bval - (diag * x[i] - nb);
      *(c ? &res[i] : &dummy) = v;
      s += double(c) * (v * v);
    });
    return s;
  });
}

void fine_inverse_diagonal(const FineGrid& g, float* inv) {
  PaddedVec<float> zeros;  // the walk reads neighbours from a padded vector
  zeros.resize(g.n);
  parallel_for(g.rows, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r)
      if (g.rs[r + 1] > g.rs[r]) {
        float dummy;
        walk_row(g, r, zeros.v, [&](int64_t i, int64_t, uint32_t c, double diag, double) {
          *(c ? &inv[i] : &dummy) = static_cast<float>(1.0 / (diag + (1 - c)));
        });
      }
  });
}

void fine_flux(const FineGrid& g, const double* x, double* flux_in, double* flux_out) {
  double fin = 0, fout = 0;
  for (int64_t r = 0; r < g.n1; ++r)
    for (int64_t i = g.rs[r]; i < g.rs[r + 1]; ++i) fin += 2.0 * (1.0 - x[i]);
  for (int64_t r = g.rows - g.n1; r < g.rows; ++r)
    for (int64_t i = g.rs[r]; i < g.rs[r + 1]; ++i) fout += 2.0 * x[i];
  *flux_in = fin;
  *flux_out = fout;
}

namespace {

void fine_sweep(const FineGrid& g, const double* rhs, float* z, int color) {
#if defined(MR_X86)
  if (walk_avx512_usable()) {
    parallel_for(g.rows, 16, [&](int64_t lo, int64_t hi) { avx512::sweep_rows(g, lo, hi, rhs, z, color); });
    return;
  }
#endif
  parallel_for(g.rows, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      if (g.rs[r + 1] == g.rs[r]) continue;
      const int64_t par = (r / g.n1 + r % g.n1 + color) & 1;
      float dummy;
      walk_row(g, r, z, [&](int64_t i, int64_t x, uint32_t c, double diag, double nb) {
        const bool upd = c & ~uint32_t(x + par) & 1u;
        const double bi = rhs[upd ? i : 0];
        *(upd ? &z[i] : &dummy) = static_cast<float>((bi + nb) / (diag + (1 - c)));
      });
    }
  });
}

// Coarse row (A, B) of level `c` gathers the fine rows (2A + da, 2B + db).
template <typename F>
void for_coarse_rows(int64_t c0, int64_t c1, F&& f) {
  parallel_for(c0 * c1, 8, [&](int64_t lo, int64_t hi) {
    for (int64_t R = lo; R < hi; ++R) f(R / c1, R % c1, R);
  });
}

void fine_restrict(const FineGrid& g, const double* rhs, const float* z, CoarseLevel& c) {
  const bool simd = walk_avx512_usable();
  (void)simd;
  for_coarse_rows(c.n0, c.n1, [&](int64_t A, int64_t B, int64_t R) {
    float* cb = c.b.data() + R * c.n2;
    std::fill(cb, cb + c.n2, 0.0f);
    for (int64_t da = 0; da < 2; ++da)
      for (int64_t db = 0; db < 2; ++db) {
        const int64_t a = 2 * A + da, b = 2 * B + db;
        if (a >= g.n0 || b >= g.n1) continue;
        const int64_t r = a * g.n1 + b;
        if (g.rs[r + 1] == g.rs[r]) continue;
#if defined(MR_X86)
        if (simd) {
          avx512::restrict_row(g, r, rhs, z, cb);
          continue;
        }
#endif
        walk_row(g, r, z, [&](int64_t i, int64_t x, uint32_t c, double diag, double nb) {
          const double bi = rhs[c ? i : 0];
          cb[x >> 1] += static_cast<float>(double(c) * (bi - (diag * double(z[i]) - nb)));
        });
      }
  });
}

void fine_prolong(const FineGrid& g, const CoarseLevel& c, float alpha, float* z) {
#if defined(MR_X86)
  if (walk_avx512_usable()) {
    parallel_for(g.rows, 16, [&](int64_t lo, int64_t hi) { avx512::prolong_rows(g, lo, hi, c, alpha, z); });
    return;
  }
#endif
  parallel_for(g.rows, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      if (g.rs[r + 1] == g.rs[r]) continue;
      const int64_t a = r / g.n1, b = r % g.n1;
      const float* cx = c.x.data() + ((a >> 1) * c.n1 + (b >> 1)) * c.n2;
      const uint8_t* mc = g.m + r * g.n2;
      int64_t i = g.rs[r];
      for (int64_t x = 0; x < g.n2; ++x)
        if (mc[x]) z[i++] += alpha * cx[x >> 1];
    }
  });
}

void coarse_alloc(CoarseLevel& c, int64_t n0, int64_t n1, int64_t n2) {
  c.n0 = n0;
  c.n1 = n1;
  c.n2 = n2;
  const size_t n = static_cast<size_t>(n0 * n1 * n2);
  c.w0.assign(n, 0.0f);
  c.w1.assign(n, 0.0f);
  c.w2.assign(n, 0.0f);
  c.dg.assign(n, 0.0f);
  c.x.assign(n, 0.0f);
  c.b.assign(n, 0.0f);
}

int64_t count_active(const CoarseLevel& c) {
  int64_t k = 0;
  for (float d : c.dg) k += d > 0;
  return k;
}

void build_from_fine(const FineGrid& g, CoarseLevel& c) {
  coarse_alloc(c, (g.n0 + 1) / 2, (g.n1 + 1) / 2, (g.n2 + 1) / 2);
  for_coarse_rows(c.n0, c.n1, [&](int64_t A, int64_t B, int64_t R) {
    float* dg = c.dg.data() + R * c.n2;
    float* w0 = c.w0.data() + R * c.n2;
    float* w1 = c.w1.data() + R * c.n2;
    float* w2 = c.w2.data() + R * c.n2;
    for (int64_t da = 0; da < 2; ++da)
      for (int64_t db = 0; db < 2; ++db) {
        const int64_t a = 2 * A + da, b = 2 * B + db;
        if (a >= g.n0 || b >= g.n1) continue;
        Walk w(g, a * g.n1 + b);
        uint8_t left = 0;
        for (int64_t x = 0; x < g.n2; ++x) {
          const uint8_t cc = w.mc[x];
          if (cc) {
            const uint8_t right = x + 1 < g.n2 ? w.mc[x + 1] : 0;
            const int64_t X = x >> 1;
            float d = static_cast<float>(w.dir);
            if (left && !(x & 1)) d += 1;
            if (right && (x & 1)) d += 1, w2[X] += 1;
            if (w.ym[x] && !(b & 1)) d += 1;
            if (w.yp[x] && (b & 1)) d += 1, w1[X] += 1;
            if (w.zm[x] && !(a & 1)) d += 1;
            if (w.zp[x] && (a & 1)) d += 1, w0[X] += 1;
            dg[X] += d;
          }
          left = cc;
        }
      }
  });
}

void build_from_coarse(const CoarseLevel& f, CoarseLevel& c) {
  coarse_alloc(c, (f.n0 + 1) / 2, (f.n1 + 1) / 2, (f.n2 + 1) / 2);
  for_coarse_rows(c.n0, c.n1, [&](int64_t A, int64_t B, int64_t R) {
    float* dg = c.dg.data() + R * c.n2;
    float* w0 = c.w0.data() + R * c.n2;
    float* w1 = c.w1.data() + R * c.n2;
    float* w2 = c.w2.data() + R * c.n2;
    for (int64_t da = 0; da < 2; ++da)
      for (int64_t db = 0; db < 2; ++db) {
        const int64_t a = 2 * A + da, b = 2 * B + db;
        if (a >= f.n0 || b >= f.n1) continue;
        const int64_t base = (a * f.n1 + b) * f.n2;
        for (int64_t x = 0; x < f.n2; ++x) {
          const int64_t i = base + x;
          if (!(f.dg[i] > 0)) continue;
          const int64_t X = x >> 1;
          float d = f.dg[i];
          if (x & 1) w2[X] += f.w2[i];
          else d -= 2 * f.w2[i];
          if (b & 1) w1[X] += f.w1[i];
          else d -= 2 * f.w1[i];
          if (a & 1) w0[X] += f.w0[i];
          else d -= 2 * f.w0[i];
          dg[X] += d;
        }
      }
  });
}

// Red-black Gauss-Seidel half sweep on a coarse level.
void coarse_sweep(CoarseLevel& c, int color) {
  const int64_t n1 = c.n1, n2 = c.n2, pl = n1 * n2;
  parallel_for(c.n0 * n1, 8, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t a = r / n1, b = r % n1;
      const int64_t start = (a + b + color) & 1;
      const int64_t base = r * n2;
      for (int64_t x = start; x < n2; x += 2) {
        const int64_t i = base + x;
        const float d = c.dg[i];
        if (!(d > 0)) continue;
        float s = c.b[i];
        if (x > 0) s += c.w2[i - 1] * c.x[i - 1];
        if (x + 1 < n2) s += c.w2[i] * c.x[i + 1];
        if (b > 0) s += c.w1[i - n2] * c.x[i - n2];
        if (b + 1 < n1) s += c.w1[i] * c.x[i + n2];
        if (a > 0) s += c.w0[i - pl] * c.x[i - pl];
        if (a + 1 < c.n0) s += c.w0[i] * c.x[i + pl];
        c.x[i] = s / d;
      }
    }
  });
}

void coarse_restrict(const CoarseLevel& f, CoarseLevel& c) {
  const int64_t n1 = f.n1, n2 = f.n2, pl = n1 * n2;
  for_coarse_rows(c.n0, c.n1, [&](int64_t A, int64_t B, int64_t R) {
    float* cb = c.b.data() + R * c.n2;
    std::fill(cb, cb + c.n2, 0.0f);
    for (int64_t da = 0; da < 2; ++da)
      for (int64_t db = 0; db < 2; ++db) {
        const int64_t a = 2 * A + da, b = 2 * B + db;
        if (a >= f.n0 || b >= f.n1) continue;
        const int64_t base = (a * n1 + b) * n2;
        for (int64_t x = 0; x < n2; ++x) {
          const int64_t i = base + x;
          if (!(f.dg[i] > 0)) continue;
          float s = f.b[i] - f.dg[i] * f.x[i];
          if (x > 0) s += f.w2[i - 1] * f.x[i - 1];
          if (x + 1 < n2) s += f.w2[i] * f.x[i + 1];
          if (b > 0) s += f.w1[i - n2] * f.x[i - n2];
          if (b + 1 < n1) s += f.w1[i] * f.x[i + n2];
          if (a > 0) s += f.w0[i - pl] * f.x[i - pl];
          if (a + 1 < f.n0) s += f.w0[i] * f.x[i + pl];
          cb[x >> 1] += s;
        }
      }
  });
}

void coarse_prolong(const CoarseLevel& c, float alpha, CoarseLevel& f) {
  parallel_for(f.n0 * f.n1, 8, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t a = r / f.n1, b = r % f.n1;
      const float* cx = c.x.data() + ((a >> 1) * c.n1 + (b >> 1)) * c.n2;
      const int64_t base = r * f.n2;
      for (int64_t x = 0; x < f.n2; ++x)
        if (f.dg[base + x] > 0) f.x[base + x] += alpha * cx[x >> 1];
    }
  });
}

constexpr int64_t kDenseMax = 512;

}  // namespace

void Multigrid::build(const FineGrid& g, double over_correction, int sweeps) {
  g_ = &g;
  alpha_ = over_correction;
  sweeps_ = sweeps;
  coarse_.clear();
  coarse_.emplace_back();
  build_from_fine(g, coarse_.back());
  coarse_.back().active = count_active(coarse_.back());
  while (coarse_.back().active > kDenseMax) {
    const CoarseLevel& f = coarse_.back();
    if (f.n0 == 1 && f.n1 == 1 && f.n2 == 1) break;
    CoarseLevel c;
    build_from_coarse(f, c);
    c.active = count_active(c);
    coarse_.push_back(std::move(c));
  }
  dense_factor();
}

void Multigrid::dense_factor() {
  const CoarseLevel& c = coarse_.back();
  dense_ids_.clear();
  for (int64_t i = 0; i < c.size(); ++i)
    if (c.dg[i] > 0) dense_ids_.push_back(i);
  const int64_t n = static_cast<int64_t>(dense_ids_.size());
  dense_l_.assign(static_cast<size_t>(n * n), 0.0);
  dense_tmp_.assign(static_cast<size_t>(n), 0.0);
  std::vector<int64_t> pos(static_cast<size_t>(c.size()), -1);
  for (int64_t k = 0; k < n; ++k) pos[dense_ids_[k]] = k;
  const int64_t n1 = c.n1, n2 = c.n2, pl = n1 * n2;
  double* M = dense_l_.data();
  for (int64_t k = 0; k < n; ++k) {
    const int64_t i = dense_ids_[k];
    M[k * n + k] = c.dg[i];
    const int64_t x = i % n2, b = (i / n2) % n1, a = i / pl;
    auto link = [&](int64_t j, float w) {
      if (w != 0 && pos[j] >= 0) {
        M[k * n + pos[j]] = -w;
        M[pos[j] * n + k] = -w;
      }
    };
    if (x + 1 < n2) link(i + 1, c.w2[i]);
    if (b + 1 < n1) link(i + n2, c.w1[i]);
    if (a + 1 < c.n0) link(i + pl, c.w0[i]);
  }
  // In-place Cholesky (lower triangle). A non-positive pivot (a cell without any Dirichlet path, which pruning
  // rules out) is replaced by the diagonal so that the preconditioner stays defined.
  for (int64_t j = 0; j < n; ++j) {
    double d = M[j * n + j];
    for (int64_t k = 0; k < j; ++k) d -= M[j * n + k] * M[j * n + k];
    d = d > 1e-12 * M[j * n + j] && d > 0 ? std::sqrt(d) : std::sqrt(std::max(M[j * n + j], 1.0));
    M[j * n + j] = d;
    for (int64_t i = j + 1; i < n; ++i) {
      double s = M[i * n + j];
      for (int64_t k = 0; k < j; ++k) s -= M[i * n + k] * M[j * n + k];
      M[i * n + j] = s / d;
    }
  }
}

void Multigrid::dense_solve() {
  CoarseLevel& c = coarse_.back();
  const int64_t n = static_cast<int64_t>(dense_ids_.size());
  const double* L = dense_l_.data();
  double* y = dense_tmp_.data();
  for (int64_t i = 0; i < n; ++i) {
    double s = c.b[dense_ids_[i]];
    for (int64_t k = 0; k < i; ++k) s -= L[i * n + k] * y[k];
    y[i] = s / L[i * n + i];
  }
  for (int64_t i = n - 1; i >= 0; --i) {
    double s = y[i];
    for (int64_t k = i + 1; k < n; ++k) s -= L[k * n + i] * y[k];
    y[i] = s / L[i * n + i];
  }
  std::fill(c.x.begin(), c.x.end(), 0.0f);
  for (int64_t i = 0; i < n; ++i) c.x[dense_ids_[i]] = static_cast<float>(y[i]);
}

void Multigrid::cycle(size_t k) {
  if (k + 1 == coarse_.size()) {
    dense_solve();
    return;
  }
  CoarseLevel& c = coarse_[k];
  std::fill(c.x.begin(), c.x.end(), 0.0f);
  for (int s = 0; s < sweeps_; ++s) coarse_sweep(c, 0), coarse_sweep(c, 1);
  coarse_restrict(c, coarse_[k + 1]);
  cycle(k + 1);
  coarse_prolong(coarse_[k + 1], static_cast<float>(alpha_), c);
  for (int s = 0; s < sweeps_; ++s) coarse_sweep(c, 1), coarse_sweep(c, 0);
}

void Multigrid::apply(const double* r, float* z) {
  const FineGrid& g = *g_;
  std::fill(z, z + g.n, 0.0f);
  for (int s = 0; s < sweeps_; ++s) fine_sweep(g, r, z, 0), fine_sweep(g, r, z, 1);
  fine_restrict(g, r, z, coarse_[0]);
  cycle(0);
  fine_prolong(g, coarse_[0], static_cast<float>(alpha_), z);
  for (int s = 0; s < sweeps_; ++s) fine_sweep(g, r, z, 1), fine_sweep(g, r, z, 0);
}

}  // namespace transport
}  // namespace mr
