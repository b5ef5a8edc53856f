// The directional S2 pair counts with the hardware popcount (compiled with -mavx2, which implies POPCNT).
#define MR_TP_NS avx2
#include "metrics/two_point_kernels.h"
