// Module entry: runtime configuration (threads, seeds, build info, memory counters).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/version.h>
#include <malloc.h>
#include <fstream>
#include <thread>

#include "args.h"
#include "guard.h"
#include "handle.h"

#ifdef FACELAB_HAS_CUDA
#include <torch/cuda.h>
#endif

namespace facelab {
void initDispatch(Napi::Env env, Napi::Object exports);
void initTensor(Napi::Env env, Napi::Object exports);
void initDistributed(Napi::Env env, Napi::Object exports);
void initAmp(Napi::Env env, Napi::Object exports);

// Which BLAS the process actually mapped (Debian resolves libblas.so.3 through alternatives).
static std::string mappedBlas() {
  std::ifstream maps("/proc/self/maps");
  std::string line, found = "unknown";
  while (std::getline(maps, line)) {
    if (line.find("openblas") != std::string::npos) return "openblas";
    if (line.find("libmkl") != std::string::npos) found = "mkl";
    else if (line.find("libblis") != std::string::npos) found = "blis";
    else if (line.find("blas/libblas.so") != std::string::npos && found == "unknown") found = "reference";
  }
  return found;
}

static Napi::Value Config(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto o = Napi::Object::New(env);
    o.Set("torchVersion", Napi::String::New(env, TORCH_VERSION));
    o.Set("numThreads", Napi::Number::New(env, at::get_num_threads()));
    o.Set("blas", Napi::String::New(env, mappedBlas()));
    o.Set("buildConfig", Napi::String::New(env, at::show_config()));
#ifdef FACELAB_HAS_CUDA
    o.Set("cudaBuilt", Napi::Boolean::New(env, true));
    o.Set("cudaAvailable", Napi::Boolean::New(env, torch::cuda::is_available()));
    o.Set("cudaDeviceCount", Napi::Number::New(env, static_cast<double>(torch::cuda::device_count())));
#else
    o.Set("cudaBuilt", Napi::Boolean::New(env, false));
    o.Set("cudaAvailable", Napi::Boolean::New(env, false));
    o.Set("cudaDeviceCount", Napi::Number::New(env, 0));
#endif
#ifdef FACELAB_HAS_GLOO
    o.Set("gloo", Napi::Boolean::New(env, true));
#else
    o.Set("gloo", Napi::Boolean::New(env, false));
#endif
#ifdef FACELAB_HAS_NCCL
    o.Set("nccl", Napi::Boolean::New(env, true));
#else
    o.Set("nccl", Napi::Boolean::New(env, false));
#endif
    return o;
  })
}

static Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    at::set_num_threads(static_cast<int>(intArg(env, info[0], "thread count", 1, 1 << 16)));
    return env.Undefined();
  })
}

static Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    uint64_t seed = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
    at::manual_seed(seed);
    return env.Undefined();
  })
}

static Napi::Value LiveTensors(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(liveTensorCount.load()));
}

static Napi::Value MallocTrim(const Napi::CallbackInfo& info) {
  malloc_trim(0);
  return info.Env().Undefined();
}

// Bytes the process holds in allocated malloc chunks, over all arenas (glibc's mallinfo2).
static Napi::Value MallocInUse(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(mallinfo2().uordblks));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Intra-op threads: FACELAB_THREADS, else OMP_NUM_THREADS (as PyTorch honours it), else every core
  // (LibTorch defaults to 1 on small machines). A value that is not a positive integer is ignored.
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  for (const char* name : {"OMP_NUM_THREADS", "FACELAB_THREADS"})
    if (const char* s = std::getenv(name); s && std::atoi(s) > 0) threads = std::atoi(s);
  if (threads > 0) at::set_num_threads(threads);
  initHandles(env);
  initDispatch(env, exports);
  initTensor(env, exports);
  initDistributed(env, exports);
  initAmp(env, exports);
  setExports(env, exports, {
      {"config", Config},
      {"setNumThreads", SetNumThreads},
      {"manualSeed", ManualSeed},
      {"liveTensors", LiveTensors},
      {"mallocTrim", MallocTrim},
      {"mallocInUse", MallocInUse},
  });
  return exports;
}

}  // namespace facelab

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return facelab::Init(env, exports); }
NODE_API_MODULE(facelab, InitModule)
