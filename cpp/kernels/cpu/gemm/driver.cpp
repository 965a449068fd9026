// Threaded GEMM driver: chooses the ISA kernel, splits C among threads, hands each thread its own
// packing workspace, and handles the degenerate cases (empty C, k == 0, alpha == 0).
#include <omp.h>

#include <cstring>

#include "ironnet/errors.h"
#include "ironnet/gemm.h"
#include "ironnet/parallel.h"
#include "ironnet/storage.h"
#include "kernels/cpu/gemm/blocked.h"
#include "kernels/cpu/workspace.h"

namespace ironnet::cpu {
namespace {

using gemm_detail::GemmKernel;
using gemm_detail::round_up;

const GemmKernel& kernel_for(CpuIsa isa) {
#if defined(IRONNET_HAVE_X86_KERNELS)
  if (isa == CpuIsa::Avx512) return gemm_detail::avx512_kernel();
  if (isa == CpuIsa::Avx2) return gemm_detail::avx2_kernel();
#endif
  (void)isa;
  return gemm_detail::portable_kernel();
}

// C = beta * C (the whole answer when k == 0 or alpha == 0); beta == 0 writes zeros without reading.
void scale_c(const GemmArgs& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    float* row = g.c + i * g.ldc;
    if (g.beta == 0.0f)
      std::memset(row, 0, static_cast<size_t>(g.n) * sizeof(float));
    else if (g.beta != 1.0f)
      for (int64_t j = 0; j < g.n; ++j) row[j] *= g.beta;
  }
}

// Below this many multiply-adds a second thread costs more (wake-up, duplicate packing) than it saves.
// Measured at 64^3 (~2.6 us on one thread): two threads took 1.9 to 4.3 us from run to run.
constexpr double kMinFmasPerThread = 64.0 * 64.0 * 64.0;

// How C is cut among threads: a tm x tn grid of rectangles whose edges fall on microtile bounds.
struct Partition {
  int tm = 1, tn = 1;
};

// Picks the grid that minimizes the busiest thread's work: its microtiles (compute, in FMAs) plus
// the packing it repeats because it does not share panels with the other threads.
Partition choose_partition(const GemmArgs& g, const GemmKernel& kern, int threads) {
  const int64_t mb = (g.m + kern.mr - 1) / kern.mr, nb = (g.n + kern.nr - 1) / kern.nr;
  constexpr double kPackCostPerElement = 6.0;  // in FMA-equivalents: packing is load/store bound
  Partition best;
  double best_cost = -1.0;
  for (int tm = 1; tm <= threads; ++tm) {
    if (threads % tm) continue;
    const int tn = threads / tm;
    const double rows = static_cast<double>((mb + tm - 1) / tm) * kern.mr;
    const double cols = static_cast<double>((nb + tn - 1) / tn) * kern.nr;
    const double col_blocks = (cols + kern.nc - 1) / kern.nc;  // A is packed again for each
    const double cost = rows * cols * g.k + kPackCostPerElement * g.k * (rows * col_blocks + cols);
    if (best_cost < 0 || cost < best_cost) {
      best_cost = cost;
      best = Partition{tm, tn};
    }
  }
  return best;
}

int choose_threads(const GemmArgs& g, const GemmKernel& kern, int requested) {
  int threads = requested > 0 ? requested : get_num_threads();
  if (omp_in_parallel()) return 1;  // already inside someone's parallel region: stay serial
  const double fmas = static_cast<double>(g.m) * g.n * g.k;
  const int64_t tiles = ((g.m + kern.mr - 1) / kern.mr) * ((g.n + kern.nr - 1) / kern.nr);
  while (threads > 1 && (fmas / threads < kMinFmasPerThread || tiles < threads)) --threads;
  return threads;
}

// Thread t's share [begin, end) of `blocks` blocks of size `block`, clipped to `total` elements.
void share(int64_t blocks, int parts, int t, int64_t block, int64_t total, int64_t* begin, int64_t* end) {
  *begin = std::min(total, blocks * t / parts * block);
  *end = std::min(total, blocks * (t + 1) / parts * block);
}

// Runs C = alpha A B + beta C on `kern`, B packed here or (prepacked != null) ahead of time.
void run_gemm(const GemmArgs& g, const GemmKernel& kern, int num_threads, const float* prepacked) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0 || g.alpha == 0.0f) {
    scale_c(g);
    return;
  }
  const int threads = choose_threads(g, kern, num_threads);
  const Partition part = choose_partition(g, kern, threads);

  // Per-thread A and B panels, sized for the largest share and rounded to whole cache lines.
  const int64_t mb = (g.m + kern.mr - 1) / kern.mr, nb = (g.n + kern.nr - 1) / kern.nr;
  const int64_t kc = std::min(kern.kc, g.k);
  const int64_t mc = std::min(kern.mc, round_up((mb + part.tm - 1) / part.tm * kern.mr, kern.mr));
  const int64_t nc = std::min(round_up(kern.nc, kern.nr), (nb + part.tn - 1) / part.tn * kern.nr);
  const size_t a_floats = static_cast<size_t>(round_up(mc * kern.a_stride, 16));
  const size_t b_floats =
      prepacked ? 0 : static_cast<size_t>(nc / kern.nr * gemm_detail::b_panel_stride(kern.nr, kc));
  thread_local Workspace workspace;  // packing space for all `threads` workers
  float* space = workspace.reserve((a_floats + b_floats) * static_cast<size_t>(threads));

  auto run_share = [&](int t) {
    const int ti = t / part.tn, tj = t % part.tn;
    int64_t r0, r1, c0, c1;
    share(mb, part.tm, ti, kern.mr, g.m, &r0, &r1);
    share(nb, part.tn, tj, kern.nr, g.n, &c0, &c1);
    if (r0 >= r1 || c0 >= c1) return;
    GemmArgs sub = g;
    sub.m = r1 - r0;
    sub.n = c1 - c0;
    sub.a = g.a + r0 * g.a_row_stride;
    sub.a_source_row0 = g.a_source_row0 + r0;
    sub.b = g.b + c0 * g.b_col_stride;
    sub.b_source_col0 = g.b_source_col0 + c0;
    sub.c = g.c + r0 * g.ldc + c0;
    gemm_detail::PrepackedB pre;
    if (prepacked) {
      pre.data = prepacked;
      pre.block_stride = gemm_detail::packed_b_block_floats(kern.nr, g.k, kern.kc, g.n);
      pre.first_panel = c0 / kern.nr;  // shares start on panel boundaries
    }
    float* mine = space + static_cast<size_t>(t) * (a_floats + b_floats);
    kern.run(sub, mine, mine + a_floats, pre);
  };

  if (threads == 1) {
    run_share(0);
  } else {
#pragma omp parallel num_threads(threads)
    {
      // The runtime may grant fewer threads than asked for: the ones we get cover every share.
      for (int t = omp_get_thread_num(); t < threads; t += omp_get_num_threads()) run_share(t);
    }
  }
}

}  // namespace

