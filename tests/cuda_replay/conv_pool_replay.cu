// Replays the CUDA convolution and pooling kernels on the host, without a GPU, against naive float64
// references: every index the kernels compute (im2col gathers, the transposed-conv gather of dx, split
// reductions, pooling windows, argmaxes) is exercised by the very code the GPU runs.
//
// How: the kernels are built from __host__ __device__ pieces (cuda/implicit_gemm.cuh's block phases,
// the operands and epilogues of cuda/conv2d.cu, the element bodies of cuda/pooling.cu). This program
// includes those sources and runs each GEMM block thread by thread, phase by phase (what the kernel's
// __syncthreads guarantee), with unwritten shared memory poisoned by NaN; the pooling bodies run for
// every element. Only the thin __global__ wrappers and the launchers' grid arithmetic are not replayed.
//
// Build and run (tests/test_cuda_replay.py does it where nvcc exists):
//   nvcc -std=c++17 -Icpp/include -o replay tests/cuda_replay/conv_pool_replay.cu && ./replay
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "../../cuda/conv2d.cu"
#include "../../cuda/pooling.cu"
#include "../../cuda/runtime.cu"

namespace {

using namespace ironnet;
using namespace ironnet::cuda;
namespace engine = ironnet::cuda::implicit_gemm;

int failures = 0;

void expect_close(const char* what, const std::string& where, const std::vector<float>& got,
                  const std::vector<double>& want, double tolerance) {
  double worst = got.size() == want.size() ? 0.0 : INFINITY;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    const double error = std::fabs(got[i] - want[i]);
    worst = std::isnan(got[i]) || std::isnan(want[i]) ? (std::isnan(got[i]) == std::isnan(want[i]) ? worst : INFINITY)
                                                      : std::max(worst, error / (1.0 + std::fabs(want[i])));
  }
  if (!(worst <= tolerance)) {
    ++failures;
    std::printf("FAIL %s %s: largest error %g\n", what, where.c_str(), worst);
  }
}

// The GEMM C = A * B in `splits` depth slices, replayed block by block like implicit_gemm::launch's grid,
// each block's phases in gemm_kernel's order.
template <class A, class B, class Out>
void replay_gemm(const A& a, const B& b, const Out& out, int64_t rows, int64_t cols, int64_t depth, int64_t splits) {
  if (rows == 0 || cols == 0) return;
  const int64_t split_depth = engine::ceil_div(engine::ceil_div(depth, splits), engine::kDepth) * engine::kDepth;
  static engine::Slice slice;
  static engine::Patch acc[engine::kThreads];
  std::vector<engine::ARows<A>> a_rows(engine::kThreads);
  std::vector<engine::Fetched> next(engine::kThreads);
  for (int64_t z = 0; z < splits; ++z)
    for (int64_t bx = 0; bx < engine::ceil_div(rows, engine::kRows); ++bx)
      for (int64_t by = 0; by < engine::ceil_div(cols, engine::kCols); ++by) {
        const engine::Tile tile = engine::tile_of(bx, by, z, depth, split_depth);
        for (int t = 0; t < engine::kThreads; ++t) {
          a_rows[t] = engine::decode_rows(a, tile, rows, t);
          for (auto& row : acc[t]) std::fill(std::begin(row), std::end(row), 0.0f);
          if (tile.k_begin < tile.k_end) next[t] = engine::fetch_slice(a, b, a_rows[t], tile, tile.k_begin, cols, t);
        }
        for (int64_t k0 = tile.k_begin; k0 < tile.k_end; k0 += engine::kDepth) {
          for (auto& row : slice.a) std::fill(std::begin(row), std::end(row), NAN);  // unwritten: poison
          for (auto& row : slice.b) std::fill(std::begin(row), std::end(row), NAN);
          for (int t = 0; t < engine::kThreads; ++t) engine::put_slice(next[t], t, slice);
          for (int t = 0; t < engine::kThreads; ++t) {  // after the first barrier
            if (k0 + engine::kDepth < tile.k_end)
              next[t] = engine::fetch_slice(a, b, a_rows[t], tile, k0 + engine::kDepth, cols, t);
            engine::multiply_slice(slice, t, acc[t]);
          }
        }
        for (int t = 0; t < engine::kThreads; ++t) engine::store_patch(out, tile, rows, cols, z, t, acc[t]);
      }
}

