// Pair-counting loops of the directional S2 on bit-packed rows, compiled twice: portable (two_point.cpp) and with
// the hardware popcount (two_point_avx2.cpp). The includer defines MR_TP_NS.
#include <cstdint>

namespace mr {
namespace stats {
namespace MR_TP_NS {

// Number of bits set in a & b over `words` words.
static inline int64_t and_count(const uint64_t* a, const uint64_t* b, int64_t words) {
  int64_t c0 = 0, c1 = 0;
  int64_t w = 0;
  for (; w + 1 < words; w += 2) {
    c0 += __builtin_popcountll(a[w] & b[w]);
    c1 += __builtin_popcountll(a[w + 1] & b[w + 1]);
  }
  if (w < words) c0 += __builtin_popcountll(a[w] & b[w]);
  return c0 + c1;
}

// counts[r] += pairs (i, i + r) along the rows [row0, row1) of `words` words each, r = 0..max_lag.
void pairs_x(const uint64_t* bits, int64_t words, int64_t row0, int64_t row1, int64_t max_lag, int64_t* counts) {
  for (int64_t row = row0; row < row1; ++row) {
    const uint64_t* a = bits + row * words;
    for (int64_t r = 0; r <= max_lag; ++r) {
      const int64_t q = r >> 6;
      const int s = static_cast<int>(r & 63);
      int64_t c = 0;
      if (s == 0) {
        c = and_count(a, a + q, words - q);
      } else {
        for (int64_t w = 0; w + q < words; ++w) {
          uint64_t b = a[w + q] >> s;
          if (w + q + 1 < words) b |= a[w + q + 1] << (64 - s);
          c += __builtin_popcountll(a[w] & b);
        }
      }
      counts[r] += c;
    }
  }
}

// counts[r] += pairs between rows (k, k + r) of each slice in [z0, z1) (axis y), r = 0..max_lag.
void pairs_y(const uint64_t* bits, int64_t ny, int64_t words, int64_t z0, int64_t z1, int64_t max_lag,
             int64_t* counts) {
  for (int64_t z = z0; z < z1; ++z) {
    const uint64_t* s = bits + z * ny * words;
    for (int64_t r = 0; r <= max_lag && r < ny; ++r) counts[r] += and_count(s, s + r * words, (ny - r) * words);
  }
}

// counts[r] += pairs between slices (z, z + r) for z in [z0, z1) (axis z), r = 0..max_lag.
void pairs_z(const uint64_t* bits, int64_t nz, int64_t slice_words, int64_t z0, int64_t z1, int64_t max_lag,
             int64_t* counts) {
  for (int64_t z = z0; z < z1; ++z) {
    const uint64_t* a = bits + z * slice_words;
    for (int64_t r = 0; r <= max_lag && z + r < nz; ++r) counts[r] += and_count(a, a + r * slice_words, slice_words);
  }
}

}  // namespace MR_TP_NS
}  // namespace stats
}  // namespace mr
