#include "cli/store_commands.h"

#include <nlohmann/json.hpp>
#include <ostream>

#include "base/connection_url.h"
#include "cli/exit_codes.h"
#include "store/store_copy.h"

namespace ohfp::cli {

int RunStoreMigrate(const StoreMigrateOptions& migrate, const app::AppOptions& options,
                    const aws::Environment& env, std::ostream& out, std::ostream& err) {
  const app::PluginPaths paths = app::ResolvePaths(options, env);
  const std::filesystem::path file =
      options.config_file ? *options.config_file : paths.confdir / "config.json";
  resilience::Result<config::PluginConfig> config = config::LoadPluginConfig(file, env);
  if (!config.ok()) {
    err << "ohfp: " << file.string() << ": " << config.error().message() << "\n";
    return kExitBadInput;
  }
  const store::StoreLocation from = app::StoreLocationFor(*config, paths);
  store::StoreLocation to = from;
  if (base::IsPostgresUrl(migrate.to)) {
    to.url = migrate.to;
    to.schema = migrate.schema.empty() ? config->store.schema : migrate.schema;
    to.resilience_schema =
        migrate.resilience_schema.empty()
            ? (migrate.schema.empty() ? config->store.effective_resilience_schema() : to.schema)
            : migrate.resilience_schema;
    for (const std::string& s : {to.schema, to.resilience_schema}) {
      if (!base::ValidSchemaName(s)) {
        err << "ohfp: schema '" << s << "' must be a lowercase SQL identifier\n";
        return kExitBadInput;
      }
    }
  } else {
    std::string path = migrate.to;
    if (path.starts_with("sqlite:")) path = path.substr(7);
    if (path.empty() || path.find("://") != std::string::npos) {
      err << "ohfp: --to must be a PostgreSQL URI (postgresql://...) or a SQLite file (sqlite:PATH "
             "or a path), got '"
          << base::RedactConnectionUrl(migrate.to) << "'\n";
      return kExitBadInput;
    }
    to.url.clear();
    to.sqlite_file = path;
  }
  const resilience::SystemClock clock;
  resilience::Result<store::CopyReport> copied = store::CopyStore(from, to, clock);
  if (!copied.ok()) {
    err << "ohfp: cannot migrate the store: " << copied.error().ToString() << "\n";
    return copied.error().kind() == resilience::ErrorKind::kValidation ? kExitBadInput
                                                                       : kExitFailed;
  }
  nlohmann::ordered_json j;
  j["from"] = from.Describe();
  j["to"] = to.Describe();
  j["installation"] = copied->installation;
  j["rows"] = copied->rows;
  j["kept"] = copied->kept;
  j["next"] = to.postgres()
                  ? "on every host of this installation, set store.url (or OHFP_STORE_URL) to " +
                        base::RedactConnectionUrl(to.url) +
                        (to.schema != "ohfp" ? " and store.schema to " + to.schema : "") +
                        (to.resilience_schema != to.schema
                             ? " and store.resilience_schema to " + to.resilience_schema
                             : "") +
                        " in config.json; the state in " + from.Describe() + " is left as it was"
                  : "remove store.url (and OHFP_STORE_URL) from the configuration, with "
                    "storage.file naming " +
                        to.sqlite_file.string() + " in the work directory; the state in " +
                        from.Describe() + " is left as it was";
  out << j.dump(2) << "\n";
  return kExitOk;
}

}  // namespace ohfp::cli
