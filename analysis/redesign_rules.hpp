#pragma once
/// From a cascade to candidate redesigns (`rapture suggest`): what the cascade analysis of a run
/// found, each finding stated as the assumption the failure proved false, and the designs that
/// answer it. The rules are one table (kRedesignRules), finding kind -> candidate designs, so that
/// a rule is added in one place; docs/suggest.md lists them. The candidates are plain `designs:`
/// entries: whether one helps is for the runs to say, not for the rule. No SimGrid, no HDF5.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/cascade_report.hpp"
#include "analysis/system_graph.hpp"
#include "model/design/design_spec.hpp"
#include "model/system.hpp"

namespace rapture {

/// What the cascade analysis found that a redesign can answer.
enum class FindingKind : uint8_t {
  SharedHost,          ///< a service failed through a host it shares with one the trigger loaded or broke
  CallPropagation,     ///< a failure travelled to a caller through one of its synchronous calls
  QueueSaturation,     ///< a service's queue filled and overflowed
  RetryAmplification,  ///< callers' retries multiplied the load on a service
  MetastableLoop,      ///< still overloaded long after the trigger, held there by a sustaining effect
  HotSpot,             ///< one failing service reached every request type
  EveryTenant,         ///< a fault on one service reached every request type: no tenant was spared
};
std::string_view to_string(FindingKind kind);

/// One finding, with the places it names (by service name, as in the system analysed).
struct Finding {
  FindingKind kind = FindingKind::SharedHost;
  std::string service;  ///< the service it is about (the victim, the saturated or amplified one, the hot spot)
  std::string other;    ///< SharedHost: the service it shares the host with; CallPropagation: the callee
  std::string host;     ///< SharedHost: the host
  std::vector<std::string> calls;  ///< the calls it concerns, "caller -> callee"
  bool collateral = false;         ///< CallPropagation: the callee failed emergently, not by the trigger or its path
  double time = 0;                 ///< s: when it was first seen
  std::string assumption;          ///< what the failure proved false, one sentence
  std::string evidence;            ///< what the analysis measured, one sentence
};

/// A candidate redesign and where it comes from.
struct Candidate {
  DesignSpec design;      ///< a valid `designs:` entry: name, description, and what it changes
  size_t finding = 0;     ///< index of the finding it answers
  std::string_view rule;  ///< the rule that made it (kRedesignRules[i].name)
};

/// What the rules read besides a finding: the system analysed and its structure.
struct RuleContext {
  const System& sys;
  const SystemGraph& graph;
  int cells = 4;  ///< cell count of the cell-based candidates
};

/// One rule: a finding kind, and the candidates it yields for a finding of that kind.
struct RedesignRule {
  FindingKind finding;
  std::string_view name;  ///< "separate the victim": shown with each candidate and stored in /suggest
  void (*make)(const Finding& finding, const RuleContext& context, std::vector<DesignSpec>& out);
};

/// Every rule, in the order the candidates are listed.
std::span<const RedesignRule> redesign_rules();

/// The findings of one analysed run, in the order of the analysis (propagation by onset, then the
/// journal), each place once per kind.
std::vector<Finding> findings_of(const System& sys, const SystemGraph& graph, const CascadeReport& report);

/// The candidates every rule makes for `findings`, each design name once (the first rule to make a
/// name keeps it); `taken` are names already in use (the scenario's own designs), never reused.
std::vector<Candidate> candidates_for(std::span<const Finding> findings, const RuleContext& context,
                                      std::span<const std::string> taken = {});

/// A service's name without the cell suffix a cell-based design gives it ("api@c2" -> "api"):
/// candidates name the services a design's steps see, before its cells are made.
std::string_view uncelled(std::string_view service);

}  // namespace rapture
