// Self-contained check of the Kensa Mahalanobis kernels against a CPU reference, plus timings.
//
//   native/build/mahalanobis_check                       kernels linked into this binary (same source)
//   native/build/mahalanobis_check --fatbin native/build/kensa_kernels.fatbin
//                                                        kernels loaded from the shipped fatbin by name, the way
//                                                        the Java side loads them (module load + lookup by
//                                                        unmangled name), then launched with the same parameters
//   --no-timing                                          correctness only
//
// Exits 0 when every check passes, 1 on a mismatch or CUDA error, and 0 with "no CUDA device: skipped" when
// no device (or no driver) is present.
//
// Tolerances:
//   f32: max relative error vs a float64 reference <= 1e-4. The GPU sums each row of W_p (x - mu) (<= d terms)
//        in float32 in a different order than the reference; the error of such a sum is about d * 2^-24 ~ 6e-6
//        relative to sum |w||x| for d = 100, far below 1e-4 unless the distance itself cancels to ~0.
//   f16: the half factor is checked twice.
//        (a) against a float64 reference that uses the same half-rounded factor: <= 1e-4 (only the float32
//            accumulation differs, as for f32);
//        (b) against the float32-factor reference with an a-priori bound: rounding to half changes each entry
//            by |dW| <= u|W| + 2^-25 (u = 2^-11, unit roundoff of binary16; 2^-25 = half the subnormal
//            spacing), so by the triangle inequality | ||W'v|| - ||Wv|| | <= ||dW v|| <= || (u|W| + 2^-25)|v| ||.
//            We require |d16 - d32| <= that bound + 1e-4 * d32 (the accumulation part), for every image and
//            position. The max relative error vs f32 is printed too (typically ~1e-4 .. 1e-3: half has 11
//            significant bits).

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../kensa_kernels.cu"

#define CK(call)                                                                                         \
    do {                                                                                                 \
        cudaError_t err_ = (call);                                                                       \
        if (err_ != cudaSuccess) {                                                                       \
            std::fprintf(stderr, "CUDA error %s at %s:%d: %s\n", cudaGetErrorName(err_), __FILE__, __LINE__, \
                         cudaGetErrorString(err_));                                                      \
            std::exit(1);                                                                                \
        }                                                                                                \
    } while (0)

// ---- host side of the launch contract (what the Java scorer must compute too) -------------------------------
static int slots(int t) {
    if (t > 32) return (t + 31) / 32 * 32;
    int s = 1;
    while (s < t) s <<= 1;
    return s;
}
static size_t smem_bytes(int d, int n_tile, int block) { return 4u * (size_t)(d + block / 32) * slots(n_tile); }
static int choose_n_tile(int d, int N, int block) {
    int t = std::min(N, 64);
    while (t > 1 && smem_bytes(d, t, block) > 48 * 1024) t = (t + 1) / 2;
    return t;
}

// ---- test data ---------------------------------------------------------------------------------------------
struct Layers {
    int c[3] = {64, 128, 256};
    int h[3], w[3];
    int N;
    std::vector<float> host[3];
    float *dev[3] = {nullptr, nullptr, nullptr};
};

struct Stats {
    int d, P;
    std::vector<int> channels;
    std::vector<float> mean;        // [P][d]
    std::vector<float> w32;         // [P][d(d+1)/2]
    std::vector<__half> w16;        // same, rounded to half
    std::vector<float> w16f;        // w16 decoded back to float
    int *d_channels = nullptr;
    float *d_mean = nullptr, *d_w32 = nullptr;
    __half *d_w16 = nullptr;
};

static void make_layers(Layers &L, int grid, int N, std::mt19937 &rng) {
    L.N = N;
    std::uniform_real_distribution<float> act(0.0f, 2.0f);  // post-ReLU-like activations
    for (int l = 0; l < 3; l++) {
        L.h[l] = L.w[l] = grid >> l;
        L.host[l].resize((size_t)N * L.c[l] * L.h[l] * L.w[l]);
        for (float &v : L.host[l]) v = act(rng);
        CK(cudaMalloc(&L.dev[l], L.host[l].size() * sizeof(float)));
        CK(cudaMemcpy(L.dev[l], L.host[l].data(), L.host[l].size() * sizeof(float), cudaMemcpyHostToDevice));
    }
}

static void free_layers(Layers &L) {
    for (int l = 0; l < 3; l++) CK(cudaFree(L.dev[l]));
}

