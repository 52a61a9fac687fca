// cli/init_command.h
//
// `ohfp init`: writes a HostFactory provider directory for one provider instance, and the entries
// that register it with HostFactory:
//
//   <confdir>/config.json             ohfp's configuration: every key at its default, the region
//   <confdir>/awsprov_templates.json  one RunInstances template; with --discover its AMI (the
//                                     current Amazon Linux 2023, from SSM's public parameter), the
//                                     default VPC's subnets and security group, and the instance
//                                     type's ncpus/nram come from AWS
//   hostProviderPlugins.json          {"version": 2, "providerplugins": [{"name": "ohfp",
//                                     "enabled": 1, "scriptPath": "<the installed scripts>/"}]}
//   hostProviders.json                {"version": 2, "providers": [{"name": <name>, "enabled": 1,
//                                     "plugin": "ohfp", "confPath": "<confdir>/", "workPath": ...,
//                                     "logPath": ...}]}
//
// With --hostfactory-conf DIR (HostFactory's conf directory, $HF_TOP/conf) the two registration
// entries are added to DIR/providerplugins/hostProviderPlugins.json and
// DIR/providers/hostProviders.json (created if missing; other entries are kept), and the confdir
// defaults to DIR/providers/<name>. Without it they are written as files of their own in
// <confdir>/hostfactory/, to be merged by hand.
//
// Nothing is written until everything is known: the arguments are checked, existing files are
// found, AWS is asked; then each file is written atomically (a temporary file renamed). An existing
// file of ohfp's is never replaced without --force (the message names it); an entry of the same
// name in HostFactory's files is replaced only with --force, and only when it differs. Every AWS
// call goes through a resilience pipeline (default configuration: retries with backoff, a
// breaker), as every call of the plugin does; retries are reported on stderr.
//
// Exit codes: 0 written, 1 AWS or the file system failed, 2 bad arguments or a file in the way.
//
// Thread-safety: runs on the CLI's thread.
//
// Example:
//   InitOptions o;
//   CLI::App* init = AddInitCommand(app, o);
//   ... app.parse(argc, argv) ...
//   if (init->parsed()) return RunInit(o, env, std::cout, std::cerr);
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aws/aws_client.h"
#include "aws/environment.h"
#include "ohfp/resilience/result.h"

namespace ohfp::cli {

// The provider plugin name ohfp registers under in hostProviderPlugins.json.
inline constexpr const char* kPluginName = "ohfp";

struct InitOptions {
  std::string name{};              // the provider instance (HF_PROVIDER_NAME), e.g. awsinst
  std::string confdir{};           // default: <hostfactory_conf>/providers/<name>
  std::string hostfactory_conf{};  // $HF_TOP/conf: register there
  std::string region{};            // default: AWS_REGION, AWS_DEFAULT_REGION
  bool discover = false;
  bool force = false;
  std::string scripts{};  // default: the scripts installed beside this ohfp
  std::string workdir{};  // workPath; default ${HF_WORKDIR}/providers/<name>/
  std::string logdir{};   // logPath; default ${HF_LOGDIR}/
  std::string template_id = "OnDemand";
  std::string instance_type = "t3.medium";
  int max_number = 10;
  std::string image_id{};
  std::vector<std::string> subnet_ids{};
  std::vector<std::string> security_group_ids{};
};

// Adds the `init` subcommand, its options and help, to `app`.
CLI::App* AddInitCommand(CLI::App& app, InitOptions& options);

int RunInit(const InitOptions& options, const aws::Environment& env, std::ostream& out,
            std::ostream& err);

// What a first template needs from AWS, found by Discover().
struct Discovered {
  std::string image_id{};  // empty when the caller gave one
  std::string vpc_id{};
  std::vector<std::string> subnet_ids{};          // the default VPC's default subnets, by zone
  std::vector<std::string> security_group_ids{};  // its "default" group
  int ncpus = 0;                                  // of options.instance_type; 0: unknown
  long nram_mib = 0;
};

// Asks AWS, through `client` (and so its resilience pipeline), for what options leave open: the
// AMI (SSM), the default VPC's subnets and default security group, the instance type's size.
// kNotFound when there is no default VPC (and no --subnet-id) or the instance type is not offered.
resilience::Result<Discovered> Discover(aws::AwsClient& client, const InitOptions& options);

// The templates file for `options` and what was discovered.
nlohmann::ordered_json FirstTemplates(const InitOptions& options, const Discovered& discovered);

// Where the HostFactory scripts are: `options.scripts`, else beside the running ohfp (installed:
// <bindir>/../libexec/ohfp/hostfactory; in a build tree of this repository:
// <source>/scripts/hostfactory). Empty when there are none.
std::filesystem::path FindScripts(const InitOptions& options);

}  // namespace ohfp::cli
