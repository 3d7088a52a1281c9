#include "medic/curl_library.h"

#include <dlfcn.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace medic::curl {
namespace {

constexpr const char* kSoname = "libcurl.so.4";

struct DlCloser {
  void operator()(void* handle) const { ::dlclose(handle); }
};
using SharedObject = std::unique_ptr<void, DlCloser>;

// dlerror() may return null (no error recorded); std::string must not be built from that.
std::string DlError() {
  const char* error = ::dlerror();
  return error != nullptr ? error : "unknown dynamic loader error";
}

template <typename Function>
void Resolve(void* handle, const char* name, Function& slot) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) {
    throw std::runtime_error(std::string(kSoname) + " has no " + name + ": " + DlError());
  }
  slot = reinterpret_cast<Function>(symbol);
}

struct Loader {
  std::once_flag once;
  SharedObject object;
  Library library;
  std::string error;  // set when loading failed; every caller gets it
  std::atomic<bool> loaded{false};

  void Load() {
    // RTLD_NODELETE: threads may still be inside libcurl while static destructors run at exit.
    object.reset(::dlopen(kSoname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE));
    if (!object) {
      error = std::string("cannot load ") + kSoname + " (install libcurl4): " + DlError();
      return;
    }
    try {
      void* handle = object.get();
      Resolve(handle, "curl_easy_init", library.easy_init);
      Resolve(handle, "curl_easy_cleanup", library.easy_cleanup);
      Resolve(handle, "curl_easy_reset", library.easy_reset);
      Resolve(handle, "curl_easy_setopt", library.easy_setopt);
      Resolve(handle, "curl_easy_perform", library.easy_perform);
      Resolve(handle, "curl_easy_getinfo", library.easy_getinfo);
      Resolve(handle, "curl_easy_strerror", library.easy_strerror);
      Resolve(handle, "curl_multi_init", library.multi_init);
      Resolve(handle, "curl_multi_cleanup", library.multi_cleanup);
      Resolve(handle, "curl_multi_add_handle", library.multi_add_handle);
      Resolve(handle, "curl_multi_remove_handle", library.multi_remove_handle);
      Resolve(handle, "curl_multi_perform", library.multi_perform);
      Resolve(handle, "curl_multi_poll", library.multi_poll);
      Resolve(handle, "curl_multi_info_read", library.multi_info_read);
      Resolve(handle, "curl_slist_append", library.slist_append);
      Resolve(handle, "curl_slist_free_all", library.slist_free_all);
      decltype(&::curl_global_init) global_init = nullptr;
      Resolve(handle, "curl_global_init", global_init);
      if (const CURLcode code = global_init(CURL_GLOBAL_ALL); code != CURLE_OK) {
        error = "curl_global_init failed: " + std::string(library.easy_strerror(code));
        return;
      }
      loaded.store(true, std::memory_order_release);
    } catch (const std::runtime_error& failure) {
      error = failure.what();
    }
  }
};

Loader& TheLoader() {
  static Loader loader;
  return loader;
}

}  // namespace

const Library& Api() {
  Loader& loader = TheLoader();
  std::call_once(loader.once, [&loader] { loader.Load(); });
  if (!loader.loaded.load(std::memory_order_acquire)) throw std::runtime_error(loader.error);
  return loader.library;
}

bool Loaded() { return TheLoader().loaded.load(std::memory_order_acquire); }

}  // namespace medic::curl
