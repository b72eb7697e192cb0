#pragma once
/// Rewrites the names a scenario uses when a design transformation renames, copies or removes
/// services and calls, so that settings follow the services they were written for.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "model/scenario.hpp"

namespace rapture {

/// What a service becomes: itself when unchanged, several names when copied, none when removed.
using ServiceMapping = std::function<std::vector<std::string>(const std::string& service)>;
/// What a call `from -> to` becomes, the same way.
using CallMapping =
    std::function<std::vector<std::pair<std::string, std::string>>(const std::string& from, const std::string& to)>;

/// Per-service settings: `services` overrides, platform placement and protections.
void remap_services(Scenario& scenario, const ServiceMapping& mapping);

/// Per-call settings: `edges`, per-edge policies and the request types' `edges`, `skip` and `calls`.
void remap_calls(Scenario& scenario, const CallMapping& mapping);

/// Request type entries; an entry mapped to several services keeps the first. Throws InputError at
/// the request type when its entry is removed (the request type would be unroutable).
void remap_entries(Scenario& scenario, const ServiceMapping& mapping, const std::string& design);

/// Faults on services and calls: a fault is copied once per name its target maps to, and removed
/// with its target. Returns the names of the faults removed.
std::vector<std::string> remap_faults(Scenario& scenario, const ServiceMapping& services, const CallMapping& calls);

}  // namespace rapture
