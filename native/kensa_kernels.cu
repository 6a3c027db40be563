// Kensa GPU kernels of PaDiM (dev.kensa.method.padim.PadimCudaScorer): fused embedding gather + mean subtraction + packed inverse-Cholesky
// Mahalanobis distance (PaDiM). Loaded at runtime from build/kensa_kernels.fatbin (or .ptx) through the CUDA
// driver API (cuModuleLoadData / cuModuleGetFunction / cuLaunchKernel); names are extern "C" (unmangled).
//
// ============================================================================================================
// CONTRACT (kept in sync with native/README.md)
// ============================================================================================================
//
// Kernels (identical parameter lists; only the element type of `factor` differs):
//
//   extern "C" __global__ void kensa_mahalanobis_f32(
//       const float *layer1, const float *layer2, const float *layer3,   // device pointers, NCHW float32
//       int c1, int c2, int c3,                                           // channels per layer (64, 128, 256)
//       int h1, int w1, int h2, int w2, int h3, int w3,                   // layer heights/widths (56,56,28,28,14,14)
//       const int *channels, int d,                                       // d kept channel indices, int32, ascending
//       const float *mean,                                                // [P][d] float32
//       const float *factor,                                              // [P][d(d+1)/2] float32, packed W_p
//       float *out,                                                       // [N][P] float32 distances
//       int P, int grid_w, int N, int n_tile);
//
//   extern "C" __global__ void kensa_mahalanobis_f16(... same ..., const __half *factor /* IEEE binary16 */, ...);
//
//   (21 parameters; in cuLaunchKernel's kernelParams: 8-byte device pointers for the pointer parameters and
//    4-byte int32 for the ints, in exactly this order.)
//
// Maths (== dev.kensa.score.VectorMahalanobisScorer + dev.kensa.embedding.EmbeddingExtractor):
//   grid_h = P / grid_w; position p = y * grid_w + x.
//   Kept channel j (0 <= j < d) has global index c = channels[j] into the concatenation layer1|layer2|layer3:
//   c < c1 -> layer1 channel c; c < c1+c2 -> layer2 channel c-c1; else layer3 channel c-c1-c2.
//   Nearest upsampling is folded into the indexing exactly as EmbeddingExtractor: for a layer of size h x w,
//   fy = grid_h / h, fx = grid_w / w and x_p[j] = layer[n][c'][y / fy][x / fx].
//   W_p is lower-triangular, packed row-major: row i holds columns 0..i at offset i(i+1)/2 of position p's
//   block of d(d+1)/2 values (block p starts at p * d(d+1)/2).
//   out[n][p] = || W_p (x_{n,p} - mu_p) ||_2       (the norm, not its square: the CPU scorer takes the sqrt).
//   All accumulation in float32 (f16 variant: W converted to float32 on load).
//   Preconditions checked by the host (the Java side already checks them in EmbeddingExtractor):
//   0 <= channels[j] < c1+c2+c3, grid_h % h_l == 0 and grid_w % w_l == 0 for every layer with c_l > 0,
//   P % grid_w == 0, N >= 1, 1 <= n_tile. A layer with c_l == 0 may have a null pointer.
//   A channel index out of range yields NaN distances for that block rather than an out-of-bounds read.
//
// Launch configuration:
//   block   = (KENSA_BLOCK = 256, 1, 1)  (a smaller multiple of 32 also works; more than 256 is refused by
//             __launch_bounds__ with CUDA_ERROR_INVALID_VALUE at launch)
//   grid    = (P, ceil(N / n_tile), 1)   one block per patch position and tile of up to n_tile images
//   dynamic shared memory bytes
//           = 4 * (d + block/32) * S(n_tile),  S(t) = t <= 32 ? nextPow2(t) : 32 * ceil(t / 32)
//           e.g. block 256, d = 100: N=1 -> 432 B, N=8 -> 3456 B, N=32 -> 13824 B, N=64 -> 27648 B;
//                d = 128, N = 64 -> 34816 B.
//   Host choice of n_tile: n_tile = min(N, 64), halved while the shared-memory size exceeds 48 KiB
//   (48 KiB is available on every architecture without cuFuncSetAttribute opt-in). With d <= 128 and N <= 64
//   that always gives n_tile = N, i.e. one tile and W_p read exactly once per batch. d = 448 (all channels)
//   gets n_tile = 16 (29184 B); W is then read ceil(N/16) times, which is still correct.
//
// Design (why it looks like this):
//   * The dominant memory traffic is the factor W: P * d(d+1)/2 values (63 MB float32 at d = 100), far more
//     than one image's embedding (1.25 MB). So each block owns one position p and reads W_p once for the whole
//     batch: it first stages diff[j][n] = x_{n,p}[j] - mu_p[j] for all images of its tile in shared memory
//     (the gather from the three NCHW layers is done here, so no [N][P][d] embedding is ever written), then
//     streams W_p row by row; every W element fetched is used for all images of the tile.
//   * Rows are distributed over the warps (row i -> warp i mod nwarps). Inside a warp the 32 lanes are split
//     into IL image lanes x CL column lanes (IL * CL = 32, IL = min(32, S(n_tile))): for N = 1 all 32 lanes
//     walk the columns of a row (coalesced W reads, then a 5-step shuffle reduction), for N >= 32 every lane
//     owns images and the row's W element is a broadcast. Each lane keeps at most 2 images in registers per
//     pass (passes repeat only when n_tile > 64).
//   * Shared layout diff[j * S + n] makes a warp's 32 shared reads hit 32 consecutive words (no bank
//     conflicts) for every IL/CL split.
//   * Squared row results are summed per warp in registers, written to shared partial[warp][n] and summed in a
//     fixed order at the end: results are deterministic (no atomics).
// ============================================================================================================

