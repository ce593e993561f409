// Digests: SHA-256 and HMAC-SHA-256 (RFC 2104) from OpenSSL's libcrypto, CRC-32 from zlib,
// and a constant-time comparison for checking signatures. SHA-256 uses libcrypto's direct
// SHA256_* functions rather than EVP: EVP's first use loads the OpenSSL configuration file
// and reads getrandom, system calls a seccomp-sandboxed plugin may not make; these make
// none and allocate nothing.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "runtime/stdlib.h"
#include "runtime/stdlib_args.h"
#include "runtime/stdlib_meter.h"

namespace trinity {
namespace {

// Input is fed in chunks so the deadline is checked while a large input is hashed.
constexpr size_t kChunk = 64u << 10;

void Sha256Update(SHA256_CTX& ctx, WorkMeter& meter, std::string_view data) {
  for (size_t done = 0; done < data.size();) {
    size_t n = std::min(kChunk, data.size() - done);
    meter.Add(n);
    SHA256_Update(&ctx, data.data() + done, n);
    done += n;
  }
}

Value DigestValue(Instance::Impl& vm, const unsigned char (&digest)[SHA256_DIGEST_LENGTH]) {
  return vm.NewStringValue(std::string_view(reinterpret_cast<const char*>(digest), SHA256_DIGEST_LENGTH));
}

}  // namespace

Value Library_kHashSha256(Instance::Impl& vm, Value* args, int) {
  std::string_view data = StringArg("hash.sha256", args, 0);
  WorkMeter meter(vm, "hash.sha256");
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  Sha256Update(ctx, meter, data);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &ctx);
  return DigestValue(vm, digest);
}

Value Library_kHashHmacSha256(Instance::Impl& vm, Value* args, int) {
  std::string_view key = StringArg("hash.hmac_sha256", args, 0);
  std::string_view message = StringArg("hash.hmac_sha256", args, 1);
  WorkMeter meter(vm, "hash.hmac_sha256");
  // RFC 2104: a key longer than the block is hashed first; then
  // H((K ^ opad) || H((K ^ ipad) || message)).
  constexpr size_t kBlock = SHA256_CBLOCK;
  unsigned char k[kBlock] = {};
  if (key.size() > kBlock) {
    SHA256_CTX kctx;
    SHA256_Init(&kctx);
    Sha256Update(kctx, meter, key);
    SHA256_Final(k, &kctx);
  } else {
    std::memcpy(k, key.data(), key.size());
  }
  unsigned char pad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k[i] ^ 0x36;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad, kBlock);
  Sha256Update(ctx, meter, message);
  unsigned char inner[SHA256_DIGEST_LENGTH];
  SHA256_Final(inner, &ctx);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k[i] ^ 0x5c;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad, kBlock);
  SHA256_Update(&ctx, inner, sizeof inner);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &ctx);
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
  return DigestValue(vm, digest);
}

Value Library_kHashCrc32(Instance::Impl& vm, Value* args, int) {
  std::string_view data = StringArg("hash.crc32", args, 0);
  WorkMeter meter(vm, "hash.crc32");
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t done = 0; done < data.size();) {
    size_t n = std::min(kChunk, data.size() - done);
    meter.Add(n);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + done), static_cast<uInt>(n));
    done += n;
  }
  return Value::Int(static_cast<int64_t>(crc));
}

Value Library_kHashEqual(Instance::Impl& vm, Value* args, int) {
  std::string_view a = StringArg("hash.equal", args, 0);
  std::string_view b = StringArg("hash.equal", args, 1);
  // The length is not secret (digests have fixed sizes); the contents are compared in
  // time that does not depend on where they differ.
  if (a.size() != b.size()) return Value::Bool(false);
  WorkMeter meter(vm, "hash.equal");
  meter.Add(a.size());
  return Value::Bool(CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

}  // namespace trinity
