#pragma once
/// The readers of the sections of a scenario, one source file per section; read_scenario.cpp
/// calls them in order on the top-level map. Each checks what it can without the topology.

#include <vector>

#include "io/scenario/reader.hpp"
#include "model/scenario.hpp"

namespace rapture::scenario_reader {

// workload.cpp
/// `requests:`, the declared request types.
void read_requests(const Reader& r, const MapView& top, Scenario& s);
/// `workload:`, the sources of requests (after `requests:`: inline definitions join them).
void read_workload(const Reader& r, const MapView& top, Scenario& s);

// services.cpp
/// `defaults:` per service kind and `services:` by name.
void read_services(const Reader& r, const MapView& top, Scenario& s);
/// `edges:`, the call overrides.
void read_edges(const Reader& r, const MapView& top, Scenario& s);
/// A map of "from -> to": {settings} entries (the scenario's `edges`, a request's `calls`).
std::vector<EdgeOverride> read_edge_overrides(const Reader& r, const Item& item);
/// The service kinds as written, in the order of ServiceKind: the keys of `defaults:` and
/// `policies.by_kind:`.
std::vector<std::string_view> service_kind_names();

// platform.cpp
/// `platform:`: network, reference speed, hosts and placement.
void read_platform(const Reader& r, const MapView& top, Scenario& s);

// policies.cpp
/// `policies:` (client side, per call) and `protection:` (server side, per service).
void read_policies(const Reader& r, const MapView& top, Scenario& s);

// faults.cpp
/// `faults:`.
void read_faults(const Reader& r, const MapView& top, Scenario& s);

// analysis.cpp
/// `analysis:`, how a run is judged.
void read_analysis(const Reader& r, const MapView& top, Scenario& s);
/// `hypothesis:` (after `requests:` and `workload:`: probes name request types).
void read_hypothesis(const Reader& r, const MapView& top, Scenario& s);

// designs.cpp
/// `designs:`, the design variants.
void read_designs(const Reader& r, const MapView& top, Scenario& s);

}  // namespace rapture::scenario_reader
