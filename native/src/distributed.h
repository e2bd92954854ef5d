// Shared by the c10d process groups (distributed.cpp) and DDP's gradient reducer (ddp.cpp): the
// Group (a process group plus the comm thread that settles Promises) and the helpers both use.
#pragma once
#include <ATen/ATen.h>
#include <napi.h>
#include <torch/version.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "compat.h"
#include "guard.h"

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
namespace dist {

// LibTorch 2.x moved the collectives from ProcessGroup to Backend (ProcessGroupGloo : Backend).
#ifdef FACELAB_TORCH2
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

// The process group behind a JS-side id, or a TorchError.
std::shared_ptr<Group> groupOf(Napi::Env env, const Napi::Value& v);
// The message of a caught exception, without the C++ backtrace.
std::string describe(std::exception_ptr e);
// A Promise settled on the JS thread once all `works` completed; onSettle runs first there, with
// the works' error ("" if none), and its value resolves the Promise (its throw rejects it).
Napi::Value whenAllDone(Napi::Env env, Group& g, const std::string& op, std::vector<c10::intrusive_ptr<c10d::Work>> works,
                        std::function<Napi::Value(Napi::Env, const std::string&)> onSettle);

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

}  // namespace dist

// DDP's gradient reducer exports (ddp.cpp).
void initDdp(Napi::Env env, Napi::Object exports);
#endif
}  // namespace facelab
