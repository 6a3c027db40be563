// Kensa GPU kernels of PatchCore: locally aware patch features from the backbone's layers, and the exact nearest
// memory-bank row of every patch. Loaded at run time from build/patchcore_kernels.fatbin through the CUDA driver API
// (cuModuleLoadData / cuModuleGetFunction / cuLaunchKernel); names are extern "C" (unmangled).
//
// ============================================================================================================
// CONTRACT (kept in sync with dev.kensa.method.patchcore.PatchCoreKernel and native/README.md)
// ============================================================================================================
//
// 1. kensa_patchcore_embed(
//        const float *layer1, const float *layer2, const float *layer3,   // NCHW float32 on the device; a layer with
//        int c1, int c2, int c3,                                           // 0 channels is unused (null pointer)
//        int h1, int w1, int h2, int w2, int h3, int w3,
//        int pool, int grid_h, int grid_w, int N,
//        float *out)                                                       // [N][P][D], P = grid_h*grid_w, D = c1+c2+c3
//    == dev.kensa.embedding.LocalPatchFeatures: every channel averaged over a pool x pool neighbourhood (stride 1,
//    zero padding counted: divide by pool^2 everywhere), layers not on the grid bilinearly resized to it
//    (PyTorch align_corners=False: src = max(0, (dst + 0.5) * in / out - 0.5), i1 = min(i0 + 1, in - 1)), channels
//    concatenated in layer order. One thread per output value; block 256, grid ceil(N*P*D / 256).
//
// 2. kensa_patchcore_nn(
//        const float *queries, int Q,          // [Q][D] patch features (the output of 1, or uploaded from the host)
//        const float *bank, const float *norms, int M, int D,   // memory bank [M][D] and ||b||^2 per row [M]
//        int *index)                            // [Q]: the bank row nearest to each query
//    Exhaustive: every query is compared with every bank row, in GEMM form ||b||^2 - 2 q.b (the ||q||^2 term does
//    not change the argmin). Ties go to the lower row. Block 256 threads = 16 x 16; a block owns 64 queries and walks
//    the bank in tiles of 64 rows, staging 32 dims of queries and bank rows at a time in shared memory; each thread
//    keeps a 4 x 4 register tile of dot products and the best candidate of its 4 queries. Grid ceil(Q / 64).
//    Static shared memory 2 * 32 * 65 * 4 + 2 * 16 * 64 * 4 = 24832 bytes.
//
// 3. kensa_patchcore_exact(
//        const float *queries, int Q, const float *bank, int D, const int *index,
//        float *distance)                       // [Q] sqrt(sum_k (q_k - b_k)^2) to the row of 2
//    The reported distance is recomputed directly, without the GEMM form's cancellation. One warp per query;
//    block 256 (8 queries), grid ceil(Q / 8).
//
// The image score (reweighting of the largest patch distance by the density of the bank around its neighbour) is
// computed on the host from [Q] distances and indices, the bank's host copy and the worst patch's feature row.
// ============================================================================================================

#define PC_BLOCK 256
#define PC_TQ 64
#define PC_TB 64
#define PC_TK 32

namespace {

__device__ __forceinline__ float pc_pooled(const float *__restrict__ plane, int h, int w, int y, int x, int pool) {
    const int r = pool / 2;
    float s = 0.0f;
    for (int yy = max(0, y - r); yy <= min(h - 1, y + r); yy++) {
        for (int xx = max(0, x - r); xx <= min(w - 1, x + r); xx++) {
            s += __ldg(plane + yy * w + xx);
        }
    }
    return s / (float)(pool * pool);
}

}  // namespace

extern "C" __global__ void __launch_bounds__(PC_BLOCK) kensa_patchcore_embed(
        const float *__restrict__ layer1, const float *__restrict__ layer2, const float *__restrict__ layer3,
        int c1, int c2, int c3, int h1, int w1, int h2, int w2, int h3, int w3,
        int pool, int grid_h, int grid_w, int N, float *__restrict__ out) {
    const int D = c1 + c2 + c3;
    const int P = grid_h * grid_w;
    const size_t total = (size_t)N * P * D;
    const size_t e = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= total) {
        return;
    }
    const int c = (int)(e % D);
    const size_t t = e / D;
    const int p = (int)(t % P);
    const int n = (int)(t / P);
    const float *base;
    int ch, C, h, w;
    if (c < c1) {
        base = layer1; ch = c; C = c1; h = h1; w = w1;
    } else if (c < c1 + c2) {
        base = layer2; ch = c - c1; C = c2; h = h2; w = w2;
    } else {
        base = layer3; ch = c - c1 - c2; C = c3; h = h3; w = w3;
    }
    const float *plane = base + ((size_t)n * C + ch) * ((size_t)h * w);
    const int y = p / grid_w;
    const int x = p - y * grid_w;
    float v;
    if (h == grid_h && w == grid_w) {
        v = pc_pooled(plane, h, w, y, x, pool);
    } else {
        const float fy = fmaxf(0.0f, (y + 0.5f) * ((float)h / grid_h) - 0.5f);
        const float fx = fmaxf(0.0f, (x + 0.5f) * ((float)w / grid_w) - 0.5f);
        const int y0 = (int)fy, x0 = (int)fx;
        const int y1 = min(y0 + 1, h - 1), x1 = min(x0 + 1, w - 1);
        const float ly = fy - y0, lx = fx - x0;
        const float top = pc_pooled(plane, h, w, y0, x0, pool) * (1 - lx) + pc_pooled(plane, h, w, y0, x1, pool) * lx;
        const float bottom = pc_pooled(plane, h, w, y1, x0, pool) * (1 - lx) + pc_pooled(plane, h, w, y1, x1, pool) * lx;
        v = top * (1 - ly) + bottom * ly;
    }
    out[e] = v;
}

