// C[M, N] = op(A) op(B) + bias[N] (GemmParams). Blocked as BLIS does: for each (MC x NC) block of C, a task
// packs KC-deep slices of op(A) into MR-row panels and of op(B) into NR-column panels and runs an MR x NR
// register-tiled micro-kernel over them. Tasks (C blocks) run in parallel; the k order of every element is
// fixed by KC alone, so results do not depend on the thread count. Micro-kernels: portable C++ (4 x 8, plain
// loops the compiler vectorises), AVX2+FMA 6 x 16 (gemm_avx2.cpp) and AVX-512 12 x 32 (gemm_avx512.cpp),
// chosen with active_isa(). Thin products (M or N < 4; < 8 for linear) use dot products instead of tiles.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/params.h"
#include "../core/parallel.h"
#include "kernels.h"

namespace mr::cpu {

#if defined(MR_X86)
// c[i * ldc + j] += Σ_k a[k * MR + i] * b[k * NR + j] over a full MR x NR tile.
void gemm_micro_6x16_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc);
void gemm_micro_12x32_avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc);
#endif

namespace {

using MicroFn = void (*)(int64_t, const float*, const float*, float*, int64_t);

constexpr int64_t kKC = 256;  // depth of a packed slice (fixes the summation order)

template <int MR, int NR>
void micro_portable(int64_t kc, const float* __restrict a, const float* __restrict b, float* __restrict c,
                    int64_t ldc) {
  float acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k) {
    const float* ak = a + k * MR;
    const float* bk = b + k * NR;
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] += ak[i] * bk[j];
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) c[i * ldc + j] += acc[i][j];
}

struct Micro {
  MicroFn fn;
  int64_t mr, nr, mc, nc;  // tile and default block sizes (mc multiple of mr, nc of nr)
};

Micro pick_micro() {
#if defined(MR_X86)
  switch (active_isa()) {
    case Isa::Avx512: return {gemm_micro_12x32_avx512, 12, 32, 144, 512};
    case Isa::Avx2: return {gemm_micro_6x16_avx2, 6, 16, 120, 512};
    default: break;
  }
#endif
  return {micro_portable<4, 8>, 4, 8, 128, 512};
}

struct Operands {
  const float *A, *B, *bias;
  int64_t M, N, K;
  bool ta, tb;
  float a(int64_t i, int64_t k) const { return ta ? A[k * M + i] : A[i * K + k]; }
  float b(int64_t k, int64_t j) const { return tb ? B[j * K + k] : B[k * N + j]; }
};

// Panels of MR rows of op(A)[i0 .. i0+mc, k0 .. k0+kc), k-major, zero-padded to a multiple of MR.
void pack_a(const Operands& o, int64_t i0, int64_t mc, int64_t k0, int64_t kc, int64_t MR, float* dst) {
  for (int64_t p = 0; p < mc; p += MR, dst += kc * MR) {
    const int64_t rows = std::min(MR, mc - p);
    if (o.ta) {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = o.A + (k0 + k) * o.M + i0 + p;
        for (int64_t r = 0; r < rows; ++r) dst[k * MR + r] = src[r];
        for (int64_t r = rows; r < MR; ++r) dst[k * MR + r] = 0.0f;
      }
    } else {
      for (int64_t r = 0; r < rows; ++r) {
        const float* src = o.A + (i0 + p + r) * o.K + k0;
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = src[k];
      }
      for (int64_t r = rows; r < MR; ++r)
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = 0.0f;
    }
  }
}

