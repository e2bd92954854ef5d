// c10d process groups for multi-process data-parallel training: TCPStore / FileStore rendezvous,
// ProcessGroupGloo on CPU (ProcessGroupNCCL only in CUDA builds), and asynchronous collectives.
//
// Threading (reference/libtorch-binding-and-ts-ecosystem.md §1.6, §2.4): a collective is *issued*
// on the JS thread, so every rank enqueues its collectives in program order, and *runs* on the
// process group's own worker threads. A dedicated comm thread per group waits on the works in
// issue order and delivers each completion through a per-call ThreadSafeFunction that settles a
// Promise, so the event loop stays free (data prefetch) and no libuv pool thread is parked in
// work->wait(). (Completion callbacks on the work's c10::ivalue::Future were tried first: a
// collective's TSFN was intermittently released as null, aborting the process.) The work object holds the at::Tensors by value,
// so a JS dispose() while a collective is in flight cannot free the storage.
// Blocking setup (store connect, rendezvous, Gloo full-mesh connect) runs in an AsyncWorker.
// Every error, timeouts included, comes back as a rejected Promise or a thrown TorchError.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "guard.h"
#include "handle.h"

#if defined(FACELAB_HAS_GLOO) || defined(FACELAB_HAS_NCCL)
#define FACELAB_HAS_C10D 1
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef FACELAB_HAS_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef FACELAB_HAS_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

namespace facelab {

#ifdef FACELAB_HAS_C10D
namespace {

// LibTorch 2.x moved the collectives from ProcessGroup to Backend (ProcessGroupGloo : Backend).
#if defined(TORCH_VERSION_MAJOR) && TORCH_VERSION_MAJOR >= 2
using PG = c10d::Backend;
#else
using PG = c10d::ProcessGroup;
#endif

struct Pending;

// One comm thread per group waits on its works in issue order and hands each result to JS.
struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<PG> pg;
  int rank = 0;
  int size = 1;
  std::chrono::milliseconds timeout{0};

  std::mutex m;
  std::condition_variable cv;
  // Each entry: the works one Promise waits for (a collective, or all of a DDP step's buckets).
  std::deque<std::pair<std::vector<c10::intrusive_ptr<c10d::Work>>, Pending*>> queue;
  bool stopping = false;
  std::thread comm;

  void start() {
    comm = std::thread([this] { loop(); });
  }
  void push(std::vector<c10::intrusive_ptr<c10d::Work>> ws, Pending* p) {
    {
      std::lock_guard<std::mutex> lock(m);
      queue.emplace_back(std::move(ws), p);
    }
    cv.notify_one();
  }
  void loop();
  // Drains the queue, then ends the comm thread (called from the destroying thread).
  void stop() {
    {
      std::lock_guard<std::mutex> lock(m);
      stopping = true;
    }
    cv.notify_one();
    if (comm.joinable()) comm.join();
  }
};

// Leaked on purpose: a process group destroyed by a static destructor at exit would wait for
// in-flight work (up to the timeout) and join threads that may be blocked on a dead peer.
std::mutex groupsMutex;
auto* groups = new std::unordered_map<int, std::shared_ptr<Group>>();
int nextGroupId = 1;

// The registry entry for a JS-side id, or a TorchError naming what is missing.
template <typename T>
std::shared_ptr<T> lookup(Napi::Env env, const Napi::Value& v, std::mutex& mutex, std::unordered_map<int, std::shared_ptr<T>>& map,
                          const char* what) {
  int id = v.IsNumber() ? v.As<Napi::Number>().Int32Value() : -1;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = map.find(id);
  if (it == map.end()) throwTorchError(env, "ValueError", std::string(what) + " " + std::to_string(id) + " does not exist (destroyed, or never created)");
  return it->second;
}

std::shared_ptr<Group> groupOf(Napi::Env env, const Napi::Value& v) {
  return lookup(env, v, groupsMutex, *groups, "process group");
}

std::string describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const c10::Error& err) {
    return err.what_without_backtrace();
  } catch (const std::exception& err) {
    return err.what();
  } catch (...) {
    return "unknown native exception";
  }
}

