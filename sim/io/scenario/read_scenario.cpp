// The public entry (io/scenario_reader.hpp): the file, `--set`, the top-level settings, then
// each section in an order where what a section refers to has been read before it.

#include "io/scenario_reader.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/input_file.hpp"
#include "common/limits.hpp"
#include "io/scenario/document.hpp"
#include "io/scenario/overrides.hpp"
#include "io/scenario/sections.hpp"

namespace rapture {

namespace {

using scenario_reader::Item;
using scenario_reader::MapView;
using scenario_reader::Reader;
using scenario_reader::seconds;

/// `name`, `topology`, `duration`, `warmup`, `seed` and `bin`: what a run is.
void read_run(const Reader& r, const MapView& top, Scenario& s) {
  if (auto name = top.get("name")) {
    s.name = r.text(*name, "a name");
  } else {
    s.name = std::filesystem::path(r.file()).stem().string();
    if (s.name.empty()) s.name = "scenario";
  }

  const Item topology = top.need("topology", "the topology file, e.g. topology: ../topologies/shop.dot");
  std::filesystem::path topo = r.text(topology, "the path of a topology file");
  if (topo.empty()) r.fail(topology, "expected the path of a topology file, got nothing");
  // A path typed on the command line is relative to where the command runs, not to the file.
  if (topo.is_relative() && !r.from_override(topology) && !r.base_dir().empty()) topo = r.base_dir() / topo;
  s.topology_path = topo.lexically_normal().string();

  const Item duration_item = top.need("duration", "the simulated time, e.g. duration: 600s");
  s.duration = r.duration(duration_item);
  if (s.duration <= 0) r.fail(duration_item, "the duration must be > 0, got " + duration_item.node.Scalar());

  if (auto warmup = top.get("warmup")) {
    s.warmup = r.duration(*warmup);
    if (s.warmup >= s.duration) {
      r.fail(*warmup,
             "the warmup (" + seconds(s.warmup) + ") must be shorter than the duration (" + seconds(s.duration) + ")");
    }
  }

  if (auto seed = top.get("seed")) {
    const std::string t(text::trim(r.text(*seed, "a non-negative whole number")));
    uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (t.empty() || t.front() == '-' || ec != std::errc() || ptr != t.data() + t.size()) {
      r.fail(*seed, "the seed must be a non-negative whole number below 2^64, got '" + text::excerpt(t) + "'");
    }
    s.seed = value;
  }

  const auto bin = top.get("bin");
  if (bin) {
    s.bin_width = r.duration(*bin);
    if (s.bin_width <= 0) r.fail(*bin, "the bin width must be > 0, got " + bin->node.Scalar());
  }
  if (s.duration / s.bin_width > limits::kBins) {
    r.fail(bin ? *bin : duration_item,
           "duration / bin gives " + text::number(s.duration / s.bin_width) + " bins, more than 10^7; use a wider bin");
  }
}

/// `limits:`, the bounds of a run.
void read_limits(const Reader& r, const MapView& top, Scenario& s) {
  if (auto limits = top.get("limits")) {
    const MapView m(r, *limits);
    m.allow({"max_in_flight"});
    if (auto max = m.get("max_in_flight")) s.limits.max_in_flight = r.integer(*max, 1, 1'000'000'000'000);
  }
}

Scenario read_tree(const Reader& r) {
  using namespace scenario_reader;
  Scenario s;
  const MapView top(r, Item{r.root(), YAML::Node(), "", ""});
  top.allow({"name", "topology", "duration", "warmup", "seed", "bin", "requests", "workload", "defaults", "services",
             "edges", "platform", "limits", "policies", "protection", "faults", "analysis", "hypothesis", "designs"});
  // Requests before the workload (which may define more inline), both before the hypothesis (which names them).
  for (const auto section : {read_run, read_requests, read_workload, read_services, read_edges, read_platform,
                             read_policies, read_faults, read_designs, read_analysis, read_hypothesis, read_limits}) {
    section(r, top, s);
  }
  return s;
}

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& file_name, const std::string& base_dir,
                        const std::vector<std::string>& overrides) {
  std::vector<Override> changes;
  changes.reserve(overrides.size());
  for (const auto& assignment : overrides) changes.push_back({assignment});
  return parse_scenario_located(text, file_name, base_dir, changes);
}

Scenario parse_scenario_located(const std::string& text, const std::string& file_name, const std::string& base_dir,
                                const std::vector<Override>& overrides) {
  YAML::Node root = scenario_reader::load_root(text, file_name, "topology:, duration:, workload:, ...");
  try {
    scenario_reader::Reader::Origins origins;
    for (const auto& change : overrides) {
      const std::string path = scenario_reader::apply_override(root, change);
      origins.emplace_back(path, change.value_origin.file.empty() ? change.origin : change.value_origin);
    }
    Scenario s = read_tree(Reader(file_name, base_dir, root, std::move(origins)));
    s.file = file_name;
    s.text = text;
    return s;
  } catch (const YAML::Exception& e) {
    // Not expected (the reader checks types before converting), but never let one escape unlocated.
    throw InputError({file_name, e.mark.is_null() ? 0 : e.mark.line + 1, ""}, e.msg);
  }
}

Scenario reread_scenario(const Scenario& read, const std::vector<Override>& overrides) {
  // The directory as read_scenario takes it, so that relative paths resolve the same way.
  std::string dir = std::filesystem::path(read.file).parent_path().string();
  if (dir.empty()) dir = ".";
  return parse_scenario_located(read.text, read.file, dir, overrides);
}

Scenario read_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  const std::string text = read_input_file(path, "scenario file", limits::kInputFileBytes);
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return parse_scenario(text, path, dir, overrides);
}

}  // namespace rapture
