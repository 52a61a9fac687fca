#include "cli/init_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <system_error>

#include "aws/credentials.h"
#include "aws/ec2/instances.h"
#include "aws/ec2/networks.h"
#include "aws/endpoints.h"
#include "aws/socket_transport.h"
#include "aws/ssm/parameters.h"
#include "cli/exit_codes.h"
#include "cli/init_files.h"
#include "config/plugin_config.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/state_store.h"

#ifndef OHFP_INSTALL_BIN_TO_SHIMS
#define OHFP_INSTALL_BIN_TO_SHIMS "../libexec/ohfp/hostfactory"
#endif

namespace ohfp::cli {
namespace {

namespace fs = std::filesystem;
using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;
using Json = nlohmann::ordered_json;

constexpr const char* kInitFooter = R"(
WHAT IT WRITES
  CONFDIR/config.json             ohfp's configuration, every key at its default (docs/configuration.md)
  CONFDIR/awsprov_templates.json  one RunInstances template: --template-id, --instance-type, --max-number,
                                  the AMI (--image-id, or with --discover the current Amazon Linux 2023 AMI of
                                  the region), subnets and security groups (--subnet-id, --security-group-id,
                                  or with --discover the default VPC's), ncpus and nram (with --discover)
  the registration of the plugin and of this provider instance with HostFactory:
    with --hostfactory-conf HFCONF: an entry added to HFCONF/providerplugins/hostProviderPlugins.json
      (plugin "ohfp", scriptPath: the HostFactory scripts installed with this ohfp) and one to
      HFCONF/providers/hostProviders.json (NAME, plugin "ohfp", confPath CONFDIR, workPath, logPath);
      CONFDIR defaults to HFCONF/providers/NAME
    without: the same entries as files of their own in CONFDIR/hostfactory/, to merge by hand

  Nothing is written when anything fails. An existing file is not replaced without --force; an entry of
  the same name in HostFactory's files is replaced only with --force. With --discover every AWS call goes
  through ohfp's resilience pipeline (retries with backoff, circuit breaker); credentials, region and
  endpoints come from the usual AWS variables (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...).

  Then add NAME to the "providers" of your requestor in HFCONF/requestors/hostRequestors.json and
  restart HostFactory. Check the result with: HF_PROVIDER_CONFDIR=CONFDIR ohfp config validate

EXIT STATUS
  0 written, 1 AWS or the file system failed, 2 bad arguments or a file in the way.

EXAMPLES
  ohfp init --name awsinst --hostfactory-conf $HF_TOP/conf --region us-east-1 --discover
  ohfp init --name awsinst --confdir /tmp/awsinst --image-id ami-0123456789abcdef0 --region eu-west-1)";

bool ValidName(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// "dir" -> "dir/": HostFactory's reference files end directory paths with a slash.
std::string WithSlash(std::string path) {
  if (path.empty() || path.back() != '/') path += '/';
  return path;
}

fs::path Absolute(const fs::path& p) {
  std::error_code ec;
  fs::path a = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? fs::absolute(p) : a;
}

std::optional<fs::path> ExecutableDirectory() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  return exe.parent_path();
}

bool HasShims(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "ohfp-command.sh", ec) &&
         fs::exists(dir / "getAvailableTemplates.sh", ec);
}

// One file init will write.
struct PlannedFile {
  fs::path path;
  std::string text;
  std::string what;  // for the report: "wrote <path> (<what>)"
};

// Reports retries of the discovery calls on stderr.
class RetryReporter final : public resilience::ResilienceObserver {
 public:
  explicit RetryReporter(std::ostream& err) : err_(err) {}
  void OnRetry(const resilience::RetryEvent& e) override {
    char delay[32];
    std::snprintf(delay, sizeof delay, "%.1f", std::chrono::duration<double>(e.delay).count());
    err_ << "ohfp init: " << e.operation << " attempt " << e.attempt << " failed ("
         << e.cause.code() << "), retrying in " << delay << " s\n";
  }

