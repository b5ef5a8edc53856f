#include "metrics/fft.h"

#include <cmath>
#include <cstring>
#include <utility>

namespace mr {
namespace stats {

namespace {

constexpr double kPi = 3.14159265358979323846;

inline cd mul(cd a, cd b) { return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }
inline cd add(cd a, cd b) { return {a.re + b.re, a.im + b.im}; }
inline cd sub(cd a, cd b) { return {a.re - b.re, a.im - b.im}; }
inline cd scale(cd a, double s) { return {a.re * s, a.im * s}; }
inline cd times_i(cd a, double sign) { return {-sign * a.im, sign * a.re}; }  // a * (sign i)

// In-place DFT of v[0..R) with exponent sign `sg` (-1 forward, +1 inverse).
inline void small_dft(cd* v, int R, double sg, cd* tmp) {
  switch (R) {
    case 2: {
      cd a = v[0], b = v[1];
      v[0] = add(a, b);
      v[1] = sub(a, b);
      return;
    }
    case 3: {
      const double s60 = 0.86602540378443864676;
      cd t = add(v[1], v[2]);
      cd m = sub(v[0], scale(t, 0.5));
      cd d = times_i(sub(v[1], v[2]), sg * s60);
      v[0] = add(v[0], t);
      v[1] = add(m, d);
      v[2] = sub(m, d);
      return;
    }
    case 4: {
      cd t0 = add(v[0], v[2]), t1 = sub(v[0], v[2]);
      cd t2 = add(v[1], v[3]), t3 = times_i(sub(v[1], v[3]), sg);
      v[0] = add(t0, t2);
      v[2] = sub(t0, t2);
      v[1] = add(t1, t3);
      v[3] = sub(t1, t3);
      return;
    }
    case 5: {
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
      return;
    }
    default: {
      for (int k = 0; k < R; ++k) {
        cd s{0, 0};
        for (int j = 0; j < R; ++j) {
          const double a = sg * 2 * kPi * double((int64_t(j) * k) % R) / R;
          s = add(s, mul(v[j], {std::cos(a), std::sin(a)}));
        }
        tmp[k] = s;
      }
      for (int k = 0; k < R; ++k) v[k] = tmp[k];
    }
  }
}

}  // namespace

int64_t Fft::good_size(int64_t n) {
  if (n <= 1) return 1;
  for (int64_t m = n;; ++m) {
    int64_t r = m;
    for (int p : {2, 3, 5})
      while (r % p == 0) r /= p;
    if (r == 1) return m;
  }
}

Fft::Fft(int64_t n) : n_(n) {
  int64_t r = n;
  while (r % 4 == 0) radix_.push_back(4), r /= 4;
  while (r % 2 == 0) radix_.push_back(2), r /= 2;
  for (int p = 3; int64_t(p) * p <= r; p += 2)
    while (r % p == 0) radix_.push_back(p), r /= p;
  if (r > 1) radix_.push_back(static_cast<int>(r));
  int64_t ns = 1;
  for (int R : radix_) {
    tw_offset_.push_back(tw_.size());
    for (int64_t k = 0; k < ns; ++k)
      for (int j = 0; j < R; ++j) {
        const double a = -2 * kPi * double(j * k) / double(ns * R);
        tw_.push_back({std::cos(a), std::sin(a)});
      }
    ns *= R;
  }
}

void Fft::run(cd* data, cd* scratch, bool inverse) const {
  if (n_ <= 1) return;
  const double sg = inverse ? 1.0 : -1.0;
  cd* src = data;
  cd* dst = scratch;
  int64_t ns = 1;
  cd v[64], tmp[64];
  std::vector<cd> big;
  for (size_t st = 0; st < radix_.size(); ++st) {
    const int R = radix_[st];
    cd* vv = v;
    cd* tt = tmp;
    if (R > 64) {
      big.resize(2 * R);
      vv = big.data();
      tt = big.data() + R;
    }
    const int64_t m = n_ / R;
    const cd* tw = tw_.data() + tw_offset_[st];
    for (int64_t j = 0; j < m; ++j) {
      const int64_t k = j % ns;
      const cd* w = tw + k * R;
      vv[0] = src[j];
      for (int r = 1; r < R; ++r) {
        cd t = w[r];
        if (inverse) t.im = -t.im;
        vv[r] = mul(src[j + r * m], t);
      }
      small_dft(vv, R, sg, tt);
      const int64_t d = (j / ns) * ns * R + k;
      for (int r = 0; r < R; ++r) dst[d + r * ns] = vv[r];
    }
    std::swap(src, dst);
    ns *= R;
  }
  if (src != data) std::memcpy(data, src, sizeof(cd) * n_);
}

}  // namespace stats
}  // namespace mr
