// The GEMM path of the convolution: im2col around the packed GEMM.
//
// Rows of the GEMM are output pixels (M = n * ho * wo), its depth is one receptive field
// (K = kh * kw * c_in) and its columns the output channels; the kernel (kh, kw, c_in, c_out) already
// is the K x c_out matrix. M is cut into chunks, each thread running whole chunks with a
// single-threaded GEMM, so copying and multiplying overlap across cores and chunks stay in cache.
// The im2col rows are never stored: the GEMM gathers them from x as it packs its operand (implicit
// im2col, FieldRows below), so each field is copied once, straight into the packed panels.
//   forward:  y[chunk]   = col[chunk] @ kernel (+ bias, relu while the chunk is hot)
//   backward: dkernel^T += dy[chunk]^T @ col[chunk]   (per-thread partial sums, reduced at the end)
//             dbias     += column sums of dy[chunk]
//             dcol       = dy[chunk] @ kernel^T, scattered back into dx (col2im), in the same pass;
//             only for strided convolutions: at stride 1 conv2d.cpp runs dx as a convolution of dy.
#include <omp.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "ironnet/gemm.h"
#include "kernels/cpu/conv2d_patch.h"
#include "kernels/cpu/conv2d_paths.h"
#include "kernels/cpu/threads.h"
#include "kernels/cpu/workspace.h"

namespace ironnet::cpu::conv2d_detail {
namespace {

// Forward: output pixels per GEMM call. The GEMM packs A in blocks of up to 336 rows (AVX-512), so
// each chunk's fields are gathered once per K block, and its rows of y stay in L2 across K blocks
// and for the bias/relu pass. 336 is a multiple of every ISA's tile height (14, 6, 4).
constexpr int64_t kForwardRows = 336;
// Backward: output pixels per chunk, for ~512 KiB of chunk buffers: the relu-masked dy (rows x c_out)
// and, when dx goes through col2im, the chunk's dcol (rows x K). Rows are a multiple of 42 (AVX-512
// tiles are 14 rows, AVX2 6): few tiles of the dcol GEMM run short.
constexpr int64_t kChunkFloats = 128 * 1024;
constexpr int64_t kRowQuantum = 42;
// Fewer pixels per thread than this and the threads share each chunk's GEMM instead.
constexpr int64_t kMinRowsPerThread = 2 * kRowQuantum;

int64_t backward_rows(const Conv2dShape& s, bool with_dcol) {
  const int64_t widest = std::max<int64_t>(s.c_out, with_dcol ? s.taps() : 1);
  const int64_t rows = std::max<int64_t>(kRowQuantum, kChunkFloats / widest);
  return rows / kRowQuantum * kRowQuantum;
}

// A 1x1 kernel at stride 1 without padding reads each pixel's channels as they are: x itself is the
// im2col matrix, so the copy is skipped.
bool x_is_im2col(const Conv2dShape& s) {
  const Conv2dGeometry& g = s.g;
  return s.kh == 1 && s.kw == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 && g.pad_bottom == 0 &&
         g.pad_left == 0 && g.pad_right == 0;
}

int64_t round16(int64_t floats) { return (floats + 15) / 16 * 16; }  // whole cache lines per buffer

// ---- forward -----------------------------------------------------------------------------------

void bias_relu_rows(int64_t rows, int64_t cols, const float* bias, bool relu, float* y) {
  for (int64_t r = 0; r < rows; ++r, y += cols) {
    if (bias) {
#pragma omp simd
      for (int64_t j = 0; j < cols; ++j) y[j] += bias[j];
    }
    if (relu) {
#pragma omp simd
      for (int64_t j = 0; j < cols; ++j) y[j] = y[j] > 0.0f ? y[j] : 0.0f;
    }
  }
}

// The im2col matrix as a GEMM operand, gathered from x as the GEMM packs it (implicit im2col): its
// rows go straight into the packed panels, with no im2col buffer written and read back in between.
class FieldRows final : public RowSource {
 public:
  FieldRows(const Conv2dShape& s, const float* x) : s_(s), x_(x), gather_(active_conv_kernels().gather_fields) {}
  void copy_rows(int64_t row0, int64_t rows, int64_t col0, int64_t cols, float* out,
                 int64_t out_row_stride) const override {
    gather_(s_, x_, row0, rows, col0, cols, out, out_row_stride);
  }