Napi::Value makeTorchError(Napi::Env env, const std::string& kind, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("name", Napi::String::New(env, "TorchError"));
  err.Set("kind", Napi::String::New(env, kind));
  return err.Value();
}

// ---- setup ------------------------------------------------------------------------------------

struct InitOptions {
  std::string backend, storeType, host, path, iface, hostname;
  int port = 0, rank = 0, size = 1, threads = 2;
  bool isMaster = false;
  std::chrono::milliseconds timeout{0};
};

// Every rank announces itself, then polls until all have: the error can then name the ranks that
// never arrived, which c10d's own wait ("Socket Timeout") does not.
void rendezvous(c10d::Store& store, const InitOptions& o) {
  std::vector<std::string> keys;
  for (int r = 0; r < o.size; r++) keys.push_back("facelab/arrived/" + std::to_string(r));
  store.set(keys[o.rank], std::vector<uint8_t>{1});
  auto deadline = std::chrono::steady_clock::now() + o.timeout;
  while (!store.check(keys)) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::string missing;
      for (int r = 0; r < o.size; r++)
        if (!store.check({keys[r]})) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
      throw std::runtime_error("rendezvous timed out after " + std::to_string(o.timeout.count()) + " ms: rank(s) " + missing +
                               " of " + std::to_string(o.size) + " never arrived");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::shared_ptr<Group> createGroup(const InitOptions& o) {
  auto g = std::make_shared<Group>();
  g->rank = o.rank;
  g->size = o.size;
  g->timeout = o.timeout;
  if (o.storeType == "tcp") {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(o.port);
    so.isServer = o.isMaster;
    so.numWorkers = o.size;
    so.waitWorkers = false;  // rendezvous() below waits, and names who is missing
    // c10d 1.13 counts the connect timeout in whole seconds: under 1 s even rank 0's own client
    // gives up at once ("timed out after 0s"). The rendezvous below keeps the exact timeout.
    so.timeout = std::max(o.timeout, std::chrono::milliseconds(1000));
    try {
      g->store = c10::make_intrusive<c10d::TCPStore>(o.host, so);
    } catch (...) {
      std::string what = describe(std::current_exception());
      throw std::runtime_error(std::string(o.isMaster ? "cannot start the rendezvous store on " : "cannot reach the rendezvous store at ") +
                               o.host + ":" + std::to_string(o.port) + " within " + std::to_string(o.timeout.count()) +
                               " ms (" + what + ")");
    }
  } else {
    g->store = c10::make_intrusive<c10d::FileStore>(o.path, o.size);
  }
  g->store->setTimeout(o.timeout);
  try {
    rendezvous(*g->store, o);
  } catch (const c10::Error& e) {
    // Something answered at host:port but does not speak the c10d store protocol.
    std::string where = o.storeType == "tcp" ? o.host + ":" + std::to_string(o.port) : o.path;
    throw std::runtime_error("rendezvous through the store at " + where + " failed (" + e.what_without_backtrace() +
                             "); is the master address/port right?");
  }

  if (o.backend == "gloo") {
#ifdef FACELAB_HAS_GLOO
    auto opts = c10d::ProcessGroupGloo::Options::create(o.timeout);
    if (!o.iface.empty())
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(o.iface));
    else if (!o.hostname.empty())
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(o.hostname));
    else
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    opts->threads = o.threads;
    g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, o.rank, o.size, opts);
#else
    throw std::runtime_error("this build of the addon has no Gloo (install libgloo-dev and rebuild)");
