#include "command/run.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <boost/range/iterator_range.hpp>

#include "analysis/cascade_report.hpp"
#include "analysis/decay_report.hpp"
#include "analysis/hypothesis.hpp"
#include "analysis/run_series.hpp"
#include "command/interrupts.hpp"
#include "command/outputs.hpp"
#include "engine/simgrid_engine.hpp"
#include "io/analysis_record.hpp"
#include "io/results_file.hpp"
#include "io/scenario_reader.hpp"
#include "io/text_file.hpp"
#include "io/topology_reader.hpp"
#include "model/log_histogram.hpp"

namespace rapture {

namespace {

/// A latency cell of the summary table: milliseconds, the unit in the column's header.
std::string ms(double seconds) {
  if (std::isnan(seconds)) return "-";
  return fmt::format("{:.1f}", seconds * 1e3);
}

void print_summary(const LoadedSystem& l, const RunTotals& totals, const std::string& path) {
  const auto& s = totals.summary;
  const auto& sys = l.system;
  std::cout << fmt::format("rapture {}: scenario '{}'{} on topology '{}' ({} services), seed {}\n", RAPTURE_VERSION,
                           l.scenario.name,
                           l.scenario.design == "baseline" ? "" : ", design '" + l.scenario.design + "'",
                           l.topology.name, sys.services.size(), sys.seed);
  std::cout << fmt::format("simulated {:.0f} s ({:.0f} s warm-up) in {:.2f} s of wall time, {} events\n", sys.duration,
                           sys.warmup, s.wall_seconds, s.events);
  if (s.stopped_early) std::cout << "STOPPED EARLY: " << s.stop_reason << "\n";
  std::cout << fmt::format("\n{:<24}{:>10}{:>10}{:>9}{:>11}{:>9}{:>9}{:>9}{:>10}\n", "request type", "ended", "failed",
                           "error%", "goodput/s", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms");
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
    const auto top = std::max_element(v.begin(), v.end(),
                                      [](double a, double b) { return std::isnan(a) || (!std::isnan(b) && b > a); });
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
    std::cout << fmt::format("\n{:<34}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>8}\n", "edge (tolerance policies)",
                             "calls", "retries", "timeouts", "failed", "fallback", "cb-reject", "opens");
    size_t quiet = 0;
    for (size_t e = 0; e < totals.edges.size(); ++e) {
      const auto& t = totals.edges[e];
      if (t.retries + t.timeouts + t.failures + t.fallbacks + t.circuit_rejections + t.bulkhead_rejections +
              totals.circuit_openings[e] ==
          0) {
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

constexpr uint64_t kGiB = uint64_t{1} << 30;

/// The smallest whole number of GiB (of MiB below 1 GiB) at least `bytes`, as --memory-limit takes it.
std::string limit_to_ask(double bytes) {
  if (bytes < static_cast<double>(kGiB))
    return fmt::format("{}MiB", static_cast<uint64_t>(std::ceil(bytes / (1 << 20))));
  return fmt::format("{}GiB", static_cast<uint64_t>(std::ceil(bytes / static_cast<double>(kGiB))));
}

/// The refusal of an estimate over the limit: what it needs, of what, the limit, and what to change.
[[noreturn]] void refuse(const SourceLocation& where, const std::string& what, const MemoryEstimate& e, int at_once,
                         uint64_t limit, const std::string& advice) {
  const double need = e.total() * at_once;
  std::string runs = at_once > 1 ? fmt::format(" ({} runs at once, each {})", at_once, format_bytes(e.total())) : "";
  throw InputError(where,
                   fmt::format("{} needs about {}{} ({}; limit {}): {}{}, or raise the limit with "
                               "--memory-limit {}",
                               what, format_bytes(need), runs, e.breakdown(), format_bytes(static_cast<double>(limit)),
                               advice, at_once > 1 ? ", or fewer runs at once (-j)" : "", limit_to_ask(need)));
}

}  // namespace

uint64_t default_memory_limit() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const uint64_t limit = 4 * kGiB;
  if (pages <= 0 || page <= 0) return limit;
  return std::min(limit, static_cast<uint64_t>(pages) / 4 * 3 * static_cast<uint64_t>(page));
}

std::optional<uint64_t> parse_memory_size(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr == text.data()) return std::nullopt;
  std::string unit(ptr, end);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::vector<std::pair<std::string, double>> kUnits{
      {"", 1},         {"B", 1},      {"K", 0x1p10},   {"KIB", 0x1p10}, {"M", 0x1p20}, {"MIB", 0x1p20}, {"G", 0x1p30},
      {"GIB", 0x1p30}, {"T", 0x1p40}, {"TIB", 0x1p40}, {"KB", 1e3},     {"MB", 1e6},   {"GB", 1e9},     {"TB", 1e12}};
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    const double bytes = value * factor;
    if (!(bytes >= 1) || bytes > 0x1p60) return std::nullopt;
    return static_cast<uint64_t>(bytes);
  }
  return std::nullopt;
}

void check_design_memory(const std::string& scenario_path, const std::vector<std::string>& sets,
                         const std::string& design, uint64_t limit, int at_once) {
  const Scenario scenario = read_scenario(scenario_path, sets);
  const DesignSpec* spec = find_design(scenario, design);
  const Topology topology = read_topology(scenario.topology_path);
  size_t services = topology.service_count(), calls = topology.call_count();
  SourceLocation where{scenario_path, 0, ""};
  std::string what = "this run";
  std::string advice = "lower duration or raise bin";
  // Cells multiply the services in them and their calls (a shared service calling into the cells
  // is an error apply_cells reports; a count out of range too): counted here from the graph as
  // written, before anything is copied.
  if (spec && spec->cells && spec->cells->count > 1 && spec->cells->count <= 1000) {
    const CellSpec& cells = *spec->cells;
    const auto k = static_cast<size_t>(cells.count);
    std::set<std::string> shared(cells.shared.begin(), cells.shared.end()), celled;
    if (cells.services.empty()) {
      for (auto v : boost::make_iterator_range(boost::vertices(topology.graph))) {
        if (!shared.count(topology.graph[v].name)) celled.insert(topology.graph[v].name);
      }
    } else {
      celled.insert(cells.services.begin(), cells.services.end());
    }
    services += (k - 1) * celled.size() + 1;  // the copies and the cell router
    for (auto e : boost::make_iterator_range(boost::edges(topology.graph))) {
      if (celled.count(topology.graph[boost::source(e, topology.graph)].name)) calls += k - 1;
    }
    calls += k;  // the router to each cell's entry
    where = cells.where;
    what = "this design";
    advice = "fewer cells or fewer services in them";
  }
  // Edges with policies are not known before the system is resolved: counted by check_run_memory.
  const MemoryEstimate e =
      estimate_memory(bin_count(scenario.duration, scenario.bin_width), services, scenario.requests.size(), 0, calls);
  if (e.total() * at_once > static_cast<double>(limit)) {
    if (e.system_bytes < e.series_bytes) advice = "lower duration or raise bin";
    refuse(where, what, e, at_once, limit, advice);
  }
}

MemoryEstimate check_run_memory(const std::string& scenario_file, const System& system, uint64_t limit, int at_once) {
  const MemoryEstimate e =
      estimate_memory(bin_count(system.duration, system.bin_width), system.services.size(), system.request_types.size(),
                      system.edge_policies.size(), system.calls.size(), cache_table_bytes(system));
  if (e.total() * at_once > static_cast<double>(limit)) {
    refuse({scenario_file, 0, ""}, "this run", e, at_once, limit,
           e.system_bytes < e.series_bytes ? "lower duration or raise bin" : "simulate a smaller system");
  }
  return e;
}

void print_scenario_notes(const Scenario& scenario) {
  std::set<std::string> printed;
  for (const auto& note : scenario.notes) {
    std::string line = "note: " + note.where.prefix() + note.text;
    if (printed.insert(line).second) std::cerr << line << "\n";
  }
}

int run_command(const RunArgs& args, const std::vector<std::string>& simgrid_args) {
  // Every output is checked before anything is written or simulated: never an input, a device
  // or a directory (the results file is replaced only when it is an earlier rapture result).
  if (!args.output.empty()) require_writable_results(std::filesystem::absolute(args.output).string());
  if (!args.dot.empty()) require_text_output(args.dot, {args.scenario});
  // Memory before anything is built: the design's expansion from the graph as written, then the
  // run of the resolved system, before the results file exists.
  check_design_memory(args.scenario, args.sets, args.design, args.memory_limit);
  LoadedSystem l = load_system(args);
  if (!args.quiet) print_scenario_notes(l.scenario);
  check_run_memory(args.scenario, l.system, args.memory_limit);
  if (!args.dot.empty()) require_text_output(args.dot, {args.scenario, l.topology.file});
  const std::string out =
      std::filesystem::absolute(args.output.empty() ? default_output(l.scenario.name, ".h5") : args.output)
          .lexically_normal()
          .string();
  require_writable_results(out);
  ResultsFile file(out);  // fails now, before simulating, if the path cannot be written
  const interrupts::RemovedOnSignal partial_results(file.temp_path());
  const interrupts::RemovedOnSignal partial_dot(args.dot.empty() ? std::string() : text_temp_path(args.dot));

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
  for (const auto& c : l.system.caches) info.caches.push_back(l.system.services[c.service].name);
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
    std::cout << "\n" << report_hint(file.path());
  }
  if (hypothesis && !hypothesis->met()) {
    if (args.quiet) std::cerr << format_hypothesis(*hypothesis);
    if (args.strict) return 3;
  }
  return 0;
}

}  // namespace rapture