// The slices of a split reduction added in order (sum_slices).
std::vector<float> add_slices(const std::vector<float>& slices, int64_t splits, int64_t len) {
  std::vector<float> out(len, 0.0f);
  for (int64_t i = 0; i < len; ++i)
    for (int64_t z = 0; z < splits; ++z) out[i] += slices[z * len + i];
  return out;
}

std::vector<float> uniform(std::mt19937& gen, int64_t n) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(gen);
  return v;
}

// --- convolution -----------------------------------------------------------------------------------

struct ConvReference {
  std::vector<double> y, dx, dkernel, dbias;
};

// Direct loops in float64 over every (output pixel, tap): y, then the gradients of dy masked by relu(y).
ConvReference conv_reference(const cpu::Conv2dShape& s, const std::vector<float>& x, const std::vector<float>& k,
                             const std::vector<float>& bias, bool relu, const std::vector<float>& dy) {
  ConvReference r{std::vector<double>(s.pixels() * s.c_out), std::vector<double>(x.size()),
                  std::vector<double>(k.size()), std::vector<double>(s.c_out)};
  auto each_tap = [&](auto body) {
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t oh = 0; oh < s.ho; ++oh)
        for (int64_t ow = 0; ow < s.wo; ++ow)
          for (int64_t i = 0; i < s.kh; ++i)
            for (int64_t j = 0; j < s.kw; ++j) {
              const int64_t ih = oh * s.g.stride_h - s.g.pad_top + i * s.g.dilation_h;
              const int64_t iw = ow * s.g.stride_w - s.g.pad_left + j * s.g.dilation_w;
              if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
              body(((n * s.ho + oh) * s.wo + ow) * s.c_out, ((n * s.h + ih) * s.w + iw) * s.c_in,
                   (i * s.kw + j) * s.c_in * s.c_out);
            }
  };
  for (int64_t p = 0; p < s.pixels(); ++p)
    for (int64_t o = 0; o < s.c_out; ++o) r.y[p * s.c_out + o] = bias[o];
  each_tap([&](int64_t y0, int64_t x0, int64_t k0) {
    for (int64_t c = 0; c < s.c_in; ++c)
      for (int64_t o = 0; o < s.c_out; ++o) r.y[y0 + o] += double(x[x0 + c]) * k[k0 + c * s.c_out + o];
  });
  std::vector<double> g(dy.begin(), dy.end());
  for (size_t i = 0; i < g.size(); ++i) {
    if (relu && !(r.y[i] > 0.0)) g[i] = 0.0;
    if (relu) r.y[i] = std::max(r.y[i], 0.0);
  }
  each_tap([&](int64_t y0, int64_t x0, int64_t k0) {
    for (int64_t c = 0; c < s.c_in; ++c)
      for (int64_t o = 0; o < s.c_out; ++o) {
        r.dx[x0 + c] += g[y0 + o] * k[k0 + c * s.c_out + o];
        r.dkernel[k0 + c * s.c_out + o] += g[y0 + o] * x[x0 + c];
      }
  });
  for (int64_t p = 0; p < s.pixels(); ++p)
    for (int64_t o = 0; o < s.c_out; ++o) r.dbias[o] += g[p * s.c_out + o];
  return r;
}

