// libFuzzer target for the config parser (server/config.h). The input is
// applied twice: as a whole redis.conf text (ApplyConfigText into a fresh
// Config), as CONFIG SET <first word> <rest>, and (when it starts with "--")
// as a command line of one word per line. None may crash. Checked:
//   - a failed SetOption leaves the Config as it was;
//   - what CONFIG GET prints for each runtime-mutable option, CONFIG SET
//     accepts and reproduces;
//   - after an accepted text, CONFIG REWRITE into a new file and loading that
//     file back gives every option the same value (what a restart would see).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.h"
#include "tests/support/temp_dir.h"

namespace {

using ringkv::server::ApplyConfigText;
using ringkv::server::Config;
using ringkv::server::FindOption;
using ringkv::server::LoadConfigFile;
using ringkv::server::Options;
using ringkv::server::ParseCommandLine;
using ringkv::server::ParseMemory;
using ringkv::server::RewriteConfigFile;
using ringkv::server::SetOption;

void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (ok) return;
  fprintf(stderr, "config_fuzz: invariant violated: %s [%.*s]\n", what,
          static_cast<int>(detail.size()), detail.data());
  abort();
}

// True when every option prints the same value for both.
bool SameOptions(const Config& a, const Config& b, std::string_view* differing) {
  for (const auto& opt : Options()) {
    if (opt.get(a) != opt.get(b)) {
      *differing = opt.name;
      return false;
    }
  }
  return true;
}

void CheckGetSetRoundTrip(const Config& cfg) {
  for (const auto& opt : Options()) {
    if (!opt.runtime_mutable) continue;
    Config copy = cfg;
    const std::string value = opt.get(cfg);
    const auto s = SetOption(&copy, opt.name, value);
    Check(s.ok(), "CONFIG SET refuses what CONFIG GET printed", opt.name);
    Check(opt.get(copy) == value, "CONFIG SET of CONFIG GET's value changed it", opt.name);
  }
}

void CheckRewriteRoundTrip(Config cfg) {
  static const ringkv::testing::TempDir dir;
  const std::string path = dir.path() + "/ringkv.conf";
  std::error_code ec;
  std::filesystem::remove(path, ec);
  cfg.config_file = path;
  const auto s = RewriteConfigFile(cfg);
  Check(s.ok(), "CONFIG REWRITE failed", s.message());
  Config reloaded;
  const auto l = LoadConfigFile(path, &reloaded);
  Check(l.ok(), "a rewritten config file does not load", l.message());
  std::string_view differing;
  Check(SameOptions(cfg, reloaded, &differing), "a rewritten config file loads differently",
        differing);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // config files are small; long inputs only slow the search
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  Config cfg;
  if (ApplyConfigText(text, &cfg).ok()) {
    CheckGetSetRoundTrip(cfg);
    // A file write and fsync per input: only when there is something to write.
    std::string_view differing;
    if (!SameOptions(cfg, Config{}, &differing)) CheckRewriteRoundTrip(cfg);
  }

  // CONFIG SET <name> <value>, split at the first space.
  const size_t space = text.find(' ');
  const std::string_view name = text.substr(0, space);
  const std::string_view value = space == std::string_view::npos ? "" : text.substr(space + 1);
  Config set_cfg;
  const Config before = set_cfg;
  if (SetOption(&set_cfg, name, value).ok()) {
    Check(FindOption(name) != nullptr, "SetOption accepted an unknown option", name);
    CheckGetSetRoundTrip(set_cfg);
  } else {
    std::string_view differing;
    Check(SameOptions(before, set_cfg, &differing), "a failed CONFIG SET changed the config",
          differing);
  }
  uint64_t bytes = 0;
  (void)ParseMemory(value, &bytes);

  // The command line, one word per line. Only when the first word is a flag:
  // otherwise it names a config file to read, and any path may come up.
  if (text.starts_with("--")) {
    std::vector<std::string> words = {"ringkv-server"};
    size_t start = 0;
    while (start <= text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string_view::npos) nl = text.size();
      words.emplace_back(text.substr(start, nl - start));
      start = nl + 1;
    }
    std::vector<char*> argv;
    argv.reserve(words.size() + 1);
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    Config flags_cfg;
    (void)ParseCommandLine(static_cast<int>(words.size()), argv.data(), &flags_cfg);
  }
  return 0;
}