#endif
  } else if (o.backend == "nccl") {
#ifdef FACELAB_HAS_NCCL
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = o.timeout;
    g->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(g->store, o.rank, o.size, opts);
#else
    throw std::runtime_error(
        "this build of the addon has no NCCL: the nccl backend needs a CUDA LibTorch built with NCCL and nccl.h at build "
        "time (LIBTORCH=<pytorch.org CUDA zip>, then npm run build:native); use gloo");
#endif
  } else {
    throw std::runtime_error("unknown backend '" + o.backend + "' (expected gloo or nccl)");
  }
  return g;
}

class InitWorker : public Napi::AsyncWorker {
 public:
  InitWorker(Napi::Env env, InitOptions o)
      : Napi::AsyncWorker(env, "facelab.initProcessGroup"), opts_(std::move(o)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      group_ = createGroup(opts_);
    } catch (...) {
      error_ = describe(std::current_exception());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!error_.empty()) {
      deferred_.Reject(makeTorchError(env, "DistributedError", "initProcessGroup (rank " + std::to_string(opts_.rank) + "): " + error_));
      return;
    }
    int id;
    {
      std::lock_guard<std::mutex> lock(groupsMutex);
      id = nextGroupId++;
      (*groups)[id] = group_;
      group_->start();
    }
    deferred_.Resolve(Napi::Number::New(env, id));
  }

 private:
  InitOptions opts_;
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Group> group_;
  std::string error_;
};

std::string str(const Napi::Object& o, const char* key) {
  auto v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}
int num(const Napi::Object& o, const char* key, int dflt) {
  auto v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : dflt;
}

// ---- collectives --------------------------------------------------------------------------------

struct Pending {
  explicit Pending(Napi::Env env, std::string op) : deferred(Napi::Promise::Deferred::New(env)), op(std::move(op)) {}
  Napi::Promise::Deferred deferred;
  Napi::ThreadSafeFunction tsfn;
  std::string op;
  std::vector<at::Tensor> outputs;  // handed to JS as fresh handles (allgather)
  bool returnsTensors = false;
  std::string error;                // written by the completing thread before the call is queued
  // Runs on the JS thread once the works completed, before the Promise settles, with the works'
  // error ("" if none): DDP copies the averaged buckets into .grad and resets its step state. Its
  // value resolves the Promise; the error, or what it throws, rejects it.
  std::function<Napi::Value(Napi::Env, const std::string&)> onSettle;
};

void settle(Napi::Env env, Napi::Function, Pending* p) {
  std::unique_ptr<Pending> own(p);
  if (env == nullptr) return;  // the environment is shutting down
  if (p->onSettle) {
    std::string error = p->error;
    Napi::Value value = env.Undefined();
    try {
      value = p->onSettle(env, error);
    } catch (...) {
      if (error.empty()) error = describe(std::current_exception());
    }
    if (error.empty())
      p->deferred.Resolve(value);
    else
      p->deferred.Reject(makeTorchError(env, "DistributedError", p->op + ": " + error));
  } else if (!p->error.empty()) {
    p->deferred.Reject(makeTorchError(env, "DistributedError", p->op + ": " + p->error));
  } else if (p->returnsTensors) {
    auto arr = Napi::Array::New(env, p->outputs.size());
    for (size_t i = 0; i < p->outputs.size(); i++) arr.Set(i, wrapTensor(env, p->outputs[i]));
    p->deferred.Resolve(arr);
  } else {
    p->deferred.Resolve(env.Undefined());
  }
}

// Returns a Promise settled when `work` completes; runs on the JS thread.
Napi::Value whenAllDone(Napi::Env env, Group& g, const std::string& op, std::vector<c10::intrusive_ptr<c10d::Work>> works,
                        std::function<Napi::Value(Napi::Env, const std::string&)> onSettle) {
  auto* p = new Pending(env, op);
  p->onSettle = std::move(onSettle);
  Napi::Promise promise = p->deferred.Promise();
  p->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "facelab." + op, 0, 1);
  g.push(std::move(works), p);
  return promise;
}