void gemm(const GemmArgs& g, int num_threads, CpuIsa isa) { run_gemm(g, kernel_for(isa), num_threads, nullptr); }

PackedB::PackedB(const float* b, int64_t row_stride, int64_t col_stride, int64_t k, int64_t n, CpuIsa isa)
    : k_(k), n_(n), isa_(isa), data_(nullptr) {
  const GemmKernel& kern = kernel_for(isa);
  const int64_t k_blocks = k == 0 ? 0 : (k + kern.kc - 1) / kern.kc;
  const int64_t floats = k_blocks * gemm_detail::packed_b_block_floats(kern.nr, k, kern.kc, n);
  data_ = static_cast<float*>(aligned_host_alloc(static_cast<size_t>(floats) * sizeof(float)));
  if (k > 0 && n > 0) kern.pack_b_all(b, row_stride, col_stride, k, n, data_);
}

PackedB::~PackedB() { aligned_host_free(data_); }

void gemm(const GemmArgs& g, const PackedB& b, int num_threads) {
  if (g.k != b.k() || g.n != b.n())
    fail<ValueError>("gemm: prepacked B is ", b.k(), "x", b.n(), " but the product needs ", g.k, "x", g.n);
  run_gemm(g, kernel_for(b.isa()), num_threads, b.data());
}

void gemm(const GemmArgs& args, int num_threads) { gemm(args, num_threads, active_isa()); }

}  // namespace ironnet::cpu