 private:
  std::ostream& err_;
};

std::string ResolveRegion(const InitOptions& o, const aws::Environment& env) {
  if (!o.region.empty()) return o.region;
  if (auto r = env.Get("AWS_REGION"); r && !r->empty()) return *r;
  if (auto r = env.Get("AWS_DEFAULT_REGION"); r && !r->empty()) return *r;
  return "";
}

Json ConfigJson(const std::string& region) {
  config::PluginConfig c;
  c.provider.region = region;
  const nlohmann::json all = config::PluginConfigToJson(c);
  Json out = Json::object();
  // The sections in the order a reader wants them; any other after.
  for (const char* key : {"provider", "logging", "storage", "metrics", "resilience"}) {
    if (all.contains(key)) out[key] = Json::parse(all[key].dump());
  }
  for (const auto& [key, value] : all.items()) {
    if (!out.contains(key)) out[key] = Json::parse(value.dump());
  }
  return out;
}

}  // namespace

CLI::App* AddInitCommand(CLI::App& app, InitOptions& o) {
  CLI::App* init = app.add_subcommand(
      "init", "Write a HostFactory provider directory and register it (see ohfp init --help)");
  init->footer(kInitFooter);
  init->add_option("--name", o.name, "Provider instance name (HF_PROVIDER_NAME), e.g. awsinst")
      ->required();
  init->add_option("--confdir", o.confdir,
                   "Provider directory to write (default: HFCONF/providers/NAME)");
  init->add_option("--hostfactory-conf", o.hostfactory_conf,
                   "HostFactory's conf directory ($HF_TOP/conf): register the plugin and the "
                   "provider there");
  init->add_option("--region", o.region,
                   "AWS region for config.json and discovery (default: AWS_REGION)");
  init->add_flag("--discover", o.discover,
                 "Ask AWS for the AMI, the default VPC's subnets and security group, and the "
                 "instance type's size");
  init->add_flag("--force", o.force, "Replace existing files and entries");
  init->add_option("--scripts", o.scripts,
                   "Directory of the HostFactory scripts for scriptPath (default: those installed "
                   "with this ohfp)");
  init->add_option("--workdir", o.workdir,
                   "workPath of the provider (default: ${HF_WORKDIR}/providers/NAME/)");
  init->add_option("--logdir", o.logdir, "logPath of the provider (default: ${HF_LOGDIR}/)");
  init->add_option("--template-id", o.template_id, "The template's id")->default_str("OnDemand");
  init->add_option("--instance-type", o.instance_type, "The template's vmType")
      ->default_str("t3.medium");
  init->add_option("--max-number", o.max_number, "The template's maxNumber (-1: unlimited)")
      ->default_str("10")
      ->check(CLI::Range(-1, 10000));
  init->add_option("--image-id", o.image_id,
                   "AMI of the template (default with --discover: the current Amazon Linux 2023)");
  init->add_option("--subnet-id", o.subnet_ids, "Subnet of the template (repeatable)");
  init->add_option("--security-group-id", o.security_group_ids,
                   "Security group of the template (repeatable)");
  return init;
}

fs::path FindScripts(const InitOptions& o) {
  if (!o.scripts.empty()) return HasShims(o.scripts) ? Absolute(o.scripts) : fs::path();
  const std::optional<fs::path> bin = ExecutableDirectory();
  if (!bin) return {};
  // Installed: <prefix>/bin/ohfp and <prefix>/libexec/ohfp/hostfactory. A build tree of this
  // repository: <source>/build/<preset>/plugin/src/cli/ohfp and <source>/scripts/hostfactory.
  for (const fs::path& candidate :
       {*bin / OHFP_INSTALL_BIN_TO_SHIMS, *bin / "../../../../../scripts/hostfactory"}) {
    if (HasShims(candidate)) return Absolute(candidate);
  }
  return {};
}