#include <cuda_fp16.h>

#define KENSA_BLOCK 256

namespace {

__device__ __forceinline__ float kensa_load(const float *p) { return __ldg(p); }
__device__ __forceinline__ float kensa_load(const __half *p) { return __half2float(__ldg(p)); }

// Image slots per staged row: S(t) in the contract above.
__device__ __forceinline__ int kensa_slots(int t) {
    if (t > 32) {
        return (t + 31) & ~31;
    }
    int s = 1;
    while (s < t) {
        s <<= 1;
    }
    return s;
}

template <typename WT>
__device__ __forceinline__ void kensa_mahalanobis_body(
        const float *__restrict__ layer1, const float *__restrict__ layer2, const float *__restrict__ layer3,
        int c1, int c2, int c3,
        int h1, int w1, int h2, int w2, int h3, int w3,
        const int *__restrict__ channels, int d,
        const float *__restrict__ mean, const WT *__restrict__ factor, float *__restrict__ out,
        int P, int grid_w, int N, int n_tile) {
    extern __shared__ float smem[];

    const int p = blockIdx.x;
    const int n_first = blockIdx.y * n_tile;
    if (p >= P || n_first >= N) {
        return;
    }
    const int count = min(n_tile, N - n_first);  // images of this tile
    const int S = kensa_slots(n_tile);           // staged image slots (>= count, padding is zero)
    const int nwarps = blockDim.x >> 5;
    float *diff = smem;                  // [d][S]
    float *partial = smem + d * S;       // [nwarps][S]

    // ---- 1. gather x_{n,p} from the three layers and subtract mu_p ------------------------------------
    const int grid_h = P / grid_w;
    const int py = p / grid_w;
    const int px = p - py * grid_w;
    const float *mu = mean + (size_t)p * d;
    const int total = c1 + c2 + c3;
    for (int e = threadIdx.x; e < d * S; e += blockDim.x) {
        const int j = e / S;
        const int n = e - j * S;
        float v = 0.0f;
        if (n < count) {
            const int c = __ldg(channels + j);
            const float *base;
            int ch, C, h, w;
            if (c < c1) {
                base = layer1; ch = c; C = c1; h = h1; w = w1;
            } else if (c < c1 + c2) {
                base = layer2; ch = c - c1; C = c2; h = h2; w = w2;
            } else {
                base = layer3; ch = c - c1 - c2; C = c3; h = h3; w = w3;
            }
            if (c < 0 || c >= total) {
                v = __int_as_float(0x7fc00000);  // NaN: bad channel index, never read out of bounds
            } else {
                const int sy = py / (grid_h / h);
                const int sx = px / (grid_w / w);
                const size_t idx = ((size_t)(n_first + n) * C + ch) * ((size_t)h * w) + (size_t)sy * w + sx;
                v = __ldg(base + idx) - __ldg(mu + j);
            }
        }
        diff[e] = v;  // e == j * S + n
    }
    __syncthreads();

    // ---- 2. stream W_p rows; each row element is applied to all staged images --------------------------
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int IL = S < 32 ? S : 32;   // image lanes
    const int CL = 32 / IL;           // column lanes
    const int il = lane % IL;
    const int cl = lane / IL;
    const WT *W = factor + (size_t)p * ((size_t)d * (d + 1) / 2);

    for (int nb = 0; nb < S; nb += 2 * IL) {
        const bool two = nb + IL < S;  // warp-uniform: a second image per lane in this pass
        const int n0 = nb + il;
        const int n1 = n0 + IL;
        float sq0 = 0.0f, sq1 = 0.0f;
        for (int i = warp; i < d; i += nwarps) {
            const WT *row = W + (size_t)i * (i + 1) / 2;
            float y0 = 0.0f, y1 = 0.0f;
            if (two) {
#pragma unroll 4
                for (int j = cl; j <= i; j += CL) {
                    const float w = kensa_load(row + j);
                    y0 = fmaf(w, diff[j * S + n0], y0);
                    y1 = fmaf(w, diff[j * S + n1], y1);
                }
            } else {
#pragma unroll 4
                for (int j = cl; j <= i; j += CL) {
                    y0 = fmaf(kensa_load(row + j), diff[j * S + n0], y0);
                }
            }
            // sum the CL column lanes holding the same image (lanes il, il+IL, il+2IL, ...)
            for (int off = IL; off < 32; off <<= 1) {
                y0 += __shfl_xor_sync(0xffffffffu, y0, off);
                if (two) {
                    y1 += __shfl_xor_sync(0xffffffffu, y1, off);
                }
            }
            sq0 = fmaf(y0, y0, sq0);
            sq1 = fmaf(y1, y1, sq1);
        }
        if (cl == 0) {
            partial[warp * S + n0] = sq0;
            if (two) {
                partial[warp * S + n1] = sq1;
            }
        }
    }
    __syncthreads();

    // ---- 3. fixed-order sum over warps, sqrt, write out[n][p] ------------------------------------------
    for (int n = threadIdx.x; n < count; n += blockDim.x) {
        float s = 0.0f;
        for (int w = 0; w < nwarps; w++) {
            s += partial[w * S + n];
        }
        out[(size_t)(n_first + n) * P + p] = sqrtf(s);
    }
}

}  // namespace

