// The Stockham stages of the statistics FFT, compiled twice: portable (fft.cpp) and for AVX2/FMA
// (fft_avx2.cpp). The includer defines MR_FFT_NS.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "metrics/fft.h"

namespace mr {
namespace stats {
namespace MR_FFT_NS {

namespace {

constexpr double kPi = 3.14159265358979323846;

inline cd mul(cd a, cd b) { return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }
inline cd add(cd a, cd b) { return {a.re + b.re, a.im + b.im}; }
inline cd sub(cd a, cd b) { return {a.re - b.re, a.im - b.im}; }
inline cd scale(cd a, double s) { return {a.re * s, a.im * s}; }
inline cd times_i(cd a, double sign) { return {-sign * a.im, sign * a.re}; }  // a * (sign i)

// In-place DFT of v[0..R) with exponent sign `sg` (-1 forward, +1 inverse).
template <int R>
inline void dft(cd* v, double sg) {
  if constexpr (R == 2) {
    cd a = v[0], b = v[1];
    v[0] = add(a, b);
    v[1] = sub(a, b);
  } else if constexpr (R == 3) {
    const double s60 = 0.86602540378443864676;
    cd t = add(v[1], v[2]);
    cd m = sub(v[0], scale(t, 0.5));
    cd d = times_i(sub(v[1], v[2]), sg * s60);
    v[0] = add(v[0], t);
    v[1] = add(m, d);
    v[2] = sub(m, d);
  } else if constexpr (R == 4) {
    cd t0 = add(v[0], v[2]), t1 = sub(v[0], v[2]);
    cd t2 = add(v[1], v[3]), t3 = times_i(sub(v[1], v[3]), sg);
    v[0] = add(t0, t2);
    v[2] = sub(t0, t2);
    v[1] = add(t1, t3);
    v[3] = sub(t1, t3);
  } else if constexpr (R == 5) {
    const double c1 = 0.30901699437494742410, c2 = -0.80901699437494742410;
    const double s1 = 0.95105651629515357212, s2 = 0.58778525229247312917;
    cd t1 = add(v[1], v[4]), t2 = add(v[2], v[3]);
    cd d1 = sub(v[1], v[4]), d2 = sub(v[2], v[3]);
    cd a1 = add(v[0], add(scale(t1, c1), scale(t2, c2)));
    cd a2 = add(v[0], add(scale(t1, c2), scale(t2, c1)));
    cd b1 = times_i(add(scale(d1, s1), scale(d2, s2)), sg);
    cd b2 = times_i(sub(scale(d1, s2), scale(d2, s1)), sg);
    v[0] = add(v[0], add(t1, t2));
    v[1] = add(a1, b1);
    v[4] = sub(a1, b1);
    v[2] = add(a2, b2);
    v[3] = sub(a2, b2);
  }
}

// One Stockham stage of radix R (Ns = product of the radices before): transform j = q Ns + k reads its R inputs at
// stride n / R, twiddles them by w^(r k), and writes them at (q Ns R + k) + r Ns. Every element is `batch` wide.
template <int R>
void stage(const cd* src, cd* dst, int64_t n, int64_t ns, int64_t batch, const cd* tw, bool inverse) {
  const double sg = inverse ? 1.0 : -1.0;
  const int64_t m = n / R;
  for (int64_t q = 0; q < m / ns; ++q)
    for (int64_t k = 0; k < ns; ++k) {
      const int64_t j = q * ns + k, d = q * ns * R + k;
      cd w[R];
      for (int r = 0; r < R; ++r) w[r] = {tw[k * R + r].re, inverse ? -tw[k * R + r].im : tw[k * R + r].im};
      const cd* in = src + j * batch;
      cd* out = dst + d * batch;
      if (k == 0) {
        for (int64_t b = 0; b < batch; ++b) {
          cd v[R];
          for (int r = 0; r < R; ++r) v[r] = in[r * m * batch + b];
          dft<R>(v, sg);
          for (int r = 0; r < R; ++r) out[r * ns * batch + b] = v[r];
        }
      } else {
        for (int64_t b = 0; b < batch; ++b) {
          cd v[R];
          v[0] = in[b];
          for (int r = 1; r < R; ++r) v[r] = mul(in[r * m * batch + b], w[r]);
          dft<R>(v, sg);
          for (int r = 0; r < R; ++r) out[r * ns * batch + b] = v[r];
        }
      }
    }
}

// Any other radix: a plain DFT per transform.
void stage_generic(const cd* src, cd* dst, int64_t n, int64_t ns, int64_t batch, int R, const cd* tw,
                   bool inverse) {
  const double sg = inverse ? 1.0 : -1.0;
  const int64_t m = n / R;
  std::vector<cd> v(R), o(R), root(R);
  for (int r = 0; r < R; ++r) root[r] = {std::cos(2 * kPi * r / R), sg * std::sin(2 * kPi * r / R)};
  for (int64_t j = 0; j < m; ++j) {
    const int64_t k = j % ns, d = (j / ns) * ns * R + k;
    for (int64_t b = 0; b < batch; ++b) {
      for (int r = 0; r < R; ++r) {
        cd t = tw[k * R + r];
        if (inverse) t.im = -t.im;
        v[r] = mul(src[(j + r * m) * batch + b], t);
      }
      for (int f = 0; f < R; ++f) {
        cd s{0, 0};
        for (int r = 0; r < R; ++r) s = add(s, mul(v[r], root[(int64_t(r) * f) % R]));
        o[f] = s;
      }
      for (int r = 0; r < R; ++r) dst[(d + r * ns) * batch + b] = o[r];
    }
  }
}

}  // namespace

void fft_run(int64_t n, const std::vector<int>& radix, const std::vector<size_t>& tw_offset, const cd* tw_all,
             cd* data, int64_t batch, cd* scratch, bool inverse) {
  cd* src = data;
  cd* dst = scratch;
  int64_t ns = 1;
  for (size_t st = 0; st < radix.size(); ++st) {
    const int R = radix[st];
    const cd* tw = tw_all + tw_offset[st];
    switch (R) {
      case 2: stage<2>(src, dst, n, ns, batch, tw, inverse); break;
      case 3: stage<3>(src, dst, n, ns, batch, tw, inverse); break;
      case 4: stage<4>(src, dst, n, ns, batch, tw, inverse); break;
      case 5: stage<5>(src, dst, n, ns, batch, tw, inverse); break;
      default: stage_generic(src, dst, n, ns, batch, R, tw, inverse);
    }
    std::swap(src, dst);
    ns *= R;
  }
  if (src != data) std::memcpy(data, src, sizeof(cd) * n * batch);
}

}  // namespace MR_FFT_NS
}  // namespace stats
}  // namespace mr
