#pragma once
/// The record of `rapture suggest` stored beside its runs: group /suggest of a results file (the
/// runs themselves and their comparison are /runs and /compare, as `rapture compare` writes them).
/// docs/results-format.md documents the layout; analysis/check_results.py checks it.

#include <cstdint>
#include <string>
#include <vector>

namespace rapture {

struct SuggestRecord {
  std::string scenario;
  std::string design;     ///< the design the suggestions start from ("baseline": the scenario as written)
  std::string verdict;    ///< a sentence for the user
  std::string amplified;  ///< the `--set` assignments of the magnitude worked at, when amplify found it; else empty
  /// The findings, one entry each.
  struct Finding {
    std::string kind, service, other, host, calls, assumption, evidence;
    double time = 0;
  };
  std::vector<Finding> findings;
  /// The candidates tested, in the order of /compare's designs after the first.
  struct Candidate {
    std::string name, description, rule, yaml;
    int32_t finding = 0;  ///< index into findings
    int32_t rank = 0;     ///< 1: the best
    int32_t better = 0;   ///< +1 less user harm than the starting design, -1 more, 0 not distinguishable
  };
  std::vector<Candidate> candidates;
  /// The policies removed one at a time, after the candidates in /compare's designs.
  struct Ablation {
    std::string name, kind, place, description;
    std::string judgement;                                    ///< "harmful", "not earning its keep" or "earns its keep"
    double harm_difference = 0, harm_half_width = 0;          ///< users failing: without it - with it
    double requests_difference = 0, requests_half_width = 0;  ///< requests failed: without it - with it
  };
  std::vector<Ablation> ablations;
};

/// Adds /suggest to an existing results file; throws OutputError naming the file.
void write_suggest_record(const std::string& path, const SuggestRecord& record);

}  // namespace rapture
