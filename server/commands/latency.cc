// LATENCY: the per-command latency distributions (HISTOGRAM, Redis 7's reply
// shape, from the same histograms as INFO latencystats). Redis's latency
// monitor (events past latency-monitor-threshold) does not exist here, so
// LATEST, HISTORY and RESET answer as Redis does with the monitor off: no
// events.
#include <algorithm>

#include "server/command_docs.h"
#include "server/errors.h"
#include "server/server.h"

namespace ringkv::server {
namespace {

// LATENCY HISTOGRAM [command ...]: for each command with calls, the number
// of calls and the cumulative count of calls below 1024 ns, 2048 ns... up to
// the slowest, keyed by that bound in microseconds (1, 2, 4, 8, 16, 32, 65,
// 131...), listing only the bounds where the count grows, as Redis does.
cluster::Task<> LatencyHistogramCmd(CommandContext& ctx) {
  const auto& stats = ctx.server.stats().commands;
  std::vector<std::pair<std::string_view, const LatencyHistogram*>> shown;
  auto add = [&shown](const CommandSpec* spec, const ServerStats::CommandStat& cs) {
    if (cs.latency && cs.latency->count() > 0) shown.emplace_back(spec->name, cs.latency.get());
  };
  if (ctx.argc() == 2) {
    for (const auto& [spec, cs] : stats) add(spec, cs);
    std::sort(shown.begin(), shown.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  } else {
    auto add_named = [&](const CommandSpec* spec) {
      auto it = stats.find(spec);
      if (it != stats.end()) add(spec, it->second);
    };
    for (size_t i = 2; i < ctx.argc(); ++i) {
      const CommandSpec* spec = LookupForClients(ctx.server.commands(), ctx.arg(i));
      if (spec == nullptr) continue;
      add_named(spec);
      // A container stands for its subcommands too ("client": client|id...).
      if (spec->name.find('|') == std::string_view::npos) {
        for (const CommandSpec& sub : Subcommands(spec->name)) add_named(&sub);
      }
    }
  }
  ctx.reply.MapHeader(static_cast<int64_t>(shown.size()));
  for (const auto& [name, h] : shown) {
    std::vector<std::pair<int64_t, int64_t>> steps;
    uint64_t last = 0;
    for (const auto& [bound_ns, below] : h->CumulativeByDoubling(1024)) {
      if (below > last) steps.emplace_back(bound_ns / 1000, below);
      last = below;
    }
    ctx.reply.Bulk(name);
    ctx.reply.MapHeader(2);
    ctx.reply.Bulk("calls");
    ctx.reply.Integer(static_cast<int64_t>(h->count()));
    ctx.reply.Bulk("histogram_usec");
    ctx.reply.MapHeader(static_cast<int64_t>(steps.size()));
    for (const auto& [usec, below] : steps) {
      ctx.reply.Integer(usec);
      ctx.reply.Integer(below);
    }
  }
  co_return;
}

cluster::Task<> LatencyNoEvents(CommandContext& ctx) {  // LATEST, HISTORY
  ctx.reply.ArrayHeader(0);
  co_return;
}

cluster::Task<> LatencyReset(CommandContext& ctx) {
  ctx.reply.Integer(0);  // event series reset: none exist
  co_return;
}

cluster::Task<> LatencyDoctor(CommandContext& ctx) {
  ctx.reply.Verbatim(
      "Latency events are not recorded by this server (it has no latency monitor), so there is "
      "nothing to analyse. For the latency of each command, see LATENCY HISTOGRAM and INFO "
      "latencystats; for slow calls, SLOWLOG GET.\n");
  co_return;
}

cluster::Task<> LatencyGraph(CommandContext& ctx) {
  ctx.reply.Error("ERR No samples available for event '" + std::string(ctx.arg(2)) + "'");
  co_return;
}

cluster::Task<> LatencyHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "HISTOGRAM [<command> ...]",
      "    Cumulative latency distribution of the given commands (all when none given),",
      "    in power-of-two microsecond buckets.",
      "LATEST",
      "    Latest latency events: none, latency events are not recorded.",
      "HISTORY <event>",
      "    Samples of an event: none.",
      "RESET [<event> ...]",
      "    Resets event data: 0 reset.",
      "DOCTOR",
      "    Says where to look for latency information.",
      "GRAPH <event>",
      "    No samples: an error.",
      "HELP",
      "    Prints this help.",
  };
  WriteHelp(ctx.reply, kLines);
  co_return;
}

const CommandSpec kLatencySubcommands[] = {
    {"latency|histogram", -2, kCmdLoadingStale | kCmdAdmin, 0, 0, 0, LatencyHistogramCmd, "server",
     "Returns the cumulative latency distributions of commands.", "7.0.0"},
    {"latency|latest", 2, kCmdLoadingStale | kCmdAdmin, 0, 0, 0, LatencyNoEvents, "server",
     "Returns the latest latency events (none are recorded).", "2.8.13"},
    {"latency|history", 3, kCmdLoadingStale | kCmdAdmin, 0, 0, 0, LatencyNoEvents, "server",
     "Returns the samples of a latency event (none are recorded).", "2.8.13"},
    {"latency|reset", -2, kCmdLoadingStale | kCmdAdmin, 0, 0, 0, LatencyReset, "server",
     "Resets latency events (none are recorded).", "2.8.13"},
    {"latency|doctor", 2, kCmdLoadingStale | kCmdAdmin, 0, 0, 0, LatencyDoctor, "server",
     "Says where latency information is.", "2.8.13"},
    {"latency|graph", 3, kCmdLoadingStale | kCmdAdmin, 0, 0, 0, LatencyGraph, "server",
     "Draws a latency event's samples (none are recorded).", "2.8.13"},
    {"latency|help", 2, kCmdLoadingStale, 0, 0, 0, LatencyHelp, "server",
     "Lists the LATENCY subcommands.", "2.8.13"},
};

cluster::Task<> LatencyContainer(CommandContext& ctx) {
  co_await RunSubcommand(ctx, kLatencySubcommands);
}

const CommandSpec kLatencyCommands[] = {
    {"latency", -2, 0, 0, 0, 0, LatencyContainer, "server", "The LATENCY subcommands.", "2.8.13"},
};

}  // namespace

std::span<const CommandSpec> LatencyCommands() { return kLatencyCommands; }

std::span<const CommandSpec> LatencySubcommands(std::string_view parent) {
  if (parent == "latency") return kLatencySubcommands;
  return {};
}

}  // namespace ringkv::server