// Panels of NR columns of op(B)[k0 .. k0+kc, j0 .. j0+nc), k-major, zero-padded to a multiple of NR.
void pack_b(const Operands& o, int64_t j0, int64_t nc, int64_t k0, int64_t kc, int64_t NR, float* dst) {
  for (int64_t q = 0; q < nc; q += NR, dst += kc * NR) {
    const int64_t cols = std::min(NR, nc - q);
    if (!o.tb) {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = o.B + (k0 + k) * o.N + j0 + q;
        for (int64_t c = 0; c < cols; ++c) dst[k * NR + c] = src[c];
        for (int64_t c = cols; c < NR; ++c) dst[k * NR + c] = 0.0f;
      }
    } else {
      for (int64_t c = 0; c < cols; ++c) {
        const float* src = o.B + (j0 + q + c) * o.K + k0;
        for (int64_t k = 0; k < kc; ++k) dst[k * NR + c] = src[k];
      }
      for (int64_t c = cols; c < NR; ++c)
        for (int64_t k = 0; k < kc; ++k) dst[k * NR + c] = 0.0f;
    }
  }
}

// C rows [i0, i0 + mc), columns [j0, j0 + nc) = bias (or 0).
void init_block(const Operands& o, float* C, int64_t i0, int64_t mc, int64_t j0, int64_t nc) {
  for (int64_t i = i0; i < i0 + mc; ++i) {
    float* row = C + i * o.N + j0;
    if (o.bias) std::memcpy(row, o.bias + j0, size_t(nc) * sizeof(float));
    else std::fill(row, row + nc, 0.0f);
  }
}

void gemm_blocked(const Operands& o, float* C) {
  const Micro mk = pick_micro();
  const int64_t MR = mk.mr, NR = mk.nr;
  // Shrink the C blocks (never KC) until there are a few tasks per thread.
  const int64_t threads = std::max(1, num_threads());
  int64_t MC = mk.mc, NC = mk.nc;
  auto tasks = [&] { return ((o.M + MC - 1) / MC) * ((o.N + NC - 1) / NC); };
  while (tasks() < 2 * threads && (NC > 4 * NR || MC > 4 * MR)) {
    if (NC > 4 * NR && (NC >= MC || MC <= 4 * MR)) NC /= 2;
    else MC = (MC / 2 + MR - 1) / MR * MR;
  }
  const int64_t mb = (o.M + MC - 1) / MC, nb = (o.N + NC - 1) / NC, ntasks = mb * nb;
  const int64_t kc_max = std::min(kKC, o.K);
  const int64_t per_thread = MC * kc_max + kc_max * NC + MR * NR + 16;  // + room to align to 64 bytes
  std::vector<float> pool(size_t(threads * per_thread));
  std::atomic<int64_t> next{0};
  parallel_run([&](int tid, int) {
    if (tid >= threads) return;  // the pool grew after `threads` was read: the others take the tasks
    float* base = pool.data() + tid * per_thread;
    base += (16 - (reinterpret_cast<uintptr_t>(base) / sizeof(float)) % 16) % 16;
    float *Ap = base, *Bp = base + MC * kc_max, *tile = Bp + kc_max * NC;
    for (int64_t t; (t = next.fetch_add(1)) < ntasks;) {
      const int64_t i0 = (t / nb) * MC, j0 = (t % nb) * NC;
      const int64_t mc = std::min(MC, o.M - i0), nc = std::min(NC, o.N - j0);
      init_block(o, C, i0, mc, j0, nc);
      for (int64_t k0 = 0; k0 < o.K; k0 += kKC) {
        const int64_t kc = std::min(kKC, o.K - k0);
        pack_a(o, i0, mc, k0, kc, MR, Ap);
        pack_b(o, j0, nc, k0, kc, NR, Bp);
        for (int64_t q = 0; q < nc; q += NR) {
          const int64_t cols = std::min(NR, nc - q);
          for (int64_t p = 0; p < mc; p += MR) {
            const int64_t rows = std::min(MR, mc - p);
            float* c = C + (i0 + p) * o.N + j0 + q;
            if (rows == MR && cols == NR) {
              mk.fn(kc, Ap + p * kc, Bp + q * kc, c, o.N);
            } else {  // edge tile: through a full-size scratch tile
              std::fill(tile, tile + MR * NR, 0.0f);
              mk.fn(kc, Ap + p * kc, Bp + q * kc, tile, NR);
              for (int64_t i = 0; i < rows; ++i)
                for (int64_t j = 0; j < cols; ++j) c[i * o.N + j] += tile[i * NR + j];
            }
          }
        }
      }
    }
  });
}