Napi::Value whenDone(Napi::Env env, Group& g, const std::string& op, c10::intrusive_ptr<c10d::Work> work,
                     std::vector<at::Tensor> outputs = {}, bool returnsTensors = false) {
  auto* p = new Pending(env, op);
  p->outputs = std::move(outputs);
  p->returnsTensors = returnsTensors;
  Napi::Promise promise = p->deferred.Promise();
  p->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "facelab." + op, 0, 1);
  g.push({std::move(work)}, p);
  return promise;
}

void Group::loop() {
  for (;;) {
    std::pair<std::vector<c10::intrusive_ptr<c10d::Work>>, Pending*> item;
    {
      std::unique_lock<std::mutex> lock(m);
      cv.wait(lock, [this] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping and drained
      item = std::move(queue.front());
      queue.pop_front();
    }
    Pending* p = item.second;
    for (auto& work : item.first) {
      try {
        // Gloo enforces `timeout` on every transfer itself and reports which peer failed; the
        // wait's own limit is only a backstop, so it is longer.
        work->wait(timeout * 2);
      } catch (...) {
        if (p->error.empty()) p->error = describe(std::current_exception());
      }
    }
    item.first.clear();
    // Copy the handle first: once the call is queued the JS thread may settle and free p.
    Napi::ThreadSafeFunction tsfn = p->tsfn;
    tsfn.NonBlockingCall(p, settle);
    tsfn.Release();
  }
}

at::Tensor commTensor(Napi::Env env, const Napi::Value& v, const char* op) {
  at::Tensor t = unwrapTensor(env, v, "tensor").detach();  // same storage, no autograd bookkeeping
  if (!t.is_contiguous())
    throwTorchError(env, "ValueError", std::string(op) + " needs a contiguous tensor; call contiguous() first");
  return t;
}

c10d::ReduceOp reduceOp(Napi::Env env, const std::string& name) {
  // AVG is not supported by Gloo in LibTorch 1.13; the TypeScript side sums and divides.
  if (name == "sum") return c10d::ReduceOp::SUM;
  if (name == "max") return c10d::ReduceOp::MAX;
  if (name == "min") return c10d::ReduceOp::MIN;
  if (name == "product") return c10d::ReduceOp::PRODUCT;
  throwTorchError(env, "ValueError", "unknown reduce op '" + name + "' (expected sum, max, min or product)");
}

}  // namespace

// distInit({backend, rank, worldSize, store: {type:'tcp', host, port, isMaster} | {type:'file', path},
//           timeoutMs, interface?, hostname?, threads?}) -> Promise<groupId>
static Napi::Value DistInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto o = info[0].As<Napi::Object>();
    auto s = o.Get("store").As<Napi::Object>();
    InitOptions io;
    io.backend = str(o, "backend");
    io.rank = num(o, "rank", 0);
    io.size = num(o, "worldSize", 1);
    io.timeout = std::chrono::milliseconds(num(o, "timeoutMs", 1800000));
    io.iface = str(o, "interface");
    io.hostname = str(o, "hostname");
    io.threads = num(o, "threads", 2);
    io.storeType = str(s, "type");
    io.host = str(s, "host");
    io.port = num(s, "port", 29500);
    io.isMaster = s.Get("isMaster").ToBoolean().Value();
    io.path = str(s, "path");
    auto* w = new InitWorker(env, std::move(io));
    auto promise = w->promise();
    w->Queue();
    return promise;
  })
}

// Issues (id, tensor, op)'s all-reduce on the JS thread, so every rank enqueues in program order.
static c10::intrusive_ptr<c10d::Work> startAllreduce(Napi::Env env, const Napi::CallbackInfo& info, Group& g, const char* op) {
  std::vector<at::Tensor> ts{commTensor(env, info[1], op)};
  c10d::AllreduceOptions opts;
  opts.reduceOp = reduceOp(env, info[2].As<Napi::String>().Utf8Value());
  return g.pg->allreduce(ts, opts);
}

