/* vm-core's C glue over SoftFloat (part of the vm project, not of SoftFloat).
 *
 * Why it exists:
 * - SoftFloat keeps the rounding mode and exception flags in C
 *   `_Thread_local` globals, which stable Rust cannot name, so Rust calls
 *   accessors.
 * - The 32-bit float-to-integer conversions return `int_fast32_t` /
 *   `uint_fast32_t`, whose width depends on the C library (64 bits on glibc
 *   x86-64, 32 on musl); these wrappers give Rust fixed-width signatures. */
#include <stdbool.h>
#include <stdint.h>
#include "platform.h"
#include "softfloat.h"

void vm_softfloat_set_rounding_mode(uint8_t mode) { softfloat_roundingMode = mode; }

void vm_softfloat_set_flags(uint8_t flags) { softfloat_exceptionFlags = flags; }

uint8_t vm_softfloat_flags(void) { return softfloat_exceptionFlags; }

int32_t vm_f32_to_i32(float32_t a, uint8_t mode, bool exact) { return (int32_t)f32_to_i32(a, mode, exact); }

uint32_t vm_f32_to_ui32(float32_t a, uint8_t mode, bool exact) { return (uint32_t)f32_to_ui32(a, mode, exact); }

int32_t vm_f64_to_i32(float64_t a, uint8_t mode, bool exact) { return (int32_t)f64_to_i32(a, mode, exact); }

uint32_t vm_f64_to_ui32(float64_t a, uint8_t mode, bool exact) { return (uint32_t)f64_to_ui32(a, mode, exact); }