// Σ_k a[k] b[k] in 8 lanes (vectorisable without reassociation), lanes combined in a fixed order.
float dot8(const float* __restrict a, const float* __restrict b, int64_t K) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= K; k += 8)
    for (int l = 0; l < 8; ++l) s[l] += a[k + l] * b[k + l];
  for (; k < K; ++k) s[k & 7] += a[k] * b[k];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// Thin products (see thin()): every C element is a dot product, no padding to tiles. With both operands
// contiguous along k (linear: A [M, K], B stored [N, K]) the thin side's rows stay in cache while the other
// side's rows stream once; other layouts (only with M or N < 4) use a plain strided loop.
void gemm_thin(const Operands& o, float* C) {
  const int64_t M = o.M, N = o.N, K = o.K;
  const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(K * std::min(M, N), 1));
  auto bias = [&](int64_t j) { return o.bias ? o.bias[j] : 0.0f; };
  if (!o.ta && o.tb) {
    if (M <= N) {
      parallel_for(N, grain, [&](int64_t lo, int64_t hi) {
        for (int64_t j = lo; j < hi; ++j)
          for (int64_t i = 0; i < M; ++i) C[i * N + j] = bias(j) + dot8(o.A + i * K, o.B + j * K, K);
      });
    } else {
      parallel_for(M, grain, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i)
          for (int64_t j = 0; j < N; ++j) C[i * N + j] = bias(j) + dot8(o.A + i * K, o.B + j * K, K);
      });
    }
    return;
  }
  parallel_for(M * N, std::max<int64_t>(1, 65536 / std::max<int64_t>(K, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t i = t / N, j = t % N;
      float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int64_t k = 0; k < K; ++k) s[k & 7] += o.a(i, k) * o.b(k, j);
      C[t] = bias(j) + (((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])));
    }
  });
}

// M or N below 4 (tiles would be mostly padding), or a linear layer with fewer than 8 rows or columns.
bool thin(const Operands& o) { return o.M < 4 || o.N < 4 || (!o.ta && o.tb && (o.M < 8 || o.N < 8)); }

}  // namespace

Status gemm(const KernelArgs& a) {
  const auto& p = params_of<GemmParams>(a);
  if (p.M < 0 || p.N < 0 || p.K < 0)
    return InvalidArgument("gemm: M, N, K = " + std::to_string(p.M) + ", " + std::to_string(p.N) + ", " +
                           std::to_string(p.K) + " must be >= 0");
  if ((p.transA != 0 && p.transA != 1) || (p.transB != 0 && p.transB != 1) || (p.hasBias != 0 && p.hasBias != 1))
    return InvalidArgument("gemm: transA, transB and hasBias must be 0 or 1");
  if (a.n_in != 2 + p.hasBias)
    return InvalidArgument("gemm: got " + std::to_string(a.n_in) + " inputs, expected " + std::to_string(2 + p.hasBias));
  const int64_t M = p.M, N = p.N, K = p.K;
  MR_RETURN_IF_ERROR(expect_size("gemm: A", a.in_size[0], M * K));
  MR_RETURN_IF_ERROR(expect_size("gemm: B", a.in_size[1], K * N));
  if (p.hasBias) MR_RETURN_IF_ERROR(expect_size("gemm: bias", a.in_size[2], N));
  MR_RETURN_IF_ERROR(expect_size("gemm: C", a.out_size[0], M * N));
  if (M == 0 || N == 0) return Status::Ok();
  const Operands o{a.in[0], a.in[1], p.hasBias ? a.in[2] : nullptr, M, N, K, p.transA == 1, p.transB == 1};
  if (thin(o)) gemm_thin(o, a.out[0]);
  else gemm_blocked(o, a.out[0]);
  return Status::Ok();
}

}  // namespace mr::cpu
