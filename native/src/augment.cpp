// facelab::simclr_views — the SimCLR view pipeline of src/data/augment/simclr.ts fused into one CPU
// pass per view (issue #15): bilinear crop + flip + resize straight from the uint8 (N,H,W,C) image
// cache, the view's colour map y = clamp(A·x + L·μ(x), 0, 1) (jitter and grayscale composed in
// TypeScript, jitter.ts), then an optional separable Gaussian blur — written into a float
// (V,C,S,S) batch, views in parallel (at::parallel_for).
//
// Why a kernel: the same pipeline as a chain of tensor ops (grid_sample, bmm, clamp, two grouped
// convolutions with index_select/index_copy around them) ran at 1,286 views/s at 96 px on 2 threads
// (1,112 on one: the chain parallelises badly), 1.54× torchvision's 2-worker DataLoader where issue
// #15 asks for 3×. Each view here is independent work on a few small buffers, so views spread over
// threads without barriers. Measured numbers and the bench: bench/README.md "Augmentation and the
// SimCLR step" (bench/augment.ts).
//
// Conventions (each equals the tensor-op path, test/data/augment/fused.test.ts checks it):
//   crop  — output pixel j of a view with box (x, w) and side S samples the source at
//           x + w·u − ½ with u = (j + ½)/S (1 − u when flipped): grid_sample with align_corners=false,
//           coordinates clamped to the image (padding_mode="border"), bilinear.
//   colour — y = clamp(scale·A·x + scale·L·μ, 0, 1), μ the cropped view's per-channel mean, A and L
//           the view's C×C matrices (row-major); scale = 1/255 turns uint8 values into [0,1].
//   blur  — cross-correlation with the view's K taps along rows, then columns, reflect padding
//           (F.pad "reflect"), only where blurred[v]; K = 0 blurs nothing.
// Everything is validated here as well as in TypeScript: a bad argument raises an error naming it.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace facelab {
namespace {

// Where output index j (of `out`) samples a source axis of `size` pixels: the two neighbours and
// the weight of the second. Computed in double as (j + ½)·length/out (multiplied before dividing),
// so a full-image box at the source size lands on the pixel itself with weight 0: the identity, exactly.
void axisSamples(double start, double length, int64_t size, int64_t out, bool flip, int64_t* lo, int64_t* hi,
                 float* w) {
  for (int64_t j = 0; j < out; j++) {
    double k = flip ? static_cast<double>(out - j) - 0.5 : static_cast<double>(j) + 0.5;
    double p = start + k * length / static_cast<double>(out) - 0.5;
    p = std::min(std::max(p, 0.0), static_cast<double>(size - 1));
    int64_t i0 = static_cast<int64_t>(std::floor(p));
    lo[j] = i0;
    hi[j] = std::min(i0 + 1, size - 1);
    w[j] = static_cast<float>(p - static_cast<double>(i0));
  }
}

// Reflect-padded index (F.pad "reflect": the edge pixel is not repeated); needs r < n.
inline int64_t reflect(int64_t i, int64_t n) { return i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i); }

// Per-thread buffers, reused across the views a thread handles.
struct Scratch {
  std::vector<int64_t> x0, x1, y0, y1;
  std::vector<float> wx, wy, rows, pad, plane;
};

// Sum of a row in float with four partial sums: one running sum is a chain of dependent adds the
// compiler may not reorder (−O3 keeps IEEE order), four are one vector add per four values.
inline float rowSum(const float* v, int64_t n) {
  float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) a0 += v[i], a1 += v[i + 1], a2 += v[i + 2], a3 += v[i + 3];
  for (; i < n; i++) a0 += v[i];
  return (a0 + a1) + (a2 + a3);
}

// 1. Bilinear crop + flip + resize of src (H,W,C uint8) into out (C,S,S float), horizontally first:
// each source row the view touches is resampled to S columns once (C planes), then every output
// row is one lerp of two such rows — a contiguous loop the compiler vectorises. The crop is at most
// the image, so this touches at most H rows; the per-pixel gather (the only strided access) runs
// on those rows only. Returns the channel sums (for μ) in sum.
template <int C>
void sample(const uint8_t* src, int64_t H, int64_t W, int64_t S, const double* box, bool flip, float* out,
            double* sum, Scratch& s) {
  s.x0.resize(S), s.x1.resize(S), s.y0.resize(S), s.y1.resize(S), s.wx.resize(S), s.wy.resize(S);
  axisSamples(box[0], box[2], W, S, flip, s.x0.data(), s.x1.data(), s.wx.data());
  axisSamples(box[1], box[3], H, S, false, s.y0.data(), s.y1.data(), s.wy.data());
  const int64_t top = s.y0[0], rows = s.y1[S - 1] - top + 1;  // y0, y1 grow with the output row
  s.rows.resize(rows * C * S);
  for (int64_t y = 0; y < rows; y++) {
    const uint8_t* in = src + (top + y) * W * C;
    float* r = s.rows.data() + y * C * S;
    for (int64_t ox = 0; ox < S; ox++) {
      const uint8_t* a = in + s.x0[ox] * C;
      const uint8_t* b = in + s.x1[ox] * C;
      const float w = s.wx[ox];
      for (int c = 0; c < C; c++) r[c * S + ox] = a[c] + w * (static_cast<float>(b[c]) - a[c]);
    }
  }
  const int64_t P = S * S;
  for (int c = 0; c < C; c++) {
    double total = 0;
    for (int64_t oy = 0; oy < S; oy++) {
      const float* __restrict r0 = s.rows.data() + (s.y0[oy] - top) * C * S + c * S;
      const float* __restrict r1 = s.rows.data() + (s.y1[oy] - top) * C * S + c * S;
      float* __restrict o = out + c * P + oy * S;
      const float w = s.wy[oy];
      for (int64_t ox = 0; ox < S; ox++) o[ox] = r0[ox] + w * (r1[ox] - r0[ox]);
      total += rowSum(o, S);
    }
    sum[c] = total;
  }
}

