#include "store/pg_library.h"

#include <dlfcn.h>

namespace ohfp::store {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;

Result<std::shared_ptr<const PgLibrary>> PgLibrary::Load(const std::string& file) {
  std::shared_ptr<PgLibrary> lib(new PgLibrary());
  // RTLD_LOCAL: libpq's dependencies (Kerberos, LDAP, GnuTLS) stay out of the global namespace.
  // RTLD_NODELETE: once loaded it stays until the process ends (a command loads it once; those
  // libraries keep process-wide state that unloading would strand).
  lib->handle_ = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (lib->handle_ == nullptr) {
    const char* why = ::dlerror();
    return Error(ErrorKind::kInternal, "StoreNoClientLibrary",
                 "cannot load the PostgreSQL client library " + file + " (" +
                     (why != nullptr ? std::string(why) : std::string("unknown reason")) +
                     "); install libpq5 (scripts/install-deps.sh), or leave store.url unset for "
                     "the embedded SQLite store");
  }
  std::string missing;
#define OHFP_PQ_LOOKUP(name)                                                     \
  lib->name = reinterpret_cast<decltype(&::name)>(::dlsym(lib->handle_, #name)); \
  if (lib->name == nullptr) missing += std::string(missing.empty() ? "" : ", ") + #name;
  OHFP_PQ_FUNCTIONS(OHFP_PQ_LOOKUP)
#undef OHFP_PQ_LOOKUP
  if (!missing.empty()) {
    return Error(ErrorKind::kInternal, "StoreNoClientLibrary",
                 file + " lacks " + missing + ": libpq 14 or newer is needed");
  }
  if (lib->PQisthreadsafe() == 0) {
    return Error(ErrorKind::kInternal, "StoreNoClientLibrary",
                 file + " was built without thread safety");
  }
  return std::shared_ptr<const PgLibrary>(std::move(lib));
}

PgLibrary::~PgLibrary() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

}  // namespace ohfp::store
