// DDP's gradient reducer: bucket all-reduces that overlap backward (src/torch/distributed/ddp.ts).
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <algorithm>
#include <cstdint>

#include "args.h"
#include "compat.h"
#include "distributed.h"
#include "handle.h"

namespace facelab {
#ifdef FACELAB_HAS_C10D
using namespace dist;

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
  std::vector<compat::NodePtr> accumulators;  // keeps the hooks' nodes alive

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

void initDdp(Napi::Env env, Napi::Object exports) {
  setExports(env, exports, {
      {"distReducerCreate", DistReducerCreate},
      {"distReducerSetEnabled", DistReducerSetEnabled},
      {"distReducerFinalize", DistReducerFinalize},
      {"distReducerDestroy", DistReducerDestroy},
  });
}
#endif  // FACELAB_HAS_C10D
}  // namespace facelab
