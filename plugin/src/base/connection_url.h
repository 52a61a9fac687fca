// base/connection_url.h
//
// The database connection URL of a shared store (store.url, OHFP_STORE_URL): a libpq connection
// URI, postgresql://user[:password]@host[:port]/database[?param=value&...]. Helpers for the layers
// that show it (the configuration, the store's messages): the password never appears in a log
// line, an error or `ohfp config validate`.
//
// Thread-safety: pure functions.
//
// Example:
//   RedactConnectionUrl("postgresql://hf:pw@db1/ohfp")   // "postgresql://hf:***@db1/ohfp"
#pragma once

#include <string>
#include <string_view>

namespace ohfp::base {

// `url` with any password replaced by "***": in the user info of a URI, in a password=
// parameter of a URI's query or of a key=value connection string.
std::string RedactConnectionUrl(std::string_view url);

// True for "postgresql://..." and "postgres://...".
bool IsPostgresUrl(std::string_view url);

// True for a schema name ohfp uses unquoted in SQL: a lowercase letter or '_', then lowercase
// letters, digits or '_', at most 63 characters.
bool ValidSchemaName(std::string_view name);

}  // namespace ohfp::base