 private:
  const Conv2dShape& s_;
  const float* x_;
  decltype(IsaConvKernels::gather_fields) gather_;
};

// Output pixels [m0, m1), chunk by chunk (so each chunk's rows of y stay in cache across the GEMM's
// K blocks and the bias/relu pass), each GEMM on gemm_threads threads.
void forward_pixels(const Conv2dShape& s, const float* x, const PackedB& kernel, const float* bias, bool relu,
                    float* y, int64_t m0, int64_t m1, int gemm_threads) {
  const FieldRows fields(s, x);
  const int64_t step = kForwardRows, k = s.taps();
  for (int64_t c0 = m0; c0 < m1; c0 += step) {
    const int64_t rows = std::min(step, m1 - c0);
    GemmArgs args;
    args.m = rows;
    args.n = s.c_out;
    args.k = k;
    if (x_is_im2col(s)) {
      args.a = x + c0 * s.c_in;
      args.a_row_stride = k;
    } else {
      args.a_source = &fields;
      args.a_source_row0 = c0;
    }
    args.c = y + c0 * s.c_out;
    args.ldc = s.c_out;
    gemm(args, kernel, gemm_threads);
    if (bias || relu) bias_relu_rows(rows, s.c_out, bias, relu, args.c);
  }
}

}  // namespace

void gemm_forward(const Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu, float* y,
                  int threads) {
  const int64_t m = s.pixels(), k = s.taps();
  const PackedB packed(kernel, s.c_out, 1, k, s.c_out, active_isa());
  if (threads == 1 || m < threads * kMinRowsPerThread) {  // too few pixels to split: threads share each GEMM
    forward_pixels(s, x, packed, bias, relu, y, 0, m, threads);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t m0, m1;
    block_of(m, t, nt, m0, m1);
    forward_pixels(s, x, packed, bias, relu, y, m0, m1, 1);
  }
}

// ---- backward ----------------------------------------------------------------------------------
namespace {

// What one worker accumulates and where it keeps its chunk buffers.
struct BackwardScratch {
  float* dcol;    // chunk rows x K, for col2im (null when dx is not wanted or x is the im2col matrix)
  float* dy;      // chunk rows x c_out: dy masked by the relu
  float* dkernel; // c_out x K partial sum of dkernel^T (null when dkernel is not wanted)
  double* dbias;  // c_out partial sum (null when dbias is not wanted)
};

void column_sums_add(int64_t rows, int64_t cols, const float* g, double* acc) {
  for (int64_t r = 0; r < rows; ++r, g += cols) {
#pragma omp simd
    for (int64_t j = 0; j < cols; ++j) acc[j] += g[j];
  }
}

// Output pixels [m0, m1) (whole images when dx is wanted, so no other worker touches their dx),
// chunk by chunk. dx must be zero on those images unless x is the im2col matrix (then it is written).
void backward_pixels(const Conv2dShape& s, const float* dy, const float* relu_y, const float* x,
                     const PackedB* kernel_t, float* dx, const BackwardScratch& w, int64_t m0, int64_t m1,
                     int gemm_threads) {
  const FieldRows fields(s, x);
  const int64_t step = backward_rows(s, w.dcol != nullptr), k = s.taps(), co = s.c_out;
  for (int64_t c0 = m0; c0 < m1; c0 += step) {
    const int64_t rows = std::min(step, m1 - c0);
    const float* g = dy + c0 * co;
    if (relu_y) {  // the gradient flows only where the relu let the value through
      const float* y = relu_y + c0 * co;
#pragma omp simd
      for (int64_t i = 0; i < rows * co; ++i) {
        const float v = g[i];
        w.dy[i] = y[i] > 0.0f ? v : 0.0f;
      }
      g = w.dy;
    }
    if (w.dbias) column_sums_add(rows, co, g, w.dbias);
    if (w.dkernel) {
      // dkernel^T (c_out x K) += g^T (c_out x rows) @ col (rows x K). Transposed so that the large
      // operand, col, is the GEMM's B, gathered from x row by row as it is packed (implicit im2col);
      // the transposed operand the GEMM packs element by element is the small one, g.
      GemmArgs args;
      args.m = co;
      args.n = k;
      args.k = rows;
      args.a = g;
      args.a_row_stride = 1;
      args.a_col_stride = co;
      if (x_is_im2col(s)) {
        args.b = x + c0 * s.c_in;
        args.b_row_stride = k;
      } else {
        args.b_source = &fields;
        args.b_source_row0 = c0;
      }
      args.c = w.dkernel;
      args.ldc = k;
      args.beta = 1.0f;
      gemm(args, gemm_threads);
    }
    if (dx) {  // dcol (rows x K) = g (rows x c_out) @ kernel^T, then back into the fields it came from
      const bool direct = x_is_im2col(s);
      GemmArgs args;
      args.m = rows;
      args.n = k;
      args.k = co;
      args.a = g;
      args.a_row_stride = co;
      args.c = direct ? dx + c0 * s.c_in : w.dcol;
      args.ldc = k;
      gemm(args, *kernel_t, gemm_threads);
      if (!direct) {
        Pixel p = pixel_at(s, c0);
        for (int64_t r = 0; r < rows; ++r, advance(s, p)) scatter_field_add(s, w.dcol + r * k, p.n, p.oh, p.ow, dx);
      }
    }
  }
}

}  // namespace

void gemm_backward(const Conv2dShape& s, const float* dy, const float* relu_y, const float* x, const float* kernel,
                   float* dx, float* dkernel, float* dbias, int threads) {
  const int64_t m = s.pixels(), k = s.taps(), co = s.c_out;
  const int64_t per_image = s.ho * s.wo, image_floats = s.h * s.w * s.c_in;
  std::unique_ptr<PackedB> kernel_t;  // B = kernel^T (c_out x K) for dcol = dy @ kernel^T
  if (dx) kernel_t = std::make_unique<PackedB>(kernel, 1, co, co, k, active_isa());
  const bool zero_dx = dx && !x_is_im2col(s);  // col2im adds into dx

  // Workers split whole images when dx is wanted (col2im of neighbouring pixels overlaps), any
  // pixels otherwise; with too little to split, the threads share each chunk's GEMM instead.
  const bool split = threads > 1 && (dx ? s.n >= threads : m >= threads * kMinRowsPerThread);
  const int workers = split ? threads : 1;
  const int64_t rows = backward_rows(s, zero_dx);
  const int64_t col_floats = zero_dx ? round16(rows * k) : 0, dy_floats = relu_y ? round16(rows * co) : 0;
  const int64_t dk_floats = dkernel ? round16(k * co) : 0;
  const int64_t per_worker = col_floats + dy_floats + dk_floats;
  thread_local Workspace workspace;
  float* space = workspace.reserve(static_cast<size_t>(per_worker * workers));
  const int64_t dbias_stride = padded_stride(co, sizeof(double));  // no cache line shared by two workers
  std::vector<double> dbias_sums(dbias ? static_cast<size_t>(dbias_stride * workers) : 0, 0.0);
  auto scratch = [&](int t) {
    float* base = space + t * per_worker;
    return BackwardScratch{zero_dx ? base : nullptr, base + col_floats, dkernel ? base + col_floats + dy_floats : nullptr,
                           dbias ? dbias_sums.data() + t * dbias_stride : nullptr};
  };

  // Every partial starts at zero, also a worker's that the OpenMP runtime might not start.
  for (int t = 0; t < workers; ++t)
    if (dkernel) zero_floats(scratch(t).dkernel, k * co);
  if (!split) {
    const BackwardScratch w = scratch(0);
    if (zero_dx) zero_floats(dx, s.n * image_floats);
    backward_pixels(s, dy, relu_y, x, kernel_t.get(), dx, w, 0, m, threads);
  } else {
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      const BackwardScratch w = scratch(t);
      int64_t m0, m1;
      if (dx) {
        int64_t n0, n1;
        block_of(s.n, t, nt, n0, n1);
        if (zero_dx) zero_floats(dx + n0 * image_floats, (n1 - n0) * image_floats);
        m0 = n0 * per_image;
        m1 = n1 * per_image;
      } else {
        block_of(m, t, nt, m0, m1);
      }
      backward_pixels(s, dy, relu_y, x, kernel_t.get(), dx, w, m0, m1, 1);
    }
  }
  if (dkernel) {  // the workers' partial sums of dkernel^T, added in a fixed order and transposed back
#pragma omp parallel for num_threads(threads_for(k * co * workers, threads)) schedule(static)
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < co; ++j) {
        const float* partial = space + col_floats + dy_floats + j * k + i;
        float sum = partial[0];
        for (int t = 1; t < workers; ++t) sum += partial[t * per_worker];
        dkernel[i * co + j] = sum;
      }
  }
  if (dbias) {
    for (int64_t j = 0; j < co; ++j) {
      double sum = 0.0;
      for (int t = 0; t < workers; ++t) sum += dbias_sums[static_cast<size_t>(t * dbias_stride + j)];
      dbias[j] = static_cast<float>(sum);
    }
  }
}

}  // namespace ironnet::cpu::conv2d_detail
