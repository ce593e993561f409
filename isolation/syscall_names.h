// Names of common x86-64 system calls, for messages about refused ones ("openat (257)").
#pragma once

#include <string>

namespace trinity::isolation {

// "openat" for 257; "syscall 999" for numbers outside the table.
std::string SyscallName(int number);

}  // namespace trinity::isolation
