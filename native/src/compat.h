// The one place where LibTorch 1.13 (Debian 12) and 2.x (pytorch.org zips, pip wheels) differ for
// facelab. Every other file calls these names; TORCH_VERSION_MAJOR checks live here only.
#pragma once
#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/function.h>
#include <torch/version.h>

#if defined(TORCH_VERSION_MAJOR) && TORCH_VERSION_MAJOR >= 2
#define FACELAB_TORCH2 1
#endif

namespace facelab::compat {

// Autograd graph nodes (a leaf's gradient accumulator): std::shared_ptr in 1.13, c10::intrusive_ptr
// in 2.x (pytorch/pytorch "autograd: Node is intrusive_ptr_target"), which broke ddp.cpp on 2.x.
#ifdef FACELAB_TORCH2
using NodePtr = c10::intrusive_ptr<torch::autograd::Node>;
#else
using NodePtr = std::shared_ptr<torch::autograd::Node>;
#endif

// c10d's collectives moved from ProcessGroup to Backend (ProcessGroupGloo : Backend) in 2.x.
// (Used by distributed.h as dist::PG.)

// Autocast: 1.13 has one switch per device family (set_enabled = CUDA, set_cpu_enabled) and
// per-family dtypes (set_autocast_gpu_dtype / set_autocast_cpu_dtype); 2.x takes the device type
// (set_autocast_enabled(kCUDA, on), set_autocast_dtype(kCPU, dtype)) and deprecates the old names.
inline bool autocastEnabled(c10::DeviceType device) {
#ifdef FACELAB_TORCH2
  return at::autocast::is_autocast_enabled(device);
#else
  return device == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

inline void setAutocastEnabled(c10::DeviceType device, bool on) {
#ifdef FACELAB_TORCH2
  at::autocast::set_autocast_enabled(device, on);
#else
  if (device == c10::DeviceType::CUDA)
    at::autocast::set_enabled(on);
  else
    at::autocast::set_cpu_enabled(on);
#endif
}

inline at::ScalarType autocastDtype(c10::DeviceType device) {
#ifdef FACELAB_TORCH2
  return at::autocast::get_autocast_dtype(device);
#else
  return device == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

inline void setAutocastDtype(c10::DeviceType device, at::ScalarType dtype) {
#ifdef FACELAB_TORCH2
  at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == c10::DeviceType::CUDA)
    at::autocast::set_autocast_gpu_dtype(dtype);
  else
    at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

}  // namespace facelab::compat
