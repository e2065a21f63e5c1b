// Values between JavaScript and libfuse's structs (attributes, entries, open replies).
#pragma once

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <sys/statvfs.h>

#include <napi.h>

#include <cstdint>
#include <string>

namespace chalkfs {

std::string get_string(const Napi::Object& o, const char* key);
bool get_bool(const Napi::Object& o, const char* key, bool fallback);
unsigned get_uint(const Napi::Object& o, const char* key, unsigned fallback);
double get_number(const Napi::Object& o, const char* key, double fallback);
// An integer JavaScript passes for an inode or a handle (a safe integer, not negative).
uint64_t to_u64(const Napi::Value& v, const char* what);

// Attributes: { ino, mode, nlink, uid, gid, rdev?, size, blocks?, blksize?, atimeMs, mtimeMs, ctimeMs }.
struct stat stat_from_js(const Napi::Object& o);
// An entry: { ino, generation?, attr?, attrTimeoutS, entryTimeoutS }. ino 0 is a
// negative entry: the kernel caches the name's absence for entryTimeoutS.
fuse_entry_param entry_from_js(const Napi::Object& o);
// An open reply: { fh, keepCache?, directIo?, noflush?, nonseekable?, cacheReaddir? }.
void open_from_js(const Napi::Object& o, fuse_file_info* fi);
struct statvfs statvfs_from_js(const Napi::Object& o);

}  // namespace chalkfs
