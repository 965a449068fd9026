// 2-D convolution on the GPU (NHWC, kernel (kh, kw, C_in, C_out)) as three implicit GEMMs on one tile
// engine (implicit_gemm.cuh), none of which builds an im2col matrix in memory:
//   forward  y  (N*Ho*Wo x C_out) = patches of x (N*Ho*Wo x kh*kw*C_in) * kernel (kh*kw*C_in x C_out),
//            bias and relu in the epilogue;
//   dx       dx (N*H*W x C_in)    = dy fields (N*H*W x kh*kw*C_out) * kernel^T (kh*kw*C_out x C_in):
//            input pixel (ih, iw) gets dy[oh, ow] through tap (r, s) when ih = oh*stride - pad + r*dilation,
//            i.e. when ih + pad - r*dilation is a multiple of the stride (the other taps read 0);
//   dkernel  (kh*kw*C_in x C_out) = patches of x^T (kh*kw*C_in x N*Ho*Wo) * dy (N*Ho*Wo x C_out), the
//            long reduction over pixels split into slices summed in order by a second pass;
//   dbias    column sums of dy, also split then summed in order.
// Depth indices follow the kernel's memory order: tap k = (r * kw + s) * C + c.
#include "common.cuh"
#include "implicit_gemm.cuh"
#include "ironnet/cuda/conv2d.h"

namespace ironnet::cuda {
namespace {

using cpu::Conv2dShape;
using implicit_gemm::ceil_div;

// dy as read by the backward: 0 where the forward's relu output (when there is one) was not positive.
struct Grad {
  const float* dy;
  const float* relu_y;  // null: no relu
  __host__ __device__ float operator[](int64_t i) const {
    const float g = dy[i];
    return relu_y == nullptr || relu_y[i] > 0.0f ? g : 0.0f;
  }
};

// Coordinates within one image are int32 (the launchers check that they fit), to spare the registers
// holding each thread's 8 decoded rows; offsets into whole tensors are int64.

// One output pixel's receptive field: where its window starts in x (may be negative: padding).
struct Field {
  int64_t image;  // offset of its image in x: n * H * W * C_in
  int32_t ih0, iw0;
};
// One tap of the kernel: the offset from the window's corner, and the input channel.
struct Tap {
  int32_t dh, dw, c;
};

// Depth index k = (r * kw + s) * channels + c of a kernel's taps, decoded in int32 (the launchers check
// that kh * kw * channels fits): 32-bit divisions are several times cheaper than 64-bit ones on a GPU.
struct TapDecoder {
  int32_t channels, kw, dilation_h, dilation_w;
  TapDecoder(const Conv2dShape& s, int64_t channels_)
      : channels(static_cast<int32_t>(channels_)), kw(static_cast<int32_t>(s.kw)),
        dilation_h(static_cast<int32_t>(s.g.dilation_h)), dilation_w(static_cast<int32_t>(s.g.dilation_w)) {}
  __host__ __device__ Tap operator()(int64_t k) const {
    const int32_t k32 = static_cast<int32_t>(k), rs = k32 / channels;
    return {(rs / kw) * dilation_h, (rs % kw) * dilation_w, k32 % channels};
  }
};

// x seen through the convolution's windows: at(field, tap) = x[n, ih0 + dh, iw0 + dw, c], 0 in padding.
struct Patches {
  const float* x;
  int64_t h, w, c_in, ho, wo, stride_h, stride_w, pad_top, pad_left;
  TapDecoder taps;

  Patches(const Conv2dShape& s, const float* x_)
      : x(x_), h(s.h), w(s.w), c_in(s.c_in), ho(s.ho), wo(s.wo), stride_h(s.g.stride_h), stride_w(s.g.stride_w),
        pad_top(s.g.pad_top), pad_left(s.g.pad_left), taps(s, s.c_in) {}