void check_conv(int64_t n, int64_t h, int64_t w, int64_t c_in, int64_t c_out, int64_t kh, int64_t kw,
                Conv2dGeometry geo, bool relu) {
  char buffer[200];
  std::snprintf(buffer, sizeof buffer,
                "x (%ld, %ld, %ld, %ld) kernel %ldx%ld -> %ld stride %ldx%ld dilation %ldx%ld%s", long(n), long(h),
                long(w), long(c_in), long(kh), long(kw), long(c_out), long(geo.stride_h), long(geo.stride_w),
                long(geo.dilation_h), long(geo.dilation_w), relu ? " relu" : "");
  const std::string where = buffer;
  cpu::Conv2dShape s{n, h, w, c_in, kh, kw, c_out, 0, 0, geo};
  s.ho = (h + geo.pad_top + geo.pad_bottom - geo.dilation_h * (kh - 1) - 1) / geo.stride_h + 1;
  s.wo = (w + geo.pad_left + geo.pad_right - geo.dilation_w * (kw - 1) - 1) / geo.stride_w + 1;
  std::mt19937 gen(static_cast<unsigned>(n * 7919 + h * 613 + w * 61 + c_in * 7 + c_out));
  const auto x = uniform(gen, n * h * w * c_in), k = uniform(gen, kh * kw * c_in * c_out), bias = uniform(gen, c_out);
  const auto dy = uniform(gen, s.pixels() * c_out);
  const ConvReference want = conv_reference(s, x, k, bias, relu, dy);

  std::vector<float> y(s.pixels() * c_out, NAN);
  replay_gemm(PatchRows{Patches(s, x.data())}, RowMajor<const float*>{k.data(), c_out},
              BiasRelu{y.data(), bias.data(), c_out, relu}, s.pixels(), c_out, s.taps(), 1);
  expect_close("forward", where, y, want.y, 1e-5);

  const Grad grad{dy.data(), relu ? y.data() : nullptr};
  std::vector<float> dx(x.size(), NAN);
  replay_gemm(GradFields(s, grad), KernelTransposed{k.data(), int32_t(c_in), int32_t(c_out)},
              Slices{dx.data(), c_in, 0}, n * h * w, c_in, kh * kw * c_out, 1);
  expect_close("dx", where, dx, want.dx, 1e-5);

  const int64_t splits = weight_splits(s), len = s.taps() * c_out;
  std::vector<float> slices(splits * len, NAN);
  replay_gemm(PatchColumns{Patches(s, x.data())}, RowMajor<Grad>{grad, c_out}, Slices{slices.data(), c_out, len},
              s.taps(), c_out, s.pixels(), splits);
  // Sums over every output pixel (thousands of terms): float32 rounding reaches ~1e-5 of them.
  expect_close("dkernel", where, add_slices(slices, splits, len), want.dkernel, 1e-4);

  // column_sums: rows of each slice summed by 8 thread rows, then those 8 in order.
  const int64_t bias_slices = bias_splits(s), split_rows = engine::ceil_div(s.pixels(), bias_slices);
  std::vector<float> partial(bias_slices * c_out);
  for (int64_t z = 0; z < bias_slices; ++z)
    for (int64_t col = 0; col < c_out; ++col) {
      const int64_t begin = z * split_rows, end = std::min(s.pixels(), begin + split_rows);
      float total = 0.0f;
      for (int ty = 0; ty < kSumRows; ++ty) {
        float sum = 0.0f;
        for (int64_t r = begin + ty; r < end; r += kSumRows) sum += grad[r * c_out + col];
        total += sum;
      }
      partial[z * c_out + col] = total;
    }
  expect_close("dbias", where, add_slices(partial, bias_slices, c_out), want.dbias, 1e-4);
}

Conv2dGeometry geometry(int64_t stride_h, int64_t stride_w, int64_t dilation_h, int64_t dilation_w, int64_t top,
                        int64_t bottom, int64_t left, int64_t right) {
  Conv2dGeometry g;
  g.stride_h = stride_h, g.stride_w = stride_w, g.dilation_h = dilation_h, g.dilation_w = dilation_w;
  g.pad_top = top, g.pad_bottom = bottom, g.pad_left = left, g.pad_right = right;
  return g;
}

// --- pooling ---------------------------------------------------------------------------------------