Result<Discovered> Discover(aws::AwsClient& client, const InitOptions& o) {
  Discovered d;
  if (o.image_id.empty()) {
    Result<aws::ssm::Parameter> ami =
        aws::ssm::GetParameter(client, {.name = aws::ssm::kAmazonLinux2023Parameter});
    if (!ami.ok()) return ami.error();
    d.image_id = ami->value;
  }
  if (o.subnet_ids.empty() || o.security_group_ids.empty()) {
    Result<std::vector<aws::ec2::Vpc>> vpcs =
        aws::ec2::DescribeVpcs(client, {{"is-default", {"true"}}});
    if (!vpcs.ok()) return vpcs.error();
    if (vpcs->empty()) {
      return Error(ErrorKind::kNotFound, "NoDefaultVpc",
                   "the region " + client.region() +
                       " has no default VPC: give --subnet-id and --security-group-id");
    }
    d.vpc_id = vpcs->front().vpc_id;
  }
  if (o.subnet_ids.empty()) {
    Result<std::vector<aws::ec2::Subnet>> subnets = aws::ec2::DescribeSubnets(
        client, {{"vpc-id", {d.vpc_id}}, {"default-for-az", {"true"}}, {"state", {"available"}}});
    if (!subnets.ok()) return subnets.error();
    std::sort(subnets->begin(), subnets->end(),
              [](const aws::ec2::Subnet& a, const aws::ec2::Subnet& b) {
                return a.availability_zone < b.availability_zone;
              });
    for (const aws::ec2::Subnet& s : *subnets) d.subnet_ids.push_back(s.subnet_id);
    if (d.subnet_ids.empty()) {
      return Error(ErrorKind::kNotFound, "NoDefaultSubnets",
                   "the default VPC " + d.vpc_id + " has no default subnet: give --subnet-id");
    }
  }
  if (o.security_group_ids.empty()) {
    Result<std::vector<aws::ec2::SecurityGroup>> groups = aws::ec2::DescribeSecurityGroups(
        client, {{"vpc-id", {d.vpc_id}}, {"group-name", {"default"}}});
    if (!groups.ok()) return groups.error();
    for (const aws::ec2::SecurityGroup& g : *groups) d.security_group_ids.push_back(g.group_id);
    if (d.security_group_ids.empty()) {
      return Error(ErrorKind::kNotFound, "NoDefaultSecurityGroup",
                   "the default VPC " + d.vpc_id +
                       " has no security group named default: give --security-group-id");
    }
  }
  Result<std::vector<aws::ec2::InstanceTypeInfo>> types =
      aws::ec2::DescribeInstanceTypes(client, {o.instance_type});
  if (!types.ok()) return types.error();
  for (const aws::ec2::InstanceTypeInfo& t : *types) {
    if (t.instance_type != o.instance_type) continue;
    d.ncpus = t.vcpus;
    d.nram_mib = t.memory_mib;
  }
  if (d.ncpus <= 0 || d.nram_mib <= 0) {
    return Error(ErrorKind::kNotFound, "UnknownInstanceType",
                 "EC2 does not describe the instance type " + o.instance_type + " in " +
                     client.region() + ": check --instance-type");
  }
  return d;
}

Json FirstTemplates(const InitOptions& o, const Discovered& d) {
  Json t = Json::object();
  t["templateId"] = o.template_id;
  t["providerApi"] = "RunInstances";
  t["maxNumber"] = o.max_number;
  Json attributes = Json::object();
  attributes["type"] = Json::array({"String", "X86_64"});
  if (d.ncpus > 0) attributes["ncpus"] = Json::array({"Numeric", std::to_string(d.ncpus)});
  if (d.nram_mib > 0) attributes["nram"] = Json::array({"Numeric", std::to_string(d.nram_mib)});
  t["attributes"] = attributes;
  t["imageId"] = o.image_id.empty() ? d.image_id : o.image_id;
  t["vmType"] = o.instance_type;
  t["priceType"] = "ondemand";
  const std::vector<std::string>& subnets = o.subnet_ids.empty() ? d.subnet_ids : o.subnet_ids;
  if (subnets.size() == 1) t["subnetId"] = subnets.front();
  if (subnets.size() > 1) t["subnetId"] = subnets;
  const std::vector<std::string>& groups =
      o.security_group_ids.empty() ? d.security_group_ids : o.security_group_ids;
  if (!groups.empty()) t["securityGroupIds"] = groups;
  Json out = Json::object();
  out["templates"] = Json::array({t});
  return out;
}

