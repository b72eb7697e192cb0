#include "command/cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "analysis/cascade_report.hpp"
#include "analysis/decay_report.hpp"
#include "analysis/hypothesis.hpp"
#include "analysis/run_series.hpp"
#include "command/amplify.hpp"
#include "command/compare.hpp"
#include "command/design_loader.hpp"
#include "command/premortem.hpp"
#include "common/error.hpp"
#include "engine/simgrid_engine.hpp"
#include "io/analysis_record.hpp"
#include "io/results_file.hpp"
#include "io/scenario_reader.hpp"
#include "io/text_file.hpp"
#include "io/topology_reader.hpp"
#include "model/log_histogram.hpp"
#include "model/system.hpp"
#include "model/topology_analysis.hpp"

namespace rapture {

namespace {

struct RunArgs {
  std::string scenario;
  std::string output;
  std::optional<uint64_t> seed;
  std::vector<std::string> sets;
  bool quiet = false;
  std::string dot;      ///< where to write the propagation graph (DOT); empty: nowhere
  bool strict = false;  ///< exit 3 when a hypothesis probe is not met
  bool journal = false; ///< print every journal entry, not only the first of each category
  std::string design = "baseline";  ///< the scenario's design variant to run
  std::string design_dot;           ///< where to write the design's topology (DOT); empty: nowhere
};

std::string ms(double seconds) {
  if (std::isnan(seconds)) return "-";
  return fmt::format("{:.1f}", seconds * 1e3);
}

/// Loads the scenario's design, its topology, and merges them.
struct Loaded {
  Scenario scenario;
  Topology topology;
  System system;
};

Loaded load(const RunArgs& args) {
  Loaded l;
  DesignedScenario d = load_design(args.scenario, args.sets, args.design);
  l.scenario = std::move(d.scenario);
  l.topology = std::move(d.topology);
  if (args.seed) l.scenario.seed = *args.seed;
  l.system = build_system(l.topology, l.scenario);
  if (!args.quiet) {
    for (const auto& note : d.notes) std::cout << "note: " << note << "\n";
  }
  if (!args.design_dot.empty()) {
    std::ostringstream dot;
    write_topology_dot(l.topology, dot);
    write_text_file(args.design_dot, dot.str());
  }
  return l;
}

void print_summary(const Loaded& l, const RunTotals& totals, const std::string& path) {
  const auto& s = totals.summary;
  const auto& sys = l.system;
  std::cout << fmt::format("rapture {}: scenario '{}'{} on topology '{}' ({} services), seed {}\n", RAPTURE_VERSION,
                           l.scenario.name, l.scenario.design == "baseline" ? "" : ", design '" + l.scenario.design + "'",
                           l.topology.name, sys.services.size(), sys.seed);
  std::cout << fmt::format("simulated {:.0f} s ({:.0f} s warm-up) in {:.2f} s of wall time, {} events\n",
                           sys.duration, sys.warmup, s.wall_seconds, s.events);
  if (s.stopped_early) std::cout << "STOPPED EARLY: " << s.stop_reason << "\n";
  std::cout << fmt::format("\n{:<24}{:>10}{:>10}{:>9}{:>11}{:>9}{:>9}{:>9}{:>10}\n", "request type", "ended",
                           "failed", "error%", "goodput/s", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms");
  for (size_t i = 0; i < totals.requests.size(); ++i) {
    const auto& r = totals.requests[i];
    const uint64_t ended = r.successes + r.failures;
    std::cout << fmt::format("{:<24}{:>10}{:>10}{:>9.2f}{:>11.1f}{:>9}{:>9}{:>9}{:>10}\n", sys.request_types[i].name,
                             ended, r.failures, ended ? 100.0 * r.failures / ended : 0.0,
                             s.measured_seconds > 0 ? r.successes / s.measured_seconds : 0.0, ms(r.p50), ms(r.p95),
                             ms(r.p99), ms(r.p999));
  }
  std::cout << fmt::format("{:<24}{:>10}{:>10}{:>9.2f}{:>11.1f}{:>9}{:>9}{:>9}{:>10}\n", "all", s.requests, s.failures,
                           s.requests ? 100.0 * s.error_rate : 0.0, s.goodput, ms(s.p50), ms(s.p95), ms(s.p99),
                           ms(s.p999));
  // Retry amplification: the service most visited per request of each type, when above one.
  for (size_t i = 0; i < totals.requests.size(); ++i) {
    const auto& v = totals.requests[i].visits_per_request;
    const auto top = std::max_element(v.begin(), v.end(), [](double a, double b) {
      return std::isnan(a) || (!std::isnan(b) && b > a);
    });
    if (top != v.end() && !std::isnan(*top) && *top > 1.0 + 1e-9) {
      std::cout << fmt::format("visits per request ({}): {:.2f} at {}\n", sys.request_types[i].name, *top,
                               sys.services[static_cast<size_t>(top - v.begin())].name);
    }
  }
  if (s.users > 0) {
    std::cout << fmt::format("users failing during the faults: {} of {} ({:.1f}%)\n", s.users_failing, s.users,
                             100.0 * static_cast<double>(s.users_failing) / static_cast<double>(s.users));
  }
  if (s.degraded > 0 || s.wasted_cpu > 0) {
    std::cout << fmt::format("\ndegraded (answered by a fallback): {}   CPU wasted on abandoned tries: {:.1f} s\n",
                             s.degraded, s.wasted_cpu);
  }
  if (!totals.edges.empty()) {
    std::cout << fmt::format("\n{:<34}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>8}\n", "edge (tolerance policies)", "calls",
                             "retries", "timeouts", "failed", "fallback", "cb-reject", "opens");
    size_t quiet = 0;
    for (size_t e = 0; e < totals.edges.size(); ++e) {
      const auto& t = totals.edges[e];
      if (t.retries + t.timeouts + t.failures + t.fallbacks + t.circuit_rejections + t.bulkhead_rejections +
              totals.circuit_openings[e] == 0) {
        ++quiet;
        continue;
      }
      std::cout << fmt::format("{:<34}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>8}\n", sys.edge_policies[e].name, t.calls,
                               t.retries, t.timeouts, t.failures, t.fallbacks, t.circuit_rejections,
                               totals.circuit_openings[e]);
    }
    if (quiet > 0) std::cout << fmt::format("({} other edges with policies: no retry, timeout or failure)\n", quiet);
  }
  bool header = false;
  for (size_t i = 0; i < totals.services.size(); ++i) {
    const auto& t = totals.services[i];
    std::string causes;
    for (int c = 0; c < kErrorCauses; ++c) {
      if (t.errors[c] == 0) continue;
      causes += fmt::format("{}{} {}", causes.empty() ? "" : ", ", to_string(static_cast<ErrorCause>(c)), t.errors[c]);
    }
    if (causes.empty()) continue;
    if (!header) std::cout << "\nservice errors:\n";
    header = true;
    std::cout << fmt::format("  {:<28}{}\n", sys.services[i].name, causes);
  }
  std::cout << "\nresults: " << path << "\n";
}

int run_command(const RunArgs& args, const std::vector<std::string>& simgrid_args) {
  Loaded l = load(args);
  std::string out = args.output;
  if (out.empty()) out = (l.scenario.name.empty() ? std::string("rapture") : l.scenario.name) + ".h5";
  out = std::filesystem::absolute(out).lexically_normal().string();
  ResultsFile file(out);  // fails now, before simulating, if the path cannot be written

  RunInfo info;
  info.index = 0;
  info.seed = l.system.seed;
  info.rapture_version = RAPTURE_VERSION;
  info.scenario_name = l.scenario.name;
  info.scenario_file = l.scenario.file;
  info.scenario_text = l.scenario.text;
  info.topology_name = l.topology.name;
  info.topology_file = l.topology.file;
  info.design = l.scenario.design;
  for (const auto& s : args.sets) {
    const auto eq = s.find('=');
    info.parameters.emplace_back(s.substr(0, eq), eq == std::string::npos ? "" : s.substr(eq + 1));
  }
  info.duration = l.system.duration;
  info.warmup = l.system.warmup;
  info.bin_width = l.system.bin_width;
  for (const auto& s : l.system.services) info.services.push_back(s.name);
  for (const auto& r : l.system.request_types) info.request_types.push_back(r.name);
  for (const auto& e : l.system.edge_policies) info.edges.push_back(e.name);
  info.histogram_edges = LogHistogram::edges();

  auto writer = file.begin_run(info);
  RunSeries series(info.services.size(), info.request_types.size(), info.edges.size(), writer.get());
  EngineOptions options;
  options.simgrid_args = simgrid_args;
  options.progress = !args.quiet;
  const RunTotals totals = run_on_simgrid(l.system, series, options);
  writer->finish(totals);
  writer.reset();
  const CascadeReport report = analyze_cascade(l.system, l.scenario.analysis, series);
  std::optional<HypothesisResult> hypothesis;
  if (l.scenario.hypothesis) hypothesis = evaluate_hypothesis(*l.scenario.hypothesis, l.system, series, report);
  const DecayReport decay = decay_report(l.system, series);
  write_analysis(file, info.index, report, hypothesis ? &*hypothesis : nullptr, &decay);
  file.commit();
  if (!args.dot.empty()) write_text_file(args.dot, report.dot);
  if (!args.quiet) {
    print_summary(l, totals, file.path());
    std::cout << format_cascade_report(l.system, report, args.journal);
    if (hypothesis) std::cout << "\n" << format_hypothesis(*hypothesis);
    if (!decay.paths.empty()) std::cout << "\n" << format_decay_report(decay);
  }
  if (hypothesis && !hypothesis->met()) {
    if (args.quiet) std::cerr << format_hypothesis(*hypothesis);
    if (args.strict) return 3;
  }
  return 0;
}

int validate_command(const RunArgs& args) {
  Loaded l = load(args);
  if (args.design == "baseline") {
    // Every design is checked too: a redesign that does not fit the graph is an input error now.
    for (const auto& d : l.scenario.designs) {
      const DesignedScenario designed = load_design(args.scenario, args.sets, d.name);
      const System sys = build_system(designed.topology, designed.scenario);
      std::cout << fmt::format("ok: design '{}': {} services\n", d.name, sys.services.size());
    }
  }
  int64_t replicas = 0;
  for (const auto& s : l.system.services) replicas += s.replicas;
  std::cout << fmt::format("ok: scenario '{}' on topology '{}': {} services, {} replicas on {} hosts, {} request types, "
                           "{} workload sources\n",
                           l.scenario.name, l.topology.name, l.system.services.size(), replicas, l.system.hosts.size(),
                           l.system.request_types.size(), l.system.workload.size());
  return 0;
}

int topology_command(const std::string& path) {
  const Topology t = read_topology(path);
  std::cout << format_topology_report(t, analyze_topology(t));
  return 0;
}

}  // namespace

int cli_main(int argc, char** argv) {
  // SimGrid's own options (--cfg=..., --log=...) pass through to the engine; CLI11 sees the rest.
  std::vector<std::string> simgrid_args;
  std::vector<std::string> rest;
  for (int i = argc - 1; i >= 1; --i) {
    const std::string a = argv[i];
    if (a.rfind("--cfg=", 0) == 0 || a.rfind("--log=", 0) == 0) {
      simgrid_args.insert(simgrid_args.begin(), a);
    } else {
      rest.push_back(a);  // CLI11 takes the arguments in reverse order
    }
  }

  CLI::App app{"rapture: discrete-event simulation of microservice failure dynamics on SimGrid"};
  app.set_version_flag("--version", std::string("rapture ") + RAPTURE_VERSION);
  app.require_subcommand(1);

  RunArgs args;
  auto* run = app.add_subcommand("run", "Simulate a scenario and write its results to an HDF5 file");
  run->add_option("scenario", args.scenario, "Scenario file (YAML)")->required();
  run->add_option("-o,--output", args.output, "Results file (default: <scenario name>.h5 in the current directory)");
  run->add_option("--seed", args.seed, "Seed, replacing the scenario's");
  run->add_option("--set", args.sets, "Override a scenario setting, KEY=VALUE (e.g. services.payment.replicas=3)")
      ->take_all();
  run->add_flag("-q,--quiet", args.quiet, "Print nothing but errors (and an unmet hypothesis)");
  run->add_option("--dot", args.dot, "Write the propagation graph of the cascade analysis as Graphviz DOT");
  run->add_flag("--journal", args.journal, "Print the whole signal journal (default: the first entry of each category)");
  run->add_flag("--strict", args.strict, "Exit with status 3 when a probe of the scenario's hypothesis is not met");
  run->add_option("--design", args.design, "Run this design variant of the scenario (see designs:)")->capture_default_str();
  run->add_option("--design-dot", args.design_dot, "Write the design's topology as Graphviz DOT");

  auto* validate = app.add_subcommand("validate", "Check a scenario and its topology without simulating");
  validate->add_option("scenario", args.scenario, "Scenario file (YAML)")->required();
  validate->add_option("--set", args.sets, "Override a scenario setting, KEY=VALUE")->take_all();
  validate->add_option("--design", args.design, "Check this design variant")->capture_default_str();
  validate->add_option("--design-dot", args.design_dot, "Write the design's topology as Graphviz DOT");

  std::string topology_file;
  auto* topology = app.add_subcommand("topology", "Describe a topology: services, edges, depth, fan-out, cycles");
  topology->add_option("file", topology_file, "Topology file (Graphviz DOT or GraphML)")->required();

  AmplifyArgs amp;
  std::string fault_name;
  auto* amplify = app.add_subcommand("amplify", "Ramp one magnitude and find the tipping point where a run cascades");
  amplify->add_option("scenario", amp.scenario, "Scenario file (YAML)")->required();
  amplify->add_option("--fault", fault_name, "The fault whose parameter --param is (else --param is a scenario path)");
  amplify->add_option("--param", amp.param, "The magnitude: a fault's field (latency, error_rate, factor, size, duration) "
                                             "or a scenario path such as workload[0].arrivals.rate")->required();
  amplify->add_option("--from", amp.from, "Lower end of the range, with its unit (e.g. 100/s, 20ms)")->required();
  amplify->add_option("--to", amp.to, "Upper end of the range")->required();
  amplify->add_option("--criterion", amp.criterion,
                      "goodput:F (served share of the offered load below F), error_rate:X (above X), "
                      "unhealthy:F (share of services unhealthy at once above F), "
                      "no_recovery:F@T (served share over the last T below F)")->capture_default_str();
  amplify->add_option("--param2", amp.param2, "Map mode: a second magnitude; the grid of both is run and each point "
                                               "marked recovered, degraded or metastable");
  amplify->add_option("--from2", amp.from2, "Map mode: lower end of the second range");
  amplify->add_option("--to2", amp.to2, "Map mode: upper end of the second range");
  amplify->add_option("--points2", amp.points2, "Map mode: points of the second range")->capture_default_str();
  amplify->add_option("--points", amp.points, "Points of the first ramp")->capture_default_str();
  amplify->add_option("--rounds", amp.rounds, "Bisection rounds after the ramp")->capture_default_str();
  amplify->add_option("-j,--jobs", amp.jobs, "Runs at once (separate processes)")->capture_default_str();
  amplify->add_option("-o,--output", amp.output, "Results file (default: <scenario name>-amplify.h5)");
  amplify->add_option("--seed", amp.seed, "Seed, replacing the scenario's");
  amplify->add_option("--set", amp.sets, "Override a scenario setting, KEY=VALUE")->take_all();

  PremortemArgs pm;
  auto* premortem = app.add_subcommand("premortem", "Crash each service in turn and rank them by the harm their loss does");
  premortem->add_option("scenario", pm.scenario, "Scenario file (YAML); its own faults are replaced by each crash")->required();
  premortem->add_option("--start", pm.start, "When each crash starts (default: a third into the measured run)");
  premortem->add_option("--duration", pm.duration, "How long each crash lasts (default: a third of the measured run)");
  premortem->add_option("--services", pm.services, "Only these services (default: all)")->delimiter(',');
  premortem->add_option("-j,--jobs", pm.jobs, "Runs at once (separate processes)")->capture_default_str();
  premortem->add_option("-o,--output", pm.output, "Results file (default: <scenario name>-premortem.h5)");
  premortem->add_option("--seed", pm.seed, "Seed, replacing the scenario's");
  premortem->add_option("--set", pm.sets, "Override a scenario setting, KEY=VALUE")->take_all();

  CompareArgs cmp;
  auto* compare = app.add_subcommand("compare", "Run the baseline and design variants with the same seeds and faults, "
                                                "side by side");
  compare->add_option("scenario", cmp.scenario, "Scenario file (YAML) with designs:")->required();
  compare->add_option("--designs", cmp.designs, "Designs to compare, the first the reference (default: baseline and "
                                                "every design of the scenario)")->delimiter(',');
  compare->add_option("-r,--replications", cmp.replications, "Runs of each design, seeds seed..seed+R-1")
      ->capture_default_str();
  compare->add_option("-j,--jobs", cmp.jobs, "Runs at once (separate processes)")->capture_default_str();
  compare->add_option("-o,--output", cmp.output, "Results file (default: <scenario name>-compare.h5)");
  compare->add_option("--dot-dir", cmp.dot_dir, "Write each design's topology as <design>.dot in this directory");
  compare->add_option("--seed", cmp.seed, "First seed, replacing the scenario's");
  compare->add_option("--set", cmp.sets, "Override a scenario setting, KEY=VALUE")->take_all();

  try {
    app.parse(rest);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*run) return run_command(args, simgrid_args);
    if (*validate) return validate_command(args);
    if (*topology) return topology_command(topology_file);
    if (*amplify || *premortem || *compare) {
      char self[4096];
      const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
      if (n <= 0) throw Error("cannot find the rapture executable to run the points");
      self[n] = '\0';
      if (*premortem) return premortem_command(pm, self);
      if (*compare) return compare_command(cmp, self);
      if (!fault_name.empty()) amp.fault = fault_name;
      return amplify_command(amp, self);
    }
  } catch (const Error& e) {
    std::cerr << "rapture: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "rapture: internal error: " << e.what() << "\n";
    return 70;
  }
  return 0;
}

}  // namespace rapture
