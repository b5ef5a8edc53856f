// y[i] = x[offset + Σ idx_k·strides_k] over y's row-major shape (permute, slice, crop, broadcast), and its
// gradient: dx (zeroed) += dy through the same mapping. Axes are collapsed first (size-1 axes dropped,
// neighbours merged where the mapping is contiguous across them). The copy walks y in parallel chunks with a
// memcpy / fill / strided inner loop; a transpose (last axis strided, another axis contiguous in x) goes by
// 32 x 32 tiles so that x and y are both read and written in cache-line runs. The scatter is parallel when the non-zero-stride axes provably never
// map two indices to one element: each thread then owns whole targets and sums the zero-stride (broadcast)
// axes into each in double. Other mappings (overlapping windows) are scattered serially.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../core/params.h"
#include "../core/parallel.h"
#include "kernels.h"

namespace mr::cpu {
namespace {

constexpr int64_t kGrain = 32768;

struct Map {
  int rank = 0;
  int64_t shape[kMaxRank], stride[kMaxRank];
};

Status check(const KernelArgs& a, const StridedParams& p, const char* in_name, const char* out_name, bool scatter,
             int64_t* ny) {
  if (p.rank < 0 || p.rank > kMaxRank) return InvalidArgument("strided: rank " + std::to_string(p.rank) + " is not in [0, 6]");
  if (p.offset < 0 || p.inSize < 0) return InvalidArgument("strided: offset and inSize must be >= 0");
  int64_t n = 1, last = p.offset;
  for (int k = 0; k < p.rank; ++k) {
    if (p.shape[k] < 0 || p.strides[k] < 0)
      return InvalidArgument("strided: axis " + std::to_string(k) + " has a negative size or stride");
    if (p.shape[k] > 0 && n > (int64_t(1) << 62) / p.shape[k]) return InvalidArgument("strided: y is too large");
    n *= p.shape[k];
    // Each term is < 2^62; once past any int32 inSize the sum stops growing, so it cannot overflow.
    if (p.shape[k] > 0 && last < (int64_t(1) << 32)) last += int64_t(p.shape[k] - 1) * p.strides[k];
  }
  const int64_t x_size = scatter ? a.out_size[0] : a.in_size[0], y_size = scatter ? a.in_size[0] : a.out_size[0];
  MR_RETURN_IF_ERROR(expect_size(in_name, x_size, p.inSize));
  MR_RETURN_IF_ERROR(expect_size(out_name, y_size, n));
  if (n > 0 && last >= p.inSize)
    return InvalidArgument("strided: the mapping reaches element " + std::to_string(last) + " of an input of " +
                           std::to_string(p.inSize) + " elements");
  *ny = n;
  return Status::Ok();
}

// Drops size-1 axes; merges axis k into the previous one when stride[k-1] == stride[k] * shape[k].
Map collapse(const StridedParams& p) {
  Map m;
  for (int k = 0; k < p.rank; ++k) {
    if (p.shape[k] == 1) continue;
    if (m.rank > 0 && m.stride[m.rank - 1] == int64_t(p.strides[k]) * p.shape[k]) {
      m.shape[m.rank - 1] *= p.shape[k];
      m.stride[m.rank - 1] = p.strides[k];
    } else {
      m.shape[m.rank] = p.shape[k];
      m.stride[m.rank] = p.strides[k];
      ++m.rank;
    }
  }
  return m;
}

// Calls run(pos, src, count, stride) for the runs along the last axis covering y's elements [lo, hi).
template <typename Run>
void walk(const Map& m, int64_t offset, int64_t lo, int64_t hi, Run run) {
  if (m.rank == 0) {
    if (lo < hi) run(lo, offset, hi - lo, 0);
    return;
  }
  const int r = m.rank;
  int64_t idx[kMaxRank], rem = lo, src = offset;
  for (int k = r - 1; k >= 0; --k) {
    idx[k] = rem % m.shape[k];
    rem /= m.shape[k];
    src += idx[k] * m.stride[k];
  }
  for (int64_t pos = lo; pos < hi;) {
    const int64_t cnt = std::min(m.shape[r - 1] - idx[r - 1], hi - pos);
    run(pos, src, cnt, m.stride[r - 1]);
    pos += cnt;
    idx[r - 1] += cnt;
    src += cnt * m.stride[r - 1];
    for (int k = r - 1; k > 0 && idx[k] == m.shape[k]; --k) {
      src -= idx[k] * m.stride[k];
      idx[k] = 0;
      ++idx[k - 1];
      src += m.stride[k - 1];
    }
  }
}

// Transposes: the last axis has a stride other than 0 and 1 and an earlier axis k has stride 1. Copies
// tiles of (k, last) with y[.. a * ystride_k + b] <-> x[.. a + b * stride_last]; kScatter reverses the
// direction (dx = dy for a permutation, whose targets are distinct). Returns false when it does not apply.
template <bool kScatter>
bool tiled(const Map& m, int64_t offset, const float* src, float* dst) {
  constexpr int64_t T = 32;
  const int r = m.rank, l = r - 1;
  if (r < 2 || m.stride[l] == 0 || m.stride[l] == 1) return false;
  int k = -1;
  for (int d = 0; d < l; ++d)
    if (m.stride[d] == 1) k = d;
  if (k < 0) return false;
  int64_t ys[kMaxRank], n = 1;
  for (int d = r - 1; d >= 0; --d) ys[d] = n, n *= m.shape[d];
  const int64_t tk = (m.shape[k] + T - 1) / T, tl = (m.shape[l] + T - 1) / T;
  const int64_t outer = n / (m.shape[k] * m.shape[l]);
  parallel_for(outer * tk * tl, std::max<int64_t>(1, kGrain / (T * T)), [&](int64_t lo, int64_t hi) {
    for (int64_t it = lo; it < hi; ++it) {
      const int64_t t = it % (tk * tl), a0 = (t / tl) * T, b0 = (t % tl) * T;
      int64_t q = it / (tk * tl), xo = offset, yo = 0;
      for (int d = r - 1; d >= 0; --d) {
        if (d == k || d == l) continue;
        const int64_t i = q % m.shape[d];
        q /= m.shape[d];
        xo += i * m.stride[d], yo += i * ys[d];
      }
      const int64_t na = std::min(T, m.shape[k] - a0), nb = std::min(T, m.shape[l] - b0), sl = m.stride[l];
      for (int64_t a = a0; a < a0 + na; ++a) {
        const int64_t xa = xo + a, ya = yo + a * ys[k];
        for (int64_t b = b0; b < b0 + nb; ++b) {
          if (kScatter) dst[xa + b * sl] = src[ya + b];
          else dst[ya + b] = src[xa + b * sl];
        }
      }
    }
  });
  return true;
}

// True when the axes with non-zero strides map distinct indices to distinct elements: sorted by stride, each
// stride exceeds the largest offset reachable with the smaller ones.
bool injective_nonzero(const Map& m) {
  int64_t st[kMaxRank], sh[kMaxRank];
  int n = 0;
  for (int k = 0; k < m.rank; ++k)
    if (m.stride[k] != 0) st[n] = m.stride[k], sh[n] = m.shape[k], ++n;
  for (int i = 1; i < n; ++i)  // insertion sort by stride
    for (int j = i; j > 0 && st[j] < st[j - 1]; --j) std::swap(st[j], st[j - 1]), std::swap(sh[j], sh[j - 1]);
  int64_t reach = 0;
  for (int i = 0; i < n; ++i) {
    if (st[i] <= reach) return false;
    reach += (sh[i] - 1) * st[i];
  }
  return true;
}

}  // namespace

Status strided_copy(const KernelArgs& a) {
  const auto& p = params_of<StridedParams>(a);
  int64_t n = 0;
  MR_RETURN_IF_ERROR(check(a, p, "strided_copy: x", "strided_copy: y", false, &n));
  const Map m = collapse(p);
  const float* x = a.in[0];
  float* y = a.out[0];
  if (n == 0 || tiled<false>(m, p.offset, x, y)) return Status::Ok();
  parallel_for(n, kGrain, [&](int64_t lo, int64_t hi) {
    walk(m, p.offset, lo, hi, [&](int64_t pos, int64_t src, int64_t cnt, int64_t st) {
      if (st == 1) std::memcpy(y + pos, x + src, size_t(cnt) * sizeof(float));
      else if (st == 0) std::fill(y + pos, y + pos + cnt, x[src]);
      else for (int64_t i = 0; i < cnt; ++i) y[pos + i] = x[src + i * st];
    });
  });
  return Status::Ok();
}

Status strided_scatter_add(const KernelArgs& a) {
  const auto& p = params_of<StridedParams>(a);
  int64_t n = 0;
  MR_RETURN_IF_ERROR(check(a, p, "strided_scatter_add: dx", "strided_scatter_add: dy", true, &n));
  const Map m = collapse(p);
  const float* dy = a.in[0];
  float* dx = a.out[0];
  parallel_for(p.inSize, kGrain, [&](int64_t lo, int64_t hi) { std::fill(dx + lo, dx + hi, 0.0f); });
  if (n == 0) return Status::Ok();
  if (!injective_nonzero(m)) {  // targets may repeat across any axes: serial, in y order
    walk(m, p.offset, 0, n, [&](int64_t pos, int64_t src, int64_t cnt, int64_t st) {
      for (int64_t i = 0; i < cnt; ++i) dx[src + i * st] += dy[pos + i];
    });
    return Status::Ok();
  }
  // Split y's axes into target axes T (stride != 0) and broadcast axes B (stride 0). Each target element
  // receives the double sum over B of dy; tasks own disjoint ranges of T's flat index.
  int64_t tsh[kMaxRank], tst[kMaxRank], tys[kMaxRank], bsh[kMaxRank], bys[kMaxRank];
  int nt = 0, nb = 0;
  int64_t ystride = 1, ntarget = 1, nbcast = 1;
  for (int k = m.rank - 1; k >= 0; --k) {
    if (m.stride[k] != 0) tsh[nt] = m.shape[k], tst[nt] = m.stride[k], tys[nt] = ystride, ntarget *= m.shape[k], ++nt;
    else bsh[nb] = m.shape[k], bys[nb] = ystride, nbcast *= m.shape[k], ++nb;
    ystride *= m.shape[k];
  }
  if (nb == 0) {  // a permutation / slice: every dy element has its own target
    if (tiled<true>(m, p.offset, dy, dx)) return Status::Ok();
    parallel_for(n, kGrain, [&](int64_t lo, int64_t hi) {
      walk(m, p.offset, lo, hi, [&](int64_t pos, int64_t src, int64_t cnt, int64_t st) {
        for (int64_t i = 0; i < cnt; ++i) dx[src + i * st] = dy[pos + i];
      });
    });
    return Status::Ok();
  }
  // Axes are listed innermost first; b-index 0 is the innermost broadcast axis.
  parallel_for(ntarget, std::max<int64_t>(1, kGrain / nbcast), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      int64_t rem = t, src = p.offset, ybase = 0;
      for (int k = 0; k < nt; ++k) {
        const int64_t i = rem % tsh[k];
        rem /= tsh[k];
        src += i * tst[k];
        ybase += i * tys[k];
      }
      double acc = 0;
      if (nb == 1) {
        for (int64_t i = 0; i < bsh[0]; ++i) acc += dy[ybase + i * bys[0]];
      } else {
        int64_t bidx[kMaxRank] = {0, 0, 0, 0, 0, 0}, yo = ybase;
        for (int64_t b = 0; b < nbcast; ++b) {
          acc += dy[yo];
          for (int k = 0; k < nb; ++k) {  // odometer, innermost axis first
            yo += bys[k];
            if (++bidx[k] < bsh[k]) break;
            yo -= bidx[k] * bys[k];
            bidx[k] = 0;
          }
        }
      }
      dx[src] = static_cast<float>(acc);
    }
  });
  return Status::Ok();
}

}  // namespace mr::cpu
