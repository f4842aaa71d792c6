#pragma once

// The streaming HTTP/HTTPS client: endpoints, connection pool, timeouts, cancellation.
#include <llmcap/client/detect_dialect.hpp>
#include <llmcap/client/endpoint_url.hpp>
#include <llmcap/client/http_endpoint.hpp>
#include <llmcap/client/http_response.hpp>
#include <llmcap/client/options.hpp>
#include <llmcap/client/request_context.hpp>
#include <llmcap/client/stop_signal.hpp>
#include <llmcap/client/streaming_endpoint.hpp>
#include <llmcap/client/timeline.hpp>
#include <llmcap/client/virtual_timeline.hpp>
