#!/usr/bin/env bash
# The one prepared check for a lent H100/H200 GPU machine, run from the repository root:
#   bash scripts/gpu_check.sh        (the device tool sets $OUT, the folder whose files come back)
# 1. builds ironnet with CUDA (sm_90 only, to save time) into a fresh venv that sees the machine's own
#    packages (torch with CUDA, numpy, pytest: that machine cannot download anything);
# 2. runs every CUDA test (pytest -m cuda)                                  -> $OUT/pytest_cuda.log
# 3. runs compute-sanitizer memcheck over the CUDA tests, leaving out those marked `big` (gigabytes
#    of traffic or long GEMM queues, hours under the sanitizer)              -> $OUT/memcheck.log
# 4. runs every bench/bench_cuda_*.py --quick against PyTorch CUDA          -> $OUT/bench_<name>.md
# Each step has its own time limit inside a total of GPU_CHECK_SECONDS (default 540 s, so the whole
# fits a 10-minute call); the summary printed last (and in $OUT/summary.txt) says what passed.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu_check_out}
mkdir -p "$OUT"
export PATH="$PATH:/usr/local/cuda/bin"
export PYTHONUNBUFFERED=1 CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
deadline=$(( $(date +%s) + ${GPU_CHECK_SECONDS:-540} ))
summary=()
failed=0

# step NAME LIMIT_SECONDS COMMAND...: runs COMMAND under a time limit that never passes the deadline.
step() {
  local name=$1 limit=$2
  shift 2
  local left=$(( deadline - $(date +%s) ))
  (( limit > left )) && limit=$left
  if (( limit < 15 )); then
    summary+=("$name: SKIPPED (out of time)")
    failed=1
    return 1
  fi
  local t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@"
  local rc=$? took=$(( $(date +%s) - t0 ))
  if (( rc == 0 )); then
    summary+=("$name: ok (${took} s)")
  elif (( rc == 124 || rc == 137 )); then
    summary+=("$name: TIMED OUT after ${limit} s")
    failed=1
  else
    summary+=("$name: FAILED, exit code $rc (${took} s)")
    failed=1
  fi
  return $rc
}

echo "== machine"
nvidia-smi -L || true
command -v nvcc && nvcc --version | tail -1
host_python=python3
torch_cuda=$($host_python -c 'import torch; print(f"torch {torch.__version__}, cuda available: {torch.cuda.is_available()}")' 2>&1 | tail -1)
echo "host python: $($host_python -c 'import sys; print(sys.executable, sys.version.split()[0])'); $torch_cuda"

# A venv whose own site-packages (ironnet) come first, then the host interpreter's packages. The
# host python3 may itself be a venv, whose packages --system-site-packages would not reach: a .pth
# file lists them explicitly. pip comes from there too (--without-pip needs no ensurepip), and
# installs into the venv.
venv=/tmp/ironnet-gpu-venv
rm -rf "$venv"
if ! $host_python -m venv --without-pip --system-site-packages "$venv"; then
  echo "gpu_check: could not create a venv with $host_python"
  exit 1
fi
venv_site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
$host_python -c 'import site; print("\n".join(site.getsitepackages()))' > "$venv_site/_host_packages.pth"
py="$venv/bin/python"

build() {
  local common=(--no-index --no-build-isolation -C build-dir=/tmp/ironnet-gpu-build
                -C cmake.define.CMAKE_CUDA_ARCHITECTURES=90-real)
  # The test extra when its packages are all on the machine, else the package alone (the CUDA tests
  # need only numpy and pytest, which the image has).
  IRONNET_CUDA=ON "$py" -m pip install -q "${common[@]}" ".[test]" ||
    IRONNET_CUDA=ON "$py" -m pip install -q --no-deps "${common[@]}" .
}
export py
export -f build  # timeout runs commands, not shell functions: it runs `bash -c build`
echo "== build (log: $OUT/build.log)"
if ! step "build with CUDA" 330 bash -c build > "$OUT/build.log" 2>&1; then
  tail -40 "$OUT/build.log"
else
  "$py" -c 'import ironnet; print("ironnet", ironnet.__file__, ironnet.cuda.device_count(), "GPU(s):", ironnet.cuda.get_device_name())' | tee -a "$OUT/build.log"

  # Only the modules that hold CUDA tests: the others may need oracles this machine lacks (nltk).
  mapfile -t cuda_modules < <(grep -l "pytest.mark.cuda" tests/test_*.py)
  echo "== CUDA tests in ${#cuda_modules[@]} modules (log: $OUT/pytest_cuda.log)"
  step "pytest -m cuda" 150 "$py" -m pytest -p no:cacheprovider -m cuda -q -rs "${cuda_modules[@]}" \
    > "$OUT/pytest_cuda.log" 2>&1
  tail -25 "$OUT/pytest_cuda.log"

  echo "== compute-sanitizer memcheck, CUDA tests not marked big (log: $OUT/memcheck.log)"
  if command -v compute-sanitizer > /dev/null; then
    # API errors are left to ironnet's own checks (the out-of-memory test fails cudaMalloc on purpose);
    # memcheck reports bad device memory accesses.
    step "memcheck (pytest -m 'cuda and not big' -x)" 150 compute-sanitizer --tool memcheck --error-exitcode 1 \
      --report-api-errors no "$py" -m pytest -p no:cacheprovider -m "cuda and not big" -q -x "${cuda_modules[@]}" > "$OUT/memcheck.log" 2>&1
    tail -25 "$OUT/memcheck.log"
  else
    summary+=("memcheck: SKIPPED (no compute-sanitizer on PATH)")
    failed=1
  fi

  for bench in bench/bench_cuda_*.py; do
    [[ -e "$bench" ]] || continue
    name=$(basename "$bench" .py)
    echo "== $bench --quick (output: $OUT/$name.md)"
    step "$bench --quick" 75 "$py" "$bench" --quick > "$OUT/$name.md" 2>&1
    tail -20 "$OUT/$name.md"
  done
fi

# What comes back from $OUT is at most 8 files of 16 MiB: merge the benches if there are too many.
bench_files=("$OUT"/bench_cuda_*.md)
if [[ -e "${bench_files[0]}" ]] && (( ${#bench_files[@]} > 3 )); then
  for f in "${bench_files[@]}"; do
    printf '\n# %s\n\n' "$(basename "$f")"
    cat "$f"
  done > "$OUT/bench_all.md"
  rm -f "${bench_files[@]}"
fi
for f in "$OUT"/*; do truncate -s '<15M' "$f"; done

{
  echo "== summary ($(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1); $torch_cuda)"
  printf '%s\n' "${summary[@]}"
} | tee "$OUT/summary.txt"
exit $failed
