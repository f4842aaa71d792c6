// Linked with odr2.cpp: every function defined in a header must be inline.
#include <llmcap/llmcap.hpp>

int odr_second();

int main() {
    return odr_second() == LLMCAP_VERSION ? 0 : 1;
}