void check_pool(int64_t n, int64_t h, int64_t w, int64_t c, int64_t pool_h, int64_t pool_w, int64_t stride_h,
                int64_t stride_w, bool same) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, "x (%ld, %ld, %ld, %ld) pool %ldx%ld stride %ldx%ld %s", long(n), long(h),
                long(w), long(c), long(pool_h), long(pool_w), long(stride_h), long(stride_w), same ? "same" : "valid");
  const std::string where = buffer;
  cpu::Pool2dGeometry g{};
  g.batch = n, g.in_h = h, g.in_w = w, g.channels = c;
  g.pool_h = pool_h, g.pool_w = pool_w, g.stride_h = stride_h, g.stride_w = stride_w;
  auto out = [&](int64_t len, int64_t pool, int64_t stride) {
    return same ? (len + stride - 1) / stride : (len - pool) / stride + 1;
  };
  g.out_h = out(h, pool_h, stride_h), g.out_w = out(w, pool_w, stride_w);
  g.pad_top = same ? std::max<int64_t>((g.out_h - 1) * stride_h + pool_h - h, 0) / 2 : 0;
  g.pad_left = same ? std::max<int64_t>((g.out_w - 1) * stride_w + pool_w - w, 0) / 2 : 0;

  std::mt19937 gen(static_cast<unsigned>(n * 131 + h * 31 + w * 7 + c));
  std::uniform_int_distribution<int> small(-2, 2);
  std::vector<float> x(n * h * w * c);
  for (float& v : x) v = static_cast<float>(small(gen));  // many ties: the first maximum must win
  x[x.size() / 2] = NAN;                                   // and a NaN wins its windows
  const int64_t outputs = n * g.out_h * g.out_w * c;
  const auto dy = uniform(gen, outputs);

  std::vector<double> max_want(outputs), argmax_want(outputs), avg_want(outputs), max_dx_want(x.size()),
      avg_dx_want(x.size());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oh = 0; oh < g.out_h; ++oh)
      for (int64_t ow = 0; ow < g.out_w; ++ow)
        for (int64_t ch = 0; ch < c; ++ch) {
          const int64_t o = ((b * g.out_h + oh) * g.out_w + ow) * c + ch;
          double best = 0.0, sum = 0.0;
          int64_t at = -1, count = 0;
          for (int64_t ih = oh * stride_h - g.pad_top; ih < oh * stride_h - g.pad_top + pool_h; ++ih)
            for (int64_t iw = ow * stride_w - g.pad_left; iw < ow * stride_w - g.pad_left + pool_w; ++iw) {
              if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
              const double v = x[((b * h + ih) * w + iw) * c + ch];
              if (at < 0 || v > best || std::isnan(v)) best = v, at = ih * w + iw;
              sum += v, ++count;
            }
          max_want[o] = best, argmax_want[o] = double(at), avg_want[o] = sum / double(count);
          max_dx_want[((b * h + at / w) * w + at % w) * c + ch] += dy[o];
          for (int64_t ih = std::max<int64_t>(oh * stride_h - g.pad_top, 0);
               ih < std::min(oh * stride_h - g.pad_top + pool_h, h); ++ih)
            for (int64_t iw = std::max<int64_t>(ow * stride_w - g.pad_left, 0);
                 iw < std::min(ow * stride_w - g.pad_left + pool_w, w); ++iw)
              avg_dx_want[((b * h + ih) * w + iw) * c + ch] += dy[o] / double(count);
        }

  std::vector<float> y(outputs, NAN), argmax_f(outputs), dx(x.size(), NAN);
  std::vector<int32_t> argmax(outputs, -1);
  for (int64_t e = 0; e < outputs; ++e) max_forward_at(g, x.data(), y.data(), argmax.data(), e);
  std::transform(argmax.begin(), argmax.end(), argmax_f.begin(), [](int32_t a) { return float(a); });
  expect_close("max_pool2d", where, y, max_want, 0.0);
  expect_close("max_pool2d argmax", where, argmax_f, argmax_want, 0.0);
  for (int64_t e = 0; e < int64_t(x.size()); ++e) max_backward_at(g, dy.data(), nullptr, argmax.data(), dx.data(), e);
  expect_close("max_pool2d_backward", where, dx, max_dx_want, 1e-6);
  for (int64_t e = 0; e < outputs; ++e) avg_forward_at(g, x.data(), y.data(), e);
  expect_close("avg_pool2d", where, y, avg_want, 1e-6);
  for (int64_t e = 0; e < int64_t(x.size()); ++e) avg_backward_at(g, dy.data(), dx.data(), e);
  expect_close("avg_pool2d_backward", where, dx, avg_dx_want, 1e-6);
}

}  // namespace

