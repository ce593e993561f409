// USDT note reading with libelf (see usdt_notes.h). A note's descriptor is three addresses
// (probe, .stapsdt.base, semaphore) followed by "provider\0name\0arguments\0".
#include "bpf/usdt_notes.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace trinity::bpf {
namespace {

constexpr uint32_t kStapsdtNoteType = 3;

struct ElfFile {
  int fd = -1;
  Elf* elf = nullptr;
  ~ElfFile() {
    if (elf) elf_end(elf);
    if (fd >= 0) close(fd);
  }
};

Result<Unit, std::string> OpenElf(const std::string& path, ElfFile& f) {
  if (elf_version(EV_CURRENT) == EV_NONE) return Err(std::string("libelf is unusable"));
  f.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return Err("cannot open " + path + ": " + std::strerror(errno));
  f.elf = elf_begin(f.fd, ELF_C_READ, nullptr);
  if (f.elf == nullptr || elf_kind(f.elf) != ELF_K_ELF) return Err(path + " is not an ELF file");
  return Unit{};
}

// NUL-terminated string at `*at` inside [begin, end); advances past it.
std::string TakeString(const char*& at, const char* end) {
  const char* nul = static_cast<const char*>(memchr(at, 0, static_cast<size_t>(end - at)));
  if (nul == nullptr) nul = end;
  std::string s(at, nul);
  at = nul < end ? nul + 1 : end;
  return s;
}

// The file offset of link-time address `addr`, through the section that holds it.
std::optional<uint64_t> FileOffsetOf(Elf* elf, uint64_t addr) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type == SHT_NOBITS) continue;
    if ((shdr.sh_flags & SHF_ALLOC) == 0) continue;
    if (addr >= shdr.sh_addr && addr < shdr.sh_addr + shdr.sh_size) {
      return addr - shdr.sh_addr + shdr.sh_offset;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<UsdtNote>, std::string> ReadUsdtNotes(const std::string& path) {
  ElfFile f;
  if (auto opened = OpenElf(path, f); !opened) return Err(opened.error());
  std::vector<UsdtNote> notes;
  const bool is64 = gelf_getclass(f.elf) == ELFCLASS64;
  const size_t addr_bytes = is64 ? 8 : 4;
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(f.elf, &shstrndx) != 0) return Err(path + ": no section names");
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(f.elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != SHT_NOTE) continue;
    const char* name = elf_strptr(f.elf, shstrndx, shdr.sh_name);
    if (name == nullptr || std::strcmp(name, ".note.stapsdt") != 0) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr) continue;
    size_t offset = 0, name_off = 0, desc_off = 0;
    GElf_Nhdr nhdr;
    while ((offset = gelf_getnote(data, offset, &nhdr, &name_off, &desc_off)) > 0) {
      if (nhdr.n_type != kStapsdtNoteType || nhdr.n_descsz < 3 * addr_bytes) continue;
      const char* desc = static_cast<const char*>(data->d_buf) + desc_off;
      auto addr_at = [&](size_t i) {
        uint64_t v = 0;
        std::memcpy(&v, desc + i * addr_bytes, addr_bytes);
        return v;
      };
      UsdtNote note;
      note.pc = addr_at(0);
      note.semaphore = addr_at(2);
      const char* at = desc + 3 * addr_bytes;
      const char* end = desc + nhdr.n_descsz;
      note.provider = TakeString(at, end);
      note.name = TakeString(at, end);
      note.arguments = TakeString(at, end);
      notes.push_back(std::move(note));
    }
  }
  return notes;
}

Result<std::vector<std::string>, std::string> TrinityProbesIn(const std::string& path) {
  auto notes = ReadUsdtNotes(path);
  if (!notes) return Err(notes.error());
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const UsdtNote& n : notes.value()) {
    if (n.provider == "trinity" && seen.insert(n.name).second) names.push_back(n.name);
  }
  return names;
}

Result<std::vector<std::string>, std::string> ObjectsWithTrinityProbes(pid_t pid) {
  std::string maps_path = "/proc/" + std::to_string(pid) + "/maps";
  std::ifstream maps(maps_path);
  if (!maps) return Err("cannot read " + maps_path + " (no such process?)");
  std::vector<std::string> objects;
  std::set<std::string> seen;
  std::string line;
  while (std::getline(maps, line)) {
    size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    if (path.ends_with(" (deleted)") || !seen.insert(path).second) continue;
    auto probes = TrinityProbesIn(path);
    if (probes && !probes.value().empty()) objects.push_back(path);
  }
  return objects;
}

std::optional<uint16_t> ReadSemaphore(pid_t pid, const std::string& path, uint64_t semaphore) {
  ElfFile f;
  if (!OpenElf(path, f)) return std::nullopt;
  std::optional<uint64_t> file_offset = FileOffsetOf(f.elf, semaphore);
  if (!file_offset) return std::nullopt;
  // The mapping of `path` that covers that file offset: address = start + (offset - pgoff).
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    size_t slash = line.find('/');
    if (slash == std::string::npos || line.substr(slash) != path) continue;
    std::istringstream fields(line);
    std::string range, perms;
    uint64_t start = 0, end = 0, pgoff = 0;
    char dash = 0;
    fields >> std::hex >> start >> dash >> end >> perms >> pgoff;
    // The kernel updates the semaphore in the writable mapping that covers it (a page
    // can also be mapped read-only for the segment before it).
    if (perms.find('w') == std::string::npos) continue;
    if (*file_offset < pgoff || *file_offset >= pgoff + (end - start)) continue;
    int mem = open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (mem < 0) return std::nullopt;
    uint16_t value = 0;
    ssize_t n = pread(mem, &value, sizeof value, static_cast<off_t>(start + (*file_offset - pgoff)));
    close(mem);
    if (n != static_cast<ssize_t>(sizeof value)) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

}  // namespace trinity::bpf