namespace {

// Where `ohfp init` stops short: its exit code, and what it prints after "ohfp init: ".
struct InitStop {
  int exit_code;
  std::string message;
};

InitStop BadInput(std::string message) { return {kExitBadInput, std::move(message)}; }

// The arguments' first problem, if any; `region` is the resolved one.
std::optional<InitStop> CheckArguments(const InitOptions& o, const std::string& region) {
  if (!ValidName(o.name)) {
    return BadInput("--name must be 1 to 64 letters, digits, '_' or '-', got \"" + o.name + "\"");
  }
  if (o.confdir.empty() && o.hostfactory_conf.empty()) {
    return BadInput(
        "give --confdir DIR (the provider directory to write), or --hostfactory-conf HFCONF to "
        "write HFCONF/providers/" +
        o.name + " and register it there");
  }
  if (!o.discover && o.image_id.empty()) {
    return BadInput(
        "the template needs an AMI: give --image-id ami-..., or --discover to use the region's "
        "current Amazon Linux 2023 AMI");
  }
  if (!region.empty()) {
    if (Status valid = aws::ValidateRegion(region); !valid.ok()) {
      return BadInput(std::string(valid.error().message()));
    }
  } else if (o.discover) {
    return BadInput("--discover needs a region: give --region or set AWS_REGION");
  }
  return std::nullopt;
}

InitStop NoScripts(const InitOptions& o) {
  return BadInput(o.scripts.empty()
                      ? "cannot find the HostFactory scripts installed with this ohfp (" +
                            std::string(OHFP_INSTALL_BIN_TO_SHIMS) +
                            " from its directory): give --scripts DIR"
                      : "--scripts " + o.scripts +
                            " does not hold the HostFactory scripts "
                            "(ohfp-command.sh, getAvailableTemplates.sh, ...)");
}

// HostFactory's entry for the plugin, whose scripts are in `scripts`.
Json PluginEntry(const fs::path& scripts) {
  Json plugin = Json::object();
  plugin["name"] = kPluginName;
  plugin["enabled"] = 1;
  plugin["scriptPath"] = WithSlash(scripts.string());
  return plugin;
}

// HostFactory's entry for the provider instance, whose directory is `confdir`.
Json ProviderEntry(const InitOptions& o, const fs::path& confdir) {
  Json provider = Json::object();
  provider["name"] = o.name;
  provider["enabled"] = 1;
  provider["plugin"] = kPluginName;
  provider["confPath"] = WithSlash(confdir.string());
  provider["workPath"] = o.workdir.empty() ? "${HF_WORKDIR}/providers/" + o.name + "/"
                                           : WithSlash(Absolute(o.workdir).string());
  provider["logPath"] =
      o.logdir.empty() ? std::string("${HF_LOGDIR}/") : WithSlash(Absolute(o.logdir).string());
  return provider;
}

// What init writes: its own files, the changes to HostFactory's registration files, and the
// registration files that hold the entry already.
struct InitPlan {
  std::vector<PlannedFile> own;  // config.json, the templates, and without HFCONF the entries
  std::vector<PlannedFile> registration;
  std::vector<std::string> unchanged;
};

// The registration: into HostFactory's files under `hfconf`, or without it as files of their own
// in `confdir`.
std::optional<InitStop> PlanRegistration(const InitOptions& o, const fs::path& hfconf,
                                         const fs::path& confdir, const Json& plugin,
                                         const Json& provider, InitPlan& plan) {
  if (hfconf.empty()) {
    Json plugins = {{"version", 2}, {"providerplugins", Json::array({plugin})}};
    Json providers = {{"version", 2}, {"providers", Json::array({provider})}};
    plan.own.push_back({confdir / "hostfactory" / "hostProviderPlugins.json",
                        plugins.dump(4) + "\n",
                        "the plugin's entry, to merge into $HF_TOP/conf/providerplugins/"
                        "hostProviderPlugins.json"});
    plan.own.push_back(
        {confdir / "hostfactory" / "hostProviders.json", providers.dump(4) + "\n",
         "the provider's entry, to merge into $HF_TOP/conf/providers/hostProviders.json"});
    return std::nullopt;
  }
  const std::pair<fs::path, std::pair<const char*, const Json*>> entries[] = {
      {hfconf / "providerplugins" / "hostProviderPlugins.json", {"providerplugins", &plugin}},
      {hfconf / "providers" / "hostProviders.json", {"providers", &provider}}};
  for (const auto& [path, what] : entries) {
    bool changed = true;
    Result<std::string> merged = MergeEntry(path, what.first, *what.second, o.force, &changed);
    if (!merged.ok()) {
      return InitStop{merged.error().kind() == ErrorKind::kValidation ? kExitBadInput : kExitFailed,
                      std::string(merged.error().message())};
    }
    if (changed) {
      plan.registration.push_back({path, *merged,
                                   std::string(what.first == std::string("providers")
                                                   ? "provider " + o.name
                                                   : std::string("plugin ") + kPluginName) +
                                       " registered"});
    } else {
      plan.unchanged.push_back(path.string());
    }
  }
  return std::nullopt;
}

// Init's own files that exist already, unless --force replaces them.
std::optional<InitStop> CheckNothingInTheWay(const std::vector<PlannedFile>& own, bool force) {
  std::vector<std::string> in_the_way;
  for (const PlannedFile& f : own) {
    std::error_code ec;
    if (fs::exists(f.path, ec)) in_the_way.push_back(f.path.string());
  }
  if (in_the_way.empty() || force) return std::nullopt;
  std::string message = "not replacing what exists (--force replaces it):";
  for (const std::string& p : in_the_way) message += "\n  " + p;
  return BadInput(std::move(message));
}

// --discover: asks AWS in `region`, every call through ohfp's resilience pipeline (retries
// reported on `err`).
std::optional<InitStop> DiscoverFromAws(const InitOptions& o, const aws::Environment& env,
                                        const std::string& region, std::ostream& err,
                                        Discovered& discovered) {
  resilience::SystemClock clock;
  resilience::SeededRandom random(resilience::SeededRandom::EntropySeed());
  resilience::InMemoryStateStore store;
  RetryReporter reporter(err);
  resilience::ResiliencePipeline pipeline(resilience::ResilienceConfig{},
                                          {clock, random, store, &reporter});
  aws::SocketTransport transport(clock);
  std::unique_ptr<aws::CredentialsProvider> credentials =
      aws::MakeDefaultCredentialsChain(env, transport, clock);
  Result<std::array<aws::Endpoint, aws::kAwsServiceCount>> endpoints =
      aws::ResolveEndpoints(region, {}, env);
  if (!endpoints.ok()) return BadInput(std::string(endpoints.error().message()));
  aws::AwsClient client(
      region, *endpoints,
      {.transport = transport, .credentials = *credentials, .clock = clock, .pipeline = pipeline});
  Result<Discovered> d = Discover(client, o);
  if (!d.ok()) {
    return InitStop{kExitFailed, "asking AWS (" + region + ") failed: " + d.error().ToString()};
  }
  discovered = std::move(*d);
  return std::nullopt;
}

// The report's words for the first template: "template OnDemand: ami-..., t3.medium, ...".
std::string DescribeFirstTemplate(const InitOptions& o, const Json& templates) {
  const Json& t = templates["templates"][0];
  return "template " + o.template_id + ": " + t["imageId"].get<std::string>() + ", " +
         o.instance_type +
         (t.contains("subnetId")
              ? ", subnets " + (t["subnetId"].is_array() ? t["subnetId"].dump()
                                                         : t["subnetId"].get<std::string>())
              : std::string(", the default subnet")) +
         (t.contains("securityGroupIds") ? ", security groups " + t["securityGroupIds"].dump()
                                         : std::string());
}

// Writes the plan's files, reporting each on `out`, and creates the provider's work and log
// directories when they are paths.
std::optional<InitStop> WritePlan(const InitPlan& plan, const Json& provider, std::ostream& out) {
  for (const std::vector<PlannedFile>* files : {&plan.own, &plan.registration}) {
    for (const PlannedFile& f : *files) {
      if (Status s = WriteAtomically(f.path, f.text); !s.ok()) {
        return InitStop{kExitFailed, std::string(s.error().message())};
      }
      out << "wrote " << f.path.string() << " (" << f.what << ")\n";
    }
  }
  for (const std::string& path : plan.unchanged) {
    out << "unchanged " << path << " (it has this entry already)\n";
  }
  for (const char* dir : {"workPath", "logPath"}) {
    const std::string path = provider[dir].get<std::string>();
    if (path.find("${") != std::string::npos) continue;
    std::error_code ec;
    fs::create_directories(path, ec);
  }
  return std::nullopt;
}

// Plans, discovers (when asked) and writes; the arguments were checked.
std::optional<InitStop> Init(const InitOptions& o, const aws::Environment& env,
                             const std::string& region, std::ostream& out, std::ostream& err) {
  const fs::path scripts = FindScripts(o);
  if (scripts.empty()) return NoScripts(o);
  const fs::path hfconf = o.hostfactory_conf.empty() ? fs::path() : Absolute(o.hostfactory_conf);
  const fs::path confdir = o.confdir.empty() ? hfconf / "providers" / o.name : Absolute(o.confdir);

  // What would be written, and what is in the way.
  const Json provider = ProviderEntry(o, confdir);
  InitPlan plan;
  plan.own = {{confdir / "config.json", "", "ohfp's configuration"},
              {confdir / "awsprov_templates.json", "", "templates"}};
  if (auto stop = PlanRegistration(o, hfconf, confdir, PluginEntry(scripts), provider, plan)) {
    return stop;
  }
  if (auto stop = CheckNothingInTheWay(plan.own, o.force)) return stop;

  // AWS, when asked.
  Discovered discovered;
  if (o.discover) {
    if (auto stop = DiscoverFromAws(o, env, region, err, discovered)) return stop;
  }
  const Json templates = FirstTemplates(o, discovered);
  plan.own[0].text = ConfigJson(region).dump(2) + "\n";
  plan.own[1].text = templates.dump(2) + "\n";
  plan.own[1].what = DescribeFirstTemplate(o, templates);

  if (auto stop = WritePlan(plan, provider, out)) return stop;
  if (region.empty()) {
    out << "note: no region in config.json: set provider.region there, or AWS_REGION in "
           "HostFactory's environment\n";
  }
  out << "next: add \"" << o.name
      << "\" to the \"providers\" of your requestor in $HF_TOP/conf/requestors/"
         "hostRequestors.json, then restart HostFactory; check with\n  HF_PROVIDER_CONFDIR="
      << confdir.string() << " ohfp config validate\n";
  return std::nullopt;
}

}  // namespace

int RunInit(const InitOptions& o, const aws::Environment& env, std::ostream& out,
            std::ostream& err) {
  const std::string region = ResolveRegion(o, env);
  std::optional<InitStop> stop = CheckArguments(o, region);
  if (!stop) stop = Init(o, env, region, out, err);
  if (!stop) return kExitOk;
  err << "ohfp init: " << stop->message << "\n";
  return stop->exit_code;
}

}  // namespace ohfp::cli
