// Instruction sets chosen at run time: kernels compile AVX-512 and AVX2 variants with target attributes and
// pick one per call, with a portable path for everything else (and for wasm).
#pragma once

namespace mr {

enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2 };

Isa detected_isa();        // best the CPU supports
Isa active_isa();          // detected, capped by MICRORECON_ISA=portable|avx2|avx512 (for tests and benches)
const char* isa_name(Isa);

}  // namespace mr
