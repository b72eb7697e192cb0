#include "command/suggest.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <sstream>

#include <fmt/format.h>

#include "analysis/cascade_report.hpp"
#include "analysis/policy_ablation.hpp"
#include "analysis/redesign_rules.hpp"
#include "analysis/run_series.hpp"
#include "analysis/structural_complexity.hpp"
#include "analysis/system_graph.hpp"
#include "command/child_runs.hpp"
#include "command/compare.hpp"
#include "command/design_loader.hpp"
#include "command/outputs.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "engine/simgrid_engine.hpp"
#include "io/comparison_record.hpp"
#include "io/design_writer.hpp"
#include "io/results_reader.hpp"
#include "io/scenario_reader.hpp"
#include "io/suggest_record.hpp"
#include "io/text_file.hpp"
#include "io/topology_reader.hpp"

namespace rapture {

namespace {

/// `candidate` on top of `base` (the design the suggestions start from): its settings, then its
/// steps after the base's, its cells unless the base has cells of its own (then nullopt: they
/// do not compose).
std::optional<DesignSpec> on_top_of(const DesignSpec* base, DesignSpec candidate) {
  if (!base) return candidate;
  DesignSpec d = *base;
  d.name = std::move(candidate.name);
  d.description = std::move(candidate.description);
  d.set.insert(d.set.end(), candidate.set.begin(), candidate.set.end());
  d.recomposition.insert(d.recomposition.end(), candidate.recomposition.begin(), candidate.recomposition.end());
  if (candidate.cells) {
    if (d.cells) return std::nullopt;
    d.cells = std::move(candidate.cells);
  }
  return d;
}

/// "-12.0 ± 3.1 points" for a ratio's paired difference.
std::string points(const Estimate& e) {
  if (std::isnan(e.mean)) return "-";
  if (std::isnan(e.half_width)) return fmt::format("{:+.1f} points", 100 * e.mean);
  return fmt::format("{:+.1f} ± {:.1f} points", 100 * e.mean, 100 * e.half_width);
}

/// What the comparison's harm metrics are, by row.
struct HarmRows {
  size_t users, requests, emergent, replicas, hosts, processes, calls;
};

/// The order of the candidates: user harm (users failing, then requests failed, then emergent
/// failures), then cost (replicas, hosts), then structure (processes, remote calls); the
/// starting design's own index first on ties so that a change must earn its place.
bool less_harm(const DesignComparison& c, const HarmRows& h, size_t a, size_t b) {
  const auto& x = c.estimates[a];
  const auto& y = c.estimates[b];
  for (const size_t m : {h.users, h.requests, h.emergent, h.replicas, h.hosts, h.processes, h.calls}) {
    const double p = std::isnan(x[m].mean) ? INFINITY : x[m].mean;
    const double q = std::isnan(y[m].mean) ? INFINITY : y[m].mean;
    if (std::abs(p - q) > 1e-12 * std::max(1.0, std::abs(p))) return p < q;
  }
  return a < b;
}

/// +1 when design d harms users less than the reference (users failing better, or the same and
/// requests failed better), -1 when more, 0 when the runs cannot tell.
int harm_verdict(const DesignComparison& c, const HarmRows& h, size_t d) {
  const int users = c.verdict[d][h.users];
  if (users != 0) return users;
  return c.verdict[d][h.requests];
}

}  // namespace

int suggest_command(const SuggestArgs& args, const std::string& self) {
  if (args.replications < 2 || args.replications > 1000) {
    throw InputError({"--replications", 0, ""},
                     "the replications must be between 2 and 1000: a paired interval needs at least two runs");
  }
  if (args.top < 1) throw InputError({"--top", 0, ""}, "--top must be at least 1");
  std::vector<std::string> sets = args.sets;
  const Scenario scenario = read_scenario(args.scenario, sets);
  const DesignSpec* start = find_design(scenario, args.design);  // an unknown name is an error naming the choices
  print_scenario_notes(scenario);
  const uint64_t memory_limit = args.executor.memory_limit.value_or(default_memory_limit());
  check_design_memory(args.scenario, sets, args.design, memory_limit);

  // 1. The run the findings come from: at the tipping point when amplify is asked to find it.
  WorkDir work(args.output.empty() ? default_output(scenario.name, "-suggest.h5") : args.output);
  if (!args.write_designs.empty()) require_text_output(args.write_designs, {args.scenario, scenario.topology_path});
  SuggestRecord record;
  record.scenario = args.scenario;
  record.design = args.design;
  if (!args.amplify.param.empty()) {
    AmplifyArgs amp = args.amplify;
    amp.scenario = args.scenario;
    amp.sets = sets;
    amp.seed = args.seed;
    amp.memory_limit = memory_limit;
    amp.jobs = args.executor.jobs;
    amp.quiet = args.executor.quiet;
    amp.output = work.place("amplify.h5");
    const TippingSearch search = search_tipping_point(amp, self);
    std::vector<std::string> magnitude;
    for (const auto& a : search.first_cascade_sets) {
      if (std::find(sets.begin(), sets.end(), a) == sets.end()) magnitude.push_back(a);
    }
    if (search.first_cascade_sets.empty()) {
      std::cout << fmt::format("rapture suggest: nothing cascades between {} and {} of {}: nothing to suggest\n",
                               amp.from, amp.to, amp.param);
      return 0;
    }
    sets.insert(sets.end(), magnitude.begin(), magnitude.end());
    record.amplified = fmt::format("{}", fmt::join(magnitude, " "));
    std::cout << fmt::format("amplify: the first cascading magnitude is {}; the suggestions work there\n",
                             record.amplified);
  }
  DesignArgs loading;
  loading.scenario = args.scenario;
  loading.sets = sets;
  loading.seed = args.seed;
  loading.design = args.design;
  loading.quiet = true;
  const LoadedSystem l = load_system(loading);
  const SystemGraph graph = build_system_graph(l.system);
  if (graph.triggers.empty()) {
    throw InputError({args.scenario, 0, ""},
                     "the scenario has no fault and no change of load: there is no failure to learn from (add one "
                     "under faults:, or give --param, --from and --to to find the tipping point with amplify)");
  }
  check_run_memory(args.scenario, l.system, memory_limit);
  RunSeries series(l.system.services.size(), l.system.request_types.size(), l.system.edge_policies.size());
  EngineOptions engine;
  engine.progress = false;
  run_on_simgrid(l.system, series, engine);
  const CascadeReport report = analyze_cascade(l.system, l.scenario.analysis, series);

  // 2. The findings and their candidates; each candidate applied and checked here, before any run.
  const std::vector<Finding> findings = findings_of(l.system, graph, report);
  std::vector<std::string> taken{"baseline"};
  for (const auto& d : scenario.designs) taken.push_back(d.name);
  const RuleContext context{l.system, graph, args.cells};
  std::vector<Candidate> candidates = candidates_for(findings, context, taken);
  std::vector<PolicyAblation> ablations;
  if (args.ablation) {
    for (const auto& c : candidates) taken.push_back(c.design.name);
    ablations = policy_ablations(l.scenario, taken);
  }
  // The designs the runs see: the starting one (unless the scenario as written), each candidate
  // and each ablation on top of it, given to every run as `--set designs=[...]`.
  std::vector<DesignSpec> designs;
  if (start) designs.push_back(*start);
  std::vector<std::string> notes;
  const auto admit = [&](DesignSpec d) -> bool {
    const std::string name = d.name;
    std::optional<DesignSpec> composed = on_top_of(start, std::move(d));
    if (!composed) {
      notes.push_back(
          fmt::format("{}: left out: its cells do not compose with those of design '{}'", name, args.design));
      return false;
    }
    std::vector<std::string> trial = sets;
    std::vector<DesignSpec> alone{*composed};
    trial.push_back("designs=" + designs_flow(alone));
    try {
      const DesignedScenario designed = load_design(args.scenario, trial, name);
      (void)build_system(designed.topology, designed.scenario);
    } catch (const InputError& e) {
      notes.push_back(fmt::format("{}: left out: it does not apply here ({})", name, e.what()));
      return false;
    }
    designs.push_back(std::move(*composed));
    return true;
  };
  std::erase_if(candidates, [&](Candidate& c) { return !admit(c.design); });
  std::erase_if(ablations, [&](PolicyAblation& a) { return !admit(a.design); });

  const std::string base_name = args.design;
  std::cout << fmt::format("rapture suggest: '{}'{}, {} finding{}, {} candidate{}, {} polic{} to remove in turn\n",
                           scenario.name, start ? " (design " + base_name + ")" : "", findings.size(),
                           findings.size() == 1 ? "" : "s", candidates.size(), candidates.size() == 1 ? "" : "s",
                           ablations.size(), ablations.size() == 1 ? "y" : "ies");
  for (const auto& n : notes) std::cout << "note: " << n << "\n";
  if (candidates.empty() && ablations.empty()) {
    std::cout << (findings.empty() ? "nothing cascaded: nothing to suggest, and no tolerance policy to remove\n"
                                   : "no candidate applies here, and no tolerance policy to remove\n");
    return 0;
  }

  // 3. The runs: a comparison of the starting design, the candidates and the ablations.
  std::vector<std::string> names{base_name};
  for (const auto& c : candidates) names.push_back(c.design.name);
  for (const auto& a : ablations) names.push_back(a.design.name);
  sets.push_back("designs=" + designs_flow(designs));
  ComparisonRecord comparison;
  comparison.scenario = args.scenario;
  std::vector<std::vector<double>> fixed;
  for (const auto& name : names) {
    const DesignedScenario d = load_design(args.scenario, sets, name);
    const System sys = build_system(d.topology, d.scenario);
    fixed.push_back(design_metric_values({cost_of(sys), structural_complexity(d.topology)}));
    const DesignSpec* spec = find_design(d.scenario, name);
    comparison.designs.push_back(name);
    comparison.design_descriptions.push_back(spec ? spec->description : "the scenario as written: its local tolerance");
    std::ostringstream dot;
    write_topology_dot(d.topology, dot);
    comparison.design_dot.push_back(dot.str());
  }
  const int jobs = args.executor.slurm ? 1 : job_count(args.executor.jobs, names.size() * args.replications);
  check_run_memory(args.scenario, l.system, memory_limit, jobs);
  const uint64_t seed0 = args.seed.value_or(scenario.seed);
  for (int r = 0; r < args.replications; ++r) comparison.seeds.push_back(seed0 + static_cast<uint64_t>(r));
  const size_t reps = static_cast<size_t>(args.replications);
  const SweepSpec draft =
      design_sweep(args.scenario, scenario.name + "-suggest", sets, names, args.replications, seed0);
  ExecutorOptions options = args.executor;
  options.jobs = jobs;
  const SweepAdvance advance = advance_command_sweep(
      draft, {"suggest", scenario.name, args.store, work.place("store"), "test the suggestions"}, options, self);
  if (advance.submitted) return 0;
  comparison.input.designs = names;
  const auto sources = tabulate_comparison(advance.store, reps, fixed, comparison);
  const DesignComparison& cmp = comparison.comparison;
  const HarmRows h{
      metric_index(comparison.input, "users_failing"), metric_index(comparison.input, "blast_radius_requests"),
      metric_index(comparison.input, "emergent"),      metric_index(comparison.input, "replicas"),
      metric_index(comparison.input, "hosts"),         metric_index(comparison.input, "processes"),
      metric_index(comparison.input, "calls")};

  // 4. The ranking of the candidates (designs 1 .. C) and the judgement of each ablation.
  const size_t first_ablation = 1 + candidates.size();
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), size_t{1});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return less_harm(cmp, h, a, b); });
  for (const auto& f : findings) {
    record.findings.push_back({std::string(to_string(f.kind)), f.service, f.other, f.host,
                               fmt::format("{}", fmt::join(f.calls, "; ")), f.assumption, f.evidence, f.time});
  }
  record.candidates.resize(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    auto& c = record.candidates[i];
    c.name = candidates[i].design.name;
    c.description = candidates[i].design.description;
    c.rule = std::string(candidates[i].rule);
    c.yaml = designs_yaml({designs[(start ? 1 : 0) + i]});
    c.finding = static_cast<int32_t>(candidates[i].finding);
    c.better = static_cast<int32_t>(harm_verdict(cmp, h, 1 + i));
  }
  for (size_t r = 0; r < order.size(); ++r) record.candidates[order[r] - 1].rank = static_cast<int32_t>(r + 1);
  for (size_t i = 0; i < ablations.size(); ++i) {
    const size_t d = first_ablation + i;
    SuggestRecord::Ablation a;
    a.name = ablations[i].design.name;
    a.kind = std::string(to_string(ablations[i].kind));
    a.place = ablations[i].place;
    a.description = ablations[i].design.description;
    const int verdict = harm_verdict(cmp, h, d);
    a.judgement = verdict > 0 ? "harmful" : verdict < 0 ? "earns its keep" : "not earning its keep";
    a.harm_difference = cmp.differences[d][h.users].mean;
    a.harm_half_width = cmp.differences[d][h.users].half_width;
    a.requests_difference = cmp.differences[d][h.requests].mean;
    a.requests_half_width = cmp.differences[d][h.requests].half_width;
    record.ablations.push_back(std::move(a));
  }

  // 5. The post-mortem of possibility.
  std::string out;
  const auto& base = cmp.estimates[0];
  out +=
      fmt::format("\npost-mortem of possibility: '{}'{}, {} replications (seeds {}..{}), same faults\n", scenario.name,
                  start ? " from design " + base_name : "", reps, comparison.seeds.front(), comparison.seeds.back());
  out += fmt::format("  {}: {} of users failing, {} of requests failed, {:.1f} emergent failures\n", base_name,
                     text::percent(base[h.users].mean), text::percent(base[h.requests].mean), base[h.emergent].mean);
  out += "\nwhat we assumed that this failure proved false:\n";
  if (findings.empty()) out += "  nothing: no service left its band\n";
  for (size_t i = 0; i < findings.size(); ++i) {
    out += fmt::format("  {}. {}\n     ({})\n", i + 1, findings[i].assumption, findings[i].evidence);
  }
  out += "\nwhat new, simpler structure it suggests (tested; least user harm first):\n";
  if (candidates.empty()) {
    out += findings.empty() ? "  nothing cascaded: nothing to suggest\n"
                            : "  no candidate applies here: nothing to suggest\n";
  }
  std::vector<DesignSpec> winners;
  std::vector<std::string> winner_notes;
  for (size_t r = 0; r < order.size(); ++r) {
    const size_t d = order[r];
    const Candidate& c = candidates[d - 1];
    const auto& e = cmp.estimates[d];
    const int v = harm_verdict(cmp, h, d);
    const std::string mark = v > 0 ? "better" : v < 0 ? "worse" : "no difference shown";
    if (r < static_cast<size_t>(args.top)) {
      out += fmt::format("  {}. {}  [{}; answers {}]\n     {}\n", r + 1, c.design.name, mark, c.finding + 1,
                         c.design.description);
      out += fmt::format(
          "     users failing {} ({}), requests failed {} ({}), emergent {:.1f}; replicas {:.0f} ({:+.0f}), hosts "
          "{:.0f} ({:+.0f})\n",
          text::percent(e[h.users].mean), points(cmp.differences[d][h.users]), text::percent(e[h.requests].mean),
          points(cmp.differences[d][h.requests]), e[h.emergent].mean, e[h.replicas].mean,
          e[h.replicas].mean - base[h.replicas].mean, e[h.hosts].mean, e[h.hosts].mean - base[h.hosts].mean);
    }
    if (v > 0 && winners.size() < static_cast<size_t>(args.top)) {
      winners.push_back(designs[(start ? 1 : 0) + d - 1]);
      winner_notes.push_back(
          fmt::format("suggested by rapture suggest, rank {} ({}): {}", r + 1, c.rule, findings[c.finding].assumption));
    }
  }
  if (order.size() > static_cast<size_t>(args.top)) {
    out += fmt::format("  ... {} more in the results file (/suggest/candidates)\n", order.size() - args.top);
  }
  out += "\nwhat we can stop doing (each policy removed in turn, against keeping it):\n";
  if (!args.ablation) out += "  not asked (--no-ablation)\n";
  if (args.ablation && ablations.empty()) out += "  the scenario configures no tolerance policy\n";
  for (const auto& a : record.ablations) {
    out += fmt::format("  {:<22}{}\n     {}: users failing {}, requests failed {}\n", a.judgement, a.name,
                       a.description, points({a.harm_difference, a.harm_half_width, reps}),
                       points({a.requests_difference, a.requests_half_width, reps}));
  }
  std::vector<std::string> verdict;
  if (!winners.empty()) verdict.push_back(fmt::format("best tested redesign: {}", winners.front().name));
  if (winners.empty() && !candidates.empty()) verdict.push_back("no candidate harms users distinguishably less");
  const auto count = [&](std::string_view j) {
    return std::count_if(record.ablations.begin(), record.ablations.end(),
                         [&](const SuggestRecord::Ablation& a) { return a.judgement == j; });
  };
  if (!ablations.empty()) {
    verdict.push_back(fmt::format("{} polic{} harmful, {} not earning {} keep", count("harmful"),
                                  count("harmful") == 1 ? "y" : "ies", count("not earning its keep"),
                                  count("not earning its keep") == 1 ? "its" : "their"));
  }
  record.verdict = fmt::format("{}", fmt::join(verdict, "; "));

  comparison.verdict = record.verdict;
  copy_runs(sources, work.merged_file(), RAPTURE_VERSION);
  write_comparison_record(work.merged_file(), comparison);
  write_suggest_record(work.merged_file(), record);
  if (!args.write_designs.empty() && !winners.empty()) {
    write_text_file(args.write_designs, designs_yaml(winners, winner_notes));
  }
  work.publish();
  std::cout << out << "\n" << record.verdict << "\n";
  if (!args.write_designs.empty()) {
    std::cout << (winners.empty() ? "designs: none written (no candidate is distinguishably better)\n"
                                  : "designs: " + args.write_designs + "\n");
  }
  std::cout << "results: " << work.output() << "\n";
  std::cout << report_hint(work.output());
  return 0;
}

}  // namespace rapture