extern "C" __global__ void __launch_bounds__(KENSA_BLOCK) kensa_mahalanobis_f32(
        const float *__restrict__ layer1, const float *__restrict__ layer2, const float *__restrict__ layer3,
        int c1, int c2, int c3,
        int h1, int w1, int h2, int w2, int h3, int w3,
        const int *__restrict__ channels, int d,
        const float *__restrict__ mean, const float *__restrict__ factor, float *__restrict__ out,
        int P, int grid_w, int N, int n_tile) {
    kensa_mahalanobis_body<float>(layer1, layer2, layer3, c1, c2, c3, h1, w1, h2, w2, h3, w3,
                                  channels, d, mean, factor, out, P, grid_w, N, n_tile);
}

extern "C" __global__ void __launch_bounds__(KENSA_BLOCK) kensa_mahalanobis_f16(
        const float *__restrict__ layer1, const float *__restrict__ layer2, const float *__restrict__ layer3,
        int c1, int c2, int c3,
        int h1, int w1, int h2, int w2, int h3, int w3,
        const int *__restrict__ channels, int d,
        const float *__restrict__ mean, const __half *__restrict__ factor, float *__restrict__ out,
        int P, int grid_w, int N, int n_tile) {
    kensa_mahalanobis_body<__half>(layer1, layer2, layer3, c1, c2, c3, h1, w1, h2, w2, h3, w3,
                                   channels, d, mean, factor, out, P, grid_w, N, n_tile);
}