static Napi::Value DistAllreduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto g = groupOf(env, info[0]);
    return whenDone(env, *g, "allreduce", startAllreduce(env, info, *g, "allreduce"));
  })
}

static Napi::Value DistBroadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto g = groupOf(env, info[0]);
    std::vector<at::Tensor> ts{commTensor(env, info[1], "broadcast")};
    c10d::BroadcastOptions opts;
    opts.rootRank = info[2].As<Napi::Number>().Int32Value();
    return whenDone(env, *g, "broadcast", g->pg->broadcast(ts, opts));
  })
}

// distAllgather(id, tensor) -> Promise<handle[]> (one tensor per rank, in rank order)
static Napi::Value DistAllgather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto g = groupOf(env, info[0]);
    std::vector<at::Tensor> in{commTensor(env, info[1], "allgather")};
    std::vector<std::vector<at::Tensor>> out(1);
    for (int r = 0; r < g->size; r++) out[0].push_back(at::empty_like(in[0], at::MemoryFormat::Contiguous));
    auto work = g->pg->allgather(out, in);
    return whenDone(env, *g, "allgather", work, out[0], true);
  })
}

static Napi::Value DistBarrier(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto g = groupOf(env, info[0]);
    return whenDone(env, *g, "barrier", g->pg->barrier());
  })
}

// distGradAllreduceHook(id, tensor): the gradient arriving at `tensor` during backward is summed
// over all ranks before it flows on. Runs inside backward on the JS thread (LibTorch runs CPU
// autograd on the calling thread), so it blocks like the rest of backward; a failed or timed-out
// collective propagates out of backward as a TorchError.
static Napi::Value DistGradAllreduceHook(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto g = groupOf(env, info[0]);
    at::Tensor& t = unwrapTensor(env, info[1], "tensor");
    if (!t.requires_grad()) throwTorchError(env, "ValueError", "gradient all-reduce hook needs a tensor that requires grad");
    t.register_hook([g](const at::Tensor& grad) -> at::Tensor {
      std::vector<at::Tensor> v{grad.detach().clone(at::MemoryFormat::Contiguous)};
      auto work = g->pg->allreduce(v);
      try {
        work->wait(g->timeout);
      } catch (...) {
        TORCH_CHECK(false, "all-reduce of the gathered gradient failed in backward: ", describe(std::current_exception()));
      }
      return v[0];
    });
    return env.Undefined();
  })
}

// distAllreduceSync(id, tensor, op): the all-reduce, waited for on the JS thread (SyncBatchNorm's
// statistics inside a synchronous model forward). Gloo enforces the group's timeout on every
// transfer; the wait's own limit is the same timeout. A failure is a TorchError naming the rank.
static Napi::Value DistAllreduceSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto g = groupOf(env, info[0]);
    std::string error;
    try {
      startAllreduce(env, info, *g, "allreduceSync")->wait(g->timeout);
    } catch (...) {
      error = describe(std::current_exception());
    }
    if (!error.empty())
      throwTorchError(env, "DistributedError", "allreduceSync (rank " + std::to_string(g->rank) + "): " + error);
    return env.Undefined();
  })
}

// ---- DDP gradient reducer: bucket all-reduces that overlap backward ---------------------------
//
// LibTorch's own c10d::Reducer is exported by Debian's libtorch_cpu, but its header includes
// torch/csrc/distributed/autograd/context/context.h, which libtorch-dev does not ship, so it
// cannot be compiled against. This is the same scheme, smaller: a post-hook on every parameter's
// gradient accumulator (it runs after the gradient is added into .grad, so gradient accumulation
// under noSync is included) marks the parameter ready; when all of a bucket's parameters are
// ready the bucket is flattened and its all-reduce launched, and it runs on c10d's threads while
// autograd goes on. Buckets launch strictly in index order (bucket b waits for b−1, as in PyTorch's
// Reducer), so every rank issues the same collectives in the same order even when a parameter
// gets no gradient on some rank. finalize launches what is left (a parameter without a gradient
// this step contributes its .grad if set, else zeros), waits on the comm thread, and on the JS
// thread writes the averages into .grad.
struct Reducer {
  std::shared_ptr<Group> group;
  std::vector<at::Tensor> params;
  std::vector<std::vector<size_t>> buckets;
  std::vector<size_t> bucketOf;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators;  // keeps the hooks' nodes alive