inline float clamp01(float v) { return std::min(std::max(v, 0.0f), 1.0f); }

// 2. Colour in place: y = clamp(M·x + off, 0, 1) with M = scale·A and off = scale·L·μ per view.
template <int C>
void colour(float* out, int64_t P, const float* A, const float* L, double scale, const double* sum) {
  float M[C * C], off[C];
  for (int r = 0; r < C; r++) {
    double o = 0;
    for (int k = 0; k < C; k++) {
      M[r * C + k] = static_cast<float>(scale * A[r * C + k]);
      o += scale * L[r * C + k] * (sum[k] / static_cast<double>(P));
    }
    off[r] = static_cast<float>(o);
  }
  if constexpr (C == 1) {
    for (int64_t p = 0; p < P; p++) out[p] = clamp01(M[0] * out[p] + off[0]);
  } else {
    float* __restrict c0 = out;
    float* __restrict c1 = out + P;
    float* __restrict c2 = out + 2 * P;
    for (int64_t p = 0; p < P; p++) {
      const float v0 = c0[p], v1 = c1[p], v2 = c2[p];
      c0[p] = clamp01(M[0] * v0 + M[1] * v1 + M[2] * v2 + off[0]);
      c1[p] = clamp01(M[3] * v0 + M[4] * v1 + M[5] * v2 + off[1]);
      c2[p] = clamp01(M[6] * v0 + M[7] * v1 + M[8] * v2 + off[2]);
    }
  }
}

// 3. Separable blur of each (S,S) plane in place: rows into `plane` through a reflect-padded copy of
// the row, then columns back into out; tap-outer loops so the inner loop runs along a row.
void blur(float* out, int64_t C, int64_t S, const float* taps, int64_t K, Scratch& s) {
  const int64_t r = K / 2, P = S * S;
  s.pad.resize(S + 2 * r);
  s.plane.resize(P);
  for (int64_t c = 0; c < C; c++) {
    float* o = out + c * P;
    for (int64_t y = 0; y < S; y++) {
      float* __restrict pad = s.pad.data();
      for (int64_t i = -r; i < S + r; i++) pad[i + r] = o[y * S + reflect(i, S)];
      float* __restrict t = s.plane.data() + y * S;
      std::fill(t, t + S, 0.0f);
      for (int64_t k = 0; k < K; k++)
        for (int64_t x = 0; x < S; x++) t[x] += taps[k] * pad[x + k];
    }
    for (int64_t y = 0; y < S; y++) {
      float* __restrict d = o + y * S;
      std::fill(d, d + S, 0.0f);
      for (int64_t k = 0; k < K; k++) {
        const float* __restrict t = s.plane.data() + reflect(y + k - r, S) * S;
        for (int64_t x = 0; x < S; x++) d[x] += taps[k] * t[x];
      }
    }
  }
}

// One view: uint8 (H,W,C) → float (C,S,S); taps null = no blur.
template <int C>
void oneView(const uint8_t* src, int64_t H, int64_t W, int64_t S, const double* box, bool flip, const float* A,
             const float* L, double scale, const float* taps, int64_t K, float* out, Scratch& s) {
  double sum[C];
  sample<C>(src, H, W, S, box, flip, out, sum, s);
  colour<C>(out, S * S, A, L, scale, sum);
  if (taps != nullptr) blur(out, C, S, taps, K, s);
}

// A CPU tensor of the given dtype, contiguous, with `dims` dimensions; the message names the argument.
void expect(const at::Tensor& t, const char* name, at::ScalarType dtype, int64_t dims, const char* shape) {
  TORCH_CHECK_TYPE(t.device().is_cpu(), "argument '", name, "' must be a CPU tensor, got ", t.device());
  TORCH_CHECK_TYPE(t.scalar_type() == dtype, "argument '", name, "' expects ", dtype, " ", shape, ", got ",
                   t.scalar_type());
  TORCH_CHECK_VALUE(t.dim() == dims, "argument '", name, "' expects shape ", shape, ", got ", t.sizes());
  TORCH_CHECK_VALUE(t.is_contiguous(), "argument '", name, "' must be contiguous (call .contiguous())");
}

