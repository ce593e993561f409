// Byte ↔ text encodings: base64 (RFC 4648 §4 standard alphabet, padded; §5 URL-safe
// alphabet, unpadded) and hex. Decoders accept input with or without padding and trap
// with the byte offset of the first character that does not belong.
#include <string>

#include "runtime/stdlib.h"
#include "runtime/stdlib_args.h"
#include "runtime/stdlib_meter.h"

namespace trinity {
namespace {

constexpr char kStdAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kHexDigits[] = "0123456789abcdef";

// Work is metered per chunk, so the deadline is checked while a large input is encoded.
constexpr size_t kEncodeChunk = 48u << 10;  // a multiple of 3: chunks encode independently
constexpr size_t kChunk = 64u << 10;        // a power of two, for the per-byte loops

[[noreturn]] void BadInput(std::string_view fn, std::string_view what, size_t offset) {
  ThrowTrap(TrapKind::kError, std::string(fn) + "(): " + std::string(what) + " at byte offset " +
                                  std::to_string(offset));
}

std::string DescribeByte(unsigned char c) {
  if (c >= 0x20 && c < 0x7f) return std::string("invalid character '") + static_cast<char>(c) + "'";
  return "invalid byte " + std::to_string(c);
}

Value Base64Encode(Instance::Impl& vm, Value* args, const char* alphabet, bool pad, std::string_view fn) {
  std::string_view in = StringArg(fn, args, 0);
  size_t full = in.size() / 3, rest = in.size() % 3;
  size_t out_len = full * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1);
  WorkMeter meter(vm, fn);
  String* out = vm.heap.NewStringUninitialized(out_len);
  char* o = out->data;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  for (size_t done = 0; done < full * 3;) {
    size_t end = std::min(done + kEncodeChunk, full * 3);
    meter.Add(end - done);
    for (; done < end; done += 3) {
      uint32_t v = (uint32_t{p[done]} << 16) | (uint32_t{p[done + 1]} << 8) | p[done + 2];
      *o++ = alphabet[v >> 18];
      *o++ = alphabet[(v >> 12) & 63];
      *o++ = alphabet[(v >> 6) & 63];
      *o++ = alphabet[v & 63];
    }
  }
  if (rest != 0) {
    uint32_t v = uint32_t{p[full * 3]} << 16;
    if (rest == 2) v |= uint32_t{p[full * 3 + 1]} << 8;
    *o++ = alphabet[v >> 18];
    *o++ = alphabet[(v >> 12) & 63];
    if (rest == 2) *o++ = alphabet[(v >> 6) & 63];
    if (pad) {
      if (rest == 1) *o++ = '=';
      *o++ = '=';
    }
  }
  return Value::Object(Tag::kString, out);
}

Value Base64Decode(Instance::Impl& vm, Value* args, const char* alphabet, std::string_view fn) {
  std::string_view in = StringArg(fn, args, 0);
  int8_t value[256];
  for (int c = 0; c < 256; ++c) value[c] = -1;
  for (int i = 0; i < 64; ++i) value[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  // Padding: at most two '=' at the very end, and then the whole input is a multiple of 4.
  size_t len = in.size();
  size_t pads = 0;
  while (pads < 2 && len > 0 && in[len - 1] == '=') {
    --len;
    ++pads;
  }
  // The first character outside the alphabet is reported before any length problem.
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  for (size_t i = 0; i < len; ++i) {
    if (value[p[i]] < 0) BadInput(fn, DescribeByte(p[i]), i);
  }
  if (pads > 0 && in.size() % 4 != 0) BadInput(fn, "padding does not complete a 4-character group", len);
  if (len % 4 == 1) BadInput(fn, "truncated input (a lone character in the last group)", len - 1);
  if (pads > 0 && (len % 4) + pads != 4) BadInput(fn, "too much padding", len);
  size_t out_len = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
  WorkMeter meter(vm, fn);
  String* out = vm.heap.NewStringUninitialized(out_len);
  char* o = out->data;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; ++i) {
    if ((i & (kChunk - 1)) == 0) meter.Add(std::min(kChunk, len - i));
    int8_t v = value[p[i]];
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *o++ = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return Value::Object(Tag::kString, out);
}

int HexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Value Library_kBase64Encode(Instance::Impl& vm, Value* args, int) {
  return Base64Encode(vm, args, kStdAlphabet, true, "base64.encode");
}
Value Library_kBase64UrlEncode(Instance::Impl& vm, Value* args, int) {
  return Base64Encode(vm, args, kUrlAlphabet, false, "base64.url_encode");
}
Value Library_kBase64Decode(Instance::Impl& vm, Value* args, int) {
  return Base64Decode(vm, args, kStdAlphabet, "base64.decode");
}
Value Library_kBase64UrlDecode(Instance::Impl& vm, Value* args, int) {
  return Base64Decode(vm, args, kUrlAlphabet, "base64.url_decode");
}

Value Library_kHexEncode(Instance::Impl& vm, Value* args, int) {
  std::string_view in = StringArg("hex.encode", args, 0);
  WorkMeter meter(vm, "hex.encode");
  String* out = vm.heap.NewStringUninitialized(in.size() * 2);
  for (size_t i = 0; i < in.size(); ++i) {
    if ((i & (kChunk - 1)) == 0) meter.Add(std::min(kChunk, in.size() - i));
    auto c = static_cast<unsigned char>(in[i]);
    out->data[2 * i] = kHexDigits[c >> 4];
    out->data[2 * i + 1] = kHexDigits[c & 15];
  }
  return Value::Object(Tag::kString, out);
}

Value Library_kHexDecode(Instance::Impl& vm, Value* args, int) {
  std::string_view in = StringArg("hex.decode", args, 0);
  if (in.size() % 2 != 0) BadInput("hex.decode", "odd number of hex digits", in.size() - 1);
  WorkMeter meter(vm, "hex.decode");
  String* out = vm.heap.NewStringUninitialized(in.size() / 2);
  for (size_t i = 0; i < in.size(); i += 2) {
    if ((i & (kChunk - 1)) == 0) meter.Add(std::min(kChunk, in.size() - i));
    int hi = HexValue(static_cast<unsigned char>(in[i]));
    if (hi < 0) BadInput("hex.decode", DescribeByte(static_cast<unsigned char>(in[i])), i);
    int lo = HexValue(static_cast<unsigned char>(in[i + 1]));
    if (lo < 0) BadInput("hex.decode", DescribeByte(static_cast<unsigned char>(in[i + 1])), i + 1);
    out->data[i / 2] = static_cast<char>(hi << 4 | lo);
  }
  return Value::Object(Tag::kString, out);
}

}  // namespace trinity