static void make_stats(Stats &S, int d, int P, int total, std::mt19937 &rng) {
    S.d = d;
    S.P = P;
    // d distinct channels of [0, total), ascending
    std::vector<int> all(total);
    for (int i = 0; i < total; i++) all[i] = i;
    std::shuffle(all.begin(), all.end(), rng);
    S.channels.assign(all.begin(), all.begin() + d);
    std::sort(S.channels.begin(), S.channels.end());

    std::normal_distribution<float> g(0.0f, 1.0f);
    std::uniform_real_distribution<float> diag(0.5f, 2.0f);
    S.mean.resize((size_t)P * d);
    for (float &v : S.mean) v = 1.0f + 0.3f * g(rng);
    const size_t packed = (size_t)d * (d + 1) / 2;
    S.w32.resize(P * packed);
    for (int p = 0; p < P; p++) {
        float *W = &S.w32[p * packed];
        for (int i = 0; i < d; i++) {
            float *row = W + (size_t)i * (i + 1) / 2;
            for (int j = 0; j < i; j++) row[j] = 0.5f / std::sqrt((float)(i + 1)) * g(rng);
            row[i] = diag(rng);
        }
    }
    S.w16.resize(S.w32.size());
    S.w16f.resize(S.w32.size());
    for (size_t k = 0; k < S.w32.size(); k++) {
        S.w16[k] = __float2half_rn(S.w32[k]);
        S.w16f[k] = __half2float(S.w16[k]);
    }
    CK(cudaMalloc(&S.d_channels, d * sizeof(int)));
    CK(cudaMemcpy(S.d_channels, S.channels.data(), d * sizeof(int), cudaMemcpyHostToDevice));
    CK(cudaMalloc(&S.d_mean, S.mean.size() * sizeof(float)));
    CK(cudaMemcpy(S.d_mean, S.mean.data(), S.mean.size() * sizeof(float), cudaMemcpyHostToDevice));
    CK(cudaMalloc(&S.d_w32, S.w32.size() * sizeof(float)));
    CK(cudaMemcpy(S.d_w32, S.w32.data(), S.w32.size() * sizeof(float), cudaMemcpyHostToDevice));
    CK(cudaMalloc(&S.d_w16, S.w16.size() * sizeof(__half)));
    CK(cudaMemcpy(S.d_w16, S.w16.data(), S.w16.size() * sizeof(__half), cudaMemcpyHostToDevice));
}

static void free_stats(Stats &S) {
    CK(cudaFree(S.d_channels));
    CK(cudaFree(S.d_mean));
    CK(cudaFree(S.d_w32));
    CK(cudaFree(S.d_w16));
}

// x_{n,p} - mu_p in float, exactly as EmbeddingExtractor + VectorMahalanobisScorer compute it.
static void diff_at(const Layers &L, const Stats &S, int grid, int n, int p, std::vector<float> &v) {
    const int y = p / grid, x = p % grid;
    for (int j = 0; j < S.d; j++) {
        int c = S.channels[j], l = 0;
        while (c >= L.c[l]) c -= L.c[l++];
        const int fy = grid / L.h[l], fx = grid / L.w[l];
        const size_t idx = ((size_t)n * L.c[l] + c) * L.h[l] * L.w[l] + (size_t)(y / fy) * L.w[l] + x / fx;
        v[j] = L.host[l][idx] - S.mean[(size_t)p * S.d + j];
    }
}

// float64 reference: ||W v||, and the half-rounding bound || (u|W| + 2^-25)|v| ||.
static double ref_norm(const float *W, const std::vector<float> &v, int d, double *bound) {
    const double u = std::ldexp(1.0, -11), tiny = std::ldexp(1.0, -25);
    double sum = 0, bsum = 0;
    for (int i = 0; i < d; i++) {
        const float *row = W + (size_t)i * (i + 1) / 2;
        double y = 0, b = 0;
        for (int j = 0; j <= i; j++) {
            y += (double)row[j] * v[j];
            b += (u * std::fabs((double)row[j]) + tiny) * std::fabs((double)v[j]);
        }
        sum += y * y;
        bsum += b * b;
    }
    if (bound) *bound = std::sqrt(bsum);
    return std::sqrt(sum);
}

// ---- launching ---------------------------------------------------------------------------------------------
struct Kernels {
    const void *f32;
    const void *f16;
};

