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
#include "args.h"
#include "distributed.h"

#include <algorithm>
#include <cstdlib>

#include "handle.h"

namespace facelab {

#ifdef FACELAB_HAS_C10D
namespace dist {

// Leaked on purpose: a process group destroyed by a static destructor at exit would wait for
// in-flight work (up to the timeout) and join threads that may be blocked on a dead peer.
std::mutex groupsMutex;
auto* groups = new std::unordered_map<int, std::shared_ptr<Group>>();
int nextGroupId = 1;

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

}  // namespace dist

using namespace dist;

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
#ifdef FACELAB_HAS_NCCL
    // NCCL's watchdog thread ends the process (std::abort) on a failed or timed-out collective
    // unless wait() is blocking; blocking wait makes each work's wait() on the comm thread raise
    // instead, so the failure reaches JS as a rejected Promise naming the rank. Set here, on the
    // JS thread before any ProcessGroupNCCL reads it; a value the user set is kept. 1.13 reads the
    // old name, 2.x the TORCH_-prefixed one.
    if (io.backend == "nccl") {
      setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
      setenv("NCCL_BLOCKING_WAIT", "1", 0);
    }
#endif
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
  setExports(env, exports, {{"distBackends", DistBackends}});
#ifdef FACELAB_HAS_C10D
  setExports(env, exports, {
      {"distInit", DistInit},
      {"distAllreduce", DistAllreduce},
      {"distBroadcast", DistBroadcast},
      {"distAllgather", DistAllgather},
      {"distBarrier", DistBarrier},
      {"distGradAllreduceHook", DistGradAllreduceHook},
      {"distAllreduceSync", DistAllreduceSync},
      {"distDestroy", DistDestroy},
  });
  initDdp(env, exports);
#endif
}

}  // namespace facelab