  __host__ __device__ Field field(int64_t pixel) const {  // pixel = (n * ho + oh) * wo + ow
    const int64_t n = pixel / (ho * wo), rest = pixel % (ho * wo);
    return {n * h * w * c_in, static_cast<int32_t>((rest / wo) * stride_h - pad_top),
            static_cast<int32_t>((rest % wo) * stride_w - pad_left)};
  }
  __host__ __device__ Tap tap(int64_t k) const { return taps(k); }  // k = (r * kw + s) * c_in + c
  __host__ __device__ float at(const Field& f, const Tap& t) const {
    const int64_t ih = f.ih0 + t.dh, iw = f.iw0 + t.dw;  // int32 sums: they fit (padded extents do)
    return ih >= 0 && ih < h && iw >= 0 && iw < w ? x[f.image + (ih * w + iw) * c_in + t.c] : 0.0f;
  }
};

// A of the forward: rows are output pixels, depth the taps.
struct PatchRows {
  Patches p;
  using Row = Field;
  using Step = Tap;
  __host__ __device__ Row row(int64_t r) const { return p.field(r); }
  __host__ __device__ Step step(int64_t k) const { return p.tap(k); }
  __host__ __device__ float load(const Row& r, const Step& k) const { return p.at(r, k); }
};

// A of the weight gradient: the transpose, rows are taps and depth the output pixels.
struct PatchColumns {
  Patches p;
  using Row = Tap;
  using Step = Field;
  __host__ __device__ Row row(int64_t r) const { return p.tap(r); }
  __host__ __device__ Step step(int64_t k) const { return p.field(k); }
  __host__ __device__ float load(const Row& r, const Step& k) const { return p.at(k, r); }
};

// A of dx: rows are input pixels (n, ih, iw), depth the taps (r, s, j) over output channels j; the
// element is dy[n, oh, ow, j] when the tap maps an output pixel onto this input pixel, else 0.
struct GradFields {
  Grad dy;
  int64_t h, w, ho, wo, c_out, pad_top, pad_left;
  int32_t stride_h, stride_w;  // int32: the divisibility tests run per element
  TapDecoder taps;

  GradFields(const Conv2dShape& s, Grad dy_)
      : dy(dy_), h(s.h), w(s.w), ho(s.ho), wo(s.wo), c_out(s.c_out), pad_top(s.g.pad_top), pad_left(s.g.pad_left),
        stride_h(static_cast<int32_t>(s.g.stride_h)), stride_w(static_cast<int32_t>(s.g.stride_w)),
        taps(s, s.c_out) {}

  struct Row {
    int64_t image;   // offset of its image in dy: n * ho * wo * c_out
    int32_t th, tw;  // ih + pad_top, iw + pad_left: the padded coordinates
  };
  using Step = Tap;  // c is the output channel j here
  __host__ __device__ Row row(int64_t pixel) const {  // pixel = (n * h + ih) * w + iw
    const int64_t n = pixel / (h * w), rest = pixel % (h * w);
    return {n * ho * wo * c_out, static_cast<int32_t>(rest / w + pad_top), static_cast<int32_t>(rest % w + pad_left)};
  }
  __host__ __device__ Step step(int64_t k) const { return taps(k); }  // k = (r * kw + s) * c_out + j
  __host__ __device__ float load(const Row& r, const Step& k) const {
    const int32_t a = r.th - k.dh, b = r.tw - k.dw;  // = oh * stride_h, ow * stride_w when the tap hits
    if (a < 0 || b < 0 || a % stride_h != 0 || b % stride_w != 0) return 0.0f;
    const int32_t oh = a / stride_h, ow = b / stride_w;
    return oh < ho && ow < wo ? dy[r.image + (oh * wo + ow) * c_out + k.c] : 0.0f;
  }
};

// B as a row-major matrix with row stride ld (the kernel (taps x C_out), or dy (pixels x C_out)).
template <class Source>
struct RowMajor {
  Source source;
  int64_t ld;
  __host__ __device__ float load(int64_t k, int64_t col) const { return source[k * ld + col]; }
};

// B of dx: kernel^T, B(k = (r * kw + s) * c_out + j, c) = kernel[r, s, c, j] (k in int32, as TapDecoder).
struct KernelTransposed {
  const float* kernel;
  int32_t c_in, c_out;
  __host__ __device__ float load(int64_t k, int64_t c) const {
    const int32_t k32 = static_cast<int32_t>(k), rs = k32 / c_out, j = k32 % c_out;
    return kernel[(static_cast<int64_t>(rs) * c_in + c) * c_out + j];
  }
};

// Epilogues.
struct BiasRelu {  // y[row, col] = [relu](value + bias[col])
  float* y;
  const float* bias;  // may be null
  int64_t ld;
  bool relu;
  __host__ __device__ void store(int64_t, int64_t row, int64_t col, float v) const {
    if (bias != nullptr) v += bias[col];
    y[row * ld + col] = relu ? (v > 0.0f ? v : 0.0f) : v;
  }
};
struct Slices {  // out[split][row, col] = value: slice `split` of a rows x ld workspace (one slice: the result)
  float* out;
  int64_t ld, slice;
  __host__ __device__ void store(int64_t split, int64_t row, int64_t col, float v) const {
    out[split * slice + row * ld + col] = v;
  }
};

// out[i] = sum over z of slices[z * len + i], z in order.
__global__ void sum_slices(const float* __restrict__ slices, int64_t splits, int64_t len, float* __restrict__ out) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < len;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float sum = 0.0f;
    for (int64_t z = 0; z < splits; ++z) sum += slices[z * len + i];
    out[i] = sum;
  }
}

