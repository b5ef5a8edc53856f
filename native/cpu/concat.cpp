// Concat of n tensors [outer, sizes[i], inner] along the middle axis into [outer, Σ sizes, inner], and split,
// its inverse. Both walk the big tensor's flat index range in parallel chunks and memcpy the contiguous pieces
// (a piece is one input's sizes[i] * inner run within one outer row, or the part of it inside the chunk).
#include <algorithm>
#include <cstring>
#include <string>

#include "../core/params.h"
#include "../core/parallel.h"
#include "kernels.h"

namespace mr::cpu {
namespace {

constexpr int64_t kGrain = 65536;

// Checks the params and buffer sizes; `parts` are the n small tensors (inputs of concat, outputs of split).
Status check(const ConcatParams& p, int nparts, const int64_t* part_sizes, int64_t whole_size, bool split,
             int64_t* row) {
  const char* op = split ? "split" : "concat";
  if (p.n < 1 || p.n > kMaxConcat || p.n != nparts)
    return InvalidArgument(std::string(op) + ": n is " + std::to_string(p.n) + " for " + std::to_string(nparts) +
                           (split ? " outputs" : " inputs"));
  if (p.outer < 0 || p.inner < 0) return InvalidArgument(std::string(op) + ": outer and inner must be >= 0");
  const int64_t big = int64_t(1) << 62, oi = int64_t(p.outer) * p.inner;  // < 2^62
  int64_t total = 0;
  for (int i = 0; i < p.n; ++i) {
    if (p.sizes[i] < 0) return InvalidArgument(std::string(op) + ": sizes[" + std::to_string(i) + "] is negative");
    total += p.sizes[i];  // <= 16 * 2^31
  }
  if (oi > 0 && total > big / oi) return InvalidArgument(std::string(op) + ": tensors are too large");
  for (int i = 0; i < p.n; ++i) {
    const std::string what = std::string(op) + ": " + (split ? "output " : "input ") + std::to_string(i);
    MR_RETURN_IF_ERROR(expect_size(what.c_str(), part_sizes[i], oi * p.sizes[i]));
  }
  MR_RETURN_IF_ERROR(expect_size(split ? "split: input" : "concat: output", whole_size, oi * total));
  *row = total * p.inner;
  return Status::Ok();
}

// Copies between the whole tensor's elements [lo, hi) and the parts (whole -> parts when split).
template <bool kSplit>
void copy_range(const ConcatParams& p, int64_t row, float* whole, float* const* parts, int64_t lo, int64_t hi) {
  int64_t o = lo / row, off = lo % row, seg = 0, begin = 0;  // begin: offset of seg within the row
  while (begin + int64_t(p.sizes[seg]) * p.inner <= off) begin += int64_t(p.sizes[seg++]) * p.inner;
  for (int64_t pos = lo; pos < hi;) {
    const int64_t len = int64_t(p.sizes[seg]) * p.inner, within = off - begin;
    const int64_t cnt = std::min(len - within, hi - pos);
    float* part = parts[seg] + o * len + within;
    if (kSplit) std::memcpy(part, whole + pos, size_t(cnt) * sizeof(float));
    else std::memcpy(whole + pos, part, size_t(cnt) * sizeof(float));
    pos += cnt, off += cnt;
    if (off == row) o += 1, off = 0, seg = 0, begin = 0;
    while (pos < hi && begin + int64_t(p.sizes[seg]) * p.inner <= off) begin += int64_t(p.sizes[seg++]) * p.inner;
  }
}

}  // namespace

Status concat(const KernelArgs& a) {
  const auto& p = params_of<ConcatParams>(a);
  int64_t row = 0;
  MR_RETURN_IF_ERROR(check(p, a.n_in, a.in_size, a.out_size[0], false, &row));
  const int64_t total = row * p.outer;
  float* parts[kMaxConcat];
  for (int i = 0; i < p.n; ++i) parts[i] = const_cast<float*>(a.in[i]);  // read only (kSplit = false)
  parallel_for(total, kGrain, [&](int64_t lo, int64_t hi) { copy_range<false>(p, row, a.out[0], parts, lo, hi); });
  return Status::Ok();
}

Status split(const KernelArgs& a) {
  const auto& p = params_of<ConcatParams>(a);
  int64_t row = 0;
  MR_RETURN_IF_ERROR(check(p, a.n_out, a.out_size, a.in_size[0], true, &row));
  const int64_t total = row * p.outer;
  float* whole = const_cast<float*>(a.in[0]);  // read only (kSplit = true)
  parallel_for(total, kGrain, [&](int64_t lo, int64_t hi) { copy_range<true>(p, row, whole, a.out, lo, hi); });
  return Status::Ok();
}

}  // namespace mr::cpu