at::Tensor simclrViews(const at::Tensor& images, const at::Tensor& source, const at::Tensor& boxes,
                       const at::Tensor& flips, const at::Tensor& matrices, const at::Tensor& offsets, double scale,
                       const at::Tensor& taps, const at::Tensor& blurred, int64_t size) {
  expect(images, "images", at::kByte, 4, "(N,H,W,C)");
  const int64_t N = images.size(0), H = images.size(1), W = images.size(2), C = images.size(3);
  TORCH_CHECK_VALUE(C == 1 || C == 3, "argument 'images' expects 1 or 3 channels (N,H,W,C), got shape ",
                    images.sizes());
  TORCH_CHECK_VALUE(H > 0 && W > 0, "argument 'images' has an empty side: ", images.sizes());
  expect(source, "source", at::kLong, 1, "(V)");
  const int64_t V = source.size(0);
  expect(boxes, "boxes", at::kDouble, 2, "(V,4)");
  TORCH_CHECK_VALUE(boxes.size(0) == V && boxes.size(1) == 4, "argument 'boxes' expects shape (", V,
                    ",4), got ", boxes.sizes());
  expect(flips, "flips", at::kBool, 1, "(V)");
  TORCH_CHECK_VALUE(flips.size(0) == V, "argument 'flips' expects shape (", V, "), got ", flips.sizes());
  for (const auto* m : {&matrices, &offsets}) {
    const char* name = m == &matrices ? "matrices" : "offsets";
    expect(*m, name, at::kFloat, 3, "(V,C,C)");
    TORCH_CHECK_VALUE(m->size(0) == V && m->size(1) == C && m->size(2) == C, "argument '", name,
                      "' expects shape (", V, ",", C, ",", C, "), got ", m->sizes());
  }
  TORCH_CHECK_VALUE(std::isfinite(scale), "argument 'scale' must be finite, got ", scale);
  TORCH_CHECK_VALUE(size > 0 && size <= 16384, "argument 'size' expects 1 to 16384, got ", size);
  expect(taps, "taps", at::kFloat, 2, "(V,K)");
  const int64_t K = taps.size(1);
  TORCH_CHECK_VALUE(taps.size(0) == V, "argument 'taps' expects shape (", V, ",K), got ", taps.sizes());
  TORCH_CHECK_VALUE(K == 0 || (K % 2 == 1 && K / 2 < size),
                    "argument 'taps' expects an odd kernel whose radius is below 'size' (", size, "), or K = 0; got K = ",
                    K);
  expect(blurred, "blurred", at::kBool, 1, "(V)");
  TORCH_CHECK_VALUE(blurred.size(0) == V, "argument 'blurred' expects shape (", V, "), got ", blurred.sizes());

  const int64_t* src = source.data_ptr<int64_t>();
  const double* box = boxes.data_ptr<double>();
  for (int64_t v = 0; v < V; v++) {
    TORCH_CHECK_INDEX(src[v] >= 0 && src[v] < N, "argument 'source' [", v, "] = ", src[v],
                      " is outside the ", N, " images");
    const double* b = box + 4 * v;
    TORCH_CHECK_VALUE(std::isfinite(b[0]) && std::isfinite(b[1]) && b[2] > 0 && b[3] > 0 && std::isfinite(b[2]) &&
                          std::isfinite(b[3]),
                      "argument 'boxes' [", v, "] = (", b[0], ",", b[1], ",", b[2], ",", b[3],
                      ") needs finite x, y and positive finite w, h");
  }

  at::Tensor out = at::empty({V, C, size, size}, images.options().dtype(at::kFloat));
  const uint8_t* img = images.data_ptr<uint8_t>();
  const bool* flip = flips.data_ptr<bool>();
  const bool* blurOn = blurred.data_ptr<bool>();
  const float* A = matrices.data_ptr<float>();
  const float* L = offsets.data_ptr<float>();
  const float* T = taps.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  // One view per task unit: views cost the same up to the blur, which half of them skip. Each view is
  // made by one thread, so the result does not depend on the thread count. Parallel only because
  // CMakeLists.txt compiles this file with -fopenmp (at::parallel_for is inline; serial without it).
  at::parallel_for(0, V, 1, [&](int64_t begin, int64_t end) {
    Scratch s;
    for (int64_t v = begin; v < end; v++) {
      const uint8_t* in = img + src[v] * H * W * C;
      const float* taps = K > 0 && blurOn[v] ? T + v * K : nullptr;
      float* o = dst + v * C * size * size;
      if (C == 1)
        oneView<1>(in, H, W, size, box + 4 * v, flip[v], A + v, L + v, scale, taps, K, o, s);
      else
        oneView<3>(in, H, W, size, box + 4 * v, flip[v], A + 9 * v, L + 9 * v, scale, taps, K, o, s);
    }
  });
  return out;
}

}  // namespace
}  // namespace facelab

TORCH_LIBRARY(facelab, m) {
  m.def(
      "simclr_views(Tensor images, Tensor source, Tensor boxes, Tensor flips, Tensor matrices, Tensor offsets, "
      "float scale, Tensor taps, Tensor blurred, int size) -> Tensor");
}

TORCH_LIBRARY_IMPL(facelab, CPU, m) { m.impl("simclr_views", &facelab::simclrViews); }