// Column sums of dy (rows x cols), rows cut into slices of split_rows: block (32, 8) sums columns
// blockIdx.x * 32 + threadIdx.x over slice blockIdx.y, thread row ty taking rows begin + ty, + 8, ...
// (a warp reads 32 consecutive columns of one row); the 8 partial sums are then added in ty order.
constexpr int kSumColumns = 32, kSumRows = 8;
__global__ void column_sums(Grad dy, int64_t rows, int64_t cols, int64_t split_rows, float* __restrict__ out) {
  __shared__ float partial[kSumRows][kSumColumns];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t col = static_cast<int64_t>(blockIdx.x) * kSumColumns + tx;
  const int64_t begin = static_cast<int64_t>(blockIdx.y) * split_rows;
  const int64_t end = begin + split_rows < rows ? begin + split_rows : rows;
  float sum = 0.0f;
  if (col < cols)
    for (int64_t r = begin + ty; r < end; r += kSumRows) sum += dy[r * cols + col];
  partial[ty][tx] = sum;
  __syncthreads();
  if (ty == 0 && col < cols) {
    float total = 0.0f;
    for (int i = 0; i < kSumRows; ++i) total += partial[i][tx];
    out[blockIdx.y * cols + col] = total;
  }
}

// Slices of a split reduction: enough blocks for a few waves on a large GPU (2 resident per SM, 132 SMs
// on an H100), each slice at least min_depth deep so that the partial sums stay worth their extra pass, at most 65535 (grid limit).
int64_t split_count(int64_t blocks_per_slice, int64_t depth, int64_t min_depth) {
  constexpr int64_t kTargetBlocks = 512;
  int64_t splits = ceil_div(kTargetBlocks, blocks_per_slice);
  splits = splits < depth / min_depth ? splits : depth / min_depth;
  return splits < 1 ? 1 : (splits > 65535 ? 65535 : splits);
}

int64_t weight_splits(const Conv2dShape& s) {
  const int64_t tiles = ceil_div(s.taps(), implicit_gemm::kRows) * ceil_div(s.c_out, implicit_gemm::kCols);
  return split_count(tiles < 1 ? 1 : tiles, s.pixels(), 1024);
}

int64_t bias_splits(const Conv2dShape& s) {
  const int64_t blocks = ceil_div(s.c_out, kSumColumns);
  return split_count(blocks < 1 ? 1 : blocks, s.pixels(), 1024);
}

