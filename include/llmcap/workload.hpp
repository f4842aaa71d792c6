#pragma once

#include <llmcap/workload/corpus.hpp>
#include <llmcap/workload/load_driver.hpp>
#include <llmcap/workload/load_shape.hpp>
#include <llmcap/workload/prompt_factory.hpp>
#include <llmcap/workload/request_options.hpp>
#include <llmcap/workload/skip_counts.hpp>
#include <llmcap/workload/stop_reason.hpp>
#include <llmcap/workload/text_source.hpp>
#include <llmcap/workload/token_counter.hpp>
#include <llmcap/workload/trace_file.hpp>
#include <llmcap/workload/trace_prompts.hpp>
