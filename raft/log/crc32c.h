#pragma once

#include <cstdint>
#include <string_view>

namespace warren {

// CRC-32C (Castagnoli), the checksum of every log record and hard-state slot. Uses the
// SSE4.2 instruction when the CPU has it.
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace warren
