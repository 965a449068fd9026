#include "kernels/cpu/recurrent_packing.h"

namespace ironnet::cpu::rnn_detail {

RecurrentPacks pack_recurrent_slices(const RnnShape& s, const float* recurrent_kernel, const UnitSlices& slices,
                                     bool transposed, CpuIsa isa, int threads) {
  const int64_t H = s.units, kH = rnn_gate_count(s.cell) * H;
  RecurrentPacks packs;
  packs.groups = gate_groups(s.cell, transposed);
  packs.pieces.resize(static_cast<size_t>(slices.count * packs.groups));
  // Each piece is packed by the thread that will use it most (first touch puts it near that core).
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int si = 0; si < slices.count; ++si) {
    const int64_t u0 = slices.begin(si, H), nu = slices.end(si, H) - u0;
    for (int group = 0; group < packs.groups; ++group) {
      const int g0 = group_begin(s.cell, transposed, group), g1 = group_end(s.cell, transposed, group);
      const int64_t width = (g1 - g0) * nu;
      std::unique_ptr<PackedB> piece;
      if (transposed) {  // B(p, j) = U[u0 + j, g0 * H + p]
        piece = std::make_unique<PackedB>(recurrent_kernel + u0 * kH + g0 * H, 1, kH, (g1 - g0) * H, nu, isa);
      } else {  // gather the slice's columns of each block side by side, then pack
        std::vector<float> gathered(static_cast<size_t>(H * width));
        for (int64_t p = 0; p < H; ++p)
          for (int g = g0; g < g1; ++g)
            for (int64_t j = 0; j < nu; ++j)
              gathered[static_cast<size_t>(p * width + (g - g0) * nu + j)] = recurrent_kernel[p * kH + g * H + u0 + j];
        piece = std::make_unique<PackedB>(gathered.data(), width, 1, H, width, isa);
      }
      packs.pieces[static_cast<size_t>(si * packs.groups + group)] = std::move(piece);
    }
  }
  return packs;
}

}  // namespace ironnet::cpu::rnn_detail
