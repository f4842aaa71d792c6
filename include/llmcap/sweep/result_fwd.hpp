#pragma once

/**
 * Declarations of the result types of `sweep/result.hpp`, for headers that only name them (a
 * reporter's signature, a pointer or reference member).
 */
namespace llmcap::sweep {

struct failure_count;
struct prompt_length_check;
struct client_lag_check;
struct server_quantity;
struct server_metrics_record;
struct energy_record;
struct cell_result;
struct use_case_result;
struct server_identity;
struct host_info;
struct run_info;
struct sweep_result;

} // namespace llmcap::sweep