// The int32 arithmetic above: coordinates within a padded image (kernel spans and strides included) and
// tap indices over either channel count below 2^31.
void check_coordinates(const Conv2dShape& s, const char* op) {
  constexpr int64_t kMax = INT32_MAX;
  const int64_t span_h = s.g.dilation_h * (s.kh - 1) + 1, span_w = s.g.dilation_w * (s.kw - 1) + 1;
  const int64_t channels = s.c_in > s.c_out ? s.c_in : s.c_out;
  if (s.h + s.g.pad_top + s.g.pad_bottom + span_h + s.g.stride_h > kMax ||
      s.w + s.g.pad_left + s.g.pad_right + span_w + s.g.stride_w > kMax || s.kh * s.kw * channels > kMax)
    fail<ValueError>(op, ": x (", s.n, ", ", s.h, ", ", s.w, ", ", s.c_in, ") with a ", s.kh, "x", s.kw, " kernel to ",
                     s.c_out, " channels is too large (coordinates within an image must fit in int32)");
}

// Adds the slices of workspace into out (len floats) when there is more than one.
void reduce_slices(const float* workspace, int64_t splits, int64_t len, float* out, const char* op, int device) {
  if (splits == 1 || len == 0) return;
  constexpr int kThreads = 256;
  DeviceGuard guard(device);
  launch_kernel(sum_slices, grid_for(len, kThreads), kThreads, 0, stream(device), workspace, splits, len, out);
  check_launch(op);
}

}  // namespace

void conv2d_forward(const Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu, float* y,
                    int device) {
  check_coordinates(s, "conv2d on cuda");
  implicit_gemm::launch(PatchRows{Patches(s, x)}, RowMajor<const float*>{kernel, s.c_out},
                        BiasRelu{y, bias, s.c_out, relu}, s.pixels(), s.c_out, s.taps(), 1, "conv2d on cuda", device);
}

void conv2d_backward_data(const Conv2dShape& s, const float* dy, const float* relu_y, const float* kernel, float* dx,
                          int device) {
  check_coordinates(s, "conv2d_backward (dx) on cuda");
  implicit_gemm::launch(GradFields(s, Grad{dy, relu_y}),
                        KernelTransposed{kernel, static_cast<int32_t>(s.c_in), static_cast<int32_t>(s.c_out)},
                        Slices{dx, s.c_in, 0}, s.n * s.h * s.w, s.c_in, s.kh * s.kw * s.c_out, 1,
                        "conv2d_backward (dx) on cuda", device);
}

int64_t conv2d_backward_weight_workspace(const Conv2dShape& s) {
  const int64_t splits = weight_splits(s);
  return splits == 1 ? 0 : splits * s.taps() * s.c_out;
}

void conv2d_backward_weight(const Conv2dShape& s, const float* dy, const float* relu_y, const float* x,
                            float* dkernel, float* workspace, int device) {
  constexpr const char* op = "conv2d_backward (dkernel) on cuda";
  check_coordinates(s, op);
  const int64_t splits = weight_splits(s), len = s.taps() * s.c_out;
  float* slices = splits == 1 ? dkernel : workspace;
  implicit_gemm::launch(PatchColumns{Patches(s, x)}, RowMajor<Grad>{Grad{dy, relu_y}, s.c_out},
                        Slices{slices, s.c_out, len}, s.taps(), s.c_out, s.pixels(), splits, op, device);
  reduce_slices(workspace, splits, len, dkernel, op, device);
}

int64_t conv2d_backward_bias_workspace(const Conv2dShape& s) {
  const int64_t splits = bias_splits(s);
  return splits == 1 ? 0 : splits * s.c_out;
}

void conv2d_backward_bias(const Conv2dShape& s, const float* dy, const float* relu_y, float* dbias, float* workspace,
                          int device) {
  constexpr const char* op = "conv2d_backward (dbias) on cuda";
  if (s.c_out == 0) return;
  const int64_t splits = bias_splits(s), rows = s.pixels();
  float* slices = splits == 1 ? dbias : workspace;
  DeviceGuard guard(device);
  const dim3 grid(static_cast<unsigned>(ceil_div(s.c_out, kSumColumns)), static_cast<unsigned>(splits));
  launch_kernel(column_sums, grid, dim3(kSumColumns, kSumRows), 0, stream(device), Grad{dy, relu_y}, rows, s.c_out,
      ceil_div(rows, splits), slices);
  check_launch(op);
  reduce_slices(workspace, splits, s.c_out, dbias, op, device);
}

}  // namespace ironnet::cuda