static void launch(const void *fn, const Layers &L, const Stats &S, const void *factor, float *out, int grid, int N,
                   int n_tile, cudaStream_t stream = 0) {
    const float *l1 = L.dev[0], *l2 = L.dev[1], *l3 = L.dev[2];
    int c1 = L.c[0], c2 = L.c[1], c3 = L.c[2];
    int h1 = L.h[0], w1 = L.w[0], h2 = L.h[1], w2 = L.w[1], h3 = L.h[2], w3 = L.w[2];
    const int *ch = S.d_channels;
    int d = S.d;
    const float *mean = S.d_mean;
    int P = S.P, gw = grid, n = N, t = n_tile;
    void *args[] = {&l1, &l2, &l3, &c1, &c2, &c3, &h1, &w1, &h2, &w2, &h3, &w3, &ch, &d,
                    &mean, &factor, &out, &P, &gw, &n, &t};
    dim3 g(P, (N + n_tile - 1) / n_tile), b(KENSA_BLOCK);
    CK(cudaLaunchKernel(fn, g, b, args, smem_bytes(d, n_tile, KENSA_BLOCK), stream));
}

struct Case {
    const char *name;
    int grid, N, d, n_tile;  // n_tile 0: host rule (choose_n_tile)
    int check_stride;        // check positions p % check_stride == 0
    bool timed;
};

static bool run_case(const Kernels &K, const Case &c, std::mt19937 &rng, bool timing) {
    Layers L;
    make_layers(L, c.grid, c.N, rng);
    const int P = c.grid * c.grid;
    Stats S;
    make_stats(S, c.d, P, L.c[0] + L.c[1] + L.c[2], rng);
    const int n_tile = c.n_tile > 0 ? c.n_tile : choose_n_tile(c.d, c.N, KENSA_BLOCK);

    float *d_out;
    CK(cudaMalloc(&d_out, (size_t)c.N * P * sizeof(float)));
    std::vector<float> o32((size_t)c.N * P), o16((size_t)c.N * P);
    CK(cudaMemset(d_out, 0xff, (size_t)c.N * P * sizeof(float)));  // NaN: catches unwritten outputs
    launch(K.f32, L, S, S.d_w32, d_out, c.grid, c.N, n_tile);
    CK(cudaGetLastError());
    CK(cudaMemcpy(o32.data(), d_out, o32.size() * sizeof(float), cudaMemcpyDeviceToHost));
    CK(cudaMemset(d_out, 0xff, (size_t)c.N * P * sizeof(float)));
    launch(K.f16, L, S, S.d_w16, d_out, c.grid, c.N, n_tile);
    CK(cudaGetLastError());
    CK(cudaMemcpy(o16.data(), d_out, o16.size() * sizeof(float), cudaMemcpyDeviceToHost));

    const size_t packed = (size_t)c.d * (c.d + 1) / 2;
    double e32 = 0, e16h = 0, e16rel = 0, e16bound = 0;  // e16bound: max of |d16-d32| / allowed
    long checked = 0;
    std::vector<float> v(c.d);
    for (int n = 0; n < c.N; n++) {
        for (int p = 0; p < P; p += c.check_stride) {
            diff_at(L, S, c.grid, n, p, v);
            double bound;
            const double r32 = ref_norm(&S.w32[p * packed], v, c.d, &bound);
            const double r16 = ref_norm(&S.w16f[p * packed], v, c.d, nullptr);
            const double g32 = o32[(size_t)n * P + p], g16 = o16[(size_t)n * P + p];
            auto rel = [](double a, double b) { return std::isfinite(a) ? std::fabs(a - b) / std::max(std::fabs(b), 1e-6) : INFINITY; };
            e32 = std::max(e32, rel(g32, r32));
            e16h = std::max(e16h, rel(g16, r16));
            e16rel = std::max(e16rel, rel(g16, r32));
            const double allowed = bound + 1e-4 * r32;
            e16bound = std::max(e16bound, std::isfinite(g16) ? std::fabs(g16 - r32) / allowed : INFINITY);
            checked++;
        }
    }
    const bool ok = e32 <= 1e-4 && e16h <= 1e-4 && e16bound <= 1.0;
    std::printf("%-34s N=%-3d d=%-3d P=%-4d n_tile=%-3d smem=%6zu B  checked=%-7ld "
                "f32 rel=%.2e  f16 rel(same half W)=%.2e  f16 rel(vs f32)=%.2e  f16 err/bound=%.3f  %s\n",
                c.name, c.N, c.d, P, n_tile, smem_bytes(c.d, n_tile, KENSA_BLOCK), checked, e32, e16h, e16rel,
                e16bound, ok ? "OK" : "FAIL");

    if (timing && c.timed) {
        cudaEvent_t a, b;
        CK(cudaEventCreate(&a));
        CK(cudaEventCreate(&b));
        const int reps = 50;
        for (int which = 0; which < 2; which++) {
            const void *fn = which == 0 ? K.f32 : K.f16;
            const void *W = which == 0 ? (const void *)S.d_w32 : (const void *)S.d_w16;
            for (int r = 0; r < 3; r++) launch(fn, L, S, W, d_out, c.grid, c.N, n_tile);
            CK(cudaEventRecord(a));
            for (int r = 0; r < reps; r++) launch(fn, L, S, W, d_out, c.grid, c.N, n_tile);
            CK(cudaEventRecord(b));
            CK(cudaEventSynchronize(b));
            float ms;
            CK(cudaEventElapsedTime(&ms, a, b));
            const double us = 1000.0 * ms / reps;
            const double wbytes = (double)P * packed * (which == 0 ? 4 : 2);
            std::printf("    time %s N=%-3d d=%d P=%d: %8.1f us/launch  %7.2f us/image  factor %.1f MB -> %.0f GB/s\n",
                        which == 0 ? "f32" : "f16", c.N, c.d, P, us, us / c.N, wbytes / 1e6, wbytes / (us * 1e3));
        }
        CK(cudaEventDestroy(a));
        CK(cudaEventDestroy(b));
    }
    CK(cudaFree(d_out));
    free_stats(S);
    free_layers(L);
    return ok;
}