extern "C" __global__ void __launch_bounds__(PC_BLOCK) kensa_patchcore_nn(
        const float *__restrict__ queries, int Q, const float *__restrict__ bank, const float *__restrict__ norms,
        int M, int D, int *__restrict__ index) {
    __shared__ float qs[PC_TK][PC_TQ + 1];
    __shared__ float bs[PC_TK][PC_TB + 1];
    __shared__ float red_v[16][PC_TQ];
    __shared__ int red_i[16][PC_TQ];
    const int tx = threadIdx.x % 16;
    const int ty = threadIdx.x / 16;
    const int q0 = blockIdx.x * PC_TQ;
    float best[4];
    int arg[4];
    for (int i = 0; i < 4; i++) {
        best[i] = __int_as_float(0x7f800000);  // +inf
        arg[i] = 0;
    }
    for (int b0 = 0; b0 < M; b0 += PC_TB) {
        float acc[4][4];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                acc[i][j] = 0.0f;
            }
        }
        for (int k0 = 0; k0 < D; k0 += PC_TK) {
            for (int e = threadIdx.x; e < PC_TQ * PC_TK; e += PC_BLOCK) {
                const int qi = e / PC_TK, kk = e - qi * PC_TK;
                const int q = q0 + qi, k = k0 + kk;
                qs[kk][qi] = (q < Q && k < D) ? __ldg(queries + (size_t)q * D + k) : 0.0f;
            }
            for (int e = threadIdx.x; e < PC_TB * PC_TK; e += PC_BLOCK) {
                const int bi = e / PC_TK, kk = e - bi * PC_TK;
                const int b = b0 + bi, k = k0 + kk;
                bs[kk][bi] = (b < M && k < D) ? __ldg(bank + (size_t)b * D + k) : 0.0f;
            }
            __syncthreads();
#pragma unroll 8
            for (int kk = 0; kk < PC_TK; kk++) {
                float a[4], c[4];
                for (int i = 0; i < 4; i++) {
                    a[i] = qs[kk][ty * 4 + i];
                    c[i] = bs[kk][tx * 4 + i];
                }
                for (int i = 0; i < 4; i++) {
                    for (int j = 0; j < 4; j++) {
                        acc[i][j] = fmaf(a[i], c[j], acc[i][j]);
                    }
                }
            }
            __syncthreads();
        }
        for (int j = 0; j < 4; j++) {
            const int b = b0 + tx * 4 + j;
            if (b < M) {
                const float nb = __ldg(norms + b);
                for (int i = 0; i < 4; i++) {
                    const float cand = nb - 2.0f * acc[i][j];
                    if (cand < best[i]) {
                        best[i] = cand;
                        arg[i] = b;
                    }
                }
            }
        }
    }
    for (int i = 0; i < 4; i++) {
        red_v[tx][ty * 4 + i] = best[i];
        red_i[tx][ty * 4 + i] = arg[i];
    }
    __syncthreads();
    if (threadIdx.x < PC_TQ) {
        const int qi = threadIdx.x;
        float bv = red_v[0][qi];
        int bi = red_i[0][qi];
        for (int t = 1; t < 16; t++) {
            const float v = red_v[t][qi];
            const int i = red_i[t][qi];
            if (v < bv || (v == bv && i < bi)) {
                bv = v;
                bi = i;
            }
        }
        const int q = q0 + qi;
        if (q < Q) {
            index[q] = bi;
        }
    }
}

extern "C" __global__ void __launch_bounds__(PC_BLOCK) kensa_patchcore_exact(
        const float *__restrict__ queries, int Q, const float *__restrict__ bank, int D, const int *__restrict__ index,
        float *__restrict__ distance) {
    const int query = (int)(((size_t)blockIdx.x * blockDim.x + threadIdx.x) / 32);
    const int lane = threadIdx.x & 31;
    if (query >= Q) {
        return;  // warp-uniform: a warp is one query
    }
    const float *q = queries + (size_t)query * D;
    const float *b = bank + (size_t)__ldg(index + query) * D;
    float s = 0.0f;
    for (int k = lane; k < D; k += 32) {
        const float d = __ldg(q + k) - __ldg(b + k);
        s = fmaf(d, d, s);
    }
    for (int offset = 16; offset > 0; offset >>= 1) {
        s += __shfl_down_sync(0xffffffffu, s, offset);
    }
    if (lane == 0) {
        distance[query] = sqrtf(s);
    }
}