  std::mutex m;  // hooks run on the JS thread on CPU, on autograd's device threads for CUDA
  bool enabled = true;
  bool finalizing = false;
  std::vector<char> ready;
  std::vector<size_t> pending;  // parameters of each bucket still without a gradient this step
  size_t next = 0;              // the next bucket to launch
  std::vector<at::Tensor> flats;
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  std::vector<std::string> events;  // this step's order of gradients and launches (tests, profiling)

  void reset() {
    std::fill(ready.begin(), ready.end(), 0);
    pending.clear();
    for (auto& b : buckets) pending.push_back(b.size());
    next = 0;
    flats.assign(buckets.size(), at::Tensor());
    works.clear();
    events.clear();
    finalizing = false;
  }

  void launch(size_t b) {
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> parts;
    for (size_t i : buckets[b]) {
      const at::Tensor& p = params[i];
      at::Tensor g = p.grad();
      parts.push_back(g.defined() ? g.detach().reshape({-1})
                                  : at::zeros({p.numel()}, at::TensorOptions().dtype(p.scalar_type()).device(p.device())));
    }
    std::vector<at::Tensor> flat{at::cat(parts)};
    flats[b] = flat[0];
    works.push_back(group->pg->allreduce(flat));
    events.push_back("launch " + std::to_string(b));
  }

  void onGradReady(size_t i) {
    std::lock_guard<std::mutex> lock(m);
    if (!enabled) return;
    TORCH_CHECK(!finalizing,
                "DistributedDataParallel: backward produced gradients while the previous step's gradient sync was still in "
                "flight; await syncGradients() before the next backward");
    TORCH_CHECK(!ready[i], "DistributedDataParallel: parameter ", i,
                " received a second gradient before syncGradients(); run the extra backward passes of gradient "
                "accumulation inside noSync(), and call syncGradients() after each synchronised backward");
    ready[i] = 1;
    events.push_back("grad " + std::to_string(i));
    if (--pending[bucketOf[i]] == 0)
      while (next < buckets.size() && pending[next] == 0) launch(next++);
  }

  // JS thread, after the works completed: averages into .grad, then a fresh step.
  void writeBack() {
    at::NoGradGuard noGrad;
    for (size_t b = 0; b < buckets.size(); b++) {
      at::Tensor flat = flats[b].div_(group->size);
      int64_t off = 0;
      for (size_t i : buckets[b]) {
        int64_t n = params[i].numel();
        at::Tensor avg = flat.narrow(0, off, n).view(params[i].sizes());
        at::Tensor& g = params[i].mutable_grad();
        if (g.defined())
          g.copy_(avg);
        else
          g = avg.clone();
        off += n;
      }
    }
  }
};

std::mutex reducersMutex;
auto* reducers = new std::unordered_map<int, std::shared_ptr<Reducer>>();
int nextReducerId = 1;

std::shared_ptr<Reducer> reducerOf(Napi::Env env, const Napi::Value& v) {
  return lookup(env, v, reducersMutex, *reducers, "gradient reducer");
}

