#pragma once
/// Design variants of a scenario (section `designs:`): the structural redesigns `rapture compare`
/// puts against the baseline's local tolerance. Plain data, filled by io/scenario_reader and
/// applied to the baseline's topology and scenario by model/design/design.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "model/topology.hpp"

namespace rapture {

/// One step of a recomposition, applied in order to the topology so far.
struct Transformation {
  enum class Kind {
    Merge,       ///< services become one process: calls between them are in-process
    Split,       ///< a service becomes one service per group of request types
    Async,       ///< an edge's calls no longer wait, optionally through a queue service
    RemoveTier,  ///< a service disappears and its callers call its callees directly
    Buffer,      ///< a queue service is inserted on an edge
    Colocate,    ///< services run on the hosts of the first one
    Separate,    ///< services get hosts of their own
    DropEdge     ///< a coupling call is removed
  };
  Kind kind = Kind::Merge;
  std::vector<std::string> services;  ///< merge, colocate, separate: the services; remove, split: one
  std::string into;                   ///< merge: the process name (default: the names joined by '+')
  std::string from, to;               ///< async, buffer, drop: the edge
  /// split: new service -> the request types it serves; every request type visiting the service is named once
  std::vector<std::pair<std::string, std::vector<std::string>>> parts;
  std::string queue;                 ///< async, buffer: the inserted queue service (default "<from>-<to>-queue")
  std::optional<int64_t> capacity;   ///< async, buffer: places in the inserted queue
  std::optional<int64_t> consumers;  ///< async, buffer: workers draining it
  SourceLocation where;
};

/// A cell-based architecture: K copies of a set of services behind a cell router.
struct CellSpec {
  int64_t count = 1;                  ///< K
  std::vector<std::string> services;  ///< the services in each cell; empty: every service not in `shared`
  std::vector<std::string> shared;    ///< services left outside the cells, shared by all
  bool shuffle_sharding = false;      ///< each tenant on a pair of cells instead of one
  bool split_capacity = true;         ///< divide each celled service's capacity by K (same cost as the baseline)
  SourceLocation where;
};

/// A value that changes linearly over the run: `start` at time 0, `end` at the scenario's end.
struct Ramp {
  double start = 0, end = 0;
  [[nodiscard]] double at(double t, double duration) const {
    return duration > 0 ? start + (end - start) * std::min(1.0, std::max(0.0, t / duration)) : start;
  }
};

/// A decay layer: a share of a request type goes through a legacy copy of a service whose errors
/// and latency worsen over time, alongside the modern path.
struct DecaySpec {
  std::string request;              ///< the request type partly routed through the legacy path
  std::string service;              ///< the service the legacy path replaces (default: the request's entry)
  std::string legacy;               ///< the legacy service (default "<service>-legacy")
  double share = 0;                 ///< share of the request type on the legacy path, in [0, 1]
  Ramp error_rate;                  ///< share of legacy visits failing
  Ramp latency;                     ///< seconds added to each legacy visit
  std::optional<int64_t> replicas;  ///< legacy replicas (default: the modern service's)
  SourceLocation where;
};

/// One design variant. Applied in this order: `set`, recomposition, decay layer, cells.
struct DesignSpec {
  std::string name;
  std::string description;
  std::vector<std::string> set;  ///< scenario overrides, as `--set KEY=VALUE`
  std::vector<Transformation> recomposition;
  std::optional<DecaySpec> decay;
  std::optional<CellSpec> cells;
  SourceLocation where;
};

std::string_view to_string(Transformation::Kind kind);

}  // namespace rapture
