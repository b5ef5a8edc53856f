// Anisotropy of a phase: the mean-intercept-length fabric tensor from its marching-cubes surface, and correlation
// lengths from the directional S2.
//
// Intercepts: a line of direction w crosses a triangle of area a and unit normal n with density a |w . n| per
// unit of line length and volume, so the intercept density of the whole surface along w is
// P(w) = sum_t a_t |w . n_t| / V exactly (an infinitely dense family of parallel test lines). Counting voxel-face
// crossings instead would only see the three face counts (a staircase cannot tell a fibre along (1,1,0) from one
// along (1,-1,0)); the marching-cubes facets can.
// MIL(w) = 1 / P(w). The MIL ellipsoid 1 / MIL(w)^2 = w^T M w is fitted by least squares over directions spread
// evenly on the half sphere (half circle in 2D), M is eigen-decomposed by Jacobi rotations, and the principal
// MILs are 1 / sqrt(m_i); DA = 1 - MIL_min / MIL_max = 1 - sqrt(m_min / m_max).
#include <algorithm>
#include <cmath>

#include "metrics/mc_tables.h"
#include "metrics/stats.h"

namespace mr {
namespace stats {

namespace {

// Symmetric eigenproblem by cyclic Jacobi rotations: a (n x n, destroyed) -> values, vectors as columns of v.
void jacobi(double a[3][3], int n, double values[3], double v[3][3]) {
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) v[i][j] = i == j;
  for (int sweep = 0; sweep < 64; ++sweep) {
    double off = 0;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) off += a[i][j] * a[i][j];
    if (off < 1e-30) break;
    for (int pp = 0; pp < n; ++pp)
      for (int q = pp + 1; q < n; ++q) {
        if (std::fabs(a[pp][q]) < 1e-300) continue;
        const double theta = (a[q][q] - a[pp][pp]) / (2 * a[pp][q]);
        const double t = (theta >= 0 ? 1 : -1) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; ++k) {  // columns p, q
          const double akp = a[k][pp], akq = a[k][q];
          a[k][pp] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; ++k) {  // rows p, q
          const double apk = a[pp][k], aqk = a[q][k];
          a[pp][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (int k = 0; k < n; ++k) {
          const double vkp = v[k][pp], vkq = v[k][q];
          v[k][pp] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
  }
  for (int i = 0; i < n; ++i) values[i] = a[i][i];
}

// Least squares: rows x (m unknowns) -> solution of the normal equations by Gaussian elimination.
bool solve_normal(const std::vector<std::array<double, 6>>& rows, const std::vector<double>& rhs, int m,
                  double* sol) {
  double A[6][7] = {};
  for (size_t r = 0; r < rows.size(); ++r)
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < m; ++j) A[i][j] += rows[r][i] * rows[r][j];
      A[i][m] += rows[r][i] * rhs[r];
    }
  for (int c = 0; c < m; ++c) {
    int piv = c;
    for (int r = c + 1; r < m; ++r)
      if (std::fabs(A[r][c]) > std::fabs(A[piv][c])) piv = r;
    if (std::fabs(A[piv][c]) < 1e-300) return false;
    for (int k = 0; k <= m; ++k) std::swap(A[c][k], A[piv][k]);
    for (int r = 0; r < m; ++r) {
      if (r == c) continue;
      const double f = A[r][c] / A[c][c];
      for (int k = c; k <= m; ++k) A[r][k] -= f * A[c][k];
    }
  }
  for (int i = 0; i < m; ++i) sol[i] = A[i][m] / A[i][i];
  return true;
}

}  // namespace

Status mil_fabric(const Surface& s, Grid g, int directions, Fabric* out) {
  *out = Fabric{};
  const bool two_d = g.is2d();
  const MeshCase* table = two_d ? ms_cases() : mc_cases();
  const int64_t cells = two_d ? (g.ny - 1) * (g.nx - 1) : (g.nz - 1) * (g.ny - 1) * (g.nx - 1);
  if (int64_t(s.cases.size()) != (two_d ? 16 : 256)) return InvalidArgument("mil_fabric: no case histogram");
  std::vector<std::array<double, 4>> vecs;  // area vector and count
  for (size_t c = 0; c < s.cases.size(); ++c)
    if (s.cases[c])
      for (int t = 0; t < table[c].parts; ++t)
        vecs.push_back({table[c].vec[t][0], table[c].vec[t][1], table[c].vec[t][2], double(s.cases[c])});
  if (vecs.empty() || cells <= 0) return Status::Ok();
  directions = std::max(directions, two_d ? 36 : 64);
  out->directions = directions;
  const int m = two_d ? 3 : 6;
  std::vector<std::array<double, 6>> rows;
  std::vector<double> rhs;
  const double golden = 3.14159265358979323846 * (3 - std::sqrt(5.0));
  for (int i = 0; i < directions; ++i) {
    double w[3];
    if (two_d) {
      const double a = 3.14159265358979323846 * (i + 0.5) / directions;
      w[0] = std::cos(a), w[1] = std::sin(a), w[2] = 0;
    } else {  // Fibonacci points on the upper half sphere
      const double z = 1 - (i + 0.5) / directions, r = std::sqrt(1 - z * z);
      w[0] = r * std::cos(golden * i), w[1] = r * std::sin(golden * i), w[2] = z;
    }
    double density = 0;
    for (auto& v : vecs) density += v[3] * std::fabs(w[0] * v[0] + w[1] * v[1] + w[2] * v[2]);
    density /= double(cells);
    out->sampled.push_back(density > 0 ? 1 / density : -1);
    if (two_d) rows.push_back({w[0] * w[0], w[1] * w[1], 2 * w[0] * w[1], 0, 0, 0});
    else
      rows.push_back({w[0] * w[0], w[1] * w[1], w[2] * w[2], 2 * w[0] * w[1], 2 * w[0] * w[2], 2 * w[1] * w[2]});
    rhs.push_back(density * density);
  }
  double sol[6];
  if (!solve_normal(rows, rhs, m, sol)) return Status::Ok();
  double M[3][3] = {};
  if (two_d) {
    M[0][0] = sol[0], M[1][1] = sol[1], M[0][1] = M[1][0] = sol[2];
  } else {
    M[0][0] = sol[0], M[1][1] = sol[1], M[2][2] = sol[2];
    M[0][1] = M[1][0] = sol[3], M[0][2] = M[2][0] = sol[4], M[1][2] = M[2][1] = sol[5];
  }
  const int n = two_d ? 2 : 3;
  double val[3] = {0, 0, 0}, vec[3][3];
  jacobi(M, n, val, vec);
  int order[3] = {0, 1, 2};
  for (int i = 1; i < n; ++i)  // ascending m = descending MIL
    for (int j = i; j > 0 && val[order[j]] < val[order[j - 1]]; --j) std::swap(order[j], order[j - 1]);
  for (int i = 0; i < n; ++i) {
    const int k = order[i];
    out->mil[i] = val[k] > 0 ? 1 / std::sqrt(val[k]) : -1;
    double d[3] = {vec[0][k], vec[1][k], vec[2][k]};
    // Sign convention: the largest component positive.
    int big = 0;
    for (int j = 1; j < 3; ++j)
      if (std::fabs(d[j]) > std::fabs(d[big])) big = j;
    const double sg = d[big] < 0 ? -1 : 1;
    out->axes[i] = {sg * d[0], sg * d[1], sg * d[2]};
  }
  const double mmin = val[order[0]], mmax = val[order[n - 1]];
  if (mmax <= 0) return Status::Ok();
  out->degree = 1 - std::sqrt(std::max(mmin, 0.0) / mmax);
  out->defined = true;
  return Status::Ok();
}

double correlation_length(const std::vector<double>& s2, double phi) {
  if (!(phi > 0 && phi < 1) || s2.empty()) return -1;
  const double target = std::exp(-1.0), var = phi - phi * phi;
  double prev = (s2[0] - phi * phi) / var;
  for (size_t r = 1; r < s2.size(); ++r) {
    const double f = (s2[r] - phi * phi) / var;
    if (f < target) return double(r - 1) + (prev - target) / (prev - f);
    prev = f;
  }
  return -1;
}

}  // namespace stats
}  // namespace mr