// distReducerCreate(groupId, params: handle[], buckets: number[][]) -> reducerId. Every parameter
// (a leaf that requires grad) appears in exactly one bucket; buckets are in launch order.
static Napi::Value DistReducerCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto r = std::make_shared<Reducer>();
    r->group = groupOf(env, info[0]);
    auto ps = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < ps.Length(); i++) {
      at::Tensor& p = unwrapTensor(env, ps.Get(i), "parameter");
      if (!p.is_leaf() || !p.requires_grad())
        throwTorchError(env, "ValueError", "DistributedDataParallel: parameter " + std::to_string(i) + " must be a leaf that requires grad");
      r->params.push_back(p);
    }
    auto bs = info[2].As<Napi::Array>();
    r->bucketOf.assign(r->params.size(), SIZE_MAX);
    for (uint32_t b = 0; b < bs.Length(); b++) {
      auto idx = bs.Get(b).As<Napi::Array>();
      std::vector<size_t> bucket;
      for (uint32_t k = 0; k < idx.Length(); k++) {
        int64_t i = idx.Get(k).As<Napi::Number>().Int64Value();
        if (i < 0 || i >= static_cast<int64_t>(r->params.size()) || r->bucketOf[i] != SIZE_MAX)
          throwTorchError(env, "ValueError", "DistributedDataParallel: bucket " + std::to_string(b) + " names parameter " +
                                                 std::to_string(i) + " that is out of range or already in a bucket");
        r->bucketOf[i] = b;
        bucket.push_back(static_cast<size_t>(i));
      }
      if (bucket.empty()) throwTorchError(env, "ValueError", "DistributedDataParallel: bucket " + std::to_string(b) + " is empty");
      r->buckets.push_back(std::move(bucket));
    }
    for (size_t i = 0; i < r->params.size(); i++)
      if (r->bucketOf[i] == SIZE_MAX)
        throwTorchError(env, "ValueError", "DistributedDataParallel: parameter " + std::to_string(i) + " is in no bucket");
    r->ready.assign(r->params.size(), 0);
    r->reset();
    std::weak_ptr<Reducer> weak = r;
    for (size_t i = 0; i < r->params.size(); i++) {
      auto acc = torch::autograd::impl::grad_accumulator(r->params[i]);
      if (!acc) throwTorchError(env, "ValueError", "DistributedDataParallel: parameter " + std::to_string(i) + " has no gradient accumulator");
      acc->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
          [weak, i](const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) {
            if (auto self = weak.lock()) self->onGradReady(i);
            return outputs;
          }));
      r->accumulators.push_back(std::move(acc));
    }
    std::lock_guard<std::mutex> lock(reducersMutex);
    int id = nextReducerId++;
    (*reducers)[id] = r;
    return Napi::Number::New(env, id);
  })
}

// distReducerSetEnabled(id, on): off = noSync (gradients only accumulate locally).
static Napi::Value DistReducerSetEnabled(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto r = reducerOf(env, info[0]);
    std::lock_guard<std::mutex> lock(r->m);
    r->enabled = info[1].ToBoolean().Value();
    return env.Undefined();
  })
}

// distReducerFinalize(id) -> Promise<{unused: number[], events: string[]}>: launches the buckets
// backward did not complete, waits for all, writes the averaged gradients. `unused` lists the
// parameters whose gradient hook did not run this step.
static Napi::Value DistReducerFinalize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto r = reducerOf(env, info[0]);
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    std::vector<size_t> unused;
    std::vector<std::string> events;
    {
      std::lock_guard<std::mutex> lock(r->m);
      if (r->finalizing)
        throwTorchError(env, "DistributedError", "DistributedDataParallel: syncGradients() called again before the previous one finished");
      for (size_t i = 0; i < r->params.size(); i++)
        if (!r->ready[i]) unused.push_back(i);
      r->events.push_back("finalize");
      try {
        while (r->next < r->buckets.size()) r->launch(r->next++);
      } catch (...) {
        r->reset();
        throw;
      }
      r->finalizing = true;
      works = r->works;
      events = r->events;
    }
    return whenAllDone(env, *r->group, "DDP gradient all-reduce (rank " + std::to_string(r->group->rank) + ")", std::move(works),
                       [r, unused, events](Napi::Env env, const std::string& error) -> Napi::Value {
                         std::lock_guard<std::mutex> lock(r->m);
                         try {
                           if (error.empty()) r->writeBack();
                         } catch (...) {
                           r->reset();
                           throw;
                         }
                         r->reset();
                         auto out = Napi::Object::New(env);
                         auto u = Napi::Array::New(env, unused.size());
                         for (size_t k = 0; k < unused.size(); k++) u.Set(k, Napi::Number::New(env, static_cast<double>(unused[k])));
                         auto e = Napi::Array::New(env, events.size());
                         for (size_t k = 0; k < events.size(); k++) e.Set(k, Napi::String::New(env, events[k]));
                         out.Set("unused", u);
                         out.Set("events", e);
                         return out;
                       });
  })
}

