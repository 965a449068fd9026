// The thread count every CPU kernel uses (one explicit setting; no hidden globals).
#pragma once

namespace ironnet {

// Defaults to OpenMP's maximum (OMP_NUM_THREADS or the number of cores).
int get_num_threads();
// Throws ValueError when n < 1.
void set_num_threads(int n);

}  // namespace ironnet
