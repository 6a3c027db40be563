#!/usr/bin/env bash
# Builds the Kensa CUDA kernels into native/build/:
#   kensa_kernels.fatbin   PaDiM's fused gather + Mahalanobis: SASS for every wanted architecture that this nvcc
#                          supports, plus PTX for the lowest supported compute capability (JIT-compiled by the driver
#                          on newer GPUs)
#   kensa_kernels.ptx      the same PTX on its own (cuModuleLoadData accepts it too)
#   patchcore_kernels.fatbin / .ptx   PatchCore's patch features, nearest neighbour and exact distance
#   mahalanobis_check      GPU self-check + timing program (runs only on a machine with a GPU)
# Usage: native/build.sh            (from anywhere; NVCC=/path/to/nvcc overrides the compiler)
# Exit status: non-zero when nvcc fails; 0 with a notice when nvcc is not installed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/build"
nvcc="${NVCC:-nvcc}"

if ! command -v "$nvcc" >/dev/null 2>&1; then
    echo "native/build.sh: nvcc not found, CUDA kernels not built (the CPU backend needs none)"
    exit 0
fi

# Wanted SASS targets: sm_72 Jetson AGX Xavier, sm_87 Jetson Orin, sm_90 H100.
wanted=(72 87 90)

supported="$("$nvcc" --list-gpu-arch)"   # compute_XX, one per line
has_arch() { grep -qx "compute_$1" <<<"$supported"; }

gencode=()
built=()
skipped=()
for a in "${wanted[@]}"; do
    if has_arch "$a"; then
        gencode+=(-gencode "arch=compute_$a,code=sm_$a")
        built+=("sm_$a")
    else
        skipped+=("sm_$a")
    fi
done
# PTX for the lowest compute capability this nvcc can target: forward compatibility with any newer GPU.
lowest="$(sed -n 's/^compute_\([0-9]*\)$/\1/p' <<<"$supported" | sort -n | head -n1)"
if [[ -z "$lowest" ]]; then
    echo "native/build.sh: could not read the architecture list of $nvcc" >&2
    exit 1
fi
gencode+=(-gencode "arch=compute_$lowest,code=compute_$lowest")

version="$("$nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
echo "nvcc $version: building SASS for ${built[*]:-none} + PTX compute_$lowest"
for s in "${skipped[@]}"; do
    echo "SKIPPED $s: nvcc $version does not support it (lowest supported is compute_$lowest;" \
         "CUDA 13 dropped everything below sm_75). Build with CUDA 12.x (or 11.x) for Jetson Xavier."
done

mkdir -p "$out"
start=$(date +%s%N)
flags=(-O3 -std=c++17 -lineinfo)

for kernels in kensa_kernels patchcore_kernels; do
    "$nvcc" "${flags[@]}" --fatbin "${gencode[@]}" --resource-usage \
        -o "$out/$kernels.fatbin" "$here/$kernels.cu"
    "$nvcc" "${flags[@]}" --ptx -arch="compute_$lowest" -o "$out/$kernels.ptx" "$here/$kernels.cu"
done
"$nvcc" "${flags[@]}" "${gencode[@]}" -Xcompiler -Wall \
    -o "$out/mahalanobis_check" "$here/test/mahalanobis_check.cu"

end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
printf 'built in %d.%01d s:\n' $((ms / 1000)) $((ms % 1000 / 100))
for f in kensa_kernels.fatbin kensa_kernels.ptx patchcore_kernels.fatbin patchcore_kernels.ptx mahalanobis_check; do
    printf '  %-40s %10d bytes\n' "native/build/$f" "$(stat -c %s "$out/$f")"
done
echo "architectures: SASS ${built[*]:-none}, PTX compute_$lowest${skipped:+; skipped ${skipped[*]}}"
