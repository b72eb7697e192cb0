#pragma once
/// A topology opened for editing: services and calls as plain lists keyed by name, so that a
/// design transformation can add, rename and remove services and re-point calls without
/// invalidating graph descriptors; `build` turns it back into a Boost graph.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "model/scenario.hpp"
#include "model/topology.hpp"

namespace rapture {

class TopologyDraft {
 public:
  /// One call edge, by service names.
  struct Call {
    std::string from, to;
    CallEdge edge;
  };

  std::string name, file;
  std::vector<ServiceNode> services;  ///< in file order
  std::vector<Call> calls;            ///< in file order (the order of sequential calls)

  /// Opens `topology` for editing.
  static TopologyDraft from(const Topology& topology);
  /// The graph of the draft; names must be unique and calls must join existing services.
  [[nodiscard]] Topology build() const;

  /// The index of the service named `service`, if any.
  [[nodiscard]] std::optional<size_t> find(std::string_view service) const;
  /// The index of `service`; throws InputError at `where` naming the transformation `what` when it is unknown.
  size_t require(std::string_view service, const SourceLocation& where, std::string_view what) const;
  /// The index of the call `from -> to`, if any.
  [[nodiscard]] std::optional<size_t> find_call(std::string_view from, std::string_view to) const;
  /// The index of `from -> to`; throws InputError at `where` when the topology has no such call.
  size_t require_call(std::string_view from, std::string_view to, const SourceLocation& where,
                      std::string_view what) const;
  /// Adds a service; throws InputError at `where` when the name is taken.
  void add_service(ServiceNode node, const SourceLocation& where);
  /// The services a request type visits: those reached from its entries (entry and cell entries)
  /// over the calls it takes (active, probability > 0, within its `edges`, outside its `skip`),
  /// after the scenario's `edges` settings and the request type's own `calls` (which may turn a
  /// call on or off), by service index.
  [[nodiscard]] std::vector<bool> visited_by(const RequestTypeSpec& request, const Scenario& scenario) const;
  /// Removes a service and every call to or from it.
  void remove_service(std::string_view service);
};

}  // namespace rapture
