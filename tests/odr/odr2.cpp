#include <llmcap/llmcap.hpp>

int odr_second() {
    return LLMCAP_VERSION;
}