int main() {
  // 1x1, 3x3, 5x5 and rectangular kernels; strides 1, 2, 3 (beyond the kernel) and mixed; 'valid',
  // 'same' and lopsided explicit padding; dilation; channels 0, 1, 3, 17, 64, 130 (not multiples of
  // the 64-wide tiles); empty batches; 1x1 images; enough pixels for split weight/bias reductions.
  check_conv(2, 5, 7, 3, 17, 1, 1, geometry(1, 1, 1, 1, 0, 0, 0, 0), false);
  check_conv(5, 9, 8, 17, 3, 1, 1, geometry(2, 2, 1, 1, 0, 0, 0, 0), true);
  check_conv(5, 11, 9, 3, 17, 3, 3, geometry(1, 1, 1, 1, 1, 1, 1, 1), true);
  check_conv(5, 12, 9, 17, 3, 3, 3, geometry(2, 2, 1, 1, 0, 1, 1, 1), false);
  check_conv(2, 9, 10, 1, 17, 3, 3, geometry(2, 2, 1, 1, 0, 0, 0, 0), true);
  check_conv(2, 7, 6, 3, 5, 3, 3, geometry(1, 1, 1, 1, 2, 0, 1, 3), true);
  check_conv(2, 13, 11, 5, 17, 3, 3, geometry(1, 1, 2, 2, 2, 2, 2, 2), false);
  check_conv(1, 15, 14, 3, 7, 3, 3, geometry(2, 1, 2, 3, 1, 2, 3, 0), false);
  check_conv(2, 17, 13, 17, 17, 5, 5, geometry(2, 2, 1, 1, 0, 0, 0, 0), true);
  check_conv(2, 10, 11, 4, 6, 5, 3, geometry(1, 2, 1, 1, 2, 2, 1, 1), false);
  check_conv(2, 11, 11, 3, 5, 2, 2, geometry(3, 3, 1, 1, 0, 0, 0, 0), false);
  check_conv(1, 9, 9, 64, 130, 3, 3, geometry(1, 1, 1, 1, 1, 1, 1, 1), false);
  check_conv(1, 6, 5, 130, 1, 3, 3, geometry(1, 1, 1, 1, 1, 1, 1, 1), true);
  check_conv(5, 1, 1, 17, 3, 1, 1, geometry(1, 1, 1, 1, 0, 0, 0, 0), false);
  check_conv(1, 1, 1, 3, 17, 3, 3, geometry(1, 1, 1, 1, 1, 1, 1, 1), false);
  check_conv(5, 33, 31, 3, 17, 3, 3, geometry(1, 1, 1, 1, 1, 1, 1, 1), true);
  check_conv(0, 5, 5, 3, 4, 3, 3, geometry(1, 1, 1, 1, 1, 1, 1, 1), false);
  check_conv(2, 5, 5, 0, 4, 3, 3, geometry(1, 1, 1, 1, 1, 1, 1, 1), false);
  check_conv(2, 5, 5, 3, 0, 3, 3, geometry(1, 1, 1, 1, 1, 1, 1, 1), false);
  // Pooling: non-overlapping, overlapping (stride < pool) and skipping (stride > pool) windows,
  // non-square pools, 'same' windows clipped on every side, 1x1 images, global windows.
  check_pool(2, 4, 4, 3, 2, 2, 2, 2, false);
  check_pool(1, 7, 9, 17, 2, 2, 2, 2, false);
  check_pool(5, 7, 9, 1, 3, 3, 2, 2, true);
  check_pool(1, 6, 5, 3, 3, 3, 1, 1, false);
  check_pool(2, 5, 6, 17, 3, 2, 1, 1, true);
  check_pool(1, 9, 11, 64, 2, 3, 3, 2, false);
  check_pool(2, 10, 7, 3, 2, 2, 3, 3, false);
  check_pool(1, 5, 5, 3, 4, 4, 3, 3, true);
  check_pool(5, 1, 1, 3, 2, 2, 2, 2, true);
  check_pool(2, 1, 13, 3, 1, 4, 1, 3, true);
  check_pool(3, 14, 14, 5, 14, 14, 1, 1, false);
  std::printf("%s: %d failure(s)\n", failures ? "FAILED" : "ok", failures);
  return failures == 0 ? 0 : 1;
}