int main(int argc, char **argv) {
    const char *fatbin = nullptr;
    bool timing = true;
    for (int i = 1; i < argc; i++) {
        if (!std::strcmp(argv[i], "--fatbin") && i + 1 < argc) {
            fatbin = argv[++i];
        } else if (!std::strcmp(argv[i], "--no-timing")) {
            timing = false;
        } else {
            std::fprintf(stderr, "usage: %s [--fatbin FILE] [--no-timing]\n", argv[0]);
            return 2;
        }
    }
    int devices = 0;
    cudaError_t err = cudaGetDeviceCount(&devices);
    if (err != cudaSuccess || devices == 0) {
        std::printf("no CUDA device: skipped (%s)\n",
                    err != cudaSuccess ? cudaGetErrorString(err) : "cudaGetDeviceCount returned 0");
        return 0;
    }
    cudaDeviceProp prop;
    CK(cudaGetDeviceProperties(&prop, 0));
    std::printf("device 0: %s, compute capability %d.%d, %d SMs\n", prop.name, prop.major, prop.minor,
                prop.multiProcessorCount);

    Kernels K{(const void *)kensa_mahalanobis_f32, (const void *)kensa_mahalanobis_f16};
    if (fatbin) {
        cudaLibrary_t lib;
        CK(cudaLibraryLoadFromFile(&lib, fatbin, nullptr, nullptr, 0, nullptr, nullptr, 0));
        cudaKernel_t k32, k16;
        CK(cudaLibraryGetKernel(&k32, lib, "kensa_mahalanobis_f32"));
        CK(cudaLibraryGetKernel(&k16, lib, "kensa_mahalanobis_f16"));
        K = Kernels{(const void *)k32, (const void *)k16};
        std::printf("kernels loaded by name from %s\n", fatbin);
    } else {
        std::printf("kernels linked into this binary (use --fatbin FILE to test the shipped fatbin)\n");
    }

    const Case cases[] = {
        {"d=100 N=1 (timed)", 56, 1, 100, 0, 1, true},
        {"d=100 N=8 (timed)", 56, 8, 100, 0, 1, true},
        {"d=100 N=32 (timed)", 56, 32, 100, 0, 1, true},
        {"d=100 N=3 (padded slots)", 56, 3, 100, 0, 1, false},
        {"d=128 N=64 (max single tile)", 56, 64, 128, 0, 7, false},
        {"d=100 N=40 n_tile=16 (tiles, tail)", 56, 40, 100, 16, 7, false},
        {"d=64 N=96 n_tile=96 (2 passes)", 56, 96, 64, 96, 7, false},
        {"d=448 N=5 grid 8/4/2 (all ch)", 8, 5, 448, 0, 1, false},
        {"d=1 N=2", 56, 2, 1, 0, 1, false},
    };
    std::mt19937 rng(20240607u);
    bool all = true;
    for (const Case &c : cases) all &= run_case(K, c, rng, timing);
    std::printf("%s\n", all ? "ALL CHECKS PASSED" : "SOME CHECKS FAILED");
    return all ? 0 : 1;
}
