// Parameter structs of every op, computed once by the TypeScript op declarations (src/core/params.ts mirrors
// this file field by field; test/params-mirror.test.ts checks it). Every field is 4 bytes (int32 or float) so
// the same bytes are a C++ struct, a CUDA struct, a WGSL uniform and a JS ArrayBuffer.
#pragma once
#include <cstdint>

namespace mr {

constexpr int kMaxRank = 6;      // strided copy / broadcast ops
constexpr int kMaxConcat = 16;   // inputs of one concat / outputs of one split

// Convolution in forward orientation: x [N, Cin, inD, inH, inW] * w [Cout, Cin/groups, kD, kH, kW] -> y
// [N, Cout, outD, outH, outW]. conv1d/2d use size-1 leading axes. convTranspose is conv_backward_data of the
// conv whose "input" is the transposed conv's output.
struct ConvParams {
  int32_t N, Cin, Cout, groups;
  int32_t inD, inH, inW;
  int32_t outD, outH, outW;
  int32_t kD, kH, kW;
  int32_t strideD, strideH, strideW;
  int32_t padD, padH, padW;
  int32_t dilD, dilH, dilW;
  int32_t hasBias;
};

// Nearest (PyTorch 'nearest': src = floor(dst * in / out)) or (tri)linear resampling of x [N, C, D, H, W].
struct UpsampleParams {
  int32_t N, C;
  int32_t inD, inH, inW;
  int32_t outD, outH, outW;
  int32_t mode;          // 0 nearest, 1 linear
  int32_t alignCorners;  // linear only
};

// Normalisation of x [N, C, S]: statistics per (n, c) for instance norm, per c for batch norm.
struct NormParams {
  int32_t N, C, S;
  int32_t mode;       // 0 instance, 1 batch
  int32_t hasAffine;  // gamma [C], beta [C]
  float eps;
};

enum UnaryKind : int32_t {
  kRelu = 0, kLeakyRelu = 1, kSigmoid = 2, kTanh = 3, kExp = 4, kLog = 5, kAbs = 6,
  kSquare = 7, kSqrt = 8, kNeg = 9, kAffine = 10,  // affine: alpha * x + beta
  kUnaryKindCount = 11,
};
struct UnaryParams {
  int32_t n, kind;
  float alpha, beta;  // leaky slope in alpha; affine scale/shift
};

// kStep: 1 where a > b, 1/2 where a == b, 0 where a < b (NaN propagates): the gradient mask of maximum/minimum,
// ties split evenly as PyTorch does
enum BinaryKind : int32_t { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3, kMax = 4, kMin = 5, kStep = 6, kBinaryKindCount = 7 };
// y[i] = a[sum idx_k * aStrides_k] (op) b[sum idx_k * bStrides_k]; stride 0 broadcasts.
struct BinaryParams {
  int32_t kind, rank;
  int32_t shape[kMaxRank];
  int32_t aStrides[kMaxRank];
  int32_t bStrides[kMaxRank];
};

enum ReduceKind : int32_t { kSum = 0, kMean = 1, kMaxR = 2, kReduceKindCount = 3 };
// x viewed as [outer, reduce, inner] -> y [outer, inner]. Global pooling: (N*C, S, 1); channel mean/max: (N, C, S).
struct ReduceParams {
  int32_t outer, reduce, inner, kind;
};

// Softmax over the middle axis of x viewed as [outer, C, inner] (channels of NC... tensors).
struct SoftmaxParams {
  int32_t outer, C, inner;
};

// C[M, N] = op(A) op(B) + bias[N]; op(A) is [M, K] (A stored [K, M] when transA), op(B) is [K, N] (B stored
// [N, K] when transB). linear: A = x [M, in], B = W [out, in] with transB.
struct GemmParams {
  int32_t M, N, K;
  int32_t transA, transB, hasBias;
};

// Concat of n inputs [outer, sizes[i], inner] along the middle axis; split is its inverse.
struct ConcatParams {
  int32_t outer, inner, n;
  int32_t sizes[kMaxConcat];
};

// y[i] = x[offset + sum idx_k * strides_k] over y's shape: permute, slice, crop, broadcast (stride 0).
// Backward scatters (adds) dy into a zeroed dx of `inSize` elements.
struct StridedParams {
  int32_t rank, offset, inSize;
  int32_t shape[kMaxRank];
  int32_t strides[kMaxRank];
};

static_assert(sizeof(ConvParams) == 23 * 4, "ConvParams must stay 4-byte fields only");
static_assert(sizeof(UpsampleParams) == 10 * 4, "UpsampleParams layout");
static_assert(sizeof(NormParams) == 6 * 4, "NormParams layout");
static_assert(sizeof(UnaryParams) == 4 * 4, "UnaryParams layout");
static_assert(sizeof(BinaryParams) == (2 + 3 * kMaxRank) * 4, "BinaryParams layout");
static_assert(sizeof(ReduceParams) == 4 * 4, "ReduceParams layout");
static_assert(sizeof(SoftmaxParams) == 3 * 4, "SoftmaxParams layout");
static_assert(sizeof(GemmParams) == 6 * 4, "GemmParams layout");
static_assert(sizeof(ConcatParams) == (3 + kMaxConcat) * 4, "ConcatParams layout");
static_assert(sizeof(StridedParams) == (3 + 2 * kMaxRank) * 4, "StridedParams layout");

}  // namespace mr
