// The statistics FFT stages for AVX2/FMA (chosen at run time by Fft::run).
#define MR_FFT_NS avx2
#include "metrics/fft_kernels.h"