// distReducerDestroy(id): the hooks stay on the accumulators but find the reducer gone and do nothing.
static Napi::Value DistReducerDestroy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    std::lock_guard<std::mutex> lock(reducersMutex);
    reducers->erase(info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : -1);
    return env.Undefined();
  })
}

// distDestroy(id) -> Promise<void>. The group's destructor drains queued work and joins its
// threads, so it runs off the JS thread.
static Napi::Value DistDestroy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    std::shared_ptr<Group> g = groupOf(env, info[0]);
    {
      std::lock_guard<std::mutex> lock(groupsMutex);
      groups->erase(info[0].As<Napi::Number>().Int32Value());
    }
    auto deferred = Napi::Promise::Deferred::New(env);
    auto tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "facelab.destroy", 0, 1);
    auto* d = new Napi::Promise::Deferred(deferred);
    std::thread([g = std::move(g), tsfn, d]() mutable {
      g->stop();
      g.reset();
      tsfn.NonBlockingCall(d, [](Napi::Env env, Napi::Function, Napi::Promise::Deferred* d) {
        if (static_cast<napi_env>(env) != nullptr) d->Resolve(env.Undefined());
        delete d;
      });
      tsfn.Release();
    }).detach();
    return deferred.Promise();
  })
}
#endif  // FACELAB_HAS_C10D

// distBackends() -> the backends this build can create, e.g. ["gloo"] or ["gloo", "nccl"].
static Napi::Value DistBackends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Array::New(env);
#ifdef FACELAB_HAS_GLOO
  out.Set(out.Length(), Napi::String::New(env, "gloo"));
#endif
#ifdef FACELAB_HAS_NCCL
  out.Set(out.Length(), Napi::String::New(env, "nccl"));
#endif
  return out;
}

void initDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distBackends", Napi::Function::New(env, DistBackends));
#ifdef FACELAB_HAS_C10D
  exports.Set("distInit", Napi::Function::New(env, DistInit));
  exports.Set("distAllreduce", Napi::Function::New(env, DistAllreduce));
  exports.Set("distBroadcast", Napi::Function::New(env, DistBroadcast));
  exports.Set("distAllgather", Napi::Function::New(env, DistAllgather));
  exports.Set("distBarrier", Napi::Function::New(env, DistBarrier));
  exports.Set("distGradAllreduceHook", Napi::Function::New(env, DistGradAllreduceHook));
  exports.Set("distAllreduceSync", Napi::Function::New(env, DistAllreduceSync));
  exports.Set("distReducerCreate", Napi::Function::New(env, DistReducerCreate));
  exports.Set("distReducerSetEnabled", Napi::Function::New(env, DistReducerSetEnabled));
  exports.Set("distReducerFinalize", Napi::Function::New(env, DistReducerFinalize));
  exports.Set("distReducerDestroy", Napi::Function::New(env, DistReducerDestroy));
  exports.Set("distDestroy", Napi::Function::New(env, DistDestroy));
#endif
}

}  // namespace facelab
